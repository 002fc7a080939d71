package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
//   - TA1 (ISA13 in TA101) and 999 (GS06 in AK102, ST02 in AK202): a 999
//     is first checked against its guide (Check999) and refused with a
//     positioned error when it breaks it; a group response applies only to
//     the batch whose group (AK102), functional group (AK101) and
//     transaction sets (AK201, AK202) it names. An interchange, group or
//     transaction set rejected rejects its claims, with one worklist item
//     for the batch listing them with the error codes and X12 locations;
//     the interchange is marked accepted or rejected. A 999 or TA1 for a
//     batch another file acknowledged already (a replay), or naming what
//     the batch does not hold, changes nothing and raises one item for the
//     file.
//   - 277CA: each claim (TRN02 = CLM01) accepted into adjudication moves to
//     accepted and keeps the payer's claim control number (REF*1K); a
//     rejected claim moves to rejected with a worklist item carrying the STC
//     category, status and entity codes.
//
// A claim already adjudicated (an 835 came first; see Adjudicated) keeps its
// status: an acknowledgment never moves it back. The 277CA is recorded and
// only sets the payer's claim control number when the claim has none; the
// rejections of such claims raise one rejection worklist item per file that
// asks staff to confirm with the payer, and change nothing else. Any other claim
// further along than the acknowledgment is left as it is.
func (s *Service) ApplyAcknowledgment(ctx context.Context, clinicID, inboundFileID int64) (AckResult, error) {
	var res AckResult
	f, err := s.st.GetInboundFile(ctx, store.Ref{ClinicID: clinicID, ID: inboundFileID})
	if err != nil {
		return res, err
	}
	sniff, err := s.sniffFile(ctx, f)
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
func sniffX12(content io.Reader) (x12Sniff, error) {
	var out x12Sniff
	r := edi.NewReader(content)
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
	body, err := s.st.OpenContent(ctx, f.ContentID)
	if err != nil {
		return err
	}
	defer body.Close()
	r := edi.NewReader(body)
	r.File = f.FileName
	file, err := x999.Decode(r)
	if err != nil {
		return err
	}
	// An acknowledgment that breaks its guide is not applied: the caller
	// sets the file aside with one item.
	if err := Check999(file, f.FileName).Err(); err != nil {
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
	b := &ackBurst{}
	for _, t := range file.TA1s {
		n, _ := strconv.ParseInt(strings.TrimSpace(t.ControlNumber), 10, 64)
		if n == 0 {
			res.Unknown = append(res.Unknown, "TA1 "+t.ControlNumber)
			b.unknown = append(b.unknown, "TA1 names interchange "+t.ControlNumber+" (TA101), not a control number")
			continue
		}
		ic, ok, err := find(store.FindInterchangeParams{ControlNumber: n})
		if err != nil {
			return err
		}
		if !ok {
			res.Unknown = append(res.Unknown, "ISA13 "+t.ControlNumber)
			b.unknown = append(b.unknown, "TA1 names interchange "+t.ControlNumber+" (TA101), never sent")
			continue
		}
		replay, err := acknowledgedBefore(ctx, tx, f, ic, store.AckTA1)
		if err != nil {
			return err
		}
		details, _ := json.Marshal(map[string]string{"ack": t.Ack, "noteCode": t.NoteCode})
		if _, err := tx.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{InboundFileID: &f.ID, InterchangeID: &ic.ID,
			Kind: store.AckTA1, ControlNumber: t.ControlNumber, Code: t.Ack, Accepted: t.Accepted(), Details: details}); err != nil {
			return err
		}
		if t.Accepted() {
			continue
		}
		reason := fmt.Sprintf("TA1 rejected interchange %s (TA104 %s, note code %s)", t.ControlNumber, t.Ack, t.NoteCode)
		if replay != "" {
			b.replays = append(b.replays, reason+"; already acknowledged by "+replay)
			continue
		}
		loc := AckErrorLocation{Segment: "ISA", Code: t.NoteCode}
		if err := s.rejectInterchange(ctx, tx, f, ic, reason, []AckErrorLocation{loc}, b, res); err != nil {
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
		if why := submissionMismatch(ic, g); why != "" {
			// The 999 names a group of ours but not what we sent in it:
			// it is not applied to the batch.
			res.Unknown = append(res.Unknown, "GS06 "+g.GroupControlNumber+": "+why)
			b.mismatches = append(b.mismatches, fmt.Sprintf("999 %s for batch %s: %s", g.ControlNumber, g.GroupControlNumber, why))
			continue
		}
		replay, err := acknowledgedBefore(ctx, tx, f, ic, store.Ack999)
		if err != nil {
			return err
		}
		groupRejected := groupRejectedCode(g.Ack)
		var errs []AckErrorLocation
		var rejectedSets []string
		for _, set := range g.Sets {
			details, _ := json.Marshal(set)
			if _, err := tx.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{InboundFileID: &f.ID, InterchangeID: &ic.ID,
				Kind: store.Ack999, ControlNumber: set.ControlNumber, Code: set.Ack, Accepted: set.Accepted(), Details: details}); err != nil {
				return err
			}
			if set.Accepted() {
				continue
			}
			rejectedSets = append(rejectedSets, set.ControlNumber)
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
		if !groupRejected && len(rejectedSets) == 0 {
			if replay != "" {
				continue // an acceptance again changes nothing
			}
			if _, err := tx.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: ic.ClinicID, ID: ic.ID,
				Status: store.InterchangeAccepted}); err != nil {
				return err
			}
			continue
		}
		reason := rejection999(g, rejectedSets)
		if replay != "" {
			// A 999 for a batch another file acknowledged already (a
			// resent or replayed acknowledgment) moves nothing.
			b.replays = append(b.replays, reason+"; batch already acknowledged by "+replay)
			continue
		}
		// Each of our interchanges holds one transaction set, so a
		// rejected set is the whole file.
		if err := s.rejectInterchange(ctx, tx, f, ic, reason, errs, b, res); err != nil {
			return err
		}
	}
	return s.flushBurst(ctx, tx, f, b)
}

