package worker_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// TestReleaseQuarantined: a quarantined file released by staff is
// processed again from its stored content (quarantined -> received ->
// processed, the payment posted once, the quarantine item resolved and the
// release audited); a second release is refused. A file that still cannot
// be read is quarantined again with a new item.
func TestReleaseQuarantined(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim := simulator(t, t.TempDir(), 5)
		svc, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir()})
		pr := newPractice(t, st, 1)
		importVisits(t, svc, pr, 1)
		encs, err := st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: pr.clinic.ID, Statuses: []string{store.EncounterReady}})
		must(t, err)
		c, err := svc.BuildClaim(ctx, pr.clinic.ID, encs[0].ID, billing.BuildOptions{})
		must(t, err)
		for _, status := range []claim.Status{claim.StatusReady, claim.StatusSubmitted} {
			_, err := svc.SetClaimStatus(ctx, pr.clinic.ID, c.ID, status, "test")
			must(t, err)
		}

		q := runQueue(t, st, p)
		events, cancel := q.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer cancel()
		next := func() *river.Event {
			t.Helper()
			select {
			case ev := <-events:
				return ev
			case <-time.After(30 * time.Second):
				t.Fatal("job did not finish")
			}
			return nil
		}
		get := func(id int64) store.InboundFile {
			t.Helper()
			f, err := st.GetInboundFile(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: id})
			must(t, err)
			return f
		}
		items := func() []store.WorklistItem {
			t.Helper()
			its, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: pr.clinic.ID, Kinds: []string{store.WorkQuarantinedFile},
				Statuses: []string{store.WorkOpen, store.WorkResolved}})
			must(t, err)
			return its
		}

		// A sound 835, set aside (as a since-fixed fault would have).
		f, _, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: pr.clinic.ID, FileName: "pay.835", Source: "KHP01",
			FileType: "835", Body: bytes.NewReader(payClaims(t, "R1", c))})
		must(t, err)
		_, err = st.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: pr.clinic.ID, ID: f.ID, State: store.InboundQuarantined,
			QuarantineReason: worker.ReasonContent, Error: "illegal claim status transition"})
		must(t, err)
		_, _, err = st.CreateWorklistItem(ctx, store.CreateWorklistItemParams{ClinicID: pr.clinic.ID, Kind: store.WorkQuarantinedFile, Title: "pay.835 quarantined",
			Details: []byte(`{"inboundFileId":` + itoa(f.ID) + `}`), DedupeKey: "inbound-file-" + itoa(f.ID)})
		must(t, err)

		// ana, an operator, releases: her release writes a job request,
		// which serve (TakeJobRequests) turns into the process_inbound job.
		_, err = st.CreateUser(ctx, store.CreateUserParams{Login: "ana", Role: "operator", AllClinics: true})
		must(t, err)
		params := billing.ReleaseParams{ClinicID: pr.clinic.ID, InboundFileID: f.ID, Actor: "ana", Reason: "claim status fixed"}
		rel, err := worker.ReleaseQuarantined(ctx, st, params)
		must(t, err)
		if rel.RequestID == 0 || rel.Release == 0 || len(rel.ResolvedItems) != 1 || rel.File.State != store.InboundReceived {
			t.Fatalf("release %+v", rel)
		}
		if n, err := p.TakeJobRequests(ctx); err != nil || n != 1 {
			t.Fatalf("job requests taken: %d, %v", n, err)
		}
		if req, err := st.GetJobRequest(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: rel.RequestID}); err != nil || req.State != store.JobRequestTaken || req.JobID == nil {
			t.Fatalf("request after taking: %+v, %v", req, err)
		}
		if ev := next(); ev.Kind != river.EventKindJobCompleted {
			t.Fatalf("job %s: %v", ev.Kind, ev.Job.Errors)
		}
		if got := get(f.ID); got.State != store.InboundProcessed || got.Error != "" {
			t.Fatalf("file %s %q after release", got.State, got.Error)
		}
		cl, err := st.GetClaim(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: c.ID})
		must(t, err)
		if cl.Status != claim.StatusPaid {
			t.Errorf("claim %s after release", cl.Status)
		}
		if its := items(); len(its) != 1 || its[0].Status != store.WorkResolved || !strings.Contains(its[0].Resolution, "released by ana") {
			t.Errorf("items %+v", its)
		}
		evs, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: pr.clinic.ID})
		must(t, err)
		released := 0
		for _, e := range evs {
			if e.Action == worker.AuditReleaseQuarantined && e.Actor == "ana" {
				released++
			}
		}
		if released != 1 {
			t.Errorf("%d release events", released)
		}
		if _, err := worker.ReleaseQuarantined(ctx, st, params); !errors.Is(err, billing.ErrNotReleasable) || !strings.Contains(err.Error(), "pay.835") {
			t.Fatalf("second release: %v", err)
		}
		rs, err := st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: pr.clinic.ID})
		must(t, err)
		if len(rs) != 1 {
			t.Errorf("remittances %d", len(rs))
		}

		// A file that is not X12: quarantined, released, quarantined again
		// with a new item.
		junk, _, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: pr.clinic.ID, FileName: "junk.x12", Source: "KHP01",
			Body: bytes.NewReader([]byte("hello, not an interchange\n"))})
		must(t, err)
		_, err = st.InsertJob(ctx, worker.ProcessInboundArgs{ClinicID: pr.clinic.ID, InboundFileID: junk.ID}, nil)
		must(t, err)
		next()
		if got := get(junk.ID); got.State != store.InboundQuarantined {
			t.Fatalf("junk %s", got.State)
		}
		_, err = worker.ReleaseQuarantined(ctx, st, billing.ReleaseParams{ClinicID: pr.clinic.ID, InboundFileID: junk.ID, Actor: "ana"})
		must(t, err)
		_, err = p.TakeJobRequests(ctx)
		must(t, err)
		if ev := next(); ev.Kind != river.EventKindJobCompleted {
			t.Fatalf("job %s: %v", ev.Kind, ev.Job.Errors)
		}
		if got := get(junk.ID); got.State != store.InboundQuarantined || got.QuarantineReason != worker.ReasonSyntax {
			t.Fatalf("junk %s %s after release", got.State, got.QuarantineReason)
		}
		var open, resolved int
		for _, it := range items() {
			if !strings.Contains(it.Title, "junk.x12") {
				continue
			}
			switch it.Status {
			case store.WorkOpen:
				open++
			case store.WorkResolved:
				resolved++
			}
		}
		if open != 1 || resolved != 1 {
			t.Errorf("junk items: %d open, %d resolved; want 1 and 1", open, resolved)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestReleaseQuarantinedConcurrently: two operators release the same
// quarantined file at once: one release wins, the other is refused, and
// one job is queued.
func TestReleaseQuarantinedConcurrently(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		pr := newPractice(t, st, 1)
		f, _, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: pr.clinic.ID, FileName: "junk.x12", Body: bytes.NewReader([]byte("junk"))})
		must(t, err)
		_, err = st.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: pr.clinic.ID, ID: f.ID, State: store.InboundQuarantined,
			QuarantineReason: worker.ReasonSyntax, Error: "not X12"})
		must(t, err)
		errs := make(chan error, 2)
		for _, who := range []string{"ana", "lee"} {
			go func() {
				_, err := worker.ReleaseQuarantined(ctx, st, billing.ReleaseParams{ClinicID: pr.clinic.ID, InboundFileID: f.ID, Actor: who})
				errs <- err
			}()
		}
		var ok, refused int
		for range 2 {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, billing.ErrNotReleasable):
				refused++
			default:
				t.Errorf("release: %v", err)
			}
		}
		if ok != 1 || refused != 1 {
			t.Errorf("%d releases, %d refused; want 1 and 1", ok, refused)
		}
	})
}
