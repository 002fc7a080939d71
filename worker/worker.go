// Package worker runs the clearinghouse pipeline as River jobs on the store's
// database: the nightly batch (claims built and scrubbed, eligibility
// batches written), one submission job per clinic and payer, inbound polling
// per payer and one processing job per received file.
//
// Jobs are batch-grained and every one of them may run again after a crash
// without doing harm:
//
//   - submit_payer_batch{clinic, payer} first uploads the interchanges
//     recorded but not uploaded (a worker killed between recording and
//     uploading), then records and uploads one new 837 file at a time
//     (billing.PrepareSubmission marks its claims submitted in the same
//     transaction, so no claim is ever put in a second file). It is unique
//     per clinic and payer while pending or running.
//   - poll_inbound{payer} downloads the payer's responses; each file is
//     recorded and its process_inbound job inserted in one store transaction
//     (RecordInbound), before the file is acknowledged on the server.
//   - process_inbound{clinic, file} applies a TA1, 999 or 277CA
//     (billing.ApplyAcknowledgment), posts an 835 (billing.PostRemittance,
//     idempotent per payment) or applies a 271 (scheduling). A file that
//     cannot be read is quarantined with its position and raises an
//     operations worklist item; it is never dropped and never half-applied.
//   - nightly{clinic} builds the claims of ready encounters, scrubs the
//     drafts, writes the eligibility batches and inserts a submission job
//     for every payer with work. nightly_all fans out to every clinic.
//   - claim_status{clinic} writes a 276 per payer for the claims with no
//     835 after the payer's status_inquiry_days and inserts the payer's
//     submission job to upload it; claim_status_all fans out nightly.
//
// Long jobs work in slices and snooze between them, so each run stays short
// (Config.JobTimeout, the same for every kind) and a killed worker loses
// at most one slice; River rescues a dead worker's job within a minute.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/notify"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/transport/pgp"
)

// ErrConfig: a Config is incomplete or wrong.
var ErrConfig = errors.New("worker: bad configuration")

// ErrNoClinic: an inbound file names no clinic of the database (or more
// than one could be meant). The file stays on the payer's server.
var ErrNoClinic = errors.New("worker: inbound file matches no single clinic")

// Defaults of the zero Config values.
const (
	DefaultPollInterval    = 5 * time.Minute
	DefaultNightlyHour     = 2
	DefaultJobTimeout      = 15 * time.Second
	DefaultRescueGrace     = 5 * time.Second
	DefaultSliceSize       = 500
	DefaultRemittanceDelay = time.Minute
	// NoRemittanceDelay, as Config.RemittanceDelay, holds no 835 back.
	NoRemittanceDelay  time.Duration = -1
	DefaultRetryBase                 = 2 * time.Second
	DefaultRetryMax                  = 30 * time.Minute
	DefaultMaxAttempts               = 25
)

