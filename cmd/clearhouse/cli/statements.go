package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// newStatementsCmd builds "clearhouse statements": plain-text patient
// statements on stdout.
func newStatementsCmd(env *Env) *cobra.Command {
	var clinic, patient int64
	var date, out string
	var pdf bool
	c := &cobra.Command{
		Use:   "statements",
		Short: "Print patient statements (every patient with a balance due, or one patient)",
		Long: "statements prints a plain-text statement for every patient of the clinic who owes a balance,\n" +
			"ordered by patient ID, or with --patient for that patient whatever the balance. Each statement lists\n" +
			"the visits with their charges, what insurance paid, the adjustments, what is pending with payers\n" +
			"and the patient's share and payments, then payments and credits, the balance due and its aging\n" +
			"(current, 31-60, 61-90, over 90 days). --pdf writes them as one PDF into --out. Statements are separated\n" +
			"by a form feed, so each prints on a page of its own.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now
			if date != "" {
				d, err := time.Parse(time.DateOnly, date)
				if err != nil {
					return exitf(2, "--date %q: want YYYY-MM-DD", date)
				}
				now = func() time.Time { return d }
			}
			if pdf && out == "" {
				return exitf(2, "--pdf: name the file with --out")
			}
			if patient < 0 {
				return exitf(2, "--patient %d: want a positive patient ID", patient)
			}
			ctx := cmdContext(cmd)
			st, err := env.openStore(ctx, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer st.Close()
			svc, err := billing.New(st, billing.Options{Now: now, Actor: env.actorName()})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			var clinics []int64
			if clinic != 0 || patient != 0 {
				id, err := clinicOrOnly(ctx, st, clinic)
				if err != nil {
					return err
				}
				clinics = []int64{id}
			} else {
				all, err := st.ListClinics(ctx)
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				for _, c := range all {
					clinics = append(clinics, c.ID)
				}
			}
			var statements []*billing.Statement
			if patient != 0 {
				s, err := svc.Statement(ctx, clinics[0], patient)
				if err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return &ExitError{Code: 1, Err: fmt.Errorf("clinic %d: %w", clinics[0], err)}
					}
					return &ExitError{Code: 2, Err: err}
				}
				statements = append(statements, s)
			} else {
				for _, id := range clinics {
					ss, err := svc.Statements(ctx, id)
					if err != nil {
						return &ExitError{Code: 2, Err: fmt.Errorf("clinic %d: %w", id, err)}
					}
					statements = append(statements, ss...)
				}
			}
			reads := map[int64][]int64{}
			for _, s := range statements {
				reads[s.Clinic.ID] = append(reads[s.Clinic.ID], s.Patient.ID)
			}
			if err := env.auditReadsByClinic(ctx, st, cmd, "statement", reads); err != nil {
				return err
			}
			if pdf {
				if err := writeTo(env, out, func(w io.Writer) error { return billing.WriteStatementsPDF(w, statements) }); err != nil {
					return err
				}
				fmt.Fprintf(env.Stderr, "%d statements in %s\n", len(statements), out)
				return nil
			}
			for i, s := range statements {
				if i > 0 {
					if _, err := fmt.Fprint(env.Stdout, "\f\n"); err != nil {
						return err
					}
				}
				if err := billing.WriteStatement(env.Stdout, s); err != nil {
					return err
				}
			}
			if len(statements) == 1 {
				fmt.Fprintln(env.Stderr, "1 statement")
			} else {
				fmt.Fprintf(env.Stderr, "%d statements\n", len(statements))
			}
			return nil
		},
	}
	c.Flags().Int64Var(&clinic, "clinic", 0, "clinic ID (default: every clinic; with --patient, the only clinic)")
	c.Flags().Int64Var(&patient, "patient", 0, "patient ID: this patient's statement, even with nothing due")
	c.Flags().StringVar(&date, "date", "", "statement date, YYYY-MM-DD (default: today)")
	c.Flags().BoolVar(&pdf, "pdf", false, "write the statements as one PDF (a page or more each) into --out")
	c.Flags().StringVar(&out, "out", "", "file for --pdf")
	return c
}
