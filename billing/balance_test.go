package billing_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
)

// claimLedger is what the ledger holds for one claim, by account.
type claimLedger struct {
	charge, cash, contractual, other, patientAR, insuranceAR int64
	// denied is the claim's denied A/R (still owed, marked denied);
	// writeOff what staff wrote off.
	denied, writeOff int64
	// patientResponsibility is the patient A/R the claim's 835s posted
	// (whether it stayed with the patient or moved on to a secondary
	// claim); billed is a secondary claim's opening insurance A/R, the
	// primary's patient responsibility transferred to it.
	patientResponsibility, billed int64
}

// claimLedger sums a claim's ledger entries.
func (w *world) claimLedger(claimID int64) claimLedger {
	w.t.Helper()
	es, err := w.st.ListLedgerEntries(w.ctx, store.ListLedgerEntriesParams{ClinicID: w.clinic.ID, ClaimID: claimID})
	must(w.t, err)
	var l claimLedger
	var debitsWithoutRemittance int64
	for _, e := range es {
		switch e.Account {
		case billing.AccountRevenue:
			l.charge -= e.AmountCents
		case billing.AccountCash:
			l.cash += e.AmountCents
		case billing.AccountContractual:
			l.contractual += e.AmountCents
		case billing.AccountOtherAdjustment:
			l.other += e.AmountCents
		case billing.AccountPatientAR:
			l.patientAR += e.AmountCents
			// What an 835 or a person (a denied amount billed to the
			// patient) made the patient's.
			if e.RemittanceID != nil || e.AmountCents > 0 {
				l.patientResponsibility += e.AmountCents
			}
		case billing.AccountDeniedAR:
			l.denied += e.AmountCents
		case billing.AccountWriteOff:
			l.writeOff += e.AmountCents
		case billing.AccountInsuranceAR:
			l.insuranceAR += e.AmountCents
			if e.RemittanceID == nil {
				debitsWithoutRemittance += e.AmountCents
			}
		}
	}
	if l.charge == 0 {
		l.billed = debitsWithoutRemittance
	}
	return l
}

// checkPrimary asserts, for a primary claim, charge = insurance
// payments + adjustments + patient responsibility (kept or transferred to
// the secondary) + write-offs + outstanding insurance A/R (denied A/R
// included, wantAR in all), from the ledger, and, for a claim nobody wrote
// off, from the 835 claim payments posted to it (the demo's formula, where
// a denied amount still open counts once, as the 835's adjustment); no A/R
// account of the claim is negative.
func checkPrimary(t *testing.T, w *world, c store.Claim, wantAR int64) {
	t.Helper()
	l := w.claimLedger(c.ID)
	if l.charge != c.TotalChargeCents {
		t.Errorf("%s: revenue %d, charge %d", c.PatientControlNumber, l.charge, c.TotalChargeCents)
	}
	if got := l.cash + l.contractual + l.other + l.patientResponsibility + l.writeOff + l.insuranceAR + l.denied; got != c.TotalChargeCents {
		t.Errorf("%s: ledger: charge %d != payments + adjustments + patient responsibility + write-offs + outstanding %d (%+v)",
			c.PatientControlNumber, c.TotalChargeCents, got, l)
	}
	if l.insuranceAR+l.denied != wantAR {
		t.Errorf("%s: insurance A/R %d (denied %d), want %d", c.PatientControlNumber, l.insuranceAR+l.denied, l.denied, wantAR)
	}
	if l.insuranceAR < 0 || l.patientAR < 0 || l.denied < 0 {
		t.Errorf("%s: negative A/R %+v", c.PatientControlNumber, l)
	}
	if l.writeOff != 0 {
		return
	}
	pays, err := w.st.ListClaimPayments(w.ctx, store.ListClaimPaymentsParams{ClinicID: w.clinic.ID, ClaimID: c.ID})
	must(t, err)
	var paid, adj, pr int64
	for _, p := range pays {
		paid += p.PaidCents
		for _, a := range p.Adjustments {
			if a.GroupCode == "PR" {
				pr += a.AmountCents
			} else {
				adj += a.AmountCents
			}
		}
	}
	if got := paid + adj + pr + l.insuranceAR; got != c.TotalChargeCents {
		t.Errorf("%s: 835: charge %d != paid %d + adjustments %d + patient responsibility %d + insurance A/R %d",
			c.PatientControlNumber, c.TotalChargeCents, paid, adj, pr, l.insuranceAR)
	}
}

