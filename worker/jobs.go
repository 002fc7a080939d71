package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/sync/errgroup"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// NightlyAllArgs is the nightly run of every clinic: it inserts one
// nightly job per clinic.
type NightlyAllArgs struct{}

// Kind implements river.JobArgs.
func (NightlyAllArgs) Kind() string { return "nightly_all" }

// InsertOpts makes the fan-out unique while it waits or runs.
func (NightlyAllArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive()}
}

// NightlyArgs is one clinic's nightly run: claims built from ready
// encounters, drafts scrubbed, eligibility batches written, then a
// submission job for every payer with ready claims or pending files.
type NightlyArgs struct {
	ClinicID int64 `json:"clinic_id"`
}

// Kind implements river.JobArgs.
func (NightlyArgs) Kind() string { return "nightly" }

// InsertOpts makes the run unique per clinic while it waits or runs.
func (NightlyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive()}
}

// SubmitPayerBatchArgs uploads a clinic's pending files for a payer and
// then its ready claims, one 837 file at a time.
type SubmitPayerBatchArgs struct {
	ClinicID int64 `json:"clinic_id"`
	// PayerID is the clinic's payer row (store.Payer.ID).
	PayerID int64 `json:"payer_id"`
}

// Kind implements river.JobArgs.
func (SubmitPayerBatchArgs) Kind() string { return "submit_payer_batch" }

// InsertOpts makes the job unique per clinic and payer while it waits or
// runs: two of them at once would upload the same pending files twice.
func (SubmitPayerBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive()}
}

// PollInboundArgs collects one payer's responses.
type PollInboundArgs struct {
	// Payer is the registry payer ID (Loop 2010BB NM109).
	Payer string `json:"payer"`
}

// Kind implements river.JobArgs.
func (PollInboundArgs) Kind() string { return "poll_inbound" }

// InsertOpts makes polling unique per payer while it waits or runs.
func (PollInboundArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive()}
}

// ProcessInboundArgs applies one received file.
type ProcessInboundArgs struct {
	ClinicID      int64 `json:"clinic_id"`
	InboundFileID int64 `json:"inbound_file_id"`
	// Release numbers a run staff asked for after the file was
	// quarantined (see ReleaseQuarantined): zero for the file's first run.
	Release int64 `json:"release,omitempty"`
}

// Kind implements river.JobArgs.
func (ProcessInboundArgs) Kind() string { return "process_inbound" }