// rejection999 says in words what a 999 rejected: "999 rejected transaction
// set 0001 of batch 3 (AK901 R)".
func rejection999(g x999.FunctionalGroupResponse, rejectedSets []string) string {
	code := "AK901 " + g.Ack
	if len(g.Codes) > 0 {
		code += ", AK905 " + strings.Join(g.Codes, " ")
	}
	switch len(rejectedSets) {
	case 0:
		return fmt.Sprintf("999 rejected batch %s (%s)", g.GroupControlNumber, code)
	case 1:
		return fmt.Sprintf("999 rejected transaction set %s of batch %s (%s)", rejectedSets[0], g.GroupControlNumber, code)
	}
	return fmt.Sprintf("999 rejected transaction sets %s of batch %s (%s)", strings.Join(rejectedSets, ", "), g.GroupControlNumber, code)
}

// groupRejectedCode reports whether an AK901 code rejects the whole group:
// R rejected, M (authentication), W (assurance) or X (content after
// decryption) failed.
func groupRejectedCode(code string) bool {
	switch code {
	case edi.AckRejected, "M", "W", "X":
		return true
	}
	return false
}

// functionalIDs maps our transaction sets to GS01 (AK101).
var functionalIDs = map[string]string{"837": "HC", "270": "HS", "276": "HR"}

// submissionMismatch says why a 999 group response does not answer the
// interchange its AK102 names (AK101 not its functional group, an AK2
// naming another transaction set or a control number it does not hold),
// or "" when it does.
func submissionMismatch(ic store.Interchange, g x999.FunctionalGroupResponse) string {
	set := ic.TransactionSet
	if len(set) > 3 {
		set = set[:3]
	}
	if want, ok := functionalIDs[set]; ok && g.FunctionalID != "" && g.FunctionalID != want {
		return fmt.Sprintf("AK101 %s is not the functional group %s of batch %d", g.FunctionalID, want, ic.GroupControlNumber)
	}
	count := int64(max(ic.SetCount, 1))
	for _, s := range g.Sets {
		if set != "" && s.ID != set {
			return fmt.Sprintf("AK201 %s is not the transaction set %s of batch %d", s.ID, set, ic.GroupControlNumber)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s.ControlNumber), 10, 64)
		if err != nil || n < ic.FirstSetControlNumber || n >= ic.FirstSetControlNumber+count {
			return fmt.Sprintf("AK202 %s names no transaction set of batch %d (ST02 %04d to %04d)", s.ControlNumber, ic.GroupControlNumber,
				ic.FirstSetControlNumber, ic.FirstSetControlNumber+count-1)
		}
	}
	return ""
}

