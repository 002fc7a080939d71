package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/edi/x999"
	"github.com/clearhouse/clearhouse/store"
)

// AckResult says what ApplyAcknowledgment did.
type AckResult struct {
	// Kind is TA1, 999 (a file may hold both) or 277CA.
	Kind string
	// AlreadyApplied is set when the file was applied before: nothing
	// changed.
	AlreadyApplied bool
	Accepted       []int64
	Rejected       []int64
	// Unknown lists acknowledged control numbers or patient control
	// numbers that name nothing of the clinic's.
	Unknown []string
	// AlreadyAdjudicated lists claims the acknowledgment found already
	// adjudicated (see Adjudicated): it was recorded, their status kept.
	AlreadyAdjudicated []int64
}

// ApplyAcknowledgment applies a received TA1/999 or 277CA file, in one
// transaction, idempotently (a file already applied changes nothing):
//
//   - TA1 (ISA13 in TA101) and 999 (GS06 in AK102, ST02 in AK202): an
//     interchange, group or transaction set rejected rejects its claims, each
//     with a worklist item naming the error codes and X12 locations; the
//     interchange is marked accepted or rejected.
//   - 277CA: each claim (TRN02 = CLM01) accepted into adjudication moves to
//     accepted and keeps the payer's claim control number (REF*1K); a
//     rejected claim moves to rejected with a worklist item carrying the STC
//     category, status and entity codes.
//
// A claim already adjudicated (an 835 came first; see Adjudicated) keeps its
// status: an acknowledgment never moves it back. The 277CA is recorded and
// only sets the payer's claim control number when the claim has none; a
// rejection of such a claim raises a rejection worklist item that asks staff
// to confirm with the payer, and changes nothing else. Any other claim
// further along than the acknowledgment is left as it is.
func (s *Service) ApplyAcknowledgment(ctx context.Context, clinicID, inboundFileID int64) (AckResult, error) {
	var res AckResult
	f, err := s.st.GetInboundFile(ctx, store.Ref{ClinicID: clinicID, ID: inboundFileID})
	if err != nil {
		return res, err
	}
	sniff, err := sniffX12(f.Content)
	if err != nil {
		return res, fmt.Errorf("%s: %w", f.FileName, err)
	}
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		res = AckResult{}
		prior, err := tx.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: clinicID, InboundFileID: f.ID})
		if err != nil {
			return err
		}
		if len(prior) > 0 {
			res.AlreadyApplied = true
			res.Kind = prior[0].Kind
			return nil
		}
		switch {
		case sniff.set == "277":
			res.Kind = store.Ack277CA
			err = s.apply277(ctx, tx, f, &res)
		case sniff.set == "999" || sniff.ta1:
			res.Kind = store.Ack999
			if sniff.set == "" {
				res.Kind = store.AckTA1
			}
			err = s.apply999(ctx, tx, f, sniff, &res)
		default:
			return fmt.Errorf("%s: %w (transaction set %q)", f.FileName, ErrUnknownFile, sniff.set)
		}
		if err != nil {
			return err
		}
		now := s.now()
		_, err = tx.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: clinicID, ID: f.ID, State: store.InboundProcessed,
			FileType: res.Kind, ProcessedAt: &now})
		return err
	})
	return res, err
}

type x12Sniff struct {
	sender, receiver string // ISA06, ISA08 of the acknowledgment
	set              string // first ST01
	ta1              bool
}

// sniffX12 reads the envelope of a file far enough to know what it is.
func sniffX12(content []byte) (x12Sniff, error) {
	var out x12Sniff
	r := edi.NewReader(bytes.NewReader(content))
	for {
		seg, err := r.Next()
		if err != nil {
			if out.sender == "" {
				return out, err
			}
			return out, nil
		}
		switch {
		case seg.Is("ISA") && out.sender == "":
			out.sender, out.receiver = strings.TrimSpace(seg.String(6)), strings.TrimSpace(seg.String(8))
		case seg.Is("TA1"):
			out.ta1 = true
		case seg.Is("ST"):
			out.set = seg.String(1)
			return out, nil
		}
	}
}

