package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// newUsersCmd builds "clearhouse users": the people who may use
// Clearhouse, their role and their clinics.
func newUsersCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "users",
		Short: "Add people, give them a role and clinics, disable them, issue HTTP tokens",
		Long: "A user is a login: on PostgreSQL the database login role the person connects as (create it first\n" +
			"with CREATE ROLE name LOGIN ...), on SQLite the operating-system user. Roles: " + roleNames() + ".\n" +
			"Every change is recorded in the audit log of each clinic it concerns.",
	}
	c.AddCommand(newUsersAddCmd(env), newUsersListCmd(env), newUsersShowCmd(env), newUsersSetDisabledCmd(env, true),
		newUsersSetDisabledCmd(env, false), newUsersGrantCmd(env, true), newUsersGrantCmd(env, false), newUsersTokenCmd(env),
		newUsersWhoamiCmd(env))
	return c
}

func roleNames() string {
	s := make([]string, len(access.Roles))
	for i, r := range access.Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// openUsers opens the store for the users commands.
func openUsers(cmd *cobra.Command, env *Env) (context.Context, store.Store, error) {
	ctx := cmdContext(cmd)
	st, err := env.openStore(ctx, storedb.Options{})
	if err != nil {
		return ctx, nil, &ExitError{Code: 2, Err: err}
	}
	return ctx, st, nil
}

// usersError maps a store error to an exit status: 1 for an unknown user,
// a taken login or a bad value, 2 for the rest.
func usersError(err error) error {
	if err == nil {
		return nil
	}
	for _, e := range []error{store.ErrNotFound, store.ErrConflict, store.ErrInvalid, store.ErrInvalidReference} {
		if errors.Is(err, e) {
			return &ExitError{Code: 1, Err: err}
		}
	}
	return &ExitError{Code: 2, Err: err}
}

type userView struct {
	Login      string  `json:"login"`
	Name       string  `json:"name"`
	Role       string  `json:"role"`
	AllClinics bool    `json:"all_clinics"`
	Clinics    []int64 `json:"clinics"`
	Disabled   bool    `json:"disabled"`
	CreatedAt  string  `json:"created_at"`
}

func viewUser(u store.User) userView {
	cs := u.Clinics
	if cs == nil {
		cs = []int64{}
	}
	return userView{Login: u.Login, Name: u.Name, Role: u.Role, AllClinics: u.AllClinics, Clinics: cs,
		Disabled: u.Disabled(), CreatedAt: u.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
}

func userClinicsText(u store.User) string {
	if u.AllClinics {
		return "all"
	}
	s := make([]string, len(u.Clinics))
	for i, c := range u.Clinics {
		s[i] = itoa64(c)
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

func userFields(u store.User) []field {
	status := "enabled"
	if u.Disabled() {
		status = "disabled since " + u.DisabledAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	r, _ := access.ParseRole(u.Role)
	perms := r.Permissions()
	ps := make([]string, len(perms))
	for i, p := range perms {
		ps[i] = string(p)
	}
	return []field{{"login", u.Login}, {"name", u.Name}, {"role", u.Role}, {"clinics", userClinicsText(u)},
		{"status", status}, {"permissions", strings.Join(ps, " ")}}
}

// auditUserChange records a change to u in the audit log of every clinic u
// belongs to (every clinic the admin sees, for a member of the whole
// network), or of the clinics named.
func auditUserChange(ctx context.Context, env *Env, st store.Store, u store.User, action string, clinics []int64, details map[string]any) error {
	if len(clinics) == 0 {
		clinics = u.Clinics
		if u.AllClinics || len(clinics) == 0 {
			cs, err := st.ListClinics(ctx)
			if err != nil {
				return err
			}
			clinics = nil
			for _, c := range cs {
				clinics = append(clinics, c.ID)
			}
		}
	}
	if details == nil {
		details = map[string]any{}
	}
	details["role"], details["all_clinics"], details["clinics"] = u.Role, u.AllClinics, u.Clinics
	doc, err := json.Marshal(details)
	if err != nil {
		return err
	}
	for _, cid := range clinics {
		if _, err := st.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: cid, Actor: env.actorName(), Action: action,
			EntityType: "user", EntityID: u.Login, Details: doc}); err != nil {
			return fmt.Errorf("audit clinic %d: %w", cid, err)
		}
	}
	return nil
}

func newUsersAddCmd(env *Env) *cobra.Command {
	var (
		role, name string
		clinics    []int64
		all        bool
		output     string
	)
	c := &cobra.Command{
		Use:   "add LOGIN --role ROLE [--clinic N]... [--all-clinics]",
		Short: "Add a person: their login, role and clinics",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			if _, err := access.ParseRole(role); err != nil {
				return exitf(2, "--role: %v", err)
			}
			ctx, st, err := openUsers(cmd, env)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.CreateUser(ctx, store.CreateUserParams{Login: args[0], Name: name, Role: role, AllClinics: all, Clinics: clinics})
			if err != nil {
				return usersError(err)
			}
			if err := auditUserChange(ctx, env, st, u, "user.add", nil, nil); err != nil {
				return usersError(err)
			}
			if st.Backend() == store.BackendPostgres {
				fmt.Fprintf(env.Stderr, "clearhouse: %s is a member of the PostgreSQL group role clearhouse_%s when the login role exists\n", u.Login, u.Role)
			}
			return writeRecord(env.Stdout, output, userFields(u), viewUser(u))
		},
	}
	c.Flags().StringVar(&role, "role", "", "role: "+roleNames())
	c.Flags().StringVar(&name, "name", "", "the person's name, for listings")
	c.Flags().Int64SliceVar(&clinics, "clinic", nil, "a clinic the person belongs to (repeat for several)")
	c.Flags().BoolVar(&all, "all-clinics", false, "member of the whole network (every clinic, present and future)")
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	return c
}

func newUsersListCmd(env *Env) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the users with their role, clinics and status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			ctx, st, err := openUsers(cmd, env)
			if err != nil {
				return err
			}
			defer st.Close()
			us, err := st.ListUsers(ctx)
			if err != nil {
				return usersError(err)
			}
			l := listing{columns: []string{"login", "name", "role", "clinics", "status"}}
			js := []any{}
			for _, u := range us {
				status := "enabled"
				if u.Disabled() {
					status = "disabled"
				}
				l.rows = append(l.rows, []string{u.Login, u.Name, u.Role, userClinicsText(u), status})
				js = append(js, viewUser(u))
			}
			l.json = js
			return writeListing(env.Stdout, output, l)
		},
	}
	outputFlag(c, &output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func newUsersShowCmd(env *Env) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "show LOGIN",
		Short: "Show a user: role, clinics, status and the permissions of the role",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx, st, err := openUsers(cmd, env)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.GetUser(ctx, args[0])
			if err != nil {
				return usersError(err)
			}
			return writeRecord(env.Stdout, output, userFields(u), viewUser(u))
		},
	}
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	return c
}

