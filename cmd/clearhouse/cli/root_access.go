package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// What each command needs. Every runnable command of the tree has an entry
// (TestEveryCommandHasAPermission); the root's PersistentPreRunE checks it
// before the command reads or writes anything.
const (
	// permNone: the command does not open the database (X12 tools, code
	// sets, the simulator) or makes a database of its own (demo, loadtest).
	permNone = "-"
	// permAnyUser: any enabled user (clinic, provider and payer lists).
	permAnyUser = "user"
)

var commandPermissions = map[string]string{
	"clearhouse version":                 permNone,
	"clearhouse ack decode":              permNone,
	"clearhouse edi inspect":             permNone,
	"clearhouse edi validate":            permNone,
	"clearhouse edi json":                permNone,
	"clearhouse edi fmt":                 permNone,
	"clearhouse remit decode":            permNone,
	"clearhouse status decode":           permNone,
	"clearhouse eligibility decode":      permNone,
	"clearhouse claims scrub":            permNone,
	"clearhouse claims encode":           permNone,
	"clearhouse claims decode":           permNone,
	"clearhouse codes lookup":            permNone,
	"clearhouse codes releases":          permNone,
	"clearhouse codes provenance":        permNone,
	"clearhouse codes import":            permNone,
	"clearhouse rules lint":              permNone,
	"clearhouse rules test":              permNone,
	"clearhouse paysim":                  permNone,
	"clearhouse demo":                    permNone,
	"clearhouse loadtest":                permNone,
	"clearhouse payers registry":         permNone,
	"clearhouse payers check":            permNone, // the payer's SFTP server only; no database
	"clearhouse keys generate":           permNone, // writes a new key file; no database
	"clearhouse keys status":             permNone, // the file store and key files only: holding the key is the permission
	"clearhouse keys rotate":             permNone, // likewise
	"clearhouse jobs list":               string(access.JobsRead),
	"clearhouse jobs show":               string(access.JobsRead),
	"clearhouse jobs retry":              string(access.JobsManage),
	"clearhouse jobs cancel":             string(access.JobsManage),
	"clearhouse jobs request":            string(access.ClaimsWrite),
	"clearhouse jobs requests":           permAnyUser,
	"clearhouse eligibility check":       string(access.EligibilityRun),
	"clearhouse fhir import":             string(access.PatientsWrite),
	"clearhouse appointments confirm":    string(access.AppointmentsWrite),
	"clearhouse predict no-shows":        string(access.ReportsRead),
	"clearhouse predict denials":         string(access.ReportsRead),
	"clearhouse payments add":            string(access.PaymentsWrite),
	"clearhouse payments apply":          string(access.PaymentsWrite),
	"clearhouse payments list":           string(access.PaymentsRead),
	"clearhouse payments show":           string(access.PaymentsRead),
	"clearhouse payments void":           string(access.PaymentsVoid),
	"clearhouse payments refund":         string(access.PaymentsVoid),
	"clearhouse payments plans add":      string(access.PaymentsWrite),
	"clearhouse payments plans list":     string(access.PaymentsRead),
	"clearhouse payments plans run":      string(access.PaymentsWrite),
	"clearhouse deposits import":         string(access.PaymentsVoid),
	"clearhouse deposits list":           string(access.PaymentsRead),
	"clearhouse deposits match":          string(access.PaymentsVoid),
	"clearhouse migrate":                 string(access.Migrate),
	"clearhouse init":                    string(access.ClinicsWrite),
	"clearhouse serve":                   string(access.Serve),
	"clearhouse backup":                  string(access.Backup),
	"clearhouse restore":                 string(access.Restore),
	"clearhouse audit verify":            string(access.AuditRead),
	"clearhouse audit list":              string(access.AuditRead),
	"clearhouse users add":               string(access.UsersManage),
	"clearhouse users list":              string(access.UsersManage),
	"clearhouse users show":              string(access.UsersManage),
	"clearhouse users disable":           string(access.UsersManage),
	"clearhouse users enable":            string(access.UsersManage),
	"clearhouse users grant":             string(access.UsersManage),
	"clearhouse users revoke":            string(access.UsersManage),
	"clearhouse users token":             string(access.UsersManage),
	"clearhouse users whoami":            permAnyUser,
	"clearhouse appointments list":       string(access.AppointmentsRead),
	"clearhouse appointments book":       string(access.AppointmentsWrite),
	"clearhouse appointments reschedule": string(access.AppointmentsWrite),
	"clearhouse appointments cancel":     string(access.AppointmentsWrite),
	"clearhouse appointments noshow":     string(access.AppointmentsWrite),
	"clearhouse appointments checkin":    string(access.AppointmentsWrite),
	"clearhouse appointments checkout":   string(access.AppointmentsWrite),
	"clearhouse appointments import":     string(access.AppointmentsWrite),
	"clearhouse eligibility run":         string(access.EligibilityRun),
	"clearhouse charges add":             string(access.ChargesWrite),
	"clearhouse charges import":          string(access.ChargesWrite),
	"clearhouse claims show":             string(access.ClaimsRead),
	"clearhouse claims correct":          string(access.ClaimsWrite),
	"clearhouse claims void":             string(access.ClaimsWrite),
	"clearhouse claims appeal":           string(access.ClaimsWrite),
	"clearhouse claims status":           string(access.ClaimsWrite),
	"clearhouse claims writeoff":         string(access.ClaimsWriteOff),
	"clearhouse claims refund":           string(access.ClaimsWriteOff),
	"clearhouse claims credits":          string(access.ClaimsRead),
	"clearhouse clinics add":             string(access.ClinicsWrite),
	"clearhouse clinics update":          string(access.ClinicsWrite),
	"clearhouse clinics import":          string(access.ClinicsWrite),
	"clearhouse clinics list":            permAnyUser,
	"clearhouse clinics show":            permAnyUser,
	"clearhouse providers add":           string(access.ClinicsWrite),
	"clearhouse providers update":        string(access.ClinicsWrite),
	"clearhouse providers import":        string(access.ClinicsWrite),
	"clearhouse providers list":          permAnyUser,
	"clearhouse providers show":          permAnyUser,
	"clearhouse payers add":              string(access.PayersWrite),
	"clearhouse payers update":           string(access.PayersWrite),
	"clearhouse payers cutover":          string(access.PayersWrite), // an operator's: ISA15 test to production
	"clearhouse payers import":           string(access.PayersWrite),
	"clearhouse payers list":             permAnyUser,
	"clearhouse payers show":             permAnyUser,
	"clearhouse patients add":            string(access.PatientsWrite),
	"clearhouse patients update":         string(access.PatientsWrite),
	"clearhouse patients merge":          string(access.PatientsWrite),
	"clearhouse patients reminders":      string(access.PatientsWrite),
	"clearhouse patients import":         string(access.PatientsWrite),
	"clearhouse patients list":           string(access.PatientsRead),
	"clearhouse patients show":           string(access.PatientsRead),
	"clearhouse coverage add":            string(access.PatientsWrite),
	"clearhouse coverage update":         string(access.PatientsWrite),
	"clearhouse coverage import":         string(access.PatientsWrite),
	"clearhouse coverage list":           string(access.PatientsRead),
	"clearhouse coverage show":           string(access.PatientsRead),
	"clearhouse inbound list":            string(access.InboundManage),
	"clearhouse inbound show":            string(access.InboundManage),
	"clearhouse inbound release":         string(access.InboundManage),
	"clearhouse inbound discard":         string(access.InboundManage),
	"clearhouse report kpis":             string(access.ReportsRead),
	"clearhouse report aging":            string(access.ReportsRead),
	"clearhouse report denials":          string(access.ReportsRead),
	"clearhouse report payers":           string(access.ReportsRead),
	"clearhouse report no-shows":         string(access.ReportsRead),
	"clearhouse statements":              string(access.StatementsRead),
	"clearhouse worklist":                string(access.WorklistRead),
	"clearhouse worklist show":           string(access.WorklistRead),
	"clearhouse worklist assign":         string(access.WorklistWork),
	"clearhouse worklist note":           string(access.WorklistWork),
	"clearhouse worklist resolve":        string(access.WorklistWork),
}

