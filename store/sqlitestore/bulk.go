package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/query"
)

// The bulk paths commit Config.BatchSize rows per transaction and insert
// them bulkChunk rows per statement (multi-row VALUES, prepared once per
// transaction). The transaction holds the write lock from BEGIN (the DSN's
// _txlock=immediate, one connection), so IDs are assigned explicitly as
// max(id)+1, +2, ...: what SQLite would pick for an INTEGER PRIMARY KEY, and
// known without asking per row. When a chunk fails, its rows are inserted
// one at a time to name the row at fault, as the error did before.

// bulkChunk is how many rows one multi-row INSERT carries; 64 claims bind
// 64*19 parameters, well under SQLite's limit of 32766.
const bulkChunk = 64

// chunkInsert is a multi-row INSERT of one table binding perRow anonymous
// parameters per row (numbered ones cost the driver a lookup by name per
// parameter).
type chunkInsert struct {
	head   string // INSERT INTO ... VALUES
	perRow int
}

// sql returns the statement for rows rows.
func (c chunkInsert) sql(rows int) string {
	tuple := "(" + strings.Repeat("?, ", c.perRow-1) + "?)"
	var b strings.Builder
	b.Grow(len(c.head) + rows*(len(tuple)+2))
	b.WriteString(c.head)
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	return b.String()
}

var claimInsert = chunkInsert{
	head: `INSERT INTO claims (clinic_id, created_at, updated_at, id, payer_id, patient_id, encounter_id,
		patient_control_number, kind, status, initial_status, created_by, frequency_code, original_claim_id,
		payer_claim_control_number, total_charge_cents, service_date_from, service_date_to) VALUES `,
	perRow: 18,
}

var claimDocumentInsert = chunkInsert{
	head:   `INSERT INTO claim_documents (clinic_id, claim_id, document) VALUES `,
	perRow: 3,
}

var paymentInsert = chunkInsert{
	head: `INSERT INTO claim_payments (clinic_id, created_at, id, remittance_id, claim_id, patient_control_number,
		status_code, charge_cents, paid_cents, patient_responsibility_cents, payer_claim_control_number, document) VALUES `,
	perRow: 12,
}

var adjustmentInsert = chunkInsert{
	head: `INSERT INTO claim_adjustments (clinic_id, claim_payment_id, service_line, group_code, reason_code,
		amount_cents, quantity_milli) VALUES `,
	perRow: 7,
}

// chunker runs one chunkInsert within a transaction, preparing the full
// chunk statement once.
type chunker struct {
	ctx  context.Context
	tx   *sql.Tx
	ins  chunkInsert
	full *sql.Stmt
	args []any
}

func newChunker(ctx context.Context, tx *sql.Tx, ins chunkInsert) *chunker {
	return &chunker{ctx: ctx, tx: tx, ins: ins, args: make([]any, 0, bulkChunk*ins.perRow)}
}

// isFull reports whether c.args holds a whole chunk.
func (c *chunker) isFull() bool { return len(c.args) == bulkChunk*c.ins.perRow }

// exec inserts the rows whose parameters are in c.args.
func (c *chunker) exec() error {
	rows := len(c.args) / c.ins.perRow
	if rows == 0 {
		return nil
	}
	var err error
	if rows == bulkChunk {
		if c.full == nil {
			if c.full, err = c.tx.PrepareContext(c.ctx, c.ins.sql(bulkChunk)); err != nil {
				return err
			}
		}
		_, err = c.full.ExecContext(c.ctx, c.args...)
	} else {
		_, err = c.tx.ExecContext(c.ctx, c.ins.sql(rows), c.args...)
	}
	clear(c.args)
	c.args = c.args[:0]
	return err
}

func (c *chunker) close() {
	if c.full != nil {
		c.full.Close()
	}
}

// maxID is the largest id of table, for assigning the next ones.
func maxID(ctx context.Context, tx *sql.Tx, table string, n int) (int64, error) {
	var max int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM "+table).Scan(&max); err != nil {
		return 0, err
	}
	if max > math.MaxInt64-int64(n) {
		return 0, fmt.Errorf("%s: no room for %d more IDs after %d", table, n, max)
	}
	return max, nil
}

// dateText formats a DATE argument as query.ConvertArgs does for SQLite,
// reusing the previous row's text when the date repeats.
type dateText struct {
	last time.Time
	text any
}

func (d *dateText) arg(t time.Time) any {
	if t.Equal(d.last) && d.text != nil {
		return d.text
	}
	d.last = t
	d.text = query.ConvertArgs(query.SQLite, []any{query.Date(t)})[0]
	return d.text
}

func int64Arg(v *int64) any {
	if v == nil {
		return nil
	}
	return *v
}

