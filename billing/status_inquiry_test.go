package billing_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x276"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// status277 answers a 276 about claims with one STC category each.
func status277(t testing.TB, answers map[string]x277.StatusCode) []byte {
	t.Helper()
	sub := x277.StatusSubscriber{Name: x277.Entity{Last: "SAMPLE", First: "PAT", IDQualifier: "MI", ID: "KHP000111"}}
	for pcn, code := range answers {
		sub.Claims = append(sub.Claims, x277.StatusClaim{TraceNumber: pcn, PatientControlNumber: pcn,
			Statuses: []x277.Status{{Codes: []x277.StatusCode{code}, Date: clock(), AmountCents: 17500}}})
	}
	resp := &x277.StatusResponse{ReferenceID: "STS1", Created: clock(),
		Sources: []x277.StatusSource{{Name: x277.Entity{Last: "KEYSTONE HEALTH PLAN", IDQualifier: "PI", ID: "KHP01"},
			Receivers: []x277.StatusReceiver{{Name: x277.Entity{Last: "CLEARHOUSE", ID: "CLEARHOUSE"},
				Providers: []x277.StatusProvider{{Name: x277.Entity{Last: "RIVERBEND", IDQualifier: "XX", ID: "1234567893"},
					Subscribers: []x277.StatusSubscriber{sub}}}}}}}}
	var buf bytes.Buffer
	isa := edi.ISAHeader{SenderID: "KEYSTONEHP", ReceiverID: "CLEARHOUSE", Time: clock(), ControlNumber: 77, Usage: "T"}
	gs := edi.GSHeader{SenderCode: "KHP01", ReceiverCode: "CLEARHOUSE", Time: clock(), ControlNumber: 77}
	if err := x277.EncodeStatus(&buf, isa, gs, resp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestApplyClaimStatus(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		pending, missing := w.visit(w.pat), w.visit(w.pat2)
		w.submitAll()
		f := w.inbound("status.277", status277(t, map[string]x277.StatusCode{
			pending.PatientControlNumber: {Category: "P1", Code: "20"},
			missing.PatientControlNumber: {Category: "A4", Code: "35"},
			"NOPE-1":                     {Category: "A4", Code: "35"},
		}))
		// Forty days after submission: past the 30-day pending limit.
		later := func() time.Time { return clock().Add(40 * 24 * time.Hour) }
		svc, err := billing.New(st, billing.Options{Now: later})
		must(t, err)
		res, err := svc.ApplyClaimStatus(w.ctx, w.clinic.ID, f.ID, billing.StatusOptions{})
		must(t, err)
		if res.Standing[x277.StandingPending] != 1 || res.Standing[x277.StandingNotFound] != 1 || len(res.Unknown) != 1 || res.Unknown[0] != "NOPE-1" {
			t.Fatalf("result %+v", res)
		}
		if got := w.claim(pending.ID).Status; got != claim.StatusAccepted {
			t.Errorf("pending claim is %s, want accepted", got)
		}
		if got := w.claim(missing.ID).Status; got != claim.StatusSubmitted {
			t.Errorf("not-found claim is %s, want still submitted", got)
		}
		hist, err := st.ListClaimStatusHistory(w.ctx, store.Ref{ClinicID: w.clinic.ID, ID: pending.ID})
		must(t, err)
		if last := hist[len(hist)-1]; last.ToStatus != claim.StatusAccepted || last.Reason != "277 P1:20" {
			t.Errorf("history ends %+v", last)
		}
		items := w.worklist(billing.WorkClaimStatus)
		if len(items) != 2 {
			t.Fatalf("%d claim status items, want 2 (pending, not found)", len(items))
		}
		byClaim := map[int64]string{}
		for _, it := range items {
			byClaim[*it.ClaimID] = it.Title
		}
		if byClaim[pending.ID] != "Pending at payer 40 days (277 P1:20)" || byClaim[missing.ID] != "Not found at payer (277 A4:35)" {
			t.Errorf("items %v", byClaim)
		}
		acks, err := st.ListAcknowledgments(w.ctx, store.ListAcknowledgmentsParams{ClinicID: w.clinic.ID, InboundFileID: f.ID})
		must(t, err)
		if len(acks) != 2 {
			t.Fatalf("%d acknowledgments, want one per known claim", len(acks))
		}

		again, err := svc.ApplyClaimStatus(w.ctx, w.clinic.ID, f.ID, billing.StatusOptions{})
		must(t, err)
		if !again.AlreadyApplied || len(w.worklist(billing.WorkClaimStatus)) != 2 {
			t.Fatalf("second apply %+v", again)
		}

		// Within the limit, pending raises nothing.
		f2 := w.inbound("status2.277", append(status277(t, map[string]x277.StatusCode{pending.PatientControlNumber: {Category: "P1", Code: "20"}}), '\n'))
		res, err = w.svc.ApplyClaimStatus(w.ctx, w.clinic.ID, f2.ID, billing.StatusOptions{})
		must(t, err)
		if len(res.WorkItems) != 0 {
			t.Fatalf("pending within the limit raised %v", res.WorkItems)
		}
	})
}

func TestPrepareStatusInquiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		a, b := w.visit(w.pat), w.visit(w.pat2)
		w.submitAll()
		at := func(days int) *billing.Service {
			svc, err := billing.New(st, billing.Options{Payers: registry(t), Now: func() time.Time { return clock().Add(time.Duration(days) * 24 * time.Hour) }})
			must(t, err)
			return svc
		}
		ask := func(days int) *billing.StatusInquiry {
			t.Helper()
			q, err := at(days).PrepareStatusInquiry(w.ctx, billing.StatusInquiryParams{ClinicID: w.clinic.ID, PayerID: w.khp.ID})
			must(t, err)
			return q
		}
		// KHP01's status_inquiry_days is 21: asked on day 21 and weekly
		// after, not in between.
		for _, days := range []int{20, 22, 27} {
			if q := ask(days); q != nil {
				t.Fatalf("day %d: asked about %v", days, q.ClaimIDs)
			}
		}
		for _, days := range []int{21, 28} {
			q := ask(days)
			if q == nil || len(q.ClaimIDs) != 2 || q.Interchange.TransactionSet != "276" {
				t.Fatalf("day %d: %+v", days, q)
			}
			reqs, err := x276.Decode(bytes.NewReader(storetest.Content(t, w.st, q.Interchange.ContentID)))
			if err != nil || len(reqs) != 1 || len(reqs[0].Errors) > 0 {
				t.Fatalf("276: %v %v", err, reqs)
			}
			var traces []string
			reqs[0].Claims(func(_ *x276.Provider, _ *x276.Subscriber, _ *x276.Dependent, c *x276.Claim) {
				traces = append(traces, c.TraceNumber)
			})
			if len(traces) != 2 || traces[0] != a.PatientControlNumber || traces[1] != b.PatientControlNumber {
				t.Fatalf("traces %v", traces)
			}
		}
		// On demand, whatever the age.
		q, err := at(1).PrepareStatusInquiry(w.ctx, billing.StatusInquiryParams{ClinicID: w.clinic.ID, PayerID: w.khp.ID, ClaimIDs: []int64{b.ID}})
		must(t, err)
		if q == nil || len(q.ClaimIDs) != 1 || q.ClaimIDs[0] != b.ID {
			t.Fatalf("on demand: %+v", q)
		}
		// A payer without 276 in its definition is not asked.
		if _, err := at(21).PrepareStatusInquiry(w.ctx, billing.StatusInquiryParams{ClinicID: w.clinic.ID, PayerID: w.summit.ID}); !errors.Is(err, billing.ErrNotBillable) {
			t.Fatalf("SUMMT: %v", err)
		}
	})
}

// Regression: a 277 about a claim already rejected (by its 277CA, or by an
// earlier 277) records the answer and raises no second rejection item and
// no not-found item.
func TestApplyClaimStatusRejectedClaim(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		a, b := w.visit(w.pat), w.visit(w.pat2)
		w.submitAll()
		answers := map[string]x277.StatusCode{
			a.PatientControlNumber: {Category: "A7", Code: "33", Entity: "IL"},
			b.PatientControlNumber: {Category: "A4", Code: "35"},
		}
		f := w.inbound("first.277", status277(t, answers))
		res, err := w.svc.ApplyClaimStatus(w.ctx, w.clinic.ID, f.ID, billing.StatusOptions{})
		must(t, err)
		if got := w.claim(a.ID).Status; got != claim.StatusRejected || len(res.WorkItems) != 2 {
			t.Fatalf("first 277: claim %s, work items %v", got, res.WorkItems)
		}
		// The not-found claim is rejected by staff meanwhile.
		_, err = w.svc.SetClaimStatus(w.ctx, w.clinic.ID, b.ID, claim.StatusRejected, "resubmit")
		must(t, err)
		rejections, notFound := len(w.worklist(store.WorkRejection)), len(w.worklist(billing.WorkClaimStatus))
		f2 := w.inbound("second.277", append(status277(t, answers), '\n'))
		res, err = w.svc.ApplyClaimStatus(w.ctx, w.clinic.ID, f2.ID, billing.StatusOptions{})
		must(t, err)
		if len(res.WorkItems) != 0 || len(w.worklist(store.WorkRejection)) != rejections || len(w.worklist(billing.WorkClaimStatus)) != notFound {
			t.Fatalf("second 277 raised work: %v", res.WorkItems)
		}
		acks, err := st.ListAcknowledgments(w.ctx, store.ListAcknowledgmentsParams{ClinicID: w.clinic.ID, InboundFileID: f2.ID})
		must(t, err)
		if len(acks) != 2 {
			t.Fatalf("%d answers recorded, want 2", len(acks))
		}
	})
}
