package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
)

// addEligibilityRunCmds adds the scheduling module's eligibility commands
// to "clearhouse eligibility".
func addEligibilityRunCmds(parent *cobra.Command, env *Env) {
	parent.AddCommand(newEligibilityRunCmd(env))
}

func newEligibilityRunCmd(env *Env) *cobra.Command {
	var f schedulingFlags
	var date, out string
	var days int
	c := &cobra.Command{
		Use:   "run",
		Short: "Write the nightly 270 batches for the next business days' appointments",
		Long: `Run prepares the eligibility batches of the nightly run for --date: one 270
interchange per payer for the booked appointments of the next --days business
days, recorded in the database for upload, and written into --out. Running it
again for the same date writes only inquiries no earlier batch of that date
carries.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmdContext(cmd)
			svc, st, loc, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			asOf, err := time.ParseInLocation(time.DateOnly, date, loc)
			if err != nil {
				return &ExitError{Code: 2, Err: fmt.Errorf("--date %q: want YYYY-MM-DD", date)}
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			res, err := svc.PrepareEligibilityBatches(ctx, f.clinic, asOf, days)
			if err != nil {
				return schedulingError(err)
			}
			fmt.Fprintf(env.Stdout, "appointments from %s to %s\n", res.From.In(loc).Format(time.DateOnly), res.To.In(loc).AddDate(0, 0, -1).Format(time.DateOnly))
			for _, b := range res.Batches {
				path := filepath.Join(out, b.FileName)
				if err := os.WriteFile(path, b.Content, 0o644); err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				fmt.Fprintf(env.Stdout, "%s: %s, interchange %d, %s\n", b.PayerID, path, b.ControlNumber, plural(len(b.Inquiries), "inquiry", "inquiries"))
			}
			for _, s := range res.Skipped {
				fmt.Fprintf(env.Stdout, "skipped appointment %d: %s\n", s.AppointmentID, s.Reason)
			}
			if res.AlreadyBatched > 0 {
				fmt.Fprintf(env.Stdout, "%s already in earlier batches of the day\n", plural(res.AlreadyBatched, "inquiry", "inquiries"))
			}
			return nil
		},
	}
	f.register(c)
	c.Flags().StringVar(&f.payersDir, "payers", "", "directory of payer definitions (default: the fixture payers)")
	c.Flags().StringVar(&date, "date", "", "the run's date, YYYY-MM-DD (required)")
	c.Flags().IntVar(&days, "days", 0, "business days ahead (default 2)")
	c.Flags().StringVar(&out, "out", ".", "directory to write the 270 files into")
	_ = c.MarkFlagRequired("date")
	return c
}
