package payments_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

var pgStore store.Store

func TestMain(m *testing.M) {
	os.Exit(storetest.Main(m, storetest.Options{Prefix: "clearhouse_payments_test", Now: clock},
		func(pg storetest.Postgres) { pgStore = pg.Store }))
}

var now = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)

func clock() time.Time { return now }

func eachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	storetest.Backends(t, pgStore, storetest.Options{Now: clock}, fn)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var seq atomic.Int64

// world is a clinic with a patient and claims whose payer left amounts to
// the patient (posted as 835 posting does: insurance A/R to patient A/R).
type world struct {
	ctx     context.Context
	st      store.Store
	clinic  store.Clinic
	patient store.Patient
	payer   store.Payer
}

func newWorld(t *testing.T, st store.Store) *world {
	t.Helper()
	ctx := context.Background()
	n := seq.Add(1)
	c, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: fmt.Sprintf("%s %d", t.Name(), n), NPI: "1234567893", TaxID: "123456789", SubmitterID: "CLEARHOUSE"})
	must(t, err)
	w := &world{ctx: ctx, st: st, clinic: c}
	w.payer, err = st.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c.ID, PayerID: "87726", Name: "Example Health", ReceiverID: "EXHEALTH", ClaimFilingCode: "CI"})
	must(t, err)
	w.patient, err = st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "MRN-1", FirstName: "Grace", LastName: "Hopper",
		BirthDate: time.Date(1950, 12, 9, 0, 0, 0, 0, time.UTC), Sex: "F", City: "Arlington", State: "VA", PostalCode: "22201"})
	must(t, err)
	return w
}

// claimWithPatientShare creates a claim charged at charge, paid by the
// payer but for share, which is left to the patient.
func (w *world) claimWithPatientShare(t *testing.T, pcn string, dos time.Time, charge, share int64) store.Claim {
	t.Helper()
	c, err := w.st.CreateClaim(w.ctx, store.CreateClaimParams{ClinicID: w.clinic.ID, PayerID: w.payer.ID, PatientID: w.patient.ID,
		PatientControlNumber: pcn, TotalChargeCents: charge, ServiceDateFrom: dos, ServiceDateTo: dos,
		Document: json.RawMessage(`{}`), Actor: "test"})
	must(t, err)
	pid := w.patient.ID
	_, _, err = w.st.PostLedgerTransaction(w.ctx, store.PostLedgerTransactionParams{ClinicID: w.clinic.ID, IdempotencyKey: "charge:" + pcn,
		EffectiveDate: dos, Lines: []store.LedgerLine{
			{Account: billing.AccountInsuranceAR, AmountCents: charge, ClaimID: &c.ID, PatientID: &pid},
			{Account: billing.AccountRevenue, AmountCents: -charge, ClaimID: &c.ID, PatientID: &pid},
		}})
	must(t, err)
	_, _, err = w.st.PostLedgerTransaction(w.ctx, store.PostLedgerTransactionParams{ClinicID: w.clinic.ID, IdempotencyKey: "remit:" + pcn,
		EffectiveDate: dos.AddDate(0, 0, 20), Lines: []store.LedgerLine{
			{Account: billing.AccountCash, AmountCents: charge - share, ClaimID: &c.ID, PatientID: &pid},
			{Account: billing.AccountPatientAR, AmountCents: share, ClaimID: &c.ID, PatientID: &pid},
			{Account: billing.AccountInsuranceAR, AmountCents: -charge, ClaimID: &c.ID, PatientID: &pid},
		}})
	must(t, err)
	return c
}

// balances sums the clinic's ledger by account, and patient A/R by claim.
type balances struct {
	byAccount map[string]int64
	arByClaim map[int64]int64
	total     int64
}

