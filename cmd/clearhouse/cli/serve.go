package cli

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fhir"
	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/notify"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

// DefaultListen is the address serve answers /metrics and /healthz on.
const DefaultListen = "127.0.0.1:9464"

// serveFlags are the settings of "clearhouse serve".
type serveFlags struct {
	listen          string
	migrate         bool
	payersDir       string
	profile         string
	sftpKey         string
	sftpPasswordEnv string
	knownHosts      string
	inbox           string
	workers         int
	pollInterval    time.Duration
	pollPayers      []string
	noPoll          bool
	nightly         string
	noNightly       bool
	tz              string
	shutdownTimeout time.Duration
	serveFor        time.Duration
	maxInboundSize  int64
	logLevel        string
	logFormat       string
	tokens          string
	fhirTokens      string
	tlsCert         string
	tlsKey          string
	insecureHTTP    bool
	reminders       string
}

func (f *serveFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.listen, "listen", DefaultListen, "address of the HTTP server for /metrics and /healthz")
	fl.BoolVar(&f.migrate, "migrate", false, "create or upgrade the database schema before starting")
	fl.StringVar(&f.payersDir, "payers", "", "directory of payer definitions (default: the built-in fixture payers)")
	fl.StringVar(&f.profile, "profile", "", "billing profile (YAML: billing address, fee schedule, allowed amounts) for every clinic, overriding the profile each clinic keeps in the database (clearhouse clinics update --profile)")
	fl.StringVar(&f.sftpKey, "sftp-key", "", "SSH private key file for the payers' SFTP servers")
	fl.StringVar(&f.sftpPasswordEnv, "sftp-password-env", "", "name of the environment variable holding the SFTP password")
	fl.StringVar(&f.knownHosts, "known-hosts", "", "OpenSSH known_hosts file pinning the payers' host keys (default: the fingerprints in the payer files)")
	fl.StringVar(&f.inbox, "inbox", "", "directory downloaded payer files are kept in (default: inbox beside the SQLite file, ./inbox for PostgreSQL)")
	fl.IntVar(&f.workers, "workers", 0, "jobs run at once (default: 4 on SQLite, 10 on PostgreSQL)")
	fl.DurationVar(&f.pollInterval, "poll-interval", worker.DefaultPollInterval, "how often each payer is polled for responses")
	fl.StringSliceVar(&f.pollPayers, "poll-payers", nil, "payer IDs to poll (default: every payer with an SFTP drop)")
	fl.BoolVar(&f.noPoll, "no-poll", false, "poll no payer (submissions still run)")
	fl.StringVar(&f.nightly, "nightly", fmt.Sprintf("%02d:00", worker.DefaultNightlyHour), "time of the nightly run, HH:MM in --tz")
	fl.BoolVar(&f.noNightly, "no-nightly", false, "leave the nightly run out of the schedule")
	fl.StringVar(&f.tz, "tz", "", "time zone of the nightly run and of the clinics, IANA name (default: $CLEARHOUSE_TZ, else the system's zone)")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on shutdown, how long running jobs may finish before they are cancelled")
	fl.DurationVar(&f.serveFor, "serve-for", 0, "stop after this long (0: run until SIGINT or SIGTERM)")
	fl.Int64Var(&f.maxInboundSize, "max-inbound-size", 0, "largest payer file downloaded, in bytes; a larger one is left on the server and logged (default: the file store's size limit)")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&f.logFormat, "log-format", "", logFormatUsage)
	fl.StringVar(&f.tokens, "tokens", "", `file of bearer tokens for /riverui and /fhir/r4 instead of the database users' tokens, one "NAME ROLE CLINICS SHA256-OF-TOKEN" line each`)
	fl.StringVar(&f.fhirTokens, "fhir-tokens", "", "deprecated name of --tokens (same file format)")
	_ = fl.MarkDeprecated("fhir-tokens", "use --tokens (the same NAME ROLE CLINICS SHA256 file), which now covers /riverui and /fhir/r4")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS (TLS 1.2 or later) with --tls-key")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file of --tls-cert")
	fl.BoolVar(&f.insecureHTTP, "insecure-http", false, "serve plain HTTP on a non-loopback --listen address without --tls-cert (behind a TLS-terminating proxy only)")
	fl.StringVar(&f.reminders, "reminders", "", "reminders file (YAML: SMTP server, SMS provider, message templates): send appointment reminders (default: none are sent)")
}

