package query

import (
	"context"
	"fmt"

	"github.com/clearhouse/clearhouse/store"
)

// Patient payments, allocations, payment plans and bank deposits.

const patientPaymentCols = `p.id, p.clinic_id, p.patient_id, p.amount_cents, p.method, p.status, p.reference, p.claim_id, p.appointment_id,
	p.plan_id, p.processor, p.processor_payment_id, p.card_brand, p.card_last4, p.memo, p.received_on, p.voided_at, p.created_at,
	COALESCE((SELECT SUM(a.amount_cents) FROM payment_allocations a WHERE a.clinic_id = p.clinic_id AND a.payment_id = p.id AND a.kind = 'claim'), 0),
	COALESCE((SELECT SUM(a.amount_cents) FROM payment_allocations a WHERE a.clinic_id = p.clinic_id AND a.payment_id = p.id AND a.kind = 'refund'), 0)`

func scanPatientPayment(r Row) (store.PatientPayment, error) {
	var p store.PatientPayment
	var ref *string
	err := r.Scan(&p.ID, &p.ClinicID, &p.PatientID, &p.AmountCents, &p.Method, &p.Status, &ref, &p.ClaimID, &p.AppointmentID,
		&p.PlanID, &p.Processor, &p.ProcessorPaymentID, &p.CardBrand, &p.CardLast4, &p.Memo, TS(&p.ReceivedOn), NullTS(&p.VoidedAt),
		TS(&p.CreatedAt), &p.AppliedCents, &p.RefundedCents)
	if ref != nil {
		p.Reference = *ref
	}
	return p, err
}

var paymentMethods = []string{store.PaymentCash, store.PaymentCheck, store.PaymentCard}