// acknowledgedBefore names the file whose acknowledgment of this kind was
// applied to the interchange before, or "" when none was.
func acknowledgedBefore(ctx context.Context, tx store.Tx, f store.InboundFile, ic store.Interchange, kind string) (string, error) {
	prior, err := tx.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: f.ClinicID, InterchangeID: ic.ID, Kind: kind})
	if err != nil {
		return "", err
	}
	for _, a := range prior {
		if a.InboundFileID != nil && *a.InboundFileID != f.ID {
			name := "inbound file " + strconv.FormatInt(*a.InboundFileID, 10)
			if pf, err := tx.GetInboundFile(ctx, store.Ref{ClinicID: f.ClinicID, ID: *a.InboundFileID}); err == nil {
				name += " (" + pf.FileName + ")"
			}
			return name, nil
		}
	}
	return "", nil
}

// Check999 checks a decoded 999/TA1 file against the rules of
// 005010X231A1 an acknowledgment must keep before it is applied (usage and
// codes from the guide's map, pyx12 999.5010X231.A1.xml): AK1 and AK9
// present, each AK2 closed by its IK5, IK501 one of A, E, M, R, W, X, AK901
// one of A, E, M, P, R, W, X, AK904 no more than AK903, and AK901
// agreeing with the IK501s (A or E with no set rejected, P with one); a
// TA104 of A, E or R.
func Check999(f *x999.File, file string) *edi.ErrorList {
	var l edi.ErrorList
	add := func(set, seg string, elem int, format string, args ...any) {
		l.Add(&edi.Error{Pos: edi.Position{File: file, Set: set, SegmentID: seg, Element: elem}, Err: edi.ErrImplementation,
			Msg: fmt.Sprintf(format, args...)})
	}
	for _, t := range f.TA1s {
		switch t.Ack {
		case edi.TA1Accepted, edi.TA1AcceptedWithErrors, edi.AckRejected:
		default:
			add("", "TA1", 4, "TA104 %q is not A, E or R", t.Ack)
		}
	}
	for _, g := range f.Responses {
		st := g.ControlNumber
		if g.GroupControlNumber == "" {
			add(st, "AK1", 2, "999 %s has no AK1 naming the acknowledged group (AK102)", st)
		}
		rejected, accepted := 0, 0
		for _, set := range g.Sets {
			switch set.Ack {
			case "":
				add(st, "IK5", 1, "AK2 %s %s has no IK5: the transaction set is neither accepted nor rejected", set.ID, set.ControlNumber)
				continue
			case edi.AckAccepted, edi.AckAcceptedWithErrors:
				accepted++
			case edi.AckRejected, "M", "W", "X":
				rejected++
			default:
				add(st, "IK5", 1, "IK501 %q of transaction set %s is not one of A, E, M, R, W, X", set.Ack, set.ControlNumber)
			}
			if set.ControlNumber == "" {
				add(st, "AK2", 2, "AK2 has no transaction set control number (AK202)")
			}
		}
		switch g.Ack {
		case "":
			add(st, "AK9", 1, "999 %s has no AK9: the group is neither accepted nor rejected", st)
			continue
		case edi.AckAccepted, edi.AckAcceptedWithErrors:
			if rejected > 0 {
				add(st, "AK9", 1, "AK901 %s accepts group %s but %d of its transaction sets are rejected (IK501)", g.Ack, g.GroupControlNumber, rejected)
			}
		case edi.AckPartiallyAccepted:
			if len(g.Sets) > 0 && rejected == 0 {
				add(st, "AK9", 1, "AK901 P says group %s was partly accepted but no transaction set is rejected (IK501)", g.GroupControlNumber)
			}
		case edi.AckRejected, "M", "W", "X":
		default:
			add(st, "AK9", 1, "AK901 %q is not one of A, E, M, P, R, W, X", g.Ack)
		}
		if g.Accepted > g.Received {
			add(st, "AK9", 4, "AK904 %d accepted transaction sets exceeds AK903 %d received", g.Accepted, g.Received)
		}
		if len(g.Sets) > 0 && len(g.Sets) == g.Received && accepted != g.Accepted {
			add(st, "AK9", 4, "AK904 %d accepted transaction sets, but %d IK501 accept", g.Accepted, accepted)
		}
	}
	return &l
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

func (s *Service) rejectInterchange(ctx context.Context, tx store.Tx, f store.InboundFile, ic store.Interchange, reason string, errs []AckErrorLocation,
	b *ackBurst, res *AckResult) error {
	if _, err := tx.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: ic.ClinicID, ID: ic.ID,
		Status: store.InterchangeRejected, LastError: reason}); err != nil {
		return err
	}
	// The interchange's claims are moved with one statement a page.
	var rejected []store.Claim
	w := &ackWrites{actor: s.opts.Actor}
	for after := int64(0); ; {
		cs, err := tx.ListClaims(ctx, store.ListClaimsParams{ClinicID: ic.ClinicID, InterchangeID: ic.ID, AfterID: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.Status.Adjudicated() {
				res.AlreadyAdjudicated = append(res.AlreadyAdjudicated, c.ID)
				b.late = append(b.late, lateClaim{claim: c, reason: reason, details: map[string]any{"interchange": ic.ControlNumber, "errors": errs}})
				continue
			}
			if err := w.move(&c, claim.StatusRejected, reason); err != nil {
				if isIllegal(err) {
					s.opts.Logger.Info("acknowledgment rejection ignored", "claim", c.ID, "status", c.Status)
					continue
				}
				return err
			}
			res.Rejected = append(res.Rejected, c.ID)
			rejected = append(rejected, c)
		}
		if err := w.flush(ctx, tx); err != nil {
			return err
		}
		if len(cs) < 500 {
			break
		}
		after = cs[len(cs)-1].ID
	}
	if len(rejected) == 0 {
		return nil
	}
	// One item for the rejected batch, listing its claims: they share the
	// errors and are corrected and resubmitted together.
	details := map[string]any{"interchange": ic.ControlNumber, "file": ic.FileName, "acknowledgment": f.FileName, "errors": errs,
		"action": "correct the claims from the error codes and locations, then scrub and resubmit"}
	item := store.CreateWorklistItemParams{Kind: store.WorkRejection, Priority: 3, PayerID: ic.PayerID, Title: "Rejected: " + reason,
		DedupeKey: "reject:" + strconv.FormatInt(f.ID, 10) + ":ic:" + strconv.FormatInt(ic.ID, 10)}
	var listed []map[string]any
	for _, c := range rejected {
		item.AmountCents += c.TotalChargeCents
		listed = append(listed, map[string]any{"claimId": c.ID, "patientControlNumber": c.PatientControlNumber, "chargeCents": c.TotalChargeCents})
	}
	details["claims"] = listed
	if len(rejected) == 1 {
		c := rejected[0]
		item.ClaimID, item.PatientID, item.PayerID = &c.ID, &c.PatientID, &c.PayerID
		details["patientControlNumber"] = c.PatientControlNumber
	} else {
		item.Title += fmt.Sprintf(": %d claims", len(rejected))
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	item.Details = raw
	_, _, err = tx.CreateWorklistItem(ctx, item)
	return err
}

// rejectClaim moves a claim to rejected with a worklist item, both
// collected in w; a claim already adjudicated joins the file's late
// rejections instead.
func (s *Service) rejectClaim(f store.InboundFile, c *store.Claim, reason string, details map[string]any, w *ackWrites, b *ackBurst, res *AckResult) error {
	if c.Status.Adjudicated() {
		res.AlreadyAdjudicated = append(res.AlreadyAdjudicated, c.ID)
		b.late = append(b.late, lateClaim{claim: *c, reason: reason, details: details})
		return nil
	}
	if err := w.move(c, claim.StatusRejected, reason); err != nil {
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
	w.items = append(w.items, store.CreateWorklistItemParams{Kind: store.WorkRejection, Priority: 3, ClaimID: &c.ID,
		PatientID: &c.PatientID, PayerID: &c.PayerID, AmountCents: c.TotalChargeCents, Title: "Rejected: " + reason, Details: raw,
		DedupeKey: "reject:" + strconv.FormatInt(f.ID, 10) + ":" + strconv.FormatInt(c.ID, 10)})
	return nil
}

// ackWrites collects what applying acknowledgments writes, for flush to
// write with bulk statements: acknowledgments, payer claim control
// numbers, status changes (one per claim between flushes) and worklist
// items.
type ackWrites struct {
	actor   string
	acks    []store.CreateAcknowledgmentParams
	icns    []store.ClaimControlNumber
	moves   []store.ClaimStatusMove
	items   []store.CreateWorklistItemParams
	touched map[int64]bool
}

// move records a claim's status change (checked against the state
// machine); c takes the new status.
func (w *ackWrites) move(c *store.Claim, to claim.Status, reason string) error {
	if c.Status == to {
		return nil
	}
	if err := claim.Transition(c.ID, c.Status, to); err != nil {
		return err
	}
	w.moves = append(w.moves, store.ClaimStatusMove{ID: c.ID, From: c.Status, To: to, Reason: reason})
	c.Status = to
	return nil
}

func (w *ackWrites) flush(ctx context.Context, tx store.Tx) error {
	if len(w.acks) > 0 {
		if err := tx.CreateAcknowledgments(ctx, store.CreateAcknowledgmentsParams{Acknowledgments: w.acks}); err != nil {
			return err
		}
	}
	// A claim both moved and numbered is written once, with its move.
	if len(w.icns) > 0 && len(w.moves) > 0 {
		moved := make(map[int64]int, len(w.moves))
		for i, m := range w.moves {
			moved[m.ID] = i
		}
		rest := w.icns[:0]
		for _, n := range w.icns {
			if i, ok := moved[n.ClaimID]; ok && w.moves[i].PayerClaimControlNumber == "" {
				w.moves[i].PayerClaimControlNumber = n.Number
				continue
			}
			rest = append(rest, n)
		}
		w.icns = rest
	}
	if len(w.icns) > 0 {
		if err := tx.SetPayerClaimControlNumbers(ctx, store.SetPayerClaimControlNumbersParams{Numbers: w.icns}); err != nil {
			return err
		}
	}
	if len(w.moves) > 0 {
		if err := tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Moves: w.moves, Actor: w.actor}); err != nil {
			return err
		}
	}
	if len(w.items) > 0 {
		if err := tx.CreateWorklistItems(ctx, store.CreateWorklistItemsParams{Items: w.items}); err != nil {
			return err
		}
	}
	w.acks, w.icns, w.moves, w.items = w.acks[:0], w.icns[:0], w.moves[:0], w.items[:0]
	clear(w.touched)
	return nil
}

