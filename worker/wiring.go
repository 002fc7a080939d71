package worker

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/notify"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/predict"
	"github.com/clearhouse/clearhouse/rules"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
)

// Wiring is what `clearhouse serve` and the demo give Wire: the store, the
// payers, the clinics' billing profiles and the settings of the services,
// the pipeline and its queue. Wire builds them in one way for both, so the
// demo exercises serve's set-up.
type Wiring struct {
	// Store is the database. Required.
	Store store.Store
	// Payers is the payer registry. Required.
	Payers *payers.Registry
	// Profiles are the clinics' billing profiles (billing address, fee
	// schedule); claims cannot be built without one.
	Profiles billing.ProfileSource
	// Codes are the code sets; default the embedded ones. The nightly run
	// warns (one operations item) when one is out of date.
	Codes *codes.Sets
	// Scrubber checks claims; default one of Codes and the embedded rule
	// files.
	Scrubber *scrub.Scrubber
	// Billing are the billing service's options; Wire sets their Store,
	// Scrubber, Payers, Profiles, Logger and Now.
	Billing billing.Options
	// Scheduling is the scheduling service's configuration; Wire sets its
	// Store, Payers, Location, Logger and Now.
	Scheduling scheduling.Config
	// Pipeline is the pipeline's configuration; Wire sets its Store,
	// Billing, Scheduling, Payers, Codes, Location, Logger and Now.
	Pipeline Config
	// Reminders, when set, turns reminder delivery on: scheduling writes
	// the outbox and its jobs, and the queue sends them with a
	// notify.Deliverer of this configuration (Wire sets its Store,
	// Location, Logger and Now).
	Reminders *notify.Config
	// Workers is how many jobs run at once; zero takes the store's default.
	Workers int
	// NoPoll schedules no polling (the nightly run stays, unless
	// Pipeline.NoNightly); NoPeriodic schedules nothing at all, for a
	// caller that inserts the jobs on its own clock.
	NoPoll, NoPeriodic bool
	// FetchPollInterval is how often idle workers look for jobs; default
	// River's.
	FetchPollInterval time.Duration
	// SoftStopTimeout is how long running jobs may finish when the queue
	// stops before they are cancelled; default River's.
	SoftStopTimeout time.Duration
	// Location is the clinics' time zone: the nightly run's and the
	// appointments'. Default UTC.
	Location *time.Location
	// Logger receives the services' logs; QueueLogger River's own (default
	// Logger). Default: discard.
	Logger, QueueLogger *slog.Logger
	// Now is the clock of every service. Default time.Now.
	Now func() time.Time
	// Processor takes the card payments of payment plans; nil leaves
	// their instalments to the front desk.
	Processor payments.Processor
}

// Wired is what Wire built. Start Queue to work the pipeline; on shutdown
// stop Queue, then Close.
type Wired struct {
	Codes      *codes.Sets
	Scrubber   *scrub.Scrubber
	Billing    *billing.Service
	Scheduling *scheduling.Service
	Payments   *payments.Service
	Pipeline   *Pipeline
	Queue      store.Queue
}

// Close closes the pipeline's SFTP clients; stop the queue first.
func (w *Wired) Close() error { return w.Pipeline.Close() }

func (w *Wiring) validate() error {
	var errs []error
	if w.Store == nil {
		errs = append(errs, fmt.Errorf("%w: Wiring.Store is required", ErrConfig))
	}
	if w.Payers == nil {
		errs = append(errs, fmt.Errorf("%w: Wiring.Payers is required", ErrConfig))
	}
	if w.Workers < 0 {
		errs = append(errs, fmt.Errorf("%w: Wiring.Workers %d: want 0 (the default) or more", ErrConfig, w.Workers))
	}
	if w.FetchPollInterval < 0 || w.SoftStopTimeout < 0 {
		errs = append(errs, fmt.Errorf("%w: Wiring durations must not be negative", ErrConfig))
	}
	return errors.Join(errs...)
}

// NewScrubber builds the scrubber of the code sets (nil: the embedded
// ones) and the embedded rule files.
func NewScrubber(reg *payers.Registry, sets *codes.Sets) (*scrub.Scrubber, error) {
	if sets == nil {
		var err error
		if sets, err = codes.LoadEmbedded(); err != nil {
			return nil, err
		}
	}
	files, err := scrub.LoadRuleFiles(rules.Files())
	if err != nil {
		return nil, err
	}
	return scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
}

