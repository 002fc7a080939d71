package billing_test

import (
	"errors"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worklist"
)

// checkClaims asserts the ledger invariants of a denial's life for every
// claim of the world: the ledger balances, each primary claim's charge is
// its payments, adjustments, patient responsibility, write-offs and
// insurance A/R (denied A/R included), each secondary's billed balance
// likewise, a replaced claim counted with its replacements (its A/R moved
// to them), and no claim's insurance, denied or patient A/R is negative.
func checkClaims(t *testing.T, w *world) {
	t.Helper()
	checkLedger(t, w)
	cs, err := w.st.ListClaims(w.ctx, store.ListClaimsParams{ClinicID: w.clinic.ID})
	must(t, err)
	type chain struct {
		pcn string
		l   claimLedger
	}
	chains := map[int64]*chain{}
	var order []int64
	for _, c := range cs {
		l := w.claimLedger(c.ID)
		if l.insuranceAR < 0 || l.denied < 0 || l.patientAR < 0 {
			t.Errorf("%s (%s): negative A/R %+v", c.PatientControlNumber, c.Status, l)
		}
		root := c.ID
		if c.OriginalClaimID != nil && c.FrequencyCode == claim.FrequencyReplacement {
			root = *c.OriginalClaimID
			l.billed = 0 // the original's A/R moved in
		}
		ch := chains[root]
		if ch == nil {
			ch = &chain{pcn: c.PatientControlNumber}
			chains[root] = ch
			order = append(order, root)
		}
		a := &ch.l
		a.charge += l.charge
		a.billed += l.billed
		a.cash += l.cash
		a.contractual += l.contractual
		a.other += l.other
		a.patientResponsibility += l.patientResponsibility
		a.writeOff += l.writeOff
		a.insuranceAR += l.insuranceAR
		a.denied += l.denied
	}
	for _, id := range order {
		ch := chains[id]
		l := ch.l
		want := l.charge
		if want == 0 {
			want = l.billed
		}
		if got := l.cash + l.contractual + l.other + l.patientResponsibility + l.writeOff + l.insuranceAR + l.denied; got != want {
			t.Errorf("%s: charge %d != payments + adjustments + patient + write-offs + A/R %d (%+v)", ch.pcn, want, got, l)
		}
	}
}

// denialWorld posts a CO-197 denial (no authorization) of one visit and
// checks it stays owed, in denied A/R, with a denial item.
func denialWorld(t *testing.T, st store.Store) (*world, *worklist.Service, store.Claim) {
	t.Helper()
	w := newWorld(t, st)
	c := w.visit(w.pat)
	w.submitAll()
	// The 277CA accepts the claim under the payer's claim control number
	// (a replacement refers to it).
	if _, err := w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, w.inbound("accept.277", ack277CA(t, ack277{pcn: c.PatientControlNumber, icn: "ICN1"})).ID); err != nil {
		t.Fatal(err)
	}
	rr := w.post("CHK1", deniedVisit(c.PatientControlNumber, "ICN1", "CO", "197"))
	if rr.Denials != 1 {
		t.Fatalf("posting: %+v", rr)
	}
	c = w.claim(c.ID)
	if l := w.claimLedger(c.ID); c.Status != claim.StatusDenied || l.denied != 17500 || l.insuranceAR != 0 || l.contractual != 0 {
		t.Fatalf("after the denial: %s %+v", c.Status, l)
	}
	if items := w.worklist(store.WorkDenial); len(items) != 1 || items[0].AmountCents != 17500 {
		t.Fatalf("denial items %+v", items)
	}
	checkClaims(t, w)
	wl, err := worklist.New(worklist.Config{Store: st, Now: clock})
	must(t, err)
	return w, wl, c
}