// Config configures a Pipeline. Zero values take the documented defaults.
type Config struct {
	// Store is the database. Required.
	Store store.Store
	// Billing builds, scrubs, submits and posts. Required.
	Billing *billing.Service
	// Payments applies patient money on account, collects payment plan
	// instalments and matches bank deposits in the nightly run. Optional:
	// without it the patient_payments job does nothing.
	Payments *payments.Service
	// Scheduling writes eligibility batches and applies 271s. Optional:
	// without it the nightly run writes no 270s and a 271 received is
	// quarantined.
	Scheduling *scheduling.Service
	// Payers is the payer registry. Required.
	Payers *payers.Registry
	// Endpoint says how to reach a payer's SFTP drop. Required.
	Endpoint func(p *payers.Payer) (transport.Endpoint, error)
	// Transport are the options of the SFTP clients (logger, metrics,
	// inbox directory, dialer). Recorder is set by the pipeline.
	Transport transport.Options
	// PollPayers are the payer IDs polled for responses; default every
	// payer of the registry.
	PollPayers []string
	// PollInterval is how often each payer is polled. Default 5 minutes.
	PollInterval time.Duration
	// NightlyHour and NightlyMinute are when the nightly run starts, in
	// Location (default UTC). Default 02:00.
	NightlyHour, NightlyMinute int
	Location                   *time.Location
	// NoNightly leaves the nightly run out of the periodic jobs (on-demand
	// runs still work).
	NoNightly bool
	// EligibilityBusinessDays is how many business days ahead the nightly
	// eligibility run looks; zero takes scheduling's default.
	EligibilityBusinessDays int
	// RemittanceDelay holds an 835 back after it is recorded, so the
	// acknowledgments of the same poll are applied before the payments.
	// Default 1 minute; NoRemittanceDelay applies 835s at once, for a
	// caller that applies the acknowledgments before the payers send
	// their 835s (a held job waits for River's scheduler, which looks
	// every 5 seconds, however short the hold).
	RemittanceDelay time.Duration
	// SliceSize is how many encounters a nightly job bills, and how many
	// drafts it scrubs, in one transaction (the job checks its time
	// budget between slices). Default 500.
	SliceSize int
	// SliceWorkers is how many slices a nightly job works at once; default
	// 2 on PostgreSQL, 1 on SQLite.
	SliceWorkers int
	// MaxClaimsPerFile caps the claims of one 837; zero means the payer's
	// max_claims_per_file.
	MaxClaimsPerFile int
	// StatusPendingDays raises a worklist item for a claim a payer's 277
	// reports pending this many days after submission; zero takes
	// billing.DefaultStatusPendingDays.
	StatusPendingDays int
	// JobTimeout bounds one run of every job kind. The jobs that work in
	// slices (nightly, submit_payer_batch, claim_status, process_inbound
	// posting an 835) start no new slice after half of it and snooze, to
	// go on in the next run, so a slice (SliceSize encounters or drafts,
	// one 837 file, billing.PostChunkSize claim payments) has at least
	// half of it. poll_inbound records each file as it is downloaded and,
	// when its time is up with files received, snoozes to go on (one file
	// must download within the timeout). The others (the fan-outs,
	// acknowledgments and 271s of one file, patient payments, a reminder,
	// model training) fit it by construction. Default 15 seconds.
	//
	// A job's context ends at its timeout; River may take the job from a
	// worker that died (the rescuer) only RescueAfter minus JobTimeout
	// later (default 5 seconds), so a job still alive has returned before
	// it runs again. RescueAfter defaults to JobTimeout plus 5 seconds;
	// River's rescuer looks every 30 seconds, so a killed worker's job
	// runs again within RescueAfter + 30 s + the first retry's backoff
	// + 5 s (River's scheduler): 57 seconds with the defaults.
	JobTimeout  time.Duration
	RescueAfter time.Duration
	// Retry is the backoff of failed jobs. Defaults: 2 s doubling up to
	// 30 minutes, 25 attempts.
	Retry RetryPolicy
	// ClinicFor names the clinic an inbound file belongs to. Default:
	// the clinic whose submitter ID is the file's ISA08, or the only clinic
	// of the database.
	ClinicFor func(ctx context.Context, payerID string, content []byte) (int64, error)
	// Codes are the code sets the scrubber checks claims against; when
	// set, the nightly run raises an operations worklist item for a stale
	// set (see codes.Sets.Stale).
	Codes *codes.Sets
	// Scrubber is the baseline the nightly denial model is evaluated
	// against; nil evaluates the model alone.
	Scrubber *scrub.Scrubber
	// Reminders delivers the reminder outbox (deliver_reminder jobs); nil
	// snoozes them until a process with delivery configured takes them.
	Reminders *notify.Deliverer
	// Metrics counts jobs; default a private unregistered set.
	Metrics *Metrics
	// Logger receives one line per job outcome (never PHI). Default
	// discards.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Pipeline owns the job workers, their SFTP clients and the periodic
// schedule. Build it with New, hand QueueConfig to store.Store.NewQueue,
// and Close it after the queue stopped.
type Pipeline struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics

	mu      sync.Mutex
	clients map[string]*transport.Client
	pgp     map[string]*pgp.Keys
	closed  bool
}

