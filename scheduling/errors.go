package scheduling

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors; every error the package returns for one of these
// conditions wraps it (errors.Is). Store errors (store.ErrNotFound, ...) are
// wrapped as they come.
var (
	// ErrInvalid: a parameter or configuration value is wrong.
	ErrInvalid = errors.New("scheduling: invalid")
	// ErrIllegalTransition: the appointment's status does not allow the
	// action (checking in a cancelled appointment, ...).
	ErrIllegalTransition = errors.New("scheduling: illegal appointment transition")
	// ErrDoubleBooked: the provider already has an appointment overlapping
	// the time asked for.
	ErrDoubleBooked = errors.New("scheduling: provider is already booked")
	// ErrOutsideHours: the time asked for is not within the provider's
	// working hours.
	ErrOutsideHours = errors.New("scheduling: outside the provider's working hours")
	// ErrCoverage: the coverage named does not belong to the patient.
	ErrCoverage = errors.New("scheduling: coverage does not belong to the patient")
	// ErrImport: an appointment file has errors; nothing was imported.
	ErrImport = errors.New("scheduling: appointment file rejected")
	// ErrResponse: a 271 cannot be applied (it is not a 271, or it names
	// inquiries this clearinghouse did not send).
	ErrResponse = errors.New("scheduling: eligibility response not applied")
)

// TransitionError says which action an appointment's status refused.
type TransitionError struct {
	AppointmentID int64
	// Action is the refused action: "check in", "cancel", ...
	Action string
	// Status is the appointment's status.
	Status string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("appointment %d: cannot %s: appointment is %s", e.AppointmentID, e.Action, statusWords(e.Status))
}

func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }

func statusWords(s string) string {
	switch s {
	case "checked_in":
		return "checked in"
	case "no_show":
		return "a no-show"
	}
	return s
}

// ConflictError is a refused booking: the provider's existing appointment
// overlaps it.
type ConflictError struct {
	ProviderID int64
	Start, End time.Time
	// Existing is the appointment in the way.
	Existing int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("provider %d is already booked from %s to %s (appointment %d)", e.ProviderID,
		e.Start.Format("2006-01-02 15:04"), e.End.Format("15:04 MST"), e.Existing)
}

func (e *ConflictError) Unwrap() error { return ErrDoubleBooked }
