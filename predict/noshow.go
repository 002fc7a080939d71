package predict

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Visit is one appointment as the no-show model sees it.
type Visit struct {
	AppointmentID int64
	PatientID     int64
	StartsAt      time.Time
	// BookedAt is when it was booked (for imported history, the
	// booked_at column; else the row's creation).
	BookedAt  time.Time
	BirthDate time.Time
	// PayerType is the coverage's claim filing code (SBR09: CI commercial,
	// MB Medicare Part B, MC Medicaid, ...) or "self" without coverage.
	PayerType string
	// Status is the appointment's status (store.Appointment*): no_show is
	// the event, completed and checked_in are attendance, cancelled counts
	// as history only, booked has no outcome yet.
	Status string
	// Unreachable: a reminder to the patient bounced, or the patient opted
	// out, before this appointment (the reminder history).
	Unreachable bool
}

// History is what a patient's earlier appointments say.
type History struct {
	NoShows, Cancellations, Attended int
}

// NoShowFeatures are the features of v given the patient's history, with
// times in loc:
//
//	lead_days          log(1 + days from booking to the appointment)
//	weekday=Mon..Sun   the appointment's weekday
//	hour=early|midday|late   before 10:00, 10:00-13:59, 14:00 on
//	age=0-17|18-34|35-54|55-64|65+   at the appointment
//	prior_no_shows     earlier no-shows (capped at 5)
//	prior_no_show      1 if any
//	prior_cancellations  earlier cancellations (capped at 5)
//	new_patient        1 if no earlier attended visit
//	payer=CODE         the payer type
//	unreachable        1 if reminders do not reach the patient
func NoShowFeatures(v Visit, h History, loc *time.Location) Features {
	if loc == nil {
		loc = time.UTC
	}
	f := Features{}
	start := v.StartsAt.In(loc)
	booked := v.BookedAt
	if booked.IsZero() || booked.After(v.StartsAt) {
		booked = v.StartsAt
	}
	f["lead_days"] = math.Log1p(v.StartsAt.Sub(booked).Hours() / 24)
	f["weekday="+start.Weekday().String()[:3]] = 1
	switch hr := start.Hour(); {
	case hr < 10:
		f["hour=early"] = 1
	case hr < 14:
		f["hour=midday"] = 1
	default:
		f["hour=late"] = 1
	}
	if !v.BirthDate.IsZero() {
		f["age="+ageBand(v.BirthDate, start)] = 1
	}
	f["prior_no_shows"] = float64(min(h.NoShows, 5))
	if h.NoShows > 0 {
		f["prior_no_show"] = 1
	}
	f["prior_cancellations"] = float64(min(h.Cancellations, 5))
	if h.Attended == 0 {
		f["new_patient"] = 1
	}
	f["payer="+cmp.Or(v.PayerType, "self")] = 1
	if v.Unreachable {
		f["unreachable"] = 1
	}
	return f
}

func ageBand(birth, at time.Time) string {
	age := at.Year() - birth.Year()
	if at.YearDay() < birth.YearDay() {
		age--
	}
	switch {
	case age < 18:
		return "0-17"
	case age < 35:
		return "18-34"
	case age < 55:
		return "35-54"
	case age < 65:
		return "55-64"
	}
	return "65+"
}

// Outcome statuses as the store names them.
const (
	statusNoShow    = "no_show"
	statusCompleted = "completed"
	statusCheckedIn = "checked_in"
	statusCancelled = "cancelled"
)

// NoShowExamples walks visits in start order, patient by patient, and
// returns one labelled example per visit with an outcome (a no-show, or
// attendance), each with the features its patient's earlier visits give.
func NoShowExamples(visits []Visit, loc *time.Location) []Example {
	vs := slices.Clone(visits)
	slices.SortStableFunc(vs, func(a, b Visit) int {
		return cmp.Or(a.StartsAt.Compare(b.StartsAt), cmp.Compare(a.AppointmentID, b.AppointmentID))
	})
	hist := map[int64]*History{}
	var out []Example
	for _, v := range vs {
		h := hist[v.PatientID]
		if h == nil {
			h = &History{}
			hist[v.PatientID] = h
		}
		switch v.Status {
		case statusNoShow, statusCompleted, statusCheckedIn:
			label := 0.0
			if v.Status == statusNoShow {
				label = 1
			}
			out = append(out, Example{Features: NoShowFeatures(v, *h, loc), Label: label, Key: v.StartsAt.Unix()})
		}
		switch v.Status {
		case statusNoShow:
			h.NoShows++
		case statusCompleted, statusCheckedIn:
			h.Attended++
		case statusCancelled:
			h.Cancellations++
		}
	}
	return out
}

// Histories are each patient's history before at, from visits.
func Histories(visits []Visit, at time.Time) map[int64]History {
	out := map[int64]History{}
	for _, v := range visits {
		if !v.StartsAt.Before(at) {
			continue
		}
		h := out[v.PatientID]
		switch v.Status {
		case statusNoShow:
			h.NoShows++
		case statusCompleted, statusCheckedIn:
			h.Attended++
		case statusCancelled:
			h.Cancellations++
		}
		out[v.PatientID] = h
	}
	return out
}
