package claim

import (
	"errors"
	"fmt"
)

// Status is where a claim stands in its life, from draft to paid, denied,
// closed, replaced or voided. Billing moves a claim only along the
// transitions CanTransition allows; the store keeps the status as text.
type Status string

// The claim statuses.
const (
	StatusDraft         Status = "draft"
	StatusScrubFailed   Status = "scrub_failed"
	StatusReady         Status = "ready"
	StatusSubmitted     Status = "submitted"
	StatusAccepted      Status = "accepted"
	StatusRejected      Status = "rejected"
	StatusPaid          Status = "paid"
	StatusPartiallyPaid Status = "partially_paid"
	StatusDenied        Status = "denied"
	StatusVoided        Status = "voided"
	// StatusReplaced is an original claim superseded by a replacement claim
	// (frequency code 7) that refers to it.
	StatusReplaced Status = "replaced"
	StatusClosed   Status = "closed"
)

// Statuses returns every claim status, in the order of a claim's life.
func Statuses() []Status {
	return []Status{StatusDraft, StatusScrubFailed, StatusReady, StatusSubmitted, StatusAccepted, StatusRejected,
		StatusPaid, StatusPartiallyPaid, StatusDenied, StatusVoided, StatusReplaced, StatusClosed}
}

// ErrIllegalTransition is a claim status change the state machine does not
// allow.
var ErrIllegalTransition = errors.New("illegal claim status transition")

// transitions is the claim state machine: from status -> allowed next
// statuses. A move to the same status is a no-op, not a transition.
//
//	draft        -> scrub_failed | ready | voided
//	scrub_failed -> draft | ready | voided          (fixed, rescrubbed)
//	ready        -> submitted | draft | voided
//	submitted    -> accepted | rejected | paid | partially_paid | denied
//	                (an 835 may arrive before any 277CA)
//	accepted     -> rejected | paid | partially_paid | denied | replaced | voided
//	rejected     -> draft | ready | voided | closed  (corrected and resubmitted)
//	paid, partially_paid, denied
//	             -> each other (corrections) | accepted (reversal) |
//	                closed | replaced | voided
//	closed       -> accepted (a reversal reopens it)
//	replaced, voided: final
var transitions = map[Status][]Status{
	StatusDraft:         {StatusScrubFailed, StatusReady, StatusVoided},
	StatusScrubFailed:   {StatusDraft, StatusReady, StatusVoided},
	StatusReady:         {StatusSubmitted, StatusDraft, StatusVoided},
	StatusSubmitted:     {StatusAccepted, StatusRejected, StatusPaid, StatusPartiallyPaid, StatusDenied},
	StatusAccepted:      {StatusRejected, StatusPaid, StatusPartiallyPaid, StatusDenied, StatusReplaced, StatusVoided},
	StatusRejected:      {StatusDraft, StatusReady, StatusVoided, StatusClosed},
	StatusPaid:          {StatusPartiallyPaid, StatusDenied, StatusAccepted, StatusClosed, StatusReplaced, StatusVoided},
	StatusPartiallyPaid: {StatusPaid, StatusDenied, StatusAccepted, StatusClosed, StatusReplaced, StatusVoided},
	StatusDenied:        {StatusPaid, StatusPartiallyPaid, StatusAccepted, StatusClosed, StatusReplaced, StatusVoided},
	StatusClosed:        {StatusAccepted},
	StatusReplaced:      nil,
	StatusVoided:        nil,
}

// Valid reports whether s is one of the claim statuses.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Adjudicated reports whether the status is past the payer's adjudication
// (or final): paid, partially paid, denied, closed, replaced or voided.
// Acknowledgments (TA1, 999, 277CA) never move such a claim; only a
// remittance (a reversal or correction) or staff do.
func (s Status) Adjudicated() bool {
	switch s {
	case StatusPaid, StatusPartiallyPaid, StatusDenied, StatusClosed, StatusReplaced, StatusVoided:
		return true
	}
	return false
}

// CanTransition reports whether the state machine allows moving a claim from
// one status to another. The same (known) status is allowed: a no-op.
func CanTransition(from, to Status) bool {
	if from == to {
		return from.Valid()
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition checks a move of claim claimID from one status to another: nil
// when the state machine allows it, else a *TransitionError.
func Transition(claimID int64, from, to Status) error {
	if CanTransition(from, to) {
		return nil
	}
	return &TransitionError{ClaimID: claimID, From: from, To: to}
}

// TransitionError is an illegal status change. It wraps
// ErrIllegalTransition.
type TransitionError struct {
	ClaimID  int64
	From, To Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("claim %d: %s -> %s: %v", e.ClaimID, e.From, e.To, ErrIllegalTransition)
}

func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }
