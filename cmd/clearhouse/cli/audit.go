package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

func newAuditCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Work with the audit log",
	}
	cmd.AddCommand(newAuditVerifyCmd(env))
	return cmd
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
