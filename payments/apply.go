package payments

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// Get returns a payment with its allocations.
func (s *Service) Get(ctx context.Context, clinicID, id int64) (Result, error) {
	var r Result
	var err error
	if r.Payment, err = s.st.GetPatientPayment(ctx, store.Ref{ClinicID: clinicID, ID: id}); err != nil {
		return r, err
	}
	r.Allocations, err = s.st.ListPaymentAllocations(ctx, store.ListPaymentAllocationsParams{ClinicID: clinicID, PaymentIDs: []int64{id}})
	return r, err
}

// List lists payments.
func (s *Service) List(ctx context.Context, p store.ListPatientPaymentsParams) ([]store.PatientPayment, error) {
	return s.st.ListPatientPayments(ctx, p)
}

// ApplyResult says what Apply moved.
type ApplyResult struct {
	Payments     int
	Applications int
	AppliedCents int64
}

// Apply applies patients' cash on account to their open claim balances,
// oldest first: for a patient (patientID) or the whole clinic (zero). It is
// set-based: one query for the payments with cash on account, one for the
// patient A/R, one for the claims, then the allocations and the ledger
// transactions in bulk, and one audit event.
func (s *Service) Apply(ctx context.Context, clinicID, patientID int64) (ApplyResult, error) {
	var res ApplyResult
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		pays, err := tx.ListPatientPayments(ctx, store.ListPatientPaymentsParams{PatientID: patientID, Unapplied: true})
		if err != nil || len(pays) == 0 {
			return err
		}
		var patients, payIDs []int64
		for _, p := range pays {
			patients = append(patients, p.PatientID)
			payIDs = append(payIDs, p.ID)
		}
		slices.Sort(patients)
		patients = slices.Compact(patients)
		balances, err := claimBalances(ctx, tx, patients)
		if err != nil {
			return err
		}
		prior, err := tx.ListPaymentAllocations(ctx, store.ListPaymentAllocationsParams{PaymentIDs: payIDs})
		if err != nil {
			return err
		}
		seq := map[int64]int{}
		for _, a := range prior {
			seq[a.PaymentID]++
		}
		var allocs []store.PaymentAllocation
		var txs []store.PostLedgerTransactionParams
		date := s.today()
		for _, p := range pays {
			bs := balances[p.PatientID]
			as := allocate(p.ID, p.UnappliedCents(), bs, p.ClaimID)
			if len(as) == 0 {
				continue
			}
			pid := p.PatientID
			var lines []store.LedgerLine
			var sum int64
			for _, a := range as {
				lines = append(lines, store.LedgerLine{Account: billing.AccountPatientAR, AmountCents: -a.AmountCents, ClaimID: a.ClaimID, PatientID: &pid})
				sum += a.AmountCents
			}
			lines = append(lines, store.LedgerLine{Account: billing.AccountPatientCredit, AmountCents: sum, PatientID: &pid})
			txs = append(txs, store.PostLedgerTransactionParams{IdempotencyKey: fmt.Sprintf("patient-payment-apply:%d:%d", p.ID, seq[p.ID]),
				Description: fmt.Sprintf("apply patient payment %d", p.ID), EffectiveDate: date, Lines: lines})
			allocs = append(allocs, as...)
			res.Payments++
			res.Applications += len(as)
			res.AppliedCents += sum
		}
		if len(txs) == 0 {
			return nil
		}
		if err := tx.InsertPaymentAllocations(ctx, store.InsertPaymentAllocationsParams{Allocations: allocs}); err != nil {
			return err
		}
		created, err := tx.PostLedgerTransactions(ctx, store.PostLedgerTransactionsParams{Transactions: txs})
		if err != nil {
			return err
		}
		for i, c := range created {
			if !c {
				// Another run applied the same payment at the same time:
				// roll back rather than record allocations twice.
				return fmt.Errorf("%s already posted: %w", txs[i].IdempotencyKey, store.ErrConflict)
			}
		}
		return s.audit(ctx, tx, "", AuditApply, 0, map[string]any{"payments": res.Payments, "applications": res.Applications,
			"applied_cents": res.AppliedCents, "patient_id": patientID})
	})
	return res, err
}

// netByClaim sums a payment's claim allocations per claim.
func netByClaim(allocs []store.PaymentAllocation) (map[int64]int64, []int64) {
	net := map[int64]int64{}
	var order []int64
	for _, a := range allocs {
		if a.Kind != store.AllocationClaim || a.ClaimID == nil {
			continue
		}
		if _, ok := net[*a.ClaimID]; !ok {
			order = append(order, *a.ClaimID)
		}
		net[*a.ClaimID] += a.AmountCents
	}
	return net, order
}