func (s *Service) apply999(ctx context.Context, tx store.Tx, f store.InboundFile, sn x12Sniff, res *AckResult) error {
	r := edi.NewReader(bytes.NewReader(f.Content))
	r.File = f.FileName
	file, err := x999.Decode(r)
	if err != nil {
		return err
	}
	// Our interchange went from us (its ISA06) to the payer (its ISA08):
	// the acknowledgment's envelope is the reverse.
	find := func(p store.FindInterchangeParams) (store.Interchange, bool, error) {
		p.SenderID, p.ReceiverID = sn.receiver, sn.sender
		ic, err := tx.FindInterchange(ctx, p)
		if errors.Is(err, store.ErrNotFound) {
			return ic, false, nil
		}
		return ic, err == nil, err
	}
	for _, t := range file.TA1s {
		n, _ := strconv.ParseInt(strings.TrimSpace(t.ControlNumber), 10, 64)
		if n == 0 {
			res.Unknown = append(res.Unknown, "TA1 "+t.ControlNumber)
			continue
		}
		ic, ok, err := find(store.FindInterchangeParams{ControlNumber: n})
		if err != nil {
			return err
		}
		if !ok {
			res.Unknown = append(res.Unknown, "ISA13 "+t.ControlNumber)
			continue
		}
		details, _ := json.Marshal(map[string]string{"ack": t.Ack, "noteCode": t.NoteCode})
		if _, err := tx.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{InboundFileID: &f.ID, InterchangeID: &ic.ID,
			Kind: store.AckTA1, ControlNumber: t.ControlNumber, Code: t.Ack, Accepted: t.Accepted(), Details: details}); err != nil {
			return err
		}
		if t.Accepted() {
			continue
		}
		reason := fmt.Sprintf("TA1 rejected interchange %s: note code %s", t.ControlNumber, t.NoteCode)
		loc := AckErrorLocation{Segment: "ISA", Code: t.NoteCode}
		if err := s.rejectInterchange(ctx, tx, f, ic, reason, []AckErrorLocation{loc}, res); err != nil {
			return err
		}
	}
	for _, g := range file.Responses {
		n, _ := strconv.ParseInt(strings.TrimSpace(g.GroupControlNumber), 10, 64)
		ic, ok, err := find(store.FindInterchangeParams{GroupControlNumber: n})
		if err != nil {
			return err
		}
		if n == 0 || !ok {
			res.Unknown = append(res.Unknown, "GS06 "+g.GroupControlNumber)
			continue
		}
		groupRejected := g.Ack == "R"
		var errs []AckErrorLocation
		setRejected := false
		for _, set := range g.Sets {
			details, _ := json.Marshal(set)
			if _, err := tx.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{InboundFileID: &f.ID, InterchangeID: &ic.ID,
				Kind: store.Ack999, ControlNumber: set.ControlNumber, Code: set.Ack, Accepted: set.Accepted(), Details: details}); err != nil {
				return err
			}
			if set.Accepted() {
				continue
			}
			setRejected = true
			errs = append(errs, setErrors(set)...)
		}
		if len(g.Sets) == 0 {
			details, _ := json.Marshal(g)
			if _, err := tx.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{InboundFileID: &f.ID, InterchangeID: &ic.ID,
				Kind: store.Ack999, ControlNumber: g.GroupControlNumber, Code: g.Ack, Accepted: !groupRejected, Details: details}); err != nil {
				return err
			}
		}
		if groupRejected {
			for _, c := range g.Codes {
				errs = append(errs, AckErrorLocation{Segment: "GS", Code: "AK9:" + c})
			}
		}
		if !groupRejected && !setRejected {
			if _, err := tx.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: ic.ClinicID, ID: ic.ID,
				Status: store.InterchangeAccepted}); err != nil {
				return err
			}
			continue
		}
		// Each of our interchanges holds one transaction set, so a
		// rejected set is the whole file.
		reason := fmt.Sprintf("999 rejected group %s (AK901 %s)", g.GroupControlNumber, g.Ack)
		if err := s.rejectInterchange(ctx, tx, f, ic, reason, errs, res); err != nil {
			return err
		}
	}
	return nil
}

