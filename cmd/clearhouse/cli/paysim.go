package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
	"github.com/clearhouse/clearhouse/transport/pgp"
)

func newPaysimCmd(env *Env) *cobra.Command {
	var (
		realtimeAddr                                    string
		listen, root, hostKey                           string
		users, payerIDs, pgpSpecs                       []string
		passwordEnvs, authorizedKeys                    []string
		maxFileSize                                     int64
		serveFor                                        time.Duration
		rosterPath, payersDir, statePath, paymentMethod string
		seed                                            uint64
		rates                                           paysim.Rates
		plb                                             paysim.ProviderAdjustmentRates
		delay, jitter, releaseEvery                     time.Duration
		rejectUnknown, pgpSign                          bool
		copay, logFormat                                string
		coinsurance                                     int64
	)
	cmd := &cobra.Command{
		Use:   "paysim",
		Short: "Run the payer simulator: an SFTP gateway answering 837s, 270s and 276s",
		Long: `Paysim serves a payer's EDI gateway over SFTP for testing: for each payer,
<root>/<payer>/inbound (the clearinghouse uploads there), <root>/<payer>/outbound
(responses are dropped there) and <root>/<payer>/archive.

Each 837 that arrives is answered with a TA1 (envelope errors) or a 999, then a
277CA accepting or rejecting each claim; accepted claims are paid, partly paid or
denied in an 835 released --adjudication-delay later (checked every
--release-interval). Each 270 is answered with a 271 from the --roster (JSON or
CSV), and each 276 with a 277 claim status response that follows each claim
here: received (A2), pending (P1), paid (F1), denied (F2), rejected by its
277CA, or not found (A4). Decisions are drawn from --seed, so a run can be repeated. The state
(control numbers, answered files, claims awaiting their 835) is kept in
--state, so a restart neither answers a file twice nor loses an 835.

Users are given as --user NAME:PAYER (confined to that payer's folders) or
--user NAME (sees every payer). Each user has its own credentials, and no
password or key may open two accounts: --password-env NAME=VAR gives user NAME
the password in $VAR, --authorized-keys NAME=FILE the keys of an
authorized_keys file. A bare --password-env VAR (by default
CLEARHOUSE_PAYSIM_PASSWORD) is the password of the only user or, with several
users, means $VAR_NAME for each (NAME upper-cased, other characters than
letters and digits as _); a bare --authorized-keys FILE is for the only user.
Failed password logins are answered after a delay that doubles from 100ms
to 4s per user and per address. Uploads past --max-file-size are refused and
removed. The host key is loaded from --host-key, or generated
and saved there on first run; its fingerprint and a known_hosts line are
printed at start. The server runs until interrupted (or for --serve-for).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(users) == 0 {
				return exitf(2, "paysim: give at least one --user NAME:PAYER")
			}
			accounts, err := paysimUsers(users, passwordEnvs, authorizedKeys, env.Getenv)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			if err := checkLogFormat(logFormat); err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			logger := slog.New(newLogHandler(env.Stderr, logFormat, nil))
			cfg := paysim.ServerConfig{
				Addr:        listen,
				Root:        root,
				Payers:      payerIDs,
				HostKeyPath: hostKey,
				Users:       accounts,
				MaxFileSize: maxFileSize,
				Logger:      logger,
			}
			var reg *payers.Registry
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
			pgpKeys := make(map[string]*pgp.Keys)
			for _, spec := range pgpSpecs {
				payer, files, ok := strings.Cut(spec, "=")
				priv, pub, ok2 := strings.Cut(files, ",")
				if !ok || !ok2 || payer == "" || priv == "" || pub == "" {
					return exitf(2, "paysim: --pgp %q: want PAYER=PAYER_PRIVATE_KEY,CLEARHOUSE_PUBLIC_KEY", spec)
				}
				k, err := pgp.Load(pgp.Config{PartnerPublicKeyFile: pub, PrivateKeyFile: priv, Sign: pgpSign})
				if err != nil {
					return &ExitError{Code: 2, Err: fmt.Errorf("paysim: --pgp %s: %w", payer, err)}
				}
				pgpKeys[payer] = k
			}
			sim, err := paysim.NewSimulator(paysim.Config{
				PGP:                  pgpKeys,
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
			var rtServer *http.Server
			if realtimeAddr != "" {
				ln, err := net.Listen("tcp", realtimeAddr)
				if err != nil {
					return &ExitError{Code: 1, Err: fmt.Errorf("paysim: --realtime-addr: %w", err)}
				}
				mux := http.NewServeMux()
				mux.Handle("POST /core", sim.RealTimeHandler())
				rtServer = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
				go func() { _ = rtServer.Serve(ln) }()
				context.AfterFunc(ctx, func() { _ = rtServer.Close() })
				fmt.Fprintf(env.Stdout, "paysim: real-time 270/276 (CAQH CORE HTTP+MIME) at http://%s/core\n", ln.Addr())
			}
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
	f.StringVar(&realtimeAddr, "realtime-addr", "", "TCP address of the real-time 270/276 endpoint (POST /core); empty: none")
	f.StringVar(&hostKey, "host-key", "paysim_host_ed25519_key", "host key file (generated and saved if missing)")
	f.StringArrayVar(&users, "user", nil, "user NAME:PAYER, or NAME for access to every payer (repeatable)")
	f.StringArrayVar(&payerIDs, "payer", nil, "payer whose folders to create besides the users' payers (repeatable)")
	f.StringArrayVar(&passwordEnvs, "password-env", []string{"CLEARHOUSE_PAYSIM_PASSWORD"}, "NAME=VAR: environment variable holding user NAME's password; a bare VAR: the only user's, or VAR_NAME per user (repeatable)")
	f.StringArrayVar(&authorizedKeys, "authorized-keys", nil, "NAME=FILE: authorized_keys file of user NAME; a bare FILE: the only user's (repeatable)")
	f.Int64Var(&maxFileSize, "max-file-size", paysim.DefaultMaxFileSize, "largest file a client may upload, in bytes")
	f.DurationVar(&serveFor, "serve-for", 0, "stop after this long (0: until interrupted)")
	f.StringVar(&payersDir, "payers", "", "directory of payer definitions giving each payer's ISA/GS IDs (default: the fixture payers)")
	f.StringVar(&rosterPath, "roster", "", "member roster for 271s and cost sharing: a .json or .csv file")
	f.BoolVar(&rejectUnknown, "reject-unknown-members", false, "277CA rejects claims of subscribers not in the roster")
	f.StringVar(&copay, "default-copay", "0", "office visit copay of subscribers not in the roster, dollars")
	f.StringVar(&logFormat, "log-format", "", logFormatUsage)
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
	f.StringArrayVar(&pgpSpecs, "pgp", nil, "PAYER=PAYER_PRIVATE_KEY,CLEARHOUSE_PUBLIC_KEY: the payer encrypts with OpenPGP (repeatable)")
	f.BoolVar(&pgpSign, "pgp-sign", false, "PGP payers sign their files and require the clearinghouse's signature")
	return cmd
}

// paysimUsers gives each --user NAME[:PAYER] its own credentials from
// --password-env and --authorized-keys (see the command's help).
func paysimUsers(users, passwordEnvs, keyFiles []string, getenv func(string) string) ([]paysim.User, error) {
	accounts := make([]paysim.User, 0, len(users))
	index := map[string]int{}
	for _, u := range users {
		name, payer, _ := strings.Cut(u, ":")
		index[name] = len(accounts)
		accounts = append(accounts, paysim.User{Name: name, Payer: payer})
	}
	single := len(accounts) == 1

	var bareEnv string
	explicit := map[string]string{} // user -> variable
	for _, spec := range passwordEnvs {
		name, variable, ok := strings.Cut(spec, "=")
		switch {
		case !ok && bareEnv != "":
			return nil, fmt.Errorf("paysim: --password-env %s and %s: give one bare variable at most, or NAME=VAR per user", bareEnv, spec)
		case !ok:
			bareEnv = spec
		case variable == "":
			return nil, fmt.Errorf("paysim: --password-env %s: want NAME=VAR", spec)
		default:
			if _, known := index[name]; !known {
				return nil, fmt.Errorf("paysim: --password-env %s: no --user %s", spec, name)
			}
			explicit[name] = variable
		}
	}
	for i := range accounts {
		u := &accounts[i]
		variable, ok := explicit[u.Name]
		switch {
		case ok:
		case bareEnv == "":
		case single:
			variable = bareEnv
		default:
			variable = bareEnv + "_" + envSuffix(u.Name)
		}
		if variable != "" {
			u.Password = getenv(variable)
		}
	}

	for _, spec := range keyFiles {
		name, file, ok := strings.Cut(spec, "=")
		i, known := index[name]
		if !ok || !known {
			// A bare file (which may hold '=' in its name).
			if !single {
				return nil, fmt.Errorf("paysim: --authorized-keys %s: with several users give --authorized-keys NAME=FILE for each", spec)
			}
			i, file = 0, spec
		}
		keys, err := readAuthorizedKeys(file)
		if err != nil {
			return nil, err
		}
		accounts[i].AuthorizedKeys = append(accounts[i].AuthorizedKeys, keys...)
	}

	for _, u := range accounts {
		if u.Password == "" && len(u.AuthorizedKeys) == 0 {
			hint := "--password-env " + u.Name + "=VAR"
			if bareEnv != "" && !single {
				hint = "$" + bareEnv + "_" + envSuffix(u.Name)
			} else if bareEnv != "" {
				hint = "$" + bareEnv
			}
			return nil, fmt.Errorf("paysim: no credentials for user %s: set %s or give --authorized-keys %s=FILE", u.Name, hint, u.Name)
		}
	}
	return accounts, nil
}

// envSuffix turns a user name into the end of an environment variable name:
// upper case, characters other than letters and digits as '_'.
func envSuffix(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
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
