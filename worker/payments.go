package worker

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
)

// DepositGraceDays is how long the nightly run lets an 835 payment wait for
// its bank deposit before it goes on the worklist.
const DepositGraceDays = 3

// PatientPaymentsArgs is one clinic's nightly patient-money run: money on
// account applied to balances payers have since left to patients, payment
// plan instalments due collected, and bank deposits matched to 835s.
type PatientPaymentsArgs struct {
	ClinicID int64 `json:"clinic_id"`
}

// Kind implements river.JobArgs.
func (PatientPaymentsArgs) Kind() string { return "patient_payments" }

// InsertOpts makes the run unique per clinic while it waits or runs.
func (PatientPaymentsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive()}
}

type patientPaymentsWorker struct {
	river.WorkerDefaults[PatientPaymentsArgs]
	p *Pipeline
}

func (w *patientPaymentsWorker) Work(ctx context.Context, job *river.Job[PatientPaymentsArgs]) error {
	return instrument(w.p, ctx, job, w.p.patientPayments)
}

// patientPayments runs PatientPaymentsArgs. Each step is idempotent: a
// retried job applies, charges or matches only what is still open.
func (p *Pipeline) patientPayments(ctx context.Context, a PatientPaymentsArgs) error {
	svc := p.cfg.Payments
	if svc == nil {
		return nil
	}
	applied, err := svc.Apply(ctx, a.ClinicID, 0)
	if err != nil {
		return fmt.Errorf("apply money on account: %w", err)
	}
	plans, err := svc.RunDuePlans(ctx, a.ClinicID)
	if err != nil {
		return fmt.Errorf("payment plans: %w", err)
	}
	dep, err := svc.MatchDeposits(ctx, a.ClinicID, DepositGraceDays)
	if err != nil {
		return fmt.Errorf("deposits: %w", err)
	}
	p.log.Info("patient payments", "clinic", a.ClinicID, "applied_cents", applied.AppliedCents, "plans_due", plans.Due,
		"plans_charged", plans.Charged, "plans_declined", plans.Declined, "deposits_matched", dep.Matched,
		"deposits_unmatched", dep.UnmatchedDeposits, "remittances_without_deposit", dep.UnmatchedRemittances)
	return nil
}
