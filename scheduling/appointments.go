package scheduling

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// Service is the scheduling module over one store. It keeps no state of
// its own between calls: it is safe for concurrent use.
type Service struct {
	cfg Config
}

// New validates cfg, fills its defaults and returns a Service.
func New(cfg Config) (*Service, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Service{cfg: c}, nil
}

// Config returns the service's configuration with its defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// DefaultActor is the audit actor of changes whose params name none.
const DefaultActor = "scheduling"

// BookParams books an appointment.
type BookParams struct {
	ClinicID   int64
	PatientID  int64
	ProviderID int64
	// CoverageID is the coverage billed for the visit; nil takes the
	// patient's primary coverage (lowest priority number), if any.
	CoverageID *int64
	Start      time.Time
	// Duration defaults to the provider's slot length.
	Duration time.Duration
	Reason   string
	// AllowOutsideHours books even outside the provider's working hours
	// (overlaps are refused all the same).
	AllowOutsideHours bool
	Actor             string
	// Status and BookedAt record a past appointment with its outcome
	// (imports of another system's history): Status completed, checked_in,
	// no_show or cancelled needs a start in the past. Empty: booked now.
	Status   string
	BookedAt time.Time
}

// Book books an appointment. In one transaction it takes the provider's
// lock, checks the working hours and that no booked, checked-in or
// completed appointment of the provider overlaps, and inserts the
// appointment with an audit event. An overlap fails with a *ConflictError
// (ErrDoubleBooked).
func (s *Service) Book(ctx context.Context, p BookParams) (store.Appointment, error) {
	var out store.Appointment
	err := s.cfg.Store.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		a, err := s.book(ctx, tx, p)
		out = a
		return err
	})
	return out, err
}

// book is Book inside tx.
func (s *Service) book(ctx context.Context, tx store.Tx, p BookParams) (store.Appointment, error) {
	start, end, err := s.span(p.ProviderID, p.Start, p.Duration, p.AllowOutsideHours)
	if err != nil {
		return store.Appointment{}, err
	}
	if _, err := tx.GetPatient(ctx, store.Ref{ID: p.PatientID}); err != nil {
		return store.Appointment{}, fmt.Errorf("patient %d: %w", p.PatientID, err)
	}
	coverage, err := s.coverageFor(ctx, tx, p.ClinicID, p.PatientID, p.CoverageID, start)
	if err != nil {
		return store.Appointment{}, err
	}
	if err := s.lockProviders(ctx, tx, p.ProviderID); err != nil {
		return store.Appointment{}, err
	}
	status := cmp.Or(p.Status, store.AppointmentBooked)
	if status != store.AppointmentBooked && !start.Before(s.cfg.Now()) {
		return store.Appointment{}, fmt.Errorf("%w: an appointment %s must have started already", ErrInvalid, status)
	}
	// A past no-show or cancellation held no slot.
	if slices.Contains(occupying, status) {
		if err := s.checkFree(ctx, tx, p.ProviderID, start, end, 0); err != nil {
			return store.Appointment{}, err
		}
	}
	a, err := tx.CreateAppointment(ctx, store.CreateAppointmentParams{PatientID: p.PatientID, ProviderID: p.ProviderID,
		CoverageID: coverage, StartsAt: start, EndsAt: end, Reason: p.Reason, Status: status, BookedAt: p.BookedAt})
	if err != nil {
		return a, err
	}
	if err := s.queueReminders(ctx, tx, a); err != nil {
		return a, err
	}
	return a, s.audit(ctx, tx, p.Actor, "appointment.book", a, map[string]any{"starts_at": a.StartsAt, "provider_id": a.ProviderID})
}

// span checks a requested appointment time and returns its bounds.
func (s *Service) span(providerID int64, start time.Time, d time.Duration, anyHours bool) (time.Time, time.Time, error) {
	if start.IsZero() {
		return start, start, fmt.Errorf("%w: start time is required", ErrInvalid)
	}
	if d == 0 {
		d = s.calendar(providerID).SlotLength
	}
	if d < time.Minute || d > s.cfg.MaxAppointment {
		return start, start, fmt.Errorf("%w: duration %v must be from 1m to %v", ErrInvalid, d, s.cfg.MaxAppointment)
	}
	start = start.UTC().Truncate(time.Minute)
	end := start.Add(d)
	if !anyHours && !s.withinHours(providerID, start, end) {
		return start, end, fmt.Errorf("%w: provider %d, %s to %s", ErrOutsideHours, providerID,
			start.In(s.cfg.Location).Format("Mon 2006-01-02 15:04"), end.In(s.cfg.Location).Format("15:04 MST"))
	}
	return start, end, nil
}

