package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// addClaimsCreditCmds adds credits (the credit balances) and refund (a
// refund to a payer) to the claims command.
func addClaimsCreditCmds(parent *cobra.Command, env *Env) {
	parent.AddCommand(newClaimsCreditsCmd(env), newClaimsRefundCmd(env))
}

func newClaimsCreditsCmd(env *Env) *cobra.Command {
	var f workFlags
	var output string
	c := &cobra.Command{
		Use:   "credits [--clinic N] [-o table|json]",
		Short: "Credit balances: claims the payer overpaid and patient accounts paid past what is owed, with the cause",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&output, "table", "json"); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			_, st, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			cid, err := clinicOrOnly(ctx, st, f.clinic)
			if err != nil {
				return err
			}
			svc, err := billing.New(st, billing.Options{Actor: env.actorName()})
			if err != nil {
				return err
			}
			credits, err := svc.Credits(ctx, cid)
			if err != nil {
				return err
			}
			items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: cid, Kinds: []string{billing.WorkCreditBalance},
				Statuses: []string{store.WorkOpen, store.WorkInProgress}})
			if err != nil {
				return err
			}
			itemOf := map[string]int64{}
			for _, it := range items {
				itemOf[it.DedupeKey] = it.ID
			}
			for i := range credits {
				credits[i].ItemID = itemOf[creditItemKey(credits[i])]
			}
			if output == "json" {
				if credits == nil {
					credits = []billing.CreditBalance{}
				}
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(credits)
			}
			return writeCredits(env, credits)
		},
	}
	f.register(c, false)
	outputFlag(c, &output, []string{"table", "json"}, "")
	return c
}

// creditItemKey is the dedupe key of a credit's worklist item.
func creditItemKey(c billing.CreditBalance) string {
	if c.ClaimID != 0 {
		return fmt.Sprintf("credit:claim:%d", c.ClaimID)
	}
	return fmt.Sprintf("credit:patient:%d", c.PatientID)
}

func writeCredits(env *Env, credits []billing.CreditBalance) error {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLAIM\tPCN\tPATIENT\tCREDIT\tCAUSE\tITEM")
	var total int64
	for _, c := range credits {
		claimID, item := "-", "-"
		if c.ClaimID != 0 {
			claimID = fmt.Sprint(c.ClaimID)
		}
		if c.ItemID != 0 {
			item = fmt.Sprint(c.ItemID)
		}
		pcn := c.PatientControlNumber
		if pcn == "" {
			pcn = "(patient account)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", claimID, pcn, c.PatientID, money.Cents(c.AmountCents), c.Cause, item)
		total += c.AmountCents
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(env.Stdout, "%d credit balances, %s\n", len(credits), money.Cents(total))
	return err
}

func newClaimsRefundCmd(env *Env) *cobra.Command {
	var f workFlags
	var amount, to, reference, reason, date string
	c := &cobra.Command{
		Use:   "refund ID|PCN --amount DOLLARS --to payer [--reference CHECK] [--reason TEXT] [--date D]",
		Short: "Record a refund of a claim's credit balance to its payer; audited",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch to {
			case "payer":
			case "patient":
				return exitf(2, "--to patient: a patient's money is refunded from their payment: clearhouse payments refund PAYMENT_ID --amount A")
			default:
				return exitf(2, "--to %q: want payer", to)
			}
			cents, err := parseDollars("amount", amount)
			if err != nil {
				return err
			}
			if cents <= 0 {
				return exitf(2, "--amount: want a positive amount")
			}
			var day time.Time
			if date != "" {
				if day, err = time.Parse(time.DateOnly, date); err != nil {
					return exitf(2, "--date %q: want YYYY-MM-DD", date)
				}
			}
			actor, err := f.actor(env)
			if err != nil {
				return err
			}
			now, err := f.clock()
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			wl, st, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			id, err := claimArg(ctx, st, &f, args[0])
			if err != nil {
				return err
			}
			cl, err := wl.FindClaim(ctx, f.clinic, id)
			if err != nil {
				return workError(err)
			}
			svc, err := billing.New(st, billing.Options{Now: now, Actor: actor})
			if err != nil {
				return err
			}
			res, err := svc.RefundPayer(ctx, billing.PayerRefundParams{ClinicID: cl.ClinicID, ClaimID: cl.ID, AmountCents: cents, Reference: reference,
				Reason: reason, Actor: actor, Date: day})
			if errors.Is(err, billing.ErrInput) {
				return &ExitError{Code: 1, Err: err}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "claim %d (%s): refunded %s to the payer (reference %q); credit left %s\n", cl.ID, cl.PatientControlNumber,
				money.Cents(res.AmountCents), reference, money.Cents(res.CreditCents))
			if res.Credits.Resolved > 0 {
				fmt.Fprintln(env.Stdout, "credit balance item resolved")
			}
			return nil
		},
	}
	f.register(c, true)
	c.Flags().StringVar(&amount, "amount", "", "amount in dollars, at most the claim's credit")
	c.Flags().StringVar(&to, "to", "payer", "who is refunded: payer (a patient is refunded with payments refund)")
	c.Flags().StringVar(&reference, "reference", "", "the refund check or transfer number")
	c.Flags().StringVar(&reason, "reason", "", "why (duplicate payment, secondary overpaid, ...)")
	c.Flags().StringVar(&date, "date", "", "the day the refund was sent, YYYY-MM-DD (default today)")
	_ = c.MarkFlagRequired("amount")
	return c
}
