package billing_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
)

// TestAcknowledgmentAfterRemittance: a payer's 277CA and 835 often arrive in
// one poll and are processed in either order. Whatever the order, the
// remittance decides the status: a 277CA never moves an adjudicated claim
// back to accepted, a late 277CA rejection raises a worklist item instead
// of changing the status, and applying a file twice changes nothing.
func TestAcknowledgmentAfterRemittance(t *testing.T) {
	remits := []struct {
		name   string
		pay    func(pcn string) *x835.ClaimPayment
		status claim.Status
		ledger claimLedger
	}{
		{"paid", func(pcn string) *x835.ClaimPayment { return paidVisit(pcn, "", 10000) }, claim.StatusPaid,
			claimLedger{charge: 17500, cash: 12000, contractual: 3500, patientAR: 2000}},
		{"denied", func(pcn string) *x835.ClaimPayment { return deniedVisit(pcn, "", "CO", "50") }, claim.StatusDenied,
			claimLedger{charge: 17500, denied: 17500}},
	}
	for _, rm := range remits {
		for _, ackFirst := range []bool{false, true} {
			name := rm.name + "/835 then 277CA"
			if ackFirst {
				name = rm.name + "/277CA then 835"
			}
			t.Run(name, func(t *testing.T) {
				eachBackend(t, func(t *testing.T, st store.Store) {
					w := newWorld(t, st)
					c := w.visit(w.pat)
					w.submitAll()
					accept := w.inbound("accept.277", ack277CA(t, ack277{pcn: c.PatientControlNumber, icn: "ICN1"}))
					apply := func(f store.InboundFile) billing.AckResult {
						t.Helper()
						res, err := w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f.ID)
						must(t, err)
						return res
					}
					if ackFirst {
						if res := apply(accept); !slices.Equal(res.Accepted, []int64{c.ID}) || len(res.AlreadyAdjudicated) != 0 {
							t.Fatalf("277CA before the 835: %+v", res)
						}
						w.post("CHK1", rm.pay(c.PatientControlNumber))
					} else {
						w.post("CHK1", rm.pay(c.PatientControlNumber))
						res := apply(accept)
						if len(res.Accepted) != 0 || !slices.Equal(res.AlreadyAdjudicated, []int64{c.ID}) {
							t.Fatalf("277CA after the 835: %+v", res)
						}
					}
					got := w.claim(c.ID)
					if got.Status != rm.status || got.PayerClaimControlNumber != "ICN1" {
						t.Fatalf("after both: %s %q, want %s ICN1", got.Status, got.PayerClaimControlNumber, rm.status)
					}
					acks, err := st.ListAcknowledgments(w.ctx, store.ListAcknowledgmentsParams{ClinicID: w.clinic.ID, InboundFileID: accept.ID})
					must(t, err)
					if len(acks) != 1 || acks[0].ClaimID == nil || *acks[0].ClaimID != c.ID || !acks[0].Accepted {
						t.Fatalf("recorded acknowledgments %+v", acks)
					}

					// The same file again, and a resent 277CA with
					// another claim control number: nothing moves.
					if res := apply(accept); !res.AlreadyApplied {
						t.Fatalf("applied twice: %+v", res)
					}
					resent := w.inbound("resent.277", ack277CA(t, ack277{pcn: c.PatientControlNumber, icn: "ICN2"}))
					if res := apply(resent); len(res.Accepted) != 0 || !slices.Equal(res.AlreadyAdjudicated, []int64{c.ID}) {
						t.Fatalf("resent 277CA: %+v", res)
					}
					if got := w.claim(c.ID); got.Status != rm.status || got.PayerClaimControlNumber != "ICN1" {
						t.Fatalf("after a resent 277CA: %s %q", got.Status, got.PayerClaimControlNumber)
					}

					// A rejection after adjudication: a worklist item,
					// once, and the status stays.
					reject := w.inbound("reject.277", ack277CA(t, ack277{pcn: c.PatientControlNumber, reject: true}))
					for range 2 {
						if res := apply(reject); len(res.Rejected) != 0 {
							t.Fatalf("late rejection: %+v", res)
						}
					}
					if got := w.claim(c.ID).Status; got != rm.status {
						t.Fatalf("late rejection moved the claim to %s", got)
					}
					items := w.worklist(store.WorkRejection)
					if len(items) != 1 || items[0].ClaimID == nil || *items[0].ClaimID != c.ID ||
						!strings.Contains(items[0].Title, "after adjudication ("+string(rm.status)+")") ||
						!strings.Contains(string(items[0].Details), "confirm with the payer") || !strings.Contains(string(items[0].Details), `"562"`) {
						t.Fatalf("late rejection items %+v", items)
					}
					if l := w.claimLedger(c.ID); l.charge != rm.ledger.charge || l.cash != rm.ledger.cash || l.contractual != rm.ledger.contractual ||
						l.patientAR != rm.ledger.patientAR || l.denied != rm.ledger.denied || l.insuranceAR != 0 {
						t.Errorf("ledger %+v, want %+v", l, rm.ledger)
					}
					checkLedger(t, w)
				})
			})
		}
	}
}

