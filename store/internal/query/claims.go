package query

import (
	"context"
	"errors"
	"fmt"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// claimCols are a claim's columns, selected or returned from the claims
// table (not aliased); the document is read from claim_documents, its own
// table, so that the status moves that rewrite a claims row do not copy it.
// claimColsNoDocument have NULL in its place.
const (
	claimColsBefore = `id, clinic_id, payer_id, patient_id, encounter_id, patient_control_number, kind, status, frequency_code,
	original_claim_id, payer_claim_control_number, total_charge_cents, service_date_from, service_date_to, interchange_id, `
	claimColsAfter      = `, created_at, updated_at`
	claimCols           = claimColsBefore + `(SELECT d.document FROM claim_documents d WHERE d.clinic_id = claims.clinic_id AND d.claim_id = claims.id)` + claimColsAfter
	claimColsNoDocument = claimColsBefore + `NULL` + claimColsAfter
)

// claimColumns are the claim columns to select, with or without the
// document.
func claimColumns(withoutDocument bool) string {
	if withoutDocument {
		return claimColsNoDocument
	}
	return claimCols
}

func (q *Queries) scanClaim(r Row) (store.Claim, error) {
	var c store.Claim
	err := r.Scan(&c.ID, &c.ClinicID, &c.PayerID, &c.PatientID, &c.EncounterID, &c.PatientControlNumber, &c.Kind, &c.Status,
		&c.FrequencyCode, &c.OriginalClaimID, &c.PayerClaimControlNumber, &c.TotalChargeCents, TS(&c.ServiceDateFrom),
		TS(&c.ServiceDateTo), &c.InterchangeID, q.doc("claims.document", &c.Document), TS(&c.CreatedAt), TS(&c.UpdatedAt))
	return c, err
}

// ClaimStatuses are the valid claim statuses.
var ClaimStatuses = claim.Statuses()

// NormalizeClaim validates claim params and fills their defaults; the bulk
// paths share it.
func NormalizeClaim(p store.CreateClaimParams) (store.CreateClaimParams, error) {
	if err := required("PatientControlNumber", p.PatientControlNumber); err != nil {
		return p, err
	}
	if len(p.PatientControlNumber) > 38 {
		// CLM01 is at most 38 characters (005010X222A1 Loop 2300 CLM01).
		return p, &store.FieldError{Field: "PatientControlNumber (longer than 38)", Err: store.ErrInvalid}
	}
	if p.PayerID == 0 || p.PatientID == 0 {
		return p, &store.FieldError{Field: "PayerID/PatientID (required)", Err: store.ErrInvalid}
	}
	p.Kind = def(p.Kind, store.ClaimProfessional)
	if err := oneOf("Kind", p.Kind, store.ClaimProfessional, store.ClaimInstitutional); err != nil {
		return p, err
	}
	p.Status = def(p.Status, claim.StatusDraft)
	if err := oneOf("Status", p.Status, ClaimStatuses...); err != nil {
		return p, err
	}
	p.FrequencyCode = def(p.FrequencyCode, "1")
	doc, err := docArg("Document", p.Document, "{}")
	if err != nil {
		return p, err
	}
	p.Document = doc
	p.ServiceDateFrom = store.TruncateDate(p.ServiceDateFrom)
	p.ServiceDateTo = store.TruncateDate(p.ServiceDateTo)
	return p, nil
}

func (q *Queries) CreateClaim(ctx context.Context, p store.CreateClaimParams) (store.Claim, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Claim{}, err
	}
	if p, err = NormalizeClaim(p); err != nil {
		return store.Claim{}, err
	}
	s := q.sealer()
	if p.Document = s.doc("claims.document", p.Document); s.err != nil {
		return store.Claim{}, fmt.Errorf("claim %q: %w", p.PatientControlNumber, s.err)
	}
	now := q.Now()
	var id int64
	err = q.c.QueryRow(ctx, `INSERT INTO claims (clinic_id, payer_id, patient_id, encounter_id,
		patient_control_number, kind, status, initial_status, created_by, frequency_code, original_claim_id,
		payer_claim_control_number, total_charge_cents, service_date_from, service_date_to, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
		cid, p.PayerID, p.PatientID, p.EncounterID, p.PatientControlNumber, p.Kind, string(p.Status), p.Actor, p.FrequencyCode,
		p.OriginalClaimID, p.PayerClaimControlNumber, p.TotalChargeCents, Date(p.ServiceDateFrom), Date(p.ServiceDateTo),
		now).Scan(&id)
	if err == nil {
		_, err = q.c.Exec(ctx, `INSERT INTO claim_documents (clinic_id, claim_id, document) VALUES ($1, $2, $3)`, cid, id, p.Document)
	}
	var c store.Claim
	if err == nil {
		c, err = q.scanClaim(q.c.QueryRow(ctx, "SELECT "+claimCols+" FROM claims WHERE clinic_id = $1 AND id = $2", cid, id))
	}
	if err != nil {
		return c, fmt.Errorf("claim %q: %w", p.PatientControlNumber, err)
	}
	return c, nil
}

func (q *Queries) addHistory(ctx context.Context, claimID int64, from, to claim.Status, reason, actor string, at any) error {
	_, err := q.c.Exec(ctx, `INSERT INTO claim_status_history (clinic_id, claim_id, from_status, to_status, reason, actor, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, q.clinic, claimID, string(from), string(to), reason, actor, at)
	return err
}

func (q *Queries) GetClaim(ctx context.Context, ref store.Ref) (store.Claim, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Claim{}, err
	}
	c, err := q.scanClaim(q.c.QueryRow(ctx, "SELECT "+claimCols+" FROM claims WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return c, wrap("claim", ref.ID, err)
}

func (q *Queries) GetClaimByPatientControlNumber(ctx context.Context, p store.GetClaimByPatientControlNumberParams) (store.Claim, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Claim{}, err
	}
	c, err := q.scanClaim(q.c.QueryRow(ctx, "SELECT "+claimCols+" FROM claims WHERE clinic_id = $1 AND patient_control_number = $2",
		cid, p.PatientControlNumber))
	if err != nil {
		return c, fmt.Errorf("claim %q: %w", p.PatientControlNumber, err)
	}
	return c, nil
}

func (q *Queries) GetClaimByPayerClaimControlNumber(ctx context.Context, p store.GetClaimByPayerClaimControlNumberParams) (store.Claim, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Claim{}, err
	}
	if err := required("PayerClaimControlNumber", p.PayerClaimControlNumber); err != nil {
		return store.Claim{}, err
	}
	c, err := q.scanClaim(q.c.QueryRow(ctx, "SELECT "+claimCols+` FROM claims WHERE clinic_id = $1 AND payer_claim_control_number = $2
		ORDER BY id DESC LIMIT 1`, cid, p.PayerClaimControlNumber))
	if err != nil {
		return c, fmt.Errorf("claim with payer control number %q: %w", p.PayerClaimControlNumber, err)
	}
	return c, nil
}

