package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

// newPayersCheckCmd builds "clearhouse payers check": the connectivity
// check of a payer's SFTP drop before the first production file.
func newPayersCheckCmd(env *Env) *cobra.Command {
	var (
		payersDir, sftpKey, passwordEnv, knownHosts, host, fingerprint, format string
		port                                                                   int
		timeout                                                                time.Duration
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
			var reg *payers.Registry
			var err error
			if payersDir != "" {
				reg, err = payers.LoadDir(payersDir)
			} else {
				reg, err = fixtures.Payers()
			}
			if err != nil {
				return &ExitError{Code: 2, Err: fmt.Errorf("payers: %w", err)}
			}
			rp, ok := reg.Get(args[0])
			if !ok {
				return exitf(2, "payers check: %q is not in the payer registry (clearhouse payers registry lists them)", args[0])
			}
			var auth transport.Auth
			switch {
			case sftpKey != "" && passwordEnv != "":
				return exitf(2, "--sftp-key and --sftp-password-env: give one SFTP credential, not both")
			case sftpKey != "":
				auth = transport.Auth{PrivateKeyFile: sftpKey}
			case passwordEnv != "":
				auth = transport.Auth{PasswordEnv: passwordEnv}
			case !rp.SFTP.HasCredential():
				return exitf(2, "payers check: payer %s names no SFTP credential: give --sftp-key FILE or --sftp-password-env NAME", rp.ID)
			}
			ep := worker.EndpointFor(rp, auth, true)
			if host != "" {
				ep.Host = host
			}
			if port != 0 {
				ep.Port = port
			}
			switch {
			case knownHosts != "":
				ep.HostKey = transport.HostKeyPin{KnownHostsFile: knownHosts}
			case fingerprint != "":
				ep.HostKey = transport.HostKeyPin{Fingerprint: fingerprint}
			}
			ep.Timeouts.Dial, ep.Timeouts.Operation = timeout, timeout
			ep.Retry = transport.RetryPolicy{MaxAttempts: 1}
			ep = ep.WithDefaults()
			if err := ep.Validate(); err != nil {
				return &ExitError{Code: 2, Err: fmt.Errorf("payers check %s: %w", rp.ID, err)}
			}
			client, err := transport.New(ep, transport.Options{Getenv: env.Getenv})
			if err != nil {
				return &ExitError{Code: 2, Err: fmt.Errorf("payers check %s: %w", rp.ID, err)}
			}
			defer client.Close()
			rep := client.Check(cmdContext(cmd))
			if format == formatJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"payer": rp.ID, "address": rep.Address, "ok": rep.OK(),
					"elapsed_ms": rep.Elapsed.Milliseconds(), "steps": rep.Steps}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(env.Stdout, "payer %s at %s (ISA15 %s)\n", rp.ID, rep.Address, rp.Usage)
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				for _, s := range rep.Steps {
					mark := "ok"
					if !s.OK {
						mark = "FAILED"
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, mark, strings.ReplaceAll(s.Detail, "\n", " "))
				}
				tw.Flush()
			}
			if !rep.OK() {
				return &ExitError{Code: 1, Err: fmt.Errorf("payers check %s: the connection is not ready", rp.ID)}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&payersDir, "payers", "", "payer registry directory (default: the bundled payer files)")
	f.StringVar(&sftpKey, "sftp-key", "", "SSH private key file (default: the payer file's credential)")
	f.StringVar(&passwordEnv, "sftp-password-env", "", "name of the environment variable holding the SFTP password (default: the payer file's credential)")
	f.StringVar(&knownHosts, "known-hosts", "", "OpenSSH known_hosts file pinning the host key (default: the payer file's fingerprint)")
	f.StringVar(&fingerprint, "host-key-fingerprint", "", "SHA256 fingerprint pinning the host key (default: the payer file's)")
	f.StringVar(&host, "host", "", "connect to this host instead of the payer file's")
	f.IntVar(&port, "port", 0, "connect to this port instead of the payer file's")
	f.DurationVar(&timeout, "timeout", 15*time.Second, "bound on connecting and on each step")
	outputFlag(c, &format, []string{formatTable, formatJSON}, "")
	return c
}
