package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/query"
)

// PostgreSQL refuses COPY FROM into tables under row-level security, so the
// bulk paths COPY into temporary staging tables (which have no policies) and
// move the rows with INSERT ... SELECT, where the clinic policy's WITH CHECK
// and the foreign keys still apply. IDs are drawn from the tables' sequences
// first so children can be staged with their parents' IDs.

const claimLoadCols = `id, clinic_id, payer_id, patient_id, encounter_id, patient_control_number, kind, status,
	initial_status, created_by, frequency_code, original_claim_id, payer_claim_control_number, total_charge_cents, service_date_from, service_date_to,
	document, created_at, updated_at`

var claimCopyCols = []string{"id", "clinic_id", "payer_id", "patient_id", "encounter_id", "patient_control_number", "kind",
	"status", "initial_status", "created_by", "frequency_code", "original_claim_id", "payer_claim_control_number", "total_charge_cents",
	"service_date_from", "service_date_to", "document", "created_at", "updated_at"}

// BulkInsertClaims inserts claims with COPY in one transaction.
func (s *Store) BulkInsertClaims(ctx context.Context, clinicID int64, claims []store.CreateClaimParams) ([]int64, error) {
	norm := make([]store.CreateClaimParams, len(claims))
	for i, p := range claims {
		if p.ClinicID != 0 && p.ClinicID != clinicID {
			return nil, fmt.Errorf("claim %d: %w", i, store.ErrClinicMismatch)
		}
		n, err := query.NormalizeClaim(p)
		if err != nil {
			return nil, fmt.Errorf("claim %d: %w", i, err)
		}
		norm[i] = n
	}
	if len(norm) == 0 {
		return nil, nil
	}
	now := store.TruncateTime(s.now())
	var ids []int64
	err := s.inTx(ctx, clinicID, func(tx pgx.Tx) error {
		var err error
		if ids, err = nextIDs(ctx, tx, "claims", len(norm)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE claims_load (LIKE claims INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"claims_load"}, claimCopyCols, pgx.CopyFromSlice(len(norm), func(i int) ([]any, error) {
			p := norm[i]
			return query.ConvertArgs(query.Postgres, []any{ids[i], clinicID, p.PayerID, p.PatientID, p.EncounterID,
				p.PatientControlNumber, p.Kind, p.Status, p.Status, p.Actor, p.FrequencyCode, p.OriginalClaimID, p.PayerClaimControlNumber,
				p.TotalChargeCents, query.Date(p.ServiceDateFrom), query.Date(p.ServiceDateTo), []byte(p.Document), now, now}), nil
		}))
		if err != nil {
			return fmt.Errorf("copy claims: %w", mapErr(err))
		}
		if _, err := tx.Exec(ctx, "INSERT INTO claims ("+claimLoadCols+") SELECT "+claimLoadCols+" FROM claims_load"); err != nil {
			return fmt.Errorf("insert claims: %w", mapErr(err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

const paymentLoadCols = `id, clinic_id, remittance_id, claim_id, patient_control_number, status_code, charge_cents,
	paid_cents, patient_responsibility_cents, payer_claim_control_number, document, created_at`

var paymentCopyCols = []string{"id", "clinic_id", "remittance_id", "claim_id", "patient_control_number", "status_code",
	"charge_cents", "paid_cents", "patient_responsibility_cents", "payer_claim_control_number", "document", "created_at"}

var adjustmentCopyCols = []string{"ord", "clinic_id", "claim_payment_id", "service_line", "group_code", "reason_code",
	"amount_cents", "quantity_milli"}

// BulkInsertClaimPayments inserts claim payments and their adjustments
// with COPY in one transaction.
func (s *Store) BulkInsertClaimPayments(ctx context.Context, clinicID int64, payments []store.CreateClaimPaymentParams) ([]int64, error) {
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
		norm[i] = n
		adjustments += len(n.Adjustments)
	}
	if len(norm) == 0 {
		return nil, nil
	}
	now := store.TruncateTime(s.now())
	var ids []int64
	err := s.inTx(ctx, clinicID, func(tx pgx.Tx) error {
		var err error
		if ids, err = nextIDs(ctx, tx, "claim_payments", len(norm)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE claim_payments_load (LIKE claim_payments INCLUDING DEFAULTS) ON COMMIT DROP;
			CREATE TEMP TABLE claim_adjustments_load (ord bigint, clinic_id bigint, claim_payment_id bigint,
				service_line integer, group_code text, reason_code text, amount_cents bigint, quantity_milli bigint) ON COMMIT DROP`); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"claim_payments_load"}, paymentCopyCols, pgx.CopyFromSlice(len(norm), func(i int) ([]any, error) {
			p := norm[i]
			return []any{ids[i], clinicID, p.RemittanceID, p.ClaimID, p.PatientControlNumber, p.StatusCode, p.ChargeCents,
				p.PaidCents, p.PatientResponsibilityCents, p.PayerClaimControlNumber, []byte(p.Document), now}, nil
		}))
		if err != nil {
			return fmt.Errorf("copy claim payments: %w", mapErr(err))
		}
		if adjustments > 0 {
			pi, ai, ord := 0, 0, int64(0)
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"claim_adjustments_load"}, adjustmentCopyCols, pgx.CopyFromFunc(func() ([]any, error) {
				for pi < len(norm) && ai >= len(norm[pi].Adjustments) {
					pi, ai = pi+1, 0
				}
				if pi == len(norm) {
					return nil, nil
				}
				a := norm[pi].Adjustments[ai]
				ai++
				ord++
				return []any{ord, clinicID, ids[pi], a.ServiceLine, a.GroupCode, a.ReasonCode, a.AmountCents, a.QuantityMilli}, nil
			}))
			if err != nil {
				return fmt.Errorf("copy claim adjustments: %w", mapErr(err))
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO claim_payments ("+paymentLoadCols+") SELECT "+paymentLoadCols+" FROM claim_payments_load"); err != nil {
			return fmt.Errorf("insert claim payments: %w", mapErr(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO claim_adjustments (clinic_id, claim_payment_id, service_line, group_code, reason_code,
			amount_cents, quantity_milli) SELECT clinic_id, claim_payment_id, service_line, group_code, reason_code, amount_cents,
			quantity_milli FROM claim_adjustments_load ORDER BY ord`); err != nil {
			return fmt.Errorf("insert claim adjustments: %w", mapErr(err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// nextIDs draws n IDs from table's identity sequence.
func nextIDs(ctx context.Context, tx pgx.Tx, table string, n int) ([]int64, error) {
	var seq string
	if err := tx.QueryRow(ctx, "SELECT pg_get_serial_sequence($1, 'id')", table).Scan(&seq); err != nil {
		return nil, fmt.Errorf("%s ids: %w", table, err)
	}
	rows, err := tx.Query(ctx, "SELECT nextval($1::regclass) FROM generate_series(1, $2)", seq, n)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("%s ids: %w", table, err)
	}
	return ids, nil
}
