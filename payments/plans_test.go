package payments_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/store"
)

var update = flag.Bool("update", false, "rewrite the golden files that differ")

func TestPaymentPlans(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		proc := &fakeProcessor{}
		day0 := now
		clk := func() time.Time { return day0 }
		svc := payments.New(st, payments.Options{Now: clk, Processor: proc})
		w.claimWithPatientShare(t, "PCN-1", day(2026, 1, 5), 30000, 25000)
		card, err := svc.CreatePlan(w.ctx, payments.PlanParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, InstalmentCents: 10000,
			CardToken: "pm_card_visa", CustomerToken: "cus_1"})
		must(t, err)
		if card.TotalCents != 25000 || card.RemainingCents != 25000 {
			t.Fatalf("plan %+v", card)
		}
		manual, err := svc.CreatePlan(w.ctx, payments.PlanParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, TotalCents: 3000, InstalmentCents: 1500})
		must(t, err)
		var ran []payments.PlanRunResult
		for i := range 4 {
			day0 = now.AddDate(0, 0, 30*i)
			r, err := svc.RunDuePlans(w.ctx, w.clinic.ID)
			must(t, err)
			ran = append(ran, r)
		}
		if ran[0].Charged != 1 || ran[0].Manual != 1 || ran[2].Completed != 1 || ran[3].Charged != 0 {
			t.Fatalf("runs %+v", ran)
		}
		pl, err := st.GetPaymentPlan(w.ctx, store.Ref{ClinicID: w.clinic.ID, ID: card.ID})
		must(t, err)
		if pl.Status != store.PlanCompleted || pl.RemainingCents != 0 || proc.charged != 25000 {
			t.Fatalf("card plan after three runs %+v, charged %d", pl, proc.charged)
		}
		w.check(t, 0, 0)
		items, err := st.ListWorklistItems(w.ctx, store.ListWorklistItemsParams{ClinicID: w.clinic.ID, Kinds: []string{payments.WorkPaymentPlan}})
		must(t, err)
		if len(items) != 4 { // the manual plan, each run: it is never paid here
			t.Fatalf("%d plan items", len(items))
		}
		_ = manual
		// A decline raises an item and keeps the plan due.
		w.claimWithPatientShare(t, "PCN-2", day(2026, 2, 5), 10000, 5000)
		declining, err := svc.CreatePlan(w.ctx, payments.PlanParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, TotalCents: 5000,
			InstalmentCents: 5000, CardToken: "pm_x"})
		must(t, err)
		proc.decline = true
		r, err := svc.RunDuePlans(w.ctx, w.clinic.ID)
		must(t, err)
		if r.Declined != 1 {
			t.Fatalf("decline run %+v", r)
		}
		pl, err = st.GetPaymentPlan(w.ctx, store.Ref{ClinicID: w.clinic.ID, ID: declining.ID})
		must(t, err)
		if pl.FailedAttempts != 1 || pl.RemainingCents != 5000 || pl.Status != store.PlanActive {
			t.Fatalf("declined plan %+v", pl)
		}
	})
}

func TestReceipt(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		proc := &fakeProcessor{}
		svc := payments.New(st, payments.Options{Now: clock, Processor: proc})
		w.claimWithPatientShare(t, "PCN-1", day(2026, 1, 5), 10000, 3000)
		res, err := svc.Add(w.ctx, payments.AddParams{ClinicID: w.clinic.ID, PatientID: w.patient.ID, AmountCents: 4000, Method: store.PaymentCard,
			CardToken: "pm_card_visa", Reference: "R-100"})
		must(t, err)
		rc, err := svc.Receipt(w.ctx, w.clinic.ID, res.Payment.ID)
		must(t, err)
		rc.Clinic.Name = "Riverside Family Medicine" // the test clinic's name carries the backend
		rc.Payment.ID = 7
		var out bytes.Buffer
		must(t, payments.WriteReceipt(&out, rc))
		const golden = "testdata/receipt.golden"
		want, err := os.ReadFile(golden)
		if (err != nil || !bytes.Equal(out.Bytes(), want)) && *update {
			must(t, os.WriteFile(golden, out.Bytes(), 0o644))
		} else if err != nil {
			t.Fatal(err)
		} else if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("receipt differs from %s:\n%s", golden, out.String())
		}
		var pdf bytes.Buffer
		must(t, payments.WriteReceiptPDF(&pdf, rc))
		if s := pdf.String(); !strings.HasPrefix(s, "%PDF-1.") || strings.Count(s, "/Type /Page\n") != 1 || !strings.Contains(s, "%%EOF") {
			t.Fatalf("receipt PDF: %d bytes", pdf.Len())
		}
	})
}
