package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/store/storedb"
)

func newMigrateCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema (River's and the store's migrations)",
		Long: `Migrate applies River's job queue migrations, then the store's own versioned
migrations, to the database named by --database (or CLEARHOUSE_DATABASE): a
postgres:// URL, or a SQLite file path, created if missing. It prints each
migration it applies; running it again on a current schema applies nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			s, err := env.openStore(ctx, storedb.Options{Create: true})
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			defer s.Close()
			applied, err := s.Migrate(ctx)
			for _, m := range applied {
				fmt.Fprintf(env.Stdout, "applied %s migration %d %s\n", m.Component, m.Version, m.Name)
			}
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			what := "schema is up to date"
			if len(applied) > 0 {
				what = fmt.Sprintf("schema upgraded (%d migrations)", len(applied))
			}
			_, err = fmt.Fprintf(env.Stdout, "%s: %s\n", storedb.Describe(env.Database), what)
			return err
		},
	}
}