// serveSettings are the flags checked and parsed.
type serveSettings struct {
	loc           *time.Location
	nightlyHour   int
	nightlyMinute int
	auth          transport.Auth
	level         slog.Level
	// tls is the HTTPS configuration, nil for plain HTTP; plainWarning
	// is set when plain HTTP is served on a non-loopback address
	// (--insecure-http).
	tls          *tls.Config
	plainWarning bool
}

// check validates the flags that need no file or database, returning every
// problem at once.
func (f *serveFlags) check(env *Env) (serveSettings, error) {
	var s serveSettings
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if f.workers < 0 {
		bad("--workers %d: want 0 (the default) or more", f.workers)
	}
	if f.pollInterval <= 0 {
		bad("--poll-interval %v: want a positive duration", f.pollInterval)
	}
	if f.shutdownTimeout <= 0 {
		bad("--shutdown-timeout %v: want a positive duration", f.shutdownTimeout)
	}
	if f.maxInboundSize < 0 {
		bad("--max-inbound-size %d: want a positive number of bytes, or 0 for the file store's limit", f.maxInboundSize)
	}
	if f.serveFor < 0 {
		bad("--serve-for %v: want a positive duration, or 0 to run until stopped", f.serveFor)
	}
	if f.noPoll && len(f.pollPayers) > 0 {
		bad("--no-poll and --poll-payers: give one or the other")
	}
	host, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		bad("--listen %q: want host:port", f.listen)
	}
	switch {
	case (f.tlsCert == "") != (f.tlsKey == ""):
		bad("--tls-cert and --tls-key: give both, or neither")
	case f.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			// The error names the files, never the key's content.
			bad("--tls-cert %s, --tls-key %s: %v", f.tlsCert, f.tlsKey, err)
		} else {
			s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
	case err == nil && !loopbackHost(host) && !f.insecureHTTP:
		bad("--listen %s is not a loopback address and /riverui and /fhir/r4 carry bearer tokens and PHI: give --tls-cert and --tls-key "+
			"to serve HTTPS there, or --insecure-http when a TLS-terminating proxy stands in front", f.listen)
	case err == nil && !loopbackHost(host):
		s.plainWarning = true
	}
	if s.loc, err = clinicLocation(env, f.tz); err != nil {
		errs = append(errs, errors.Unwrap(err))
	}
	if t, err := time.Parse("15:04", f.nightly); err != nil {
		bad("--nightly %q: want HH:MM", f.nightly)
	} else {
		s.nightlyHour, s.nightlyMinute = t.Hour(), t.Minute()
	}
	if err := s.level.UnmarshalText([]byte(f.logLevel)); err != nil {
		bad("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	if err := checkLogFormat(f.logFormat); err != nil {
		errs = append(errs, err)
	}
	switch {
	case f.sftpKey != "" && f.sftpPasswordEnv != "":
		bad("--sftp-key and --sftp-password-env: give one SFTP credential, not both")
	case f.sftpKey != "":
		if st, err := os.Stat(f.sftpKey); err != nil || !st.Mode().IsRegular() {
			bad("--sftp-key %s: not a readable file", f.sftpKey)
		}
		s.auth = transport.Auth{PrivateKeyFile: f.sftpKey}
	case f.sftpPasswordEnv != "":
		// The password is read when a payer is dialed; only its presence
		// is checked here, and it is never printed.
		if env.Getenv(f.sftpPasswordEnv) == "" {
			bad("--sftp-password-env: $%s is empty or unset", f.sftpPasswordEnv)
		}
		s.auth = transport.Auth{PasswordEnv: f.sftpPasswordEnv}
	default:
		bad("no SFTP credential: give --sftp-key FILE or --sftp-password-env NAME")
	}
	if f.knownHosts != "" {
		if _, err := os.Stat(f.knownHosts); err != nil {
			bad("--known-hosts %s: not a readable file", f.knownHosts)
		}
	}
	if len(errs) > 0 {
		return s, &ExitError{Code: 2, Err: errors.Join(errs...)}
	}
	return s, nil
}