// ackBurst collects, over one acknowledgment file, what becomes one
// worklist item for the file rather than one per claim: rejections of
// claims already adjudicated, group responses that do not answer the
// submission they name, and acknowledgments of batches another file
// acknowledged already.
type ackBurst struct {
	late       []lateClaim
	mismatches []string
	replays    []string
	// unknown names what the file acknowledges that the clinic never
	// sent: a TA1's interchange, a 277CA's claims.
	unknown []string
}

type lateClaim struct {
	claim   store.Claim
	reason  string
	details map[string]any
}

// flushBurst raises the file's items: one for its late rejections (see
// lateRejection) and one for the references it could not apply (a
// mismatch, a replay, or what the clinic never sent), listing them all.
func (s *Service) flushBurst(ctx context.Context, tx store.Tx, f store.InboundFile, b *ackBurst) error {
	if err := s.lateRejection(ctx, tx, f, b.late); err != nil {
		return err
	}
	notes := append(append(append([]string(nil), b.mismatches...), b.replays...), b.unknown...)
	if len(notes) == 0 {
		return nil
	}
	title := "Acknowledgment " + f.FileName + " not applied: " + notes[0]
	if len(notes) > 1 {
		title += fmt.Sprintf(" (and %d more)", len(notes)-1)
	}
	raw, err := json.Marshal(map[string]any{"inboundFileId": f.ID, "file": f.FileName, "mismatches": b.mismatches, "replays": b.replays,
		"unknown": b.unknown,
		"action":  "nothing was changed for these; confirm with the payer which submission the acknowledgment answers"})
	if err != nil {
		return err
	}
	_, _, err = tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkRejection, Priority: 2, Title: title, Details: raw,
		DedupeKey: "ack-not-applied:" + strconv.FormatInt(f.ID, 10)})
	return err
}