// BulkInsertClaims inserts claims Config.BatchSize per transaction with
// multi-row prepared statements.
func (s *Store) BulkInsertClaims(ctx context.Context, params store.BulkInsertClaimsParams) ([]int64, error) {
	clinicID, claims := params.ClinicID, params.Claims
	if err := query.RequireClinic(clinicID); err != nil {
		return nil, err
	}
	norm, err := s.fields.PrepareClaims(clinicID, claims)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(claims))
	now := store.TruncateTime(s.cfg.Now())
	for start := 0; start < len(norm); start += s.cfg.BatchSize {
		batch := norm[start:min(start+s.cfg.BatchSize, len(norm))]
		var batchIDs []int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			batchIDs, err = insertClaims(ctx, tx, clinicID, now, start, batch)
			return err
		})
		if err != nil {
			return ids, err
		}
		ids = append(ids, batchIDs...)
	}
	return ids, nil
}

// BulkInsertClaims inserts claims with multi-row statements in the
// transaction.
func (t *txn) BulkInsertClaims(ctx context.Context, p store.BulkInsertClaimsParams) ([]int64, error) {
	norm, err := t.Fields().PrepareClaims(t.ClinicID(), p.Claims)
	if err != nil {
		return nil, err
	}
	if p.ClinicID != 0 && p.ClinicID != t.ClinicID() {
		return nil, store.ErrClinicMismatch
	}
	return insertClaims(ctx, t.tx, t.ClinicID(), t.Now(), 0, norm)
}

// insertClaims inserts normalized claims in tx, bulkChunk rows a
// statement; start is the index of batch[0] in the caller's list, for
// errors.
func insertClaims(ctx context.Context, tx *sql.Tx, clinicID int64, nowTime time.Time, start int, batch []store.CreateClaimParams) ([]int64, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	now := query.ConvertArgs(query.SQLite, []any{nowTime})[0]
	var from, to dateText
	batchIDs := make([]int64, 0, len(batch))
	next, err := maxID(ctx, tx, "claims", len(batch))
	if err != nil {
		return nil, err
	}
	c := newChunker(ctx, tx, claimInsert)
	defer c.close()
	docs := newChunker(ctx, tx, claimDocumentInsert)
	defer docs.close()
	chunkStart := 0
	for i := range batch {
		p := &batch[i]
		next++
		batchIDs = append(batchIDs, next)
		c.args = append(c.args, clinicID, now, now, next, p.PayerID, p.PatientID, int64Arg(p.EncounterID), p.PatientControlNumber, p.Kind,
			string(p.Status), string(p.Status), p.Actor, p.FrequencyCode, int64Arg(p.OriginalClaimID), p.PayerClaimControlNumber,
			p.TotalChargeCents, from.arg(p.ServiceDateFrom), to.arg(p.ServiceDateTo))
		docs.args = append(docs.args, clinicID, next, string(p.Document))
		if !c.isFull() && i < len(batch)-1 {
			continue
		}
		if err := c.exec(); err != nil {
			return nil, claimAtFault(ctx, tx, clinicID, nowTime, start, chunkStart, batch[chunkStart:i+1], err)
		}
		if err := docs.exec(); err != nil {
			return nil, fmt.Errorf("claim documents: %w", mapErr(err))
		}
		chunkStart = i + 1
	}
	return batchIDs, nil
}

