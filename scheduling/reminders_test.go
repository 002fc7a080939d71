package scheduling_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// recorder is a Sender that keeps what it was given and can fail once.
type recorder struct {
	mu       sync.Mutex
	sent     []scheduling.Reminder
	failNext bool
}

func (r *recorder) Send(_ context.Context, m scheduling.Reminder) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failNext {
		r.failNext = false
		return errors.New("gateway down")
	}
	r.sent = append(r.sent, m)
	return nil
}

func TestReminders(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		a := f.book(t, f.jane.ID, f.drKim.ID, at(2026, 3, 6, 9, 30))
		cancelled := f.book(t, f.tommy.ID, f.drKim.ID, at(2026, 3, 6, 10, 0))
		if _, err := f.svc.Cancel(ctx, scheduling.ActionParams{ClinicID: f.clinic.ID, AppointmentID: cancelled.ID}); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		tests := []struct {
			name       string
			now        time.Time
			fail       bool
			sent, seen int
			failed     int
		}{
			{"too early", at(2026, 3, 3, 9, 0), false, 0, 0, 0},
			{"72h lead due, send fails", at(2026, 3, 3, 9, 45), true, 0, 0, 1},
			{"72h lead retried", at(2026, 3, 3, 10, 0), false, 1, 0, 0},
			{"72h lead not again", at(2026, 3, 3, 11, 0), false, 0, 1, 0},
			{"72h lead past catch-up", at(2026, 3, 3, 16, 0), false, 0, 0, 0},
			{"24h lead", at(2026, 3, 5, 9, 30), false, 1, 0, 0},
		}
		for _, tt := range tests {
			rec.failNext = tt.fail
			res, err := f.svc.SendReminders(ctx, f.clinic.ID, tt.now, rec)
			if (err != nil) != (tt.failed > 0) || res.Sent != tt.sent || res.AlreadySent != tt.seen || res.Failed != tt.failed {
				t.Errorf("%s: %+v %v", tt.name, res, err)
			}
		}
		if len(rec.sent) != 2 {
			t.Fatalf("sent %d reminders", len(rec.sent))
		}
		want := "Hello Jane, this is a reminder of your appointment with Dr. Kim at Riverbend Family Medicine on Friday, March 6 at 9:30 AM. Please call us if you need to reschedule."
		if rec.sent[0].Text != want || rec.sent[0].Lead != 72*time.Hour || rec.sent[1].Lead != 24*time.Hour || rec.sent[0].AppointmentID != a.ID {
			t.Fatalf("reminders %+v", rec.sent)
		}
		outbox, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: f.clinic.ID, Kinds: []string{scheduling.WorkReminder}})
		if err != nil || len(outbox) != 2 || outbox[0].Status != store.WorkResolved || outbox[0].Resolution != "sent" {
			t.Fatalf("outbox %v %+v", err, outbox)
		}
		// A rescheduled appointment is reminded again for its new time.
		if _, err := f.svc.Reschedule(ctx, scheduling.RescheduleParams{ClinicID: f.clinic.ID, AppointmentID: a.ID, Start: at(2026, 3, 6, 11, 0)}); err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.SendReminders(ctx, f.clinic.ID, at(2026, 3, 5, 11, 0), nil)
		if err != nil || res.Sent != 1 {
			t.Fatalf("after reschedule: %+v %v", res, err)
		}
	})
}