// endpoint maps a payer to its SFTP endpoint: the payer file's drop, the
// credential of the flags and the host key pinned by the payer file or by
// --known-hosts. Acknowledged responses are archived beside the inbound
// folder.
func (f *serveFlags) endpoint(auth transport.Auth) func(*payers.Payer) (transport.Endpoint, error) {
	return func(py *payers.Payer) (transport.Endpoint, error) {
		ep := worker.EndpointFor(py, auth, true)
		if f.knownHosts != "" {
			ep.HostKey = transport.HostKeyPin{KnownHostsFile: f.knownHosts}
		}
		ep = ep.WithDefaults()
		if err := ep.Validate(); err != nil {
			return transport.Endpoint{}, err
		}
		return ep, nil
	}
}

// loopbackHost reports whether a --listen host answers only this machine:
// localhost or a loopback IP (an empty host or 0.0.0.0 is every
// interface).
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// inboxDir is --inbox or its default.
func (f *serveFlags) inboxDir(database string) string {
	if f.inbox != "" {
		return f.inbox
	}
	if storedb.IsPostgres(database) {
		return "inbox"
	}
	return filepath.Join(filepath.Dir(database), "inbox")
}

// newServeCmd builds "clearhouse serve": the job workers, the periodic
// schedule and the HTTP endpoints /metrics and /healthz, until a signal.
func newServeCmd(env *Env) *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the job workers, the nightly and polling schedule, /metrics and /healthz",
		Long: "serve runs the pipeline's River jobs against --database (PostgreSQL or the SQLite default): the nightly\n" +
			"run (claims built and scrubbed, eligibility batches), submissions to the payers' SFTP drops, polling for\n" +
			"their responses and applying them. It serves Prometheus metrics on /metrics and a health check on\n" +
			"/healthz (200 when the database answers and the queue runs, 503 otherwise).\n\n" +
			"On SIGINT or SIGTERM it stops fetching jobs, lets running jobs finish for up to --shutdown-timeout\n" +
			"(then cancels them; they run again on the next start), stops the HTTP server and closes the database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmdContext(cmd), env, &f)
		},
	}
	f.register(c)
	return c
}

// server is one run of serve: what it built, for shutdown in reverse order.
type server struct {
	env      *Env
	log      *slog.Logger
	st       store.Store
	wired    *worker.Wired
	queue    store.Queue
	http     *http.Server
	registry *prometheus.Registry
	// auth finds the caller of a protected route; riverUI is River UI,
	// whose background work stops with stopUI.
	auth    access.Authenticator
	riverUI http.Handler
	stopUI  context.CancelFunc
	// fhirAPI is the FHIR R4 read API, nil when off (serve_fhir.go).
	fhirAPI http.Handler
	// running is true from the queue's start until shutdown begins.
	running atomic.Bool
	// stopRequests stops the loop that turns job requests into jobs;
	// requestsDone closes when it has.
	stopRequests context.CancelFunc
	requestsDone chan struct{}
}

