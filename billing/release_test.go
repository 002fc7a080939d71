package billing_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

func (w *world) audit(action string) []store.AuditEvent {
	w.t.Helper()
	evs, err := w.st.ListAuditEvents(w.ctx, store.ListAuditEventsParams{ClinicID: w.clinic.ID})
	must(w.t, err)
	var out []store.AuditEvent
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// TestReleaseHeldRemittance: a held 835 (BPR02 does not balance) released
// by staff posts once, with the confirmation in the audit log and the hold
// item resolved; a second release is refused, and a release run again
// after a crash left the file held posts nothing twice.
func TestReleaseHeldRemittance(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c := w.visit(w.pat)
		w.submitAll()
		pay := remit835{trace: "CHK9", claims: []*x835.ClaimPayment{paidVisit(c.PatientControlNumber, "ICN9", 10000)}}.bytes(t)
		raw := bytes.Replace(pay, []byte("BPR*I*120*"), []byte("BPR*I*125*"), 1)
		f := w.inbound("short.835", raw)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, f.ID, bytes.NewReader(raw))
		must(t, err)
		if !rr.HeldFile {
			t.Fatalf("not held: %+v", rr)
		}
		params := billing.ReleaseParams{ClinicID: w.clinic.ID, InboundFileID: f.ID, Actor: "ana", Reason: "payer confirmed the 5.00 is a PLB sent late"}
		if _, err := w.svc.ReleaseRemittance(w.ctx, billing.ReleaseParams{ClinicID: w.clinic.ID, InboundFileID: f.ID}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("release without an actor: %v", err)
		}
		res, err := w.svc.ReleaseRemittance(w.ctx, params)
		must(t, err)
		if res.Remit.Posted != 1 || res.Remit.HeldFile || len(res.ResolvedItems) != 1 {
			t.Fatalf("release: %+v", res)
		}
		if got := w.claim(c.ID).Status; got != claim.StatusPaid {
			t.Errorf("claim %s after release", got)
		}
		got, err := st.GetInboundFile(w.ctx, store.Ref{ClinicID: w.clinic.ID, ID: f.ID})
		must(t, err)
		if got.State != store.InboundProcessed {
			t.Errorf("file %s after release", got.State)
		}
		items := w.worklist(billing.WorkHeldRemittance)
		if len(items) != 1 || items[0].Status != store.WorkResolved || !strings.Contains(items[0].Resolution, "released by ana: payer confirmed") {
			t.Errorf("hold item %+v", items)
		}
		evs := w.audit(billing.AuditReleaseRemittance)
		if len(evs) != 1 || evs[0].Actor != "ana" || !strings.Contains(string(evs[0].Details), `"unbalanced"`) ||
			!strings.Contains(string(evs[0].Details), "PLB sent late") {
			t.Errorf("audit %+v", evs)
		}
		cash := w.balance(store.LedgerBalanceParams{Account: billing.AccountCash})

		// Released twice: refused, nothing posts.
		if _, err := w.svc.ReleaseRemittance(w.ctx, params); !errors.Is(err, billing.ErrNotReleasable) || !strings.Contains(err.Error(), "short.835") {
			t.Fatalf("second release: %v", err)
		}
		// A release that crashed before the file was marked processed is
		// run again: the payment is keyed by its trace and posts once.
		_, err = st.UpdateInboundFile(w.ctx, store.UpdateInboundFileParams{ClinicID: w.clinic.ID, ID: f.ID, State: store.InboundHeld})
		must(t, err)
		res, err = w.svc.ReleaseRemittance(w.ctx, params)
		must(t, err)
		if res.Remit.Posted != 0 || res.Remit.AlreadyPosted != 1 {
			t.Errorf("release run again: %+v", res.Remit)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountCash}); got != cash {
			t.Errorf("cash %d after the second release, want %d", got, cash)
		}
		rs, err := st.ListRemittances(w.ctx, store.ListRemittancesParams{ClinicID: w.clinic.ID})
		must(t, err)
		if len(rs) != 1 {
			t.Errorf("remittances %d, want 1", len(rs))
		}
		checkLedger(t, w)
	})
}

