package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// runQueue starts a queue working the pipeline's jobs (without its
// periodic schedule: the test drives polling) and stops it at cleanup.
func runQueue(t testing.TB, st store.Store, p *worker.Pipeline) store.Queue {
	t.Helper()
	qc := p.QueueConfig(4)
	qc.PeriodicJobs = nil
	qc.FetchPollInterval = 50 * time.Millisecond
	q, err := st.NewQueue(qc)
	must(t, err)
	must(t, q.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return q
}

// drive polls the payer and releases due 835s until the pipeline settles.
func drive(t testing.TB, st store.Store, sim *paysim.Simulator, clinicID int64, want int, limit time.Duration) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(limit)
	for !settled(t, st, sim, clinicID, want) {
		if time.Now().After(deadline) {
			describe(t, st, clinicID)
			t.Fatalf("pipeline did not settle in %v: %d of %d claims final, %d awaiting an 835", limit,
				len(allClaims(t, st, clinicID, finalStatuses...)), want, sim.Pending())
		}
		_, err := sim.ReleaseDue(ctx, time.Now().Add(time.Hour))
		must(t, err)
		_, err = st.InsertJob(ctx, worker.PollInboundArgs{Payer: "KHP01"}, nil)
		must(t, err)
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPipelineEndToEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		sim := simulator(t, t.TempDir(), 11)
		svc, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir()})
		pr := newPractice(t, st, 3)
		const visits = 6
		importVisits(t, svc, pr, visits)
		runQueue(t, st, p)
		_, err := st.InsertJob(context.Background(), worker.NightlyAllArgs{}, nil)
		must(t, err)
		drive(t, st, sim, pr.clinic.ID, visits, 60*time.Second)
		checkInvariants(t, st, sim, pr.clinic.ID, visits)
		acks, err := st.ListAcknowledgments(context.Background(), store.ListAcknowledgmentsParams{ClinicID: pr.clinic.ID})
		must(t, err)
		kinds := make(map[string]int)
		for _, a := range acks {
			kinds[a.Kind]++
		}
		if kinds[store.Ack999] == 0 || kinds[store.Ack277CA] != visits {
			t.Errorf("acknowledgments %v, want 999s and %d 277CA answers", kinds, visits)
		}
	})
}

func TestProcessInboundQuarantinesMalformedFile(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim := simulator(t, t.TempDir(), 3)
		_, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir()})
		pr := newPractice(t, st, 1)
		// An 835 whose CLP is cut off and whose SE count is wrong.
		bad := []byte("ISA*00*          *00*          *ZZ*KEYSTONEHP     *ZZ*CLEARHOUSE     *260301*1200*^*00501*000000007*0*T*:~" +
			"GS*HP*KHP01*CLEARHOUSE*20260301*1200*7*X*005010X221A1~" +
			"ST*835*0001~BPR*I*100*C*CHK************20260301~TRN*1*T1*1999999999~" +
			"N1*PR*KEYSTONE~N1*PE*RIVERBEND*XX*1234567893~LX*1~CLP*E1*1*100*100**12*ICN1~" +
			"SE*99*0001~GE*1*7~IEA*1*000000007~")
		f, created, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: pr.clinic.ID, FileName: "bad.835", Source: "KHP01", Body: bytes.NewReader(bad)})
		must(t, err)
		if !created {
			t.Fatal("not created")
		}
		q := runQueue(t, st, p)
		events, cancel := q.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer cancel()
		_, err = st.InsertJob(ctx, worker.ProcessInboundArgs{ClinicID: pr.clinic.ID, InboundFileID: f.ID}, nil)
		must(t, err)
		select {
		case ev := <-events:
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("job %s: %v", ev.Kind, ev.Job.Errors)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("job did not finish")
		}
		got, err := st.GetInboundFile(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: f.ID})
		must(t, err)
		if got.State != store.InboundQuarantined || got.QuarantineReason != worker.ReasonSyntax || got.Error == "" {
			t.Fatalf("file state %q reason %q error %q", got.State, got.QuarantineReason, got.Error)
		}
		items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: pr.clinic.ID, Kinds: []string{store.WorkQuarantinedFile}})
		must(t, err)
		if len(items) != 1 {
			t.Fatalf("%d quarantine items", len(items))
		}
		var d worker.QuarantineDetails
		must(t, json.Unmarshal(items[0].Details, &d))
		if d.FileName != "bad.835" || d.Interchange != "000000007" || d.SegmentID == "" || d.Segment == 0 {
			t.Errorf("details %+v", d)
		}
		rems, err := st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: pr.clinic.ID})
		must(t, err)
		if len(rems) != 0 {
			t.Errorf("%d remittances posted from a quarantined file", len(rems))
		}
		t.Logf("quarantined: %s", got.Error)
	})
}

