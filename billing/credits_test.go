package billing_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
)

// creditItems are the credit_balance items, with their cause.
func (w *world) creditItems() []store.WorklistItem {
	w.t.Helper()
	return w.worklist(billing.WorkCreditBalance)
}

func causeOf(t *testing.T, it store.WorklistItem) string {
	t.Helper()
	var d struct {
		Cause string `json:"cause"`
	}
	must(t, json.Unmarshal(it.Details, &d))
	return d.Cause
}

// checkCredits asserts the credit invariants: the ledger balances, each
// claim's charge is its payments, adjustments, patient responsibility and
// outstanding insurance A/R (a secondary's, what it was billed), and every
// claim or patient account below zero has an open credit_balance item for
// its amount, while no open item names a balance that is not.
func checkCredits(t *testing.T, w *world) {
	t.Helper()
	checkLedger(t, w)
	cs, err := w.st.ListClaims(w.ctx, store.ListClaimsParams{ClinicID: w.clinic.ID})
	must(t, err)
	open := map[string]store.WorklistItem{}
	for _, it := range w.creditItems() {
		if it.Status == store.WorkOpen || it.Status == store.WorkInProgress {
			open[it.DedupeKey] = it
		}
	}
	want := map[string]int64{}
	patients := map[int64]bool{}
	for _, c := range cs {
		l := w.claimLedger(c.ID)
		total := l.charge
		if total == 0 {
			total = l.billed
		}
		if got := l.cash + l.contractual + l.other + l.patientResponsibility + l.insuranceAR; got != total {
			t.Errorf("%s: charge %d != payments + adjustments + patient responsibility + outstanding %d (%+v)", c.PatientControlNumber, total, got, l)
		}
		if l.insuranceAR < 0 {
			want["credit:claim:"+strconv.FormatInt(c.ID, 10)] = -l.insuranceAR
		}
		patients[c.PatientID] = true
	}
	for pid := range patients {
		ar := w.balance(store.LedgerBalanceParams{Account: billing.AccountPatientAR, PatientID: pid})
		cash := w.balance(store.LedgerBalanceParams{Account: billing.AccountPatientCredit, PatientID: pid})
		ins := w.balance(store.LedgerBalanceParams{Account: billing.AccountInsuranceAR, PatientID: pid})
		if n := billing.PatientCredit(ar, cash, ins); n > 0 {
			want["credit:patient:"+strconv.FormatInt(pid, 10)] = n
		}
	}
	for key, amount := range want {
		it, ok := open[key]
		if !ok {
			t.Errorf("%s: a credit of %d without an open credit_balance item", key, amount)
		} else if it.AmountCents != amount {
			t.Errorf("%s: item %d says %d, the ledger %d", key, it.ID, it.AmountCents, amount)
		}
	}
	for key, it := range open {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: item %d open for a balance not in credit", key, it.ID)
		}
	}
}

// payTwice posts c's payment (trace CHK1) and the same payment again under
// another trace (CHK2), which is held as a suspected duplicate, then
// releases it: the claim is paid twice.
func (w *world) payTwice(c store.Claim) {
	w.t.Helper()
	w.post("CHK1", paidVisit(c.PatientControlNumber, "ICN1", 10000))
	raw := remit835{trace: "CHK2", isa: 42, claims: []*x835.ClaimPayment{paidVisit(c.PatientControlNumber, "ICN1", 10000)}}.bytes(w.t)
	f := w.inbound("dup.835", raw)
	rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, f.ID, bytes.NewReader(raw))
	must(w.t, err)
	if rr.Held != 1 {
		w.t.Fatalf("the second payment is not held: %+v", rr)
	}
	res, err := w.svc.ReleaseHeldPayments(w.ctx, billing.ReleaseParams{ClinicID: w.clinic.ID, InboundFileID: f.ID, Actor: "ana",
		Reason: "payer says it paid twice"})
	must(w.t, err)
	if res.Remit.Credits.Opened != 1 {
		w.t.Fatalf("release opened %d credit items, want 1: %+v", res.Remit.Credits.Opened, res.Remit.Credits)
	}
}

// TestCreditDuplicateTakenBack: a claim paid twice holds a credit; one item
// of cause duplicate_payment says so (once, however often the check runs);
// the payer's PLB WO naming the claim's ICN in a later 835 takes the money
// back, which undoes the duplicate's posting and resolves the item.
func TestCreditDuplicateTakenBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		c2 := w.visit(w.pat)
		c3 := w.visit(w.pat)
		w.submitAll()
		w.payTwice(c1)
		items := w.creditItems()
		if len(items) != 1 || items[0].ClaimID == nil || *items[0].ClaimID != c1.ID || items[0].AmountCents != 17500 ||
			causeOf(t, items[0]) != billing.CreditDuplicate {
			t.Fatalf("credit items %+v", items)
		}
		checkCredits(t, w)
		res, err := w.svc.DetectCredits(w.ctx, w.clinic.ID)
		must(t, err)
		if res.Opened != 0 || res.Resolved != 0 || len(res.Credits) != 1 || len(w.creditItems()) != 1 {
			t.Fatalf("second check: %+v", res)
		}

		// The payer pays two other claims and keeps 120.00 back: PLB WO
		// with the claim's ICN, and an interest PLB L6 that stays a
		// provider adjustment.
		raw := remit835{trace: "CHK3", isa: 43, claims: []*x835.ClaimPayment{paidVisit(c2.PatientControlNumber, "ICN2", 10000),
			paidVisit(c3.PatientControlNumber, "ICN3", 10000)}, plb: []x835.ProviderAdjustment{
			{ProviderID: "1234567893", FiscalPeriodEnd: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Reason: x835.ReasonOverpaymentRecovery,
				Reference: "ICN1", AmountCents: 12000},
			{ProviderID: "1234567893", FiscalPeriodEnd: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Reason: x835.ReasonInterest,
				Reference: "ICN2", AmountCents: -150},
		}}.bytes(t)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
		must(t, err)
		if rr.Posted != 2 || rr.Credits.Resolved != 1 {
			t.Fatalf("take-back: %+v", rr)
		}
		if got := w.claimLedger(c1.ID); got.insuranceAR != 0 || got.cash != 12000 || got.patientAR != 2000 || got.contractual != 3500 {
			t.Errorf("claim after the take-back %+v", got)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountProviderAdjustment}); got != -150 {
			t.Errorf("provider adjustments %d, want the interest -150", got)
		}
		if items := w.creditItems(); len(items) != 1 || items[0].Status != store.WorkResolved {
			t.Errorf("credit items after the take-back %+v", items)
		}
		checkCredits(t, w)
	})
}

