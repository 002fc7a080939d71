package worker

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Job outcomes, the values of the outcome label.
const (
	OutcomeOK      = "ok"
	OutcomeSnoozed = "snoozed"
	OutcomeFailed  = "failed"
)

// Metrics are the Prometheus collectors of the job workers:
//
//	clearhouse_jobs_total{kind,outcome}      job runs by outcome (ok, snoozed, failed)
//	clearhouse_job_seconds{kind}             run time of jobs
//	clearhouse_inbound_files_total{outcome}  inbound files recorded, processed, held or quarantined
//	clearhouse_claims_submitted_total        claims put into uploaded 837 files
//	clearhouse_response_seconds{response}    time from an 837's upload to its 999, 277CA and 835
//
// (CAQH CORE asks for a 999 within an hour of a batch and batch responses
// by 7 am the next day.)
type Metrics struct {
	jobs      *prometheus.CounterVec
	seconds   *prometheus.HistogramVec
	inbound   *prometheus.CounterVec
	submitted prometheus.Counter
	response  *prometheus.HistogramVec
}

// NewMetrics creates the collectors and registers them on reg (nil leaves
// them unregistered). Registering on a registry that has them returns those.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "clearhouse_jobs_total",
			Help: "Job runs by kind and outcome."}, []string{"kind", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "clearhouse_job_seconds",
			Help: "Run time of jobs by kind.", Buckets: prometheus.ExponentialBuckets(0.005, 4, 10)}, []string{"kind"}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "clearhouse_inbound_files_total",
			Help: "Inbound files recorded, processed and quarantined."}, []string{"outcome"}),
		submitted: prometheus.NewCounter(prometheus.CounterOpts{Name: "clearhouse_claims_submitted_total",
			Help: "Claims put into 837 files that were uploaded."}),
		response: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "clearhouse_response_seconds",
			Help:    "Time from an 837 file's upload to the payer's response (999, 277CA, 835) naming it, by response.",
			Buckets: []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 16 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400}},
			[]string{"response"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.jobs, err = register(reg, m.jobs); err != nil {
		return nil, err
	}
	if m.seconds, err = register(reg, m.seconds); err != nil {
		return nil, err
	}
	if m.inbound, err = register(reg, m.inbound); err != nil {
		return nil, err
	}
	if m.submitted, err = register(reg, m.submitted); err != nil {
		return nil, err
	}
	if m.response, err = register(reg, m.response); err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// observe counts one run of a job.
func (m *Metrics) observe(kind string, d time.Duration, err error) {
	outcome := OutcomeOK
	var snooze *river.JobSnoozeError
	switch {
	case errors.As(err, &snooze):
		outcome = OutcomeSnoozed
	case err != nil:
		outcome = OutcomeFailed
	}
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.seconds.WithLabelValues(kind).Observe(d.Seconds())
}

// instrument runs one job within its timeout (see Config.JobTimeout) and
// records its outcome and run time.
func instrument[T river.JobArgs](p *Pipeline, ctx context.Context, job *river.Job[T], fn func(ctx context.Context, args T) error) error {
	start := p.cfg.Now()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.JobTimeout)
	defer cancel()
	err := fn(ctx, job.Args)
	p.metrics.observe(job.Kind, p.cfg.Now().Sub(start), err)
	var snooze *river.JobSnoozeError
	if err != nil && !errors.As(err, &snooze) {
		p.log.Warn("job failed", "kind", job.Kind, "job", job.ID, "attempt", job.Attempt, "err", err)
	}
	return err
}

// uniqueWhileActive makes a job unique by its args while it waits or runs;
// once completed, another may be inserted.
func uniqueWhileActive() river.UniqueOpts {
	return river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}
}
