package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/store"
)

// newPayersCutoverCmd builds "clearhouse payers cutover": the ISA15 test to
// production switch of one clinic's files to one payer.
func newPayersCutoverCmd(env *Env) *cobra.Command {
	var (
		f    regFlags
		to   string
		conn connFlags
	)
	c := &cobra.Command{
		Use:   "cutover PAYER_ID --to production|test",
		Short: "Switch a clinic's files to a payer between test (ISA15 T) and production (ISA15 P)",
		Long: "Sets the usage indicator (ISA15) of the clinic's 837, 270 and 276 interchanges to the payer; until a\n" +
			"cutover, they carry the payer file's usage. Going to production first runs the connectivity check of\n" +
			"clearhouse payers check (login, pinned host key, upload, download and archive folders) with the same\n" +
			"flags, and switches only when every step passes: the check that allows production is the one run\n" +
			"at that moment, and its time is recorded. Going back to test needs no check. Each cutover is\n" +
			"written to the clinic's audit log. Files already recorded keep the usage they were written with.\n" +
			"Exit status: 0 switched (or already there), 1 the check failed and nothing changed, 2 bad arguments.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			usage := ""
			switch strings.ToLower(to) {
			case "production", "p":
				usage = store.UsageProduction
			case "test", "t":
				usage = store.UsageTest
			default:
				return exitf(2, "--to %q: want production or test", to)
			}
			ctx := cmdContext(cmd)
			reg, err := loadRegistry(f.payersDir)
			if err != nil {
				return err
			}
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			row, err := payerRef(ctx, s.st, s.clinic, args[0])
			if err != nil {
				return regError(err)
			}
			rp, ok := reg.Get(row.PayerID)
			if !ok {
				return exitf(2, "payers cutover: payer %s is not in the payer registry", row.PayerID)
			}
			before, err := store.UsageFor(ctx, s.st, s.clinic, row.ID, string(rp.Usage))
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			var checked *time.Time
			details := map[string]any{"payer": rp.ID, "from": before, "to": usage}
			if usage == store.UsageProduction {
				rep, err := conn.check(ctx, env, rp)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "connectivity check of payer %s at %s\n", rp.ID, rep.Address)
				printCheck(env.Stdout, rep)
				if !rep.OK() {
					return &ExitError{Code: 1, Err: fmt.Errorf("payers cutover %s: the connectivity check failed; clinic %d stays on ISA15 %s", rp.ID, s.clinic, before)}
				}
				now := time.Now().UTC()
				checked = &now
				details["checkAddress"] = rep.Address
				details["checkedAt"] = now.Format(time.RFC3339)
			}
			u, err := s.st.SetPayerUsage(ctx, store.SetPayerUsageParams{ClinicID: s.clinic, PayerID: row.ID, Usage: usage, CheckedAt: checked,
				ChangedBy: env.actorName()})
			if err != nil {
				return regError(err)
			}
			raw, err := json.Marshal(details)
			if err != nil {
				return err
			}
			if _, err := s.st.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: s.clinic, Actor: env.actorName(), Action: "payer.cutover",
				EntityType: "payer", EntityID: strconv.FormatInt(row.ID, 10), Details: raw}); err != nil {
				return &ExitError{Code: 2, Err: errors.Join(errors.New("audit"), err)}
			}
			fmt.Fprintf(env.Stdout, "clinic %d payer %s: ISA15 %s -> %s\n", s.clinic, rp.ID, before, u.Usage)
			return nil
		},
	}
	fs := c.Flags()
	fs.StringVar(&to, "to", "", "production or test")
	_ = c.MarkFlagRequired("to")
	conn.bind(fs)
	f.register(c, true)
	return c
}
