package cli

import (
	"context"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

func TestStatementsCommand(t *testing.T) {
	t.Parallel()
	db := seededDB(t, "sqlite")
	addBalances(t, db)
	date := "--date=2026-04-01"
	runCases(t, db, "statements", []cliCase{
		{"all", []string{"statements", date}, nil},
		{"clinic", []string{"statements", "--clinic", "1", date}, nil},
		{"patient", []string{"statements", "--patient", "1", date}, nil},
		{"unknown-patient", []string{"statements", "--patient", "99", date}, nil},
		{"unknown-clinic", []string{"statements", "--clinic", "5", date}, nil},
		{"bad-date", []string{"statements", "--date", "04/01/2026"}, nil},
	})
}

// addBalances moves the seeded clinic on from reporttest.End: patient 2
// pays 30.00 of the 100.00 they owe, and the payer of claim 7 (patient 3)
// leaves 45.00 to the patient, so two patients owe a balance.
func addBalances(t *testing.T, db string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := billing.New(st, billing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	if err := svc.RecordPatientPayment(ctx, billing.PatientPaymentParams{ClinicID: 1, PatientID: 2, AmountCents: 3000, Reference: "R-1", Date: day}); err != nil {
		t.Fatal(err)
	}
	c7, err := st.GetClaim(ctx, store.Ref{ClinicID: 1, ID: 7})
	if err != nil || c7.PatientID != 3 {
		t.Fatalf("claim 7: %+v, %v; want the seeded C7 of patient 3", c7, err)
	}
	_, _, err = st.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: 1, IdempotencyKey: "test:pr:7", Description: "PR-2 on appeal",
		EffectiveDate: day, Lines: []store.LedgerLine{
			{Account: billing.AccountPatientAR, AmountCents: 4500, ClaimID: &c7.ID, PatientID: &c7.PatientID},
			{Account: billing.AccountInsuranceAR, AmountCents: -4500, ClaimID: &c7.ID, PatientID: &c7.PatientID},
		}})
	if err != nil {
		t.Fatal(err)
	}
}
