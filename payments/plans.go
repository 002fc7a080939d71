package payments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// WorkPaymentPlan is a worklist item for an instalment that needs a person:
// a manual plan's instalment is due, or a card on file was declined.
const WorkPaymentPlan = "payment_plan"

// PlanParams create a payment plan.
type PlanParams struct {
	ClinicID  int64
	PatientID int64
	// TotalCents defaults to the patient's balance (patient A/R less cash
	// on account).
	TotalCents      int64
	InstalmentCents int64
	// IntervalDays between instalments; default 30.
	IntervalDays int
	// FirstDue defaults to today.
	FirstDue time.Time
	// CardToken and CustomerToken are a card on file at the processor;
	// without them each instalment is a worklist item for the front desk.
	CardToken     string
	CustomerToken string
}

// CreatePlan creates a payment plan.
func (s *Service) CreatePlan(ctx context.Context, p PlanParams) (store.PaymentPlan, error) {
	if p.IntervalDays == 0 {
		p.IntervalDays = 30
	}
	if p.FirstDue.IsZero() {
		p.FirstDue = s.today()
	}
	if p.CardToken != "" && s.proc == nil {
		return store.PaymentPlan{}, ErrNoProcessor
	}
	var plan store.PaymentPlan
	err := s.st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		if p.TotalCents == 0 {
			ar, err := tx.LedgerBalance(ctx, store.LedgerBalanceParams{Account: billing.AccountPatientAR, PatientID: p.PatientID})
			if err != nil {
				return err
			}
			credit, err := tx.LedgerBalance(ctx, store.LedgerBalanceParams{Account: billing.AccountPatientCredit, PatientID: p.PatientID})
			if err != nil {
				return err
			}
			if p.TotalCents = ar + credit; p.TotalCents <= 0 {
				return fmt.Errorf("%w: patient %d owes nothing", ErrInput, p.PatientID)
			}
		}
		proc := ""
		if p.CardToken != "" {
			proc = s.proc.Name()
		}
		var err error
		plan, err = tx.CreatePaymentPlan(ctx, store.CreatePaymentPlanParams{PatientID: p.PatientID, TotalCents: p.TotalCents,
			InstalmentCents: p.InstalmentCents, IntervalDays: p.IntervalDays, FirstDueOn: p.FirstDue, Processor: proc,
			PaymentMethodToken: p.CardToken, CustomerToken: p.CustomerToken})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, "", AuditPlan, plan.ID, map[string]any{"patient_id": p.PatientID, "total_cents": p.TotalCents,
			"instalment_cents": p.InstalmentCents, "interval_days": p.IntervalDays, "card_on_file": p.CardToken != ""})
	})
	return plan, err
}

// PlanRunResult says what RunDuePlans did.
type PlanRunResult struct {
	Due       int
	Charged   int
	Manual    int
	Declined  int
	Completed int
	Cents     int64
}

// RunDuePlans collects the instalments due on or before today: a card on
// file is charged (a payment recorded and applied like any other); a manual
// plan's instalment becomes a worklist item; a decline becomes one too and
// is tried again at the next run. The due plans are read in one query; each
// card charge is one processor call and one transaction.
func (s *Service) RunDuePlans(ctx context.Context, clinicID int64) (PlanRunResult, error) {
	var res PlanRunResult
	today := s.today()
	plans, err := s.st.ListPaymentPlans(ctx, store.ListPaymentPlansParams{ClinicID: clinicID, DueOnOrBefore: today})
	if err != nil {
		return res, err
	}
	res.Due = len(plans)
	for _, pl := range plans {
		amount := min(pl.InstalmentCents, pl.RemainingCents)
		due := pl.NextDueOn.Format(time.DateOnly)
		if amount <= 0 {
			continue
		}
		if pl.PaymentMethodToken != "" && s.proc != nil {
			id := pl.ID
			_, err := s.Add(ctx, AddParams{ClinicID: clinicID, PatientID: pl.PatientID, AmountCents: amount, Method: store.PaymentCard,
				Reference: fmt.Sprintf("plan-%d-%s", pl.ID, due), CardToken: pl.PaymentMethodToken, CustomerToken: pl.CustomerToken,
				PlanID: &id, Memo: "payment plan instalment due " + due, Date: today})
			switch {
			case err == nil:
				res.Charged++
				res.Cents += amount
				if amount == pl.RemainingCents {
					res.Completed++
				}
				continue
			case errors.Is(err, ErrDeclined):
				res.Declined++
				if err := s.planItem(ctx, clinicID, pl, amount, fmt.Sprintf("Payment plan %d: card declined for the instalment of %s due %s",
					pl.ID, money.Cents(amount), due), "declined"); err != nil {
					return res, err
				}
				failed := pl.FailedAttempts + 1
				if _, err := s.updatePlan(ctx, clinicID, store.UpdatePaymentPlanParams{ID: pl.ID, FailedAttempts: &failed}); err != nil {
					return res, err
				}
				continue
			default:
				return res, fmt.Errorf("payment plan %d: %w", pl.ID, err)
			}
		}
		res.Manual++
		if err := s.planItem(ctx, clinicID, pl, amount, fmt.Sprintf("Payment plan %d: collect the instalment of %s due %s",
			pl.ID, money.Cents(amount), due), "due"); err != nil {
			return res, err
		}
		next := pl.NextDueOn.AddDate(0, 0, pl.IntervalDays)
		if _, err := s.updatePlan(ctx, clinicID, store.UpdatePaymentPlanParams{ID: pl.ID, NextDueOn: &next}); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (s *Service) planItem(ctx context.Context, clinicID int64, pl store.PaymentPlan, amount int64, title, what string) error {
	return s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		pid := pl.PatientID
		_, _, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: WorkPaymentPlan, Priority: 2, PatientID: &pid,
			AmountCents: amount, Title: title, DedupeKey: fmt.Sprintf("plan:%d:%s:%s", pl.ID, pl.NextDueOn.Format(time.DateOnly), what)})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, "", AuditPlanRun, pl.ID, map[string]any{"instalment_cents": amount, "outcome": what})
	})
}

func (s *Service) updatePlan(ctx context.Context, clinicID int64, p store.UpdatePaymentPlanParams) (store.PaymentPlan, error) {
	var pl store.PaymentPlan
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		pl, err = tx.UpdatePaymentPlan(ctx, p)
		return err
	})
	return pl, err
}

// creditPlan counts a payment toward its plan, in the payment's
// transaction: the remaining amount drops, the next due date moves on, and
// a plan paid off is completed.
func creditPlan(ctx context.Context, tx store.Tx, planID, cents int64) error {
	pl, err := tx.GetPaymentPlan(ctx, store.Ref{ID: planID})
	if err != nil {
		return err
	}
	if pl.Status != store.PlanActive {
		return fmt.Errorf("payment plan %d is %s: %w", planID, pl.Status, store.ErrConflict)
	}
	remaining := max(0, pl.RemainingCents-cents)
	next := pl.NextDueOn.AddDate(0, 0, pl.IntervalDays)
	zero := 0
	up := store.UpdatePaymentPlanParams{ID: planID, RemainingCents: &remaining, NextDueOn: &next, FailedAttempts: &zero}
	if remaining == 0 {
		done := store.PlanCompleted
		up.Status = &done
	}
	_, err = tx.UpdatePaymentPlan(ctx, up)
	return err
}

// Plans lists payment plans.
func (s *Service) Plans(ctx context.Context, p store.ListPaymentPlansParams) ([]store.PaymentPlan, error) {
	return s.st.ListPaymentPlans(ctx, p)
}
