package billing_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// TestWriteOff: a patient balance can be written off while patient A/R is
// positive, insurance A/R (denied A/R first) while it is positive; a
// denial written off has nothing left to write off and says so, naming the
// claim.
func TestWriteOff(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		coDenied, prDenied, paid, open := w.visit(w.pat), w.visit(w.pat), w.visit(w.pat), w.visit(w.pat)
		w.submitAll()
		w.post("CHK1", deniedVisit(coDenied.PatientControlNumber, "ICN1", "CO", "50"), deniedVisit(prDenied.PatientControlNumber, "ICN2", "PR", "96"),
			paidVisit(paid.PatientControlNumber, "ICN3", 10000))
		ledger := func(claimID int64, account string) int64 {
			t.Helper()
			return w.balance(store.LedgerBalanceParams{Account: account, ClaimID: claimID})
		}
		refuse := func(c store.Claim, cents int64, fromPatient bool, sentinel error, message string) {
			t.Helper()
			before := ledger(c.ID, billing.AccountWriteOff)
			err := w.svc.WriteOff(w.ctx, w.clinic.ID, c.ID, cents, fromPatient, fmt.Sprintf("refused-%d-%d-%v", c.ID, cents, fromPatient))
			var woe *billing.WriteOffError
			if !errors.Is(err, sentinel) || !errors.As(err, &woe) || woe.ClaimID != c.ID || err.Error() != message {
				t.Errorf("claim %d write-off %d (patient %v): %v, want %q", c.ID, cents, fromPatient, err, message)
			}
			if after := ledger(c.ID, billing.AccountWriteOff); after != before {
				t.Errorf("a refused write-off posted %d", after-before)
			}
		}

		// CO-50: the denied amount stays owed, in denied A/R, until
		// written off; then nothing is left.
		if got := w.claim(coDenied.ID).Status; got != claim.StatusDenied {
			t.Fatalf("status %s", got)
		}
		if got := ledger(coDenied.ID, billing.AccountDeniedAR); got != 17500 {
			t.Fatalf("CO-50 denied A/R %d, want 17500", got)
		}
		refuse(coDenied, 17600, false, billing.ErrWriteOffExceedsBalance,
			fmt.Sprintf("claim %d has 175.00 outstanding in ar_insurance; cannot write off 176.00", coDenied.ID))
		must(t, w.svc.WriteOff(w.ctx, w.clinic.ID, coDenied.ID, 17500, false, "WO-0"))
		if d, ar, wo := ledger(coDenied.ID, billing.AccountDeniedAR), ledger(coDenied.ID, billing.AccountInsuranceAR),
			ledger(coDenied.ID, billing.AccountWriteOff); d != 0 || ar != 0 || wo != 17500 {
			t.Fatalf("after writing off the denial: denied A/R %d, insurance A/R %d, written off %d", d, ar, wo)
		}
		refuse(coDenied, 17500, false, billing.ErrNothingToWriteOff,
			fmt.Sprintf("claim %d (%s): the insurance balance is already zero (the denied amount was written off, billed to the patient or adjusted); nothing to write off",
				coDenied.ID, coDenied.PatientControlNumber))
		refuse(coDenied, 100, true, billing.ErrNothingToWriteOff,
			fmt.Sprintf("claim %d (%s): the patient balance is already zero; nothing to write off", coDenied.ID, coDenied.PatientControlNumber))

		// PR-96: the patient owes the whole charge; writing it off works
		// once per reference.
		if got := ledger(prDenied.ID, billing.AccountPatientAR); got != 17500 {
			t.Fatalf("PR denial patient A/R %d", got)
		}
		must(t, w.svc.WriteOff(w.ctx, w.clinic.ID, prDenied.ID, 17500, true, "WO-1"))
		must(t, w.svc.WriteOff(w.ctx, w.clinic.ID, prDenied.ID, 17500, true, "WO-1"))
		if pa, wo := ledger(prDenied.ID, billing.AccountPatientAR), ledger(prDenied.ID, billing.AccountWriteOff); pa != 0 || wo != 17500 {
			t.Fatalf("after the patient write-off: patient A/R %d, written off %d", pa, wo)
		}
		refuse(prDenied, 100, true, billing.ErrNothingToWriteOff,
			fmt.Sprintf("claim %d (%s): the patient balance is already zero; nothing to write off", prDenied.ID, prDenied.PatientControlNumber))

		// Paid with 20.00 coinsurance: part written off, then more than
		// is left is refused; once the patient pays the rest, nothing.
		must(t, w.svc.WriteOff(w.ctx, w.clinic.ID, paid.ID, 500, true, "WO-2"))
		refuse(paid, 2000, true, billing.ErrWriteOffExceedsBalance, fmt.Sprintf("claim %d has 15.00 outstanding in ar_patient; cannot write off 20.00", paid.ID))
		refuse(paid, 100, false, billing.ErrNothingToWriteOff,
			fmt.Sprintf("claim %d (%s): the insurance balance is already zero; nothing to write off", paid.ID, paid.PatientControlNumber))
		must(t, w.svc.RecordPatientPayment(w.ctx, billing.PatientPaymentParams{ClinicID: w.clinic.ID, PatientID: w.pat.ID, AmountCents: 1500, Reference: "R-1"}))
		refuse(paid, 100, true, billing.ErrNothingToWriteOff,
			fmt.Sprintf("claim %d (%s): the patient balance is already zero (the patient's payments cover it); nothing to write off", paid.ID, paid.PatientControlNumber))

		// Still with the payer: insurance A/R can be written off.
		must(t, w.svc.WriteOff(w.ctx, w.clinic.ID, open.ID, 7500, false, "WO-3"))
		if got := ledger(open.ID, billing.AccountInsuranceAR); got != 10000 {
			t.Fatalf("insurance A/R after a partial write-off %d", got)
		}
		if err := w.svc.WriteOff(w.ctx, w.clinic.ID, open.ID, 0, false, "WO-4"); !errors.Is(err, billing.ErrInput) {
			t.Errorf("zero amount: %v", err)
		}
		if balance, err := w.svc.PatientBalance(w.ctx, w.clinic.ID, w.pat.ID); err != nil || balance != 0 {
			t.Errorf("patient balance %d %v", balance, err)
		}
		checkLedger(t, w)
	})
}

