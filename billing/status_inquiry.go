package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x276"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/payers"
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
//
// Only claims submitted or accepted are moved or raise work items: a claim
// already rejected, back in correction or adjudicated keeps its status and
// work, and the answer is only recorded.
func (s *Service) ApplyClaimStatus(ctx context.Context, clinicID, inboundFileID int64, opts StatusOptions) (StatusResult, error) {
	if opts.PendingDays <= 0 {
		opts.PendingDays = DefaultStatusPendingDays
	}
	var res StatusResult
	f, err := s.st.GetInboundFile(ctx, store.Ref{ClinicID: clinicID, ID: inboundFileID})
	if err != nil {
		return res, err
	}
	body, err := s.st.OpenContent(ctx, f.ContentID)
	if err != nil {
		return res, err
	}
	defer body.Close()
	r := edi.NewReader(body)
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
	c, err := tx.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: f.ClinicID, PatientControlNumber: pcn})
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
	// Only a claim the payer should hold (submitted or accepted) is moved or
	// raises work: a claim since rejected, corrected or adjudicated keeps
	// what it has, and the answer stays recorded above.
	if c.Status != claim.StatusSubmitted && c.Status != claim.StatusAccepted {
		return nil
	}
	switch standing {
	case x277.StandingNotFound:
		return work("Not found at payer (277 "+first+")", "status-not-found", 2,
			map[string]any{"action": "confirm the payer received the claim; resubmit it if not"})
	case x277.StandingRejected:
		var scratch AckResult
		var burst ackBurst
		w := &ackWrites{actor: s.opts.Actor}
		if err := s.rejectClaim(f, &c, "277 "+first, map[string]any{"statuses": codes, "location": "Loop 2200D/E STC"}, w, &burst, &scratch); err != nil {
			return err
		}
		if err := w.flush(ctx, tx); err != nil {
			return err
		}
		if err := s.flushBurst(ctx, tx, f, &burst); err != nil {
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

// statusRepeatDays is how often an unpaid claim is asked about again after
// its first inquiry.
const statusRepeatDays = 7

// maxStatusClaims caps the claims of one 276 file.
const maxStatusClaims = 1000

// StatusInquiryParams chooses the claims of a 276.
type StatusInquiryParams struct {
	ClinicID int64
	// PayerID is the clinic's payer row.
	PayerID int64
	// ClaimIDs asks about these claims (on demand), whatever their age;
	// they must be the payer's and submitted (not draft). Empty: the
	// nightly choice, see PrepareStatusInquiry.
	ClaimIDs []int64
}

// StatusInquiry is a 276 recorded for upload.
type StatusInquiry struct {
	// Interchange is the recorded file (TransactionSet "276"), with its
	// content; the submission job uploads it with the payer's other
	// pending files.
	Interchange store.Interchange
	ClaimIDs    []int64
}

// PrepareStatusInquiry records a 276 claim status request (005010X212)
// to the payer, or returns nil when there is nothing to ask. Without
// ClaimIDs it asks about every claim of the payer still waiting for its
// 835 (submitted or accepted) on the day its file reaches the payer's
// status_inquiry_days (default 21) and every 7 days after: a nightly run
// asks about each unpaid claim once a week from then on. Each claim's
// TRN*1 trace is its patient control number, which the payer's 277 echoes
// (ApplyClaimStatus).
func (s *Service) PrepareStatusInquiry(ctx context.Context, p StatusInquiryParams) (*StatusInquiry, error) {
	var out *StatusInquiry
	err := s.st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		var err error
		out, err = s.prepareStatusInquiry(ctx, tx, p)
		return err
	})
	return out, err
}