func (q *Queries) ListClaims(ctx context.Context, p store.ListClaimsParams) ([]store.Claim, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + claimCols + " FROM claims")
	claimFilter(&b, cid, p)
	b.add(" ORDER BY id")
	b.limit(p.Limit)
	if p.SkipLocked && q.d != SQLite {
		b.add(" FOR UPDATE SKIP LOCKED")
	}
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, q.scanClaim)
}

// claimFilter adds the conditions of p but its limit.
func claimFilter(b *builder, cid int64, p store.ListClaimsParams) {
	b.cond("clinic_id = ?", cid)
	b.in("status", statusStrings(p.Statuses))
	if p.PayerID != 0 {
		b.cond("payer_id = ?", p.PayerID)
	}
	if p.PatientID != 0 {
		b.cond("patient_id = ?", p.PatientID)
	}
	if p.InterchangeID != 0 {
		b.cond("interchange_id = ?", p.InterchangeID)
	}
	if !p.ServiceFrom.IsZero() {
		b.cond("service_date_from >= ?", Date(p.ServiceFrom))
	}
	if !p.ServiceTo.IsZero() {
		b.cond("service_date_from <= ?", Date(p.ServiceTo))
	}
	if p.AfterID > 0 {
		b.cond("id > ?", p.AfterID)
	}
}

