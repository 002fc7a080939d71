package query

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/clearhouse/clearhouse/store"
)

// Remittances.

const remittanceCols = `id, clinic_id, inbound_file_id, payer_id, payer_identifier, trace_number, payment_method,
	payment_cents, payment_date, file_checksum, posted_through, posted_at, created_at`

func scanRemittance(r Row) (store.Remittance, error) {
	var m store.Remittance
	err := r.Scan(&m.ID, &m.ClinicID, &m.InboundFileID, &m.PayerID, &m.PayerIdentifier, &m.TraceNumber, &m.PaymentMethod,
		&m.PaymentCents, TS(&m.PaymentDate), &m.FileChecksum, &m.PostedThrough, NullTS(&m.PostedAt), TS(&m.CreatedAt))
	return m, err
}

func (q *Queries) UpdateRemittancePosting(ctx context.Context, p store.UpdateRemittancePostingParams) error {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return err
	}
	var postedAt any
	if p.Complete {
		postedAt = q.Now()
	}
	n, err := q.c.Exec(ctx, `UPDATE remittances SET posted_through = $3, posted_at = COALESCE(posted_at, $4)
		WHERE clinic_id = $1 AND id = $2`, cid, p.ID, p.PostedThrough, postedAt)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return wrap("remittance", p.ID, err)
}

func (q *Queries) CreateRemittance(ctx context.Context, p store.CreateRemittanceParams) (store.Remittance, bool, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Remittance{}, false, err
	}
	if err := required("PayerIdentifier", p.PayerIdentifier); err != nil {
		return store.Remittance{}, false, err
	}
	if err := required("TraceNumber", p.TraceNumber); err != nil {
		return store.Remittance{}, false, err
	}
	m, err := scanRemittance(q.c.QueryRow(ctx, `INSERT INTO remittances (clinic_id, inbound_file_id, payer_id, payer_identifier,
		trace_number, payment_method, payment_cents, payment_date, file_checksum, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (clinic_id, payer_identifier, trace_number) DO NOTHING RETURNING `+remittanceCols,
		cid, p.InboundFileID, p.PayerID, p.PayerIdentifier, p.TraceNumber, p.PaymentMethod, p.PaymentCents,
		Date(p.PaymentDate), p.FileChecksum, q.Now()))
	if err == nil {
		return m, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return m, false, fmt.Errorf("remittance %s/%s: %w", p.PayerIdentifier, p.TraceNumber, err)
	}
	m, err = scanRemittance(q.c.QueryRow(ctx, "SELECT "+remittanceCols+` FROM remittances
		WHERE clinic_id = $1 AND payer_identifier = $2 AND trace_number = $3`, cid, p.PayerIdentifier, p.TraceNumber))
	if err != nil {
		return m, false, fmt.Errorf("remittance %s/%s: %w", p.PayerIdentifier, p.TraceNumber, err)
	}
	return m, false, nil
}

func (q *Queries) GetRemittance(ctx context.Context, ref store.Ref) (store.Remittance, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Remittance{}, err
	}
	m, err := scanRemittance(q.c.QueryRow(ctx, "SELECT "+remittanceCols+" FROM remittances WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return m, wrap("remittance", ref.ID, err)
}

func (q *Queries) ListRemittances(ctx context.Context, p store.ListRemittancesParams) ([]store.Remittance, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + remittanceCols + " FROM remittances")
	b.cond("clinic_id = ?", cid)
	if p.PayerID != 0 {
		b.cond("payer_id = ?", p.PayerID)
	}
	if p.InboundFileID != 0 {
		b.cond("inbound_file_id = ?", p.InboundFileID)
	}
	b.add(" ORDER BY id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanRemittance)
}

// Claim payments.

const paymentCols = `id, clinic_id, remittance_id, claim_id, patient_control_number, status_code, charge_cents, paid_cents,
	patient_responsibility_cents, payer_claim_control_number, document, created_at`

func scanPayment(r Row) (store.ClaimPayment, error) {
	var p store.ClaimPayment
	err := r.Scan(&p.ID, &p.ClinicID, &p.RemittanceID, &p.ClaimID, &p.PatientControlNumber, &p.StatusCode, &p.ChargeCents,
		&p.PaidCents, &p.PatientResponsibilityCents, &p.PayerClaimControlNumber, JSON(&p.Document), TS(&p.CreatedAt))
	return p, err
}

// NormalizeClaimPayment validates claim payment params and fills defaults.
func NormalizeClaimPayment(p store.CreateClaimPaymentParams) (store.CreateClaimPaymentParams, error) {
	if p.RemittanceID == 0 {
		return p, &store.FieldError{Field: "RemittanceID (required)", Err: store.ErrInvalid}
	}
	if err := required("PatientControlNumber", p.PatientControlNumber); err != nil {
		return p, err
	}
	if err := required("StatusCode", p.StatusCode); err != nil {
		return p, err
	}
	for i, a := range p.Adjustments {
		if a.GroupCode == "" || a.ReasonCode == "" {
			return p, &store.FieldError{Field: fmt.Sprintf("Adjustments[%d] (group and reason code required)", i), Err: store.ErrInvalid}
		}
	}
	doc, err := docArg("Document", p.Document, "{}")
	p.Document = doc
	return p, err
}

func (q *Queries) CreateClaimPayment(ctx context.Context, p store.CreateClaimPaymentParams) (store.ClaimPayment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.ClaimPayment{}, err
	}
	if p, err = NormalizeClaimPayment(p); err != nil {
		return store.ClaimPayment{}, err
	}
	v, err := scanPayment(q.c.QueryRow(ctx, `INSERT INTO claim_payments (clinic_id, remittance_id, claim_id,
		patient_control_number, status_code, charge_cents, paid_cents, patient_responsibility_cents,
		payer_claim_control_number, document, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+paymentCols,
		cid, p.RemittanceID, p.ClaimID, p.PatientControlNumber, p.StatusCode, p.ChargeCents, p.PaidCents,
		p.PatientResponsibilityCents, p.PayerClaimControlNumber, p.Document, q.Now()))
	if err != nil {
		return v, fmt.Errorf("claim payment %q: %w", p.PatientControlNumber, err)
	}
	for _, a := range p.Adjustments {
		if _, err := q.c.Exec(ctx, `INSERT INTO claim_adjustments (clinic_id, claim_payment_id, service_line, group_code,
			reason_code, amount_cents, quantity_milli) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			cid, v.ID, a.ServiceLine, a.GroupCode, a.ReasonCode, a.AmountCents, a.QuantityMilli); err != nil {
			return store.ClaimPayment{}, fmt.Errorf("claim payment %q adjustment: %w", p.PatientControlNumber, err)
		}
	}
	v.Adjustments = append([]store.ClaimAdjustment(nil), p.Adjustments...)
	return v, nil
}