// Wire validates w and builds the scrubber, the billing and scheduling
// services, the pipeline and its (not started) queue.
func Wire(w Wiring) (*Wired, error) {
	if err := w.validate(); err != nil {
		return nil, err
	}
	if w.Location == nil {
		w.Location = time.UTC
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	if w.QueueLogger == nil {
		w.QueueLogger = w.Logger
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	out := &Wired{Scrubber: w.Scrubber}
	if w.Codes == nil {
		var err error
		if w.Codes, err = codes.LoadEmbedded(); err != nil {
			return nil, fmt.Errorf("code sets: %w", err)
		}
	}
	out.Codes = w.Codes
	if out.Scrubber == nil {
		var err error
		if out.Scrubber, err = NewScrubber(w.Payers, w.Codes); err != nil {
			return nil, fmt.Errorf("scrubber: %w", err)
		}
	}
	bo := w.Billing
	bo.Scrubber, bo.Payers, bo.Profiles, bo.Logger, bo.Now = out.Scrubber, w.Payers, w.Profiles, w.Logger, w.Now
	var err error
	if out.Billing, err = billing.New(w.Store, bo); err != nil {
		return nil, fmt.Errorf("billing: %w", err)
	}
	sc := w.Scheduling
	sc.Store, sc.Payers, sc.Location, sc.Logger, sc.Now = w.Store, w.Payers, w.Location, w.Logger, w.Now
	pc := w.Pipeline
	if w.Reminders != nil {
		nc := *w.Reminders
		nc.Store, nc.Location, nc.Logger, nc.Now = w.Store, w.Location, w.Logger, w.Now
		if pc.Reminders, err = notify.New(nc); err != nil {
			return nil, fmt.Errorf("reminders: %w", err)
		}
		sc.Outbox, sc.NoReminders = true, false
		if sc.Risk == nil {
			sc.Risk = predict.NoShowScorer{Location: w.Location}
		}
	}
	if out.Scheduling, err = scheduling.New(sc); err != nil {
		return nil, fmt.Errorf("scheduling: %w", err)
	}
	pc.Store, pc.Billing, pc.Scheduling, pc.Payers, pc.Location, pc.Logger, pc.Now = w.Store, out.Billing, out.Scheduling, w.Payers, w.Location, w.Logger, w.Now
	pc.Codes = w.Codes
	if pc.Payments == nil {
		pc.Payments = payments.New(w.Store, payments.Options{Now: w.Now, Logger: w.Logger, Processor: w.Processor})
	}
	out.Payments = pc.Payments
	if pc.Scrubber == nil {
		pc.Scrubber = out.Scrubber
	}
	if out.Pipeline, err = New(pc); err != nil {
		return nil, err
	}
	qc := out.Pipeline.QueueConfig(w.Workers)
	switch {
	case w.NoPeriodic:
		qc.PeriodicJobs = nil
	case w.NoPoll:
		// The pipeline polls every payer when none is named; without
		// polling the schedule is the nightly run alone.
		qc.PeriodicJobs = nil
		if c := out.Pipeline.cfg; !c.NoNightly {
			qc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(DailyAt(c.NightlyHour, c.NightlyMinute, c.Location),
				func() (river.JobArgs, *river.InsertOpts) { return NightlyAllArgs{}, nil },
				&river.PeriodicJobOpts{ID: "nightly_all"}),
				river.NewPeriodicJob(DailyAt(c.NightlyHour, c.NightlyMinute, c.Location),
					func() (river.JobArgs, *river.InsertOpts) { return ClaimStatusAllArgs{}, nil },
					&river.PeriodicJobOpts{ID: "claim_status_all"}),
				river.NewPeriodicJob(DailyAt(c.NightlyHour, c.NightlyMinute, c.Location),
					func() (river.JobArgs, *river.InsertOpts) { return TrainModelsAllArgs{}, nil },
					&river.PeriodicJobOpts{ID: "train_models_all"})}
		}
	}
	qc.Logger = w.QueueLogger
	qc.FetchPollInterval = w.FetchPollInterval
	if w.SoftStopTimeout > 0 {
		configure := qc.Configure
		qc.Configure = func(c *river.Config) {
			if configure != nil {
				configure(c)
			}
			c.SoftStopTimeout = w.SoftStopTimeout
		}
	}
	if out.Queue, err = w.Store.NewQueue(qc); err != nil {
		out.Pipeline.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return out, nil
}
