package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/query"
)

// BulkInsertClaims inserts claims Config.BatchSize per transaction with
// prepared statements.
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
	ids := make([]int64, 0, len(claims))
	now := store.TruncateTime(s.cfg.Now())
	for start := 0; start < len(norm); start += s.cfg.BatchSize {
		batch := norm[start:min(start+s.cfg.BatchSize, len(norm))]
		batchIDs := make([]int64, 0, len(batch))
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			claimStmt, err := tx.PrepareContext(ctx, `INSERT INTO claims (clinic_id, payer_id, patient_id, encounter_id,
				patient_control_number, kind, status, initial_status, created_by, frequency_code, original_claim_id,
				payer_claim_control_number, total_charge_cents, service_date_from, service_date_to, document, created_at,
				updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)`)
			if err != nil {
				return err
			}
			defer claimStmt.Close()
			for i, p := range batch {
				res, err := claimStmt.ExecContext(ctx, query.ConvertArgs(query.SQLite, []any{clinicID, p.PayerID, p.PatientID,
					p.EncounterID, p.PatientControlNumber, p.Kind, p.Status, p.Actor, p.FrequencyCode, p.OriginalClaimID,
					p.PayerClaimControlNumber, p.TotalChargeCents, query.Date(p.ServiceDateFrom), query.Date(p.ServiceDateTo),
					p.Document, now})...)
				if err != nil {
					return fmt.Errorf("claim %d (%q): %w", start+i, p.PatientControlNumber, mapErr(err))
				}
				id, err := res.LastInsertId()
				if err != nil {
					return err
				}
				batchIDs = append(batchIDs, id)
			}
			return nil
		})
		if err != nil {
			return ids, err
		}
		ids = append(ids, batchIDs...)
	}
	return ids, nil
}

// BulkInsertClaimPayments inserts claim payments and their adjustments
// Config.BatchSize payments per transaction.
func (s *Store) BulkInsertClaimPayments(ctx context.Context, clinicID int64, payments []store.CreateClaimPaymentParams) ([]int64, error) {
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
	ids := make([]int64, 0, len(payments))
	now := store.TruncateTime(s.cfg.Now())
	for start := 0; start < len(norm); start += s.cfg.BatchSize {
		batch := norm[start:min(start+s.cfg.BatchSize, len(norm))]
		batchIDs := make([]int64, 0, len(batch))
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			payStmt, err := tx.PrepareContext(ctx, `INSERT INTO claim_payments (clinic_id, remittance_id, claim_id,
				patient_control_number, status_code, charge_cents, paid_cents, patient_responsibility_cents,
				payer_claim_control_number, document, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`)
			if err != nil {
				return err
			}
			defer payStmt.Close()
			adjStmt, err := tx.PrepareContext(ctx, `INSERT INTO claim_adjustments (clinic_id, claim_payment_id, service_line,
				group_code, reason_code, amount_cents, quantity_milli) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
			if err != nil {
				return err
			}
			defer adjStmt.Close()
			for i, p := range batch {
				res, err := payStmt.ExecContext(ctx, query.ConvertArgs(query.SQLite, []any{clinicID, p.RemittanceID, p.ClaimID,
					p.PatientControlNumber, p.StatusCode, p.ChargeCents, p.PaidCents, p.PatientResponsibilityCents,
					p.PayerClaimControlNumber, p.Document, now})...)
				if err != nil {
					return fmt.Errorf("claim payment %d (%q): %w", start+i, p.PatientControlNumber, mapErr(err))
				}
				id, err := res.LastInsertId()
				if err != nil {
					return err
				}
				for _, a := range p.Adjustments {
					if _, err := adjStmt.ExecContext(ctx, clinicID, id, a.ServiceLine, a.GroupCode, a.ReasonCode, a.AmountCents,
						a.QuantityMilli); err != nil {
						return mapErr(err)
					}
				}
				batchIDs = append(batchIDs, id)
			}
			return nil
		})
		if err != nil {
			return ids, err
		}
		ids = append(ids, batchIDs...)
	}
	return ids, nil
}