// TestProcessInboundPostsInBoundedRuns posts an 835 of about six claim
// payments two a transaction with a clock on which every run's time budget
// is spent after its first chunk: the file's job snoozes after each chunk
// and goes on in its next run, and every claim is paid once.
func TestProcessInboundPostsInBoundedRuns(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim := simulator(t, t.TempDir(), 11)
		// Once fast is set, each reading of the clock is a minute after
		// the last.
		var (
			mu    sync.Mutex
			fast  bool
			ahead time.Duration
		)
		now := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			if fast {
				ahead += time.Minute
			}
			return time.Now().Add(ahead)
		}
		reg := prometheus.NewRegistry()
		metrics, err := worker.NewMetrics(reg)
		must(t, err)
		svc, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir(), postChunk: 2, now: now, metrics: metrics})
		pr := newPractice(t, st, 3)
		const visits = 6
		importVisits(t, svc, pr, visits)
		runQueue(t, st, p)
		_, err = st.InsertJob(ctx, worker.NightlyAllArgs{}, nil)
		must(t, err)
		deadline := time.Now().Add(time.Minute)
		for len(allClaims(t, st, pr.clinic.ID, claim.StatusAccepted, claim.StatusRejected)) < visits {
			if time.Now().After(deadline) {
				describe(t, st, pr.clinic.ID)
				t.Fatal("claims not acknowledged in a minute")
			}
			_, err := st.InsertJob(ctx, worker.PollInboundArgs{Payer: "KHP01"}, nil)
			must(t, err)
			time.Sleep(100 * time.Millisecond)
		}
		if n, err := sim.ReleaseDue(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("release: %d %v", n, err)
		}
		var file store.InboundFile
		for file.ID == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the 835 was not recorded")
			}
			_, err := st.InsertJob(ctx, worker.PollInboundArgs{Payer: "KHP01"}, nil)
			must(t, err)
			time.Sleep(100 * time.Millisecond)
			fs, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: pr.clinic.ID})
			must(t, err)
			for _, f := range fs {
				if f.FileType == "835" {
					file = f
				}
			}
		}
		mu.Lock()
		fast = true
		mu.Unlock()
		drive(t, st, sim, pr.clinic.ID, visits, time.Minute)
		checkInvariants(t, st, sim, pr.clinic.ID, visits)
		rems, err := st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: pr.clinic.ID})
		must(t, err)
		posted := 0
		for _, r := range rems {
			pays, err := st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: pr.clinic.ID, RemittanceID: r.ID})
			must(t, err)
			posted += len(pays)
		}
		// The snoozes of process_inbound: only the 835 snoozes here, once
		// after each of its chunks but the last.
		mfs, err := reg.Gather()
		must(t, err)
		snoozes := 0.0
		for _, mf := range mfs {
			if mf.GetName() != "clearhouse_jobs_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["kind"] == (worker.ProcessInboundArgs{}).Kind() && labels["outcome"] == worker.OutcomeSnoozed {
					snoozes += m.GetCounter().GetValue()
				}
			}
		}
		runs := int(snoozes) + 1
		if want := (posted + 1) / 2; posted < 3 || runs < want {
			t.Errorf("%d claim payments posted in %d runs of the 835's job, want at least %d (one per chunk of 2)", posted, runs, want)
		}
		t.Logf("%d claim payments posted in %d runs", posted, runs)
	})
}
