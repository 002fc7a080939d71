package storetest

import (
	"context"
	"testing"

	"github.com/clearhouse/clearhouse/store"
)

// testLedgerSums covers LedgerSums (balances per claim and per patient,
// filtered and negative only), the worklist's dedupe-key filter and the
// restatement of an item's amount and title.
func testLedgerSums(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	a := f.claim(t, "PCN-SA", 10000)
	b := f.claim(t, "PCN-SB", 5000)
	rem, _, err := s.CreateRemittance(ctx, store.CreateRemittanceParams{ClinicID: cid, PayerIdentifier: "P1", TraceNumber: "T-SUMS",
		PaymentDate: date(2025, 4, 1)})
	must(t, err)
	pid := f.patient.ID
	post := func(key string, lines ...store.LedgerLine) {
		t.Helper()
		_, _, err := s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: cid, IdempotencyKey: key, Lines: lines})
		must(t, err)
	}
	post("charge:a", store.LedgerLine{Account: "ar_insurance", AmountCents: 10000, ClaimID: &a.ID, PatientID: &pid},
		store.LedgerLine{Account: "revenue", AmountCents: -10000, ClaimID: &a.ID})
	post("charge:b", store.LedgerLine{Account: "ar_insurance", AmountCents: 5000, ClaimID: &b.ID, PatientID: &pid},
		store.LedgerLine{Account: "revenue", AmountCents: -5000, ClaimID: &b.ID})
	// Claim a is paid 12,000 against a 10,000 charge: a 2,000 credit.
	post("pay:a", store.LedgerLine{Account: "cash", AmountCents: 12000, RemittanceID: &rem.ID},
		store.LedgerLine{Account: "ar_insurance", AmountCents: -12000, ClaimID: &a.ID, PatientID: &pid, RemittanceID: &rem.ID})
	// The patient paid 30.00 on account.
	post("patient:1", store.LedgerLine{Account: "cash", AmountCents: 3000, PatientID: &pid},
		store.LedgerLine{Account: "patient_credit", AmountCents: -3000, PatientID: &pid})

	all, err := s.LedgerSums(ctx, store.LedgerSumsParams{ClinicID: cid, Accounts: []string{"ar_insurance"}})
	must(t, err)
	eq(t, "claims", len(all), 2)
	eq(t, "claim a", all[0], store.LedgerSum{ClaimID: a.ID, PatientID: pid, AmountCents: -2000})
	eq(t, "claim b", all[1], store.LedgerSum{ClaimID: b.ID, PatientID: pid, AmountCents: 5000})
	neg, err := s.LedgerSums(ctx, store.LedgerSumsParams{ClinicID: cid, Accounts: []string{"ar_insurance"}, Negative: true})
	must(t, err)
	eq(t, "credits", len(neg), 1)
	eq(t, "credit claim", neg[0].ClaimID, a.ID)
	byRem, err := s.LedgerSums(ctx, store.LedgerSumsParams{ClinicID: cid, Accounts: []string{"ar_insurance"}, RemittanceIDs: []int64{rem.ID}})
	must(t, err)
	eq(t, "claims the remittance touched", len(byRem), 1)
	eq(t, "its claim", byRem[0].ClaimID, a.ID)
	byID, err := s.LedgerSums(ctx, store.LedgerSumsParams{ClinicID: cid, Accounts: []string{"ar_insurance"}, ClaimIDs: []int64{b.ID}})
	must(t, err)
	eq(t, "claim b only", len(byID), 1)
	pat, err := s.LedgerSums(ctx, store.LedgerSumsParams{ClinicID: cid, Accounts: []string{"ar_patient", "patient_credit"}, ByPatient: true,
		PatientIDs: []int64{pid}, Negative: true})
	must(t, err)
	eq(t, "patient accounts in credit", len(pat), 1)
	eq(t, "patient credit", pat[0], store.LedgerSum{PatientID: pid, AmountCents: -3000})
	_, err = s.LedgerSums(ctx, store.LedgerSumsParams{ClinicID: cid})
	wantErr(t, err, store.ErrInvalid)
	g := newFixture(t, h)
	other, err := s.LedgerSums(ctx, store.LedgerSumsParams{ClinicID: g.clinic.ID, Accounts: []string{"ar_insurance"}})
	must(t, err)
	eq(t, "another clinic's sums", len(other), 0)

	w, _, err := s.CreateWorklistItem(ctx, store.CreateWorklistItemParams{ClinicID: cid, Kind: "credit_balance", ClaimID: &a.ID,
		AmountCents: 2000, Title: "credit 20.00", DedupeKey: "credit:claim:1"})
	must(t, err)
	found, err := s.GetWorklistItemsByDedupeKeys(ctx, store.KeysParams{ClinicID: cid, Keys: []string{"credit:claim:1", "credit:claim:2"}})
	must(t, err)
	eq(t, "by dedupe key", len(found), 1)
	amount, title := int64(2500), "credit 25.00"
	w, err = s.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: cid, ID: w.ID, AmountCents: &amount, Title: &title})
	must(t, err)
	eq(t, "amount restated", w.AmountCents, amount)
	eq(t, "title restated", w.Title, title)
	eq(t, "status kept", w.Status, store.WorkOpen)
}