// bootstrapCommands may run on a database that has no users yet (a new
// SQLite file, or a schema before migration 6): whoever runs them first
// becomes its first admin.
// restore's target is empty by definition: who may restore is decided by
// the database (PostgreSQL privileges) or the file system (SQLite).
var bootstrapCommands = map[string]bool{"clearhouse migrate": true, "clearhouse init": true, "clearhouse serve": true,
	"clearhouse restore": true}

// ExitDenied is the exit status of a refused command.
const ExitDenied = 3

// permissionFor returns what cmd needs; ok is false when the tree forgot to
// say (a refusal, never a pass).
func permissionFor(cmd *cobra.Command) (string, bool) {
	if !cmd.Runnable() || cmd.Name() == "help" || strings.HasPrefix(cmd.CommandPath(), "clearhouse completion") {
		return permNone, true
	}
	p, ok := commandPermissions[cmd.CommandPath()]
	if ro, has := readOnlyWithout[cmd.CommandPath()]; ok && has {
		changes := false
		for _, name := range ro.flags {
			changes = changes || cmd.Flags().Changed(name)
		}
		if !changes {
			return ro.perm, true
		}
	}
	return p, ok
}

// readOnlyWithout are commands that only show unless one of the flags is
// given: without them they need perm instead of their commandPermissions
// entry.
var readOnlyWithout = map[string]struct {
	perm  string
	flags []string
}{
	"clearhouse patients reminders": {string(access.PatientsRead), []string{"channel", "opt-out", "opt-in"}},
}