func deniedVisit(pcn, icn, group, reason string) *x835.ClaimPayment {
	cp := &x835.ClaimPayment{PatientControlNumber: pcn, Status: "4", ChargeCents: 17500, FilingIndicator: "12",
		PayerClaimControlNumber: icn, Adjustments: []x835.Adjustment{{Group: group, Reason: reason, AmountCents: 17500}},
		Patient: x835.Name{EntityCode: "QC", EntityType: "1", Last: "SAMPLE", First: "PAT"}}
	if group == "PR" {
		cp.PatientResponsibilityCents = 17500
	}
	return cp
}

// partlyPaidVisit pays 99213 (allowed 100.00, 20.00 coinsurance) and
// denies 87880-QW as bundled (CO-97).
func partlyPaidVisit(pcn, icn string) *x835.ClaimPayment {
	cp := paidVisit(pcn, icn, 10000)
	l2 := &cp.ServiceLines[1]
	cp.PaidCents -= l2.PaidCents
	l2.PaidCents = 0
	l2.Adjustments = []x835.Adjustment{{Group: "CO", Reason: "97", AmountCents: 5000}}
	return cp
}

// secondaryVisit is the secondary payer's claim payment of a visit whose
// primary paid as paidVisit(…, 10000) (80.00 + 40.00 paid, 25.00 + 10.00
// CO-45, 20.00 PR-2): the secondary pays 15.00 of the 20.00 coinsurance
// and leaves 5.00 to the patient. priorGroup is the CAS group of the prior
// payer's adjudication, CARC 23.
func secondaryVisit(pcn, priorGroup string) *x835.ClaimPayment {
	day := time.Date(2026, 2, 16, 0, 0, 0, 0, time.UTC)
	l1 := x835.ServicePayment{Procedure: x835.Procedure{Qualifier: "HC", Code: "99213"}, ChargeCents: 12500, PaidCents: 1500,
		Dates:       []x835.DateRef{{Qualifier: "472", Date: day}},
		Adjustments: []x835.Adjustment{{Group: priorGroup, Reason: "23", AmountCents: 10500}, {Group: "PR", Reason: "2", AmountCents: 500}}}
	l2 := x835.ServicePayment{Procedure: x835.Procedure{Qualifier: "HC", Code: "87880", Modifiers: [4]string{"QW"}}, ChargeCents: 5000,
		Dates:       []x835.DateRef{{Qualifier: "472", Date: day}},
		Adjustments: []x835.Adjustment{{Group: priorGroup, Reason: "23", AmountCents: 5000}}}
	return &x835.ClaimPayment{PatientControlNumber: pcn, Status: "2", ChargeCents: 17500, PaidCents: 1500, PatientResponsibilityCents: 500,
		FilingIndicator: "12", PayerClaimControlNumber: "SEC-" + pcn,
		Patient:      x835.Name{EntityCode: "QC", EntityType: "1", Last: "SECOND", First: "SAM", IDQualifier: "MI", ID: "SMT000123456"},
		ServiceLines: []x835.ServicePayment{l1, l2}}
}

func (w *world) post(trace string, cps ...*x835.ClaimPayment) billing.RemitResult {
	w.t.Helper()
	raw := remit835{trace: trace, claims: cps}.bytes(w.t)
	rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
	must(w.t, err)
	if rr.NotPosted != 0 || rr.Unmatched != 0 {
		w.t.Fatalf("%s: %+v", trace, rr)
	}
	return rr
}

// submitSecondary scrubs and submits the secondary claims (SUMMT).
func (w *world) submitSecondary() {
	w.t.Helper()
	res, err := w.svc.Scrub(w.ctx, w.clinic.ID, nil)
	must(w.t, err)
	if len(res.Failed) > 0 {
		w.t.Fatalf("scrub failed: %+v", res.Findings)
	}
	sub, err := w.svc.PrepareSubmission(w.ctx, billing.SubmissionParams{ClinicID: w.clinic.ID, PayerID: w.summit.ID})
	must(w.t, err)
	if sub == nil {
		w.t.Fatal("secondary not submitted")
	}
}

