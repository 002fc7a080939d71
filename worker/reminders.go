package worker

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/scheduling"
)

// deliverReminderWorker sends one reminder outbox row through the
// pipeline's notify.Deliverer. A temporary failure returns an error, so
// River retries it with the pipeline's backoff; the last attempt records
// the row failed.
type deliverReminderWorker struct {
	river.WorkerDefaults[scheduling.DeliverReminderArgs]
	p *Pipeline
}

func (w *deliverReminderWorker) Work(ctx context.Context, job *river.Job[scheduling.DeliverReminderArgs]) error {
	return instrument(w.p, ctx, job, func(ctx context.Context, a scheduling.DeliverReminderArgs) error {
		d := w.p.cfg.Reminders
		if d == nil {
			// Rows written by a process with delivery on, worked by one
			// without: wait for one that has it.
			return river.JobSnooze(time.Hour)
		}
		_, err := d.Deliver(ctx, a.ClinicID, a.ReminderID, job.Attempt >= job.MaxAttempts)
		return err
	})
}