// authorize resolves the caller and checks cmd's permission (and, when the
// command names a clinic, membership of it). A refusal is recorded in the
// audit log and returned as exit status ExitDenied.
func authorize(cmd *cobra.Command, env *Env) error {
	perm, ok := permissionFor(cmd)
	if !ok {
		return &ExitError{Code: ExitDenied, Err: fmt.Errorf("%w: %s declares no permission", access.ErrDenied, cmd.CommandPath())}
	}
	if perm == permNone {
		return nil
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	bootstrap := bootstrapCommands[cmd.CommandPath()]
	if bootstrap && !storedb.IsPostgres(env.Database) {
		if _, err := os.Stat(env.Database); errors.Is(err, fs.ErrNotExist) {
			return nil // a new SQLite file: its creator is its first admin
		}
	}
	st, err := storedb.Open(ctx, env.Database, storedb.Options{})
	if err != nil {
		if bootstrap {
			return nil // the command reports what is wrong with the database
		}
		return &ExitError{Code: 2, Err: err}
	}
	defer st.Close()
	var p access.Principal
	if env.Login != "" {
		p, err = access.ResolveLogin(ctx, st, env.Login)
	} else {
		p, err = access.Resolve(ctx, st)
	}
	if err != nil && !errors.Is(err, access.ErrDenied) {
		if bootstrap {
			return nil // no users table yet: migrate creates it
		}
		return &ExitError{Code: 2, Err: fmt.Errorf("who is asking: %w", err)}
	}
	clinics := clinicsNamed(cmd)
	clinic := int64(0)
	if err == nil && perm != permAnyUser {
		err = p.Check(access.Permission(perm))
	}
	for _, c := range clinics {
		if !p.InClinic(c) {
			if err == nil {
				err = &access.DeniedError{User: p.Name, Role: p.Role, Permission: access.Permission(perm), Clinic: c}
			}
		} else if clinic == 0 {
			clinic = c // where a refusal is recorded
		}
	}
	if err != nil {
		recordRefusal(ctx, env, st, p, cmd.CommandPath(), perm, clinic, err)
		return &ExitError{Code: ExitDenied, Err: err}
	}
	env.principal = &p
	cmd.SetContext(access.WithPrincipal(ctx, p))
	return nil
}

// clinicsNamed are the clinics the command's --clinic flag names (one, or
// a list for the commands that take several), none when it was not given.
func clinicsNamed(cmd *cobra.Command) []int64 {
	f := cmd.Flags().Lookup("clinic")
	if f == nil || !f.Changed {
		return nil
	}
	var out []int64
	for _, s := range strings.Split(strings.Trim(f.Value.String(), "[]"), ",") {
		if v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && v > 0 {
			out = append(out, v)
		}
	}
	return out
}

// recordRefusal appends an access.denied event to a clinic's chain the
// caller belongs to (the one asked for when they belong to it). A caller
// who belongs to no clinic cannot be recorded on PostgreSQL, where
// row-level security refuses them every clinic; the message says so.
func recordRefusal(ctx context.Context, env *Env, st store.Store, p access.Principal, command, perm string, clinic int64, refusal error) {
	target := int64(0)
	switch {
	case clinic > 0 && p.InClinic(clinic):
		target = clinic
	case len(p.Clinics) > 0 && !p.AllClinics:
		target = p.Clinics[0]
	default:
		if cs, err := st.ListClinics(ctx); err == nil && len(cs) > 0 {
			target = cs[0].ID
		}
	}
	name := p.Name
	if name == "" {
		name = "(unknown)"
	}
	if target == 0 {
		fmt.Fprintf(env.Stderr, "clearhouse: the refusal of %s could not be recorded: %s belongs to no clinic\n", command, name)
		return
	}
	details, _ := json.Marshal(map[string]any{"command": command, "permission": perm, "clinic": clinic, "reason": refusal.Error()})
	if _, err := st.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: target, Actor: name, Action: "access.denied",
		EntityType: "command", EntityID: command, Details: details}); err != nil {
		fmt.Fprintf(env.Stderr, "clearhouse: the refusal of %s could not be recorded: %v\n", command, err)
	}
}

