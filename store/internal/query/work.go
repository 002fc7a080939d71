package query

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/clearhouse/clearhouse/store"
)

// Worklist.

const workCols = `id, clinic_id, kind, status, priority, claim_id, patient_id, payer_id, appointment_id, assignee,
	amount_cents, title, details, dedupe_key, due_at, resolution, resolved_at, created_at, updated_at`

func (q *Queries) scanWork(r Row) (store.WorklistItem, error) {
	var w store.WorklistItem
	var dedupe *string
	err := r.Scan(&w.ID, &w.ClinicID, &w.Kind, &w.Status, &w.Priority, &w.ClaimID, &w.PatientID, &w.PayerID, &w.AppointmentID,
		&w.Assignee, &w.AmountCents, &w.Title, q.doc("worklist_items.details", &w.Details), &dedupe, NullTS(&w.DueAt), &w.Resolution,
		NullTS(&w.ResolvedAt), TS(&w.CreatedAt), TS(&w.UpdatedAt))
	if dedupe != nil {
		w.DedupeKey = *dedupe
	}
	return w, err
}

var workStatuses = []string{store.WorkOpen, store.WorkInProgress, store.WorkResolved, store.WorkDismissed}

func (q *Queries) CreateWorklistItem(ctx context.Context, p store.CreateWorklistItemParams) (store.WorklistItem, bool, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.WorklistItem{}, false, err
	}
	if err := required("Kind", p.Kind); err != nil {
		return store.WorklistItem{}, false, err
	}
	p.Status = def(p.Status, store.WorkOpen)
	if err := oneOf("Status", p.Status, workStatuses...); err != nil {
		return store.WorklistItem{}, false, err
	}
	details, err := docArg("Details", p.Details, "{}")
	if err != nil {
		return store.WorklistItem{}, false, err
	}
	s := q.sealer()
	if details = s.doc("worklist_items.details", details); s.err != nil {
		return store.WorklistItem{}, false, s.err
	}
	var dedupe any
	if p.DedupeKey != "" {
		dedupe = p.DedupeKey
	}
	w, err := q.scanWork(q.c.QueryRow(ctx, `INSERT INTO worklist_items (clinic_id, kind, status, priority, claim_id, patient_id,
		payer_id, appointment_id, assignee, amount_cents, title, details, dedupe_key, due_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
		ON CONFLICT (clinic_id, dedupe_key) DO NOTHING RETURNING `+workCols,
		cid, p.Kind, p.Status, p.Priority, p.ClaimID, p.PatientID, p.PayerID, p.AppointmentID, p.Assignee, p.AmountCents,
		p.Title, details, dedupe, p.DueAt, q.Now()))
	if err == nil {
		return w, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) || p.DedupeKey == "" {
		return w, false, fmt.Errorf("worklist item %s: %w", p.Kind, err)
	}
	w, err = q.scanWork(q.c.QueryRow(ctx, "SELECT "+workCols+" FROM worklist_items WHERE clinic_id = $1 AND dedupe_key = $2", cid, p.DedupeKey))
	if err != nil {
		return w, false, fmt.Errorf("worklist item %q: %w", p.DedupeKey, err)
	}
	return w, false, nil
}

func (q *Queries) GetWorklistItem(ctx context.Context, ref store.Ref) (store.WorklistItem, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.WorklistItem{}, err
	}
	w, err := q.scanWork(q.c.QueryRow(ctx, "SELECT "+workCols+" FROM worklist_items WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return w, wrap("worklist item", ref.ID, err)
}

func (q *Queries) ListWorklistItems(ctx context.Context, p store.ListWorklistItemsParams) ([]store.WorklistItem, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + workCols + " FROM worklist_items")
	b.cond("clinic_id = ?", cid)
	b.in("kind", p.Kinds)
	b.in("status", p.Statuses)
	if p.PayerID != 0 {
		b.cond("payer_id = ?", p.PayerID)
	}
	if p.ClaimID != 0 {
		b.cond("claim_id = ?", p.ClaimID)
	}
	if p.Assignee != "" {
		b.cond("assignee = ?", p.Assignee)
	}
	if p.Unassigned {
		b.cond("assignee = ''")
	}
	if !p.CreatedBefore.IsZero() {
		b.cond("created_at < ?", p.CreatedBefore)
	}
	if p.MinAmountCents != 0 {
		b.cond("amount_cents >= ?", p.MinAmountCents)
	}
	if p.MaxAmountCents != 0 {
		b.cond("amount_cents <= ?", p.MaxAmountCents)
	}
	switch p.OrderBy {
	case store.WorkOrderID:
		if p.AfterID > 0 {
			b.cond("id > ?", p.AfterID)
		}
		b.add(" ORDER BY id")
	case store.WorkOrderOldest:
		b.add(" ORDER BY created_at, id")
	case store.WorkOrderAmountDesc:
		b.add(" ORDER BY amount_cents DESC, id")
	case store.WorkOrderPriorityDesc:
		b.add(" ORDER BY priority DESC, created_at, id")
	default:
		return nil, oneOf("OrderBy", p.OrderBy, store.WorkOrderOldest, store.WorkOrderAmountDesc, store.WorkOrderPriorityDesc)
	}
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, q.scanWork)
}

