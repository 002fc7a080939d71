// Package cli builds the clearhouse command tree. Every command is made by a
// constructor that takes its reader and writers, so tests run the whole CLI
// in-process and compare its output with golden files.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/access"
)

// DefaultDatabase is the embedded SQLite file used when neither --database nor
// CLEARHOUSE_DATABASE names a database.
const DefaultDatabase = "clearhouse.db"

// Env is what every command receives: its standard streams and the settings
// shared by the whole tree.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	// Database is a postgres:// URL or a SQLite file path.
	Database string
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
	// Files configures the X12 file store (directory, size limit, keys).
	Files FilesConfig
	// MaxInput is --max-input-size of the commands that read a file.
	MaxInput int64

	// Login names the user to act as, for in-process tests of several
	// people; Main leaves it empty, and the caller is then the database
	// connection's own identity (the PostgreSQL login role, or the
	// operating-system user on SQLite), which no flag or variable changes.
	Login string

	// principal is the caller, once the root's PersistentPreRunE has
	// resolved and checked them.
	principal *access.Principal
}

// ExitError carries a process exit status through cobra's error return.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// exitf returns an ExitError with a formatted message.
func exitf(code int, format string, args ...any) error {
	return &ExitError{Code: code, Err: fmt.Errorf(format, args...)}
}

// Main runs the command line and returns the process exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	root := NewRootCmd(env)
	root.SetArgs(args)
	// A command that only groups subcommands shows its help when run;
	// an unknown word after it is a usage error, not a request for help.
	if c, rest, err := root.Find(args); err == nil && c != root && !c.Runnable() && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		fmt.Fprintf(stderr, "clearhouse: unknown command %q for %q\n", rest[0], c.CommandPath())
		return 2
	}
	err := root.Execute()
	if err == nil {
		return 0
	}
	if strings.HasPrefix(err.Error(), "unknown command ") {
		// cobra's own message for an unknown subcommand of the root.
		err = &ExitError{Code: 2, Err: err}
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(stderr, "clearhouse: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(stderr, "clearhouse: %v\n", err)
	return 1
}

// NewRootCmd builds the whole command tree around env.
func NewRootCmd(env *Env) *cobra.Command {
	var configFlag string
	root := &cobra.Command{
		Use:           "clearhouse",
		Short:         "X12 EDI clearinghouse engine and revenue-cycle core",
		SilenceUsage:  true,
		SilenceErrors: true,
		// The configuration file first, then the environment over it;
		// flags given override both; then the caller is identified and
		// checked.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cf, err := loadConfig(configPath(configFlag, env))
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			cf.applyDatabase(cmd, env)
			if !cmd.Flags().Changed("database") {
				if v := env.Getenv("CLEARHOUSE_DATABASE"); v != "" {
					env.Database = v
				}
			}
			if cmd.Name() == "serve" && cmd.Parent() == cmd.Root() {
				if err := cf.applyServe(cmd.Flags(), env); err != nil {
					return &ExitError{Code: 2, Err: err}
				}
			}
			if err := fileStoreEnv(cmd, env); err != nil {
				return err
			}
			return authorize(cmd, env)
		},
		Version: Version,
	}
	root.SetVersionTemplate("clearhouse {{.Version}}\n")
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.PersistentFlags().StringVar(&env.Database, "database", DefaultDatabase,
		"database: a postgres:// URL or a SQLite file path (env CLEARHOUSE_DATABASE)")
	root.PersistentFlags().StringVar(&configFlag, "config", "",
		"configuration file: the database and serve's settings (env CLEARHOUSE_CONFIG; default ./"+DefaultConfigFile+" when it exists)")
	fileStoreFlags(root, env)

	root.AddCommand(
		newVersionCmd(env),
		newClaimsCmd(env),
		newEDICmd(env),
		newCodesCmd(env),
		newRulesCmd(env),
		newEligibilityCmd(env),
		newRemitCmd(env),
		newAckCmd(env),
		newStatusCmd(env),
		newMigrateCmd(env),
		newAuditCmd(env),
		newPaysimCmd(env),
		newAppointmentsCmd(env),
		newWorklistCmd(env),
		newReportCmd(env),
		newDemoCmd(env), newLoadtestCmd(env),
		newServeCmd(env),
		newChargesCmd(env),
		newStatementsCmd(env),
		newInitCmd(env),
		newClinicsCmd(env),
		newProvidersCmd(env),
		newPayersCmd(env),
		newPatientsCmd(env),
		newCoverageCmd(env),
		newInboundCmd(env),
		newJobsCmd(env),
		newKeysCmd(env),
		newFHIRCmd(env),
		newUsersCmd(env),
		newBackupCmd(env), newRestoreCmd(env),
		newPaymentsCmd(env),
		newDepositsCmd(env),
		newPredictCmd(env),
	)
	usageErrors(root)
	return root
}

// usageErrors makes every argument and flag error of the tree a usage
// error: exit status 2, as the README reserves for input the command does
// not expect.
func usageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &ExitError{Code: 2, Err: err} })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if args := c.Args; args != nil {
			c.Args = func(cmd *cobra.Command, a []string) error {
				if err := args(cmd, a); err != nil {
					var ee *ExitError
					if errors.As(err, &ee) {
						return err
					}
					return &ExitError{Code: 2, Err: err}
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// Version is the release this binary was built from.
var Version = "0.1.0-dev"

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(env.Stdout, "clearhouse %s\n", Version)
			return err
		},
	}
}