func (q *Queries) UpdateClaim(ctx context.Context, p store.UpdateClaimParams) (store.Claim, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Claim{}, err
	}
	var doc any
	if len(p.Document) > 0 {
		d, err := docArg("Document", p.Document, "{}")
		if err != nil {
			return store.Claim{}, err
		}
		s := q.sealer()
		if doc = s.doc("claims.document", d); s.err != nil {
			return store.Claim{}, wrap("claim", p.ID, s.err)
		}
	}
	var from, to any
	if p.ServiceDateFrom != nil {
		from = Date(*p.ServiceDateFrom)
	}
	if p.ServiceDateTo != nil {
		to = Date(*p.ServiceDateTo)
	}
	if doc != nil {
		// The document first: the claims row's RETURNING reads it back.
		if _, err := q.c.Exec(ctx, "UPDATE claim_documents SET document = $3 WHERE clinic_id = $1 AND claim_id = $2", cid, p.ID, doc); err != nil {
			return store.Claim{}, wrap("claim", p.ID, err)
		}
	}
	c, err := q.scanClaim(q.c.QueryRow(ctx, `UPDATE claims SET
		payer_id = COALESCE($3, payer_id),
		frequency_code = COALESCE($4, frequency_code),
		payer_claim_control_number = COALESCE($5, payer_claim_control_number),
		total_charge_cents = COALESCE($6, total_charge_cents),
		service_date_from = COALESCE($7, service_date_from),
		service_date_to = COALESCE($8, service_date_to),
		interchange_id = COALESCE($9, interchange_id),
		updated_at = $10
		WHERE clinic_id = $1 AND id = $2 RETURNING `+claimCols,
		cid, p.ID, p.PayerID, p.FrequencyCode, p.PayerClaimControlNumber, p.TotalChargeCents, from, to, p.InterchangeID,
		q.Now()))
	return c, wrap("claim", p.ID, err)
}

func (q *Queries) SetClaimStatus(ctx context.Context, p store.SetClaimStatusParams) (store.Claim, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Claim{}, err
	}
	if err := oneOf("Status", p.Status, ClaimStatuses...); err != nil {
		return store.Claim{}, err
	}
	var current claim.Status
	if err := q.c.QueryRow(ctx, "SELECT status FROM claims WHERE clinic_id = $1 AND id = $2", cid, p.ID).Scan(&current); err != nil {
		return store.Claim{}, wrap("claim", p.ID, err)
	}
	if p.From != "" && current != p.From {
		return store.Claim{}, fmt.Errorf("claim %d is %s, not %s: %w", p.ID, current, p.From, store.ErrConflict)
	}
	now := q.Now()
	c, err := q.scanClaim(q.c.QueryRow(ctx, `UPDATE claims SET status = $3, updated_at = $4
		WHERE clinic_id = $1 AND id = $2 AND status = $5 RETURNING `+claimCols, cid, p.ID, string(p.Status), now, string(current)))
	if errors.Is(err, store.ErrNotFound) {
		return store.Claim{}, fmt.Errorf("claim %d changed status concurrently: %w", p.ID, store.ErrConflict)
	}
	if err != nil {
		return store.Claim{}, wrap("claim", p.ID, err)
	}
	if err := q.addHistory(ctx, c.ID, current, p.Status, p.Reason, p.Actor, now); err != nil {
		return store.Claim{}, err
	}
	return c, nil
}

func (q *Queries) ListClaimStatusHistory(ctx context.Context, ref store.Ref) ([]store.ClaimStatusChange, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return nil, err
	}
	// The creation entry comes from the claim row itself.
	first := store.ClaimStatusChange{ClinicID: cid, ClaimID: ref.ID, Reason: "created"}
	err = q.c.QueryRow(ctx, "SELECT initial_status, created_by, created_at FROM claims WHERE clinic_id = $1 AND id = $2", cid, ref.ID).
		Scan(&first.ToStatus, &first.Actor, TS(&first.At))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("claim", ref.ID, err)
	}
	rows, err := q.c.Query(ctx, `SELECT id, clinic_id, claim_id, from_status, to_status, reason, actor, at
		FROM claim_status_history WHERE clinic_id = $1 AND claim_id = $2 ORDER BY id`, cid, ref.ID)
	changes, err := collect(rows, err, func(r Row) (store.ClaimStatusChange, error) {
		var h store.ClaimStatusChange
		err := r.Scan(&h.ID, &h.ClinicID, &h.ClaimID, &h.FromStatus, &h.ToStatus, &h.Reason, &h.Actor, TS(&h.At))
		return h, err
	})
	if err != nil {
		return nil, err
	}
	return append([]store.ClaimStatusChange{first}, changes...), nil
}

func statusStrings(ss []claim.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
