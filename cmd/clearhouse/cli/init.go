package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
)

// initFlags are what clearhouse init asks for.
type initFlags struct {
	clinic clinicFlags
	prov   providerFlags
	payers []string
	e837   string
	e835   string
	e270   string
	// interactive forces the prompts even when standard input is not a
	// terminal (scripted answers).
	interactive bool
	noPrompt    bool
}

// prompter asks questions on w and reads answers from r.
type prompter struct {
	r *bufio.Reader
	w io.Writer
}

// ask prompts for a value until check accepts it; def is shown and taken
// on an empty answer. End of input is an error.
func (p *prompter) ask(question string, def *string, check func(string) error) error {
	for tries := 0; ; tries++ {
		if *def != "" {
			fmt.Fprintf(p.w, "%s [%s]: ", question, *def)
		} else {
			fmt.Fprintf(p.w, "%s: ", question)
		}
		line, err := p.r.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			fmt.Fprintln(p.w)
			return exitf(2, "init: no answer to %q (end of input)", question)
		}
		v := strings.TrimSpace(line)
		if v == "" {
			v = *def
		}
		if check != nil {
			if err := check(v); err != nil {
				fmt.Fprintf(p.w, "  %v\n", err)
				if tries >= 4 {
					return exitf(1, "init: %s: %v", question, err)
				}
				continue
			}
		}
		*def = v
		return nil
	}
}

func requiredAnswer(v string) error {
	if v == "" {
		return fmt.Errorf("required")
	}
	return nil
}

func npiAnswer(v string) error {
	if !claim.ValidNPI(v) {
		return fmt.Errorf("%q is not a valid NPI (ten digits with a check digit)", v)
	}
	return nil
}

// prompt asks for what the flags left out.
func (f *initFlags) prompt(p *prompter, payerIDs []string) error {
	c := &f.clinic
	fmt.Fprintln(p.w, "Set up your practice: the clinic, a provider and a payer. Press Enter to keep a value in [brackets].")
	steps := []struct {
		q     string
		v     *string
		check func(string) error
	}{
		{"Practice name", &c.name, requiredAnswer},
		{"Billing NPI (the practice's organization NPI)", &c.npi, npiAnswer},
		{"Tax ID (EIN, nine digits)", &c.taxID, nil},
		{"Billing address, street", &c.addr1, requiredAnswer},
		{"City", &c.city, requiredAnswer},
		{"State (two letters)", &c.state, requiredAnswer},
		{"ZIP code (9 digits)", &c.postal, requiredAnswer},
		{"Time zone", &c.zone, nil},
		{"Practice taxonomy code (e.g. 207Q00000X)", &c.taxonomy, nil},
		{"Billing contact name", &c.contactName, nil},
		{"Billing contact phone", &c.contactPhone, nil},
		{"Provider first name", &f.prov.first, nil},
		{"Provider last name", &f.prov.last, requiredAnswer},
		{"Provider NPI", &f.prov.npi, npiAnswer},
		{"Provider taxonomy code", &f.prov.taxonomy, nil},
	}
	for _, s := range steps {
		if err := p.ask(s.q, s.v, s.check); err != nil {
			return err
		}
	}
	payer := strings.Join(f.payers, ",")
	if err := p.ask("Payer IDs, comma-separated ("+strings.Join(payerIDs, ", ")+")", &payer, requiredAnswer); err != nil {
		return err
	}
	f.payers = splitComma(payer)
	return nil
}

// missing reports whether a value init needs was not given.
func (f *initFlags) missing() bool {
	c := f.clinic
	for _, v := range []string{c.name, c.npi, c.addr1, c.city, c.state, c.postal, f.prov.npi, f.prov.last} {
		if v == "" {
			return true
		}
	}
	return len(f.payers) == 0
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.ToUpper(p))
		}
	}
	return out
}