// AckErrorLocation is one error of a 999 or TA1, in a rejection worklist
// item: the segment (IK301) at its position in the set (IK302) and loop
// (IK303), the element (IK401) and the error code (TA105, IK304, IK403, IK502
// or AK905).
type AckErrorLocation struct {
	Segment   string `json:"segment,omitempty"`
	Position  int    `json:"position,omitempty"`
	Loop      string `json:"loop,omitempty"`
	Element   int    `json:"element,omitempty"`
	Component int    `json:"component,omitempty"`
	Code      string `json:"code"`
	Value     string `json:"value,omitempty"`
}

func setErrors(set x999.TransactionSetResponse) []AckErrorLocation {
	var out []AckErrorLocation
	for _, sg := range set.Segments {
		if len(sg.Elements) == 0 {
			out = append(out, AckErrorLocation{Segment: sg.SegmentID, Position: sg.Position, Loop: sg.Loop, Code: "IK304:" + sg.Code})
		}
		for _, e := range sg.Elements {
			out = append(out, AckErrorLocation{Segment: sg.SegmentID, Position: sg.Position, Loop: sg.Loop, Element: e.Position,
				Component: e.Component, Code: "IK403:" + e.Code, Value: e.Value})
		}
	}
	for _, c := range set.Codes {
		out = append(out, AckErrorLocation{Segment: "ST", Code: "IK502:" + c})
	}
	return out
}

func (s *Service) rejectInterchange(ctx context.Context, tx store.Tx, f store.InboundFile, ic store.Interchange, reason string, errs []AckErrorLocation, res *AckResult) error {
	if _, err := tx.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: ic.ClinicID, ID: ic.ID,
		Status: store.InterchangeRejected, LastError: reason}); err != nil {
		return err
	}
	for after := int64(0); ; {
		cs, err := tx.ListClaims(ctx, store.ListClaimsParams{ClinicID: ic.ClinicID, InterchangeID: ic.ID, AfterID: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, c := range cs {
			if err := s.rejectClaim(ctx, tx, f, c, reason, map[string]any{"interchange": ic.ControlNumber, "file": ic.FileName, "errors": errs}, res); err != nil {
				return err
			}
		}
		if len(cs) < 500 {
			return nil
		}
		after = cs[len(cs)-1].ID
	}
}

func (s *Service) rejectClaim(ctx context.Context, tx store.Tx, f store.InboundFile, c store.Claim, reason string, details map[string]any, res *AckResult) error {
	if c.Status.Adjudicated() {
		res.AlreadyAdjudicated = append(res.AlreadyAdjudicated, c.ID)
		return s.lateRejection(ctx, tx, f, c, reason, details)
	}
	if _, err := s.transition(ctx, tx, c, claim.StatusRejected, reason); err != nil {
		if isIllegal(err) {
			s.opts.Logger.Info("acknowledgment rejection ignored", "claim", c.ID, "status", c.Status)
			return nil
		}
		return err
	}
	res.Rejected = append(res.Rejected, c.ID)
	details["patientControlNumber"] = c.PatientControlNumber
	details["action"] = "correct the claim from the error codes and locations, then scrub and resubmit"
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, _, err = tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkRejection, Priority: 3, ClaimID: &c.ID,
		PatientID: &c.PatientID, PayerID: &c.PayerID, AmountCents: c.TotalChargeCents, Title: "Rejected: " + reason, Details: raw,
		DedupeKey: "reject:" + strconv.FormatInt(f.ID, 10) + ":" + strconv.FormatInt(c.ID, 10)})
	return err
}

func (s *Service) apply277(ctx context.Context, tx store.Tx, f store.InboundFile, res *AckResult) error {
	r := edi.NewReader(bytes.NewReader(f.Content))
	r.File = f.FileName
	acks, err := x277.DecodeReader(r)
	if err != nil {
		return err
	}
	for _, a := range acks {
		var ferr error
		a.Claims(func(_ *x277.BillingProvider, cs *x277.ClaimStatus) {
			if ferr == nil {
				ferr = s.apply277Claim(ctx, tx, f, cs, res)
			}
		})
		if ferr != nil {
			return ferr
		}
	}
	return nil
}

// StatusCodeDetail is one STC composite of a 277CA rejection.
type StatusCodeDetail struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Entity   string `json:"entity,omitempty"`
	Message  string `json:"message,omitempty"`
}

