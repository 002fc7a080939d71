package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// QueueConfig configures a River client built by Store.NewQueue.
type QueueConfig struct {
	// Workers are the job kinds this client works. Required.
	Workers *river.Workers
	// Queues maps queue names to their settings; default: river.QueueDefault
	// with 10 workers (4 on SQLite, which serializes writes anyway).
	Queues map[string]river.QueueConfig
	// PeriodicJobs are scheduled jobs (nightly batches and the like).
	PeriodicJobs []*river.PeriodicJob
	// Logger receives River's logs; default: discard.
	Logger *slog.Logger
	// FetchPollInterval is how often idle producers look for jobs; default
	// River's (1 s). Tests set it low.
	FetchPollInterval time.Duration
	// Configure, when set, may adjust the River config last (retry policy,
	// middleware, error handler, ...).
	Configure func(*river.Config)
}

// Queue is a River client working jobs against the store's database.
type Queue interface {
	// Start starts fetching and working jobs. Stop it with Stop.
	Start(ctx context.Context) error
	// Stop waits for running jobs to finish (or ctx to end) and stops.
	Stop(ctx context.Context) error
	// Insert inserts a job outside any transaction.
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// Subscribe delivers job events of the given kinds; call the returned
	// function to unsubscribe.
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Normalize fills QueueConfig defaults; workers is the default queue's size.
// Backends call it.
// RiverConfig normalizes c (see Normalize) and builds the River
// configuration both backends start their clients with.
func (c QueueConfig) RiverConfig(workers int) (*river.Config, error) {
	c, err := c.Normalize(workers)
	if err != nil {
		return nil, err
	}
	rc := &river.Config{
		Workers:           c.Workers,
		Queues:            c.Queues,
		PeriodicJobs:      c.PeriodicJobs,
		Logger:            c.Logger,
		FetchPollInterval: c.FetchPollInterval,
	}
	if rc.FetchPollInterval > 0 && rc.FetchPollInterval < 100*time.Millisecond {
		// River's default cooldown (100 ms) may not exceed the poll interval.
		rc.FetchCooldown = rc.FetchPollInterval
	}
	if c.Configure != nil {
		c.Configure(rc)
	}
	return rc, nil
}

func (c QueueConfig) Normalize(workers int) (QueueConfig, error) {
	if c.Workers == nil {
		return c, &FieldError{Field: "Workers", Err: ErrInvalid}
	}
	if len(c.Queues) == 0 {
		c.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// JobCount is how many River jobs of a kind are in a state (the queue
// depth metrics of serve).
type JobCount struct {
	Kind, State string
	Count       int
}