// Void cancels a payment entered in error: every line it posted is
// reversed (claim balances reopen, cash on account and cash drop) and the
// payment is marked voided. What was already refunded stays refunded. A card
// payment's remaining amount is refunded through the processor first.
func (s *Service) Void(ctx context.Context, clinicID, id int64, reason string) (Result, error) {
	cur, err := s.Get(ctx, clinicID, id)
	if err != nil {
		return Result{}, err
	}
	if cur.Payment.Status != store.PaymentPosted {
		return Result{}, fmt.Errorf("payment %d is %s: %w", id, cur.Payment.Status, store.ErrConflict)
	}
	left := cur.Payment.AmountCents - cur.Payment.RefundedCents
	var refundID string
	if cur.Payment.Method == store.PaymentCard && cur.Payment.ProcessorPaymentID != "" && left > 0 {
		if s.proc == nil {
			return Result{}, ErrNoProcessor
		}
		rf, err := s.proc.Refund(ctx, RefundRequest{PaymentID: cur.Payment.ProcessorPaymentID, AmountCents: left,
			IdempotencyKey: fmt.Sprintf("void-%d-%d", clinicID, id)})
		if err != nil {
			return Result{}, err
		}
		refundID = rf.ID
	}
	var res Result
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		pay, err := tx.VoidPatientPayment(ctx, store.VoidPatientPaymentParams{ID: id})
		if err != nil {
			return err
		}
		allocs, err := tx.ListPaymentAllocations(ctx, store.ListPaymentAllocationsParams{PaymentIDs: []int64{id}})
		if err != nil {
			return err
		}
		pid := pay.PatientID
		net, order := netByClaim(allocs)
		lines := []store.LedgerLine{{Account: billing.AccountCash, AmountCents: -left, PatientID: &pid}}
		var undo []store.PaymentAllocation
		var reopened int64
		for _, c := range order {
			if n := net[c]; n != 0 {
				claimID := c
				lines = append(lines, store.LedgerLine{Account: billing.AccountPatientAR, AmountCents: n, ClaimID: &claimID, PatientID: &pid})
				undo = append(undo, store.PaymentAllocation{PaymentID: id, Kind: store.AllocationClaim, ClaimID: &claimID, AmountCents: -n})
				reopened += n
			}
		}
		if rest := left - reopened; rest != 0 {
			lines = append(lines, store.LedgerLine{Account: billing.AccountPatientCredit, AmountCents: rest, PatientID: &pid})
		}
		if left != 0 {
			if _, _, err := tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: "patient-payment-void:" + strconv.FormatInt(id, 10),
				Description: fmt.Sprintf("void patient payment %d", id), EffectiveDate: s.today(), Lines: lines}); err != nil {
				return err
			}
		}
		if err := tx.InsertPaymentAllocations(ctx, store.InsertPaymentAllocationsParams{Allocations: undo}); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, "", AuditVoid, id, map[string]any{"reversed_cents": left, "reopened_cents": reopened,
			"reason": reason, "processor_refund_id": refundID}); err != nil {
			return err
		}
		if _, err := billing.CheckCredits(ctx, tx, billing.CreditScope{PatientIDs: []int64{pid}}); err != nil {
			return err
		}
		if res.Payment, err = tx.GetPatientPayment(ctx, store.Ref{ID: id}); err != nil {
			return err
		}
		res.Allocations, err = tx.ListPaymentAllocations(ctx, store.ListPaymentAllocationsParams{PaymentIDs: []int64{id}})
		return err
	})
	if err != nil && refundID != "" {
		s.log.Error("card refunded for a void that was not recorded", "processor_refund", refundID, "error", err)
	}
	return res, err
}

