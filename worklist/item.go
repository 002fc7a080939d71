package worklist

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
)

// MarshalJSON writes an item in the CLI's JSON shape (camelCase, amounts
// in cents, times in RFC 3339 UTC).
func (it Item) MarshalJSON() ([]byte, error) {
	type view struct {
		ID                   int64           `json:"id"`
		ClinicID             int64           `json:"clinicId"`
		Kind                 string          `json:"kind"`
		Status               string          `json:"status"`
		Priority             int             `json:"priority"`
		ClaimID              *int64          `json:"claimId,omitempty"`
		PatientControlNumber string          `json:"patientControlNumber,omitempty"`
		PatientID            *int64          `json:"patientId,omitempty"`
		PayerCode            string          `json:"payerCode,omitempty"`
		PayerName            string          `json:"payerName,omitempty"`
		AppointmentID        *int64          `json:"appointmentId,omitempty"`
		Assignee             string          `json:"assignee,omitempty"`
		AmountCents          int64           `json:"amountCents"`
		AgeDays              int             `json:"ageDays"`
		Title                string          `json:"title"`
		Action               string          `json:"action,omitempty"`
		Resolution           string          `json:"resolution,omitempty"`
		CreatedAt            time.Time       `json:"createdAt"`
		ResolvedAt           *time.Time      `json:"resolvedAt,omitempty"`
		Details              json.RawMessage `json:"details,omitempty"`
	}
	return json.Marshal(view{ID: it.ID, ClinicID: it.ClinicID, Kind: it.Kind, Status: it.Status, Priority: it.Priority, ClaimID: it.ClaimID,
		PatientControlNumber: it.PatientControlNumber, PatientID: it.PatientID, PayerCode: it.PayerCode, PayerName: it.PayerName,
		AppointmentID: it.AppointmentID, Assignee: it.Assignee, AmountCents: it.AmountCents, AgeDays: it.AgeDays, Title: it.Title,
		Action: it.Action, Resolution: it.Resolution, CreatedAt: it.CreatedAt.UTC(), ResolvedAt: it.ResolvedAt, Details: canonicalJSON(it.Details)})
}

// canonicalJSON re-encodes a JSON document with sorted keys and no spaces,
// so output does not depend on how a backend stored it (PostgreSQL jsonb
// reorders keys).
func canonicalJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

// Problem is one thing wrong that an item records: a scrub finding, a 999
// or TA1 error, a 277CA status or a denial reason, with where it is in the
// X12 and what to do.
type Problem struct {
	// Source is scrub, 999, 277CA or 835.
	Source string `json:"source"`
	// Location is the X12 location: loop, segment and element (e.g. "Loop
	// 2300 CLM05-3", "segment 12 NM1 in loop 2010BA, element 9").
	Location string `json:"location,omitempty"`
	// Code is the rule ID, error code (IK403:7), STC category:status:entity
	// or CAS group-reason (CO-16).
	Code        string `json:"code"`
	Message     string `json:"message,omitempty"`
	Action      string `json:"action,omitempty"`
	AmountCents int64  `json:"amountCents,omitempty"`
}

// Note is one staff note on an item (kept in its Details under "notes").
type Note struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Text  string    `json:"text"`
}

// Payment is a claim payment (Loop 2100 CLP) with its remittance and remark
// codes.
type Payment struct {
	store.ClaimPayment
	TraceNumber string    `json:"traceNumber"`
	PaymentDate time.Time `json:"paymentDate"`
	// Remarks are the RARCs (MOA, LQ*HE).
	Remarks []string `json:"remarks,omitempty"`
}

// Detail is everything `worklist show` prints about an item.
type Detail struct {
	Item Item
	// Claim is the item's claim, when it has one, with its status history.
	Claim   *store.Claim
	History []store.ClaimStatusChange
	// Payment is the claim's latest 835 claim payment (reversals aside).
	Payment *Payment
	// Problems are the rejection, scrub or denial details with their X12
	// locations and suggested actions.
	Problems []Problem
	Notes    []Note
	// Related are the claim's other items (appeals, earlier rejections).
	Related []store.WorklistItem
}