func (s *Service) prepareStatusInquiry(ctx context.Context, tx store.Tx, p StatusInquiryParams) (*StatusInquiry, error) {
	if s.opts.Payers == nil {
		return nil, fmt.Errorf("%w: PrepareStatusInquiry needs Options.Payers", ErrConfig)
	}
	payer, err := tx.GetPayer(ctx, store.Ref{ClinicID: p.ClinicID, ID: p.PayerID})
	if err != nil {
		return nil, fmt.Errorf("payer %d: %w", p.PayerID, err)
	}
	reg, err := s.opts.Payers.Lookup(payer.PayerID)
	if err != nil {
		return nil, err
	}
	if !reg.Accepts(payers.Tx276) {
		return nil, fmt.Errorf("%w: payer %s does not accept 276", ErrNotBillable, reg.ID)
	}
	now := s.now()
	var claims []store.Claim
	if len(p.ClaimIDs) > 0 {
		for _, id := range p.ClaimIDs {
			c, err := tx.GetClaim(ctx, store.Ref{ClinicID: p.ClinicID, ID: id})
			if err != nil {
				return nil, fmt.Errorf("claim %d: %w", id, err)
			}
			if c.PayerID != payer.ID {
				return nil, fmt.Errorf("%w: claim %d is not billed to payer %s", ErrNotBillable, id, reg.ID)
			}
			if c.InterchangeID == nil {
				return nil, fmt.Errorf("%w: claim %d (%s) was never submitted", ErrNotBillable, id, c.Status)
			}
			claims = append(claims, c)
		}
	} else {
		// When each file was made: one list of the payer's interchanges.
		sentAt := map[int64]time.Time{}
		for after := int64(0); ; {
			ics, err := tx.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: p.ClinicID, PayerID: payer.ID, AfterID: after, Limit: 1000})
			if err != nil {
				return nil, err
			}
			for _, ic := range ics {
				at := ic.CreatedAt
				if ic.UploadedAt != nil {
					at = *ic.UploadedAt
				}
				sentAt[ic.ID] = at
			}
			if len(ics) < 1000 {
				break
			}
			after = ics[len(ics)-1].ID
		}
		days := reg.StatusInquiryAfter()
		for after := int64(0); len(claims) < maxStatusClaims; {
			page, err := tx.ListClaims(ctx, store.ListClaimsParams{ClinicID: p.ClinicID, PayerID: payer.ID,
				Statuses: []claim.Status{claim.StatusSubmitted, claim.StatusAccepted}, AfterID: after, Limit: 500})
			if err != nil {
				return nil, err
			}
			for _, c := range page {
				if c.InterchangeID == nil || len(claims) == maxStatusClaims {
					continue
				}
				at, ok := sentAt[*c.InterchangeID]
				if !ok {
					continue
				}
				age := int(now.Sub(at) / (24 * time.Hour))
				if age >= days && (age-days)%statusRepeatDays == 0 {
					claims = append(claims, c)
				}
			}
			if len(page) < 500 {
				break
			}
			after = page[len(page)-1].ID
		}
	}
	if len(claims) == 0 {
		return nil, nil
	}
	clinic, err := tx.GetClinic(ctx, store.GetClinicParams{ClinicID: p.ClinicID})
	if err != nil {
		return nil, err
	}
	qs := make([]x276.ClaimInquiry, 0, len(claims))
	for _, c := range claims {
		doc, err := loadDocument(c)
		if err != nil {
			return nil, err
		}
		qs = append(qs, x276.ClaimInquiry{Claim: doc, PayerClaimControlNumber: c.PayerClaimControlNumber})
	}
	cn, err := tx.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: reg.Envelope.SenderID, ReceiverID: reg.Envelope.ReceiverID, Groups: 1, TransactionSets: 1})
	if err != nil {
		return nil, err
	}
	submitter := clinic.SubmitterID
	if submitter == "" {
		submitter = reg.Envelope.SenderID
	}
	usage, err := store.UsageFor(ctx, tx, p.ClinicID, payer.ID, string(reg.Usage))
	if err != nil {
		return nil, err
	}
	ref := fmt.Sprintf("CS%09d", cn.Interchange)
	req := x276.RequestFor(ref, now,
		x276.Entity{Last: strings.ToUpper(reg.Name), ID: reg.ID},
		x276.Entity{Last: strings.ToUpper(clinic.Name), ID: submitter}, qs)
	isa := edi.ISAHeader{SenderQualifier: reg.Envelope.SenderQualifier, SenderID: reg.Envelope.SenderID, ReceiverQualifier: reg.Envelope.ReceiverQualifier,
		ReceiverID: reg.Envelope.ReceiverID, Time: now, ControlNumber: cn.Interchange, Usage: usage}
	gs := edi.GSHeader{SenderCode: reg.Envelope.GSSender, ReceiverCode: reg.Envelope.GSReceiver, Time: now, ControlNumber: cn.FirstGroup}
	var buf bytes.Buffer
	enc := edi.NewWriter(&buf, edi.DefaultDelimiters)
	if err := x276.EncodeWriter(enc, isa, gs, req); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	utc := now.UTC()
	name := reg.FileName(payers.FileNameParams{Transaction: payers.Tx276, Date: utc.Format("20060102"), Time: utc.Format("150405"),
		Control: fmt.Sprintf("%09d", cn.Interchange)})
	ic, err := tx.CreateInterchange(ctx, store.CreateInterchangeParams{PayerID: &payer.ID, SenderID: reg.Envelope.SenderID,
		ReceiverID: reg.Envelope.ReceiverID, ControlNumber: cn.Interchange, GroupControlNumber: cn.FirstGroup,
		FirstSetControlNumber: cn.FirstTransactionSet, SetCount: 1, TransactionSet: string(payers.Tx276), ClaimCount: len(claims),
		FileName: name, Body: bytes.NewReader(buf.Bytes())})
	if err != nil {
		return nil, err
	}
	out := &StatusInquiry{Interchange: ic}
	for _, c := range claims {
		out.ClaimIDs = append(out.ClaimIDs, c.ID)
	}
	return out, nil
}
