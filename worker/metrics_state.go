package worker

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clearhouse/clearhouse/store"
)

// JobCounter counts River jobs by kind and state; both stores do.
type JobCounter interface {
	CountJobs(ctx context.Context) ([]store.JobCount, error)
}

// StateCollector reads the database's state at each scrape of /metrics:
//
//	clearhouse_queue_jobs{kind,state}                          River jobs by kind and state (queue depth)
//	clearhouse_claims{status}                                  claims by status, every clinic
//	clearhouse_oldest_unacknowledged_submission_seconds{payer} age of the oldest 837 uploaded with no 999 yet
//
// A scrape that cannot read the database reports what it could read and
// logs the rest.
type StateCollector struct {
	st      store.Store
	jobs    JobCounter
	log     *slog.Logger
	now     func() time.Time
	timeout time.Duration

	queue, claims, oldest *prometheus.Desc
}

// NewStateCollector returns the collector of st; jobs may be nil (no
// queue depth), log and now default to discard and time.Now.
func NewStateCollector(st store.Store, jobs JobCounter, log *slog.Logger, now func() time.Time) *StateCollector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &StateCollector{st: st, jobs: jobs, log: log, now: now, timeout: 5 * time.Second,
		queue:  prometheus.NewDesc("clearhouse_queue_jobs", "River jobs by kind and state.", []string{"kind", "state"}, nil),
		claims: prometheus.NewDesc("clearhouse_claims", "Claims by status, every clinic.", []string{"status"}, nil),
		oldest: prometheus.NewDesc("clearhouse_oldest_unacknowledged_submission_seconds",
			"Age of the oldest 837 uploaded to a payer with no 999 yet.", []string{"payer"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queue
	ch <- c.claims
	ch <- c.oldest
}

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if c.jobs != nil {
		counts, err := c.jobs.CountJobs(ctx)
		if err != nil {
			c.log.Warn("metrics: counting jobs", "err", err)
		}
		for _, jc := range counts {
			ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(jc.Count), jc.Kind, jc.State)
		}
	}
	clinics, err := c.st.ListClinics(ctx)
	if err != nil {
		c.log.Warn("metrics: listing clinics", "err", err)
		return
	}
	byStatus := map[string]int{}
	oldest := map[string]time.Time{}
	for _, cl := range clinics {
		counts, err := c.st.CountClaimsByStatus(ctx, store.CountParams{ClinicID: cl.ID})
		if err != nil {
			c.log.Warn("metrics: counting claims", "clinic", cl.ID, "err", err)
			return
		}
		for s, n := range counts {
			byStatus[s] += n
		}
		ics, err := c.st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: cl.ID, Statuses: []string{store.InterchangeUploaded}})
		if err != nil {
			c.log.Warn("metrics: listing submissions", "clinic", cl.ID, "err", err)
			return
		}
		var payerCode map[int64]string
		for _, ic := range ics {
			if !strings.HasPrefix(ic.TransactionSet, "837") || ic.UploadedAt == nil || ic.PayerID == nil {
				continue
			}
			if payerCode == nil {
				ps, err := c.st.ListPayers(ctx, store.ListPayersParams{ClinicID: cl.ID})
				if err != nil {
					c.log.Warn("metrics: listing payers", "clinic", cl.ID, "err", err)
					return
				}
				payerCode = make(map[int64]string, len(ps))
				for _, p := range ps {
					payerCode[p.ID] = p.PayerID
				}
			}
			code := payerCode[*ic.PayerID]
			if t, ok := oldest[code]; !ok || ic.UploadedAt.Before(t) {
				oldest[code] = *ic.UploadedAt
			}
		}
	}
	for s, n := range byStatus {
		ch <- prometheus.MustNewConstMetric(c.claims, prometheus.GaugeValue, float64(n), s)
	}
	now := c.now()
	for payer, t := range oldest {
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, now.Sub(t).Seconds(), payer)
	}
}

var _ prometheus.Collector = (*StateCollector)(nil)