func runServe(ctx context.Context, env *Env, f *serveFlags) error {
	set, err := f.check(env)
	if err != nil {
		return err
	}
	log := slog.New(newLogHandler(env.Stderr, f.logFormat, set.level))
	s := &server{env: env, log: log}
	defer s.close()
	if err := s.build(ctx, f, set); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return exitf(2, "--listen %s: %v", f.listen, err)
	}
	// The queue's jobs outlive a cancelled context until shutdown has
	// given them --shutdown-timeout.
	if err := s.queue.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return exitf(1, "start the job queue: %v", err)
	}
	s.running.Store(true)
	// People's commands write job requests; serve alone inserts the jobs.
	reqCtx, stopRequests := context.WithCancel(context.WithoutCancel(ctx))
	s.stopRequests, s.requestsDone = stopRequests, make(chan struct{})
	go func() {
		defer close(s.requestsDone)
		s.wired.Pipeline.ServeJobRequests(reqCtx, 0)
	}()
	// The server's own complaints (a failed TLS handshake) go to serve's
	// log, not to the process's standard logger.
	s.http = &http.Server{Handler: s.routes(s.auth), ReadHeaderTimeout: 10 * time.Second, TLSConfig: set.tls,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	scheme := "http"
	if set.tls != nil {
		scheme = "https"
		// The certificate is in TLSConfig; ServeTLS sets up HTTP/2 too.
		go func() { served <- s.http.ServeTLS(ln, "", "") }()
	} else {
		go func() { served <- s.http.Serve(ln) }()
	}
	if set.plainWarning {
		log.Warn("serving plain HTTP on a non-loopback address (--insecure-http): bearer tokens and PHI cross the network in clear "+
			"unless a TLS-terminating proxy stands in front", "addr", ln.Addr().String())
	}
	sigCtx, stopSignals := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()
	log.Info("serving", "database", storedb.Describe(env.Database), "addr", scheme+"://"+ln.Addr().String(),
		"workers", queueWorkers(env.Database, f.workers), "version", Version)
	var timer <-chan time.Time
	if f.serveFor > 0 {
		t := time.NewTimer(f.serveFor)
		defer t.Stop()
		timer = t.C
	}
	var serveErr error
	select {
	case <-sigCtx.Done():
		log.Info("shutting down", "reason", "signal or cancel")
	case <-timer:
		log.Info("shutting down", "reason", "--serve-for elapsed")
	case err := <-served:
		serveErr = err
		log.Error("http server failed", "err", err)
	}
	return s.shutdown(f.shutdownTimeout, serveErr)
}

