package scheduling_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

func TestBookOverlapsAndHours(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		first := f.book(t, f.jane.ID, f.drKim.ID, at(2026, 3, 4, 9, 0))
		if first.CoverageID == nil || *first.CoverageID != f.janeCov.ID {
			t.Fatalf("coverage = %v, want the patient's primary %d", first.CoverageID, f.janeCov.ID)
		}
		if got := first.EndsAt.Sub(first.StartsAt); got != 15*time.Minute {
			t.Fatalf("default length %v, want the 15m slot", got)
		}
		tests := []struct {
			name     string
			p        scheduling.BookParams
			want     error
			provider int64
		}{
			{"same time", scheduling.BookParams{PatientID: f.tommy.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 4, 9, 0)}, scheduling.ErrDoubleBooked, 0},
			{"overlaps the end", scheduling.BookParams{PatientID: f.tommy.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 4, 8, 50)}, scheduling.ErrDoubleBooked, 0},
			{"long one over it", scheduling.BookParams{PatientID: f.tommy.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 4, 8, 0), Duration: 2 * time.Hour}, scheduling.ErrDoubleBooked, 0},
			{"right after", scheduling.BookParams{PatientID: f.tommy.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 4, 9, 15)}, nil, 0},
			{"other provider", scheduling.BookParams{PatientID: f.walter.ID, ProviderID: f.drLee.ID, Start: at(2026, 3, 4, 9, 0)}, nil, 0},
			{"before hours", scheduling.BookParams{PatientID: f.sam.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 4, 7, 45)}, scheduling.ErrOutsideHours, 0},
			{"runs past closing", scheduling.BookParams{PatientID: f.sam.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 4, 16, 50)}, scheduling.ErrOutsideHours, 0},
			{"saturday", scheduling.BookParams{PatientID: f.sam.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 7, 10, 0)}, scheduling.ErrOutsideHours, 0},
			{"saturday allowed", scheduling.BookParams{PatientID: f.sam.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 7, 10, 0), AllowOutsideHours: true}, nil, 0},
			{"too long", scheduling.BookParams{PatientID: f.sam.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 5, 8, 0), Duration: 9 * time.Hour}, scheduling.ErrInvalid, 0},
			{"foreign coverage", scheduling.BookParams{PatientID: f.sam.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 5, 8, 0), CoverageID: &f.janeCov.ID}, scheduling.ErrCoverage, 0},
			{"unknown patient", scheduling.BookParams{PatientID: 999999, ProviderID: f.drKim.ID, Start: at(2026, 3, 5, 8, 0)}, store.ErrNotFound, 0},
		}
		for _, tt := range tests {
			tt.p.ClinicID = f.clinic.ID
			_, err := f.svc.Book(ctx, tt.p)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		var ce *scheduling.ConflictError
		_, err := f.svc.Book(ctx, scheduling.BookParams{ClinicID: f.clinic.ID, PatientID: f.sam.ID, ProviderID: f.drKim.ID, Start: at(2026, 3, 4, 9, 5)})
		if !errors.As(err, &ce) || ce.Existing != first.ID {
			t.Fatalf("conflict = %v, want one naming appointment %d", err, first.ID)
		}
		if want := "provider " + itoa(f.drKim.ID) + " is already booked from 2026-03-04 09:00 to 09:15 EST (appointment " + itoa(first.ID) + ")"; err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
	})
}

