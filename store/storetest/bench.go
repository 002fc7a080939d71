package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// BulkRows is how many rows one benchmark operation inserts.
const BulkRows = 100_000

// benchDocument stands in for a marshaled canonical claim.
var benchDocument = []byte(`{"kind":"837P","billing_provider":{"npi":"1234567893"},"lines":[{"procedure":"99213","charge_cents":12500,"units":1}],"diagnoses":["E119","I10"]}`)

var benchSeq int64

// BenchmarkBulkInsertClaims inserts BulkRows claims per operation through
// s.BulkInsertClaims and reports rows/s.
func BenchmarkBulkInsertClaims(b *testing.B, s store.Store) {
	ctx := context.Background()
	f := benchFixture(b, s)
	b.ReportAllocs()
	b.SetBytes(int64(BulkRows * len(benchDocument)))
	claims := make([]store.CreateClaimParams, BulkRows)
	for b.Loop() {
		// Building the params (a Sprintf per row) is not the store's work.
		b.StopTimer()
		benchSeq++
		for i := range claims {
			claims[i] = store.CreateClaimParams{PayerID: f.payer.ID, PatientID: f.patient.ID,
				PatientControlNumber: fmt.Sprintf("B%d-%06d", benchSeq, i), Status: claim.StatusSubmitted,
				TotalChargeCents: 12500, ServiceDateFrom: date(2025, 3, 4), ServiceDateTo: date(2025, 3, 4), Document: benchDocument}
		}
		b.StartTimer()
		if _, err := s.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: f.clinic.ID, Claims: claims}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(BulkRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkBulkInsertClaimPayments inserts BulkRows claim payments (each
// with two adjustments, matched to claims) per operation and reports rows/s.
func BenchmarkBulkInsertClaimPayments(b *testing.B, s store.Store) {
	ctx := context.Background()
	f := benchFixture(b, s)
	claims := make([]store.CreateClaimParams, BulkRows)
	benchSeq++
	for i := range claims {
		claims[i] = store.CreateClaimParams{PayerID: f.payer.ID, PatientID: f.patient.ID, PatientControlNumber: fmt.Sprintf("P%d-%06d", benchSeq, i)}
	}
	ids, err := s.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: f.clinic.ID, Claims: claims})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(BulkRows * len(`{}`)))
	payments := make([]store.CreateClaimPaymentParams, BulkRows)
	for b.Loop() {
		// The remittance and the params are not the bulk path's work.
		b.StopTimer()
		benchSeq++
		r, _, err := s.CreateRemittance(ctx, store.CreateRemittanceParams{ClinicID: f.clinic.ID, PayerIdentifier: "1870000001",
			TraceNumber: fmt.Sprint("T", benchSeq), PaymentCents: 1})
		if err != nil {
			b.Fatal(err)
		}
		for i := range payments {
			payments[i] = store.CreateClaimPaymentParams{RemittanceID: r.ID, ClaimID: &ids[i], PatientControlNumber: claims[i].PatientControlNumber,
				StatusCode: "1", ChargeCents: 12500, PaidCents: 9000, PatientResponsibilityCents: 2000,
				Adjustments: []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 1500}, {GroupCode: "PR", ReasonCode: "2", AmountCents: 2000}}}
		}
		b.StartTimer()
		if _, err := s.BulkInsertClaimPayments(ctx, store.BulkInsertClaimPaymentsParams{ClinicID: f.clinic.ID, Payments: payments}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(BulkRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func benchFixture(b *testing.B, s store.Store) fixture {
	b.Helper()
	ctx := context.Background()
	c, err := s.CreateClinic(ctx, store.CreateClinicParams{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	f := fixture{s: s, clinic: c}
	if f.payer, err = s.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c.ID, PayerID: "87726", Name: "Example Health"}); err != nil {
		b.Fatal(err)
	}
	if f.patient, err = s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "1", FirstName: "A", LastName: "B"}); err != nil {
		b.Fatal(err)
	}
	return f
}
