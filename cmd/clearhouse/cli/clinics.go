package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
)

// clinicFlags are a clinic's fields on the command line.
type clinicFlags struct {
	name, npi, taxID, submitterID                string
	addr1, addr2, city, state, postal, zone      string
	taxonomy, contactName, contactPhone, contact string
	profile                                      string
}

func (f *clinicFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "name", f.name, "practice name (the billing provider, Loop 2010AA NM103)")
	fs.StringVar(&f.npi, "npi", f.npi, "billing provider NPI (Loop 2010AA NM109)")
	fs.StringVar(&f.taxID, "tax-id", f.taxID, "employer identification number, nine digits (Loop 2010AA REF*EI)")
	fs.StringVar(&f.submitterID, "submitter-id", f.submitterID, "submitter ID the clearinghouse uses for the clinic (Loop 1000A NM109)")
	fs.StringVar(&f.addr1, "address-line1", f.addr1, "billing address, first line (Loop 2010AA N301; no P.O. box)")
	fs.StringVar(&f.addr2, "address-line2", f.addr2, "billing address, second line")
	fs.StringVar(&f.city, "city", f.city, "billing address city")
	fs.StringVar(&f.state, "state", f.state, "billing address state, two letters")
	fs.StringVar(&f.postal, "postal-code", f.postal, "billing address ZIP code, 9 digits for claims")
	fs.StringVar(&f.zone, "time-zone", f.zone, "IANA time zone of the practice (e.g. America/New_York)")
	fs.StringVar(&f.taxonomy, "taxonomy", f.taxonomy, "billing provider taxonomy code (PRV03)")
	fs.StringVar(&f.contactName, "contact-name", f.contactName, "submitter contact name (Loop 1000A PER02)")
	fs.StringVar(&f.contactPhone, "contact-phone", f.contactPhone, "submitter contact phone")
	fs.StringVar(&f.contact, "contact-email", f.contact, "submitter contact email")
	fs.StringVar(&f.profile, "profile", f.profile, "billing profile YAML to keep with the clinic: fee schedule, expected allowed amounts, facility type")
}

func clinicFlagsOf(c store.Clinic) clinicFlags {
	s := c.ClinicSettings
	return clinicFlags{name: c.Name, npi: c.NPI, taxID: c.TaxID, submitterID: c.SubmitterID, addr1: s.AddressLine1,
		addr2: s.AddressLine2, city: s.City, state: s.State, postal: s.PostalCode, zone: s.TimeZone, taxonomy: s.TaxonomyCode,
		contactName: s.ContactName, contactPhone: s.ContactPhone, contact: s.ContactEmail}
}

// input is the clinic the flags describe; profile is the stored profile
// text kept when --profile is not given.
func (f clinicFlags) input(profile string) (registration.ClinicInput, error) {
	if f.profile != "" {
		raw, err := os.ReadFile(f.profile)
		if err != nil {
			return registration.ClinicInput{}, exitf(2, "--profile: %v", err)
		}
		profile = string(raw)
	}
	return registration.ClinicInput{Name: f.name, NPI: f.npi, TaxID: f.taxID, SubmitterID: f.submitterID,
		ClinicSettings: store.ClinicSettings{AddressLine1: f.addr1, AddressLine2: f.addr2, City: f.city, State: f.state,
			PostalCode: f.postal, TimeZone: f.zone, TaxonomyCode: f.taxonomy, ContactName: f.contactName,
			ContactPhone: f.contactPhone, ContactEmail: f.contact, Profile: profile}}, nil
}

type addressView struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
}

type clinicView struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	NPI         string      `json:"npi"`
	TaxID       string      `json:"tax_id"`
	SubmitterID string      `json:"submitter_id"`
	Address     addressView `json:"address"`
	TimeZone    string      `json:"time_zone"`
	Taxonomy    string      `json:"taxonomy"`
	Contact     struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
		Email string `json:"email"`
	} `json:"contact"`
	Profile string `json:"profile"`
}

func viewClinic(c store.Clinic) clinicView {
	s := c.ClinicSettings
	v := clinicView{ID: c.ID, Name: c.Name, NPI: c.NPI, TaxID: c.TaxID, SubmitterID: c.SubmitterID,
		Address:  addressView{Line1: s.AddressLine1, Line2: s.AddressLine2, City: s.City, State: s.State, PostalCode: s.PostalCode},
		TimeZone: s.TimeZone, Taxonomy: s.TaxonomyCode, Profile: s.Profile}
	v.Contact.Name, v.Contact.Phone, v.Contact.Email = s.ContactName, s.ContactPhone, s.ContactEmail
	return v
}