// coverageFor checks the coverage named for the patient, or picks the
// patient's primary coverage in effect on the visit's date.
func (s *Service) coverageFor(ctx context.Context, q coverageReader, clinicID, patientID int64, id *int64, at time.Time) (*int64, error) {
	if id != nil {
		c, err := q.GetCoverage(ctx, store.Ref{ClinicID: clinicID, ID: *id})
		if err != nil {
			return nil, fmt.Errorf("coverage %d: %w", *id, err)
		}
		if c.PatientID != patientID {
			return nil, fmt.Errorf("%w: coverage %d, patient %d", ErrCoverage, *id, patientID)
		}
		return id, nil
	}
	cs, err := q.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: clinicID, PatientID: patientID})
	if err != nil {
		return nil, err
	}
	date := dateOf(at.In(s.cfg.Location))
	cs = slices.DeleteFunc(cs, func(c store.Coverage) bool {
		return !c.EffectiveFrom.IsZero() && date.Before(c.EffectiveFrom) || !c.EffectiveTo.IsZero() && date.After(c.EffectiveTo)
	})
	if len(cs) == 0 {
		return nil, nil
	}
	best := slices.MinFunc(cs, func(a, b store.Coverage) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.ID, b.ID))
	})
	return &best.ID, nil
}

// dateOf is t's calendar date at midnight UTC, as the store keeps dates.
func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// lockProviders takes the row lock of each provider (in ID order, so two
// transactions cannot deadlock) by rewriting the row unchanged. On
// PostgreSQL a concurrent booking for the same provider waits here until
// this transaction ends, and then sees its appointments; SQLite runs one
// write transaction at a time anyway. Inactive providers are refused.
func (s *Service) lockProviders(ctx context.Context, tx store.Tx, ids ...int64) error {
	slices.Sort(ids)
	for i, id := range ids {
		if i > 0 && ids[i-1] == id {
			continue
		}
		p, err := tx.GetProvider(ctx, store.Ref{ID: id})
		if err != nil {
			return fmt.Errorf("provider %d: %w", id, err)
		}
		if !p.Active {
			return fmt.Errorf("%w: provider %d is inactive", ErrInvalid, id)
		}
		if _, err := tx.UpdateProvider(ctx, store.UpdateProviderParams{ID: p.ID, NPI: p.NPI, FirstName: p.FirstName,
			LastName: p.LastName, OrganizationName: p.OrganizationName, TaxonomyCode: p.TaxonomyCode, Active: p.Active}); err != nil {
			return fmt.Errorf("provider %d: lock: %w", id, err)
		}
	}
	return nil
}

// checkFree fails with a *ConflictError when an occupying appointment of
// the provider other than skip overlaps [start, end).
func (s *Service) checkFree(ctx context.Context, q store.Queries, providerID int64, start, end time.Time, skip int64) error {
	as, err := q.ListAppointments(ctx, store.ListAppointmentsParams{ProviderID: providerID,
		From: start.Add(-s.cfg.MaxAppointment), To: end, Statuses: occupying})
	if err != nil {
		return err
	}
	if a := overlapsAny(as, start, end, skip); a != nil {
		return &ConflictError{ProviderID: providerID, Start: a.StartsAt.In(s.cfg.Location), End: a.EndsAt.In(s.cfg.Location), Existing: a.ID}
	}
	return nil
}

// audit appends an appointment event.
func (s *Service) audit(ctx context.Context, tx store.Tx, actor, action string, a store.Appointment, details map[string]any) error {
	if actor == "" {
		actor = DefaultActor
	}
	if details == nil {
		details = map[string]any{}
	}
	details["status"] = a.Status
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: actor, Action: action, EntityType: "appointment",
		EntityID: strconv.FormatInt(a.ID, 10), Details: b})
	return err
}

// RescheduleParams moves an appointment.
type RescheduleParams struct {
	ClinicID      int64
	AppointmentID int64
	Start         time.Time
	// Duration zero keeps the appointment's length.
	Duration time.Duration
	// ProviderID zero keeps the provider.
	ProviderID        int64
	AllowOutsideHours bool
	Actor             string
}