// TestClaimsBalance is the regression test of claims that did not balance
// one by one although the ledger did: denials kept their charge in
// insurance A/R while the 835 adjusted it off, and secondary payments
// posted the prior payer's adjudication a second time, leaving the
// secondary claim's insurance A/R negative.
func TestClaimsBalance(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		denied := w.visit(w.pat)
		prDenied := w.visit(w.pat)
		partial := w.visit(w.pat)
		primary := w.visit(w.pat2)
		w.submitAll()

		prim := paidVisit(primary.PatientControlNumber, "ICN4", 10000)
		prim.Patient.Last, prim.Patient.First = "SECOND", "SAM"
		rr := w.post("CHK1", deniedVisit(denied.PatientControlNumber, "ICN1", "CO", "50"), deniedVisit(prDenied.PatientControlNumber, "ICN2", "PR", "204"),
			partlyPaidVisit(partial.PatientControlNumber, "ICN3"), prim)
		if rr.Posted != 4 || rr.Denials != 3 || len(rr.SecondaryClaims) != 1 {
			t.Fatalf("posting: %+v", rr)
		}
		wantStatus := map[int64]claim.Status{denied.ID: claim.StatusDenied, prDenied.ID: claim.StatusDenied, partial.ID: claim.StatusPartiallyPaid, primary.ID: claim.StatusPaid}
		for id, want := range wantStatus {
			if got := w.claim(id).Status; got != want {
				t.Errorf("claim %d %s, want %s", id, got, want)
			}
		}

		// The CO-50 denial stays owed, in denied A/R; the PR-204 denial is
		// the patient's; the CO-97 line of the partly paid claim stays
		// owed too, its CO-45 is adjusted.
		if l := w.claimLedger(denied.ID); l.contractual != 0 || l.denied != 17500 || l.insuranceAR != 0 {
			t.Errorf("CO-50 denial: %+v", l)
		}
		if l := w.claimLedger(prDenied.ID); l.patientAR != 17500 || l.insuranceAR != 0 {
			t.Errorf("PR-204 denial: %+v", l)
		}
		if l := w.claimLedger(partial.ID); l.cash != 8000 || l.contractual != 2500 || l.denied != 5000 || l.patientAR != 2000 {
			t.Errorf("partly paid: %+v", l)
		}
		for _, c := range []struct {
			c  store.Claim
			ar int64
		}{{denied, 17500}, {prDenied, 0}, {partial, 5000}, {primary, 0}} {
			checkPrimary(t, w, w.claim(c.c.ID), c.ar)
		}
		sec := w.claim(rr.SecondaryClaims[0])
		if l := w.claimLedger(sec.ID); l.insuranceAR != 2000 || l.billed != 2000 {
			t.Fatalf("secondary before its 835: %+v", l)
		}

		// The secondary pays 15.00 of the 20.00 coinsurance; CAS OA-23
		// carries the primary's adjudication, which is not posted again.
		w.submitSecondary()
		w.post("CHK2", secondaryVisit(sec.PatientControlNumber, "OA"))
		if got := w.claim(sec.ID).Status; got != claim.StatusPaid {
			t.Errorf("secondary %s", got)
		}
		l := w.claimLedger(sec.ID)
		if l.insuranceAR != 0 || l.cash != 1500 || l.patientAR != 500 || l.contractual != 0 || l.other != 0 {
			t.Errorf("secondary after its 835: %+v", l)
		}
		if got := l.cash + l.contractual + l.other + l.patientAR + l.insuranceAR; got != l.billed {
			t.Errorf("secondary: billed %d != paid + adjustments + patient + outstanding %d", l.billed, got)
		}
		checkPrimary(t, w, w.claim(primary.ID), 0)
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountPatientAR, PatientID: w.pat2.ID}); got != 500 {
			t.Errorf("patient 2 owes %d, want 500", got)
		}
		checkLedger(t, w)
	})
}