func addressLine(a addressView) string {
	parts := []string{}
	for _, p := range []string{a.Line1, a.Line2, a.City, strings.TrimSpace(a.State + " " + a.PostalCode)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

func clinicFields(c store.Clinic) []field {
	v := viewClinic(c)
	profile := ""
	if p := strings.TrimSpace(c.Profile); p != "" {
		profile = itoa64(int64(strings.Count(p, "\n")+1)) + " lines of YAML (clinics show -o json prints it)"
	}
	return []field{{"id", itoa64(c.ID)}, {"name", c.Name}, {"npi", c.NPI}, {"tax id", c.TaxID}, {"submitter id", c.SubmitterID},
		{"address", addressLine(v.Address)}, {"time zone", c.TimeZone}, {"taxonomy", c.TaxonomyCode},
		{"contact", strings.Join(nonEmpty(c.ContactName, c.ContactPhone, c.ContactEmail), ", ")}, {"profile", profile}}
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// newClinicsCmd builds "clearhouse clinics".
func newClinicsCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "clinics",
		Short: "Register the practice: name, NPI, tax ID, billing address, time zone and billing profile",
	}
	c.AddCommand(newClinicsAddCmd(env), newClinicsListCmd(env), newClinicsShowCmd(env), newClinicsUpdateCmd(env), newClinicsImportCmd(env))
	return c
}

func newClinicsAddCmd(env *Env) *cobra.Command {
	var f regFlags
	var cf clinicFlags
	c := &cobra.Command{
		Use:   "add",
		Short: "Register a clinic",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			in, err := cf.input("")
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, false)
			if err != nil {
				return err
			}
			defer s.Close()
			cl, err := s.svc.AddClinic(ctx, in)
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, clinicFields(cl), viewClinic(cl))
		},
	}
	cf.bind(c.Flags())
	f.register(c, false)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newClinicsListCmd(env *Env) *cobra.Command {
	var f regFlags
	var sortBy string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the clinics of the database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, false)
			if err != nil {
				return err
			}
			defer s.Close()
			cls, err := s.st.ListClinics(ctx)
			if err != nil {
				return regError(err)
			}
			l := listing{columns: []string{"id", "name", "npi", "tax_id", "city", "state", "time_zone"}}
			var js []any
			for _, cl := range cls {
				l.rows = append(l.rows, []string{itoa64(cl.ID), cl.Name, cl.NPI, cl.TaxID, cl.City, cl.State, cl.TimeZone})
				js = append(js, viewClinic(cl))
			}
			l.json = js
			if err := sortListing(&l, sortBy); err != nil {
				return err
			}
			return writeListing(env.Stdout, f.output, l)
		},
	}
	c.Flags().StringVar(&sortBy, "sort", "", "sort by a column (id, name, npi, ...); -field sorts descending")
	outputFlag(c, &f.output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

// clinicByID reads a clinic from the operators' list of clinics.
func clinicByID(ctx context.Context, st store.Store, id int64) (store.Clinic, error) {
	cls, err := st.ListClinics(ctx)
	if err != nil {
		return store.Clinic{}, err
	}
	for _, c := range cls {
		if c.ID == id {
			return c, nil
		}
	}
	return store.Clinic{}, fmt.Errorf("clinic %d: %w", id, store.ErrNotFound)
}

// clinicArg is the clinic a show or update names: its ID, or the only
// clinic.
func clinicArg(args []string) (int64, error) {
	if len(args) == 0 {
		return 0, nil
	}
	return parseID(args[0], "clinic")
}

func newClinicsShowCmd(env *Env) *cobra.Command {
	var f regFlags
	c := &cobra.Command{
		Use:   "show [ID]",
		Short: "Show a clinic (default: the only clinic)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := clinicArg(args)
			if err != nil {
				return err
			}
			f.clinic = id
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			cl, err := clinicByID(ctx, s.st, s.clinic)
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, clinicFields(cl), viewClinic(cl))
		},
	}
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newClinicsUpdateCmd(env *Env) *cobra.Command {
	var f regFlags
	var cf clinicFlags
	c := &cobra.Command{
		Use:   "update [ID]",
		Short: "Change a clinic's fields (default: the only clinic); flags not given keep their values",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := clinicArg(args)
			if err != nil {
				return err
			}
			f.clinic = id
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			cur, err := clinicByID(ctx, s.st, s.clinic)
			if err != nil {
				return regError(err)
			}
			next := clinicFlagsOf(cur)
			if err := overlay(cmd, next.bind); err != nil {
				return exitf(2, "%v", err)
			}
			in, err := next.input(cur.Profile)
			if err != nil {
				return err
			}
			cl, err := s.svc.UpdateClinic(ctx, s.clinic, in)
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, clinicFields(cl), viewClinic(cl))
		},
	}
	cf.bind(c.Flags())
	f.register(c, false)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newClinicsImportCmd(env *Env) *cobra.Command {
	return newRegImportCmd(env, regImport{noun: "clinics", short: "Register the clinics of a CSV file (- for standard input)",
		columns: registration.ClinicColumns, rules: "name and npi are required. Every row is checked before any is written.",
		run: func(ctx context.Context, s *regSession, name string, r io.Reader) (registration.ImportResult, error) {
			return s.svc.ImportClinics(ctx, name, r)
		}})
}
