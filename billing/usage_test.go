package billing_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// isa15 reads the usage indicator of a recorded interchange.
func isa15(t *testing.T, st store.Store, ic store.Interchange) string {
	t.Helper()
	s, err := edi.NewReader(bytes.NewReader(storetest.Content(t, st, ic.ContentID))).Next()
	must(t, err)
	return s.String(15)
}

// TestUsagePerClinicAndPayer writes the 837 and the 276 with the payer
// file's ISA15 (KHP01: T) until a cutover sets the clinic's, then with it.
func TestUsagePerClinicAndPayer(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		w.visit(w.pat)
		if got := isa15(t, st, w.submitAll().Interchange); got != "T" {
			t.Fatalf("837 before the cutover: ISA15 %q, want the payer file's T", got)
		}
		now := clock()
		_, err := st.SetPayerUsage(w.ctx, store.SetPayerUsageParams{ClinicID: w.clinic.ID, PayerID: w.khp.ID, Usage: store.UsageProduction, CheckedAt: &now})
		must(t, err)
		w.visit(w.pat2)
		if got := isa15(t, st, w.submitAll().Interchange); got != "P" {
			t.Fatalf("837 after the cutover: ISA15 %q, want P", got)
		}
		svc, err := billing.New(st, billing.Options{Payers: registry(t), Now: func() time.Time { return clock().Add(21 * 24 * time.Hour) }})
		must(t, err)
		q, err := svc.PrepareStatusInquiry(w.ctx, billing.StatusInquiryParams{ClinicID: w.clinic.ID, PayerID: w.khp.ID})
		must(t, err)
		if q == nil {
			t.Fatal("no 276")
		}
		if got := isa15(t, st, q.Interchange); got != "P" {
			t.Fatalf("276 after the cutover: ISA15 %q, want P", got)
		}
	})
}
