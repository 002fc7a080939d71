package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/store"
)

// AckClaimStatus is the acknowledgment kind of one claim's answer in a
// 277 claim status response (005010X212), recorded per claim.
const AckClaimStatus = store.Ack277

// WorkClaimStatus is the worklist kind for a claim the payer cannot find
// or has kept pending too long.
const WorkClaimStatus = "claim_status"

// DefaultStatusPendingDays is StatusOptions.PendingDays when zero.
const DefaultStatusPendingDays = 30

// StatusOptions tune ApplyClaimStatus.
type StatusOptions struct {
	// PendingDays raises a worklist item for a claim the payer reports
	// pending (P categories) this many days or more after it was
	// submitted. Default DefaultStatusPendingDays.
	PendingDays int
}

// StatusResult says what ApplyClaimStatus did.
type StatusResult struct {
	AlreadyApplied bool
	// Standing counts the claims answered by standing (x277.Standing).
	Standing map[x277.Standing]int
	// Accepted are submitted claims the payer reports it holds, moved to
	// accepted.
	Accepted []int64
	// WorkItems are the claims a worklist item was raised for (not found,
	// pending too long, rejected).
	WorkItems []int64
	// Unknown lists patient control numbers (TRN*2 or REF*EJ) that name
	// no claim of the clinic's.
	Unknown []string
}

// ApplyClaimStatus applies a received 277 claim status response in one
// transaction, idempotently (a file applied before changes nothing). Each
// claim (REF*EJ patient control number, else the TRN*2 trace, which
// Clearhouse's 276 sets to it) gets an acknowledgment row of kind
// AckClaimStatus with the STC codes, the standing and the amounts, beside
// its status history; and:
//
//   - received, pending or finalized: a submitted claim moves to accepted
//     (the payer holds it) and keeps the payer's claim control number
//     (REF*1K); payment and denial are posted from the 835, not from here;
//   - pending PendingDays or more after submission: a WorkClaimStatus item;
//   - not found (A4, D0): a WorkClaimStatus item to resubmit or call;
//   - rejected (A3, A6-A8): the claim is rejected, as by a 277CA.
func (s *Service) ApplyClaimStatus(ctx context.Context, clinicID, inboundFileID int64, opts StatusOptions) (StatusResult, error) {
	if opts.PendingDays <= 0 {
		opts.PendingDays = DefaultStatusPendingDays
	}
	var res StatusResult
	f, err := s.st.GetInboundFile(ctx, store.Ref{ClinicID: clinicID, ID: inboundFileID})
	if err != nil {
		return res, err
	}
	r := edi.NewReader(bytes.NewReader(f.Content))
	r.File = f.FileName
	resps, err := x277.DecodeStatusReader(r)
	if err != nil {
		return res, err
	}
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		res = StatusResult{Standing: map[x277.Standing]int{}}
		prior, err := tx.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: clinicID, InboundFileID: f.ID})
		if err != nil {
			return err
		}
		if len(prior) > 0 {
			res.AlreadyApplied = true
			return nil
		}
		for _, resp := range resps {
			var ferr error
			resp.Claims(func(_ *x277.StatusSubscriber, _ *x277.StatusDependent, sc *x277.StatusClaim) {
				if ferr == nil {
					ferr = s.applyClaimStatus(ctx, tx, f, sc, opts, &res)
				}
			})
			if ferr != nil {
				return ferr
			}
		}
		now := s.now()
		_, err = tx.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: clinicID, ID: f.ID, State: store.InboundProcessed,
			FileType: AckClaimStatus, ProcessedAt: &now})
		return err
	})
	return res, err
}

