package store

import "time"

// Patient payment methods.
const (
	PaymentCash  = "cash"
	PaymentCheck = "check"
	PaymentCard  = "card"
)

// Patient payment statuses.
const (
	PaymentPosted = "posted"
	PaymentVoided = "voided"
)

// Payment allocation kinds: cash applied to a claim's patient balance, or
// paid back to the patient.
const (
	AllocationClaim  = "claim"
	AllocationRefund = "refund"
)

// PatientPayment is money a patient (or guarantor) paid: at check-in, against
// a statement, by card or under a payment plan. Card payments keep the
// processor's token and payment ID, never a card number.
type PatientPayment struct {
	ID            int64
	ClinicID      int64
	PatientID     int64
	AmountCents   int64
	Method        string
	Status        string
	Reference     string
	ClaimID       *int64
	AppointmentID *int64
	PlanID        *int64
	// Processor names the card processor ("stripe"); ProcessorPaymentID is
	// its payment (PaymentIntent) ID; CardBrand and CardLast4 are what the
	// processor reports for the receipt.
	Processor          string
	ProcessorPaymentID string
	CardBrand          string
	CardLast4          string
	Memo               string
	// ReceivedOn is a date.
	ReceivedOn time.Time
	// AppliedCents is the net amount allocated to claims; RefundedCents
	// what was paid back. UnappliedCents (patient cash on account) is the
	// rest, zero once voided.
	AppliedCents  int64
	RefundedCents int64
	VoidedAt      *time.Time
	CreatedAt     time.Time
}

// UnappliedCents is the payment's cash on account.
func (p PatientPayment) UnappliedCents() int64 {
	if p.Status == PaymentVoided {
		return 0
	}
	return p.AmountCents - p.AppliedCents - p.RefundedCents
}

// CreatePatientPaymentParams records a payment; Reference is unique per
// clinic when set (a receipt or processor number).
type CreatePatientPaymentParams struct {
	ClinicID           int64
	PatientID          int64
	AmountCents        int64
	Method             string
	Reference          string
	ClaimID            *int64
	AppointmentID      *int64
	PlanID             *int64
	Processor          string
	ProcessorPaymentID string
	CardBrand          string
	CardLast4          string
	Memo               string
	ReceivedOn         time.Time
}

// ListPatientPaymentsParams filters payments; zero fields do not filter.
// Unapplied keeps posted payments with cash on account.
type ListPatientPaymentsParams struct {
	ClinicID  int64
	PatientID int64
	Status    string
	Unapplied bool
	AfterID   int64
	Limit     int
}

// VoidPatientPaymentParams marks a posted payment voided; a payment no
// longer posted fails with ErrConflict.
type VoidPatientPaymentParams struct {
	ClinicID int64
	ID       int64
}

// PaymentAllocation is one move of a payment's money: to a claim's patient
// balance (negative to take it back) or back to the patient (a refund).
type PaymentAllocation struct {
	ID          int64
	ClinicID    int64
	PaymentID   int64
	Kind        string
	ClaimID     *int64
	AmountCents int64
	// ProcessorRefundID is the card processor's refund ID.
	ProcessorRefundID string
	CreatedAt         time.Time
}

// InsertPaymentAllocationsParams appends allocations (one statement per
// chunk).
type InsertPaymentAllocationsParams struct {
	ClinicID    int64
	Allocations []PaymentAllocation
}

// ListPaymentAllocationsParams lists the allocations of some payments, or of
// all when PaymentIDs is empty, in ID order.
type ListPaymentAllocationsParams struct {
	ClinicID   int64
	PaymentIDs []int64
}

// Payment plan statuses.
const (
	PlanActive    = "active"
	PlanCompleted = "completed"
	PlanCancelled = "cancelled"
)

// PaymentPlan spreads a patient balance over instalments: every
// IntervalDays from NextDueOn, InstalmentCents is collected (by card token
// when one is on file, otherwise as an expected payment on the worklist)
// until RemainingCents is zero.
type PaymentPlan struct {
	ID              int64
	ClinicID        int64
	PatientID       int64
	TotalCents      int64
	InstalmentCents int64
	RemainingCents  int64
	IntervalDays    int
	NextDueOn       time.Time
	Status          string
	// Processor and PaymentMethodToken are the card on file, as the
	// processor's token (never a card number); empty for manual plans.
	Processor          string
	PaymentMethodToken string
	CustomerToken      string
	FailedAttempts     int
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// CreatePaymentPlanParams creates an active plan.
type CreatePaymentPlanParams struct {
	ClinicID           int64
	PatientID          int64
	TotalCents         int64
	InstalmentCents    int64
	IntervalDays       int
	FirstDueOn         time.Time
	Processor          string
	PaymentMethodToken string
	CustomerToken      string
}

// ListPaymentPlansParams filters plans; DueOnOrBefore keeps active plans
// due by a date.
type ListPaymentPlansParams struct {
	ClinicID      int64
	PatientID     int64
	Status        string
	DueOnOrBefore time.Time
}

// UpdatePaymentPlanParams changes a plan; nil fields are left alone.
type UpdatePaymentPlanParams struct {
	ClinicID       int64
	ID             int64
	Status         *string
	RemainingCents *int64
	NextDueOn      *time.Time
	FailedAttempts *int
}

// BankDeposit is one credit on the practice's bank account, imported from
// a BAI2 or CSV statement, and the 835 remittance it was matched to.
type BankDeposit struct {
	ID          int64
	ClinicID    int64
	DepositedOn time.Time
	AmountCents int64
	// TraceNumber is the bank's customer reference (for an ACH from a
	// payer, the 835's TRN02 reassociation trace).
	TraceNumber string
	// BankReference is unique per clinic: importing a statement twice adds
	// nothing.
	BankReference string
	Description   string
	SourceFile    string
	RemittanceID  *int64
	MatchedAt     *time.Time
	CreatedAt     time.Time
}

// InsertBankDepositsParams inserts deposits; those whose BankReference is
// already on file are skipped (and not returned).
type InsertBankDepositsParams struct {
	ClinicID int64
	Deposits []BankDeposit
}

// ListBankDepositsParams filters deposits; Unmatched keeps those without a
// remittance.
type ListBankDepositsParams struct {
	ClinicID  int64
	Unmatched bool
}

// DepositMatch links a deposit to a remittance.
type DepositMatch struct {
	DepositID    int64
	RemittanceID int64
}

// MatchBankDepositsParams links deposits to remittances in one statement per
// chunk; a deposit already matched fails with ErrConflict.
type MatchBankDepositsParams struct {
	ClinicID int64
	Matches  []DepositMatch
}