func (w *world) balances(t *testing.T) balances {
	t.Helper()
	es, err := w.st.ListLedgerEntries(w.ctx, store.ListLedgerEntriesParams{ClinicID: w.clinic.ID})
	must(t, err)
	b := balances{byAccount: map[string]int64{}, arByClaim: map[int64]int64{}}
	for _, e := range es {
		b.byAccount[e.Account] += e.AmountCents
		b.total += e.AmountCents
		if e.Account == billing.AccountPatientAR && e.ClaimID != nil {
			b.arByClaim[*e.ClaimID] += e.AmountCents
		}
	}
	return b
}

// check asserts that the ledger balances, that no claim's patient A/R is
// negative, and that cash on account and cash agree with the payments.
func (w *world) check(t *testing.T, wantAR, wantCredit int64) {
	t.Helper()
	b := w.balances(t)
	if b.total != 0 {
		t.Errorf("ledger does not balance: %d", b.total)
	}
	for c, v := range b.arByClaim {
		if v < 0 {
			t.Errorf("claim %d patient A/R %d is negative", c, v)
		}
	}
	if got := b.byAccount[billing.AccountPatientAR]; got != wantAR {
		t.Errorf("patient A/R = %d, want %d", got, wantAR)
	}
	if got := -b.byAccount[billing.AccountPatientCredit]; got != wantCredit {
		t.Errorf("patient cash on account = %d, want %d", got, wantCredit)
	}
	pays, err := w.st.ListPatientPayments(w.ctx, store.ListPatientPaymentsParams{ClinicID: w.clinic.ID})
	must(t, err)
	var unapplied int64
	for _, p := range pays {
		unapplied += p.UnappliedCents()
	}
	if unapplied != wantCredit {
		t.Errorf("payments' unapplied = %d, want %d", unapplied, wantCredit)
	}
}

func (w *world) audits(t *testing.T) map[string]int {
	t.Helper()
	evs, err := w.st.ListAuditEvents(w.ctx, store.ListAuditEventsParams{ClinicID: w.clinic.ID})
	must(t, err)
	out := map[string]int{}
	for _, e := range evs {
		out[e.Action]++
	}
	return out
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// fakeProcessor is an in-memory card processor for the service tests; the
// Stripe implementation has its own tests against an HTTP server.
type fakeProcessor struct {
	charged, refunded int64
	decline           bool
}

func (f *fakeProcessor) Name() string { return "fake" }

func (f *fakeProcessor) Charge(_ context.Context, r payments.ChargeRequest) (payments.Charge, error) {
	if f.decline {
		return payments.Charge{}, fmt.Errorf("%w: insufficient funds", payments.ErrDeclined)
	}
	f.charged += r.AmountCents
	return payments.Charge{Processor: "fake", ID: "pi_" + r.IdempotencyKey, CardBrand: "visa", CardLast4: "4242"}, nil
}

func (f *fakeProcessor) Refund(_ context.Context, r payments.RefundRequest) (payments.Refund, error) {
	f.refunded += r.AmountCents
	return payments.Refund{ID: "re_" + r.IdempotencyKey}, nil
}

func TestCopayAtCheckIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		svc := payments.New(st, payments.Options{Now: clock})
		prov, err := st.CreateProvider(w.ctx, store.CreateProviderParams{ClinicID: w.clinic.ID, NPI: "1245319599", FirstName: "Ada", LastName: "Lovelace", TaxonomyCode: "207Q00000X"})
		must(t, err)
		cov, err := st.CreateCoverage(w.ctx, store.CreateCoverageParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, PayerID: w.payer.ID,
			MemberID: "M1", Priority: 1, RelationshipCode: "18"})
		must(t, err)
		checked := now.Add(-time.Hour)
		_, err = st.RecordEligibility(w.ctx, store.RecordEligibilityParams{ClinicID: w.clinic.ID, CoverageID: cov.ID, Status: store.EligibilityActive,
			CheckedAt: checked, Benefits: json.RawMessage(`{"status":"active","services":[{"service_type":"98","network":"Y","copay_cents":2500}]}`)})
		must(t, err)
		appt, err := st.CreateAppointment(w.ctx, store.CreateAppointmentParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, ProviderID: prov.ID,
			CoverageID: &cov.ID, StartsAt: now, EndsAt: now.Add(30 * time.Minute)})
		must(t, err)
		res, err := svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, Method: store.PaymentCash, AppointmentID: &appt.ID})
		must(t, err)
		if res.Payment.AmountCents != 2500 || res.Payment.UnappliedCents() != 2500 || len(res.Allocations) != 0 {
			t.Fatalf("copay payment %+v allocations %+v", res.Payment, res.Allocations)
		}
		w.check(t, 0, 2500)
		// The payer answers: 40.00 left to the patient; the copay on
		// account pays 25.00 of it.
		c := w.claimWithPatientShare(t, "PCN-1", day(2026, 3, 2), 15000, 4000)
		ar, err := svc.Apply(w.ctx, w.clinic.ID, 0)
		must(t, err)
		if ar.AppliedCents != 2500 || ar.Applications != 1 {
			t.Fatalf("apply %+v", ar)
		}
		w.check(t, 1500, 0)
		if b := w.balances(t); b.arByClaim[c.ID] != 1500 || b.byAccount[billing.AccountCash] != 15000-4000+2500 {
			t.Fatalf("balances %+v", b)
		}
		// Applying again moves nothing.
		ar, err = svc.Apply(w.ctx, w.clinic.ID, 0)
		must(t, err)
		if ar.AppliedCents != 0 {
			t.Fatalf("second apply %+v", ar)
		}
		if a := w.audits(t); a[payments.AuditPayment] != 1 || a[payments.AuditApply] != 1 {
			t.Fatalf("audit %v", a)
		}
	})
}

