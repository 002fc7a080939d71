package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// paySession is an open store with its clinic and the payments service.
type paySession struct {
	st     store.Store
	clinic int64
	svc    *payments.Service
}

func (s *paySession) Close() { s.st.Close() }

// openPayments opens the database and builds the payments service; card
// payments go through Stripe when CLEARHOUSE_STRIPE_SECRET_KEY is set
// (CLEARHOUSE_STRIPE_URL points it at a test server).
func openPayments(ctx context.Context, env *Env, clinic int64) (*paySession, error) {
	st, err := storedb.Open(ctx, env.Database, storedb.Options{})
	if err != nil {
		return nil, &ExitError{Code: 2, Err: err}
	}
	id, err := clinicOrOnly(ctx, st, clinic)
	if err != nil {
		st.Close()
		return nil, err
	}
	opts := payments.Options{Actor: actorOf(env)}
	if key := env.Getenv("CLEARHOUSE_STRIPE_SECRET_KEY"); key != "" {
		proc, err := payments.NewStripe(payments.StripeConfig{SecretKey: key, URL: env.Getenv("CLEARHOUSE_STRIPE_URL")})
		if err != nil {
			st.Close()
			return nil, &ExitError{Code: 2, Err: err}
		}
		opts.Processor = proc
	}
	return &paySession{st: st, clinic: id, svc: payments.New(st, opts)}, nil
}

// actorOf names the acting user as the worklist commands do.
func actorOf(env *Env) string {
	for _, k := range []string{"CLEARHOUSE_USER", "USER"} {
		if v := env.Getenv(k); v != "" {
			return v
		}
	}
	return "cli"
}

// payError maps the service's errors to exit statuses: refused input, a
// missing row or a conflict is 1.
func payError(err error) error {
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: 1, Err: err}
}

func parseAmountFlag(name, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	c, err := money.Parse(v)
	if err != nil || c < 0 {
		return 0, exitf(2, "--%s %q: want an amount such as 25.00", name, v)
	}
	return int64(c), nil
}

func optID(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

type patientPaymentView struct {
	ID                 int64                   `json:"id"`
	PatientID          int64                   `json:"patientId"`
	Amount             string                  `json:"amount"`
	Method             string                  `json:"method"`
	Status             string                  `json:"status"`
	Reference          string                  `json:"reference,omitempty"`
	ReceivedOn         string                  `json:"receivedOn"`
	Applied            string                  `json:"applied"`
	OnAccount          string                  `json:"onAccount"`
	Refunded           string                  `json:"refunded"`
	ClaimID            *int64                  `json:"claimId,omitempty"`
	AppointmentID      *int64                  `json:"appointmentId,omitempty"`
	PlanID             *int64                  `json:"planId,omitempty"`
	Processor          string                  `json:"processor,omitempty"`
	ProcessorPaymentID string                  `json:"processorPaymentId,omitempty"`
	Card               string                  `json:"card,omitempty"`
	Allocations        []paymentAllocationView `json:"allocations,omitempty"`
}

type paymentAllocationView struct {
	Kind    string `json:"kind"`
	ClaimID *int64 `json:"claimId,omitempty"`
	Amount  string `json:"amount"`
	Refund  string `json:"processorRefundId,omitempty"`
}

func viewPayment(p store.PatientPayment, allocs []store.PaymentAllocation) patientPaymentView {
	v := patientPaymentView{ID: p.ID, PatientID: p.PatientID, Amount: money.Cents(p.AmountCents).String(), Method: p.Method, Status: p.Status,
		Reference: p.Reference, ReceivedOn: dateString(p.ReceivedOn), Applied: money.Cents(p.AppliedCents).String(),
		OnAccount: money.Cents(p.UnappliedCents()).String(), Refunded: money.Cents(p.RefundedCents).String(), ClaimID: p.ClaimID,
		AppointmentID: p.AppointmentID, PlanID: p.PlanID, Processor: p.Processor, ProcessorPaymentID: p.ProcessorPaymentID}
	if p.CardLast4 != "" {
		v.Card = p.CardBrand + " " + p.CardLast4
	}
	for _, a := range allocs {
		v.Allocations = append(v.Allocations, paymentAllocationView{Kind: a.Kind, ClaimID: a.ClaimID, Amount: money.Cents(a.AmountCents).String(), Refund: a.ProcessorRefundID})
	}
	return v
}

func paymentListing(ps []store.PatientPayment) listing {
	l := listing{columns: []string{"id", "patient", "received", "method", "amount", "applied", "on_account", "refunded", "status", "reference"}}
	js := []any{}
	for _, p := range ps {
		l.rows = append(l.rows, []string{itoa64(p.ID), itoa64(p.PatientID), dateString(p.ReceivedOn), p.Method, money.Cents(p.AmountCents).String(),
			money.Cents(p.AppliedCents).String(), money.Cents(p.UnappliedCents()).String(), money.Cents(p.RefundedCents).String(), p.Status, p.Reference})
		js = append(js, viewPayment(p, nil))
	}
	l.json = js
	return l
}

// writePayment prints a payment and its allocations.
func writePayment(w io.Writer, format string, r payments.Result) error {
	if format == formatJSON {
		return writeJSONTo(w, viewPayment(r.Payment, r.Allocations))
	}
	if err := writeListing(w, formatTable, paymentListing([]store.PatientPayment{r.Payment})); err != nil {
		return err
	}
	if len(r.Allocations) == 0 {
		return nil
	}
	l := listing{columns: []string{"kind", "claim", "amount", "processor_refund"}}
	for _, a := range r.Allocations {
		claim := ""
		if a.ClaimID != nil {
			claim = itoa64(*a.ClaimID)
		}
		l.rows = append(l.rows, []string{a.Kind, claim, money.Cents(a.AmountCents).String(), a.ProcessorRefundID})
	}
	fmt.Fprintln(w)
	return writeListing(w, formatTable, l)
}

// newPaymentsCmd builds "clearhouse payments": patient payments, refunds
// and payment plans.
func newPaymentsCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "payments",
		Short: "Patient payments: copays, statement and card payments, refunds, voids, payment plans",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newPaymentsAddCmd(env), newPaymentsListCmd(env), newPaymentsShowCmd(env), newPaymentsVoidCmd(env),
		newPaymentsRefundCmd(env), newPaymentsApplyCmd(env), newPaymentPlansCmd(env))
	return c
}