func (q *Queries) GetClaimPayment(ctx context.Context, ref store.Ref) (store.ClaimPayment, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.ClaimPayment{}, err
	}
	v, err := scanPayment(q.c.QueryRow(ctx, "SELECT "+paymentCols+" FROM claim_payments WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	if err != nil {
		return v, wrap("claim payment", ref.ID, err)
	}
	ps := []store.ClaimPayment{v}
	if err := q.loadAdjustments(ctx, ps); err != nil {
		return store.ClaimPayment{}, err
	}
	return ps[0], nil
}

// loadAdjustments fills the adjustments of payments, 500 payments a query.
func (q *Queries) loadAdjustments(ctx context.Context, ps []store.ClaimPayment) error {
	index := make(map[int64]int, len(ps))
	for i := range ps {
		index[ps[i].ID] = i
	}
	for start := 0; start < len(ps); start += 500 {
		end := min(start+500, len(ps))
		ids := make([]string, 0, end-start)
		for _, p := range ps[start:end] {
			ids = append(ids, strconv.FormatInt(p.ID, 10))
		}
		rows, err := q.c.Query(ctx, `SELECT claim_payment_id, service_line, group_code, reason_code, amount_cents, quantity_milli
			FROM claim_adjustments WHERE clinic_id = $1 AND claim_payment_id IN (`+strings.Join(ids, ", ")+`) ORDER BY id`, q.clinic)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var a store.ClaimAdjustment
			if err := rows.Scan(&id, &a.ServiceLine, &a.GroupCode, &a.ReasonCode, &a.AmountCents, &a.QuantityMilli); err != nil {
				rows.Close()
				return err
			}
			i := index[id]
			ps[i].Adjustments = append(ps[i].Adjustments, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (q *Queries) ListClaimPayments(ctx context.Context, p store.ListClaimPaymentsParams) ([]store.ClaimPayment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + paymentCols + " FROM claim_payments")
	b.cond("clinic_id = ?", cid)
	if p.RemittanceID != 0 {
		b.cond("remittance_id = ?", p.RemittanceID)
	}
	if p.ClaimID != 0 {
		b.cond("claim_id = ?", p.ClaimID)
	}
	if p.Unmatched {
		b.cond("claim_id IS NULL")
	}
	b.in("payer_claim_control_number", p.PayerClaimControlNumbers)
	if p.AfterID > 0 {
		b.cond("id > ?", p.AfterID)
	}
	b.add(" ORDER BY id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	ps, err := collect(rows, err, scanPayment)
	if err != nil {
		return nil, err
	}
	return ps, q.loadAdjustments(ctx, ps)
}

func (q *Queries) MatchClaimPayment(ctx context.Context, p store.MatchClaimPaymentParams) (store.ClaimPayment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.ClaimPayment{}, err
	}
	n, err := q.c.Exec(ctx, "UPDATE claim_payments SET claim_id = $3 WHERE clinic_id = $1 AND id = $2", cid, p.ID, p.ClaimID)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.ClaimPayment{}, wrap("claim payment", p.ID, err)
	}
	return q.GetClaimPayment(ctx, store.Ref{ClinicID: cid, ID: p.ID})
}

// Ledger.

const ledgerEntryCols = `id, clinic_id, transaction_id, account, amount_cents, claim_id, patient_id, remittance_id,
	effective_date, posted_at`

func scanLedgerEntry(r Row) (store.LedgerEntry, error) {
	var e store.LedgerEntry
	err := r.Scan(&e.ID, &e.ClinicID, &e.TransactionID, &e.Account, &e.AmountCents, &e.ClaimID, &e.PatientID, &e.RemittanceID,
		TS(&e.EffectiveDate), TS(&e.PostedAt))
	return e, err
}

const ledgerTxCols = "id, clinic_id, idempotency_key, description, effective_date, posted_at"

func scanLedgerTx(r Row) (store.LedgerTransaction, error) {
	var t store.LedgerTransaction
	err := r.Scan(&t.ID, &t.ClinicID, &t.IdempotencyKey, &t.Description, TS(&t.EffectiveDate), TS(&t.PostedAt))
	return t, err
}

func (q *Queries) PostLedgerTransaction(ctx context.Context, p store.PostLedgerTransactionParams) (store.LedgerTransaction, bool, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.LedgerTransaction{}, false, err
	}
	if err := required("IdempotencyKey", p.IdempotencyKey); err != nil {
		return store.LedgerTransaction{}, false, err
	}
	if len(p.Lines) < 2 {
		return store.LedgerTransaction{}, false, &store.FieldError{Field: "Lines (at least two)", Err: store.ErrInvalid}
	}
	var sum int64
	for i, l := range p.Lines {
		if err := required(fmt.Sprintf("Lines[%d].Account", i), l.Account); err != nil {
			return store.LedgerTransaction{}, false, err
		}
		sum += l.AmountCents
	}
	if sum != 0 {
		return store.LedgerTransaction{}, false, &store.FieldError{Field: fmt.Sprintf("Lines (unbalanced by %d cents)", sum), Err: store.ErrInvalid}
	}
	now := q.Now()
	effective := p.EffectiveDate
	if effective.IsZero() {
		effective = now
	}
	t, err := scanLedgerTx(q.c.QueryRow(ctx, `INSERT INTO ledger_transactions (clinic_id, idempotency_key, description,
		effective_date, posted_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (clinic_id, idempotency_key) DO NOTHING RETURNING `+ledgerTxCols,
		cid, p.IdempotencyKey, p.Description, Date(effective), now))
	if errors.Is(err, store.ErrNotFound) {
		t, err = scanLedgerTx(q.c.QueryRow(ctx, "SELECT "+ledgerTxCols+" FROM ledger_transactions WHERE clinic_id = $1 AND idempotency_key = $2",
			cid, p.IdempotencyKey))
		if err != nil {
			return t, false, fmt.Errorf("ledger transaction %q: %w", p.IdempotencyKey, err)
		}
		rows, err := q.c.Query(ctx, "SELECT "+ledgerEntryCols+" FROM ledger_entries WHERE clinic_id = $1 AND transaction_id = $2 ORDER BY id", cid, t.ID)
		t.Entries, err = collect(rows, err, scanLedgerEntry)
		return t, false, err
	}
	if err != nil {
		return t, false, fmt.Errorf("ledger transaction %q: %w", p.IdempotencyKey, err)
	}
	for _, l := range p.Lines {
		e, err := scanLedgerEntry(q.c.QueryRow(ctx, `INSERT INTO ledger_entries (clinic_id, transaction_id, account, amount_cents,
			claim_id, patient_id, remittance_id, effective_date, posted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING `+ledgerEntryCols, cid, t.ID, l.Account, l.AmountCents, l.ClaimID, l.PatientID, l.RemittanceID, Date(effective), now))
		if err != nil {
			return store.LedgerTransaction{}, false, fmt.Errorf("ledger transaction %q account %q: %w", p.IdempotencyKey, l.Account, err)
		}
		t.Entries = append(t.Entries, e)
	}
	return t, true, nil
}