// TestDenialAppealedAndPaid: a denied claim stays in denied A/R; the appeal
// won returns it to insurance A/R awaiting payment and the claim to
// accepted; the payer's payment, with or without a reversal of the denial
// first, settles it, and the denied amount is reopened once.
func TestDenialAppealedAndPaid(t *testing.T) {
	for _, withReversal := range []bool{false, true} {
		name := "payment only"
		if withReversal {
			name = "reversal then payment"
		}
		t.Run(name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, st store.Store) {
				w, wl, c := denialWorld(t, st)
				if _, err := wl.Appeal(w.ctx, worklist.AppealParams{ClaimID: c.ID, Actor: "sam", Note: "authorization on file"}); err != nil {
					t.Fatal(err)
				}
				if _, err := wl.Appeal(w.ctx, worklist.AppealParams{ClaimID: c.ID, Status: worklist.AppealWon, Then: worklist.AppealThenWriteOff,
					Actor: "sam"}); !errors.Is(err, worklist.ErrInvalid) {
					t.Errorf("won --then writeoff: %v", err)
				}
				res, err := wl.Appeal(w.ctx, worklist.AppealParams{ClaimID: c.ID, Status: worklist.AppealWon, Actor: "sam"})
				must(t, err)
				if l := w.claimLedger(c.ID); res.DeniedCents != 17500 || res.Original.Status != claim.StatusAccepted || l.denied != 0 || l.insuranceAR != 17500 {
					t.Fatalf("appeal won: moved %d, %s, %+v", res.DeniedCents, res.Original.Status, l)
				}
				checkClaims(t, w)
				var cps []*x835.ClaimPayment
				if withReversal {
					rev := deniedVisit(c.PatientControlNumber, "ICN1", "CO", "197")
					rev.Status, rev.ChargeCents = "22", -rev.ChargeCents
					rev.Adjustments[0].AmountCents = -rev.Adjustments[0].AmountCents
					cps = append(cps, rev)
				}
				w.post("CHK2", append(cps, paidVisit(c.PatientControlNumber, "ICN1", 10000))...)
				if got := w.claim(c.ID).Status; got != claim.StatusPaid {
					t.Errorf("status %s", got)
				}
				l := w.claimLedger(c.ID)
				if l.insuranceAR != 0 || l.denied != 0 || l.cash != 12000 || l.contractual != 3500 || l.patientAR != 2000 {
					t.Errorf("after the payment: %+v", l)
				}
				checkClaims(t, w)
			})
		})
	}
}

// TestDenialWrittenOff: the denied amount is written off by a person, by
// claims writeoff or by an appeal lost with --then writeoff; an appeal lost
// with --then patient bills it to the patient; either closes the claim when
// the appeal's outcome moves it. A lost appeal without --then leaves it
// open.
func TestDenialWrittenOff(t *testing.T) {
	tests := []struct {
		name string
		then string // "" is claims writeoff, without an appeal
		// want ledger and status
		writeOff, patientAR int64
		status              claim.Status
	}{
		{name: "claims writeoff", writeOff: 17500, status: claim.StatusDenied},
		{name: "appeal lost, written off", then: worklist.AppealThenWriteOff, writeOff: 17500, status: claim.StatusClosed},
		{name: "appeal lost, billed to the patient", then: worklist.AppealThenPatient, patientAR: 17500, status: claim.StatusClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, st store.Store) {
				w, wl, c := denialWorld(t, st)
				if tt.then == "" {
					res, err := wl.WriteOff(w.ctx, worklist.WriteOffParams{ClaimID: c.ID, Reason: "no authorization obtained", Actor: "sam"})
					must(t, err)
					if res.AmountCents != 17500 || len(res.ResolvedItems) != 1 {
						t.Errorf("write-off %+v", res)
					}
				} else {
					_, err := wl.Appeal(w.ctx, worklist.AppealParams{ClaimID: c.ID, Actor: "sam"})
					must(t, err)
					// A first lost level leaves the denied amount open.
					res, err := wl.Appeal(w.ctx, worklist.AppealParams{ClaimID: c.ID, Status: worklist.AppealLost, Actor: "sam"})
					must(t, err)
					if l := w.claimLedger(c.ID); res.DeniedCents != 0 || l.denied != 17500 {
						t.Fatalf("lost without --then moved %d: %+v", res.DeniedCents, l)
					}
					_, err = wl.Appeal(w.ctx, worklist.AppealParams{ClaimID: c.ID, Actor: "sam"})
					must(t, err)
					res, err = wl.Appeal(w.ctx, worklist.AppealParams{ClaimID: c.ID, Status: worklist.AppealLost, Then: tt.then, Note: "upheld", Actor: "sam"})
					must(t, err)
					if res.DeniedCents != 17500 {
						t.Errorf("lost --then %s moved %d", tt.then, res.DeniedCents)
					}
					// Nothing is left to move a second time.
					_, err = wl.Appeal(w.ctx, worklist.AppealParams{ClaimID: c.ID, Actor: "sam"})
					must(t, err)
					if _, err := wl.Appeal(w.ctx, worklist.AppealParams{ClaimID: c.ID, Status: worklist.AppealLost, Then: tt.then, Actor: "sam"}); !errors.Is(err, worklist.ErrNotAllowed) {
						t.Errorf("second lost --then %s: %v", tt.then, err)
					}
				}
				l := w.claimLedger(c.ID)
				if l.denied != 0 || l.insuranceAR != 0 || l.writeOff != tt.writeOff || l.patientAR != tt.patientAR {
					t.Errorf("ledger %+v, want written off %d, patient A/R %d", l, tt.writeOff, tt.patientAR)
				}
				if got := w.claim(c.ID).Status; got != tt.status {
					t.Errorf("status %s, want %s", got, tt.status)
				}
				checkClaims(t, w)
			})
		})
	}
}

