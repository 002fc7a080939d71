package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

func newAuditCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Work with the audit log",
	}
	cmd.AddCommand(newAuditVerifyCmd(env), newAuditListCmd(env))
	return cmd
}

func newAuditListCmd(env *Env) *cobra.Command {
	var (
		clinicID         int64
		user, from, to   string
		patient, claimID int64
		output           string
		limit            int
	)
	cmd := &cobra.Command{
		Use:   "list [--user LOGIN] [--patient N] [--claim N] [--from D] [--to D]",
		Short: "List audit events: who did or read what, when, and from which command or request",
		Long: `List prints the audit events of the caller's clinics (or of --clinic), oldest
first: changes, refusals and reads (action "read", one per record shown).
--user keeps one person's events, --patient and --claim the events about
that record, --from and --to (dates, or RFC 3339 times; --to is exclusive)
a period.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			if patient != 0 && claimID != 0 {
				return exitf(2, "give --patient or --claim, not both")
			}
			p := store.ListAuditEventsParams{Actor: user, Limit: limit}
			var err error
			if p.From, err = parseAuditTime("from", from); err != nil {
				return err
			}
			if p.To, err = parseAuditTime("to", to); err != nil {
				return err
			}
			switch {
			case patient > 0:
				p.EntityType, p.EntityID = "patient", itoa64(patient)
			case claimID > 0:
				p.EntityType, p.EntityID = "claim", itoa64(claimID)
			}
			ctx := cmdContext(cmd)
			s, err := env.openStore(ctx, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer s.Close()
			var clinics []int64
			if clinicID != 0 {
				clinics = []int64{clinicID}
			} else {
				cs, err := s.ListClinics(ctx)
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				for _, c := range cs {
					clinics = append(clinics, c.ID)
				}
			}
			l := listing{columns: []string{"clinic", "seq", "at", "actor", "action", "entity", "id", "details"}}
			js := []any{}
			for _, c := range clinics {
				p.ClinicID = c
				events, err := s.ListAuditEvents(ctx, p)
				if err != nil {
					return &ExitError{Code: 2, Err: fmt.Errorf("clinic %d: %w", c, err)}
				}
				for _, e := range events {
					at := e.At.UTC().Format(time.RFC3339)
					l.rows = append(l.rows, []string{itoa64(e.ClinicID), itoa64(e.Seq), at, e.Actor, e.Action, e.EntityType, e.EntityID, string(e.Details)})
					js = append(js, map[string]any{"clinic": e.ClinicID, "seq": e.Seq, "at": at, "actor": e.Actor, "action": e.Action,
						"entity_type": e.EntityType, "entity_id": e.EntityID, "details": json.RawMessage(e.Details)})
				}
			}
			l.json = js
			return writeListing(env.Stdout, output, l)
		},
	}
	cmd.Flags().Int64Var(&clinicID, "clinic", 0, "only this clinic's events")
	cmd.Flags().StringVar(&user, "user", "", "only the events of this login")
	cmd.Flags().Int64Var(&patient, "patient", 0, "only the events about this patient")
	cmd.Flags().Int64Var(&claimID, "claim", 0, "only the events about this claim")
	cmd.Flags().StringVar(&from, "from", "", "events at or after this date or time")
	cmd.Flags().StringVar(&to, "to", "", "events before this date or time")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many events per clinic (0: all)")
	outputFlag(cmd, &output, []string{formatTable, formatJSON, formatCSV}, "")
	return cmd
}

// parseAuditTime reads a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.
func parseAuditTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, exitf(2, "--%s %q: want YYYY-MM-DD or an RFC 3339 time", flag, s)
	}
	return t, nil
}

func newAuditVerifyCmd(env *Env) *cobra.Command {
	var clinicID int64
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check every clinic's audit hash chain",
		Long: `Verify recomputes each audit event's SHA-256 over its canonical fields and
follows the chain from event to event and to the stored chain head. It prints
OK with the number of events checked, or, for each damaged clinic, the first
altered, inserted or deleted event, and then exits with status 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			s, err := env.openStore(ctx, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer s.Close()
			var clinics []store.Clinic
			if clinicID != 0 {
				c, err := s.GetClinic(ctx, store.GetClinicParams{ClinicID: clinicID})
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				clinics = []store.Clinic{c}
			} else if clinics, err = s.ListClinics(ctx); err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			var events int64
			damaged := 0
			for _, c := range clinics {
				v, err := s.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: c.ID})
				if err != nil {
					return &ExitError{Code: 2, Err: fmt.Errorf("clinic %d: %w", c.ID, err)}
				}
				events += v.Events
				if !v.OK() {
					damaged++
					fmt.Fprintf(env.Stdout, "FAIL clinic %d (%s): %s\n", c.ID, c.Name, v.Problem)
				}
			}
			if damaged > 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("audit log damaged in %s", plural(damaged, "clinic", "clinics"))}
			}
			_, err = fmt.Fprintf(env.Stdout, "OK: %s in %s verified\n", plural(int(events), "event", "events"), plural(len(clinics), "clinic", "clinics"))
			return err
		},
	}
	cmd.Flags().Int64Var(&clinicID, "clinic", 0, "verify only this clinic's chain")
	return cmd
}
