package demo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// jobWatch follows the queue's job events: how many jobs of each kind
// completed, and the errors of failed attempts.
type jobWatch struct {
	mu       sync.Mutex
	done     map[string]int
	failures []string
	changed  chan struct{}
	cancel   func()
	quit     chan struct{}
	wg       sync.WaitGroup
}

func watchJobs(q store.Queue) *jobWatch {
	events, cancel := q.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	w := &jobWatch{done: make(map[string]int), changed: make(chan struct{}), cancel: cancel, quit: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			select {
			case <-w.quit:
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				w.mu.Lock()
				switch ev.Kind {
				case river.EventKindJobCompleted:
					w.done[ev.Job.Kind]++
				default:
					msg := string(ev.Kind)
					if n := len(ev.Job.Errors); n > 0 {
						msg = ev.Job.Errors[n-1].Error
					}
					w.failures = append(w.failures, ev.Job.Kind+": "+msg)
				}
				close(w.changed)
				w.changed = make(chan struct{})
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *jobWatch) stop() {
	close(w.quit)
	w.cancel()
	w.wg.Wait()
}

// completed returns how many jobs of kind completed, and a channel closed
// at the next event.
func (w *jobWatch) completed(kind string) (int, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done[kind], w.changed
}

func (w *jobWatch) lastFailures(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	fs := w.failures[max(0, len(w.failures)-n):]
	return strings.Join(fs, "; ")
}

// waitFor waits until cond holds, re-checking at every job event and at
// least every 200 ms; tick runs before each check (progress bars).
func (r *runner) waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	deadline := r.opts.Wall().Add(r.opts.Timeout)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if r.opts.Wall().After(deadline) {
			return fmt.Errorf("demo: %s did not finish in %v (last job failures: %s)", what, r.opts.Timeout, r.jobs.lastFailures(3))
		}
		_, changed := r.jobs.completed("")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// countClaims counts the clinic's claims in statuses.
func (r *runner) countClaims(ctx context.Context, statuses ...claim.Status) (int, error) {
	n := 0
	for after := int64(0); ; {
		cs, err := r.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: r.clinic.ID, Statuses: statuses, AfterID: after, Limit: 1000})
		if err != nil {
			return 0, err
		}
		n += len(cs)
		if len(cs) < 1000 {
			return n, nil
		}
		after = cs[len(cs)-1].ID
	}
}

// night runs the nightly batch at t through the queue and collects the
// payers' immediate answers.
func (r *runner) night(ctx context.Context, n int, t time.Time) error {
	r.clock.Set(t)
	cid := r.clinic.ID
	encs, err := r.st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: cid, Statuses: []string{store.EncounterReady}})
	if err != nil {
		return err
	}
	drafts, err := r.countClaims(ctx, claim.StatusDraft)
	if err != nil {
		return err
	}
	total := len(encs) + drafts
	before, _ := r.jobs.completed(worker.NightlyArgs{}.Kind())
	if _, err := r.st.InsertJob(ctx, worker.NightlyArgs{ClinicID: cid}, nil); err != nil {
		return err
	}
	p := r.bar(fmt.Sprintf("night %d: claims built and scrubbed", n), "claims", total)
	err = r.waitFor(ctx, "the nightly job", func() (bool, error) {
		left, err := r.st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: cid, Statuses: []string{store.EncounterReady}})
		if err != nil {
			return false, err
		}
		d, err := r.countClaims(ctx, claim.StatusDraft)
		if err != nil {
			return false, err
		}
		p.Set(total - len(left) - d)
		done, _ := r.jobs.completed(worker.NightlyArgs{}.Kind())
		return done > before, nil
	})
	if err != nil {
		return err
	}
	failed, err := r.countClaims(ctx, claim.StatusScrubFailed)
	if err != nil {
		return err
	}
	p.Finish(fmt.Sprintf("(%d scrub failures in all)", failed))

	p = r.bar(fmt.Sprintf("night %d: 837s and 270s submitted", n), "claims", 0)
	var uploaded []store.Interchange
	err = r.waitFor(ctx, "the submissions", func() (bool, error) {
		left, err := r.countClaims(ctx, claim.StatusReady)
		if err != nil {
			return false, err
		}
		ics, err := r.st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: cid})
		if err != nil {
			return false, err
		}
		uploaded = uploaded[:0]
		pending, sent := 0, 0
		for _, ic := range ics {
			switch ic.Status {
			case store.InterchangeCreated, store.InterchangeUploading, store.InterchangeFailed:
				pending++
			}
			if !ic.CreatedAt.Before(store.TruncateTime(t)) {
				uploaded = append(uploaded, ic)
				sent += ic.ClaimCount
			}
		}
		p.total = sent + left
		p.Set(sent)
		return left == 0 && pending == 0, nil
	})
	if err != nil {
		return err
	}
	files837, files270 := 0, 0
	for _, ic := range uploaded {
		if ic.TransactionSet == "270" {
			files270++
			r.expected++
		} else {
			files837++
			r.expected += 2 // a 999 and a 277CA
		}
	}
	p.Finish(fmt.Sprintf("(%d 837 files, %d 270 files)", files837, files270))
	return r.collect(ctx, fmt.Sprintf("night %d: 999, 277CA and 271 applied", n))
}

// remittances releases the 835s due at t and posts them.
func (r *runner) remittances(ctx context.Context, n int, t time.Time) error {
	r.clock.Set(t)
	files, err := r.sim.ReleaseDue(ctx, t)
	if err != nil {
		return err
	}
	r.expected += files
	return r.collect(ctx, fmt.Sprintf("morning %d: 835s posted", n))
}

// collect polls every payer until all the files the payers owe are
// received and applied (or quarantined).
func (r *runner) collect(ctx context.Context, label string) error {
	cid := r.clinic.ID
	p := r.bar(label, "files", r.expected)
	lastPoll := time.Time{}
	err := r.waitFor(ctx, label, func() (bool, error) {
		files, err := r.st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: cid})
		if err != nil {
			return false, err
		}
		settled, open := 0, 0
		for _, f := range files {
			switch f.State {
			case store.InboundProcessed, store.InboundQuarantined:
				settled++
			default:
				open++
			}
		}
		p.Set(min(settled, r.expected))
		if settled >= r.expected && open == 0 {
			return true, nil
		}
		if len(files) < r.expected && r.opts.Wall().Sub(lastPoll) > 150*time.Millisecond {
			lastPoll = r.opts.Wall()
			for _, id := range Payers() {
				if _, err := r.st.InsertJob(ctx, worker.PollInboundArgs{Payer: id}, nil); err != nil {
					return false, err
				}
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	p.Finish("")
	return nil
}

// patientPayments runs the clinic's patient_payments job through the queue
// after the week's remittances: the copays held on account are applied to
// the shares the 835s left to patients.
func (r *runner) patientPayments(ctx context.Context, n int) error {
	kind := worker.PatientPaymentsArgs{}.Kind()
	before, _ := r.jobs.completed(kind)
	if _, err := r.st.InsertJob(ctx, worker.PatientPaymentsArgs{ClinicID: r.clinic.ID}, nil); err != nil {
		return err
	}
	p := r.bar(fmt.Sprintf("week %d: patient payments applied", n), "jobs", 1)
	err := r.waitFor(ctx, "the patient payments job", func() (bool, error) {
		done, _ := r.jobs.completed(kind)
		return done > before, nil
	})
	if err != nil {
		return err
	}
	p.Finish("")
	return nil
}