// TestDeniedClaimReplaced: a denied claim corrected and rebilled as a
// replacement (frequency 7): the original's denied amount moves to the
// replacement, whose payment settles it, leaving no claim with a negative
// insurance A/R (the false credit of a replacement paid after a denial the
// ledger had adjusted away).
func TestDeniedClaimReplaced(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w, wl, c := denialWorld(t, st)
		res, err := wl.Correct(w.ctx, worklist.CorrectParams{ClaimID: c.ID, Actor: "sam", Reason: "authorization obtained",
			Set: []string{"priorAuthorization=AUTH12345"}})
		must(t, err)
		if res.New == nil || res.DeniedCents != 17500 || res.Original.Status != claim.StatusReplaced {
			t.Fatalf("correction %+v", res)
		}
		nc := *res.New
		if lo, ln := w.claimLedger(c.ID), w.claimLedger(nc.ID); lo.denied != 0 || lo.insuranceAR != 0 || ln.insuranceAR != 17500 {
			t.Fatalf("after the replacement: original %+v, replacement %+v", lo, ln)
		}
		checkClaims(t, w)
		w.submitAll()
		w.post("CHK2", paidVisit(nc.PatientControlNumber, "ICN1", 10000))
		ln := w.claimLedger(nc.ID)
		if got := w.claim(nc.ID).Status; got != claim.StatusPaid || ln.insuranceAR != 0 || ln.cash != 12000 || ln.patientAR != 2000 {
			t.Errorf("replacement after its payment: %s %+v", got, ln)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountInsuranceAR}) + w.balance(store.LedgerBalanceParams{Account: billing.AccountDeniedAR}); got != 0 {
			t.Errorf("insurance A/R %d, want 0", got)
		}
		checkClaims(t, w)
	})
}

// TestContractualStillAdjusted: CO-45 is adjusted on posting as before,
// and a secondary that pays nothing because the primary paid more than it
// allows (CO-23) is neither a denial nor left in denied A/R.
func TestContractualStillAdjusted(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c := w.visit(w.pat)
		primary := w.visit(w.pat2)
		w.submitAll()
		prim := paidVisit(primary.PatientControlNumber, "ICN4", 10000)
		prim.Patient.Last, prim.Patient.First = "SECOND", "SAM"
		rr := w.post("CHK1", paidVisit(c.PatientControlNumber, "ICN1", 10000), prim)
		if rr.Denials != 0 || len(rr.SecondaryClaims) != 1 {
			t.Fatalf("posting: %+v", rr)
		}
		if l := w.claimLedger(c.ID); l.contractual != 3500 || l.denied != 0 || l.insuranceAR != 0 {
			t.Errorf("CO-45: %+v", l)
		}
		sec := w.claim(rr.SecondaryClaims[0])
		w.submitSecondary()
		zero := secondaryVisit(sec.PatientControlNumber, "CO")
		zero.PaidCents, zero.PatientResponsibilityCents = 0, 0
		zero.ServiceLines[0].PaidCents = 0
		zero.ServiceLines[0].Adjustments = []x835.Adjustment{{Group: "CO", Reason: "23", AmountCents: 12500}}
		rr = w.post("CHK2", zero)
		if rr.Denials != 0 {
			t.Errorf("zero-pay CO-23 secondary counted as a denial: %+v", rr)
		}
		if got := w.claim(sec.ID).Status; got != claim.StatusPaid {
			t.Errorf("secondary %s, want paid", got)
		}
		if l := w.claimLedger(sec.ID); l.denied != 0 || l.insuranceAR != 0 || l.contractual != 2000 {
			t.Errorf("zero-pay secondary: %+v", l)
		}
		if items := w.worklist(store.WorkDenial); len(items) != 0 {
			t.Errorf("denial items %+v", items)
		}
		checkClaims(t, w)
	})
}
