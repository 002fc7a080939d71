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

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/paysim"
)

func newPaysimCmd(env *Env) *cobra.Command {
	var (
		listen, root, hostKey, passwordEnv, authorizedKeys string
		users, payerIDs                                    []string
		serveFor                                           time.Duration
		rosterPath, payersDir, statePath, paymentMethod    string
		seed                                               uint64
		rates                                              paysim.Rates
		plb                                                paysim.ProviderAdjustmentRates
		delay, jitter, releaseEvery                        time.Duration
		rejectUnknown                                      bool
		copay                                              string
		coinsurance                                        int64
	)
	cmd := &cobra.Command{
		Use:   "paysim",
		Short: "Run the payer simulator: an SFTP gateway answering 837s and 270s",
		Long: `Paysim serves a payer's EDI gateway over SFTP for testing: for each payer,
<root>/<payer>/inbound (the clearinghouse uploads there), <root>/<payer>/outbound
(responses are dropped there) and <root>/<payer>/archive.

Each 837 that arrives is answered with a TA1 (envelope errors) or a 999, then a
277CA accepting or rejecting each claim; accepted claims are paid, partly paid or
denied in an 835 released --adjudication-delay later (checked every
--release-interval). Each 270 is answered with a 271 from the --roster (JSON or
CSV). Decisions are drawn from --seed, so a run can be repeated. The state
(control numbers, answered files, claims awaiting their 835) is kept in
--state, so a restart neither answers a file twice nor loses an 835.

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
			logger := slog.New(slog.NewTextHandler(env.Stderr, nil))
			cfg := paysim.ServerConfig{
				Addr:        listen,
				Root:        root,
				Payers:      payerIDs,
				HostKeyPath: hostKey,
				Logger:      logger,
			}
			for _, u := range users {
				name, payer, _ := strings.Cut(u, ":")
				cfg.Users = append(cfg.Users, paysim.User{Name: name, Payer: payer, Password: password, AuthorizedKeys: keys})
			}
			var reg *payers.Registry
			var err error
			if payersDir != "" {
				reg, err = payers.LoadDir(payersDir)
			} else {
				reg, err = fixtures.Payers()
			}
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			var members []paysim.Member
			if rosterPath != "" {
				if members, err = paysim.LoadRoster(rosterPath); err != nil {
					return &ExitError{Code: 2, Err: err}
				}
			}
			copayCents, err := edi.ParseAmount([]byte(copay))
			if err != nil {
				return exitf(2, "paysim: --default-copay %q: %v", copay, err)
			}
			sim, err := paysim.NewSimulator(paysim.Config{
				Server:               cfg,
				Registry:             reg,
				Roster:               members,
				RejectUnknownMembers: rejectUnknown,
				DefaultCostSharing:   paysim.CostSharing{CopayCents: copayCents, CoinsurancePercent: coinsurance},
				Seed:                 seed,
				Rates:                rates,
				AdjudicationDelay:    delay,
				AdjudicationJitter:   jitter,
				PaymentMethod:        paymentMethod,
				ProviderAdjustments:  plb,
				StatePath:            statePath,
				Logger:               logger,
			})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer sim.Close()
			srv := sim.Server()
			if releaseEvery <= 0 {
				return exitf(2, "paysim: --release-interval must be positive")
			}

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
			if err := sim.Start(ctx); err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			released := make(chan struct{})
			go func() {
				defer close(released)
				sim.RunReleases(ctx, releaseEvery)
			}()
			addr := srv.Addr().String()
			fmt.Fprintf(env.Stdout, "paysim: SFTP listening on %s, root %s\n", addr, srv.Root())
			fmt.Fprintf(env.Stdout, "host key %s\n", ssh.FingerprintSHA256(srv.HostKey()))
			fmt.Fprintf(env.Stdout, "known_hosts: %s\n", knownhosts.Line([]string{knownhosts.Normalize(addr)}, srv.HostKey()))
			srv.Wait()
			<-released
			_, err = fmt.Fprintf(env.Stdout, "paysim: stopped; %d claims await their 835\n", sim.Pending())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:2222", "TCP address to listen on")
	f.StringVar(&root, "root", "paysim-data", "directory holding the payers' folders")
	f.StringVar(&hostKey, "host-key", "paysim_host_ed25519_key", "host key file (generated and saved if missing)")
	f.StringArrayVar(&users, "user", nil, "user NAME:PAYER, or NAME for access to every payer (repeatable)")
	f.StringArrayVar(&payerIDs, "payer", nil, "payer whose folders to create besides the users' payers (repeatable)")
	f.StringVar(&passwordEnv, "password-env", "CLEARHOUSE_PAYSIM_PASSWORD", "environment variable holding the users' password")
	f.StringVar(&authorizedKeys, "authorized-keys", "", "authorized_keys file with the users' public keys")
	f.DurationVar(&serveFor, "serve-for", 0, "stop after this long (0: until interrupted)")
	f.StringVar(&payersDir, "payers", "", "directory of payer definitions giving each payer's ISA/GS IDs (default: the fixture payers)")
	f.StringVar(&rosterPath, "roster", "", "member roster for 271s and cost sharing: a .json or .csv file")
	f.BoolVar(&rejectUnknown, "reject-unknown-members", false, "277CA rejects claims of subscribers not in the roster")
	f.StringVar(&copay, "default-copay", "0", "office visit copay of subscribers not in the roster, dollars")
	f.Int64Var(&coinsurance, "default-coinsurance", 0, "coinsurance percent of subscribers not in the roster")
	f.Uint64Var(&seed, "seed", 1, "seed of every decision; the same seed and inputs give the same responses")
	f.Float64Var(&rates.Reject, "reject-rate", 0.05, "share of clean claims the 277CA rejects anyway (0-1)")
	f.Float64Var(&rates.Deny, "deny-rate", 0.10, "share of accepted claims denied in the 835 (0-1)")
	f.Float64Var(&rates.Partial, "partial-rate", 0.20, "share of accepted claims paid in part (0-1)")
	f.Float64Var(&plb.Interest, "interest-rate", 0, "share of payments with prompt-pay interest, PLB L6 (0-1)")
	f.Float64Var(&plb.Recovery, "recovery-rate", 0, "share of payments recovering an overpayment, PLB WO (0-1)")
	f.DurationVar(&delay, "adjudication-delay", 24*time.Hour, "time from the 277CA to the claim's 835")
	f.DurationVar(&jitter, "adjudication-jitter", 0, "up to this much more per claim")
	f.DurationVar(&releaseEvery, "release-interval", time.Minute, "how often due 835s are written")
	f.StringVar(&paymentMethod, "payment-method", "CHK", "BPR04 of payments: CHK or ACH")
	f.StringVar(&statePath, "state", "", "state file (default <root>/.paysim-state.json)")
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
