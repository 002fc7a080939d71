package cli

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
)

// payerFlags are a clinic's payer on the command line.
type payerFlags struct {
	name, receiverID, filing string
	e837, e835, e270         string
	active                   bool
}

func (f *payerFlags) bind(fs *pflag.FlagSet, withActive bool) {
	fs.StringVar(&f.name, "name", f.name, "payer name (default: the registry's)")
	fs.StringVar(&f.receiverID, "receiver-id", f.receiverID, "interchange receiver ID, ISA08 (default: the registry's)")
	fs.StringVar(&f.filing, "claim-filing-code", f.filing, "claim filing indicator, SBR09 (default: the registry's)")
	fs.StringVar(&f.e837, "enroll-837", f.e837, "claims enrollment: none, pending, enrolled or rejected")
	fs.StringVar(&f.e835, "enroll-835", f.e835, "electronic remittance enrollment: none, pending, enrolled or rejected")
	fs.StringVar(&f.e270, "enroll-270", f.e270, "eligibility enrollment: none, pending, enrolled or rejected")
	if withActive {
		fs.BoolVar(&f.active, "active", f.active, "whether the clinic still bills this payer")
	}
}

func payerFlagsOf(p store.Payer) payerFlags {
	return payerFlags{name: p.Name, receiverID: p.ReceiverID, filing: p.ClaimFilingCode, e837: p.Enrollment.Claims,
		e835: p.Enrollment.Remittance, e270: p.Enrollment.Eligibility, active: p.Active}
}

func (f payerFlags) input(payerID string) registration.PayerInput {
	return registration.PayerInput{PayerID: strings.ToUpper(payerID), Name: f.name, ReceiverID: f.receiverID, ClaimFilingCode: f.filing,
		Enrollment: store.Enrollment{Claims: f.e837, Remittance: f.e835, Eligibility: f.e270}, Active: f.active}
}

type payerView struct {
	ID              int64  `json:"id"`
	PayerID         string `json:"payer_id"`
	Name            string `json:"name"`
	ReceiverID      string `json:"receiver_id"`
	ClaimFilingCode string `json:"claim_filing_code"`
	Enrollment      struct {
		Claims      string `json:"837"`
		Remittance  string `json:"835"`
		Eligibility string `json:"270"`
	} `json:"enrollment"`
	Active bool `json:"active"`
}

func viewPayer(p store.Payer) payerView {
	v := payerView{ID: p.ID, PayerID: p.PayerID, Name: p.Name, ReceiverID: p.ReceiverID, ClaimFilingCode: p.ClaimFilingCode, Active: p.Active}
	v.Enrollment.Claims, v.Enrollment.Remittance, v.Enrollment.Eligibility = p.Enrollment.Claims, p.Enrollment.Remittance, p.Enrollment.Eligibility
	return v
}

func payerFields(p store.Payer) []field {
	return []field{{"id", itoa64(p.ID)}, {"payer id", p.PayerID}, {"name", p.Name}, {"receiver id", p.ReceiverID},
		{"claim filing code", p.ClaimFilingCode}, {"enrollment 837", p.Enrollment.Claims}, {"enrollment 835", p.Enrollment.Remittance},
		{"enrollment 270", p.Enrollment.Eligibility}, {"active", yesNo(p.Active)}}
}

// payerRef finds a clinic's payer by row ID or payer ID.
func payerRef(ctx context.Context, q store.Queries, clinicID int64, arg string) (store.Payer, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil && id > 0 {
		if p, err := q.GetPayer(ctx, store.Ref{ClinicID: clinicID, ID: id}); err == nil {
			return p, nil
		}
	}
	return q.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: clinicID, PayerID: strings.ToUpper(arg)})
}

// newPayersCmd builds "clearhouse payers".
func newPayersCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "payers",
		Short: "Register the payers the clinic bills, from the payer registry, with its enrollment for 837, 835 and 270",
	}
	c.AddCommand(newPayersAddCmd(env), newPayersListCmd(env), newPayersShowCmd(env), newPayersUpdateCmd(env), newPayersImportCmd(env),
		newPayersRegistryCmd(env), newPayersCheckCmd(env), newPayersCutoverCmd(env))
	return c
}