// apply277 applies a 277CA set-based: the file's claims are loaded with
// one query (by CLM01), each claim status is decided in memory, and the
// acknowledgments, payer claim control numbers, status changes and
// rejection items are written with bulk statements (a claim named twice
// in the file has the first answer written before the second is applied).
func (s *Service) apply277(ctx context.Context, tx store.Tx, f store.InboundFile, res *AckResult) error {
	body, err := s.st.OpenContent(ctx, f.ContentID)
	if err != nil {
		return err
	}
	defer body.Close()
	r := edi.NewReader(body)
	r.File = f.FileName
	acks, err := x277.DecodeReader(r)
	if err != nil {
		return err
	}
	var all []*x277.ClaimStatus
	for _, a := range acks {
		a.Claims(func(_ *x277.BillingProvider, cs *x277.ClaimStatus) { all = append(all, cs) })
	}
	pcns := make([]string, 0, len(all))
	for _, cs := range all {
		pcns = append(pcns, cs.PatientControlNumber)
	}
	// A 277CA moves claims and numbers them: their documents stay unread.
	cs, err := tx.GetClaimsByPatientControlNumbers(ctx, store.KeysParams{Keys: uniqueStrings(pcns), WithoutDocuments: true})
	if err != nil {
		return err
	}
	byPCN := make(map[string]*store.Claim, len(cs))
	for i := range cs {
		byPCN[cs[i].PatientControlNumber] = &cs[i]
	}
	b := &ackBurst{}
	w := &ackWrites{actor: s.opts.Actor, touched: make(map[int64]bool)}
	for _, st := range all {
		c := byPCN[st.PatientControlNumber]
		if c == nil || st.PatientControlNumber == "" {
			res.Unknown = append(res.Unknown, "CLM01 "+st.PatientControlNumber)
			b.unknown = append(b.unknown, fmt.Sprintf("277CA names claim %q (TRN02 at segment %d), never billed", st.PatientControlNumber, st.Position.Segment))
			continue
		}
		if w.touched[c.ID] {
			if err := w.flush(ctx, tx); err != nil {
				return err
			}
		}
		w.touched[c.ID] = true
		if err := s.apply277Claim(f, c, st, w, b, res); err != nil {
			return err
		}
	}
	if err := w.flush(ctx, tx); err != nil {
		return err
	}
	return s.flushBurst(ctx, tx, f, b)
}