func ledgerFilter(b *builder, cid int64, account string, claimID, patientID int64) {
	b.cond("clinic_id = ?", cid)
	if account != "" {
		b.cond("account = ?", account)
	}
	if claimID != 0 {
		b.cond("claim_id = ?", claimID)
	}
	if patientID != 0 {
		b.cond("patient_id = ?", patientID)
	}
}

func (q *Queries) ListLedgerEntries(ctx context.Context, p store.ListLedgerEntriesParams) ([]store.LedgerEntry, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + ledgerEntryCols + " FROM ledger_entries")
	ledgerFilter(&b, cid, p.Account, p.ClaimID, p.PatientID)
	if !p.From.IsZero() {
		b.cond("effective_date >= ?", Date(p.From))
	}
	if !p.To.IsZero() {
		b.cond("effective_date <= ?", Date(p.To))
	}
	b.add(" ORDER BY id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanLedgerEntry)
}

func (q *Queries) LedgerBalance(ctx context.Context, p store.LedgerBalanceParams) (int64, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return 0, err
	}
	var b builder
	b.add("SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM ledger_entries")
	ledgerFilter(&b, cid, p.Account, p.ClaimID, p.PatientID)
	var sum int64
	err = q.c.QueryRow(ctx, b.String(), b.args...).Scan(&sum)
	return sum, err
}