func (q *Queries) UpdateWorklistItem(ctx context.Context, p store.UpdateWorklistItemParams) (store.WorklistItem, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.WorklistItem{}, err
	}
	var status, details any
	closed := false
	if p.Status != nil {
		if err := oneOf("Status", *p.Status, workStatuses...); err != nil {
			return store.WorklistItem{}, err
		}
		status = *p.Status
		closed = *p.Status == store.WorkResolved || *p.Status == store.WorkDismissed
	}
	if len(p.Details) > 0 {
		d, err := docArg("Details", p.Details, "{}")
		if err != nil {
			return store.WorklistItem{}, err
		}
		s := q.sealer()
		if details = s.doc("worklist_items.details", d); s.err != nil {
			return store.WorklistItem{}, s.err
		}
	}
	// resolved_at: kept (0), set when the item closes (1), cleared when it
	// reopens (2).
	mode := int64(0)
	if p.Status != nil {
		mode = 2
		if closed {
			mode = 1
		}
	}
	now := q.Now()
	w, err := q.scanWork(q.c.QueryRow(ctx, `UPDATE worklist_items SET
		status = COALESCE($3, status),
		assignee = COALESCE($4, assignee),
		priority = COALESCE($5, priority),
		resolution = COALESCE($6, resolution),
		details = COALESCE($7, details),
		due_at = COALESCE($8, due_at),
		updated_at = $9,
		resolved_at = CASE WHEN $10 = 1 THEN COALESCE(resolved_at, $9) WHEN $10 = 2 THEN NULL ELSE resolved_at END,
		amount_cents = COALESCE($11, amount_cents),
		title = COALESCE($12, title)
		WHERE clinic_id = $1 AND id = $2 RETURNING `+workCols,
		cid, p.ID, status, p.Assignee, p.Priority, p.Resolution, details, p.DueAt, now, mode, p.AmountCents, p.Title))
	return w, wrap("worklist item", p.ID, err)
}

// Audit log.

const auditCols = "clinic_id, seq, actor, action, entity_type, entity_id, at, details, prev_hash, hash"

func scanAudit(r Row) (store.AuditEvent, error) {
	var e store.AuditEvent
	var details string
	err := r.Scan(&e.ClinicID, &e.Seq, &e.Actor, &e.Action, &e.EntityType, &e.EntityID, TS(&e.At), &details, &e.PrevHash, &e.Hash)
	e.Details = []byte(details)
	return e, err
}

func (q *Queries) AppendAuditEvent(ctx context.Context, p store.AppendAuditEventParams) (store.AuditEvent, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.AuditEvent{}, err
	}
	if err := required("Actor", p.Actor); err != nil {
		return store.AuditEvent{}, err
	}
	if err := required("Action", p.Action); err != nil {
		return store.AuditEvent{}, err
	}
	details, err := docArg("Details", p.Details, "{}")
	if err != nil {
		return store.AuditEvent{}, err
	}
	// The head row is the chain's lock: the UPDATE holds it until commit,
	// so appends to one clinic's chain are serialized.
	if _, err := q.c.Exec(ctx, `INSERT INTO audit_heads (clinic_id, last_seq, last_hash) VALUES ($1, 0, '')
		ON CONFLICT (clinic_id) DO NOTHING`, cid); err != nil {
		return store.AuditEvent{}, fmt.Errorf("audit head: %w", err)
	}
	e := store.AuditEvent{ClinicID: cid, Actor: p.Actor, Action: p.Action, EntityType: p.EntityType, EntityID: p.EntityID,
		At: q.Now(), Details: details}
	if err := q.c.QueryRow(ctx, `UPDATE audit_heads SET last_seq = last_seq + 1 WHERE clinic_id = $1
		RETURNING last_seq, last_hash`, cid).Scan(&e.Seq, &e.PrevHash); err != nil {
		return store.AuditEvent{}, fmt.Errorf("audit head: %w", err)
	}
	e.Hash = store.AuditHash(e)
	if _, err := q.c.Exec(ctx, `INSERT INTO audit_events (`+auditCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		cid, e.Seq, e.Actor, e.Action, e.EntityType, e.EntityID, e.At, string(e.Details), e.PrevHash, e.Hash); err != nil {
		return store.AuditEvent{}, fmt.Errorf("audit event %d: %w", e.Seq, err)
	}
	if _, err := q.c.Exec(ctx, "UPDATE audit_heads SET last_hash = $2 WHERE clinic_id = $1", cid, e.Hash); err != nil {
		return store.AuditEvent{}, fmt.Errorf("audit head: %w", err)
	}
	return e, nil
}