// Reschedule moves a booked appointment to a new time (and provider), with
// the same checks as Book; the appointment's old time does not stand in its
// own way.
func (s *Service) Reschedule(ctx context.Context, p RescheduleParams) (store.Appointment, error) {
	var out store.Appointment
	err := s.cfg.Store.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		a, err := s.lockedAppointment(ctx, tx, p.AppointmentID, p.ProviderID)
		if err != nil {
			return err
		}
		if a.Status != store.AppointmentBooked {
			return &TransitionError{AppointmentID: a.ID, Action: "reschedule", Status: a.Status}
		}
		provider := cmp.Or(p.ProviderID, a.ProviderID)
		d := cmp.Or(p.Duration, a.EndsAt.Sub(a.StartsAt))
		start, end, err := s.span(provider, p.Start, d, p.AllowOutsideHours)
		if err != nil {
			return err
		}
		if err := s.checkFree(ctx, tx, provider, start, end, a.ID); err != nil {
			return err
		}
		from := a.StartsAt
		out, err = tx.UpdateAppointment(ctx, store.UpdateAppointmentParams{ID: a.ID, ProviderID: provider, CoverageID: a.CoverageID,
			StartsAt: start, EndsAt: end, Status: a.Status, Reason: a.Reason})
		if err != nil {
			return err
		}
		if err := s.queueReminders(ctx, tx, out); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.Actor, "appointment.reschedule", out, map[string]any{"from": from, "starts_at": start, "provider_id": provider})
	})
	return out, err
}

// lockedAppointment reads an appointment, takes its provider's lock (and
// the lock of another provider it may move to), and reads it again: after
// the lock, the status seen is the committed one.
func (s *Service) lockedAppointment(ctx context.Context, tx store.Tx, id, otherProvider int64) (store.Appointment, error) {
	a, err := tx.GetAppointment(ctx, store.Ref{ID: id})
	if err != nil {
		return a, fmt.Errorf("appointment %d: %w", id, err)
	}
	ids := []int64{a.ProviderID}
	if otherProvider != 0 {
		ids = append(ids, otherProvider)
	}
	if err := s.lockProviders(ctx, tx, ids...); err != nil {
		return a, err
	}
	b, err := tx.GetAppointment(ctx, store.Ref{ID: id})
	if err != nil {
		return b, fmt.Errorf("appointment %d: %w", id, err)
	}
	if b.ProviderID != a.ProviderID {
		// Moved to another provider meanwhile: lock that one too.
		return s.lockedAppointment(ctx, tx, id, otherProvider)
	}
	return b, nil
}

// ActionParams name an appointment and who acts on it.
type ActionParams struct {
	ClinicID      int64
	AppointmentID int64
	Actor         string
	// Note is kept in the audit event (a cancellation reason, ...).
	Note string
}

// Cancel cancels a booked appointment; its time becomes free.
func (s *Service) Cancel(ctx context.Context, p ActionParams) (store.Appointment, error) {
	return s.transition(ctx, p, "cancel", "appointment.cancel", store.AppointmentBooked, store.AppointmentCancelled)
}

// NoShow records that the patient of a booked appointment did not come.
func (s *Service) NoShow(ctx context.Context, p ActionParams) (store.Appointment, error) {
	return s.transition(ctx, p, "mark no-show", "appointment.no_show", store.AppointmentBooked, store.AppointmentNoShow)
}

// transition moves an appointment from one status to another.
func (s *Service) transition(ctx context.Context, p ActionParams, action, event, from, to string) (store.Appointment, error) {
	var out store.Appointment
	err := s.cfg.Store.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		a, err := s.setStatus(ctx, tx, p, action, event, from, to)
		out = a
		return err
	})
	return out, err
}

func (s *Service) setStatus(ctx context.Context, tx store.Tx, p ActionParams, action, event, from, to string) (store.Appointment, error) {
	a, err := s.lockedAppointment(ctx, tx, p.AppointmentID, 0)
	if err != nil {
		return a, err
	}
	if a.Status != from {
		return a, &TransitionError{AppointmentID: a.ID, Action: action, Status: a.Status}
	}
	a, err = tx.UpdateAppointment(ctx, store.UpdateAppointmentParams{ID: a.ID, ProviderID: a.ProviderID, CoverageID: a.CoverageID,
		StartsAt: a.StartsAt, EndsAt: a.EndsAt, Status: to, Reason: a.Reason})
	if err != nil {
		return a, err
	}
	if to != store.AppointmentBooked {
		if err := s.supersedeAll(ctx, tx, a.ID); err != nil {
			return a, err
		}
	}
	details := map[string]any{"from": from}
	if p.Note != "" {
		details["note"] = p.Note
	}
	return a, s.audit(ctx, tx, p.Actor, event, a, details)
}