// Show gathers an item's detail. clinicID zero looks the item up in every
// clinic.
func (s *Service) Show(ctx context.Context, clinicID, itemID int64) (*Detail, error) {
	w, err := s.Find(ctx, clinicID, itemID)
	if err != nil {
		return nil, err
	}
	payers, err := s.payers(ctx, w.ClinicID)
	if err != nil {
		return nil, err
	}
	d := &Detail{Problems: problems(w), Notes: notes(w.Details)}
	pcns := map[int64]string{}
	if w.ClaimID != nil {
		ref := store.Ref{ClinicID: w.ClinicID, ID: *w.ClaimID}
		c, err := s.st.GetClaim(ctx, ref)
		if err != nil {
			return nil, err
		}
		d.Claim = &c
		pcns[c.ID] = c.PatientControlNumber
		if d.History, err = s.st.ListClaimStatusHistory(ctx, ref); err != nil {
			return nil, err
		}
		if d.Payment, err = s.latestPayment(ctx, c); err != nil {
			return nil, err
		}
		rel, err := s.st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: w.ClinicID, ClaimID: c.ID})
		if err != nil {
			return nil, err
		}
		for _, r := range rel {
			if r.ID != w.ID {
				d.Related = append(d.Related, r)
			}
		}
	}
	d.Item = decorate(w, s.now().UTC(), payers, pcns)
	return d, nil
}

func (s *Service) latestPayment(ctx context.Context, c store.Claim) (*Payment, error) {
	cps, err := s.st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: c.ClinicID, ClaimID: c.ID})
	if err != nil {
		return nil, err
	}
	for i := len(cps) - 1; i >= 0; i-- {
		cp := cps[i]
		if cp.StatusCode == "22" { // CLP02 22: reversal of a previous payment
			continue
		}
		p := &Payment{ClaimPayment: cp}
		var doc struct {
			Remarks []string `json:"remarks"`
		}
		if json.Unmarshal(cp.Document, &doc) == nil {
			p.Remarks = doc.Remarks
		}
		r, err := s.st.GetRemittance(ctx, store.Ref{ClinicID: c.ClinicID, ID: cp.RemittanceID})
		if err != nil {
			return nil, err
		}
		p.TraceNumber, p.PaymentDate = r.TraceNumber, r.PaymentDate
		return p, nil
	}
	return nil, nil
}

// problems reads the details billing records on each kind of item.
func problems(w store.WorklistItem) []Problem {
	var d struct {
		Action   string                       `json:"action"`
		Location string                       `json:"location"`
		Findings []billing.ScrubFindingDetail `json:"findings"`
		Errors   []billing.AckErrorLocation   `json:"errors"`
		Statuses []billing.StatusCodeDetail   `json:"statuses"`
		Reasons  []billing.DenialReason       `json:"reasons"`
		Holds    []billing.Hold               `json:"holds"`
		Position string                       `json:"position"`
	}
	if json.Unmarshal(w.Details, &d) != nil {
		return nil
	}
	var out []Problem
	for _, f := range d.Findings {
		out = append(out, Problem{Source: "scrub", Location: f.Location, Code: f.Rule, Message: f.Message, Action: f.Fix})
	}
	for _, e := range d.Errors {
		out = append(out, Problem{Source: "999", Location: ackLocation(e), Code: e.Code, Message: e.Value, Action: d.Action})
	}
	for _, st := range d.Statuses {
		code := st.Category + ":" + st.Code
		if st.Entity != "" {
			code += ":" + st.Entity
		}
		out = append(out, Problem{Source: "277CA", Location: cmpOr(d.Location, "Loop 2200D STC"), Code: code, Message: st.Message, Action: d.Action})
	}
	for _, r := range d.Reasons {
		loc := "Loop 2100 CAS"
		if r.Line > 0 {
			loc = fmt.Sprintf("Loop 2110 CAS (service line %d)", r.Line)
		}
		out = append(out, Problem{Source: "835", Location: loc, Code: r.Group + "-" + r.Reason, Message: r.Note, Action: r.Action, AmountCents: r.Amount})
	}
	for _, h := range d.Holds {
		out = append(out, Problem{Source: "835", Location: h.Position, Code: "hold:" + h.Reason, Message: h.Message, Action: d.Action,
			AmountCents: h.AmountCents})
	}
	if len(out) == 0 && d.Position != "" {
		out = append(out, Problem{Source: "835", Location: d.Position, Code: w.Kind, Message: w.Title, Action: d.Action})
	}
	return out
}

