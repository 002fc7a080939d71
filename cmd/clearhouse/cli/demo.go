package cli

import (
	"cmp"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/demo"
)

// newDemoCmd runs the demo: a generated practice, the payer simulator and
// two simulated nights of the pipeline, then the KPIs and the worklist.
func newDemoCmd(env *Env) *cobra.Command {
	var (
		seed                   uint64
		dir                    string
		patients, appointments int
	)
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run two simulated nights of the pipeline against the payer simulator",
		Long: "demo creates a fictitious practice (one clinic, three providers, five payers, patients and two weeks\n" +
			"of appointments), starts the payer simulator on a loopback port and runs two simulated nights of the\n" +
			"pipeline: eligibility, visits, claims, scrub, submission, acknowledgments, remittances and posting.\n" +
			"It uses an embedded SQLite database in --dir unless --database names a postgres:// URL.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				d, err := os.MkdirTemp("", "clearhouse-demo-")
				if err != nil {
					return exitf(1, "demo: %v", err)
				}
				dir = d
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return exitf(1, "demo: %v", err)
			}
			database := ""
			if cmd.Flags().Changed("database") || env.Getenv("CLEARHOUSE_DATABASE") != "" {
				database = env.Database
			}
			// The file store as configured (its keys, its directory); by
			// default plain, beside the demo's database in --dir.
			files, err := env.openFiles(cmp.Or(database, filepath.Join(abs, "clearhouse.db")))
			if err != nil {
				return err
			}
			_, err = demo.Run(cmdContext(cmd), demo.Options{
				Seed: seed, Patients: patients, Appointments: appointments,
				Dir: abs, Database: database, Files: files,
				Stdout: env.Stdout, Stderr: env.Stderr, Terminal: isTerminal(env.Stderr),
			})
			if err != nil {
				return exitf(1, "%v", err)
			}
			return nil
		},
	}
	c.Flags().Uint64Var(&seed, "seed", demo.DefaultSeed, "seed of the generated practice and the payers' decisions")
	c.Flags().StringVar(&dir, "dir", "", "working directory (default: a new temporary directory)")
	c.Flags().IntVar(&patients, "patients", demo.DefaultPatients, "number of patients")
	c.Flags().IntVar(&appointments, "appointments", demo.DefaultAppointments, "number of appointments over the two weeks")
	return c
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