func newUsersWhoamiCmd(env *Env) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "whoami",
		Short: "Show who Clearhouse takes you for: your login, role, clinics and permissions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx, st, err := openUsers(cmd, env)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.GetUser(ctx, env.actorName())
			if env.Login == "" {
				u, err = st.WhoAmI(ctx)
			}
			if err != nil {
				return usersError(err)
			}
			return writeRecord(env.Stdout, output, userFields(u), viewUser(u))
		},
	}
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	return c
}

func newUsersSetDisabledCmd(env *Env, disable bool) *cobra.Command {
	use, short, action := "enable LOGIN", "Enable a disabled user again", "user.enable"
	if disable {
		use, short, action = "disable LOGIN", "Disable a user: they can no longer act (their rows and audit history stay)", "user.disable"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, st, err := openUsers(cmd, env)
			if err != nil {
				return err
			}
			defer st.Close()
			if disable && args[0] == env.actorName() {
				return exitf(1, "you cannot disable yourself (%s)", args[0])
			}
			u, err := st.UpdateUser(ctx, store.UpdateUserParams{Login: args[0], Disabled: &disable})
			if err != nil {
				return usersError(err)
			}
			if err := auditUserChange(ctx, env, st, u, action, nil, nil); err != nil {
				return usersError(err)
			}
			_, err = fmt.Fprintf(env.Stdout, "%s %sd\n", u.Login, strings.TrimPrefix(action, "user."))
			return err
		},
	}
}