// New validates cfg, fills its defaults and returns a Pipeline.
func New(cfg Config) (*Pipeline, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, fmt.Errorf("%w: Store is required", ErrConfig))
	}
	if cfg.Billing == nil {
		errs = append(errs, fmt.Errorf("%w: Billing is required", ErrConfig))
	}
	if cfg.Payers == nil {
		errs = append(errs, fmt.Errorf("%w: Payers is required", ErrConfig))
	}
	if cfg.Endpoint == nil {
		errs = append(errs, fmt.Errorf("%w: Endpoint is required", ErrConfig))
	}
	if cfg.NightlyHour < 0 || cfg.NightlyHour > 23 || cfg.NightlyMinute < 0 || cfg.NightlyMinute > 59 {
		errs = append(errs, fmt.Errorf("%w: nightly time %02d:%02d is not a time of day", ErrConfig, cfg.NightlyHour, cfg.NightlyMinute))
	}
	if cfg.PollInterval < 0 || cfg.JobTimeout < 0 || cfg.RescueAfter < 0 || cfg.SliceSize < 0 || cfg.SliceWorkers < 0 || cfg.MaxClaimsPerFile < 0 || (cfg.RemittanceDelay < 0 && cfg.RemittanceDelay != NoRemittanceDelay) || cfg.StatusPendingDays < 0 {
		errs = append(errs, fmt.Errorf("%w: durations and sizes must not be negative", ErrConfig))
	}
	for _, id := range cfg.PollPayers {
		if cfg.Payers != nil {
			if _, ok := cfg.Payers.Get(id); !ok {
				errs = append(errs, fmt.Errorf("%w: poll payer %q is not in the registry", ErrConfig, id))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.NightlyHour == 0 && cfg.NightlyMinute == 0 {
		cfg.NightlyHour = DefaultNightlyHour
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.RemittanceDelay == 0 {
		cfg.RemittanceDelay = DefaultRemittanceDelay
	}
	if cfg.SliceSize == 0 {
		cfg.SliceSize = DefaultSliceSize
	}
	if cfg.JobTimeout == 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	if cfg.RescueAfter == 0 {
		cfg.RescueAfter = cfg.JobTimeout + DefaultRescueGrace
	}
	if cfg.RescueAfter < cfg.JobTimeout {
		return nil, fmt.Errorf("%w: RescueAfter %v is shorter than JobTimeout %v", ErrConfig, cfg.RescueAfter, cfg.JobTimeout)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Retry = cfg.Retry.withDefaults(cfg.Now)
	if len(cfg.PollPayers) == 0 {
		for _, p := range cfg.Payers.All() {
			if p.SFTP.Host != "" {
				cfg.PollPayers = append(cfg.PollPayers, p.ID)
			}
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		m, err := NewMetrics(nil)
		if err != nil {
			return nil, err
		}
		cfg.Metrics = m
	}
	if cfg.ClinicFor == nil {
		cfg.ClinicFor = (&clinicResolver{st: cfg.Store}).clinicFor
	}
	return &Pipeline{cfg: cfg, log: cfg.Logger, metrics: cfg.Metrics, clients: make(map[string]*transport.Client)}, nil
}

// Workers returns the job workers, to run in a queue.
func (p *Pipeline) Workers() *river.Workers {
	ws := river.NewWorkers()
	river.AddWorker(ws, &nightlyAllWorker{p: p})
	river.AddWorker(ws, &nightlyWorker{p: p})
	river.AddWorker(ws, &submitWorker{p: p})
	river.AddWorker(ws, &pollWorker{p: p})
	river.AddWorker(ws, &processInboundWorker{p: p})
	river.AddWorker(ws, &claimStatusAllWorker{p: p})
	river.AddWorker(ws, &claimStatusWorker{p: p})
	river.AddWorker(ws, &patientPaymentsWorker{p: p})
	river.AddWorker(ws, &deliverReminderWorker{p: p})
	river.AddWorker(ws, &trainModelsAllWorker{p: p})
	river.AddWorker(ws, &trainModelsWorker{p: p})
	return ws
}

// PeriodicJobs returns the schedule: nightly_all and claim_status_all at
// the nightly time and
// poll_inbound for each polled payer every PollInterval (and at start).
func (p *Pipeline) PeriodicJobs() []*river.PeriodicJob {
	var jobs []*river.PeriodicJob
	if !p.cfg.NoNightly {
		jobs = append(jobs, river.NewPeriodicJob(DailyAt(p.cfg.NightlyHour, p.cfg.NightlyMinute, p.cfg.Location),
			func() (river.JobArgs, *river.InsertOpts) { return NightlyAllArgs{}, nil },
			&river.PeriodicJobOpts{ID: "nightly_all"}))
		jobs = append(jobs, river.NewPeriodicJob(DailyAt(p.cfg.NightlyHour, p.cfg.NightlyMinute, p.cfg.Location),
			func() (river.JobArgs, *river.InsertOpts) { return ClaimStatusAllArgs{}, nil },
			&river.PeriodicJobOpts{ID: "claim_status_all"}))
		jobs = append(jobs, river.NewPeriodicJob(DailyAt(p.cfg.NightlyHour, p.cfg.NightlyMinute, p.cfg.Location),
			func() (river.JobArgs, *river.InsertOpts) { return TrainModelsAllArgs{}, nil },
			&river.PeriodicJobOpts{ID: "train_models_all"}))
	}
	for _, id := range p.cfg.PollPayers {
		jobs = append(jobs, river.NewPeriodicJob(river.PeriodicInterval(p.cfg.PollInterval),
			func() (river.JobArgs, *river.InsertOpts) { return PollInboundArgs{Payer: id}, nil },
			&river.PeriodicJobOpts{ID: "poll_inbound_" + id, RunOnStart: true}))
	}
	return jobs
}

// QueueConfig is the store.QueueConfig that runs this pipeline with
// workers concurrent jobs (zero: the store's default): its workers, its
// schedule, its retry policy, job timeout and stuck-job rescue.
func (p *Pipeline) QueueConfig(workers int) store.QueueConfig {
	qc := store.QueueConfig{
		Workers:      p.Workers(),
		PeriodicJobs: p.PeriodicJobs(),
		Logger:       p.log,
		Configure: func(c *river.Config) {
			c.RetryPolicy = p.cfg.Retry
			// The jobs' own contexts end at JobTimeout (see instrument);
			// River's timeout is the backstop, at the rescue horizon, for
			// every kind (none sets its own).
			c.JobTimeout = p.cfg.RescueAfter
			c.RescueStuckJobsAfter = p.cfg.RescueAfter
			c.MaxAttempts = p.cfg.Retry.MaxAttempts
		},
	}
	if workers > 0 {
		qc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}}
	}
	return qc
}

// Timeouts are the pipeline's job timeouts after defaults: Job, one run of
// any job kind, and RescueAfter, when River may take a job from a dead
// worker.
type Timeouts struct {
	Job, RescueAfter time.Duration
}

// Timeouts returns the job timeouts in force.
func (p *Pipeline) Timeouts() Timeouts {
	return Timeouts{Job: p.cfg.JobTimeout, RescueAfter: p.cfg.RescueAfter}
}

// Metrics returns the pipeline's job metrics.
func (p *Pipeline) Metrics() *Metrics { return p.metrics }

// Close closes the SFTP clients. Stop the queue first.
func (p *Pipeline) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for id, c := range p.clients {
		if err := c.Close(); err != nil && !errors.Is(err, transport.ErrClosed) {
			errs = append(errs, fmt.Errorf("payer %s: %w", id, err))
		}
		delete(p.clients, id)
	}
	return errors.Join(errs...)
}

// client returns the SFTP client of a payer, made on first use.
func (p *Pipeline) client(payerID string) (*transport.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, transport.ErrClosed
	}
	if c, ok := p.clients[payerID]; ok {
		return c, nil
	}
	py, err := p.cfg.Payers.Lookup(payerID)
	if err != nil {
		return nil, err
	}
	ep, err := p.cfg.Endpoint(py)
	if err != nil {
		return nil, fmt.Errorf("payer %s: endpoint: %w", payerID, err)
	}
	opts := p.cfg.Transport
	opts.Recorder = p
	c, err := transport.New(ep, opts)
	if err != nil {
		return nil, fmt.Errorf("payer %s: %w", payerID, err)
	}
	p.clients[payerID] = c
	return c, nil
}

// EndpointFor maps a payer definition's SFTP drop to a transport endpoint
// with the given credentials (the payer file's own credential, when it
// names one, takes their place): uploads go to the payer's outbound_path,
// responses are collected from its inbound_path and archived beside it in
// "archive" when archive is set.
func EndpointFor(p *payers.Payer, auth transport.Auth, archive bool) transport.Endpoint {
	ep := transport.Endpoint{
		PayerID:     p.ID,
		Host:        p.SFTP.Host,
		Port:        p.SFTP.Port,
		User:        p.SFTP.User,
		Auth:        auth,
		HostKey:     transport.HostKeyPin{Fingerprint: p.SFTP.HostKeyFingerprint},
		UploadDir:   p.SFTP.OutboundPath,
		DownloadDir: p.SFTP.InboundPath,
	}
	switch {
	case p.SFTP.PasswordEnv != "":
		ep.Auth = transport.Auth{PasswordEnv: p.SFTP.PasswordEnv}
	case p.SFTP.PrivateKeyFile != "":
		ep.Auth = transport.Auth{PrivateKeyFile: p.SFTP.PrivateKeyFile}
	}
	if archive && p.SFTP.InboundPath != "" {
		ep.ArchiveDir = parentDir(p.SFTP.InboundPath) + "archive"
	}
	return ep
}

// parentDir returns the directory above a slash path, with a trailing
// slash ("/KHP01/outbound" gives "/KHP01/").
func parentDir(p string) string {
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i+1]
		}
	}
	return ""
}