// TestSecondaryPriorPayerForms posts the secondary payment with the prior
// payer's adjudication reported in the forms payers use: CO-23, OA-23, or
// folded into CO-45; and a secondary that pays more than it was billed,
// which leaves a credit balance (a refund due), not a negative balance
// from posting the primary's adjustments twice.
func TestSecondaryPriorPayerForms(t *testing.T) {
	tests := []struct {
		name string
		edit func(cp *x835.ClaimPayment)
		// want secondary insurance A/R, contractual and other adjustments
		ar, contractual, other int64
	}{
		{name: "CO-23", edit: func(cp *x835.ClaimPayment) {}},
		{name: "OA-23 with a further CO-45", edit: func(cp *x835.ClaimPayment) {
			// The secondary allows 5.00 less: CO-45 5.00, PR 0.
			l := &cp.ServiceLines[0]
			l.Adjustments = []x835.Adjustment{{Group: "OA", Reason: "23", AmountCents: 10500}, {Group: "CO", Reason: "45", AmountCents: 500}}
			cp.PatientResponsibilityCents = 0
		}, contractual: 500},
		{name: "folded into CO-45", edit: func(cp *x835.ClaimPayment) {
			cp.ServiceLines[0].Adjustments = []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: 10500}, {Group: "PR", Reason: "2", AmountCents: 500}}
			cp.ServiceLines[1].Adjustments = []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: 5000}}
		}},
		{name: "paid as primary (overpaid)", edit: func(cp *x835.ClaimPayment) {
			// The secondary ignores the primary: allowed 100.00, pays
			// 80.00 and 40.00, owed 20.00: a 100.00 credit balance.
			cp.ServiceLines[0].PaidCents, cp.ServiceLines[1].PaidCents = 8000, 4000
			cp.ServiceLines[0].Adjustments = []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: 2500}, {Group: "PR", Reason: "2", AmountCents: 2000}}
			cp.ServiceLines[1].Adjustments = []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: 1000}}
			cp.PaidCents, cp.PatientResponsibilityCents = 12000, 2000
		}, ar: -12000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, st store.Store) {
				w := newWorld(t, st)
				primary := w.visit(w.pat2)
				w.submitAll()
				prim := paidVisit(primary.PatientControlNumber, "ICN4", 10000)
				prim.Patient.Last, prim.Patient.First = "SECOND", "SAM"
				rr := w.post("CHK1", prim)
				sec := w.claim(rr.SecondaryClaims[0])
				w.submitSecondary()
				cp := secondaryVisit(sec.PatientControlNumber, "CO")
				tt.edit(cp)
				cp.PaidCents = 0
				for _, l := range cp.ServiceLines {
					cp.PaidCents += l.PaidCents
				}
				w.post("CHK2", cp)
				l := w.claimLedger(sec.ID)
				if l.insuranceAR != tt.ar || l.contractual != tt.contractual || l.other != tt.other || l.cash != cp.PaidCents {
					t.Errorf("secondary ledger %+v, want A/R %d, contractual %d, other %d, cash %d", l, tt.ar, tt.contractual, tt.other, cp.PaidCents)
				}
				if got := l.cash + l.contractual + l.other + l.patientAR + l.insuranceAR; got != l.billed {
					t.Errorf("secondary: billed %d != paid + adjustments + patient + outstanding %d", l.billed, got)
				}
				checkPrimary(t, w, w.claim(primary.ID), 0)
				checkLedger(t, w)
			})
		})
	}
}

// TestDenialOverturned: a denial posted as adjusted is reversed when the
// payer pays the claim after an appeal, whether it sends a reversal of the
// denial (CLP02 22) first or only the new payment.
func TestDenialOverturned(t *testing.T) {
	for _, withReversal := range []bool{false, true} {
		name := "payment only"
		if withReversal {
			name = "reversal then payment"
		}
		t.Run(name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, st store.Store) {
				w := newWorld(t, st)
				c := w.visit(w.pat)
				w.submitAll()
				w.post("CHK1", deniedVisit(c.PatientControlNumber, "ICN1", "CO", "50"))
				checkPrimary(t, w, w.claim(c.ID), 17500)
				var cps []*x835.ClaimPayment
				if withReversal {
					rev := deniedVisit(c.PatientControlNumber, "ICN1", "CO", "50")
					rev.Status, rev.ChargeCents = "22", -rev.ChargeCents
					rev.Adjustments[0].AmountCents = -rev.Adjustments[0].AmountCents
					cps = append(cps, rev)
				}
				cps = append(cps, paidVisit(c.PatientControlNumber, "ICN1", 10000))
				w.post("CHK2", cps...)
				if got := w.claim(c.ID).Status; got != claim.StatusPaid {
					t.Errorf("status %s", got)
				}
				l := w.claimLedger(c.ID)
				if l.insuranceAR != 0 || l.cash != 12000 || l.contractual != 3500 || l.patientAR != 2000 {
					t.Errorf("after the appeal: %+v", l)
				}
				if withReversal {
					checkPrimary(t, w, w.claim(c.ID), 0)
				}
				checkLedger(t, w)
			})
		})
	}
}
