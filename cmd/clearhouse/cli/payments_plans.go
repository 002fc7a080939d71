package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/store"
)

func newPaymentPlansCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "plans",
		Short: "Payment plans: a balance paid in scheduled instalments",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newPaymentPlansAddCmd(env), newPaymentPlansListCmd(env), newPaymentPlansRunCmd(env))
	return c
}

func planListing(ps []store.PaymentPlan) listing {
	l := listing{columns: []string{"id", "patient", "total", "instalment", "remaining", "every_days", "next_due", "status", "card_on_file", "failed"}}
	js := []any{}
	for _, p := range ps {
		card := "no"
		if p.PaymentMethodToken != "" {
			card = p.Processor
		}
		row := []string{itoa64(p.ID), itoa64(p.PatientID), money.Cents(p.TotalCents).String(), money.Cents(p.InstalmentCents).String(),
			money.Cents(p.RemainingCents).String(), fmt.Sprint(p.IntervalDays), dateString(p.NextDueOn), p.Status, card, fmt.Sprint(p.FailedAttempts)}
		l.rows = append(l.rows, row)
		m := map[string]string{}
		for i, c := range l.columns {
			m[c] = row[i]
		}
		js = append(js, m)
	}
	l.json = js
	return l
}

func newPaymentPlansAddCmd(env *Env) *cobra.Command {
	var clinic, patient int64
	var total, instalment, first, token, customer, output string
	var every int
	c := &cobra.Command{
		Use:   "add",
		Short: "Put a patient's balance on a payment plan",
		Long: "add creates a payment plan: --instalment every --every days from --first-due until --total (default:\n" +
			"what the patient owes) is paid. With --card-token (the processor's token for a card on file) the\n" +
			"nightly run charges each instalment; without, each instalment due becomes a worklist item for the\n" +
			"front desk, and a payment recorded against the plan counts toward it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			if patient <= 0 {
				return exitf(2, "--patient: want a patient ID")
			}
			tc, err := parseAmountFlag("total", total)
			if err != nil {
				return err
			}
			ic, err := parseAmountFlag("instalment", instalment)
			if err != nil {
				return err
			}
			if ic <= 0 {
				return exitf(2, "--instalment: want the amount of each instalment")
			}
			if every <= 0 {
				return exitf(2, "--every %d: want a number of days", every)
			}
			var fd time.Time
			if first != "" {
				if fd, err = time.Parse(time.DateOnly, first); err != nil {
					return exitf(2, "--first-due %q: want YYYY-MM-DD", first)
				}
			}
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			pl, err := s.svc.CreatePlan(ctx, payments.PlanParams{ClinicID: s.clinic, PatientID: patient, TotalCents: tc, InstalmentCents: ic,
				IntervalDays: every, FirstDue: fd, CardToken: token, CustomerToken: customer})
			if err != nil {
				return payError(err)
			}
			l := planListing([]store.PaymentPlan{pl})
			if output == formatJSON {
				return writeJSONTo(env.Stdout, l.json.([]any)[0])
			}
			return writeListing(env.Stdout, output, l)
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().Int64Var(&patient, "patient", 0, "patient ID (required)")
	c.Flags().StringVar(&total, "total", "", "amount the plan pays (default: what the patient owes)")
	c.Flags().StringVar(&instalment, "instalment", "", "amount of each instalment (required)")
	c.Flags().IntVar(&every, "every", 30, "days between instalments")
	c.Flags().StringVar(&first, "first-due", "", "first instalment's date, YYYY-MM-DD (default: today)")
	c.Flags().StringVar(&token, "card-token", "", "the processor's token for a card on file (never a card number)")
	c.Flags().StringVar(&customer, "customer-token", "", "the processor's customer the card belongs to")
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	return c
}

func newPaymentPlansListCmd(env *Env) *cobra.Command {
	var clinic, patient int64
	var status, output string
	c := &cobra.Command{
		Use:   "list",
		Short: "List payment plans",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			ps, err := s.svc.Plans(ctx, store.ListPaymentPlansParams{ClinicID: s.clinic, PatientID: patient, Status: status})
			if err != nil {
				return payError(err)
			}
			return writeListing(env.Stdout, output, planListing(ps))
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().Int64Var(&patient, "patient", 0, "only this patient's plans")
	c.Flags().StringVar(&status, "status", "", "only active, completed or cancelled plans")
	outputFlag(c, &output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func newPaymentPlansRunCmd(env *Env) *cobra.Command {
	var clinic int64
	c := &cobra.Command{
		Use:   "run",
		Short: "Collect the instalments due today (the nightly run does it too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			r, err := s.svc.RunDuePlans(ctx, s.clinic)
			if err != nil {
				return payError(err)
			}
			fmt.Fprintf(env.Stdout, "%d due: %d charged (%s), %d declined, %d for the front desk, %d paid off\n",
				r.Due, r.Charged, money.Cents(r.Cents).Dollars(), r.Declined, r.Manual, r.Completed)
			return nil
		},
	}
	clinicFlag(c.Flags(), &clinic)
	return c
}
