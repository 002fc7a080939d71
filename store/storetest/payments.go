package storetest

import (
	"context"
	"testing"

	"github.com/clearhouse/clearhouse/store"
)

// testPatientPayments covers payments, allocations, plans and deposits.
func testPatientPayments(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	cl := f.claim(t, "PCN-P", 12000)
	p, err := s.CreatePatientPayment(ctx, store.CreatePatientPaymentParams{ClinicID: cid, PatientID: f.patient.ID, AmountCents: 5000,
		Method: store.PaymentCard, Reference: "pi_1", Processor: "stripe", ProcessorPaymentID: "pi_1", CardBrand: "visa", CardLast4: "4242",
		ReceivedOn: date(2025, 3, 20)})
	must(t, err)
	eq(t, "status", p.Status, store.PaymentPosted)
	eq(t, "received", p.ReceivedOn, date(2025, 3, 20))
	eq(t, "unapplied", p.UnappliedCents(), int64(5000))
	_, err = s.CreatePatientPayment(ctx, store.CreatePatientPaymentParams{ClinicID: cid, PatientID: f.patient.ID, AmountCents: 1, Method: store.PaymentCash, Reference: "pi_1"})
	wantErr(t, err, store.ErrConflict)
	_, err = s.CreatePatientPayment(ctx, store.CreatePatientPaymentParams{ClinicID: cid, PatientID: f.patient.ID, AmountCents: 1, Method: "barter"})
	wantErr(t, err, store.ErrInvalid)
	_, err = s.CreatePatientPayment(ctx, store.CreatePatientPaymentParams{ClinicID: cid, PatientID: 999999, AmountCents: 1, Method: store.PaymentCash})
	wantErr(t, err, store.ErrInvalidReference)
	must(t, s.InsertPaymentAllocations(ctx, store.InsertPaymentAllocationsParams{ClinicID: cid, Allocations: []store.PaymentAllocation{
		{PaymentID: p.ID, Kind: store.AllocationClaim, ClaimID: &cl.ID, AmountCents: 3000},
		{PaymentID: p.ID, Kind: store.AllocationRefund, AmountCents: 500, ProcessorRefundID: "re_1"},
	}}))
	p, err = s.GetPatientPayment(ctx, f.ref(p.ID))
	must(t, err)
	eq(t, "applied", p.AppliedCents, int64(3000))
	eq(t, "refunded", p.RefundedCents, int64(500))
	eq(t, "unapplied", p.UnappliedCents(), int64(1500))
	un, err := s.ListPatientPayments(ctx, store.ListPatientPaymentsParams{ClinicID: cid, Unapplied: true})
	must(t, err)
	eq(t, "with money on account", len(un), 1)
	allocs, err := s.ListPaymentAllocations(ctx, store.ListPaymentAllocationsParams{ClinicID: cid, PaymentIDs: []int64{p.ID}})
	must(t, err)
	eq(t, "allocations", len(allocs), 2)
	eq(t, "refund id", allocs[1].ProcessorRefundID, "re_1")
	v, err := s.VoidPatientPayment(ctx, store.VoidPatientPaymentParams{ClinicID: cid, ID: p.ID})
	must(t, err)
	eq(t, "voided", v.Status, store.PaymentVoided)
	_, err = s.VoidPatientPayment(ctx, store.VoidPatientPaymentParams{ClinicID: cid, ID: p.ID})
	wantErr(t, err, store.ErrConflict)
	un, err = s.ListPatientPayments(ctx, store.ListPatientPaymentsParams{ClinicID: cid, Unapplied: true})
	must(t, err)
	eq(t, "none on account once voided", len(un), 0)

	pl, err := s.CreatePaymentPlan(ctx, store.CreatePaymentPlanParams{ClinicID: cid, PatientID: f.patient.ID, TotalCents: 9000, InstalmentCents: 3000,
		IntervalDays: 30, FirstDueOn: date(2025, 4, 1), Processor: "stripe", PaymentMethodToken: "pm_1"})
	must(t, err)
	eq(t, "remaining", pl.RemainingCents, int64(9000))
	due, err := s.ListPaymentPlans(ctx, store.ListPaymentPlansParams{ClinicID: cid, DueOnOrBefore: date(2025, 3, 31)})
	must(t, err)
	eq(t, "due before the first date", len(due), 0)
	due, err = s.ListPaymentPlans(ctx, store.ListPaymentPlansParams{ClinicID: cid, DueOnOrBefore: date(2025, 4, 1)})
	must(t, err)
	eq(t, "due on the first date", len(due), 1)
	rem, next := int64(6000), date(2025, 5, 1)
	pl, err = s.UpdatePaymentPlan(ctx, store.UpdatePaymentPlanParams{ClinicID: cid, ID: pl.ID, RemainingCents: &rem, NextDueOn: &next})
	must(t, err)
	eq(t, "remaining after an instalment", pl.RemainingCents, int64(6000))
	eq(t, "next due", pl.NextDueOn, next)
	bad := "paused"
	_, err = s.UpdatePaymentPlan(ctx, store.UpdatePaymentPlanParams{ClinicID: cid, ID: pl.ID, Status: &bad})
	wantErr(t, err, store.ErrInvalid)

	r, _, err := s.CreateRemittance(ctx, store.CreateRemittanceParams{ClinicID: cid, PayerIdentifier: "1512345678", TraceNumber: "EFT1",
		PaymentCents: 12000, PaymentDate: date(2025, 3, 20)})
	must(t, err)
	deps, err := s.InsertBankDeposits(ctx, store.InsertBankDepositsParams{ClinicID: cid, Deposits: []store.BankDeposit{
		{DepositedOn: date(2025, 3, 21), AmountCents: 12000, TraceNumber: "EFT1", BankReference: "B1"},
		{DepositedOn: date(2025, 3, 21), AmountCents: 700, BankReference: "B2"},
	}})
	must(t, err)
	eq(t, "deposits", len(deps), 2)
	eq(t, "deposit date", deps[0].DepositedOn, date(2025, 3, 21))
	again, err := s.InsertBankDeposits(ctx, store.InsertBankDepositsParams{ClinicID: cid, Deposits: []store.BankDeposit{
		{DepositedOn: date(2025, 3, 21), AmountCents: 12000, BankReference: "B1"}}})
	must(t, err)
	eq(t, "the same bank reference again", len(again), 0)
	must(t, s.MatchBankDeposits(ctx, store.MatchBankDepositsParams{ClinicID: cid, Matches: []store.DepositMatch{{DepositID: deps[0].ID, RemittanceID: r.ID}}}))
	err = s.MatchBankDeposits(ctx, store.MatchBankDepositsParams{ClinicID: cid, Matches: []store.DepositMatch{{DepositID: deps[0].ID, RemittanceID: r.ID}}})
	wantErr(t, err, store.ErrConflict)
	open, err := s.ListBankDeposits(ctx, store.ListBankDepositsParams{ClinicID: cid, Unmatched: true})
	must(t, err)
	eq(t, "unmatched", len(open), 1)
	eq(t, "unmatched is B2", open[0].BankReference, "B2")

	// Another clinic sees none of it.
	g := newFixture(t, h)
	_, err = g.s.GetPatientPayment(ctx, store.Ref{ClinicID: g.clinic.ID, ID: p.ID})
	wantErr(t, err, store.ErrNotFound)
	other, err := g.s.ListBankDeposits(ctx, store.ListBankDepositsParams{ClinicID: g.clinic.ID})
	must(t, err)
	eq(t, "another clinic's deposits", len(other), 0)
}