// auditBatch is how many events one INSERT carries (10 parameters each,
// under SQLite's 32,766 and PostgreSQL's 65,535).
const auditBatch = 3000

// AppendAuditEvents appends p.Events to the clinic's chain: the head is
// advanced once for all of them, the hashes are chained in memory, and the
// rows go in with multi-row INSERTs.
func (q *Queries) AppendAuditEvents(ctx context.Context, p store.AppendAuditEventsParams) ([]store.AuditEvent, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil || len(p.Events) == 0 {
		return nil, err
	}
	events := make([]store.AuditEvent, len(p.Events))
	now := q.Now()
	for i, ep := range p.Events {
		if ep.ClinicID != 0 && ep.ClinicID != cid {
			return nil, store.ErrClinicMismatch
		}
		if err := required("Actor", ep.Actor); err != nil {
			return nil, err
		}
		if err := required("Action", ep.Action); err != nil {
			return nil, err
		}
		details, err := docArg("Details", ep.Details, "{}")
		if err != nil {
			return nil, err
		}
		events[i] = store.AuditEvent{ClinicID: cid, Actor: ep.Actor, Action: ep.Action, EntityType: ep.EntityType,
			EntityID: ep.EntityID, At: now, Details: details}
	}
	if _, err := q.c.Exec(ctx, `INSERT INTO audit_heads (clinic_id, last_seq, last_hash) VALUES ($1, 0, '')
		ON CONFLICT (clinic_id) DO NOTHING`, cid); err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	var last int64
	var prev string
	if err := q.c.QueryRow(ctx, `UPDATE audit_heads SET last_seq = last_seq + $2 WHERE clinic_id = $1
		RETURNING last_seq, last_hash`, cid, int64(len(events))).Scan(&last, &prev); err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	seq := last - int64(len(events))
	for i := range events {
		seq++
		events[i].Seq, events[i].PrevHash = seq, prev
		events[i].Hash = store.AuditHash(events[i])
		prev = events[i].Hash
	}
	for start := 0; start < len(events); start += auditBatch {
		chunk := events[start:min(start+auditBatch, len(events))]
		var sb strings.Builder
		sb.WriteString("INSERT INTO audit_events (" + auditCols + ") VALUES ")
		args := make([]any, 0, 10*len(chunk))
		for i, e := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10)
			args = append(args, cid, e.Seq, e.Actor, e.Action, e.EntityType, e.EntityID, e.At, string(e.Details), e.PrevHash, e.Hash)
		}
		if _, err := q.c.Exec(ctx, sb.String(), args...); err != nil {
			return nil, fmt.Errorf("audit events %d-%d: %w", chunk[0].Seq, chunk[len(chunk)-1].Seq, err)
		}
	}
	if _, err := q.c.Exec(ctx, "UPDATE audit_heads SET last_hash = $2 WHERE clinic_id = $1", cid, prev); err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	return events, nil
}

func (q *Queries) ListAuditEvents(ctx context.Context, p store.ListAuditEventsParams) ([]store.AuditEvent, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + auditCols + " FROM audit_events")
	b.cond("clinic_id = ?", cid)
	if p.AfterSeq > 0 {
		b.cond("seq > ?", p.AfterSeq)
	}
	if p.Actor != "" {
		b.cond("actor = ?", p.Actor)
	}
	if p.EntityType != "" {
		b.cond("entity_type = ?", p.EntityType)
	}
	if p.EntityID != "" {
		b.cond("entity_id = ?", p.EntityID)
	}
	if !p.From.IsZero() {
		b.cond("at >= ?", p.From)
	}
	if !p.To.IsZero() {
		b.cond("at < ?", p.To)
	}
	b.add(" ORDER BY seq")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanAudit)
}

func (q *Queries) VerifyAuditChain(ctx context.Context, p store.VerifyAuditChainParams) (store.AuditVerification, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.AuditVerification{}, err
	}
	events, err := q.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: cid})
	if err != nil {
		return store.AuditVerification{}, err
	}
	var head store.AuditHead
	err = q.c.QueryRow(ctx, "SELECT last_seq, last_hash FROM audit_heads WHERE clinic_id = $1", cid).Scan(&head.LastSeq, &head.LastHash)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.AuditVerification{}, fmt.Errorf("audit head: %w", err)
	}
	return store.VerifyAuditEvents(cid, events, head), nil
}