func (s *Service) apply277Claim(ctx context.Context, tx store.Tx, f store.InboundFile, cs *x277.ClaimStatus, res *AckResult) error {
	c, err := tx.GetClaimByPatientControlNumber(ctx, f.ClinicID, cs.PatientControlNumber)
	if errors.Is(err, store.ErrNotFound) {
		res.Unknown = append(res.Unknown, "CLM01 "+cs.PatientControlNumber)
		return nil
	}
	if err != nil {
		return err
	}
	var codes []StatusCodeDetail
	first := ""
	for _, st := range cs.Statuses {
		for _, sc := range st.Codes {
			codes = append(codes, StatusCodeDetail{Category: sc.Category, Code: sc.Code, Entity: sc.Entity, Message: st.Message})
			if first == "" {
				first = sc.Category + ":" + sc.Code
				if sc.Entity != "" {
					first += ":" + sc.Entity
				}
			}
		}
	}
	accepted := cs.Accepted()
	details, _ := json.Marshal(map[string]any{"statuses": codes, "payerClaimControlNumber": cs.PayerClaimControlNumber})
	if _, err := tx.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{InboundFileID: &f.ID, InterchangeID: c.InterchangeID, ClaimID: &c.ID,
		Kind: store.Ack277CA, ControlNumber: cs.PatientControlNumber, Code: first, Accepted: accepted, Details: details}); err != nil {
		return err
	}
	if c.Status.Adjudicated() {
		// The 835 came first (both arrive in one poll and are processed in
		// either order): the remittance decides the status. The 277CA is
		// recorded above and only fills in the payer's claim control
		// number when the claim has none yet.
		res.AlreadyAdjudicated = append(res.AlreadyAdjudicated, c.ID)
		if c.PayerClaimControlNumber == "" && cs.PayerClaimControlNumber != "" {
			icn := cs.PayerClaimControlNumber
			if _, err := tx.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: c.ClinicID, ID: c.ID, PayerClaimControlNumber: &icn}); err != nil {
				return err
			}
		}
		if accepted {
			return nil
		}
		return s.lateRejection(ctx, tx, f, c, "277CA "+first, map[string]any{"statuses": codes, "location": "Loop 2200D STC"})
	}
	if accepted {
		if cs.PayerClaimControlNumber != "" && cs.PayerClaimControlNumber != c.PayerClaimControlNumber {
			icn := cs.PayerClaimControlNumber
			if c, err = tx.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: c.ClinicID, ID: c.ID, PayerClaimControlNumber: &icn}); err != nil {
				return err
			}
		}
		if _, err := s.transition(ctx, tx, c, claim.StatusAccepted, "277CA accepted "+first); err != nil {
			if isIllegal(err) {
				return nil
			}
			return err
		}
		res.Accepted = append(res.Accepted, c.ID)
		return nil
	}
	return s.rejectClaim(ctx, tx, f, c, "277CA "+first, map[string]any{"statuses": codes, "location": "Loop 2200D STC"}, res)
}

// lateRejection raises a worklist item for a rejection (277CA, or a 999 or
// TA1 of the claim's interchange) that arrives after the claim was
// adjudicated. The status is left as the remittance set it: staff confirm
// with the payer which answer stands instead of correcting and resubmitting
// a claim that was paid or denied.
func (s *Service) lateRejection(ctx context.Context, tx store.Tx, f store.InboundFile, c store.Claim, reason string, details map[string]any) error {
	s.opts.Logger.Info("rejection after adjudication", "claim", c.ID, "status", c.Status, "file", f.ID)
	details["patientControlNumber"] = c.PatientControlNumber
	details["claimStatus"] = c.Status
	details["action"] = "the claim is already " + c.Status + "; confirm with the payer whether the rejection or the remittance stands before correcting or resubmitting"
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, _, err = tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkRejection, Priority: 2, ClaimID: &c.ID,
		PatientID: &c.PatientID, PayerID: &c.PayerID, AmountCents: c.TotalChargeCents,
		Title: "Rejected after adjudication (" + string(c.Status) + "): " + reason, Details: raw,
		DedupeKey: "late-reject:" + strconv.FormatInt(f.ID, 10) + ":" + strconv.FormatInt(c.ID, 10)})
	return err
}