// TestReleaseHeldPayments: a claim payment held for a negative contractual
// adjustment posts when staff release it, once however often they do; the
// rest of the file had posted before.
func TestReleaseHeldPayments(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		c2 := w.visit(w.pat)
		w.submitAll()
		draft := w.visit(w.pat)                                       // never submitted
		negative := paidVisit(c1.PatientControlNumber, "ICN1", 13000) // CO-45 -5.00
		good := paidVisit(c2.PatientControlNumber, "ICN2", 10000)
		unsubmitted := paidVisit(draft.PatientControlNumber, "ICN3", 10000)
		raw := remit835{trace: "CHK1", claims: []*x835.ClaimPayment{unsubmitted, negative, good}}.bytes(t)
		f := w.inbound("neg.835", raw)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, f.ID, bytes.NewReader(raw))
		must(t, err)
		if rr.Posted != 1 || rr.Held != 2 {
			t.Fatalf("posting: %+v", rr)
		}
		if _, err := w.svc.ReleaseRemittance(w.ctx, billing.ReleaseParams{ClinicID: w.clinic.ID, InboundFileID: f.ID, Actor: "ana"}); !errors.Is(err, billing.ErrNotReleasable) {
			t.Fatalf("a processed file is not a held file: %v", err)
		}
		params := billing.ReleaseParams{ClinicID: w.clinic.ID, InboundFileID: f.ID, Actor: "ana", Reason: "contract pays 130.00 on 99213"}
		if _, err := w.svc.ReleaseHeldPayments(w.ctx, billing.ReleaseParams{ClinicID: w.clinic.ID, InboundFileID: f.ID, Actor: "ana",
			HeldPaymentItem: 999999}); !errors.Is(err, billing.ErrNotReleasable) {
			t.Fatalf("release of an item not of the file: %v", err)
		}
		res, err := w.svc.ReleaseHeldPayments(w.ctx, params)
		must(t, err)
		// The payment of the claim never submitted is refused by the
		// state machine and stays held; the other one posts.
		if res.Payments != 1 || res.Remit.Posted != 1 || len(res.ResolvedItems) != 1 || len(res.Refused) != 1 ||
			!strings.Contains(res.Refused[0], draft.PatientControlNumber) {
			t.Fatalf("release: %+v", res)
		}
		if got := w.claim(c1.ID).Status; got != claim.StatusPaid {
			t.Errorf("claim %s after release", got)
		}
		if got := w.claim(draft.ID).Status; got != claim.StatusDraft {
			t.Errorf("unsubmitted claim %s after release", got)
		}
		items := w.worklist(billing.WorkHeldPayment)
		if len(items) != 2 || items[0].Status != store.WorkOpen || items[1].Status != store.WorkResolved {
			t.Errorf("held items %+v", items)
		}
		if evs := w.audit(billing.AuditReleasePayment); len(evs) != 1 || !strings.Contains(string(evs[0].Details), "negative_contractual") {
			t.Errorf("audit %+v", evs)
		}
		if _, err := w.svc.ReleaseHeldPayments(w.ctx, params); !errors.Is(err, billing.ErrNotReleasable) ||
			!strings.Contains(err.Error(), "illegal claim status transition") {
			t.Fatalf("second release: %v", err)
		}
		cps, err := st.ListClaimPayments(w.ctx, store.ListClaimPaymentsParams{ClinicID: w.clinic.ID, ClaimID: c1.ID})
		must(t, err)
		if len(cps) != 1 {
			t.Errorf("claim payments of the released claim: %d, want 1", len(cps))
		}
		if got := w.claimLedger(c1.ID); got.cash != negative.PaidCents {
			t.Errorf("released claim ledger %+v", got)
		}
		checkLedger(t, w)
	})
}

// TestDiscardInboundFile: a held 835 discarded by staff is never posted:
// state discarded, content kept, hold item dismissed, the discard audited;
// a reason is required and a processed file is not discarded.
func TestDiscardInboundFile(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c := w.visit(w.pat)
		w.submitAll()
		pay := remit835{trace: "CHK7", claims: []*x835.ClaimPayment{paidVisit(c.PatientControlNumber, "ICN7", 10000)}}.bytes(t)
		raw := bytes.Replace(pay, []byte("*XX*1234567893"), []byte("*XX*1999999996"), 1)
		f := w.inbound("other-payee.835", raw)
		_, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, f.ID, bytes.NewReader(raw))
		must(t, err)
		params := billing.ReleaseParams{ClinicID: w.clinic.ID, InboundFileID: f.ID, Actor: "ana"}
		if _, err := w.svc.DiscardInboundFile(w.ctx, params); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("discard without a reason: %v", err)
		}
		params.Reason = "pays another practice; payer will resend"
		res, err := w.svc.DiscardInboundFile(w.ctx, params)
		must(t, err)
		if len(res.ResolvedItems) != 1 {
			t.Fatalf("discard %+v", res)
		}
		got, err := st.GetInboundFile(w.ctx, store.Ref{ClinicID: w.clinic.ID, ID: f.ID})
		must(t, err)
		if got.State != store.InboundDiscarded || !bytes.Equal(storetest.Content(t, st, got.ContentID), raw) || !strings.Contains(got.Error, "payer will resend") {
			t.Errorf("file %s %q", got.State, got.Error)
		}
		if items := w.worklist(billing.WorkHeldRemittance); len(items) != 1 || items[0].Status != store.WorkDismissed {
			t.Errorf("items %+v", items)
		}
		if evs := w.audit(billing.AuditDiscard); len(evs) != 1 || evs[0].Actor != "ana" {
			t.Errorf("audit %+v", evs)
		}
		if _, err := w.svc.ReleaseRemittance(w.ctx, params); !errors.Is(err, billing.ErrNotReleasable) {
			t.Errorf("release of a discarded file: %v", err)
		}
		if _, err := w.svc.DiscardInboundFile(w.ctx, params); !errors.Is(err, billing.ErrNotReleasable) {
			t.Errorf("discarded twice: %v", err)
		}
		if got := w.claim(c.ID).Status; got != claim.StatusSubmitted {
			t.Errorf("claim %s", got)
		}
		if cash := w.balance(store.LedgerBalanceParams{Account: billing.AccountCash}); cash != 0 {
			t.Errorf("cash %d", cash)
		}
	})
}