func TestCopayNeedsA271(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		svc := payments.New(st, payments.Options{Now: clock})
		prov, err := st.CreateProvider(w.ctx, store.CreateProviderParams{ClinicID: w.clinic.ID, NPI: "1245319599", FirstName: "Ada", LastName: "Lovelace", TaxonomyCode: "207Q00000X"})
		must(t, err)
		appt, err := st.CreateAppointment(w.ctx, store.CreateAppointmentParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, ProviderID: prov.ID,
			StartsAt: now, EndsAt: now.Add(30 * time.Minute)})
		must(t, err)
		_, err = svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AppointmentID: &appt.ID})
		if !errors.Is(err, payments.ErrNoCopay) {
			t.Fatalf("err = %v, want ErrNoCopay", err)
		}
		w.check(t, 0, 0)
	})
}

func TestStatementPaymentOldestFirst(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		svc := payments.New(st, payments.Options{Now: clock})
		newer := w.claimWithPatientShare(t, "PCN-2", day(2026, 2, 10), 20000, 6000)
		older := w.claimWithPatientShare(t, "PCN-1", day(2026, 1, 5), 10000, 3000)
		res, err := svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 5000, Method: store.PaymentCheck, Reference: "CHK-1001"})
		must(t, err)
		if len(res.Allocations) != 2 || *res.Allocations[0].ClaimID != older.ID || res.Allocations[0].AmountCents != 3000 ||
			*res.Allocations[1].ClaimID != newer.ID || res.Allocations[1].AmountCents != 2000 {
			t.Fatalf("allocations %+v", res.Allocations)
		}
		w.check(t, 4000, 0)
		// Paying more than is owed leaves cash on account.
		_, err = svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 5000, Method: store.PaymentCash, ClaimID: &newer.ID})
		must(t, err)
		w.check(t, 0, 1000)
		// The same reference twice is refused.
		_, err = svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 100, Method: store.PaymentCheck, Reference: "CHK-1001"})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate reference: %v", err)
		}
		w.check(t, 0, 1000)
	})
}

