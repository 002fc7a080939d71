package payments_test

import (
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/store"
)

// TestPatientCreditRefunded: a patient who pays more than they owe, with
// no claim still waiting on a payer, has a credit balance: one
// credit_balance item of cause overpayment names the patient; the refund of
// the excess settles it and resolves the item; the ledger balances and no
// patient A/R is negative.
func TestPatientCreditRefunded(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		svc := payments.New(st, payments.Options{Now: clock})
		w.claimWithPatientShare(t, "PCN-1", day(2026, 1, 5), 10000, 3000)
		res, err := svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 5000, Method: store.PaymentCheck,
			Reference: "CHK-100"})
		must(t, err)
		w.check(t, 0, 2000)
		items := w.creditItems(t)
		if len(items) != 1 || items[0].PatientID == nil || *items[0].PatientID != w.patient.ID || items[0].ClaimID != nil ||
			items[0].AmountCents != 2000 || items[0].Status != store.WorkOpen {
			t.Fatalf("credit items %+v", items)
		}
		if _, err := svc.Refund(w.ctx, w.clinic.ID, res.Payment.ID, 2000, "paid twice at the desk"); err != nil {
			t.Fatal(err)
		}
		w.check(t, 0, 0)
		items = w.creditItems(t)
		if len(items) != 1 || items[0].Status != store.WorkResolved {
			t.Fatalf("credit items after the refund %+v", items)
		}
		if a := w.audits(t); a[payments.AuditRefund] != 1 {
			t.Fatalf("audit %v", a)
		}
	})
}

// TestCopayBeforeAdjudicationIsNoCredit: a copay taken while the claim
// still waits on the payer is a deposit, not a credit balance.
func TestCopayBeforeAdjudicationIsNoCredit(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		svc := payments.New(st, payments.Options{Now: clock})
		c, err := st.CreateClaim(w.ctx, store.CreateClaimParams{ClinicID: w.clinic.ID, PayerID: w.payer.ID, PatientID: w.patient.ID,
			PatientControlNumber: "PCN-2", TotalChargeCents: 9000, ServiceDateFrom: day(2026, 1, 6), ServiceDateTo: day(2026, 1, 6),
			Document: []byte(`{}`), Actor: "test"})
		must(t, err)
		pid := w.patient.ID
		_, _, err = st.PostLedgerTransaction(w.ctx, store.PostLedgerTransactionParams{ClinicID: w.clinic.ID, IdempotencyKey: "charge:PCN-2",
			Lines: []store.LedgerLine{{Account: billing.AccountInsuranceAR, AmountCents: 9000, ClaimID: &c.ID, PatientID: &pid},
				{Account: billing.AccountRevenue, AmountCents: -9000, ClaimID: &c.ID}}})
		must(t, err)
		if _, err := svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 2500, Method: store.PaymentCash}); err != nil {
			t.Fatal(err)
		}
		if items := w.creditItems(t); len(items) != 0 {
			t.Fatalf("a copay on a pending claim raised %+v", items)
		}
	})
}

func (w *world) creditItems(t *testing.T) []store.WorklistItem {
	t.Helper()
	items, err := w.st.ListWorklistItems(w.ctx, store.ListWorklistItemsParams{ClinicID: w.clinic.ID, Kinds: []string{billing.WorkCreditBalance}})
	must(t, err)
	return items
}