// newInitCmd builds "clearhouse init".
func newInitCmd(env *Env) *cobra.Command {
	var f regFlags
	var in initFlags
	c := &cobra.Command{
		Use:   "init",
		Short: "Set up a new practice: migrate the database, then register the clinic, a provider and a payer",
		Long: `Set up a new practice on an empty database: migrate it, then register the clinic
(name, NPI, tax ID, billing address, time zone), a provider and the payers it bills.

Give everything as flags, or run it in a terminal and answer the questions for what
the flags leave out. Add more providers, payers and patients afterwards with
clearhouse providers add, payers add, patients add and coverage add.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmdContext(cmd)
			f.create = true
			s, err := f.open(ctx, env, false)
			if err != nil {
				return err
			}
			defer s.Close()
			if _, err := s.st.Migrate(ctx); err != nil {
				return &ExitError{Code: 2, Err: fmt.Errorf("migrate: %w", err)}
			}
			clinics, err := s.st.ListClinics(ctx)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			if len(clinics) > 0 {
				return exitf(1, "init: the database already has %d clinic(s); add another with clearhouse clinics add", len(clinics))
			}
			if in.interactive || (!in.noPrompt && in.missing() && isTerminal(env.Stdin)) {
				var ids []string
				for _, p := range s.svc.Payers().All() {
					ids = append(ids, p.ID)
				}
				if err := in.prompt(&prompter{r: bufio.NewReader(env.Stdin), w: env.Stderr}, ids); err != nil {
					return err
				}
			}
			ci, err := in.clinic.input("")
			if err != nil {
				return err
			}
			p := registration.Practice{Clinic: ci}
			pi := in.prov.input()
			pi.Active = true
			if pi.Role == "" {
				pi.Role = store.ProviderRendering
			}
			p.Providers = []registration.ProviderInput{pi}
			for _, id := range in.payers {
				p.Payers = append(p.Payers, registration.PayerInput{PayerID: strings.ToUpper(id), Active: true,
					Enrollment: store.Enrollment{Claims: in.e837, Remittance: in.e835, Eligibility: in.e270}})
			}
			res, err := s.svc.Setup(ctx, p)
			if err != nil {
				return regError(err)
			}
			w := env.Stdout
			fmt.Fprintf(w, "clinic %d: %s (NPI %s)\n", res.Clinic.ID, res.Clinic.Name, res.Clinic.NPI)
			for _, pr := range res.Providers {
				fmt.Fprintf(w, "provider %d: %s (NPI %s, %s)\n", pr.ID, providerDisplayName(pr), pr.NPI, pr.Role)
			}
			for _, py := range res.Payers {
				fmt.Fprintf(w, "payer %d: %s %s (837 %s, 835 %s, 270 %s)\n", py.ID, py.PayerID, py.Name, py.Enrollment.Claims,
					py.Enrollment.Remittance, py.Enrollment.Eligibility)
			}
			_, err = fmt.Fprintln(w, "next: clearhouse patients add, coverage add, then charges add (see the README, \"Set up your practice\")")
			return err
		},
	}
	fl := c.Flags()
	in.clinic.bind(fl)
	fl.StringVar(&in.prov.npi, "provider-npi", "", "the provider's NPI")
	fl.StringVar(&in.prov.first, "provider-first-name", "", "the provider's first name")
	fl.StringVar(&in.prov.last, "provider-last-name", "", "the provider's last name")
	fl.StringVar(&in.prov.taxonomy, "provider-taxonomy", "", "the provider's NUCC taxonomy code")
	fl.StringVar(&in.prov.role, "provider-role", "", "rendering (default), billing or both")
	fl.StringSliceVar(&in.payers, "payer", nil, "payer ID from the registry (repeatable; clearhouse payers registry lists them)")
	fl.StringVar(&in.e837, "enroll-837", "", "claims enrollment with the payers: none, pending, enrolled or rejected")
	fl.StringVar(&in.e835, "enroll-835", "", "remittance enrollment with the payers")
	fl.StringVar(&in.e270, "enroll-270", "", "eligibility enrollment with the payers")
	fl.BoolVar(&in.interactive, "interactive", false, "ask for missing values even when standard input is not a terminal")
	fl.BoolVar(&in.noPrompt, "no-prompt", false, "never ask; fail on missing values")
	f.register(c, false)
	return c
}