func (q *Queries) CreatePatientPayment(ctx context.Context, p store.CreatePatientPaymentParams) (store.PatientPayment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.PatientPayment{}, err
	}
	if err := oneOf("Method", p.Method, paymentMethods...); err != nil {
		return store.PatientPayment{}, err
	}
	if p.AmountCents <= 0 {
		return store.PatientPayment{}, &store.FieldError{Field: "AmountCents (positive)", Err: store.ErrInvalid}
	}
	if p.PatientID == 0 {
		return store.PatientPayment{}, &store.FieldError{Field: "PatientID (required)", Err: store.ErrInvalid}
	}
	var ref any
	if p.Reference != "" {
		ref = p.Reference
	}
	now := q.Now()
	received := p.ReceivedOn
	if received.IsZero() {
		received = now
	}
	var id int64
	err = q.c.QueryRow(ctx, `INSERT INTO patient_payments (clinic_id, patient_id, amount_cents, method, status, reference, claim_id,
		appointment_id, plan_id, processor, processor_payment_id, card_brand, card_last4, memo, received_on, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		cid, p.PatientID, p.AmountCents, p.Method, store.PaymentPosted, ref, p.ClaimID, p.AppointmentID, p.PlanID, p.Processor,
		p.ProcessorPaymentID, p.CardBrand, p.CardLast4, p.Memo, Date(received), now).Scan(&id)
	if err != nil {
		return store.PatientPayment{}, fmt.Errorf("patient payment %q: %w", p.Reference, err)
	}
	return q.GetPatientPayment(ctx, store.Ref{ClinicID: cid, ID: id})
}

func (q *Queries) GetPatientPayment(ctx context.Context, ref store.Ref) (store.PatientPayment, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.PatientPayment{}, err
	}
	p, err := scanPatientPayment(q.c.QueryRow(ctx, "SELECT "+patientPaymentCols+" FROM patient_payments p WHERE p.clinic_id = $1 AND p.id = $2", cid, ref.ID))
	return p, wrap("patient payment", ref.ID, err)
}

func (q *Queries) ListPatientPayments(ctx context.Context, p store.ListPatientPaymentsParams) ([]store.PatientPayment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + patientPaymentCols + " FROM patient_payments p")
	b.cond("p.clinic_id = ?", cid)
	if p.PatientID != 0 {
		b.cond("p.patient_id = ?", p.PatientID)
	}
	if p.Status != "" {
		b.cond("p.status = ?", p.Status)
	}
	if p.Unapplied {
		b.cond("p.status = ?", store.PaymentPosted)
		b.cond("p.amount_cents > COALESCE((SELECT SUM(a.amount_cents) FROM payment_allocations a WHERE a.clinic_id = p.clinic_id AND a.payment_id = p.id), 0)")
	}
	if p.AfterID > 0 {
		b.cond("p.id > ?", p.AfterID)
	}
	b.add(" ORDER BY p.id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanPatientPayment)
}

func (q *Queries) VoidPatientPayment(ctx context.Context, p store.VoidPatientPaymentParams) (store.PatientPayment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.PatientPayment{}, err
	}
	n, err := q.c.Exec(ctx, `UPDATE patient_payments SET status = $3, voided_at = $4 WHERE clinic_id = $1 AND id = $2 AND status = $5`,
		cid, p.ID, store.PaymentVoided, q.Now(), store.PaymentPosted)
	if err != nil {
		return store.PatientPayment{}, wrap("patient payment", p.ID, err)
	}
	if n == 0 {
		if _, err := q.GetPatientPayment(ctx, store.Ref{ClinicID: cid, ID: p.ID}); err != nil {
			return store.PatientPayment{}, err
		}
		return store.PatientPayment{}, fmt.Errorf("patient payment %d is not posted: %w", p.ID, store.ErrConflict)
	}
	return q.GetPatientPayment(ctx, store.Ref{ClinicID: cid, ID: p.ID})
}

const allocationCols = `id, clinic_id, payment_id, kind, claim_id, amount_cents, processor_refund_id, created_at`

func scanAllocation(r Row) (store.PaymentAllocation, error) {
	var a store.PaymentAllocation
	err := r.Scan(&a.ID, &a.ClinicID, &a.PaymentID, &a.Kind, &a.ClaimID, &a.AmountCents, &a.ProcessorRefundID, TS(&a.CreatedAt))
	return a, err
}

func (q *Queries) InsertPaymentAllocations(ctx context.Context, p store.InsertPaymentAllocationsParams) error {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return err
	}
	for i, a := range p.Allocations {
		if err := oneOf(fmt.Sprintf("Allocations[%d].Kind", i), a.Kind, store.AllocationClaim, store.AllocationRefund); err != nil {
			return err
		}
		if a.Kind == store.AllocationClaim && a.ClaimID == nil {
			return &store.FieldError{Field: fmt.Sprintf("Allocations[%d].ClaimID (required)", i), Err: store.ErrInvalid}
		}
	}
	now := q.Now()
	for start := 0; start < len(p.Allocations); start += rowsChunk {
		chunk := p.Allocations[start:min(start+rowsChunk, len(p.Allocations))]
		args := make([]any, 0, 2+5*len(chunk))
		args = append(args, cid, now)
		for _, a := range chunk {
			args = append(args, a.PaymentID, a.Kind, a.ClaimID, a.AmountCents, a.ProcessorRefundID)
		}
		if _, err := q.c.Exec(ctx, q.sql(`INSERT INTO payment_allocations (payment_id, kind, claim_id, amount_cents, processor_refund_id,
			clinic_id, created_at)
			SELECT v.column1, v.column2, v.column3, v.column4, v.column5, $1, $2 FROM (VALUES `+
			q.values(len(chunk), 5, 3, []string{"BIGINT", "TEXT", "BIGINT", "BIGINT", "TEXT"})+`) AS v`), args...); err != nil {
			return fmt.Errorf("payment allocations: %w", err)
		}
	}
	return nil
}

func (q *Queries) ListPaymentAllocations(ctx context.Context, p store.ListPaymentAllocationsParams) ([]store.PaymentAllocation, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	if len(p.PaymentIDs) == 0 {
		rows, err := q.c.Query(ctx, "SELECT "+allocationCols+" FROM payment_allocations WHERE clinic_id = $1 ORDER BY id", cid)
		return collect(rows, err, scanAllocation)
	}
	var out []store.PaymentAllocation
	for start := 0; start < len(p.PaymentIDs); start += listChunk {
		chunk := p.PaymentIDs[start:min(start+listChunk, len(p.PaymentIDs))]
		rows, err := q.c.Query(ctx, "SELECT "+allocationCols+" FROM payment_allocations WHERE clinic_id = $1 AND payment_id IN ("+
			idList(chunk)+") ORDER BY id", cid)
		got, err := collect(rows, err, scanAllocation)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

const planCols = `id, clinic_id, patient_id, total_cents, instalment_cents, remaining_cents, interval_days, next_due_on, status,
	processor, payment_method_token, customer_token, failed_attempts, created_at, updated_at`

func scanPlan(r Row) (store.PaymentPlan, error) {
	var p store.PaymentPlan
	err := r.Scan(&p.ID, &p.ClinicID, &p.PatientID, &p.TotalCents, &p.InstalmentCents, &p.RemainingCents, &p.IntervalDays,
		TS(&p.NextDueOn), &p.Status, &p.Processor, &p.PaymentMethodToken, &p.CustomerToken, &p.FailedAttempts, TS(&p.CreatedAt), TS(&p.UpdatedAt))
	return p, err
}

var planStatuses = []string{store.PlanActive, store.PlanCompleted, store.PlanCancelled}

func (q *Queries) CreatePaymentPlan(ctx context.Context, p store.CreatePaymentPlanParams) (store.PaymentPlan, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.PaymentPlan{}, err
	}
	switch {
	case p.TotalCents <= 0:
		return store.PaymentPlan{}, &store.FieldError{Field: "TotalCents (positive)", Err: store.ErrInvalid}
	case p.InstalmentCents <= 0 || p.InstalmentCents > p.TotalCents:
		return store.PaymentPlan{}, &store.FieldError{Field: "InstalmentCents (positive, at most TotalCents)", Err: store.ErrInvalid}
	case p.IntervalDays <= 0:
		return store.PaymentPlan{}, &store.FieldError{Field: "IntervalDays (positive)", Err: store.ErrInvalid}
	case p.FirstDueOn.IsZero():
		return store.PaymentPlan{}, &store.FieldError{Field: "FirstDueOn (required)", Err: store.ErrInvalid}
	}
	now := q.Now()
	pl, err := scanPlan(q.c.QueryRow(ctx, `INSERT INTO payment_plans (clinic_id, patient_id, total_cents, instalment_cents,
		remaining_cents, interval_days, next_due_on, status, processor, payment_method_token, customer_token, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING `+planCols,
		cid, p.PatientID, p.TotalCents, p.InstalmentCents, p.IntervalDays, Date(p.FirstDueOn), store.PlanActive, p.Processor,
		p.PaymentMethodToken, p.CustomerToken, now))
	if err != nil {
		return pl, fmt.Errorf("payment plan: %w", err)
	}
	return pl, nil
}

func (q *Queries) GetPaymentPlan(ctx context.Context, ref store.Ref) (store.PaymentPlan, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.PaymentPlan{}, err
	}
	p, err := scanPlan(q.c.QueryRow(ctx, "SELECT "+planCols+" FROM payment_plans WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return p, wrap("payment plan", ref.ID, err)
}

func (q *Queries) ListPaymentPlans(ctx context.Context, p store.ListPaymentPlansParams) ([]store.PaymentPlan, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + planCols + " FROM payment_plans")
	b.cond("clinic_id = ?", cid)
	if p.PatientID != 0 {
		b.cond("patient_id = ?", p.PatientID)
	}
	if p.Status != "" {
		b.cond("status = ?", p.Status)
	}
	if !p.DueOnOrBefore.IsZero() {
		b.cond("status = ?", store.PlanActive)
		b.cond("next_due_on <= ?", Date(p.DueOnOrBefore))
	}
	b.add(" ORDER BY id")
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanPlan)
}

func (q *Queries) UpdatePaymentPlan(ctx context.Context, p store.UpdatePaymentPlanParams) (store.PaymentPlan, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.PaymentPlan{}, err
	}
	var status, remaining, next, failed any
	if p.Status != nil {
		if err := oneOf("Status", *p.Status, planStatuses...); err != nil {
			return store.PaymentPlan{}, err
		}
		status = *p.Status
	}
	if p.RemainingCents != nil {
		if *p.RemainingCents < 0 {
			return store.PaymentPlan{}, &store.FieldError{Field: "RemainingCents (not negative)", Err: store.ErrInvalid}
		}
		remaining = *p.RemainingCents
	}
	if p.NextDueOn != nil {
		next = Date(*p.NextDueOn)
	}
	if p.FailedAttempts != nil {
		failed = *p.FailedAttempts
	}
	pl, err := scanPlan(q.c.QueryRow(ctx, `UPDATE payment_plans SET status = COALESCE($3, status),
		remaining_cents = COALESCE($4, remaining_cents), next_due_on = COALESCE($5, next_due_on),
		failed_attempts = COALESCE($6, failed_attempts), updated_at = $7
		WHERE clinic_id = $1 AND id = $2 RETURNING `+planCols, cid, p.ID, status, remaining, next, failed, q.Now()))
	return pl, wrap("payment plan", p.ID, err)
}

const depositCols = `id, clinic_id, deposited_on, amount_cents, trace_number, bank_reference, description, source_file,
	remittance_id, matched_at, created_at`

func scanDeposit(r Row) (store.BankDeposit, error) {
	var d store.BankDeposit
	err := r.Scan(&d.ID, &d.ClinicID, TS(&d.DepositedOn), &d.AmountCents, &d.TraceNumber, &d.BankReference, &d.Description,
		&d.SourceFile, &d.RemittanceID, NullTS(&d.MatchedAt), TS(&d.CreatedAt))
	return d, err
}

func (q *Queries) InsertBankDeposits(ctx context.Context, p store.InsertBankDepositsParams) ([]store.BankDeposit, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	for i, d := range p.Deposits {
		if err := required(fmt.Sprintf("Deposits[%d].BankReference", i), d.BankReference); err != nil {
			return nil, err
		}
		if d.DepositedOn.IsZero() {
			return nil, &store.FieldError{Field: fmt.Sprintf("Deposits[%d].DepositedOn (required)", i), Err: store.ErrInvalid}
		}
	}
	now := q.Now()
	var out []store.BankDeposit
	for start := 0; start < len(p.Deposits); start += rowsChunk {
		chunk := p.Deposits[start:min(start+rowsChunk, len(p.Deposits))]
		args := make([]any, 0, 2+6*len(chunk))
		args = append(args, cid, now)
		for _, d := range chunk {
			args = append(args, Date(d.DepositedOn), d.AmountCents, d.TraceNumber, d.BankReference, d.Description, d.SourceFile)
		}
		rows, err := q.c.Query(ctx, q.sql(`INSERT INTO bank_deposits (deposited_on, amount_cents, trace_number, bank_reference,
			description, source_file, clinic_id, created_at)
			SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, $1, $2 FROM (VALUES `+
			q.values(len(chunk), 6, 3, []string{"DATE", "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT"})+`) AS v
			WHERE true ON CONFLICT (clinic_id, bank_reference) DO NOTHING RETURNING `+depositCols), args...)
		got, err := collect(rows, err, scanDeposit)
		if err != nil {
			return nil, fmt.Errorf("bank deposits: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

func (q *Queries) ListBankDeposits(ctx context.Context, p store.ListBankDepositsParams) ([]store.BankDeposit, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	s := "SELECT " + depositCols + " FROM bank_deposits WHERE clinic_id = $1"
	if p.Unmatched {
		s += " AND remittance_id IS NULL"
	}
	rows, err := q.c.Query(ctx, s+" ORDER BY deposited_on, id", cid)
	return collect(rows, err, scanDeposit)
}

func (q *Queries) MatchBankDeposits(ctx context.Context, p store.MatchBankDepositsParams) error {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return err
	}
	now := q.Now()
	for start := 0; start < len(p.Matches); start += rowsChunk {
		chunk := p.Matches[start:min(start+rowsChunk, len(p.Matches))]
		args := make([]any, 0, 2+2*len(chunk))
		args = append(args, cid, now)
		for _, m := range chunk {
			args = append(args, m.DepositID, m.RemittanceID)
		}
		n, err := q.c.Exec(ctx, q.sql(`UPDATE bank_deposits SET remittance_id = v.column2, matched_at = $2
			FROM (VALUES `+q.values(len(chunk), 2, 3, []string{"BIGINT", "BIGINT"})+`) AS v
			WHERE bank_deposits.clinic_id = $1 AND bank_deposits.id = v.column1 AND bank_deposits.remittance_id IS NULL`), args...)
		if err != nil {
			return fmt.Errorf("bank deposit matches: %w", err)
		}
		if n != int64(len(chunk)) {
			return fmt.Errorf("bank deposit matches: %d of %d deposits unmatched before: %w", n, len(chunk), store.ErrConflict)
		}
	}
	return nil
}
