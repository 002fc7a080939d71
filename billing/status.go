package billing

import (
	"context"
	"errors"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// The claim state machine is package claim's (claim.CanTransition); billing
// moves claims along it.

// transition moves a claim to status "to" with a reason, checking the state
// machine and guarding with the current status (the store refuses the change
// if another writer moved the claim first). It returns the claim as stored.
func (s *Service) transition(ctx context.Context, q store.Queries, c store.Claim, to claim.Status, reason string) (store.Claim, error) {
	if c.Status == to {
		return c, nil
	}
	if err := claim.Transition(c.ID, c.Status, to); err != nil {
		return c, err
	}
	return q.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: c.ClinicID, ID: c.ID, From: c.Status, Status: to, Reason: reason, Actor: s.opts.Actor})
}

// SetClaimStatus moves a claim to status with a reason, as staff do from the
// worklist (close, void, back to draft for correction). Illegal moves fail
// with a *claim.TransitionError.
func (s *Service) SetClaimStatus(ctx context.Context, clinicID, claimID int64, status claim.Status, reason string) (store.Claim, error) {
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

// isIllegal reports whether err is an illegal transition (to skip, not fail,
// when a late acknowledgment finds a claim already further along).
func isIllegal(err error) bool { return errors.Is(err, claim.ErrIllegalTransition) }