func clinicFlag(fs *pflag.FlagSet, p *int64) {
	fs.Int64Var(p, "clinic", 0, "clinic ID (default: the only clinic of the database)")
}

func newPaymentsAddCmd(env *Env) *cobra.Command {
	var clinic, patient, claim, appt int64
	var amount, method, ref, memo, date, token, customer, output string
	c := &cobra.Command{
		Use:   "add",
		Short: "Record a patient payment (a copay at check-in with --appointment and no --amount)",
		Long: "add records money a patient paid and applies it to the patient's oldest open balances (or to\n" +
			"--claim first); what is left stays on account and is applied when payers leave more to the patient.\n" +
			"With --appointment and no --amount the copay of the appointment's coverage (from the last 271) is\n" +
			"taken. A card payment is charged through the card processor (Stripe, when\n" +
			"CLEARHOUSE_STRIPE_SECRET_KEY is set) with --card-token, the processor's token for the card:\n" +
			"Clearhouse never sees or stores a card number.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			if patient <= 0 {
				return exitf(2, "--patient: want a patient ID")
			}
			cents, err := parseAmountFlag("amount", amount)
			if err != nil {
				return err
			}
			if cents == 0 && appt == 0 {
				return exitf(2, "--amount: want an amount (or --appointment to take its copay)")
			}
			var day time.Time
			if date != "" {
				if day, err = time.Parse(time.DateOnly, date); err != nil {
					return exitf(2, "--date %q: want YYYY-MM-DD", date)
				}
			}
			switch method {
			case store.PaymentCash, store.PaymentCheck, store.PaymentCard:
			default:
				return exitf(2, "--method %q: want cash, check or card", method)
			}
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.svc.Add(ctx, payments.AddParams{ClinicID: s.clinic, PatientID: patient, AmountCents: cents, Method: method,
				ClaimID: optID(claim), AppointmentID: optID(appt), Reference: ref, Memo: memo, Date: day, CardToken: token, CustomerToken: customer})
			if err != nil {
				return payError(err)
			}
			return writePayment(env.Stdout, output, res)
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().Int64Var(&patient, "patient", 0, "patient ID (required)")
	c.Flags().StringVar(&amount, "amount", "", "amount paid, e.g. 25.00 (default with --appointment: the copay)")
	c.Flags().StringVar(&method, "method", store.PaymentCash, "cash, check or card")
	c.Flags().Int64Var(&claim, "claim", 0, "apply to this claim's patient balance first")
	c.Flags().Int64Var(&appt, "appointment", 0, "the appointment the payment was taken at (its copay when --amount is left out)")
	c.Flags().StringVar(&ref, "reference", "", "receipt or check number, unique per clinic (card: the processor's payment ID)")
	c.Flags().StringVar(&memo, "memo", "", "a note kept with the payment")
	c.Flags().StringVar(&date, "date", "", "day received, YYYY-MM-DD (default: today)")
	c.Flags().StringVar(&token, "card-token", "", "card payments: the processor's payment method token (never a card number)")
	c.Flags().StringVar(&customer, "customer-token", "", "card payments: the processor's customer, for a card on file")
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	return c
}