// TestLateInterchangeRejection: a 999 rejecting an interchange whose claim
// was already paid raises an item and leaves the claim paid.
func TestLateInterchangeRejection(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c := w.visit(w.pat)
		sub := w.submitAll()
		w.post("CHK1", paidVisit(c.PatientControlNumber, "ICN1", 10000))
		f := w.inbound("rej.999", ack999(t, sub.Interchange, false))
		res, err := w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f.ID)
		must(t, err)
		if len(res.Rejected) != 0 || !slices.Equal(res.AlreadyAdjudicated, []int64{c.ID}) {
			t.Fatalf("999 after payment: %+v", res)
		}
		if got := w.claim(c.ID).Status; got != claim.StatusPaid {
			t.Fatalf("status %s", got)
		}
		if items := w.worklist(store.WorkRejection); len(items) != 1 || !strings.Contains(items[0].Title, "after adjudication (paid): 999 rejected") {
			t.Fatalf("items %+v", items)
		}
	})
}

// TestMalformed999NotApplied (issue 14, finding 4): a 999 that breaks its
// guide (IK5 missing, IK501 Q, AK901 accepting a rejected set) is refused
// with a positioned error before anything is applied: no claim moves, no
// item is raised per claim.
func TestMalformed999NotApplied(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		cs := []store.Claim{w.visit(w.pat), w.visit(w.pat), w.visit(w.pat2)}
		sub := w.submitAll()
		rejection := string(ack999(t, sub.Interchange, false))
		if !strings.Contains(rejection, "IK5*R*5~") || !strings.Contains(rejection, "AK9*R*") {
			t.Fatalf("fixture changed: %s", rejection)
		}
		for _, tt := range []struct {
			name, from, to, want string
		}{
			{"IK5 missing", "IK5*R*5~", "", "has no IK5"},
			{"IK501 Q", "IK5*R*5~", "IK5*Q*5~", `IK501 "Q"`},
			{"AK901 A with a rejected set", "AK9*R*", "AK9*A*", "AK901 A accepts group"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f := w.inbound(tt.name+".999", []byte(strings.Replace(rejection, tt.from, tt.to, 1)))
				_, err := w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f.ID)
				var ee *edi.Error
				if !errors.As(err, &ee) || !errors.Is(err, edi.ErrImplementation) || !strings.Contains(err.Error(), tt.want) ||
					ee.Pos.File != f.FileName || ee.Pos.SegmentID == "" {
					t.Fatalf("error %v, want a positioned %q", err, tt.want)
				}
				for _, c := range cs {
					if got := w.claim(c.ID).Status; got != claim.StatusSubmitted {
						t.Errorf("claim %d %s", c.ID, got)
					}
				}
				if items := w.worklist(store.WorkRejection); len(items) != 0 {
					t.Errorf("items %+v", items)
				}
			})
		}
	})
}

