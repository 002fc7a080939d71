package cli

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
)

// providerFlags are a provider's fields on the command line.
type providerFlags struct {
	npi, first, last, org, taxonomy, role string
	active                                bool
}

func (f *providerFlags) bind(fs *pflag.FlagSet, withActive bool) {
	fs.StringVar(&f.npi, "npi", f.npi, "the provider's NPI (checked: ten digits with a valid check digit)")
	fs.StringVar(&f.first, "first-name", f.first, "first name")
	fs.StringVar(&f.last, "last-name", f.last, "last name")
	fs.StringVar(&f.org, "organization", f.org, "organization name, for a group that renders or bills")
	fs.StringVar(&f.taxonomy, "taxonomy", f.taxonomy, "NUCC taxonomy code (PRV03), e.g. 207Q00000X family medicine")
	fs.StringVar(&f.role, "role", f.role, "rendering, billing or both (default rendering)")
	if withActive {
		fs.BoolVar(&f.active, "active", f.active, "whether the provider still sees patients")
	}
}

func providerFlagsOf(p store.Provider) providerFlags {
	return providerFlags{npi: p.NPI, first: p.FirstName, last: p.LastName, org: p.OrganizationName, taxonomy: p.TaxonomyCode,
		role: p.Role, active: p.Active}
}

func (f providerFlags) input() registration.ProviderInput {
	return registration.ProviderInput{NPI: f.npi, FirstName: f.first, LastName: f.last, OrganizationName: f.org,
		TaxonomyCode: strings.ToUpper(f.taxonomy), Role: f.role, Active: f.active}
}

type providerView struct {
	ID           int64  `json:"id"`
	NPI          string `json:"npi"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Organization string `json:"organization,omitempty"`
	Taxonomy     string `json:"taxonomy"`
	Role         string `json:"role"`
	Active       bool   `json:"active"`
}

func viewProvider(p store.Provider) providerView {
	return providerView{ID: p.ID, NPI: p.NPI, FirstName: p.FirstName, LastName: p.LastName, Organization: p.OrganizationName,
		Taxonomy: p.TaxonomyCode, Role: p.Role, Active: p.Active}
}

func providerDisplayName(p store.Provider) string {
	if p.OrganizationName != "" {
		return p.OrganizationName
	}
	if p.FirstName == "" {
		return p.LastName
	}
	return p.LastName + ", " + p.FirstName
}

func providerFields(p store.Provider) []field {
	return []field{{"id", itoa64(p.ID)}, {"name", providerDisplayName(p)}, {"npi", p.NPI}, {"taxonomy", p.TaxonomyCode},
		{"role", p.Role}, {"active", yesNo(p.Active)}}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// newProvidersCmd builds "clearhouse providers".
func newProvidersCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "providers",
		Short: "Register the clinic's rendering and billing providers",
	}
	c.AddCommand(newProvidersAddCmd(env), newProvidersListCmd(env), newProvidersShowCmd(env), newProvidersUpdateCmd(env), newProvidersImportCmd(env))
	return c
}

func newProvidersAddCmd(env *Env) *cobra.Command {
	var f regFlags
	var pf providerFlags
	c := &cobra.Command{
		Use:   "add",
		Short: "Register a provider",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			in := pf.input()
			in.Active = true
			p, err := s.svc.AddProvider(ctx, s.clinic, in)
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, providerFields(p), viewProvider(p))
		},
	}
	pf.bind(c.Flags(), false)
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newProvidersListCmd(env *Env) *cobra.Command {
	var f regFlags
	var sortBy string
	var activeOnly bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the clinic's providers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			ps, err := s.st.ListProviders(ctx, store.ListProvidersParams{ClinicID: s.clinic, ActiveOnly: activeOnly})
			if err != nil {
				return regError(err)
			}
			l := listing{columns: []string{"id", "name", "npi", "taxonomy", "role", "active"}}
			var js []any
			for _, p := range ps {
				l.rows = append(l.rows, []string{itoa64(p.ID), providerDisplayName(p), p.NPI, p.TaxonomyCode, p.Role, yesNo(p.Active)})
				js = append(js, viewProvider(p))
			}
			l.json = js
			if err := sortListing(&l, sortBy); err != nil {
				return err
			}
			return writeListing(env.Stdout, f.output, l)
		},
	}
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	c.Flags().BoolVar(&activeOnly, "active", false, "only active providers")
	c.Flags().StringVar(&sortBy, "sort", "", "sort by a column (id, name, npi, taxonomy, role, active); -field sorts descending")
	outputFlag(c, &f.output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func newProvidersShowCmd(env *Env) *cobra.Command {
	var f regFlags
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show a provider",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := parseID(args[0], "provider")
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			p, err := s.st.GetProvider(ctx, store.Ref{ClinicID: s.clinic, ID: id})
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, providerFields(p), viewProvider(p))
		},
	}
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newProvidersUpdateCmd(env *Env) *cobra.Command {
	var f regFlags
	var pf providerFlags
	c := &cobra.Command{
		Use:   "update ID",
		Short: "Change a provider's fields; flags not given keep their values",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := parseID(args[0], "provider")
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			cur, err := s.st.GetProvider(ctx, store.Ref{ClinicID: s.clinic, ID: id})
			if err != nil {
				return regError(err)
			}
			next := providerFlagsOf(cur)
			if err := overlay(cmd, func(fs *pflag.FlagSet) { next.bind(fs, true) }); err != nil {
				return exitf(2, "%v", err)
			}
			p, err := s.svc.UpdateProvider(ctx, s.clinic, id, next.input())
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, providerFields(p), viewProvider(p))
		},
	}
	pf.bind(c.Flags(), true)
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newProvidersImportCmd(env *Env) *cobra.Command {
	return newRegImportCmd(env, regImport{noun: "providers", short: "Register the providers of a CSV file (- for standard input), all or none",
		columns: registration.ProviderColumns, rules: "npi is required. Every row is checked; a file with any bad row writes nothing.", needClinic: true,
		run: func(ctx context.Context, s *regSession, name string, r io.Reader) (registration.ImportResult, error) {
			return s.svc.ImportProviders(ctx, s.clinic, name, r)
		}})
}
