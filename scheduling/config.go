package scheduling

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
)

// Clock is a time of day in minutes after midnight, in the clinic's time
// zone.
type Clock int

// ParseClock reads "HH:MM" (24-hour).
func ParseClock(s string) (Clock, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%w: time of day %q is not HH:MM", ErrInvalid, s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || h == 24 && m != 0 {
		return 0, fmt.Errorf("%w: time of day %q is not HH:MM", ErrInvalid, s)
	}
	return Clock(h*60 + m), nil
}

// MustClock is ParseClock for constants; it panics on a bad value.
func MustClock(s string) Clock {
	c, err := ParseClock(s)
	if err != nil {
		panic(err)
	}
	return c
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Shift is one stretch of working hours on a weekday: [Start, End).
type Shift struct {
	Weekday    time.Weekday
	Start, End Clock
}

// Calendar is a provider's working week. Several shifts on one day leave
// breaks between them (08:00-12:00 and 13:00-17:00).
type Calendar struct {
	Shifts []Shift
	// SlotLength is the length of a bookable slot and the default length of
	// an appointment.
	SlotLength time.Duration
}

// Weekdays returns a Monday-to-Friday calendar from start to end with slots
// of slot length.
func Weekdays(start, end Clock, slot time.Duration) Calendar {
	c := Calendar{SlotLength: slot}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Shifts = append(c.Shifts, Shift{Weekday: d, Start: start, End: end})
	}
	return c
}

func (c Calendar) validate(name string) error {
	if c.SlotLength < 5*time.Minute || c.SlotLength > 8*time.Hour || c.SlotLength%time.Minute != 0 {
		return fmt.Errorf("%w: %s: slot length %v must be whole minutes from 5m to 8h", ErrInvalid, name, c.SlotLength)
	}
	if len(c.Shifts) == 0 {
		return fmt.Errorf("%w: %s: no working hours", ErrInvalid, name)
	}
	for i, s := range c.Shifts {
		if s.Weekday < time.Sunday || s.Weekday > time.Saturday || s.Start < 0 || s.End > 24*60 || s.Start >= s.End {
			return fmt.Errorf("%w: %s: shift %d (%v %v-%v) is not a stretch of one day", ErrInvalid, name, i, s.Weekday, s.Start, s.End)
		}
		for _, o := range c.Shifts[:i] {
			if o.Weekday == s.Weekday && o.Start < s.End && s.Start < o.End {
				return fmt.Errorf("%w: %s: shifts %v %v-%v and %v-%v overlap", ErrInvalid, name, s.Weekday, o.Start, o.End, s.Start, s.End)
			}
		}
	}
	return nil
}

// Defaults.
const (
	DefaultBusinessDays    = 2
	DefaultServiceType     = "30" // EQ01: health benefit plan coverage
	DefaultVisitService    = "98" // EB03: professional (physician) visit - office
	DefaultPlaceOfService  = "11" // CMS place of service: office
	DefaultMaxAppointment  = 8 * time.Hour
	DefaultReminderCatchUp = 6 * time.Hour
	DefaultRerunWindow     = 72 * time.Hour
)

// DefaultReminderLeads are the default reminder lead times: three days and
// one day before the appointment.
func DefaultReminderLeads() []time.Duration { return []time.Duration{72 * time.Hour, 24 * time.Hour} }