// newUsersGrantCmd builds "users grant" (grant true) and "users revoke".
func newUsersGrantCmd(env *Env, grant bool) *cobra.Command {
	var (
		role    string
		clinics []int64
		all     bool
		output  string
	)
	use, short := "revoke LOGIN [--clinic N]... [--all-clinics]", "Take clinics (or the whole network) from a user"
	if grant {
		use, short = "grant LOGIN [--role ROLE] [--clinic N]... [--all-clinics]", "Give a user a role, clinics or the whole network"
	}
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			if role == "" && len(clinics) == 0 && !all {
				if grant {
					return exitf(2, "nothing to grant: give --role, --clinic or --all-clinics")
				}
				return exitf(2, "nothing to revoke: give --clinic or --all-clinics")
			}
			if role != "" {
				if _, err := access.ParseRole(role); err != nil {
					return exitf(2, "--role: %v", err)
				}
			}
			ctx, st, err := openUsers(cmd, env)
			if err != nil {
				return err
			}
			defer st.Close()
			if !grant && args[0] == env.actorName() && all {
				return exitf(1, "you cannot take the whole network from yourself (%s)", args[0])
			}
			before, err := st.GetUser(ctx, args[0])
			if err != nil {
				return usersError(err)
			}
			p := store.UpdateUserParams{Login: args[0]}
			if role != "" {
				p.Role = &role
			}
			if all {
				p.AllClinics = &grant
			}
			u := before
			if p.Role != nil || p.AllClinics != nil {
				if u, err = st.UpdateUser(ctx, p); err != nil {
					return usersError(err)
				}
			}
			for _, cid := range clinics {
				if u, err = st.SetUserClinic(ctx, store.SetUserClinicParams{Login: args[0], ClinicID: cid, Member: grant}); err != nil {
					return usersError(err)
				}
			}
			action := "user.revoke"
			if grant {
				action = "user.grant"
			}
			// The clinics concerned: those named, and for a role or network
			// change every clinic the user belonged to before or after.
			var concerned []int64
			if role == "" && !all {
				concerned = clinics
			} else if !before.AllClinics && !u.AllClinics {
				concerned = append(slices.Clone(before.Clinics), u.Clinics...)
				slices.Sort(concerned)
				concerned = slices.Compact(concerned)
			}
			details := map[string]any{"previous_role": before.Role}
			if err := auditUserChange(ctx, env, st, u, action, concerned, details); err != nil {
				return usersError(err)
			}
			return writeRecord(env.Stdout, output, userFields(u), viewUser(u))
		},
	}
	if grant {
		c.Flags().StringVar(&role, "role", "", "the user's new role: "+roleNames())
	}
	c.Flags().Int64SliceVar(&clinics, "clinic", nil, "a clinic (repeat for several)")
	c.Flags().BoolVar(&all, "all-clinics", false, "the whole network")
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	return c
}

func newUsersTokenCmd(env *Env) *cobra.Command {
	var label string
	c := &cobra.Command{
		Use:   "token LOGIN [--label TEXT]",
		Short: "Issue a bearer token for serve's HTTP endpoints; it is printed once and stored hashed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, st, err := openUsers(cmd, env)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.GetUser(ctx, args[0])
			if err != nil {
				return usersError(err)
			}
			if u.Disabled() {
				return exitf(1, "user %s is disabled", u.Login)
			}
			token, hash, err := access.NewToken()
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			if _, err := st.CreateUserToken(ctx, store.CreateUserTokenParams{Login: u.Login, TokenHash: hash, Label: label}); err != nil {
				return usersError(err)
			}
			if err := auditUserChange(ctx, env, st, u, "user.token", nil, map[string]any{"label": label}); err != nil {
				return usersError(err)
			}
			_, err = fmt.Fprintln(env.Stdout, token)
			return err
		},
	}
	c.Flags().StringVar(&label, "label", "", "what the token is for (kept with its hash)")
	return c
}
