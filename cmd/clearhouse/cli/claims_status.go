package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

func newClaimsStatusCmd(env *Env) *cobra.Command {
	var clinicFlag int64
	var payersDir, out string
	c := &cobra.Command{
		Use:   "status ID|PCN...",
		Short: "Ask the payers where claims stand: one 276 per payer, recorded for upload",
		Long: `Status writes a 276 claim status request (005010X212) per payer for the
claims given by ID, records it for upload (the worker's submission job sends it
with the payer's other pending files) and writes a copy into --out. The payer's
277 answer is applied when it is collected: see "status decode" to read one.
The nightly run asks on its own about claims with no 835 after the payer's
status_inquiry_days (default 21).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmdContext(cmd)
			var reg *payers.Registry
			var err error
			if payersDir != "" {
				reg, err = payers.LoadDir(payersDir)
			} else {
				reg, err = fixtures.Payers()
			}
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			st, err := env.openStore(ctx, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer st.Close()
			clinic, err := clinicOrOnly(ctx, st, clinicFlag)
			if err != nil {
				return err
			}
			svc, err := billing.New(st, billing.Options{Payers: reg, Actor: env.actorName()})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			// One 276 per payer, in the order the payers first appear.
			byPayer := map[int64][]int64{}
			var order []int64
			for _, a := range args {
				c, err := claimRef(ctx, st, clinic, a)
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				id := c.ID
				if _, ok := byPayer[c.PayerID]; !ok {
					order = append(order, c.PayerID)
				}
				byPayer[c.PayerID] = append(byPayer[c.PayerID], id)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			for _, pid := range order {
				q, err := svc.PrepareStatusInquiry(ctx, billing.StatusInquiryParams{ClinicID: clinic, PayerID: pid, ClaimIDs: byPayer[pid]})
				if err != nil {
					code := 2
					if errors.Is(err, billing.ErrNotBillable) || errors.Is(err, store.ErrNotFound) {
						code = 1
					}
					return &ExitError{Code: code, Err: err}
				}
				path := filepath.Join(out, q.Interchange.FileName)
				if err := writeContent(ctx, st, q.Interchange.ContentID, path); err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				fmt.Fprintf(env.Stdout, "%s: interchange %d (ISA13 %09d), %s, claims %s\n", path, q.Interchange.ID,
					q.Interchange.ControlNumber, plural(len(q.ClaimIDs), "claim", "claims"), joinIDs(q.ClaimIDs))
			}
			return nil
		},
	}
	c.Flags().Int64Var(&clinicFlag, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	c.Flags().StringVar(&payersDir, "payers", "", "directory of payer definitions (default: the fixture payers)")
	c.Flags().StringVar(&out, "out", ".", "directory to write the 276 files into")
	return c
}
