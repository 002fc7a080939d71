package report

import (
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
)

// TestCreditBalances: a claim below zero is a credit; a patient's cash on
// account past what they owe is one only once no claim of theirs waits on
// a payer.
func TestCreditBalances(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	entry := func(account string, cents int64, claim, patient int64) store.LedgerEntry {
		e := store.LedgerEntry{Account: account, AmountCents: cents}
		if claim != 0 {
			e.ClaimID = id(claim)
		}
		if patient != 0 {
			e.PatientID = id(patient)
		}
		return e
	}
	tests := []struct {
		name        string
		ar, credit  []store.LedgerEntry
		n, wantCent int64
	}{
		{name: "claim overpaid", ar: []store.LedgerEntry{entry(billing.AccountInsuranceAR, 10000, 1, 7), entry(billing.AccountInsuranceAR, -12000, 1, 7)},
			n: 1, wantCent: 2000},
		{name: "patient paid past their share", ar: []store.LedgerEntry{entry(billing.AccountPatientAR, 3000, 1, 7), entry(billing.AccountPatientAR, -3000, 1, 7)},
			credit: []store.LedgerEntry{entry(billing.AccountPatientCredit, -2000, 0, 7)}, n: 1, wantCent: 2000},
		{name: "copay before the payer answers", ar: []store.LedgerEntry{entry(billing.AccountInsuranceAR, 9000, 2, 7)},
			credit: []store.LedgerEntry{entry(billing.AccountPatientCredit, -2500, 0, 7)}},
		{name: "nothing in credit", ar: []store.LedgerEntry{entry(billing.AccountInsuranceAR, 9000, 2, 7), entry(billing.AccountPatientAR, 100, 2, 7)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			d := &Dataset{Params: Params{From: day, To: day}, Claims: map[int64]store.Claim{}, AREntries: tt.ar, CreditEntries: tt.credit}
			k := ComputeKPIs(d)
			if k.CreditBalances != tt.n || k.CreditBalanceCents != tt.wantCent {
				t.Errorf("credit balances %d %d, want %d %d", k.CreditBalances, k.CreditBalanceCents, tt.n, tt.wantCent)
			}
		})
	}
}
