package pgstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/query"
)

// PostgreSQL refuses COPY FROM into tables under row-level security, so the
// bulk paths COPY into temporary staging tables (which have no policies) and
// move the rows with INSERT ... SELECT, where the clinic policy's WITH CHECK
// and the reference triggers still apply. The clinic ID and timestamps are
// not staged: the INSERT binds them once. IDs are drawn from the tables'
// sequences first so children can be staged with their parents' IDs.
//
// Rows are staged in COPY's binary format, encoded straight from the params
// into one reused buffer (copyStream), which costs no allocation per row.

// BulkInsertClaims inserts claims with COPY in one transaction.
func (s *Store) BulkInsertClaims(ctx context.Context, params store.BulkInsertClaimsParams) ([]int64, error) {
	clinicID, claims := params.ClinicID, params.Claims
	if err := query.RequireClinic(clinicID); err != nil {
		return nil, err
	}
	var ids []int64
	err := s.inTx(ctx, clinicID, func(tx pgx.Tx) error {
		var err error
		ids, err = copyClaims(ctx, tx, s.fields, clinicID, store.TruncateTime(s.now()), claims)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// BulkInsertClaims inserts claims with COPY in the transaction.
func (t *txn) BulkInsertClaims(ctx context.Context, p store.BulkInsertClaimsParams) ([]int64, error) {
	if p.ClinicID != 0 && p.ClinicID != t.ClinicID() {
		return nil, store.ErrClinicMismatch
	}
	return copyClaims(ctx, t.tx, t.Fields(), t.ClinicID(), t.Now(), p.Claims)
}

// copyClaims stages claims with COPY and inserts them, in tx.
func copyClaims(ctx context.Context, tx pgx.Tx, fields *query.Fields, clinicID int64, now time.Time, claims []store.CreateClaimParams) ([]int64, error) {
	norm, err := fields.PrepareClaims(clinicID, claims)
	if err != nil {
		return nil, err
	}
	if len(norm) == 0 {
		return nil, nil
	}
	var ids []int64
	err = func() error {
		var err error
		if ids, err = nextIDs(ctx, tx, "claims", len(norm)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE claims_load (id bigint, payer_id bigint, patient_id bigint,
			encounter_id bigint, patient_control_number text, kind text, status text, created_by text, frequency_code text,
			original_claim_id bigint, payer_claim_control_number text, total_charge_cents bigint, service_date_from date,
			service_date_to date, document jsonb) ON COMMIT DROP`); err != nil {
			return err
		}
		i := 0
		rows := func(e *copyEncoder) bool {
			if i == len(norm) {
				return false
			}
			p := &norm[i]
			e.row(15)
			e.int8(ids[i])
			e.int8(p.PayerID)
			e.int8(p.PatientID)
			e.nullInt8(p.EncounterID)
			e.text(p.PatientControlNumber)
			e.text(p.Kind)
			e.text(string(p.Status))
			e.text(p.Actor)
			e.text(p.FrequencyCode)
			e.nullInt8(p.OriginalClaimID)
			e.text(p.PayerClaimControlNumber)
			e.int8(p.TotalChargeCents)
			e.date(p.ServiceDateFrom)
			e.date(p.ServiceDateTo)
			e.jsonb(p.Document)
			i++
			return true
		}
		if err := copyIn(ctx, tx, `COPY claims_load FROM STDIN (FORMAT binary)`, rows); err != nil {
			return fmt.Errorf("copy claims: %w", mapErr(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO claims (id, clinic_id, payer_id, patient_id, encounter_id, patient_control_number,
			kind, status, initial_status, created_by, frequency_code, original_claim_id, payer_claim_control_number,
			total_charge_cents, service_date_from, service_date_to, created_at, updated_at)
			SELECT id, $1, payer_id, patient_id, encounter_id, patient_control_number, kind, status, status, created_by,
			frequency_code, original_claim_id, payer_claim_control_number, total_charge_cents, service_date_from,
			service_date_to, $2, $2 FROM claims_load`, clinicID, now); err != nil {
			return fmt.Errorf("insert claims: %w", mapErr(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO claim_documents (clinic_id, claim_id, document)
			SELECT $1, id, document FROM claims_load`, clinicID); err != nil {
			return fmt.Errorf("insert claim documents: %w", mapErr(err))
		}
		_, err = tx.Exec(ctx, `DROP TABLE claims_load`)
		return err
	}()
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// BulkInsertClaimPayments inserts claim payments and their adjustments
// with COPY in one transaction.
func (s *Store) BulkInsertClaimPayments(ctx context.Context, params store.BulkInsertClaimPaymentsParams) ([]int64, error) {
	clinicID, payments := params.ClinicID, params.Payments
	if err := query.RequireClinic(clinicID); err != nil {
		return nil, err
	}
	var ids []int64
	err := s.inTx(ctx, clinicID, func(tx pgx.Tx) error {
		var err error
		ids, err = copyPayments(ctx, tx, clinicID, store.TruncateTime(s.now()), payments)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// BulkInsertClaimPayments inserts claim payments and their adjustments
// with COPY in the transaction.
func (t *txn) BulkInsertClaimPayments(ctx context.Context, p store.BulkInsertClaimPaymentsParams) ([]int64, error) {
	if p.ClinicID != 0 && p.ClinicID != t.ClinicID() {
		return nil, store.ErrClinicMismatch
	}
	return copyPayments(ctx, t.tx, t.ClinicID(), t.Now(), p.Payments)
}

// copyPayments stages claim payments and adjustments with COPY and inserts
// them, in tx.
func copyPayments(ctx context.Context, tx pgx.Tx, clinicID int64, now time.Time, payments []store.CreateClaimPaymentParams) ([]int64, error) {
	norm := make([]store.CreateClaimPaymentParams, len(payments))
	adjustments := 0
	for i, p := range payments {
		if p.ClinicID != 0 && p.ClinicID != clinicID {
			return nil, fmt.Errorf("claim payment %d: %w", i, store.ErrClinicMismatch)
		}
		n, err := query.NormalizeClaimPayment(p)
		if err != nil {
			return nil, fmt.Errorf("claim payment %d: %w", i, err)
		}
		for j, a := range n.Adjustments {
			if a.ServiceLine < math.MinInt32 || a.ServiceLine > math.MaxInt32 {
				return nil, fmt.Errorf("claim payment %d: %w", i,
					&store.FieldError{Field: fmt.Sprintf("Adjustments[%d].ServiceLine (out of range)", j), Err: store.ErrInvalid})
			}
		}
		norm[i] = n
		adjustments += len(n.Adjustments)
	}
	if len(norm) == 0 {
		return nil, nil
	}
	var ids []int64
	err := func() error {
		var err error
		if ids, err = nextIDs(ctx, tx, "claim_payments", len(norm)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE claim_payments_load (id bigint, remittance_id bigint, claim_id bigint,
				patient_control_number text, status_code text, charge_cents bigint, paid_cents bigint,
				patient_responsibility_cents bigint, payer_claim_control_number text, document jsonb) ON COMMIT DROP;
			CREATE TEMP TABLE claim_adjustments_load (ord bigint, claim_payment_id bigint, service_line integer, group_code text,
				reason_code text, amount_cents bigint, quantity_milli bigint) ON COMMIT DROP`); err != nil {
			return err
		}
		i := 0
		rows := func(e *copyEncoder) bool {
			if i == len(norm) {
				return false
			}
			p := &norm[i]
			e.row(10)
			e.int8(ids[i])
			e.int8(p.RemittanceID)
			e.nullInt8(p.ClaimID)
			e.text(p.PatientControlNumber)
			e.text(p.StatusCode)
			e.int8(p.ChargeCents)
			e.int8(p.PaidCents)
			e.int8(p.PatientResponsibilityCents)
			e.text(p.PayerClaimControlNumber)
			e.jsonb(p.Document)
			i++
			return true
		}
		if err := copyIn(ctx, tx, `COPY claim_payments_load FROM STDIN (FORMAT binary)`, rows); err != nil {
			return fmt.Errorf("copy claim payments: %w", mapErr(err))
		}
		if adjustments > 0 {
			pi, ai, ord := 0, 0, int64(0)
			adjRows := func(e *copyEncoder) bool {
				for pi < len(norm) && ai >= len(norm[pi].Adjustments) {
					pi, ai = pi+1, 0
				}
				if pi == len(norm) {
					return false
				}
				a := &norm[pi].Adjustments[ai]
				ord++
				e.row(7)
				e.int8(ord)
				e.int8(ids[pi])
				e.int4(int32(a.ServiceLine))
				e.text(a.GroupCode)
				e.text(a.ReasonCode)
				e.int8(a.AmountCents)
				e.int8(a.QuantityMilli)
				ai++
				return true
			}
			if err := copyIn(ctx, tx, `COPY claim_adjustments_load FROM STDIN (FORMAT binary)`, adjRows); err != nil {
				return fmt.Errorf("copy claim adjustments: %w", mapErr(err))
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO claim_payments (id, clinic_id, remittance_id, claim_id, patient_control_number,
			status_code, charge_cents, paid_cents, patient_responsibility_cents, payer_claim_control_number, document, created_at)
			SELECT id, $1, remittance_id, claim_id, patient_control_number, status_code, charge_cents, paid_cents,
			patient_responsibility_cents, payer_claim_control_number, document, $2 FROM claim_payments_load`, clinicID, now); err != nil {
			return fmt.Errorf("insert claim payments: %w", mapErr(err))
		}
		if adjustments > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO claim_adjustments (clinic_id, claim_payment_id, service_line, group_code,
				reason_code, amount_cents, quantity_milli) SELECT $1, claim_payment_id, service_line, group_code, reason_code,
				amount_cents, quantity_milli FROM claim_adjustments_load ORDER BY ord`, clinicID); err != nil {
				return fmt.Errorf("insert claim adjustments: %w", mapErr(err))
			}
		}
		_, err = tx.Exec(ctx, `DROP TABLE claim_payments_load; DROP TABLE claim_adjustments_load`)
		return err
	}()
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// nextIDs draws n IDs from table's identity sequence in one round trip: the
// sequence is resolved once and the IDs come back as one array.
func nextIDs(ctx context.Context, tx pgx.Tx, table string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	err := tx.QueryRow(ctx, `WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence($1, 'id')::regclass AS seq)
		SELECT array_agg(nextval(s.seq)) FROM s, generate_series(1, $2)`, table, n).Scan(&ids)
	if err != nil {
		return nil, fmt.Errorf("%s ids: %w", table, err)
	}
	if len(ids) != n {
		return nil, fmt.Errorf("%s ids: drew %d of %d", table, len(ids), n)
	}
	return ids, nil
}

// copyIn runs a COPY ... FROM STDIN (FORMAT binary) statement on tx's
// connection, streaming the rows next encodes until it returns false.
func copyIn(ctx context.Context, tx pgx.Tx, sql string, next func(e *copyEncoder) bool) error {
	_, err := tx.Conn().PgConn().CopyFrom(ctx, &copyStream{next: next}, sql)
	return err
}

// copyStream is an io.Reader over rows in PostgreSQL's binary COPY format
// (the header, each row as a field count and length-prefixed fields, the
// -1 trailer). It encodes rows into its buffer as the reader asks for more.
type copyStream struct {
	next    func(e *copyEncoder) bool
	enc     copyEncoder
	off     int
	started bool
	done    bool
}

// copyHeader is the binary COPY signature, flags (none) and header
// extension length (0).
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func (s *copyStream) Read(p []byte) (int, error) {
	for s.off == len(s.enc.b) {
		if s.done {
			return 0, io.EOF
		}
		s.enc.b, s.off = s.enc.b[:0], 0
		if !s.started {
			s.enc.b = append(s.enc.b, copyHeader...)
			s.started = true
		}
		for len(s.enc.b) < len(p) {
			if !s.next(&s.enc) {
				s.enc.b = binary.BigEndian.AppendUint16(s.enc.b, 0xffff)
				s.done = true
				break
			}
		}
	}
	n := copy(p, s.enc.b[s.off:])
	s.off += n
	return n, nil
}

// copyEncoder appends fields in the binary formats of PostgreSQL's send
// and receive functions.
type copyEncoder struct{ b []byte }

// pgEpochUnix is 2000-01-01 UTC, the origin of PostgreSQL's binary dates,
// in Unix seconds.
const pgEpochUnix = 946684800

func (e *copyEncoder) row(fields int) { e.b = binary.BigEndian.AppendUint16(e.b, uint16(fields)) }

func (e *copyEncoder) null() { e.b = binary.BigEndian.AppendUint32(e.b, math.MaxUint32) }

func (e *copyEncoder) int8(v int64) {
	e.b = binary.BigEndian.AppendUint32(e.b, 8)
	e.b = binary.BigEndian.AppendUint64(e.b, uint64(v))
}

func (e *copyEncoder) nullInt8(v *int64) {
	if v == nil {
		e.null()
		return
	}
	e.int8(*v)
}

func (e *copyEncoder) int4(v int32) {
	e.b = binary.BigEndian.AppendUint32(e.b, 4)
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(v))
}

func (e *copyEncoder) text(s string) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(s)))
	e.b = append(e.b, s...)
}

// jsonb is the version byte 1 and the document's text.
func (e *copyEncoder) jsonb(doc []byte) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(doc)+1))
	e.b = append(e.b, 1)
	e.b = append(e.b, doc...)
}

// date is days since 2000-01-01 of t's UTC calendar date; the zero time is
// NULL.
func (e *copyEncoder) date(t time.Time) {
	t = store.TruncateDate(t)
	if t.IsZero() {
		e.null()
		return
	}
	e.int4(int32((t.Unix() - pgEpochUnix) / (24 * 60 * 60)))
}