func TestCardPaymentAndRefund(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		proc := &fakeProcessor{}
		svc := payments.New(st, payments.Options{Now: clock, Processor: proc})
		c := w.claimWithPatientShare(t, "PCN-1", day(2026, 1, 5), 10000, 3000)
		res, err := svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 4000, Method: store.PaymentCard,
			CardToken: "pm_card_visa"})
		must(t, err)
		if res.Payment.ProcessorPaymentID == "" || res.Payment.CardLast4 != "4242" || res.Payment.Reference != res.Payment.ProcessorPaymentID {
			t.Fatalf("card payment %+v", res.Payment)
		}
		w.check(t, 0, 1000)
		// Refund 15.00: 10.00 from cash on account, 5.00 taken back from
		// the claim, whose balance reopens.
		res, err = svc.Refund(w.ctx, w.clinic.ID, res.Payment.ID, 1500, "overpaid")
		must(t, err)
		if res.Payment.RefundedCents != 1500 || res.Payment.AppliedCents != 2500 || proc.refunded != 1500 {
			t.Fatalf("after refund %+v (processor refunded %d)", res.Payment, proc.refunded)
		}
		w.check(t, 500, 0)
		if b := w.balances(t); b.arByClaim[c.ID] != 500 || b.byAccount[billing.AccountCash] != 7000+4000-1500 {
			t.Fatalf("balances %+v", b)
		}
		// More than is left cannot be refunded.
		if _, err := svc.Refund(w.ctx, w.clinic.ID, res.Payment.ID, 2600, ""); !errors.Is(err, payments.ErrInput) {
			t.Fatalf("over-refund: %v", err)
		}
		// A declined card records nothing.
		proc.decline = true
		if _, err := svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 500, Method: store.PaymentCard, CardToken: "pm_x"}); !errors.Is(err, payments.ErrDeclined) {
			t.Fatalf("declined: %v", err)
		}
		w.check(t, 500, 0)
		if a := w.audits(t); a[payments.AuditPayment] != 1 || a[payments.AuditRefund] != 1 {
			t.Fatalf("audit %v", a)
		}
	})
}

func TestVoid(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		proc := &fakeProcessor{}
		svc := payments.New(st, payments.Options{Now: clock, Processor: proc})
		w.claimWithPatientShare(t, "PCN-1", day(2026, 1, 5), 10000, 3000)
		cash, err := svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 4000, Method: store.PaymentCash})
		must(t, err)
		w.check(t, 0, 1000)
		res, err := svc.Void(w.ctx, w.clinic.ID, cash.Payment.ID, "entered twice")
		must(t, err)
		if res.Payment.Status != store.PaymentVoided || res.Payment.AppliedCents != 0 || res.Payment.UnappliedCents() != 0 {
			t.Fatalf("voided %+v", res.Payment)
		}
		w.check(t, 3000, 0)
		if _, err := svc.Void(w.ctx, w.clinic.ID, cash.Payment.ID, ""); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second void: %v", err)
		}
		// A card payment partly refunded, then voided: the processor
		// refunds the rest, and cash nets to zero.
		card, err := svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 2000, Method: store.PaymentCard, CardToken: "pm_card_visa"})
		must(t, err)
		_, err = svc.Refund(w.ctx, w.clinic.ID, card.Payment.ID, 500, "")
		must(t, err)
		w.check(t, 1500, 0)
		_, err = svc.Void(w.ctx, w.clinic.ID, card.Payment.ID, "")
		must(t, err)
		if proc.refunded != 2000 {
			t.Fatalf("processor refunded %d, want 2000", proc.refunded)
		}
		w.check(t, 3000, 0)
		if b := w.balances(t); b.byAccount[billing.AccountCash] != 7000 {
			t.Fatalf("cash %d, want the payer's 7000 only", b.byAccount[billing.AccountCash])
		}
		if a := w.audits(t); a[payments.AuditVoid] != 2 {
			t.Fatalf("audit %v", a)
		}
	})
}