// Refund pays money back to the patient: from the payment's cash on account
// first, then by taking back its newest claim applications (those claim
// balances reopen). A card payment is refunded through the processor first.
func (s *Service) Refund(ctx context.Context, clinicID, id, amountCents int64, reason string) (Result, error) {
	cur, err := s.Get(ctx, clinicID, id)
	if err != nil {
		return Result{}, err
	}
	if cur.Payment.Status != store.PaymentPosted {
		return Result{}, fmt.Errorf("payment %d is %s: %w", id, cur.Payment.Status, store.ErrConflict)
	}
	left := cur.Payment.AmountCents - cur.Payment.RefundedCents
	if amountCents == 0 {
		amountCents = cur.Payment.UnappliedCents()
	}
	if amountCents <= 0 || amountCents > left {
		return Result{}, fmt.Errorf("%w: refund %s of payment %d: between 0.01 and %s can be refunded", ErrInput,
			money.Cents(amountCents), id, money.Cents(left))
	}
	n := 0
	for _, a := range cur.Allocations {
		if a.Kind == store.AllocationRefund {
			n++
		}
	}
	var refundID string
	if cur.Payment.Method == store.PaymentCard && cur.Payment.ProcessorPaymentID != "" {
		if s.proc == nil {
			return Result{}, ErrNoProcessor
		}
		rf, err := s.proc.Refund(ctx, RefundRequest{PaymentID: cur.Payment.ProcessorPaymentID, AmountCents: amountCents,
			IdempotencyKey: fmt.Sprintf("refund-%d-%d-%d", clinicID, id, n)})
		if err != nil {
			return Result{}, err
		}
		refundID = rf.ID
	}
	var res Result
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		pay, err := tx.GetPatientPayment(ctx, store.Ref{ID: id})
		if err != nil {
			return err
		}
		if pay.Status != store.PaymentPosted || pay.AmountCents-pay.RefundedCents < amountCents {
			return fmt.Errorf("payment %d changed while refunding: %w", id, store.ErrConflict)
		}
		allocs, err := tx.ListPaymentAllocations(ctx, store.ListPaymentAllocationsParams{PaymentIDs: []int64{id}})
		if err != nil {
			return err
		}
		pid := pay.PatientID
		lines := []store.LedgerLine{{Account: billing.AccountCash, AmountCents: -amountCents, PatientID: &pid}}
		fromCredit := min(amountCents, pay.UnappliedCents())
		if fromCredit > 0 {
			lines = append(lines, store.LedgerLine{Account: billing.AccountPatientCredit, AmountCents: fromCredit, PatientID: &pid})
		}
		need := amountCents - fromCredit
		net, order := netByClaim(allocs)
		newAllocs := []store.PaymentAllocation{{PaymentID: id, Kind: store.AllocationRefund, AmountCents: amountCents, ProcessorRefundID: refundID}}
		for i := len(order) - 1; i >= 0 && need > 0; i-- {
			c := order[i]
			take := min(need, net[c])
			if take <= 0 {
				continue
			}
			claimID := c
			lines = append(lines, store.LedgerLine{Account: billing.AccountPatientAR, AmountCents: take, ClaimID: &claimID, PatientID: &pid})
			newAllocs = append(newAllocs, store.PaymentAllocation{PaymentID: id, Kind: store.AllocationClaim, ClaimID: &claimID, AmountCents: -take})
			need -= take
		}
		if need != 0 {
			return fmt.Errorf("payment %d: %s of the refund has no application to take back: %w", id, money.Cents(need), store.ErrConflict)
		}
		seq := 0
		for _, a := range allocs {
			if a.Kind == store.AllocationRefund {
				seq++
			}
		}
		_, created, err := tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: fmt.Sprintf("patient-payment-refund:%d:%d", id, seq),
			Description: fmt.Sprintf("refund of patient payment %d", id), EffectiveDate: s.today(), Lines: lines})
		if err != nil {
			return err
		}
		if !created {
			return fmt.Errorf("refund %d of payment %d already posted: %w", seq, id, store.ErrConflict)
		}
		if err := tx.InsertPaymentAllocations(ctx, store.InsertPaymentAllocationsParams{Allocations: newAllocs}); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, "", AuditRefund, id, map[string]any{"refund_cents": amountCents, "reason": reason,
			"processor_refund_id": refundID}); err != nil {
			return err
		}
		// A refund of the patient's credit settles its credit_balance
		// item.
		if _, err := billing.CheckCredits(ctx, tx, billing.CreditScope{PatientIDs: []int64{pid}}); err != nil {
			return err
		}
		if res.Payment, err = tx.GetPatientPayment(ctx, store.Ref{ID: id}); err != nil {
			return err
		}
		res.Allocations, err = tx.ListPaymentAllocations(ctx, store.ListPaymentAllocationsParams{PaymentIDs: []int64{id}})
		return err
	})
	if err != nil && refundID != "" {
		s.log.Error("card refunded but the refund was not recorded", "processor_refund", refundID, "error", err)
	}
	return res, err
}