// InsertOpts makes processing unique per file (completed jobs included).
func (ProcessInboundArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// budget reports whether a job run that started at start has used half
// its timeout: long jobs then snooze and continue in a new run.
func (p *Pipeline) budgetSpent(start time.Time) bool {
	return p.cfg.Now().Sub(start) > p.cfg.JobTimeout/2
}

type nightlyAllWorker struct {
	river.WorkerDefaults[NightlyAllArgs]
	p *Pipeline
}

func (w *nightlyAllWorker) Work(ctx context.Context, job *river.Job[NightlyAllArgs]) error {
	return instrument(w.p, ctx, job, func(ctx context.Context, _ NightlyAllArgs) error {
		clinics, err := w.p.cfg.Store.ListClinics(ctx)
		if err != nil {
			return err
		}
		jobs := make([]river.InsertManyParams, 0, 2*len(clinics))
		for _, c := range clinics {
			jobs = append(jobs, river.InsertManyParams{Args: NightlyArgs{ClinicID: c.ID}},
				river.InsertManyParams{Args: PatientPaymentsArgs{ClinicID: c.ID}})
		}
		// One batch insert for every clinic's run.
		_, err = w.p.cfg.Store.InsertJobs(ctx, jobs)
		return err
	})
}

type nightlyWorker struct {
	river.WorkerDefaults[NightlyArgs]
	p *Pipeline
}

func (w *nightlyWorker) Work(ctx context.Context, job *river.Job[NightlyArgs]) error {
	return instrument(w.p, ctx, job, w.p.nightly)
}

// nightlyRun counts what one run of a clinic's nightly job did, for its
// log line (counts and IDs only, never PHI).
type nightlyRun struct {
	built, notBilled, ready, failed, eligibility, submissions int
	credits                                                   int
}

// nightly runs one clinic's nightly batch; see NightlyArgs. Each run logs
// one line with its counts and duration; a run that used its time budget
// says it goes on in the next.
func (p *Pipeline) nightly(ctx context.Context, a NightlyArgs) (err error) {
	start := p.cfg.Now()
	var run nightlyRun
	defer func() {
		var snooze *river.JobSnoozeError
		continues := errors.As(err, &snooze)
		if err != nil && !continues {
			return // instrument logs the failure
		}
		p.log.Info("nightly run", "clinic", a.ClinicID, "claims_built", run.built, "encounters_not_billed", run.notBilled,
			"claims_ready", run.ready, "claims_scrub_failed", run.failed, "eligibility_files", run.eligibility,
			"submission_jobs", run.submissions, "credit_balances", run.credits, "continues", continues, "duration", p.cfg.Now().Sub(start).Round(time.Millisecond).String())
	}()
	st := p.cfg.Store
	if err := p.checkCodeSets(ctx, a.ClinicID); err != nil {
		return err
	}
	encs, err := st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: a.ClinicID, Statuses: []string{store.EncounterReady}})
	if err != nil {
		return err
	}
	encIDs := make([]int64, len(encs))
	for i, e := range encs {
		encIDs[i] = e.ID
	}
	var mu sync.Mutex
	spent, err := p.inSlices(ctx, start, encIDs, func(ctx context.Context, ids []int64) error {
		res, err := p.cfg.Billing.BuildClaims(ctx, a.ClinicID, ids)
		if err != nil {
			// A chunk that could not be written is retried with the job.
			return fmt.Errorf("build claims: %w", err)
		}
		mu.Lock()
		run.built += len(res.Claims)
		run.notBilled += len(res.NotBilled)
		mu.Unlock()
		for _, nb := range res.NotBilled {
			// The encounter stays ready for staff to fix; the rest go on.
			p.log.Warn("encounter not billed", "clinic", a.ClinicID, "encounter", nb.EncounterID, "err", nb.Err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if spent {
		return river.JobSnooze(0)
	}
	// Every draft at once (IDs only), then SliceSize a transaction: paging
	// through the drafts by ID would read the remaining ones again for
	// every page.
	drafts, err := st.ListClaimIDs(ctx, store.ListClaimsParams{ClinicID: a.ClinicID, Statuses: []claim.Status{claim.StatusDraft}})
	if err != nil {
		return err
	}
	spent, err = p.inSlices(ctx, start, drafts, func(ctx context.Context, ids []int64) error {
		sr, err := p.cfg.Billing.Scrub(ctx, a.ClinicID, ids)
		mu.Lock()
		run.ready += len(sr.Ready)
		run.failed += len(sr.Failed)
		mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			p.log.Warn("claims not scrubbed", "clinic", a.ClinicID, "err", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if spent {
		return river.JobSnooze(0)
	}
	if _, err := p.cfg.Billing.TimelyFilingDeadlines(ctx, a.ClinicID, p.cfg.Now()); err != nil {
		return fmt.Errorf("timely filing deadlines: %w", err)
	}
	// Every claim and patient account in credit has its item; those back
	// to zero are resolved.
	cr, err := p.cfg.Billing.DetectCredits(ctx, a.ClinicID)
	if err != nil {
		return fmt.Errorf("credit balances: %w", err)
	}
	run.credits = len(cr.Credits)
	if p.cfg.Scheduling != nil {
		er, err := p.cfg.Scheduling.PrepareEligibilityBatches(ctx, a.ClinicID, p.cfg.Now(), p.cfg.EligibilityBusinessDays)
		if err != nil {
			return fmt.Errorf("eligibility batches: %w", err)
		}
		run.eligibility = len(er.Batches)
	}
	run.submissions, err = p.enqueueSubmissions(ctx, a.ClinicID)
	return err
}

// inSlices runs fn over ids, SliceSize IDs a call (each call its own
// transaction), up to sliceWorkers calls at once, in the order of ids. It
// starts no slice once the job's time budget is spent (spent is then true)
// or a slice failed; the slices running finish either way.
func (p *Pipeline) inSlices(ctx context.Context, start time.Time, ids []int64, fn func(context.Context, []int64) error) (spent bool, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.sliceWorkers())
	for len(ids) > 0 && gctx.Err() == nil {
		if p.budgetSpent(start) {
			spent = true
			break
		}
		n := min(p.cfg.SliceSize, len(ids))
		slice := ids[:n]
		ids = ids[n:]
		g.Go(func() error { return fn(gctx, slice) })
	}
	return spent, g.Wait()
}

// sliceWorkers is how many slices of a nightly job run at once: the
// configured number, else 2 on PostgreSQL (each slice its own connection
// and backend) and 1 on SQLite, which writes one transaction at a time.
func (p *Pipeline) sliceWorkers() int {
	switch {
	case p.cfg.SliceWorkers > 0:
		return p.cfg.SliceWorkers
	case p.cfg.Store.Backend() == store.BackendPostgres:
		return 2
	}
	return 1
}

// enqueueSubmissions inserts a submission job for every payer of the
// clinic with ready claims or files waiting for upload.
func (p *Pipeline) enqueueSubmissions(ctx context.Context, clinicID int64) (int, error) {
	st := p.cfg.Store
	payerIDs := make(map[int64]bool)
	var order []int64
	add := func(id int64) {
		if !payerIDs[id] {
			payerIDs[id] = true
			order = append(order, id)
		}
	}
	// A payer has work when one of its claims is ready (an index look-up
	// per payer, not a walk over the ready claims).
	payerRows, err := st.ListPayers(ctx, store.ListPayersParams{ClinicID: clinicID})
	if err != nil {
		return 0, err
	}
	for _, py := range payerRows {
		ready, err := st.ListClaimIDs(ctx, store.ListClaimsParams{ClinicID: clinicID, Statuses: []claim.Status{claim.StatusReady}, PayerID: py.ID, Limit: 1})
		if err != nil {
			return 0, err
		}
		if len(ready) > 0 {
			add(py.ID)
		}
	}
	pending, err := st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: clinicID, Statuses: pendingStatuses()})
	if err != nil {
		return 0, err
	}
	for _, ic := range pending {
		if ic.PayerID != nil {
			add(*ic.PayerID)
		}
	}
	jobs := make([]river.InsertManyParams, len(order))
	for i, id := range order {
		jobs[i] = river.InsertManyParams{Args: SubmitPayerBatchArgs{ClinicID: clinicID, PayerID: id}}
	}
	// One batch insert for every payer's submission.
	if _, err = st.InsertJobs(ctx, jobs); err != nil {
		return 0, err
	}
	return len(order), nil
}

// pendingStatuses are the interchanges recorded but not (known to be)
// uploaded.
func pendingStatuses() []string {
	return []string{store.InterchangeCreated, store.InterchangeUploading, store.InterchangeFailed}
}

type submitWorker struct {
	river.WorkerDefaults[SubmitPayerBatchArgs]
	p *Pipeline
}

func (w *submitWorker) Work(ctx context.Context, job *river.Job[SubmitPayerBatchArgs]) error {
	return instrument(w.p, ctx, job, w.p.submit)
}

// submit uploads the payer's pending interchanges (837 and 270 files a
// crashed run recorded but did not upload, or whose upload failed), then
// records and uploads new 837 files until no claim is ready.
func (p *Pipeline) submit(ctx context.Context, a SubmitPayerBatchArgs) error {
	start := p.cfg.Now()
	st := p.cfg.Store
	payer, err := st.GetPayer(ctx, store.Ref{ClinicID: a.ClinicID, ID: a.PayerID})
	if err != nil {
		return err
	}
	client, err := p.client(payer.PayerID)
	if err != nil {
		return err
	}
	upload := func(ic store.Interchange, claims int) error {
		began := p.cfg.Now()
		up, err := p.uploadInterchange(ctx, client, payer.PayerID, ic)
		if err != nil {
			if _, merr := p.cfg.Billing.MarkTransferFailed(ctx, a.ClinicID, ic.ID, err); merr != nil {
				err = errors.Join(err, merr)
			}
			return fmt.Errorf("interchange %d: %w", ic.ID, err)
		}
		if _, err := p.cfg.Billing.MarkTransferred(ctx, a.ClinicID, ic.ID, up.RemotePath); err != nil {
			return fmt.Errorf("interchange %d uploaded to %s: %w", ic.ID, up.RemotePath, err)
		}
		p.metrics.submitted.Add(float64(claims))
		p.log.Info("interchange uploaded", "clinic", a.ClinicID, "payer", payer.PayerID, "interchange", ic.ID,
			"control", ic.ControlNumber, "set", ic.TransactionSet, "claims", claims, "bytes", ic.SizeBytes, "path", up.RemotePath,
			"duration", p.cfg.Now().Sub(began).Round(time.Millisecond).String())
		return nil
	}
	pending, err := st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: a.ClinicID, PayerID: a.PayerID, Statuses: pendingStatuses()})
	if err != nil {
		return err
	}
	for _, listed := range pending {
		ic, err := st.GetInterchange(ctx, store.Ref{ClinicID: a.ClinicID, ID: listed.ID})
		if err != nil {
			return err
		}
		if err := upload(ic, ic.ClaimCount); err != nil {
			return err
		}
	}
	for {
		if p.budgetSpent(start) {
			return river.JobSnooze(0)
		}
		sub, err := p.cfg.Billing.PrepareSubmission(ctx, billing.SubmissionParams{ClinicID: a.ClinicID, PayerID: a.PayerID, MaxClaims: p.cfg.MaxClaimsPerFile})
		if err != nil {
			return err
		}
		if sub == nil {
			return nil
		}
		for id, err := range sub.Unencodable {
			p.log.Warn("claim not encodable", "clinic", a.ClinicID, "claim", id, "err", err)
		}
		if err := upload(sub.Interchange, len(sub.ClaimIDs)); err != nil {
			return err
		}
	}
}

type pollWorker struct {
	river.WorkerDefaults[PollInboundArgs]
	p *Pipeline
}

func (w *pollWorker) Work(ctx context.Context, job *river.Job[PollInboundArgs]) error {
	return instrument(w.p, ctx, job, func(ctx context.Context, a PollInboundArgs) error {
		client, err := w.p.client(a.Payer)
		if err != nil {
			return err
		}
		files, err := client.Poll(ctx)
		if len(files) > 0 {
			w.p.log.Info("inbound files received", "payer", a.Payer, "files", len(files))
		}
		if err != nil && ctx.Err() != nil && len(files) > 0 {
			// The run's time is up with files still waiting: each file
			// received is recorded, so the poll goes on in a new run.
			return river.JobSnooze(0)
		}
		return err
	})
}

// openInterchange opens an outbound interchange's file for upload: a stream
// from the file store that rewinds for a retry.
func (p *Pipeline) openInterchange(ctx context.Context, ic store.Interchange) (interface {
	io.ReadSeeker
	io.Closer
}, error) {
	body, err := p.cfg.Store.OpenContent(ctx, ic.ContentID)
	if err != nil {
		return nil, fmt.Errorf("interchange %d %s: %w", ic.ID, ic.FileName, err)
	}
	rs, ok := body.(interface {
		io.ReadSeeker
		io.Closer
	})
	if !ok {
		body.Close()
		return nil, fmt.Errorf("interchange %d %s: the file store's reader cannot rewind", ic.ID, ic.FileName)
	}
	return rs, nil
}
