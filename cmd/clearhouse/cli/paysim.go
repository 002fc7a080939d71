package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/clearhouse/clearhouse/paysim"
)

func newPaysimCmd(env *Env) *cobra.Command {
	var (
		listen, root, hostKey, passwordEnv, authorizedKeys string
		users, payers                                      []string
		serveFor                                           time.Duration
	)
	cmd := &cobra.Command{
		Use:   "paysim",
		Short: "Run the payer simulator's SFTP server",
		Long: `Paysim serves a payer's EDI gateway over SFTP for testing: for each payer,
<root>/<payer>/inbound (the clearinghouse uploads there), <root>/<payer>/outbound
(responses are dropped there) and <root>/<payer>/archive.

Users are given as --user NAME:PAYER (confined to that payer's folders) or
--user NAME (sees every payer). They log in with the password in the
environment variable named by --password-env, or with a key listed in the
--authorized-keys file. The host key is loaded from --host-key, or generated
and saved there on first run; its fingerprint and a known_hosts line are
printed at start. The server runs until interrupted (or for --serve-for).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			password := ""
			if passwordEnv != "" {
				password = env.Getenv(passwordEnv)
			}
			var keys []ssh.PublicKey
			if authorizedKeys != "" {
				var err error
				keys, err = readAuthorizedKeys(authorizedKeys)
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
			}
			if password == "" && len(keys) == 0 {
				return exitf(2, "paysim: no credentials: set $%s or give --authorized-keys", passwordEnv)
			}
			if len(users) == 0 {
				return exitf(2, "paysim: give at least one --user NAME:PAYER")
			}
			cfg := paysim.ServerConfig{
				Addr:        listen,
				Root:        root,
				Payers:      payers,
				HostKeyPath: hostKey,
				Logger:      slog.New(slog.NewTextHandler(env.Stderr, nil)),
			}
			for _, u := range users {
				name, payer, _ := strings.Cut(u, ":")
				cfg.Users = append(cfg.Users, paysim.User{Name: name, Payer: payer, Password: password, AuthorizedKeys: keys})
			}
			srv, err := paysim.NewServer(cfg)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer srv.Close()

			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if serveFor > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, serveFor)
				defer cancel()
			}
			if err := srv.Start(ctx); err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			addr := srv.Addr().String()
			fmt.Fprintf(env.Stdout, "paysim: SFTP listening on %s, root %s\n", addr, srv.Root())
			fmt.Fprintf(env.Stdout, "host key %s\n", ssh.FingerprintSHA256(srv.HostKey()))
			fmt.Fprintf(env.Stdout, "known_hosts: %s\n", knownhosts.Line([]string{knownhosts.Normalize(addr)}, srv.HostKey()))
			srv.Wait()
			_, err = fmt.Fprintln(env.Stdout, "paysim: stopped")
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:2222", "TCP address to listen on")
	f.StringVar(&root, "root", "paysim-data", "directory holding the payers' folders")
	f.StringVar(&hostKey, "host-key", "paysim_host_ed25519_key", "host key file (generated and saved if missing)")
	f.StringArrayVar(&users, "user", nil, "user NAME:PAYER, or NAME for access to every payer (repeatable)")
	f.StringArrayVar(&payers, "payer", nil, "payer whose folders to create besides the users' payers (repeatable)")
	f.StringVar(&passwordEnv, "password-env", "CLEARHOUSE_PAYSIM_PASSWORD", "environment variable holding the users' password")
	f.StringVar(&authorizedKeys, "authorized-keys", "", "authorized_keys file with the users' public keys")
	f.DurationVar(&serveFor, "serve-for", 0, "stop after this long (0: until interrupted)")
	return cmd
}

// readAuthorizedKeys parses an OpenSSH authorized_keys file.
func readAuthorizedKeys(path string) ([]ssh.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("paysim: authorized keys: %w", err)
	}
	var keys []ssh.PublicKey
	for len(bytes.TrimSpace(b)) > 0 {
		var key ssh.PublicKey
		key, _, _, b, err = ssh.ParseAuthorizedKey(b)
		if err != nil {
			// Only comments after the last key.
			if len(keys) > 0 && strings.HasPrefix(err.Error(), "ssh: no key found") {
				break
			}
			return nil, fmt.Errorf("paysim: authorized keys %s: %w", path, err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}