func TestFreeSlots(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		lunch := scheduling.Calendar{SlotLength: 30 * time.Minute, Shifts: []scheduling.Shift{
			{Weekday: time.Wednesday, Start: scheduling.MustClock("09:00"), End: scheduling.MustClock("11:00")},
			{Weekday: time.Wednesday, Start: scheduling.MustClock("13:00"), End: scheduling.MustClock("14:00")},
		}}
		f := newFixture(t, st, func(c *scheduling.Config) { c.Calendars = map[int64]scheduling.Calendar{} })
		// The calendar is keyed by provider ID, known only now.
		cfg := f.svc.Config()
		cfg.Calendars = map[int64]scheduling.Calendar{f.drKim.ID: lunch}
		svc, err := scheduling.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		f.svc = svc
		f.book(t, f.jane.ID, f.drKim.ID, at(2026, 3, 4, 9, 30))
		cancelled := f.book(t, f.tommy.ID, f.drKim.ID, at(2026, 3, 4, 13, 0))
		if _, err := svc.Cancel(ctx, scheduling.ActionParams{ClinicID: f.clinic.ID, AppointmentID: cancelled.ID}); err != nil {
			t.Fatal(err)
		}
		slots, err := svc.FreeSlots(ctx, scheduling.FreeSlotsParams{ClinicID: f.clinic.ID, ProviderID: f.drKim.ID,
			From: at(2026, 3, 2, 0, 0), To: at(2026, 3, 9, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range slots {
			got = append(got, s.Start.In(est).Format("Mon 15:04")+"-"+s.End.In(est).Format("15:04"))
		}
		want := []string{"Wed 09:00-09:30", "Wed 10:00-10:30", "Wed 10:30-11:00", "Wed 13:00-13:30", "Wed 13:30-14:00"}
		if !equal(got, want) {
			t.Fatalf("free slots %v, want %v", got, want)
		}
	})
}

func TestTransitions(t *testing.T) {
	type action func(ctx context.Context, f *fixture, id int64) error
	checkIn := func(ctx context.Context, f *fixture, id int64) error {
		_, err := f.svc.CheckIn(ctx, scheduling.CheckInParams{ClinicID: f.clinic.ID, AppointmentID: id})
		return err
	}
	checkOut := func(ctx context.Context, f *fixture, id int64) error {
		_, err := f.svc.CheckOut(ctx, scheduling.CheckOutParams{ClinicID: f.clinic.ID, AppointmentID: id})
		return err
	}
	cancel := func(ctx context.Context, f *fixture, id int64) error {
		_, err := f.svc.Cancel(ctx, scheduling.ActionParams{ClinicID: f.clinic.ID, AppointmentID: id, Note: "patient called"})
		return err
	}
	noShow := func(ctx context.Context, f *fixture, id int64) error {
		_, err := f.svc.NoShow(ctx, scheduling.ActionParams{ClinicID: f.clinic.ID, AppointmentID: id})
		return err
	}
	reschedule := func(ctx context.Context, f *fixture, id int64) error {
		_, err := f.svc.Reschedule(ctx, scheduling.RescheduleParams{ClinicID: f.clinic.ID, AppointmentID: id, Start: at(2026, 3, 5, 11, 0)})
		return err
	}
	tests := []struct {
		name   string
		before []action
		do     action
		want   string // status after, or "" for an illegal transition
	}{
		{"check in", nil, checkIn, store.AppointmentCheckedIn},
		{"check out", []action{checkIn}, checkOut, store.AppointmentCompleted},
		{"cancel", nil, cancel, store.AppointmentCancelled},
		{"no-show", nil, noShow, store.AppointmentNoShow},
		{"reschedule", nil, reschedule, store.AppointmentBooked},
		{"check in cancelled", []action{cancel}, checkIn, ""},
		{"check out booked", nil, checkOut, ""},
		{"check in twice", []action{checkIn}, checkIn, ""},
		{"cancel checked in", []action{checkIn}, cancel, ""},
		{"no-show checked in", []action{checkIn}, noShow, ""},
		{"reschedule completed", []action{checkIn, checkOut}, reschedule, ""},
		{"cancel no-show", []action{noShow}, cancel, ""},
		{"check in no-show", []action{noShow}, checkIn, ""},
	}
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		for i, tt := range tests {
			a := f.book(t, f.sam.ID, f.drKim.ID, at(2026, 3, 4, 8, 0).Add(time.Duration(i)*15*time.Minute))
			for _, b := range tt.before {
				if err := b(ctx, f, a.ID); err != nil {
					t.Fatalf("%s: setup: %v", tt.name, err)
				}
			}
			err := tt.do(ctx, f, a.ID)
			got, gerr := f.svc.Get(ctx, f.clinic.ID, a.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if tt.want == "" {
				var te *scheduling.TransitionError
				if !errors.Is(err, scheduling.ErrIllegalTransition) || !errors.As(err, &te) || te.AppointmentID != a.ID {
					t.Errorf("%s: err = %v, want an illegal transition", tt.name, err)
				}
				continue
			}
			if err != nil || got.Status != tt.want {
				t.Errorf("%s: err %v, status %s, want %s", tt.name, err, got.Status, tt.want)
			}
		}
	})
}