// CheckInParams checks a patient in.
type CheckInParams struct {
	ClinicID      int64
	AppointmentID int64
	// ServiceType is the EB03 service type whose cost sharing is shown;
	// default Config.VisitServiceType.
	ServiceType string
	Actor       string
	// Exchanger, when set, asks the payer for a fresh 271 in real time
	// when the coverage's last answer is older than MaxAge.
	Exchanger Exchanger
	// MaxAge is how old the last 271 may be; default
	// Config.EligibilityMaxAge.
	MaxAge time.Duration
}

// CheckIn is a checked-in appointment and what the patient is expected to
// pay.
type CheckIn struct {
	Appointment store.Appointment
	// Responsibility is nil when the appointment has no coverage (self
	// pay).
	Responsibility *Responsibility
	// Refreshed is true when a real-time 271 was asked for and applied
	// before the responsibility was worked out.
	Refreshed bool
	// Stale, when set, says why the responsibility rests on an answer
	// older than MaxAge (or on none): no real-time connection, or the
	// payer did not answer.
	Stale string
}

// CheckIn checks the patient of a booked appointment in and returns the
// expected patient responsibility from the coverage's latest 271.
func (s *Service) CheckIn(ctx context.Context, p CheckInParams) (CheckIn, error) {
	st := cmp.Or(p.ServiceType, s.cfg.VisitServiceType)
	if !isServiceType(st) {
		return CheckIn{}, fmt.Errorf("%w: service type %q", ErrInvalid, st)
	}
	var out CheckIn
	if err := s.freshEligibility(ctx, p, st, &out); err != nil {
		return out, err
	}
	err := s.cfg.Store.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		a, err := s.setStatus(ctx, tx, ActionParams{AppointmentID: p.AppointmentID, Actor: p.Actor}, "check in",
			"appointment.check_in", store.AppointmentBooked, store.AppointmentCheckedIn)
		if err != nil {
			return err
		}
		out.Appointment = a
		if a.CoverageID == nil {
			return nil
		}
		c, err := tx.GetCoverage(ctx, store.Ref{ID: *a.CoverageID})
		if err != nil {
			return fmt.Errorf("coverage %d: %w", *a.CoverageID, err)
		}
		r, err := ResponsibilityOf(c, st)
		if err != nil {
			return err
		}
		out.Responsibility = &r
		return nil
	})
	return out, err
}

// freshEligibility makes sure check-in does not rest silently on an old
// 271: when the appointment's coverage was last answered longer ago than
// the limit (or never), it asks the payer in real time through
// p.Exchanger, or says in out.Stale why it could not.
func (s *Service) freshEligibility(ctx context.Context, p CheckInParams, serviceType string, out *CheckIn) error {
	a, err := s.cfg.Store.GetAppointment(ctx, store.Ref{ClinicID: p.ClinicID, ID: p.AppointmentID})
	if err != nil || a.CoverageID == nil || a.Status != store.AppointmentBooked {
		return nil // setStatus reports what is wrong with the appointment
	}
	c, err := s.cfg.Store.GetCoverage(ctx, store.Ref{ClinicID: p.ClinicID, ID: *a.CoverageID})
	if err != nil {
		return fmt.Errorf("coverage %d: %w", *a.CoverageID, err)
	}
	maxAge := cmp.Or(p.MaxAge, s.cfg.EligibilityMaxAge, DefaultEligibilityMaxAge)
	now := s.cfg.Now()
	if c.EligibilityChecked != nil && now.Sub(*c.EligibilityChecked) <= maxAge {
		return nil
	}
	age := "no 271 on file"
	if c.EligibilityChecked != nil {
		age = fmt.Sprintf("the last 271 is %d days old (limit %d)", int(now.Sub(*c.EligibilityChecked).Hours()/24), int(maxAge.Hours()/24))
	}
	if p.Exchanger == nil {
		out.Stale = age + "; no real-time connection to ask for a fresh one"
		return nil
	}
	_, err = s.CheckEligibilityNow(ctx, RealTimeParams{ClinicID: p.ClinicID, PatientID: a.PatientID, CoverageID: c.ID,
		ServiceType: serviceType, Date: a.StartsAt.In(s.cfg.Location), Actor: p.Actor, Exchanger: p.Exchanger})
	switch {
	case errors.Is(err, ErrNoAnswer), errors.Is(err, ErrNotReachable):
		out.Stale = age + "; the real-time inquiry failed: " + err.Error()
		return nil
	case err != nil:
		return err
	}
	out.Refreshed = true
	return nil
}