// TestCreditSecondaryRefunded: a secondary paid without regard to the
// primary holds a credit of cause secondary_overpaid; a refund to the payer
// is recorded (ledger and audit), settles it and resolves the item; a
// refund past the credit is refused and the same refund twice posts once.
func TestCreditSecondaryRefunded(t *testing.T) {
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
		// The secondary pays as if primary: 80.00 and 40.00.
		cp.ServiceLines[0].PaidCents, cp.ServiceLines[1].PaidCents = 8000, 4000
		cp.ServiceLines[0].Adjustments = []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: 2500}, {Group: "PR", Reason: "2", AmountCents: 2000}}
		cp.ServiceLines[1].Adjustments = []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: 1000}}
		cp.PaidCents, cp.PatientResponsibilityCents = 12000, 2000
		rr = w.post("CHK2", cp)
		if rr.Credits.Opened != 1 {
			t.Fatalf("posting: %+v", rr.Credits)
		}
		items := w.creditItems()
		if len(items) != 1 || *items[0].ClaimID != sec.ID || items[0].AmountCents != 12000 || causeOf(t, items[0]) != billing.CreditSecondaryOverpaid {
			t.Fatalf("credit items %+v", items)
		}
		checkCredits(t, w)

		_, err := w.svc.RefundPayer(w.ctx, billing.PayerRefundParams{ClinicID: w.clinic.ID, ClaimID: sec.ID, AmountCents: 12001, Reference: "R-1"})
		if !errors.Is(err, billing.ErrInput) {
			t.Fatalf("refund past the credit: %v", err)
		}
		p := billing.PayerRefundParams{ClinicID: w.clinic.ID, ClaimID: sec.ID, AmountCents: 5000, Reference: "R-1", Actor: "ana", Reason: "secondary overpaid"}
		ref, err := w.svc.RefundPayer(w.ctx, p)
		must(t, err)
		if ref.CreditCents != 7000 || ref.Credits.Updated != 1 {
			t.Fatalf("part refund %+v", ref)
		}
		checkCredits(t, w)
		p.AmountCents, p.Reference = 7000, "R-2"
		ref, err = w.svc.RefundPayer(w.ctx, p)
		must(t, err)
		if ref.CreditCents != 0 || ref.Credits.Resolved != 1 {
			t.Fatalf("refund %+v", ref)
		}
		again, err := w.svc.RefundPayer(w.ctx, p)
		if !errors.Is(err, billing.ErrInput) || again.TransactionID != 0 {
			t.Fatalf("the credit is gone; a further refund: %+v %v", again, err)
		}
		if got := w.claimLedger(sec.ID); got.insuranceAR != 0 || got.cash != 0 {
			t.Errorf("secondary after the refunds %+v", got)
		}
		if evs := w.audit(billing.AuditPayerRefund); len(evs) != 2 || evs[0].Actor != "ana" {
			t.Errorf("audit %+v", evs)
		}
		if items := w.creditItems(); len(items) != 1 || items[0].Status != store.WorkResolved {
			t.Errorf("credit items after the refund %+v", items)
		}
		checkCredits(t, w)
	})
}

// TestCreditReversalThenCorrection: a claim paid twice holds a credit; the
// payer's reversal (CLP02 22) takes the duplicate back and the item
// resolves; then the payer reverses the payment left and sends a corrected
// one: the claim balances at zero and no credit item opens.
func TestCreditReversalThenCorrection(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		w.submitAll()
		w.payTwice(c1)
		paid := paidVisit(c1.PatientControlNumber, "ICN1", 10000)
		rr := w.post("CHK3", reversalOf(paid))
		if rr.Reversals != 1 || rr.Credits.Resolved != 1 {
			t.Fatalf("reversal: %+v", rr)
		}
		checkCredits(t, w)
		rr = w.post("CHK4", reversalOf(paid), paidVisit(c1.PatientControlNumber, "ICN1", 11000))
		if rr.Reversals != 1 || rr.Credits.Opened != 0 {
			t.Fatalf("reversal and correction: %+v", rr)
		}
		if got := w.claimLedger(c1.ID); got.insuranceAR != 0 || got.cash != 13000 {
			t.Errorf("claim after the correction %+v", got)
		}
		if items := w.creditItems(); len(items) != 1 || items[0].Status != store.WorkResolved {
			t.Errorf("credit items %+v", items)
		}
		checkCredits(t, w)
	})
}