func TestTransitionMessage(t *testing.T) {
	err := &scheduling.TransitionError{AppointmentID: 7, Action: "check in", Status: store.AppointmentCancelled}
	if got, want := err.Error(), "appointment 7: cannot check in: appointment is cancelled"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

func TestRescheduleKeepsOwnTime(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		a := f.book(t, f.jane.ID, f.drKim.ID, at(2026, 3, 4, 9, 0))
		b := f.book(t, f.tommy.ID, f.drKim.ID, at(2026, 3, 4, 10, 0))
		// Overlapping its own old time is fine.
		moved, err := f.svc.Reschedule(ctx, scheduling.RescheduleParams{ClinicID: f.clinic.ID, AppointmentID: a.ID, Start: at(2026, 3, 4, 9, 5), Duration: 30 * time.Minute})
		if err != nil || !moved.StartsAt.Equal(at(2026, 3, 4, 9, 5)) || moved.EndsAt.Sub(moved.StartsAt) != 30*time.Minute {
			t.Fatalf("reschedule: %v %+v", err, moved)
		}
		if _, err := f.svc.Reschedule(ctx, scheduling.RescheduleParams{ClinicID: f.clinic.ID, AppointmentID: a.ID, Start: at(2026, 3, 4, 9, 50)}); !errors.Is(err, scheduling.ErrDoubleBooked) {
			t.Fatalf("onto another appointment: %v", err)
		}
		// To the other provider at b's time.
		moved, err = f.svc.Reschedule(ctx, scheduling.RescheduleParams{ClinicID: f.clinic.ID, AppointmentID: a.ID, Start: b.StartsAt, ProviderID: f.drLee.ID})
		if err != nil || moved.ProviderID != f.drLee.ID {
			t.Fatalf("to another provider: %v %+v", err, moved)
		}
	})
}

// TestConcurrentBooking books one slot from many goroutines at once: exactly
// one booking wins on each backend.
func TestConcurrentBooking(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		patients := []int64{f.jane.ID, f.tommy.ID, f.walter.ID, f.rita.ID, f.sam.ID, f.jane.ID, f.tommy.ID, f.walter.ID}
		var wg sync.WaitGroup
		errs := make([]error, len(patients))
		start := make(chan struct{})
		for i, p := range patients {
			wg.Go(func() {
				<-start
				// Staggered starts so that the bookings overlap without
				// being identical.
				_, errs[i] = f.svc.Book(ctx, scheduling.BookParams{ClinicID: f.clinic.ID, PatientID: p, ProviderID: f.drKim.ID,
					Start: at(2026, 3, 4, 10, 0).Add(time.Duration(i%3) * 5 * time.Minute)})
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, scheduling.ErrDoubleBooked):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d bookings won, want 1", won)
		}
		as, err := f.svc.List(ctx, scheduling.ListParams{ClinicID: f.clinic.ID, ProviderID: f.drKim.ID})
		if err != nil || len(as) != 1 {
			t.Fatalf("provider has %d appointments (%v), want 1", len(as), err)
		}
	})
}

