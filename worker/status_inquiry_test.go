package worker_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// waitFor polls the payer until cond holds or limit passes.
func waitFor(t *testing.T, st store.Store, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		_, err := st.InsertJob(context.Background(), worker.PollInboundArgs{Payer: "KHP01"}, nil)
		must(t, err)
		time.Sleep(100 * time.Millisecond)
	}
}

// A claim_status job asks the simulator about accepted claims with a 276;
// its 277 comes back through polling and is applied: one acknowledgment
// of kind 277 per claim, received into adjudication (A2) on the day of
// acceptance, the claims still accepted.
func TestClaimStatusRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim := simulator(t, t.TempDir(), 11)
		svc, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir()})
		pr := newPractice(t, st, 3)
		const visits = 4
		importVisits(t, svc, pr, visits)
		runQueue(t, st, p)
		_, err := st.InsertJob(ctx, worker.NightlyAllArgs{}, nil)
		must(t, err)
		waitFor(t, st, "claims acknowledged", 60*time.Second, func() bool {
			return len(allClaims(t, st, pr.clinic.ID, claim.StatusAccepted, claim.StatusRejected)) == visits
		})
		var ids []int64
		for _, c := range allClaims(t, st, pr.clinic.ID, claim.StatusAccepted) {
			ids = append(ids, c.ID)
		}
		if len(ids) == 0 {
			t.Fatal("no claim accepted")
		}
		_, err = st.InsertJob(ctx, worker.ClaimStatusArgs{ClinicID: pr.clinic.ID, PayerID: pr.payer.ID, ClaimIDs: ids}, nil)
		must(t, err)
		var answers []store.Acknowledgment
		waitFor(t, st, "277 applied", 60*time.Second, func() bool {
			acks, err := st.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: pr.clinic.ID})
			must(t, err)
			answers = slices.DeleteFunc(acks, func(a store.Acknowledgment) bool { return a.Kind != store.Ack277 })
			return len(answers) == len(ids)
		})
		for _, a := range answers {
			if a.Code != "A2:20" || !a.Accepted || !slices.Contains(ids, *a.ClaimID) {
				t.Errorf("answer %+v", a)
			}
		}
		if got := allClaims(t, st, pr.clinic.ID, claim.StatusAccepted); len(got) != len(ids) {
			t.Errorf("%d claims accepted after the 277, want %d", len(got), len(ids))
		}
		files, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: pr.clinic.ID, FileTypes: []string{store.Ack277}})
		must(t, err)
		if len(files) != 1 || files[0].State != store.InboundProcessed {
			t.Errorf("277 inbound files %+v", files)
		}
	})
}