func newPaymentsListCmd(env *Env) *cobra.Command {
	var clinic, patient int64
	var status, output, sortBy string
	var unapplied bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List patient payments",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			if status != "" && status != store.PaymentPosted && status != store.PaymentVoided {
				return exitf(2, "--status %q: want posted or voided", status)
			}
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			ps, err := s.svc.List(ctx, store.ListPatientPaymentsParams{ClinicID: s.clinic, PatientID: patient, Status: status, Unapplied: unapplied})
			if err != nil {
				return payError(err)
			}
			l := paymentListing(ps)
			if err := sortListing(&l, sortBy); err != nil {
				return err
			}
			return writeListing(env.Stdout, output, l)
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().Int64Var(&patient, "patient", 0, "only this patient's payments")
	c.Flags().StringVar(&status, "status", "", "only posted or voided payments")
	c.Flags().BoolVar(&unapplied, "unapplied", false, "only payments with money on account")
	c.Flags().StringVar(&sortBy, "sort", "", "sort by a column (id, received, amount, ...); -field sorts descending")
	outputFlag(c, &output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func newPaymentsShowCmd(env *Env) *cobra.Command {
	var clinic int64
	var output, receipt, out string
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show a payment and what it paid, or its receipt (--receipt text|pdf)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := parseID(args[0], "payment ID")
			if err != nil {
				return err
			}
			if receipt != "" && receipt != "text" && receipt != "pdf" {
				return exitf(2, "--receipt %q: want text or pdf", receipt)
			}
			if receipt == "pdf" && out == "" {
				return exitf(2, "--receipt pdf: name the file with --out")
			}
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			if receipt == "" {
				res, err := s.svc.Get(ctx, s.clinic, id)
				if err != nil {
					return payError(err)
				}
				return writePayment(env.Stdout, output, res)
			}
			rc, err := s.svc.Receipt(ctx, s.clinic, id)
			if err != nil {
				return payError(err)
			}
			return writeTo(env, out, func(w io.Writer) error {
				if receipt == "pdf" {
					return payments.WriteReceiptPDF(w, rc)
				}
				return payments.WriteReceipt(w, rc)
			})
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().StringVar(&receipt, "receipt", "", "print the receipt instead: text or pdf")
	c.Flags().StringVar(&out, "out", "", "write to this file (required for a PDF)")
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	return c
}

// writeTo writes to --out FILE, or standard output when empty.
func writeTo(env *Env, out string, fn func(w io.Writer) error) error {
	if out == "" {
		return fn(env.Stdout)
	}
	f, err := os.Create(out)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func newPaymentsVoidCmd(env *Env) *cobra.Command {
	var clinic int64
	var reason, output string
	c := &cobra.Command{
		Use:   "void ID",
		Short: "Void a payment entered in error: its postings are reversed (a card payment is refunded)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := parseID(args[0], "payment ID")
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.svc.Void(ctx, s.clinic, id, reason)
			if err != nil {
				return payError(err)
			}
			return writePayment(env.Stdout, output, res)
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().StringVar(&reason, "reason", "", "why, kept in the audit log")
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	return c
}

func newPaymentsRefundCmd(env *Env) *cobra.Command {
	var clinic int64
	var amount, reason, output string
	c := &cobra.Command{
		Use:   "refund ID",
		Short: "Refund a payment: from its money on account first, then from what it paid (a card is refunded through the processor)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := parseID(args[0], "payment ID")
			if err != nil {
				return err
			}
			cents, err := parseAmountFlag("amount", amount)
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.svc.Refund(ctx, s.clinic, id, cents, reason)
			if err != nil {
				return payError(err)
			}
			return writePayment(env.Stdout, output, res)
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().StringVar(&amount, "amount", "", "amount to refund (default: the payment's money on account)")
	c.Flags().StringVar(&reason, "reason", "", "why, kept in the audit log")
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	return c
}

func newPaymentsApplyCmd(env *Env) *cobra.Command {
	var clinic, patient int64
	c := &cobra.Command{
		Use:   "apply",
		Short: "Apply patients' money on account to their open balances, oldest first (the nightly run does it too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.svc.Apply(ctx, s.clinic, patient)
			if err != nil {
				return payError(err)
			}
			fmt.Fprintf(env.Stdout, "applied %s from %d payments to %d balances\n", money.Cents(res.AppliedCents).Dollars(), res.Payments, res.Applications)
			return nil
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().Int64Var(&patient, "patient", 0, "only this patient's money on account")
	return c
}
