package report_test

import (
	"os"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/report"
	"github.com/clearhouse/clearhouse/store"
)

// ExampleComputeKPIs computes days in A/R and the denial rate of a tiny
// month: one 300.00 claim, denied, still in A/R.
func ExampleComputeKPIs() {
	claimID := int64(1)
	d := &report.Dataset{
		Params: report.Params{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)},
		Claims: map[int64]store.Claim{1: {ID: 1, PayerID: 1, Status: claim.StatusDenied, ServiceDateFrom: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}},
		Payments: []report.Payment{{ClaimPayment: store.ClaimPayment{ClaimID: &claimID, StatusCode: "4", ChargeCents: 30000,
			Adjustments: []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "16", AmountCents: 30000}}}, PayerID: 1}},
		AREntries:     []store.LedgerEntry{{Account: billing.AccountInsuranceAR, ClaimID: &claimID, AmountCents: 30000}},
		PeriodEntries: []store.LedgerEntry{{Account: billing.AccountRevenue, ClaimID: &claimID, AmountCents: -30000}},
	}
	k := report.ComputeKPIs(d)
	_ = report.WriteText(os.Stdout, report.Table{Columns: []string{"metric", "value"}, Rows: [][]string{
		{"denial rate %", k.DenialRate.Percent()}, {"days in A/R", k.DaysInAR.String()}, {"clean-claim rate %", k.CleanClaimRate.Percent()}}})
	// Output:
	// metric              value
	// denial rate %       100.0
	// days in A/R         31.0
	// clean-claim rate %  100.0
}
