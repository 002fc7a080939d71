package billing_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
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
			claimLedger{charge: 17500, contractual: 17500}},
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
						l.patientAR != rm.ledger.patientAR || l.insuranceAR != 0 {
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