// ackLocation spells a 999 error position: the segment (IK301) at its
// position in the transaction set (IK302) in its loop (IK303), and the
// element (IK401) and component.
func ackLocation(e billing.AckErrorLocation) string {
	var b strings.Builder
	if e.Loop != "" {
		b.WriteString("Loop " + e.Loop + " ")
	}
	b.WriteString(e.Segment)
	if e.Element > 0 {
		fmt.Fprintf(&b, "%02d", e.Element)
		if e.Component > 0 {
			fmt.Fprintf(&b, "-%d", e.Component)
		}
	}
	if e.Position > 0 {
		fmt.Fprintf(&b, " (segment %d)", e.Position)
	}
	return b.String()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func notes(details json.RawMessage) []Note {
	var d struct {
		Notes []Note `json:"notes"`
	}
	_ = json.Unmarshal(details, &d)
	return d.Notes
}

// withDetail returns details with key set to v, keeping every other key.
func withDetail(details json.RawMessage, key string, v any) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(details) > 0 {
		if err := json.Unmarshal(details, &m); err != nil || m == nil {
			m = map[string]json.RawMessage{"previous": details}
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m[key] = raw
	return json.Marshal(m)
}

// Assign gives an item to a user (empty unassigns it); an open item moves
// to in_progress.
func (s *Service) Assign(ctx context.Context, ref store.Ref, assignee, actor string) (store.WorklistItem, error) {
	if err := requireActor(actor); err != nil {
		return store.WorklistItem{}, err
	}
	return s.updateItem(ctx, ref, actor, func(w store.WorklistItem, p *store.UpdateWorklistItemParams) (string, any, error) {
		if closed(w) {
			return "", nil, fmt.Errorf("%w: item %d is %s", ErrNotAllowed, w.ID, w.Status)
		}
		p.Assignee = &assignee
		if w.Status == store.WorkOpen && assignee != "" {
			st := store.WorkInProgress
			p.Status = &st
		}
		return "worklist.assign", map[string]any{"from": w.Assignee, "to": assignee}, nil
	})
}

// AddNote appends a note to an item.
func (s *Service) AddNote(ctx context.Context, ref store.Ref, text, actor string) (store.WorklistItem, error) {
	if err := requireActor(actor); err != nil {
		return store.WorklistItem{}, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return store.WorklistItem{}, fmt.Errorf("%w: empty note", ErrInvalid)
	}
	return s.updateItem(ctx, ref, actor, func(w store.WorklistItem, p *store.UpdateWorklistItemParams) (string, any, error) {
		ns := append(notes(w.Details), Note{At: s.now().UTC(), Actor: actor, Text: text})
		raw, err := withDetail(w.Details, "notes", ns)
		if err != nil {
			return "", nil, err
		}
		p.Details = raw
		return "worklist.note", map[string]any{"text": text}, nil
	})
}

// Resolve closes an item as resolved (or dismissed) with a resolution.
func (s *Service) Resolve(ctx context.Context, ref store.Ref, resolution string, dismiss bool, actor string) (store.WorklistItem, error) {
	if err := requireActor(actor); err != nil {
		return store.WorklistItem{}, err
	}
	return s.updateItem(ctx, ref, actor, func(w store.WorklistItem, p *store.UpdateWorklistItemParams) (string, any, error) {
		if closed(w) {
			return "", nil, fmt.Errorf("%w: item %d is already %s", ErrNotAllowed, w.ID, w.Status)
		}
		st := store.WorkResolved
		if dismiss {
			st = store.WorkDismissed
		}
		p.Status, p.Resolution = &st, &resolution
		return "worklist." + map[bool]string{false: "resolve", true: "dismiss"}[dismiss], map[string]any{"resolution": resolution}, nil
	})
}

func closed(w store.WorklistItem) bool {
	return w.Status == store.WorkResolved || w.Status == store.WorkDismissed
}

// updateItem reads an item, lets change fill the update and name the audit
// action, and writes both in one transaction.
func (s *Service) updateItem(ctx context.Context, ref store.Ref, actor string, change func(store.WorklistItem, *store.UpdateWorklistItemParams) (string, any, error)) (store.WorklistItem, error) {
	var out store.WorklistItem
	if ref.ClinicID == 0 {
		w, err := s.Find(ctx, 0, ref.ID)
		if err != nil {
			return out, err
		}
		ref.ClinicID = w.ClinicID
	}
	err := s.st.InTx(ctx, ref.ClinicID, func(tx store.Tx) error {
		w, err := tx.GetWorklistItem(ctx, ref)
		if err != nil {
			return err
		}
		p := store.UpdateWorklistItemParams{ClinicID: ref.ClinicID, ID: ref.ID}
		action, details, err := change(w, &p)
		if err != nil {
			return err
		}
		if out, err = tx.UpdateWorklistItem(ctx, p); err != nil {
			return err
		}
		return audit(ctx, tx, actor, action, "worklist_item", w.ID, details)
	})
	return out, err
}

// resolveClaimItems resolves the open items of a claim (appeals aside)
// with a resolution, returning their IDs.
func resolveClaimItems(ctx context.Context, tx store.Tx, claimID int64, resolution string) ([]int64, error) {
	items, err := tx.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: tx.ClinicID(), ClaimID: claimID,
		Statuses: []string{store.WorkOpen, store.WorkInProgress}})
	if err != nil {
		return nil, err
	}
	var ids []int64
	st := store.WorkResolved
	for _, w := range items {
		if w.Kind == KindAppeal {
			continue
		}
		if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: tx.ClinicID(), ID: w.ID, Status: &st,
			Resolution: &resolution}); err != nil {
			return nil, err
		}
		ids = append(ids, w.ID)
	}
	slices.Sort(ids)
	return ids, nil
}
