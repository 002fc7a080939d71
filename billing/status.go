package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/clearhouse/clearhouse/store"
)

// ClaimReplaced is the status of a claim superseded by a replacement claim
// (frequency code 7). The store has no constant for it yet.
const ClaimReplaced = "replaced"

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
var transitions = map[string][]string{
	store.ClaimDraft:         {store.ClaimScrubFailed, store.ClaimReady, store.ClaimVoided},
	store.ClaimScrubFailed:   {store.ClaimDraft, store.ClaimReady, store.ClaimVoided},
	store.ClaimReady:         {store.ClaimSubmitted, store.ClaimDraft, store.ClaimVoided},
	store.ClaimSubmitted:     {store.ClaimAccepted, store.ClaimRejected, store.ClaimPaid, store.ClaimPartiallyPaid, store.ClaimDenied},
	store.ClaimAccepted:      {store.ClaimRejected, store.ClaimPaid, store.ClaimPartiallyPaid, store.ClaimDenied, ClaimReplaced, store.ClaimVoided},
	store.ClaimRejected:      {store.ClaimDraft, store.ClaimReady, store.ClaimVoided, store.ClaimClosed},
	store.ClaimPaid:          {store.ClaimPartiallyPaid, store.ClaimDenied, store.ClaimAccepted, store.ClaimClosed, ClaimReplaced, store.ClaimVoided},
	store.ClaimPartiallyPaid: {store.ClaimPaid, store.ClaimDenied, store.ClaimAccepted, store.ClaimClosed, ClaimReplaced, store.ClaimVoided},
	store.ClaimDenied:        {store.ClaimPaid, store.ClaimPartiallyPaid, store.ClaimAccepted, store.ClaimClosed, ClaimReplaced, store.ClaimVoided},
	store.ClaimClosed:        {store.ClaimAccepted},
	ClaimReplaced:            nil,
	store.ClaimVoided:        nil,
}

// CanTransition reports whether the state machine allows moving a claim from
// one status to another. The same status is allowed (a no-op).
func CanTransition(from, to string) bool {
	if from == to {
		_, known := transitions[from]
		return known
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// TransitionError is an illegal status change. It wraps
// ErrIllegalTransition.
type TransitionError struct {
	ClaimID  int64
	From, To string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("claim %d: %s -> %s: %v", e.ClaimID, e.From, e.To, ErrIllegalTransition)
}

func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }

// transition moves a claim to status "to" with a reason, checking the state
// machine and guarding with the current status (the store refuses the change
// if another writer moved the claim first). It returns the claim as stored.
func (s *Service) transition(ctx context.Context, q store.Queries, c store.Claim, to, reason string) (store.Claim, error) {
	if c.Status == to {
		return c, nil
	}
	if !CanTransition(c.Status, to) {
		return c, &TransitionError{ClaimID: c.ID, From: c.Status, To: to}
	}
	return q.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: c.ClinicID, ID: c.ID, From: c.Status, Status: to, Reason: reason, Actor: s.opts.Actor})
}

// SetClaimStatus moves a claim to status with a reason, as staff do from the
// worklist (close, void, back to draft for correction). Illegal moves fail
// with a *TransitionError.
func (s *Service) SetClaimStatus(ctx context.Context, clinicID, claimID int64, status, reason string) (store.Claim, error) {
	var out store.Claim
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		c, err := tx.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: claimID})
		if err != nil {
			return err
		}
		out, err = s.transition(ctx, tx, c, status, reason)
		return err
	})
	return out, err
}

// Adjudicated reports whether a claim status is past the payer's
// adjudication (or final): paid, partially paid, denied, closed, replaced or
// voided. Acknowledgments (TA1, 999, 277CA) never move such a claim; only a
// remittance (a reversal or correction) or staff do.
func Adjudicated(status string) bool {
	switch status {
	case store.ClaimPaid, store.ClaimPartiallyPaid, store.ClaimDenied, store.ClaimClosed, ClaimReplaced, store.ClaimVoided:
		return true
	}
	return false
}

// isIllegal reports whether err is an illegal transition (to skip, not fail,
// when a late acknowledgment finds a claim already further along).
func isIllegal(err error) bool { return errors.Is(err, ErrIllegalTransition) }
