package worker

import (
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// dailyAt is a river.PeriodicSchedule firing once a day at a wall-clock time.
type dailyAt struct {
	hour, minute int
	loc          *time.Location
}

// DailyAt returns a schedule that fires every day at hour:minute in loc
// (UTC when nil). Across a daylight saving change the time is normalized
// the way time.Date does.
func DailyAt(hour, minute int, loc *time.Location) river.PeriodicSchedule {
	if loc == nil {
		loc = time.UTC
	}
	return dailyAt{hour: hour, minute: minute, loc: loc}
}

// Next returns the first firing strictly after current.
func (d dailyAt) Next(current time.Time) time.Time {
	c := current.In(d.loc)
	next := time.Date(c.Year(), c.Month(), c.Day(), d.hour, d.minute, 0, 0, d.loc)
	for !next.After(current) {
		c = c.AddDate(0, 0, 1)
		next = time.Date(c.Year(), c.Month(), c.Day(), d.hour, d.minute, 0, 0, d.loc)
	}
	return next
}

// RetryPolicy is the backoff of failed jobs: Base after the first failure,
// doubling each attempt up to Max, less up to a tenth (chosen from the job
// ID, so retries of many jobs spread out). It is a river.ClientRetryPolicy.
type RetryPolicy struct {
	Base, Max time.Duration
	// MaxAttempts is how many times a job runs before it is discarded.
	MaxAttempts int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (r RetryPolicy) withDefaults(now func() time.Time) RetryPolicy {
	if r.Base <= 0 {
		r.Base = DefaultRetryBase
	}
	if r.Max <= 0 {
		r.Max = DefaultRetryMax
	}
	if r.Max < r.Base {
		r.Max = r.Base
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.Now == nil {
		r.Now = now
	}
	return r
}

// Backoff is the wait after the given failed attempt (1-based).
func (r RetryPolicy) Backoff(attempt int, jobID int64) time.Duration {
	r = r.withDefaults(time.Now)
	d := r.Base
	for i := 1; i < attempt && d < r.Max; i++ {
		d *= 2
	}
	d = min(d, r.Max)
	// Deterministic jitter: up to 10% less, by job ID.
	h := uint64(jobID)*0x9E3779B97F4A7C15 + uint64(attempt)
	return d - time.Duration(h%1000)*d/10000
}

// NextRetry implements river.ClientRetryPolicy.
func (r RetryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	r = r.withDefaults(time.Now)
	attempt := job.Attempt
	if attempt < 1 {
		attempt = 1
	}
	return r.Now().Add(r.Backoff(attempt, job.ID))
}