// claimAtFault inserts a failed chunk's claims one at a time (the
// transaction is rolled back afterwards) and returns the first row's error,
// or chunkErr if each row goes in alone.
func claimAtFault(ctx context.Context, tx *sql.Tx, clinicID int64, now time.Time, start, chunkStart int, chunk []store.CreateClaimParams, chunkErr error) error {
	for j, p := range chunk {
		_, err := tx.ExecContext(ctx, `INSERT INTO claims (clinic_id, payer_id, patient_id, encounter_id,
			patient_control_number, kind, status, initial_status, created_by, frequency_code, original_claim_id,
			payer_claim_control_number, total_charge_cents, service_date_from, service_date_to, created_at,
			updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
			query.ConvertArgs(query.SQLite, []any{clinicID, p.PayerID, p.PatientID, p.EncounterID, p.PatientControlNumber,
				p.Kind, string(p.Status), p.Actor, p.FrequencyCode, p.OriginalClaimID, p.PayerClaimControlNumber, p.TotalChargeCents,
				query.Date(p.ServiceDateFrom), query.Date(p.ServiceDateTo), now})...)
		if err != nil {
			return fmt.Errorf("claim %d (%q): %w", start+chunkStart+j, p.PatientControlNumber, mapErr(err))
		}
	}
	return mapErr(chunkErr)
}

// BulkInsertClaimPayments inserts claim payments and their adjustments
// Config.BatchSize payments per transaction with multi-row prepared
// statements.
func (s *Store) BulkInsertClaimPayments(ctx context.Context, params store.BulkInsertClaimPaymentsParams) ([]int64, error) {
	clinicID, payments := params.ClinicID, params.Payments
	if err := query.RequireClinic(clinicID); err != nil {
		return nil, err
	}
	norm, err := normalizePayments(clinicID, payments)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(payments))
	now := store.TruncateTime(s.cfg.Now())
	for start := 0; start < len(norm); start += s.cfg.BatchSize {
		batch := norm[start:min(start+s.cfg.BatchSize, len(norm))]
		var batchIDs []int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			batchIDs, err = insertPayments(ctx, tx, clinicID, now, start, batch)
			return err
		})
		if err != nil {
			return ids, err
		}
		ids = append(ids, batchIDs...)
	}
	return ids, nil
}

// BulkInsertClaimPayments inserts claim payments and their adjustments
// with multi-row statements in the transaction.
func (t *txn) BulkInsertClaimPayments(ctx context.Context, p store.BulkInsertClaimPaymentsParams) ([]int64, error) {
	if p.ClinicID != 0 && p.ClinicID != t.ClinicID() {
		return nil, store.ErrClinicMismatch
	}
	norm, err := normalizePayments(t.ClinicID(), p.Payments)
	if err != nil {
		return nil, err
	}
	return insertPayments(ctx, t.tx, t.ClinicID(), t.Now(), 0, norm)
}

func normalizePayments(clinicID int64, payments []store.CreateClaimPaymentParams) ([]store.CreateClaimPaymentParams, error) {
	norm := make([]store.CreateClaimPaymentParams, len(payments))
	for i, p := range payments {
		if p.ClinicID != 0 && p.ClinicID != clinicID {
			return nil, fmt.Errorf("claim payment %d: %w", i, store.ErrClinicMismatch)
		}
		n, err := query.NormalizeClaimPayment(p)
		if err != nil {
			return nil, fmt.Errorf("claim payment %d: %w", i, err)
		}
		norm[i] = n
	}
	return norm, nil
}

// insertPayments inserts normalized claim payments and their adjustments
// in tx; start is the index of batch[0] in the caller's list, for errors.
func insertPayments(ctx context.Context, tx *sql.Tx, clinicID int64, nowTime time.Time, start int, batch []store.CreateClaimPaymentParams) ([]int64, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	now := query.ConvertArgs(query.SQLite, []any{nowTime})[0]
	batchIDs := make([]int64, 0, len(batch))
	next, err := maxID(ctx, tx, "claim_payments", len(batch))
	if err != nil {
		return nil, err
	}
	pc := newChunker(ctx, tx, paymentInsert)
	defer pc.close()
	chunkStart := 0
	for i := range batch {
		p := &batch[i]
		next++
		batchIDs = append(batchIDs, next)
		pc.args = append(pc.args, clinicID, now, next, p.RemittanceID, int64Arg(p.ClaimID), p.PatientControlNumber, p.StatusCode,
			p.ChargeCents, p.PaidCents, p.PatientResponsibilityCents, p.PayerClaimControlNumber, string(p.Document))
		if !pc.isFull() && i < len(batch)-1 {
			continue
		}
		if err := pc.exec(); err != nil {
			return nil, paymentAtFault(ctx, tx, clinicID, nowTime, start, chunkStart, batch[chunkStart:i+1], err)
		}
		chunkStart = i + 1
	}
	// Adjustments after all their payments, in order: their IDs follow the
	// payments' order as when each went in with its payment.
	ac := newChunker(ctx, tx, adjustmentInsert)
	defer ac.close()
	for i := range batch {
		for _, a := range batch[i].Adjustments {
			ac.args = append(ac.args, clinicID, batchIDs[i], a.ServiceLine, a.GroupCode, a.ReasonCode, a.AmountCents, a.QuantityMilli)
			if ac.isFull() {
				if err := ac.exec(); err != nil {
					return nil, mapErr(err)
				}
			}
		}
	}
	if err := ac.exec(); err != nil {
		return nil, mapErr(err)
	}
	return batchIDs, nil
}

// paymentAtFault is claimAtFault for claim payments.
func paymentAtFault(ctx context.Context, tx *sql.Tx, clinicID int64, now time.Time, start, chunkStart int, chunk []store.CreateClaimPaymentParams, chunkErr error) error {
	for j, p := range chunk {
		_, err := tx.ExecContext(ctx, `INSERT INTO claim_payments (clinic_id, remittance_id, claim_id,
			patient_control_number, status_code, charge_cents, paid_cents, patient_responsibility_cents,
			payer_claim_control_number, document, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			query.ConvertArgs(query.SQLite, []any{clinicID, p.RemittanceID, p.ClaimID, p.PatientControlNumber, p.StatusCode,
				p.ChargeCents, p.PaidCents, p.PatientResponsibilityCents, p.PayerClaimControlNumber, p.Document, now})...)
		if err != nil {
			return fmt.Errorf("claim payment %d (%q): %w", start+chunkStart+j, p.PatientControlNumber, mapErr(err))
		}
	}
	return mapErr(chunkErr)
}