func (s *Service) applyClaimStatus(ctx context.Context, tx store.Tx, f store.InboundFile, sc *x277.StatusClaim, opts StatusOptions, res *StatusResult) error {
	pcn := sc.PatientControlNumber
	if pcn == "" {
		pcn = sc.TraceNumber
	}
	c, err := tx.GetClaimByPatientControlNumber(ctx, f.ClinicID, pcn)
	if errors.Is(err, store.ErrNotFound) {
		res.Unknown = append(res.Unknown, pcn)
		return nil
	}
	if err != nil {
		return err
	}
	standing := x277.StandingOf(sc.Category())
	res.Standing[standing]++
	var codes []StatusCodeDetail
	first := ""
	var charge, paid int64
	for _, st := range sc.Statuses {
		for _, k := range st.Codes {
			codes = append(codes, StatusCodeDetail{Category: k.Category, Code: k.Code, Entity: k.Entity, Message: st.Message})
			if first == "" {
				first = k.Category + ":" + k.Code
				if k.Entity != "" {
					first += ":" + k.Entity
				}
			}
		}
		if charge == 0 {
			charge, paid = st.AmountCents, st.PaidCents
		}
	}
	details, _ := json.Marshal(map[string]any{"statuses": codes, "standing": standing, "payerClaimControlNumber": sc.PayerClaimControlNumber,
		"chargeCents": charge, "paidCents": paid, "location": "Loop 2200D/E STC"})
	ok := standing != x277.StandingRejected && standing != x277.StandingNotFound && standing != x277.StandingError
	if _, err := tx.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{InboundFileID: &f.ID, InterchangeID: c.InterchangeID, ClaimID: &c.ID,
		Kind: AckClaimStatus, ControlNumber: sc.TraceNumber, Code: first, Accepted: ok, Details: details}); err != nil {
		return err
	}
	if sc.PayerClaimControlNumber != "" && c.PayerClaimControlNumber == "" {
		icn := sc.PayerClaimControlNumber
		if c, err = tx.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: c.ClinicID, ID: c.ID, PayerClaimControlNumber: &icn}); err != nil {
			return err
		}
	}
	work := func(title, key string, priority int, extra map[string]any) error {
		extra["statuses"], extra["patientControlNumber"], extra["claimStatus"] = codes, c.PatientControlNumber, c.Status
		raw, err := json.Marshal(extra)
		if err != nil {
			return err
		}
		_, created, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: WorkClaimStatus, Priority: priority, ClaimID: &c.ID,
			PatientID: &c.PatientID, PayerID: &c.PayerID, AmountCents: c.TotalChargeCents, Title: title, Details: raw,
			DedupeKey: key + ":" + strconv.FormatInt(c.ID, 10)})
		if created {
			res.WorkItems = append(res.WorkItems, c.ID)
		}
		return err
	}
	switch standing {
	case x277.StandingNotFound:
		if c.Status.Adjudicated() {
			return nil // the 835 came; the payer's search missed it
		}
		return work("Not found at payer (277 "+first+")", "status-not-found", 2,
			map[string]any{"action": "confirm the payer received the claim; resubmit it if not"})
	case x277.StandingRejected:
		var scratch AckResult
		if err := s.rejectClaim(ctx, tx, f, c, "277 "+first, map[string]any{"statuses": codes, "location": "Loop 2200D/E STC"}, &scratch); err != nil {
			return err
		}
		res.WorkItems = append(res.WorkItems, c.ID)
		return nil
	case x277.StandingReceived, x277.StandingPending, x277.StandingPaid, x277.StandingDenied, x277.StandingFinalized:
		if c.Status == claim.StatusSubmitted {
			if _, err := s.transition(ctx, tx, c, claim.StatusAccepted, "277 "+first); err != nil && !isIllegal(err) {
				return err
			} else if err == nil {
				res.Accepted = append(res.Accepted, c.ID)
			}
		}
		if standing != x277.StandingPending {
			return nil
		}
		since, err := submittedAt(ctx, tx, c)
		if err != nil {
			return err
		}
		days := int(s.now().Sub(since) / (24 * time.Hour))
		if days < opts.PendingDays {
			return nil
		}
		return work(fmt.Sprintf("Pending at payer %d days (277 %s)", days, first), "status-pending", 3,
			map[string]any{"days": days, "action": "call the payer about the pended claim"})
	}
	return nil
}

// submittedAt is when the claim was last submitted (its status history),
// or created when it has no submission.
func submittedAt(ctx context.Context, tx store.Tx, c store.Claim) (time.Time, error) {
	hist, err := tx.ListClaimStatusHistory(ctx, store.Ref{ClinicID: c.ClinicID, ID: c.ID})
	if err != nil {
		return time.Time{}, err
	}
	at := c.CreatedAt
	for _, h := range hist {
		if h.ToStatus == claim.StatusSubmitted {
			at = h.At
		}
	}
	return at, nil
}
