package report_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/report"
	"github.com/clearhouse/clearhouse/report/reporttest"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// benchClaims is how many claims (each with a claim payment and ledger
// postings) BenchmarkLoadAndCompute reports on.
const benchClaims = 5000

// BenchmarkLoadAndCompute loads a month of benchClaims claims from SQLite
// and computes every report: the cost of one `clearhouse report` run.
func BenchmarkLoadAndCompute(b *testing.B) {
	ctx := context.Background()
	clock := clock.New(reporttest.End)
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(b.TempDir(), "bench.db"), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	seed, err := reporttest.Seed(ctx, st, clock)
	if err != nil {
		b.Fatal(err)
	}
	cid := seed.Clinic.ID
	claims := make([]store.CreateClaimParams, benchClaims)
	for i := range claims {
		dos := reporttest.PeriodFrom.AddDate(0, 0, i%31)
		claims[i] = store.CreateClaimParams{PayerID: seed.KHP.ID, PatientID: seed.Patients[i%4].ID, PatientControlNumber: fmt.Sprintf("B%05d", i),
			Status: claim.StatusPaid, TotalChargeCents: 12500, ServiceDateFrom: dos, ServiceDateTo: dos}
	}
	ids, err := st.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: cid, Claims: claims})
	if err != nil {
		b.Fatal(err)
	}
	r, _, err := st.CreateRemittance(ctx, store.CreateRemittanceParams{ClinicID: cid, PayerID: &seed.KHP.ID, PayerIdentifier: "1KHP01",
		TraceNumber: "BENCH", PaymentCents: 9000 * benchClaims, PaymentDate: reporttest.Day(2026, 3, 28)})
	if err != nil {
		b.Fatal(err)
	}
	pays := make([]store.CreateClaimPaymentParams, benchClaims)
	for i := range pays {
		pays[i] = store.CreateClaimPaymentParams{RemittanceID: r.ID, ClaimID: &ids[i], PatientControlNumber: claims[i].PatientControlNumber,
			StatusCode: "1", ChargeCents: 12500, PaidCents: 9000, Adjustments: []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 3500}}}
	}
	if _, err := st.BulkInsertClaimPayments(ctx, store.BulkInsertClaimPaymentsParams{ClinicID: cid, Payments: pays}); err != nil {
		b.Fatal(err)
	}
	for i, id := range ids {
		if i%5 != 0 {
			continue // a fifth of the claims carry ledger postings: enough rows to weigh
		}
		pt := claims[i].PatientID
		if _, _, err := st.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: cid, IdempotencyKey: fmt.Sprint("b", id),
			EffectiveDate: claims[i].ServiceDateFrom, Lines: []store.LedgerLine{
				{Account: billing.AccountInsuranceAR, AmountCents: 12500, ClaimID: &id, PatientID: &pt},
				{Account: billing.AccountRevenue, AmountCents: -12500, ClaimID: &id, PatientID: &pt}}}); err != nil {
			b.Fatal(err)
		}
	}
	p := report.Params{ClinicIDs: []int64{cid}, From: reporttest.PeriodFrom, To: reporttest.PeriodTo}
	// The work is counted in claims, not bytes: claims/s below, no SetBytes.
	b.ReportAllocs()
	for b.Loop() {
		d, err := report.Load(ctx, st, p)
		if err != nil {
			b.Fatal(err)
		}
		_ = report.ComputeKPIs(d)
		_ = report.ComputeAging(d)
		_ = report.ComputeDenials(d)
		_ = report.ComputePayers(d)
		_ = report.ComputeNoShows(d)
	}
	b.ReportMetric(float64(benchClaims)*float64(b.N)/b.Elapsed().Seconds(), "claims/s")
}
