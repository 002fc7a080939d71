package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// TestNightlyPatientPayments: the nightly fan-out runs each clinic's
// patient_payments job, which applies a copay held on account to the
// balance a payer has since left to the patient.
func TestNightlyPatientPayments(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim := simulator(t, t.TempDir(), 5)
		pay := payments.New(st, payments.Options{})
		_, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir(), payments: pay})
		pr := newPractice(t, st, 1)
		pt := pr.patients[0]
		res, err := pay.Add(ctx, payments.AddParams{ClinicID: pr.clinic.ID, PatientID: pt.ID, AmountCents: 2500, Method: store.PaymentCash})
		must(t, err)
		if res.Payment.UnappliedCents() != 2500 {
			t.Fatalf("copay %+v", res.Payment)
		}
		c, err := st.CreateClaim(ctx, store.CreateClaimParams{ClinicID: pr.clinic.ID, PayerID: pr.payer.ID, PatientID: pt.ID,
			PatientControlNumber: "PP-1", TotalChargeCents: 10000, ServiceDateFrom: time.Now().UTC(), ServiceDateTo: time.Now().UTC(),
			Document: []byte(`{}`), Actor: "test"})
		must(t, err)
		_, _, err = st.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: pr.clinic.ID, IdempotencyKey: "pr:PP-1",
			Lines: []store.LedgerLine{
				{Account: billing.AccountPatientAR, AmountCents: 4000, ClaimID: &c.ID, PatientID: &pt.ID},
				{Account: billing.AccountInsuranceAR, AmountCents: -4000, ClaimID: &c.ID, PatientID: &pt.ID},
			}})
		must(t, err)
		runQueue(t, st, p)
		_, err = st.InsertJob(ctx, worker.NightlyAllArgs{}, nil)
		must(t, err)
		waitFor(t, st, "copay applied", 60*time.Second, func() bool {
			got, err := st.GetPatientPayment(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: res.Payment.ID})
			must(t, err)
			return got.AppliedCents == 2500
		})
		bal, err := st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: pr.clinic.ID, Account: billing.AccountPatientAR, ClaimID: c.ID})
		must(t, err)
		if bal != 1500 {
			t.Fatalf("claim patient balance %d, want 1500", bal)
		}
	})
}
