package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// testPayerUsage covers ISA15 per clinic and payer: none until a cutover
// sets one, production with the check's time, back to test, a usage that
// is neither refused, and another clinic's payer out of reach.
func testPayerUsage(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	ref := store.Ref{ClinicID: cid, ID: f.payer.ID}

	_, err := s.GetPayerUsage(ctx, ref)
	wantErr(t, err, store.ErrNotFound)
	checked := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	u, err := s.SetPayerUsage(ctx, store.SetPayerUsageParams{ClinicID: cid, PayerID: f.payer.ID, Usage: store.UsageProduction,
		CheckedAt: &checked, ChangedBy: "ops"})
	must(t, err)
	eq(t, "usage", u.Usage, store.UsageProduction)
	if u.CheckedAt == nil || !u.CheckedAt.Equal(checked) {
		t.Errorf("checked at %v, want %v", u.CheckedAt, checked)
	}
	got, err := s.GetPayerUsage(ctx, ref)
	must(t, err)
	eq(t, "stored usage", got.Usage, store.UsageProduction)
	eq(t, "changed by", got.ChangedBy, "ops")
	eq(t, "payer", got.PayerID, f.payer.ID)

	u, err = s.SetPayerUsage(ctx, store.SetPayerUsageParams{ClinicID: cid, PayerID: f.payer.ID, Usage: store.UsageTest, ChangedBy: "ops2"})
	must(t, err)
	eq(t, "back to test", u.Usage, store.UsageTest)
	eq(t, "no check for test", u.CheckedAt == nil, true)

	_, err = s.SetPayerUsage(ctx, store.SetPayerUsageParams{ClinicID: cid, PayerID: f.payer.ID, Usage: "X"})
	wantErr(t, err, store.ErrInvalid)

	// Another clinic's payer: not readable, not settable.
	other := newFixture(t, h)
	_, err = s.GetPayerUsage(ctx, store.Ref{ClinicID: other.clinic.ID, ID: f.payer.ID})
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.SetPayerUsage(ctx, store.SetPayerUsageParams{ClinicID: other.clinic.ID, PayerID: f.payer.ID, Usage: store.UsageTest}); err == nil {
		t.Error("set the usage of another clinic's payer")
	}
}