// TestWriteOffTx: the write-off joins the caller's transaction, commits and
// rolls back with it, and a reference already posted changes nothing.
func TestWriteOffTx(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c := w.visit(w.pat)
		w.submitAll()
		writeOff := func(p billing.WriteOffParams, fail bool) (billing.WriteOffResult, error) {
			var res billing.WriteOffResult
			err := st.InTx(w.ctx, w.clinic.ID, func(tx store.Tx) error {
				var err error
				if res, err = w.svc.WriteOffTx(w.ctx, tx, p); err != nil {
					return err
				}
				if _, err := tx.AppendAuditEvent(w.ctx, store.AppendAuditEventParams{ClinicID: w.clinic.ID, Actor: "sam", Action: "claim.writeoff", EntityType: "claim",
					EntityID: fmt.Sprint(c.ID), Details: []byte(`{}`)}); err != nil {
					return err
				}
				if fail {
					return errors.New("caller failed")
				}
				return nil
			})
			return res, err
		}
		whole := billing.WriteOffParams{ClaimID: c.ID, Reference: "claim-whole", Reason: "timely filing"}
		if _, err := writeOff(whole, true); err == nil || err.Error() != "caller failed" {
			t.Fatalf("failing caller: %v", err)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountWriteOff, ClaimID: c.ID}); got != 0 {
			t.Fatalf("a rolled back write-off left %d", got)
		}
		res, err := writeOff(whole, false)
		if err != nil || res.AmountCents != 17500 || res.BalanceCents != 17500 || res.Account != billing.AccountInsuranceAR || res.AlreadyPosted {
			t.Fatalf("whole balance: %+v %v", res, err)
		}
		retry := whole
		retry.AmountCents = 17500
		if res, err = writeOff(retry, false); err != nil || !res.AlreadyPosted || res.AmountCents != 17500 {
			t.Fatalf("retry: %+v %v", res, err)
		}
		if _, err = writeOff(whole, false); !errors.Is(err, billing.ErrNothingToWriteOff) || !strings.Contains(err.Error(), "already zero") {
			t.Fatalf("whole balance again: %v", err)
		}
		es, err := st.ListLedgerEntries(w.ctx, store.ListLedgerEntriesParams{ClinicID: w.clinic.ID, ClaimID: c.ID, Account: billing.AccountWriteOff})
		must(t, err)
		if len(es) != 1 || es[0].AmountCents != 17500 {
			t.Fatalf("write-off entries %+v", es)
		}
		events, err := st.ListAuditEvents(w.ctx, store.ListAuditEventsParams{ClinicID: w.clinic.ID})
		must(t, err)
		n := 0
		for _, e := range events {
			if e.Action == "claim.writeoff" && e.EntityID == fmt.Sprint(c.ID) {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d write-off audit events, want 2 (the write-off and its retry)", n)
		}
		checkLedger(t, w)
	})
}