// CheckOutParams checks a patient out.
type CheckOutParams struct {
	ClinicID      int64
	AppointmentID int64
	// PlaceOfService is the encounter's CMS place of service code; default
	// Config.PlaceOfService.
	PlaceOfService string
	// DiagnosisCodes are ICD-10-CM codes for the encounter, when known.
	DiagnosisCodes []string
	Actor          string
}

// CheckOut is a completed appointment and its encounter.
type CheckOut struct {
	Appointment store.Appointment
	Encounter   store.Encounter
}

// CheckOut completes a checked-in appointment and closes its encounter for
// billing: the encounter of the appointment (created here when there is
// none) gets the appointment's provider and coverage, the date of service
// and status ready, from which billing builds the claim.
func (s *Service) CheckOut(ctx context.Context, p CheckOutParams) (CheckOut, error) {
	var out CheckOut
	err := s.cfg.Store.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		a, err := s.setStatus(ctx, tx, ActionParams{AppointmentID: p.AppointmentID, Actor: p.Actor}, "check out",
			"appointment.check_out", store.AppointmentCheckedIn, store.AppointmentCompleted)
		if err != nil {
			return err
		}
		out.Appointment = a
		out.Encounter, err = s.closeEncounter(ctx, tx, a, p)
		return err
	})
	return out, err
}

func (s *Service) closeEncounter(ctx context.Context, tx store.Tx, a store.Appointment, p CheckOutParams) (store.Encounter, error) {
	date := dateOf(a.StartsAt.In(s.cfg.Location))
	pos := cmp.Or(p.PlaceOfService, s.cfg.PlaceOfService)
	es, err := tx.ListEncounters(ctx, store.ListEncountersParams{PatientID: a.PatientID, From: date, To: date})
	if err != nil {
		return store.Encounter{}, err
	}
	for _, e := range es {
		if e.AppointmentID == nil || *e.AppointmentID != a.ID {
			continue
		}
		if e.Status == store.EncounterBilled {
			return e, nil
		}
		codes := e.DiagnosisCodes
		if len(p.DiagnosisCodes) > 0 {
			codes = p.DiagnosisCodes
		}
		return tx.UpdateEncounter(ctx, store.UpdateEncounterParams{ID: e.ID, ProviderID: a.ProviderID, CoverageID: a.CoverageID,
			ServiceDate: date, PlaceOfService: cmp.Or(p.PlaceOfService, e.PlaceOfService, pos), DiagnosisCodes: codes, Status: store.EncounterReady})
	}
	id := a.ID
	return tx.CreateEncounter(ctx, store.CreateEncounterParams{PatientID: a.PatientID, ProviderID: a.ProviderID, AppointmentID: &id,
		CoverageID: a.CoverageID, ServiceDate: date, PlaceOfService: pos, DiagnosisCodes: p.DiagnosisCodes, Status: store.EncounterReady})
}

// ListParams filters appointments: those starting in [From, To), of one
// provider or patient, in some statuses. Zero fields do not filter.
type ListParams = store.ListAppointmentsParams

// List lists appointments ordered by start time.
func (s *Service) List(ctx context.Context, p ListParams) ([]store.Appointment, error) {
	return s.cfg.Store.ListAppointments(ctx, p)
}

// Get reads one appointment.
func (s *Service) Get(ctx context.Context, clinicID, id int64) (store.Appointment, error) {
	a, err := s.cfg.Store.GetAppointment(ctx, store.Ref{ClinicID: clinicID, ID: id})
	if err != nil {
		return a, fmt.Errorf("appointment %d: %w", id, err)
	}
	return a, nil
}

// errorsIsAny reports whether err wraps any of targets.
func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