// TestAcknowledgmentBurst (issue 14, finding 4): a 999 applies only to the
// submission it names, rejects a batch with one item listing its claims and
// a title in words, and a 999 replayed (or arriving late) against a batch
// already paid raises one item for the file, not one per claim.
func TestAcknowledgmentBurst(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		first := []store.Claim{w.visit(w.pat), w.visit(w.pat), w.visit(w.pat)}
		sub1 := w.submitAll()
		second := []store.Claim{w.visit(w.pat), w.visit(w.pat)}
		sub2 := w.submitAll()
		apply := func(name string, raw []byte) billing.AckResult {
			t.Helper()
			res, err := w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, w.inbound(name, raw).ID)
			must(t, err)
			return res
		}
		statuses := func(cs []store.Claim) []claim.Status {
			var out []claim.Status
			for _, c := range cs {
				out = append(out, w.claim(c.ID).Status)
			}
			return out
		}

		// A 999 naming batch 1's group but a transaction set it does not
		// hold: not applied.
		other := sub1.Interchange
		other.FirstSetControlNumber += 7
		res := apply("other-set.999", ack999(t, other, false))
		if len(res.Rejected) != 0 || len(res.Unknown) != 1 || !strings.Contains(res.Unknown[0], "AK202") {
			t.Fatalf("mismatched 999: %+v", res)
		}
		if got := statuses(first); slices.ContainsFunc(got, func(s claim.Status) bool { return s != claim.StatusSubmitted }) {
			t.Fatalf("statuses after a mismatched 999: %v", got)
		}
		items := w.worklist(store.WorkRejection)
		if len(items) != 1 || !strings.Contains(items[0].Title, "not applied") || !strings.Contains(items[0].Title, "AK202") {
			t.Fatalf("mismatch items %+v", items)
		}

		// Batch 2 rejected: its claims move, one item lists them.
		res = apply("reject-2.999", ack999(t, sub2.Interchange, false))
		if len(res.Rejected) != 2 {
			t.Fatalf("rejection: %+v", res)
		}
		items = w.worklist(store.WorkRejection)
		want := fmt.Sprintf("Rejected: 999 rejected transaction set %04d of batch %d (AK901 R): 2 claims", sub2.Interchange.FirstSetControlNumber,
			sub2.Interchange.GroupControlNumber)
		if len(items) != 2 || items[1].Title != want || items[1].AmountCents != 35000 ||
			!strings.Contains(string(items[1].Details), second[0].PatientControlNumber) || !strings.Contains(string(items[1].Details), `"IK403:7"`) {
			t.Fatalf("rejection items %+v, want %q", items, want)
		}

		// Batch 1 accepted and paid; the rejection replayed under a new
		// interchange: nothing moves, one item for the file.
		apply("accept-1.999", ack999(t, sub1.Interchange, true))
		var pays []*x835.ClaimPayment
		for _, c := range first {
			pays = append(pays, paidVisit(c.PatientControlNumber, "ICN-"+c.PatientControlNumber, 10000))
		}
		w.post("CHK1", pays...)
		replay := strings.Replace(string(ack999(t, sub1.Interchange, false)), fmt.Sprintf("*%09d*", 900+sub1.Interchange.ControlNumber),
			fmt.Sprintf("*%09d*", 950+sub1.Interchange.ControlNumber), 1)
		res = apply("replay-1.999", []byte(replay))
		if len(res.Rejected) != 0 {
			t.Fatalf("replay: %+v", res)
		}
		if got := statuses(first); slices.ContainsFunc(got, func(s claim.Status) bool { return s != claim.StatusPaid }) {
			t.Fatalf("statuses after the replay: %v", got)
		}
		items = w.worklist(store.WorkRejection)
		if len(items) != 3 || !strings.Contains(items[2].Title, "already acknowledged") {
			t.Fatalf("replay items %+v", items)
		}

		// Without an earlier 999, a rejection of a paid batch: one item
		// listing its three claims.
		w2 := newWorld(t, st)
		paid := []store.Claim{w2.visit(w2.pat), w2.visit(w2.pat), w2.visit(w2.pat)}
		sub := w2.submitAll()
		pays = nil
		for _, c := range paid {
			pays = append(pays, paidVisit(c.PatientControlNumber, "ICN-"+c.PatientControlNumber, 10000))
		}
		w2.post("CHK2", pays...)
		res, err := w2.svc.ApplyAcknowledgment(w2.ctx, w2.clinic.ID, w2.inbound("late.999", ack999(t, sub.Interchange, false)).ID)
		must(t, err)
		if len(res.Rejected) != 0 || len(res.AlreadyAdjudicated) != 3 {
			t.Fatalf("late 999: %+v", res)
		}
		items = w2.worklist(store.WorkRejection)
		if len(items) != 1 || items[0].ClaimID != nil || !strings.Contains(items[0].Title, "Rejected after adjudication: 3 claims in late.999: 999 rejected transaction set") ||
			items[0].AmountCents != 3*17500 {
			t.Fatalf("late items %+v", items)
		}
		for _, c := range paid {
			if !strings.Contains(string(items[0].Details), c.PatientControlNumber) {
				t.Errorf("claim %s not listed: %s", c.PatientControlNumber, items[0].Details)
			}
			if got := w2.claim(c.ID).Status; got != claim.StatusPaid {
				t.Errorf("claim %d %s", c.ID, got)
			}
		}
	})
}