func TestCheckOutEncounter(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		a := f.book(t, f.jane.ID, f.drKim.ID, at(2026, 3, 4, 16, 45))
		if _, err := f.svc.CheckIn(ctx, scheduling.CheckInParams{ClinicID: f.clinic.ID, AppointmentID: a.ID}); err != nil {
			t.Fatal(err)
		}
		out, err := f.svc.CheckOut(ctx, scheduling.CheckOutParams{ClinicID: f.clinic.ID, AppointmentID: a.ID, DiagnosisCodes: []string{"J06.9"}})
		if err != nil {
			t.Fatal(err)
		}
		e := out.Encounter
		if e.AppointmentID == nil || *e.AppointmentID != a.ID || e.Status != store.EncounterReady || e.PlaceOfService != "11" ||
			e.CoverageID == nil || *e.CoverageID != f.janeCov.ID || !e.ServiceDate.Equal(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("encounter %+v", e)
		}
		if out.Appointment.Status != store.AppointmentCompleted {
			t.Fatalf("status %s", out.Appointment.Status)
		}
		events, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: f.clinic.ID})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		if want := []string{"appointment.book", "appointment.check_in", "appointment.check_out"}; !equal(actions, want) {
			t.Fatalf("audit %v, want %v", actions, want)
		}
	})
}

func TestEligibilityWindow(t *testing.T) {
	svc, err := scheduling.New(scheduling.Config{Store: pgStore, Location: est, Holidays: []time.Time{time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		asOf     time.Time
		days     int
		from, to string
	}{
		{at(2026, 3, 2, 22, 0), 2, "2026-03-03", "2026-03-04"},  // Monday: Tuesday and Wednesday
		{at(2026, 3, 5, 22, 0), 2, "2026-03-06", "2026-03-09"},  // Thursday: Friday, the weekend, Monday
		{at(2026, 3, 6, 1, 0), 1, "2026-03-07", "2026-03-09"},   // Friday: the weekend and Monday
		{at(2026, 3, 7, 12, 0), 2, "2026-03-08", "2026-03-10"},  // Saturday: Sunday, Monday, Tuesday
		{at(2026, 4, 1, 22, 0), 2, "2026-04-02", "2026-04-06"},  // Good Friday as holiday
		{at(2026, 3, 2, 23, 30), 3, "2026-03-03", "2026-03-05"}, // late evening stays Monday in the clinic
	}
	for _, tt := range tests {
		from, to := svc.EligibilityWindow(tt.asOf, tt.days)
		// to is exclusive; show the last day included.
		got := [2]string{from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)}
		if got != [2]string{tt.from, tt.to} {
			t.Errorf("%v +%d: window %v, want %s..%s", tt.asOf, tt.days, got, tt.from, tt.to)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  scheduling.Config
	}{
		{"no store", scheduling.Config{}},
		{"bad slot", scheduling.Config{Store: pgStore, DefaultCalendar: scheduling.Calendar{SlotLength: time.Second, Shifts: []scheduling.Shift{{Weekday: 1, Start: 0, End: 60}}}}},
		{"overlapping shifts", scheduling.Config{Store: pgStore, DefaultCalendar: scheduling.Calendar{SlotLength: 15 * time.Minute,
			Shifts: []scheduling.Shift{{Weekday: 1, Start: 60, End: 180}, {Weekday: 1, Start: 120, End: 240}}}}},
		{"bad service type", scheduling.Config{Store: pgStore, ServiceTypes: []string{"30", "toolong"}}},
		{"bad usage", scheduling.Config{Store: pgStore, Usage: "X"}},
		{"bad lead", scheduling.Config{Store: pgStore, ReminderLeads: []time.Duration{-time.Hour}}},
	}
	for _, tt := range tests {
		if _, err := scheduling.New(tt.cfg); !errors.Is(err, scheduling.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tt.name, err)
		}
	}
	if _, err := scheduling.ParseClock("8:00"); err == nil {
		t.Error("ParseClock accepted 8:00")
	}
	if c, err := scheduling.ParseClock("24:00"); err != nil || c != 24*60 {
		t.Errorf("ParseClock(24:00) = %v, %v", c, err)
	}
}

func equal(a, b []string) bool { return slices.Equal(a, b) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
