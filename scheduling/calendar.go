package scheduling

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// Slot is a bookable stretch of a provider's calendar: [Start, End).
type Slot struct {
	ProviderID int64
	Start, End time.Time
}

// occupying are the statuses whose appointments hold their time: a
// cancelled appointment or a no-show frees it.
var occupying = []string{store.AppointmentBooked, store.AppointmentCheckedIn, store.AppointmentCompleted}

// calendar is the provider's working week.
func (s *Service) calendar(providerID int64) Calendar {
	if c, ok := s.cfg.Calendars[providerID]; ok {
		return c
	}
	return s.cfg.DefaultCalendar
}

// day is midnight of t's date in the clinic's zone.
func (s *Service) day(t time.Time) time.Time {
	t = t.In(s.cfg.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.cfg.Location)
}

// at is the instant of clock c on the date of day (in the clinic's zone;
// across a daylight saving change the wall clock wins).
func (s *Service) at(day time.Time, c Clock) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), int(c)/60, int(c)%60, 0, 0, s.cfg.Location)
}

// shifts are the provider's working stretches on day's date.
func (s *Service) shifts(cal Calendar, day time.Time) [][2]time.Time {
	var out [][2]time.Time
	for _, sh := range cal.Shifts {
		if sh.Weekday == day.Weekday() {
			out = append(out, [2]time.Time{s.at(day, sh.Start), s.at(day, sh.End)})
		}
	}
	slices.SortFunc(out, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	return out
}

// withinHours reports whether [start, end) lies inside one of the
// provider's shifts.
func (s *Service) withinHours(providerID int64, start, end time.Time) bool {
	for _, sh := range s.shifts(s.calendar(providerID), s.day(start)) {
		if !start.Before(sh[0]) && !end.After(sh[1]) {
			return true
		}
	}
	return false
}

// FreeSlotsParams asks for a provider's free slots starting in [From, To).
type FreeSlotsParams struct {
	ClinicID   int64
	ProviderID int64
	From, To   time.Time
}

// FreeSlots lists the provider's slots (working hours cut into slot-length
// pieces) that start in [From, To) and that no booked, checked-in or
// completed appointment overlaps. At most 62 days are listed.
func (s *Service) FreeSlots(ctx context.Context, p FreeSlotsParams) ([]Slot, error) {
	if !p.To.After(p.From) || p.To.Sub(p.From) > 62*24*time.Hour {
		return nil, fmt.Errorf("%w: slot range %v to %v must be positive and at most 62 days", ErrInvalid, p.From, p.To)
	}
	if _, err := s.cfg.Store.GetProvider(ctx, store.Ref{ClinicID: p.ClinicID, ID: p.ProviderID}); err != nil {
		return nil, err
	}
	booked, err := s.cfg.Store.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: p.ClinicID, ProviderID: p.ProviderID,
		From: p.From.Add(-s.cfg.MaxAppointment), To: p.To.Add(24 * time.Hour), Statuses: occupying})
	if err != nil {
		return nil, err
	}
	cal := s.calendar(p.ProviderID)
	var out []Slot
	for day := s.day(p.From); day.Before(p.To); day = day.AddDate(0, 0, 1) {
		for _, sh := range s.shifts(cal, day) {
			for start := sh[0]; !start.Add(cal.SlotLength).After(sh[1]); start = start.Add(cal.SlotLength) {
				end := start.Add(cal.SlotLength)
				if start.Before(p.From) || !start.Before(p.To) || overlapsAny(booked, start, end, 0) != nil {
					continue
				}
				out = append(out, Slot{ProviderID: p.ProviderID, Start: start, End: end})
			}
		}
	}
	return out, nil
}

// overlapsAny returns the first appointment other than skip overlapping
// [start, end).
func overlapsAny(as []store.Appointment, start, end time.Time, skip int64) *store.Appointment {
	for i := range as {
		a := &as[i]
		if a.ID != skip && a.StartsAt.Before(end) && a.EndsAt.After(start) && slices.Contains(occupying, a.Status) {
			return a
		}
	}
	return nil
}

// EligibilityWindow is the stretch of time whose appointments the nightly
// run for asOf asks about: from the day after asOf (in the clinic's zone) up
// to the end of the businessDays-th business day after it. Saturdays,
// Sundays and Config.Holidays are not business days; appointments on them
// inside the window are asked about all the same.
func (s *Service) EligibilityWindow(asOf time.Time, businessDays int) (from, to time.Time) {
	from = s.day(asOf).AddDate(0, 0, 1)
	day := s.day(asOf)
	for n := 0; n < businessDays; {
		day = day.AddDate(0, 0, 1)
		if s.businessDay(day) {
			n++
		}
	}
	return from, day.AddDate(0, 0, 1)
}

func (s *Service) businessDay(day time.Time) bool {
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	for _, h := range s.cfg.Holidays {
		y, m, d := h.Date()
		if day.Year() == y && day.Month() == m && day.Day() == d {
			return false
		}
	}
	return true
}
