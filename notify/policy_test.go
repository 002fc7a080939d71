package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// fixedRisk scores appointments by patient.
type fixedRisk map[int64]float64

func (f fixedRisk) NoShowRisk(_ context.Context, _ store.Queries, a store.Appointment) (float64, bool, error) {
	r, ok := f[a.PatientID]
	return r, ok, nil
}

// TestRiskPolicyActs: a high-risk booking gets an earlier confirmation
// request and an extra reminder; unanswered, it lands on the worklist as
// a call-or-overbook candidate; a confirmed one does not.
func TestRiskPolicyActs(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newDeliveryFixture(t, st, nil)
		high := f.patient(t, "MRN1", "HI", "hi@example.test", "")
		low := f.patient(t, "MRN2", "LO", "lo@example.test", "")
		sure := f.patient(t, "MRN3", "SURE", "sure@example.test", "")
		risk := fixedRisk{high.ID: 0.6, low.ID: 0.05, sure.ID: 0.5}
		var err error
		if f.svc, err = scheduling.New(scheduling.Config{Store: st, Location: est, Now: clock, Outbox: true, Risk: risk}); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 3, 9, 10, 0, 0, 0, est)
		ha := f.book(t, high, start)
		la := f.book(t, low, start.Add(time.Hour))
		sa := f.book(t, sure, start.Add(2*time.Hour))
		leads := func(a store.Appointment) map[string]bool {
			out := map[string]bool{}
			for _, m := range f.outbox(t, a) {
				out[m.Purpose+"@"+a.StartsAt.Sub(m.DueAt).String()] = true
				if m.Risk == nil || *m.Risk != risk[a.PatientID] {
					t.Errorf("row %d risk %v", m.ID, m.Risk)
				}
			}
			return out
		}
		if got := leads(ha); len(got) != 4 || !got["confirm@120h0m0s"] || !got["reminder@72h0m0s"] || !got["reminder@24h0m0s"] || !got["reminder@3h0m0s"] {
			t.Errorf("high risk: %v", got)
		}
		if got := leads(la); len(got) != 2 || !got["reminder@72h0m0s"] || !got["reminder@24h0m0s"] {
			t.Errorf("low risk: %v", got)
		}
		// The confirmation requests go out; one patient confirms.
		for _, a := range []store.Appointment{ha, sa} {
			for _, m := range f.outbox(t, a) {
				if m.Purpose == scheduling.PurposeConfirm {
					if out, err := f.deliver(t, m); err != nil || out.Status != store.ReminderSent {
						t.Fatalf("confirm request: %+v %v", out, err)
					}
				}
			}
		}
		if !strings.Contains(f.mb.Messages()[0].Text(), "confirm") {
			t.Errorf("confirmation request: %s", f.mb.Messages()[0].Text())
		}
		if _, err := f.svc.Confirm(ctx, scheduling.ActionParams{ClinicID: f.clinic.ID, AppointmentID: sa.ID}); err != nil {
			t.Fatal(err)
		}
		// Two days before, the unconfirmed high-risk slot is on the worklist, once.
		twoDaysBefore := start.Add(-40 * time.Hour)
		for i, want := range []int{1, 0} {
			n, err := f.svc.FlagUnconfirmed(ctx, f.clinic.ID, twoDaysBefore, 0)
			if err != nil || n != want {
				t.Fatalf("run %d: flagged %d, want %d (%v)", i, n, want, err)
			}
		}
		items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: f.clinic.ID, Kinds: []string{scheduling.WorkNoShowRisk}})
		if err != nil || len(items) != 1 || *items[0].AppointmentID != ha.ID || items[0].Status != store.WorkOpen {
			t.Fatalf("worklist %v %+v", err, items)
		}
	})
}
