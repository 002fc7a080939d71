package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// newBackupCmd builds "clearhouse backup FILE".
func newBackupCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the database to a new file (pg_dump, or SQLite's VACUUM INTO)",
		Long: `Backup copies the whole database, as of one moment, to FILE, which must not exist
and is created readable by its owner only. PostgreSQL is dumped with pg_dump in its
custom format (the client programs must be installed); SQLite is copied with
VACUUM INTO while other commands and serve go on working. The backup is recorded in
the audit log of every clinic. Restore it with clearhouse restore.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmdContext(cmd)
			if err := storedb.Backup(ctx, env.Database, args[0]); err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			st, err := env.openStore(ctx, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer st.Close()
			cs, err := st.ListClinics(ctx)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			details, _ := json.Marshal(map[string]string{"file": args[0]})
			for _, c := range cs {
				if _, err := st.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: c.ID, Actor: env.actorName(), Action: "backup",
					EntityType: "database", EntityID: storedb.Describe(env.Database), Details: details}); err != nil {
					return &ExitError{Code: 2, Err: fmt.Errorf("audit: %w", err)}
				}
			}
			_, err = fmt.Fprintf(env.Stdout, "%s backed up to %s\n", storedb.Describe(env.Database), args[0])
			return err
		},
	}
}

// newRestoreCmd builds "clearhouse restore FILE".
func newRestoreCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Load a backup into an empty database (a new SQLite path, or a PostgreSQL database with no tables)",
		Long: `Restore loads FILE, made by clearhouse backup, into the database --database names,
which must be empty: a SQLite path that does not exist yet, or a PostgreSQL
database just created (createdb). Nothing is overwritten. Check the result with
clearhouse audit verify.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmdContext(cmd)
			if err := storedb.Restore(ctx, args[0], env.Database); err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			_, err := fmt.Fprintf(env.Stdout, "%s restored into %s\n", args[0], storedb.Describe(env.Database))
			return err
		},
	}
}