// TestAcknowledgmentOfWhatWasNeverSent (issue 14): a 277CA naming claims
// the practice never billed and a TA1 naming an interchange never sent
// change nothing and raise one item for the file, listing what they name.
func TestAcknowledgmentOfWhatWasNeverSent(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c := w.visit(w.pat)
		w.submitAll()
		f := w.inbound("unknown.277", ack277CA(t, ack277{pcn: c.PatientControlNumber, icn: "ICN1"}, ack277{pcn: "NEVER1"}, ack277{pcn: "NEVER2", reject: true}))
		res, err := w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f.ID)
		must(t, err)
		if !slices.Equal(res.Accepted, []int64{c.ID}) || len(res.Unknown) != 2 {
			t.Fatalf("277CA: %+v", res)
		}
		items := w.worklist(store.WorkRejection)
		var d struct {
			InboundFileID int64    `json:"inboundFileId"`
			Unknown       []string `json:"unknown"`
		}
		if len(items) != 1 || json.Unmarshal(items[0].Details, &d) != nil || d.InboundFileID != f.ID || len(d.Unknown) != 2 ||
			!strings.Contains(d.Unknown[1], `"NEVER2"`) || !strings.Contains(items[0].Title, "unknown.277") ||
			!strings.Contains(items[0].Title, `"NEVER1"`) || !strings.Contains(items[0].Title, "and 1 more") {
			t.Fatalf("277CA items %+v (%s)", items, items[0].Details)
		}

		ta1 := "ISA*00*          *00*          *ZZ*KEYSTONEHP     *ZZ*CLEARHOUSE     *260301*1200*^*00501*000000088*0*T*:~" +
			"TA1*000000555*260301*1200*R*024~IEA*0*000000088~"
		f = w.inbound("unknown.ta1", []byte(ta1))
		res, err = w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f.ID)
		must(t, err)
		if res.Kind != store.AckTA1 || len(res.Unknown) != 1 || len(res.Rejected) != 0 {
			t.Fatalf("TA1: %+v", res)
		}
		items = w.worklist(store.WorkRejection)
		if len(items) != 2 || !strings.Contains(items[1].Title, "unknown.ta1") || !strings.Contains(items[1].Title, "000000555") {
			t.Fatalf("TA1 items %+v", items)
		}
		if got := w.claim(c.ID).Status; got != claim.StatusAccepted {
			t.Errorf("claim %s", got)
		}
	})
}