// StatusCodeDetail is one STC composite of a 277CA rejection.
type StatusCodeDetail struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Entity   string `json:"entity,omitempty"`
	Message  string `json:"message,omitempty"`
}

// apply277Claim decides what one 277CA claim status does to its claim c,
// collecting the writes in w.
func (s *Service) apply277Claim(f store.InboundFile, c *store.Claim, cs *x277.ClaimStatus, w *ackWrites, b *ackBurst, res *AckResult) error {
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
	w.acks = append(w.acks, store.CreateAcknowledgmentParams{InboundFileID: &f.ID, InterchangeID: c.InterchangeID, ClaimID: &c.ID,
		Kind: store.Ack277CA, ControlNumber: cs.PatientControlNumber, Code: first, Accepted: accepted, Details: details})
	setICN := func() {
		w.icns = append(w.icns, store.ClaimControlNumber{ClaimID: c.ID, Number: cs.PayerClaimControlNumber})
		c.PayerClaimControlNumber = cs.PayerClaimControlNumber
	}
	if c.Status.Adjudicated() {
		// The 835 came first (both arrive in one poll and are processed in
		// either order): the remittance decides the status. The 277CA is
		// recorded above and only fills in the payer's claim control
		// number when the claim has none yet.
		res.AlreadyAdjudicated = append(res.AlreadyAdjudicated, c.ID)
		if c.PayerClaimControlNumber == "" && cs.PayerClaimControlNumber != "" {
			setICN()
		}
		if accepted {
			return nil
		}
		b.late = append(b.late, lateClaim{claim: *c, reason: "277CA " + first, details: map[string]any{"statuses": codes, "location": "Loop 2200D STC"}})
		return nil
	}
	if accepted {
		if cs.PayerClaimControlNumber != "" && cs.PayerClaimControlNumber != c.PayerClaimControlNumber {
			setICN()
		}
		if err := w.move(c, claim.StatusAccepted, "277CA accepted "+first); err != nil {
			if isIllegal(err) {
				return nil
			}
			return err
		}
		res.Accepted = append(res.Accepted, c.ID)
		return nil
	}
	return s.rejectClaim(f, c, "277CA "+first, map[string]any{"statuses": codes, "location": "Loop 2200D STC"}, w, b, res)
}

