package cli

import (
	"context"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// TestClaimsCreditsCommands lists a credit balance, refuses refunds past it
// or to a patient, records a refund to the payer that settles it, and
// lists none after.
func TestClaimsCreditsCommands(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := seededDB(t, backend)
			overpay(t, db, 1, 4250)
			sam := map[string]string{"LOGIN": "sam"}
			now := "--now=" + workNow
			runCases(t, db, "credits", []cliCase{
				{"list", []string{"claims", "credits", now}, nil},
				{"list-json", []string{"claims", "credits", now, "-o", "json"}, nil},
				{"refund-too-much", []string{"claims", "refund", "1", "--amount", "42.51", "--to", "payer", now}, sam},
				{"refund-to-patient", []string{"claims", "refund", "1", "--amount", "10", "--to", "patient", now}, sam},
				{"refund-part", []string{"claims", "refund", "1", "--amount", "20.00", "--to", "payer", "--reference", "CHK-9001", now}, sam},
				{"refund-rest", []string{"claims", "refund", "1", "--amount", "22.50", "--to", "payer", "--reference", "CHK-9002", now}, sam},
				{"list-after", []string{"claims", "credits", now}, nil},
				{"refund-biller", []string{"claims", "refund", "1", "--amount", "1", "--to", "payer", now}, map[string]string{"LOGIN": "lee"}},
			})
		})
	}
}

// overpay posts a second payment of cents on claim id (a payer paying past
// the balance) and runs the credit check, as the nightly run would.
func overpay(t *testing.T, db string, id, cents int64) {
	t.Helper()
	ctx := context.Background()
	st, err := storedb.Open(ctx, db, storedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.GetClaim(ctx, store.Ref{ClinicID: 1, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: 1, Account: billing.AccountInsuranceAR, ClaimID: id})
	if err != nil {
		t.Fatal(err)
	}
	rems, err := st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: 1, Limit: 1})
	if err != nil || len(rems) == 0 {
		t.Fatal(err, len(rems))
	}
	pay := ar + cents
	if _, _, err := st.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: 1, IdempotencyKey: "test-overpay",
		Lines: []store.LedgerLine{{Account: billing.AccountCash, AmountCents: pay, RemittanceID: &rems[0].ID},
			{Account: billing.AccountInsuranceAR, AmountCents: -pay, ClaimID: &c.ID, PatientID: &c.PatientID, RemittanceID: &rems[0].ID}}}); err != nil {
		t.Fatal(err)
	}
	svc, err := billing.New(st, billing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DetectCredits(ctx, 1); err != nil {
		t.Fatal(err)
	}
}
