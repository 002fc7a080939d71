package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

// connFlags are the connection flags of payers check and payers cutover:
// the payer file's SFTP drop, or what they say instead.
type connFlags struct {
	sftpKey, passwordEnv, knownHosts, host, fingerprint string
	port                                                int
	timeout                                             time.Duration
}

func (f *connFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.sftpKey, "sftp-key", "", "SSH private key file (default: the payer file's credential)")
	fs.StringVar(&f.passwordEnv, "sftp-password-env", "", "name of the environment variable holding the SFTP password (default: the payer file's credential)")
	fs.StringVar(&f.knownHosts, "known-hosts", "", "OpenSSH known_hosts file pinning the host key (default: the payer file's fingerprint)")
	fs.StringVar(&f.fingerprint, "host-key-fingerprint", "", "SHA256 fingerprint pinning the host key (default: the payer file's)")
	fs.StringVar(&f.host, "host", "", "connect to this host instead of the payer file's")
	fs.IntVar(&f.port, "port", 0, "connect to this port instead of the payer file's")
	fs.DurationVar(&f.timeout, "timeout", 15*time.Second, "bound on connecting and on each step")
}

// check runs the connectivity check of a payer's SFTP drop; an error is a
// bad argument (exit status 2), a failed step is in the report.
func (f *connFlags) check(ctx context.Context, env *Env, rp *payers.Payer) (transport.CheckReport, error) {
	var auth transport.Auth
	switch {
	case f.sftpKey != "" && f.passwordEnv != "":
		return transport.CheckReport{}, exitf(2, "--sftp-key and --sftp-password-env: give one SFTP credential, not both")
	case f.sftpKey != "":
		auth = transport.Auth{PrivateKeyFile: f.sftpKey}
	case f.passwordEnv != "":
		auth = transport.Auth{PasswordEnv: f.passwordEnv}
	case !rp.SFTP.HasCredential():
		return transport.CheckReport{}, exitf(2, "payer %s names no SFTP credential: give --sftp-key FILE or --sftp-password-env NAME", rp.ID)
	}
	ep := worker.EndpointFor(rp, auth, true)
	if f.host != "" {
		ep.Host = f.host
	}
	if f.port != 0 {
		ep.Port = f.port
	}
	switch {
	case f.knownHosts != "":
		ep.HostKey = transport.HostKeyPin{KnownHostsFile: f.knownHosts}
	case f.fingerprint != "":
		ep.HostKey = transport.HostKeyPin{Fingerprint: f.fingerprint}
	}
	ep.Timeouts.Dial, ep.Timeouts.Operation = f.timeout, f.timeout
	ep.Retry = transport.RetryPolicy{MaxAttempts: 1}
	ep = ep.WithDefaults()
	if err := ep.Validate(); err != nil {
		return transport.CheckReport{}, &ExitError{Code: 2, Err: fmt.Errorf("payer %s: %w", rp.ID, err)}
	}
	client, err := transport.New(ep, transport.Options{Getenv: env.Getenv})
	if err != nil {
		return transport.CheckReport{}, &ExitError{Code: 2, Err: fmt.Errorf("payer %s: %w", rp.ID, err)}
	}
	defer client.Close()
	return client.Check(ctx), nil
}

// printCheck writes a check's steps as a table.
func printCheck(w io.Writer, rep transport.CheckReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range rep.Steps {
		mark := "ok"
		if !s.OK {
			mark = "FAILED"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, mark, strings.ReplaceAll(s.Detail, "\n", " "))
	}
	tw.Flush()
}

// loadRegistry loads the payer registry of --payers, or the bundled one.
func loadRegistry(dir string) (*payers.Registry, error) {
	var reg *payers.Registry
	var err error
	if dir != "" {
		reg, err = payers.LoadDir(dir)
	} else {
		reg, err = fixtures.Payers()
	}
	if err != nil {
		return nil, &ExitError{Code: 2, Err: fmt.Errorf("payers: %w", err)}
	}
	return reg, nil
}

// newPayersCheckCmd builds "clearhouse payers check": the connectivity
// check of a payer's SFTP drop before the first production file.
func newPayersCheckCmd(env *Env) *cobra.Command {
	var (
		payersDir, format string
		conn              connFlags
	)
	c := &cobra.Command{
		Use:   "check PAYER_ID",
		Short: "Check a payer's SFTP connection: login, pinned host key, upload, download and archive folders",
		Long: "Connects to the payer's SFTP drop as its payer file says (host, port, user, pinned host key), with the\n" +
			"payer file's own credential (sftp.password_env or sftp.private_key_file) or the one given here,\n" +
			"writes and removes a probe file in the upload folder, lists the download folder and looks for the\n" +
			"archive folder. Nothing is submitted and nothing is downloaded.\n" +
			"Exit status: 0 every step passed, 1 a step failed (each step is printed), 2 bad arguments.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&format, formatTable, formatJSON); err != nil {
				return err
			}
			reg, err := loadRegistry(payersDir)
			if err != nil {
				return err
			}
			rp, ok := reg.Get(args[0])
			if !ok {
				return exitf(2, "payers check: %q is not in the payer registry (clearhouse payers registry lists them)", args[0])
			}
			rep, err := conn.check(cmdContext(cmd), env, rp)
			if err != nil {
				return err
			}
			if format == formatJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"payer": rp.ID, "address": rep.Address, "ok": rep.OK(),
					"elapsed_ms": rep.Elapsed.Milliseconds(), "steps": rep.Steps}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(env.Stdout, "payer %s at %s (ISA15 %s)\n", rp.ID, rep.Address, rp.Usage)
				printCheck(env.Stdout, rep)
			}
			if !rep.OK() {
				return &ExitError{Code: 1, Err: fmt.Errorf("payers check %s: the connection is not ready", rp.ID)}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&payersDir, "payers", "", "payer registry directory (default: the bundled payer files)")
	conn.bind(f)
	outputFlag(c, &format, []string{formatTable, formatJSON}, "")
	return c
}