// build opens the database and builds the services and the queue.
func (s *server) build(ctx context.Context, f *serveFlags, set serveSettings) error {
	var reg *payers.Registry
	var err error
	if f.payersDir != "" {
		reg, err = payers.LoadDir(f.payersDir)
	} else {
		reg, err = fixtures.Payers()
	}
	if err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("payers: %w", err)}
	}
	endpoint := f.endpoint(set.auth)
	for _, py := range reg.All() {
		if _, err := endpoint(py); err != nil {
			return exitf(2, "payer %s: SFTP endpoint: %v", py.ID, err)
		}
	}
	var profiles billing.ProfileSource
	if f.profile != "" {
		raw, err := os.ReadFile(f.profile)
		if err != nil {
			return exitf(2, "--profile: %v", err)
		}
		if profiles, err = billing.LoadProfiles(f.profile, raw); err != nil {
			return &ExitError{Code: 2, Err: err}
		}
	}
	var reminders *notify.Config
	if f.reminders != "" {
		raw, err := os.ReadFile(f.reminders)
		if err != nil {
			return exitf(2, "--reminders: %v", err)
		}
		rc, err := notify.ParseSettings(f.reminders, raw, s.env.Getenv)
		if err != nil {
			return &ExitError{Code: 2, Err: err}
		}
		reminders = &rc
	}
	inbox := f.inboxDir(s.env.Database)
	if err := os.MkdirAll(inbox, 0o700); err != nil {
		return exitf(2, "--inbox: %v", err)
	}

	s.st, err = s.env.openStore(ctx, storedb.Options{Create: f.migrate})
	if err != nil {
		return exitf(2, "open %s: %v", storedb.Describe(s.env.Database), err)
	}
	if f.migrate {
		applied, err := s.st.Migrate(ctx)
		if err != nil {
			return exitf(1, "migrate: %v", err)
		}
		s.log.Info("migrated", "applied", len(applied))
	}
	if s.auth, err = f.authenticator(s.st); err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	uiCtx, stopUI := context.WithCancel(context.WithoutCancel(ctx))
	s.stopUI = stopUI
	if s.riverUI, err = s.newRiverUI(uiCtx); err != nil {
		return exitf(1, "%v", err)
	}
	logRiverUI(s.log, f.tokensFile())
	if s.fhirAPI, err = newFHIRAPI(s.st, s.auth, s.log); err != nil {
		return err
	}
	if profiles == nil {
		if profiles, err = billing.StoredProfiles(ctx, s.st); err != nil {
			return exitf(2, "profiles: %v", err)
		}
	}
	var jobMetrics *worker.Metrics
	var transferMetrics *transport.Metrics
	if s.registry, jobMetrics, transferMetrics, err = newServeMetrics(s.st, s.log); err != nil {
		return exitf(1, "metrics: %v", err)
	}
	s.wired, err = worker.Wire(worker.Wiring{
		Store:      s.st,
		Payers:     reg,
		Profiles:   profiles,
		Billing:    billing.Options{Actor: "worker"},
		Scheduling: scheduling.Config{NoReminders: reminders == nil},
		Reminders:  reminders,
		Pipeline: worker.Config{
			Endpoint: endpoint,
			Transport: transport.Options{InboxDir: inbox, Logger: s.log, Getenv: s.env.Getenv, Metrics: transferMetrics,
				MaxInboundSize: cmp.Or(f.maxInboundSize, s.env.Files.MaxSize, filestore.DefaultMaxSize)},
			Metrics:       jobMetrics,
			PollPayers:    f.pollPayers,
			PollInterval:  f.pollInterval,
			NightlyHour:   set.nightlyHour,
			NightlyMinute: set.nightlyMinute,
			NoNightly:     f.noNightly,
		},
		Workers:         f.workers,
		NoPoll:          f.noPoll,
		SoftStopTimeout: f.shutdownTimeout,
		Location:        set.loc,
		Logger:          s.log,
		// River logs its own start and stop at info; keep only its warnings.
		QueueLogger: slog.New(newLogHandler(s.env.Stderr, f.logFormat, max(set.level, slog.LevelWarn))),
	})
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	s.queue = s.wired.Queue
	// The nightly run raises a worklist item for a stale code set; say it
	// at start too.
	for _, c := range s.wired.Codes.Stale(codes.DayOf(time.Now().In(set.loc))) {
		s.log.Warn("code set out of date: claims of later dates are checked against its latest release", "set", c.Kind,
			"release", c.Release.Name, "ended", c.Ended.String(), "import", c.Import)
	}
	return nil
}

// newServeMetrics builds the registry /metrics serves (see
// registerServeMetrics).
func newServeMetrics(st store.Store, log *slog.Logger) (*prometheus.Registry, *worker.Metrics, *transport.Metrics, error) {
	reg := prometheus.NewRegistry()
	jobs, transfers, err := registerServeMetrics(reg, st, log)
	return reg, jobs, transfers, err
}

// registerServeMetrics registers on reg the job and SFTP transfer metrics
// the pipeline counts into, the database's state read at each scrape
// (queue depth, claims by status, oldest unacknowledged submission), and
// the Go runtime and process collectors.
func registerServeMetrics(reg prometheus.Registerer, st store.Store, log *slog.Logger) (*worker.Metrics, *transport.Metrics, error) {
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, nil, err
	}
	jobs, err := worker.NewMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	transfers, err := transport.NewMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	counter, _ := st.(worker.JobCounter)
	if err := reg.Register(worker.NewStateCollector(st, counter, log, nil)); err != nil {
		return nil, nil, err
	}
	return jobs, transfers, nil
}

