package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// newDepositsCmd builds "clearhouse deposits": bank deposits reconciled
// against 835 payments.
func newDepositsCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "deposits",
		Short: "Bank deposits: import a BAI2 or CSV statement and match its credits to 835 payments",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newDepositsImportCmd(env), newDepositsListCmd(env), newDepositsMatchCmd(env))
	return c
}

func newDepositsImportCmd(env *Env) *cobra.Command {
	var clinic int64
	c := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a bank statement's credits (BAI2, or CSV with date, amount, reference and trace columns)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if args[0] == "-" {
				data, err = io.ReadAll(env.Stdin)
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.svc.ImportDeposits(ctx, s.clinic, args[0], data)
			if err != nil {
				return payError(err)
			}
			var total int64
			for _, d := range res.Imported {
				total += d.AmountCents
			}
			fmt.Fprintf(env.Stdout, "%d credits read, %d new (%s)\n", res.Read, len(res.Imported), money.Cents(total).Dollars())
			return nil
		},
	}
	clinicFlag(c.Flags(), &clinic)
	return c
}

func newDepositsListCmd(env *Env) *cobra.Command {
	var clinic int64
	var unmatched bool
	var output, sortBy string
	c := &cobra.Command{
		Use:   "list",
		Short: "List bank deposits and the 835 each matched",
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
			ds, err := s.svc.Deposits(ctx, s.clinic, unmatched)
			if err != nil {
				return payError(err)
			}
			l := depositListing(ds)
			if err := sortListing(&l, sortBy); err != nil {
				return err
			}
			return writeListing(env.Stdout, output, l)
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().BoolVar(&unmatched, "unmatched", false, "only deposits no 835 payment matches")
	c.Flags().StringVar(&sortBy, "sort", "", "sort by a column (date, amount, ...); -field sorts descending")
	outputFlag(c, &output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func depositListing(ds []store.BankDeposit) listing {
	l := listing{columns: []string{"id", "date", "amount", "trace", "bank_reference", "remittance", "description"}}
	js := []any{}
	for _, d := range ds {
		rem := ""
		if d.RemittanceID != nil {
			rem = itoa64(*d.RemittanceID)
		}
		row := []string{itoa64(d.ID), dateString(d.DepositedOn), money.Cents(d.AmountCents).String(), d.TraceNumber, d.BankReference, rem, d.Description}
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

func newDepositsMatchCmd(env *Env) *cobra.Command {
	var clinic int64
	var grace int
	c := &cobra.Command{
		Use:   "match",
		Short: "Match deposits to 835 payments by trace number and amount; the rest go on the worklist",
		Long: "match pairs each unmatched deposit with the 835 payment of the same trace number (TRN02) and amount\n" +
			"(BPR02). A deposit no 835 accounts for becomes an unmatched_deposit worklist item; an 835 payment\n" +
			"(BPR16 at least --grace-days old) whose money no deposit shows becomes an unmatched_remittance item.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if grace < 0 {
				return exitf(2, "--grace-days %d: want zero or more", grace)
			}
			ctx := cmdContext(cmd)
			s, err := openPayments(ctx, env, clinic)
			if err != nil {
				return err
			}
			defer s.Close()
			r, err := s.svc.MatchDeposits(ctx, s.clinic, grace)
			if err != nil {
				return payError(err)
			}
			fmt.Fprintf(env.Stdout, "%d matched, %d deposits unmatched, %d 835 payments without a deposit\n", r.Matched, r.UnmatchedDeposits, r.UnmatchedRemittances)
			return nil
		},
	}
	clinicFlag(c.Flags(), &clinic)
	c.Flags().IntVar(&grace, "grace-days", 3, "days an 835 payment may wait for its deposit before it is listed")
	return c
}