func newPayersAddCmd(env *Env) *cobra.Command {
	var f regFlags
	var pf payerFlags
	c := &cobra.Command{
		Use:   "add PAYER_ID",
		Short: "Register a payer of the registry for the clinic (clearhouse payers registry lists them)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			in := pf.input(args[0])
			in.Active = true
			p, err := s.svc.AddPayer(ctx, s.clinic, in)
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, payerFields(p), viewPayer(p))
		},
	}
	pf.bind(c.Flags(), false)
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newPayersListCmd(env *Env) *cobra.Command {
	var f regFlags
	var sortBy string
	var activeOnly bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the clinic's payers and its enrollment with each",
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
			ps, err := s.st.ListPayers(ctx, store.ListPayersParams{ClinicID: s.clinic, ActiveOnly: activeOnly})
			if err != nil {
				return regError(err)
			}
			l := listing{columns: []string{"id", "payer_id", "name", "filing", "837", "835", "270", "active"}}
			var js []any
			for _, p := range ps {
				l.rows = append(l.rows, []string{itoa64(p.ID), p.PayerID, p.Name, p.ClaimFilingCode, p.Enrollment.Claims,
					p.Enrollment.Remittance, p.Enrollment.Eligibility, yesNo(p.Active)})
				js = append(js, viewPayer(p))
			}
			l.json = js
			if err := sortListing(&l, sortBy); err != nil {
				return err
			}
			return writeListing(env.Stdout, f.output, l)
		},
	}
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	c.Flags().BoolVar(&activeOnly, "active", false, "only active payers")
	c.Flags().StringVar(&sortBy, "sort", "", "sort by a column (id, payer_id, name, ...); -field sorts descending")
	outputFlag(c, &f.output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func newPayersShowCmd(env *Env) *cobra.Command {
	var f regFlags
	c := &cobra.Command{
		Use:   "show ID|PAYER_ID",
		Short: "Show one of the clinic's payers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			p, err := payerRef(ctx, s.st, s.clinic, args[0])
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, payerFields(p), viewPayer(p))
		},
	}
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newPayersUpdateCmd(env *Env) *cobra.Command {
	var f regFlags
	var pf payerFlags
	c := &cobra.Command{
		Use:   "update ID|PAYER_ID",
		Short: "Change a payer's fields or enrollment; flags not given keep their values",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			cur, err := payerRef(ctx, s.st, s.clinic, args[0])
			if err != nil {
				return regError(err)
			}
			next := payerFlagsOf(cur)
			if err := overlay(cmd, func(fs *pflag.FlagSet) { next.bind(fs, true) }); err != nil {
				return exitf(2, "%v", err)
			}
			p, err := s.svc.UpdatePayer(ctx, s.clinic, cur.ID, next.input(cur.PayerID))
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, payerFields(p), viewPayer(p))
		},
	}
	pf.bind(c.Flags(), true)
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newPayersImportCmd(env *Env) *cobra.Command {
	return newRegImportCmd(env, regImport{noun: "payers", short: "Register the payers of a CSV file (- for standard input), all or none",
		columns: registration.PayerColumns, rules: "payer_id is required and must be in the payer registry.", needClinic: true,
		run: func(ctx context.Context, s *regSession, name string, r io.Reader) (registration.ImportResult, error) {
			return s.svc.ImportPayers(ctx, s.clinic, name, r)
		}})
}

func newPayersRegistryCmd(env *Env) *cobra.Command {
	var f regFlags
	c := &cobra.Command{
		Use:   "registry",
		Short: "List the payers of the payer registry, which payers add takes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			s, err := f.open(cmdContext(cmd), env, false)
			if err != nil {
				return err
			}
			defer s.Close()
			l := listing{columns: []string{"payer_id", "name", "filing", "transactions", "enrollment_required"}}
			var js []any
			for _, p := range s.svc.Payers().All() {
				txs := make([]string, len(p.Transactions))
				for i, t := range p.Transactions {
					txs[i] = string(t)
				}
				l.rows = append(l.rows, []string{p.ID, p.Name, p.ClaimFilingIndicator, strings.Join(txs, " "), yesNo(p.Enrollment.Required)})
				js = append(js, map[string]any{"payer_id": p.ID, "name": p.Name, "claim_filing_code": p.ClaimFilingIndicator,
					"transactions": txs, "enrollment_required": p.Enrollment.Required})
			}
			l.json = js
			return writeListing(env.Stdout, f.output, l)
		},
	}
	f.register(c, false)
	outputFlag(c, &f.output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}