// queueWorkers is how many jobs serve runs at once: --workers, or the
// store's default (10 on PostgreSQL, 4 on SQLite; see store.QueueConfig).
func queueWorkers(database string, flag int) int {
	switch {
	case flag > 0:
		return flag
	case storedb.IsPostgres(database):
		return 10
	}
	return 4
}

// health is the body of /healthz.
type health struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Queue    string `json:"queue"`
	Clinics  *int   `json:"clinics,omitempty"`
}

// routes are serve's HTTP routes; auth finds the caller of the protected
// ones.
func (s *server) routes(auth access.Authenticator) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
	mux.HandleFunc("GET /healthz", s.healthz)
	s.mountRiverUI(mux, s.riverUI, auth)
	if s.fhirAPI != nil {
		mux.Handle(fhir.Base+"/", s.fhirAPI)
	}
	return mux
}

// healthz answers 200 when the database answers a cheap query and the
// queue runs, 503 otherwise. Errors are logged, not shown.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	h := health{Status: "ok", Database: "ok", Queue: "running"}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	clinics, err := s.st.ListClinics(ctx)
	if err != nil {
		s.log.Warn("healthz: database does not answer", "err", err)
		h.Status, h.Database = "unavailable", "unavailable"
	} else {
		n := len(clinics)
		h.Clinics = &n
	}
	if !s.queueRunning() {
		h.Status, h.Queue = "unavailable", "stopped"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if h.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(h)
}

// queueRunning reports whether the queue was started, is not shutting
// down and, when it can tell, has not stopped on its own.
func (s *server) queueRunning() bool {
	if !s.running.Load() {
		return false
	}
	if q, ok := s.queue.(interface{ Stopped() <-chan struct{} }); ok {
		if ch := q.Stopped(); ch != nil {
			select {
			case <-ch:
				return false
			default:
			}
		}
	}
	return true
}

// shutdown stops the queue (running jobs get the timeout, then are
// cancelled), then the HTTP server; close closes the rest.
func (s *server) shutdown(timeout time.Duration, serveErr error) error {
	s.running.Store(false)
	s.stopJobRequests()
	var errs []error
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("http server: %w", serveErr))
	}
	// River cancels the running jobs after SoftStopTimeout; allow them
	// a little more to return.
	stopCtx, cancel := context.WithTimeout(context.Background(), timeout+10*time.Second)
	defer cancel()
	if err := s.queue.Stop(stopCtx); err != nil {
		errs = append(errs, fmt.Errorf("job queue did not stop: %w", err))
	}
	httpCtx, cancelHTTP := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelHTTP()
	if err := s.http.Shutdown(httpCtx); err != nil {
		errs = append(errs, fmt.Errorf("http server: %w", err))
	}
	s.queue = nil
	if len(errs) > 0 {
		return &ExitError{Code: 1, Err: errors.Join(errs...)}
	}
	s.log.Info("stopped")
	return nil
}

// stopJobRequests stops taking job requests and waits for the round in
// progress.
func (s *server) stopJobRequests() {
	if s.stopRequests != nil {
		s.stopRequests()
		<-s.requestsDone
		s.stopRequests = nil
	}
}

// close releases what build made, in reverse order.
func (s *server) close() {
	s.stopJobRequests()
	if s.stopUI != nil {
		s.stopUI()
	}
	if s.queue != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = s.queue.Stop(ctx)
		cancel()
	}
	if s.wired != nil {
		if err := s.wired.Close(); err != nil {
			s.log.Warn("closing SFTP clients", "err", err)
		}
	}
	if s.st != nil {
		if err := s.st.Close(); err != nil {
			s.log.Warn("closing the database", "err", err)
		}
	}
}