// Config configures a Service. Zero fields take the defaults documented on
// them; New validates the result.
type Config struct {
	// Store is the clinic data. Required.
	Store Store
	// Payers is the payer registry: which payers accept 270 and their
	// envelope identifiers. Required for eligibility batches.
	Payers *payers.Registry
	// Location is the clinics' time zone: working hours, business days,
	// dates of service and reminder text are in it. Default UTC.
	Location *time.Location
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives one line per sent reminder and per batch (no patient
	// names). Default: discard.
	Logger *slog.Logger

	// DefaultCalendar is the working week of providers without one in
	// Calendars. Default: Monday to Friday 08:00-17:00, 15-minute slots.
	DefaultCalendar Calendar
	// Calendars holds each provider's working week by store provider ID.
	Calendars map[int64]Calendar
	// MaxAppointment is the longest appointment accepted. Default 8h.
	MaxAppointment time.Duration
	// Holidays are extra non-business days (dates in Location) for the
	// eligibility window.
	Holidays []time.Time

	// BusinessDays is how many business days ahead the nightly eligibility
	// run looks. Default 2.
	BusinessDays int
	// ServiceTypes are the EQ01 service types asked in each inquiry.
	// Default ["30"].
	ServiceTypes []string
	// VisitServiceType is the EB03 service type whose copay and coinsurance
	// check-in shows when the caller names none. Default "98"; check-in
	// falls back to "30" and then to plan-wide benefits.
	VisitServiceType string
	// PlaceOfService is the encounter's place of service at check-out.
	// Default "11" (office).
	PlaceOfService string
	// TraceOriginator is TRN03 (10 characters: "1" and the EIN, or "9" and
	// an assigned number). Default: "1" and the clinic's 9-digit tax ID.
	TraceOriginator func(store.Clinic) string
	// EnrollmentKey names the clinic in the payer registry's enrollment
	// lists. Default: the clinic ID in decimal.
	EnrollmentKey func(store.Clinic) string
	// EligibilityMaxAge is how old a coverage's last 271 may be at
	// check-in before a fresh one is asked for in real time; default
	// DefaultEligibilityMaxAge.
	EligibilityMaxAge time.Duration
	// Usage overrides ISA15 ("T" or "P"); default the payer's.
	Usage string
	// RerunWindow is how far back a rerun of the eligibility batches for
	// the same day looks for batches already written. Default 72h.
	RerunWindow time.Duration

	// ReminderLeads are the lead times of reminders before an appointment.
	// Default 72h and 24h. Set NoReminders to send none.
	ReminderLeads []time.Duration
	NoReminders   bool
	// ReminderCatchUp is how late a reminder may still go out (after a
	// pause of the sender). Default 6h.
	ReminderCatchUp time.Duration
	// ClinicName names the clinic in reminder text when the store row has
	// none.
	ClinicName string

	// Actor is whom the reminder job requests are in the name of (the
	// person booking; PostgreSQL records the connection's login instead).
	// Default "scheduling".
	Actor string

	// Outbox writes each appointment's reminders to the reminder outbox
	// in the transaction that books, moves or cancels it, each with a
	// request for a DeliverReminderArgs job due at its time (serve inserts
	// the job; package notify sends them).
	// Without it, reminders are only the rows SendReminders writes.
	Outbox bool
	// Policy decides the outbox reminders of an appointment. Default:
	// FixedLeads(ReminderLeads), or DefaultRiskPolicy(ReminderLeads) when
	// Risk is set.
	Policy ReminderPolicy
	// Risk scores appointments for Policy; nil scores none.
	Risk RiskScorer
}

// withDefaults fills defaults and validates.
func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, fmt.Errorf("%w: Config.Store is required", ErrInvalid)
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.DefaultCalendar.SlotLength == 0 && len(c.DefaultCalendar.Shifts) == 0 {
		c.DefaultCalendar = Weekdays(MustClock("08:00"), MustClock("17:00"), 15*time.Minute)
	}
	if c.MaxAppointment == 0 {
		c.MaxAppointment = DefaultMaxAppointment
	}
	if c.BusinessDays == 0 {
		c.BusinessDays = DefaultBusinessDays
	}
	if len(c.ServiceTypes) == 0 {
		c.ServiceTypes = []string{DefaultServiceType}
	}
	if c.VisitServiceType == "" {
		c.VisitServiceType = DefaultVisitService
	}
	if c.PlaceOfService == "" {
		c.PlaceOfService = DefaultPlaceOfService
	}
	if c.TraceOriginator == nil {
		c.TraceOriginator = taxIDOriginator
	}
	if c.EnrollmentKey == nil {
		c.EnrollmentKey = func(cl store.Clinic) string { return strconv.FormatInt(cl.ID, 10) }
	}
	if c.RerunWindow == 0 {
		c.RerunWindow = DefaultRerunWindow
	}
	if c.Actor == "" {
		c.Actor = "scheduling"
	}
	if len(c.ReminderLeads) == 0 && !c.NoReminders {
		c.ReminderLeads = DefaultReminderLeads()
	}
	if c.NoReminders {
		c.ReminderLeads = nil
		c.Outbox = false
	}
	if c.Policy == nil {
		if c.Risk != nil {
			c.Policy = DefaultRiskPolicy(c.ReminderLeads)
		} else {
			c.Policy = FixedLeads(c.ReminderLeads)
		}
	}
	if c.ReminderCatchUp == 0 {
		c.ReminderCatchUp = DefaultReminderCatchUp
	}

	var errs []error
	if err := c.DefaultCalendar.validate("default calendar"); err != nil {
		errs = append(errs, err)
	}
	for id, cal := range c.Calendars {
		if err := cal.validate(fmt.Sprintf("provider %d calendar", id)); err != nil {
			errs = append(errs, err)
		}
	}
	if c.MaxAppointment < 0 || c.MaxAppointment > 24*time.Hour {
		errs = append(errs, fmt.Errorf("%w: MaxAppointment %v must be at most 24h", ErrInvalid, c.MaxAppointment))
	}
	if c.BusinessDays < 0 || c.BusinessDays > 30 {
		errs = append(errs, fmt.Errorf("%w: BusinessDays %d must be 1 to 30", ErrInvalid, c.BusinessDays))
	}
	for _, st := range c.ServiceTypes {
		if !isServiceType(st) {
			errs = append(errs, fmt.Errorf("%w: service type %q is not an EQ01 code", ErrInvalid, st))
		}
	}
	if !isServiceType(c.VisitServiceType) {
		errs = append(errs, fmt.Errorf("%w: VisitServiceType %q is not an EB03 code", ErrInvalid, c.VisitServiceType))
	}
	if c.Usage != "" && c.Usage != "T" && c.Usage != "P" {
		errs = append(errs, fmt.Errorf("%w: Usage %q must be T or P", ErrInvalid, c.Usage))
	}
	for _, l := range c.ReminderLeads {
		if l <= 0 || l > 60*24*time.Hour {
			errs = append(errs, fmt.Errorf("%w: reminder lead time %v must be positive and at most 60 days", ErrInvalid, l))
		}
	}
	if c.ReminderCatchUp < 0 || c.RerunWindow < 0 {
		errs = append(errs, fmt.Errorf("%w: ReminderCatchUp and RerunWindow must not be negative", ErrInvalid))
	}
	return c, errors.Join(errs...)
}

// taxIDOriginator is "1" followed by the clinic's EIN (TRN03), or "" when
// the clinic has no 9-digit tax ID.
func taxIDOriginator(cl store.Clinic) string {
	digits := make([]byte, 0, 10)
	digits = append(digits, '1')
	for i := 0; i < len(cl.TaxID); i++ {
		switch c := cl.TaxID[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '-' || c == ' ':
		default:
			return ""
		}
	}
	if len(digits) != 10 {
		return ""
	}
	return string(digits)
}

// isServiceType reports whether s looks like an X12 service type code
// (element 1365: one or two letters or digits).
func isServiceType(s string) bool {
	if s == "" || len(s) > 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