// openStore opens the database for a command, scoped to the caller's
// clinics (access.Scope) once authorize has named the caller.
func (env *Env) openStore(ctx context.Context, opts storedb.Options) (store.Store, error) {
	st, err := env.openStoreAt(ctx, env.Database, opts)
	if err != nil || env.principal == nil {
		return st, err
	}
	return access.Scope(st, *env.principal), nil
}

// actorName is who the audit log records for this command: the caller's
// identity (never a name given on the command line).
func (env *Env) actorName() string {
	if env.principal != nil {
		return env.principal.Name
	}
	return "clearhouse"
}

// auditReads records the caller's read of records of one clinic (one
// event per record, one bulk append) for cmd. A read that cannot be
// recorded is an error: nothing is shown unaudited.
func (env *Env) auditReads(ctx context.Context, st access.AuditAppender, cmd *cobra.Command, clinicID int64, entityType string, ids []int64) error {
	if len(ids) == 0 || clinicID <= 0 {
		return nil
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	if err := access.AuditReads(ctx, st, clinicID, env.actorName(), cmd.CommandPath(), entityType, s); err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	return nil
}

// idsOf returns the IDs of rows, for the read audit.
func idsOf[T any](rows []T, id func(T) int64) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = id(r)
	}
	return out
}

// auditReadsByClinic records reads of records spread over clinics.
func (env *Env) auditReadsByClinic(ctx context.Context, st access.AuditAppender, cmd *cobra.Command, entityType string, byClinic map[int64][]int64) error {
	clinics := make([]int64, 0, len(byClinic))
	for c := range byClinic {
		clinics = append(clinics, c)
	}
	slices.Sort(clinics)
	for _, c := range clinics {
		if err := env.auditReads(ctx, st, cmd, c, entityType, byClinic[c]); err != nil {
			return err
		}
	}
	return nil
}

// auditReport records that the caller read report name over clinics.
func (env *Env) auditReport(ctx context.Context, st access.AuditAppender, cmd *cobra.Command, name string, clinics []int64) error {
	for _, c := range clinics {
		if err := access.AuditReads(ctx, st, c, env.actorName(), cmd.CommandPath(), "report", []string{name}); err != nil {
			return &ExitError{Code: 2, Err: err}
		}
	}
	return nil
}