// lateRejection raises one worklist item for the rejections in a file
// (277CA, or a 999 or TA1 of the claims' interchange) that arrive after the
// claims were adjudicated. Their status is left as the remittance set it:
// staff confirm with the payer which answer stands instead of correcting
// and resubmitting claims that were paid or denied. One claim makes an item
// on that claim; several make one item listing them.
func (s *Service) lateRejection(ctx context.Context, tx store.Tx, f store.InboundFile, late []lateClaim) error {
	if len(late) == 0 {
		return nil
	}
	s.opts.Logger.Info("rejection after adjudication", "claims", len(late), "file", f.ID)
	action := func(status claim.Status) string {
		return "the claim is already " + string(status) + "; confirm with the payer whether the rejection or the remittance stands before correcting or resubmitting"
	}
	if len(late) == 1 {
		c, details := late[0].claim, late[0].details
		details["patientControlNumber"] = c.PatientControlNumber
		details["claimStatus"] = c.Status
		details["action"] = action(c.Status)
		raw, err := json.Marshal(details)
		if err != nil {
			return err
		}
		_, _, err = tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkRejection, Priority: 2, ClaimID: &c.ID,
			PatientID: &c.PatientID, PayerID: &c.PayerID, AmountCents: c.TotalChargeCents,
			Title: "Rejected after adjudication (" + string(c.Status) + "): " + late[0].reason, Details: raw,
			DedupeKey: "late-reject:" + strconv.FormatInt(f.ID, 10) + ":" + strconv.FormatInt(c.ID, 10)})
		return err
	}
	var amount int64
	var claims []map[string]any
	for _, l := range late {
		amount += l.claim.TotalChargeCents
		d := map[string]any{"claimId": l.claim.ID, "patientControlNumber": l.claim.PatientControlNumber, "claimStatus": l.claim.Status,
			"chargeCents": l.claim.TotalChargeCents, "reason": l.reason}
		for k, v := range l.details {
			d[k] = v
		}
		claims = append(claims, d)
	}
	raw, err := json.Marshal(map[string]any{"file": f.FileName, "inboundFileId": f.ID, "claims": claims,
		"action": "the claims are already adjudicated; confirm with the payer whether the rejections or the remittances stand before correcting or resubmitting"})
	if err != nil {
		return err
	}
	_, _, err = tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkRejection, Priority: 2, PayerID: &late[0].claim.PayerID,
		AmountCents: amount, Title: fmt.Sprintf("Rejected after adjudication: %d claims in %s: %s", len(late), f.FileName, late[0].reason),
		Details: raw, DedupeKey: "late-reject:" + strconv.FormatInt(f.ID, 10)})
	return err
}
