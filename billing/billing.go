// Package billing turns encounters into claims and payments into balances:
// charge capture and import, fee schedules and expected allowed amounts, claim
// building (primary, and secondary with coordination of benefits), the claim
// state machine, scrubbing, 837 batching, acknowledgments (TA1, 999, 277CA),
// 835 posting to a double-entry ledger, patient balances and statements.
//
// A Service is built once with New over a Store; its methods are what the
// worker pipeline and the CLI call. Every method that changes several rows does
// so in one store transaction, and every method that a job may run twice (an
// acknowledgment, a remittance, a submission) is idempotent.
//
// Money is int64 cents. The clock, the logger and the actor name are injected.
package billing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/scrub"
)

// Sentinel errors. Errors of the package wrap one of these (or a store
// sentinel), so callers test with errors.Is.
var (
	// ErrConfig: Options are incomplete or wrong.
	ErrConfig = errors.New("billing: bad configuration")
	// ErrNotBillable: the encounter or claim is not in a state to bill
	// (encounter open, no unbilled charges, no coverage, ...).
	ErrNotBillable = errors.New("billing: not billable")
	// ErrNoPrice: a line has no charge and the fee schedule has no price
	// for its procedure.
	ErrNoPrice = errors.New("billing: no fee schedule price")
	// ErrInput: a charge, import row or profile value is invalid.
	ErrInput = errors.New("billing: invalid input")
	// ErrUnknownFile: an inbound file is not an acknowledgment this
	// package applies.
	ErrUnknownFile = errors.New("billing: not a TA1, 999 or 277CA file")
)

// Ledger accounts. Debits are positive. A claim's charge debits insurance
// A/R; payments, adjustments and transfers move it out, so for every
// encounter: charge = insurance payments + contractual and other adjustments +
// patient responsibility + write-offs + outstanding insurance A/R (denied
// A/R included).
const (
	// AccountInsuranceAR is what payers owe, per claim.
	AccountInsuranceAR = "ar_insurance"
	// AccountDeniedAR is what payers owe on amounts they denied (CAS
	// adjustments for other than a contractual reason, claim.ContractualCARC),
	// per claim: insurance A/R still open, marked denied, until a person
	// writes it off, an appeal's outcome or a correction moves it, or the
	// payer reprocesses the claim. Insurance A/R in reports is
	// AccountInsuranceAR plus AccountDeniedAR.
	AccountDeniedAR = "ar_insurance_denied"
	// AccountPatientAR is what patients owe (patient responsibility less
	// patient payments), per patient and claim.
	AccountPatientAR = "ar_patient"
	// AccountRevenue is gross charges (credited at claim creation).
	AccountRevenue = "revenue"
	// AccountCash is money received (insurance and patient payments) or
	// paid back (refunds, recoupments).
	AccountCash = "cash"
	// AccountContractual holds contractual adjustments (CAS group CO).
	AccountContractual = "contractual_adjustment"
	// AccountOtherAdjustment holds payer-initiated and other adjustments
	// (CAS groups OA, PI, CR).
	AccountOtherAdjustment = "other_adjustment"
	// AccountWriteOff holds balances written off by staff.
	AccountWriteOff = "write_off"
	// AccountUnapplied holds payments received but not matched to a claim
	// (the unmatched queue).
	AccountUnapplied = "unapplied_cash"
	// AccountPatientCredit holds patient money received but not yet
	// applied to a claim's patient balance (a copay taken at check-in
	// before the payer answers, an overpayment): a credit balance per
	// patient, applied or refunded by package payments.
	AccountPatientCredit = "patient_credit"
	// AccountProviderAdjustment holds 835 provider-level adjustments (PLB):
	// interest, recoveries and forwarding balances.
	AccountProviderAdjustment = "provider_adjustment"
)

// Worklist kinds this package adds to the store's (store.Work*).
const (
	// WorkRemittanceError is an 835 claim payment (or transaction) that was
	// not posted because it does not balance or cannot be read.
	WorkRemittanceError = "remittance_error"
)

// Options configure New.
type Options struct {
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives operational messages (never PHI); default discards.
	Logger *slog.Logger
	// Scrubber checks claims; required by Scrub.
	Scrubber *scrub.Scrubber
	// Payers is the payer registry: envelopes, claims per file, accepted
	// transactions. Required by PrepareSubmission and claim building.
	Payers *payers.Registry
	// Profiles supplies each clinic's billing profile (address, fee
	// schedule, expected allowed amounts). Required by claim building
	// and by pricing; without it underpayments are not detected.
	Profiles ProfileSource
	// Actor is recorded on status history and audit rows; default
	// "billing".
	Actor string
	// UnderpaymentToleranceCents ignores shortfalls at or below it (per
	// claim); default 0.
	UnderpaymentToleranceCents int64
	// PostChunkSize is how many claim payments of an 835 are posted in one
	// store transaction; default PostChunkSize.
	PostChunkSize int
}

// ProfileSource returns a clinic's billing profile.
type ProfileSource func(ctx context.Context, clinicID int64) (*ClinicProfile, error)

// StaticProfiles is a ProfileSource over a fixed map.
func StaticProfiles(m map[int64]*ClinicProfile) ProfileSource {
	return func(_ context.Context, clinicID int64) (*ClinicProfile, error) {
		p, ok := m[clinicID]
		if !ok {
			return nil, fmt.Errorf("%w: no billing profile for clinic %d", ErrConfig, clinicID)
		}
		return p, nil
	}
}

func (o *Options) validate() error {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Actor == "" {
		o.Actor = "billing"
	}
	if o.PostChunkSize == 0 {
		o.PostChunkSize = PostChunkSize
	}
	if o.PostChunkSize < 0 {
		return fmt.Errorf("%w: PostChunkSize is negative", ErrConfig)
	}
	if o.UnderpaymentToleranceCents < 0 {
		return fmt.Errorf("%w: UnderpaymentToleranceCents is negative", ErrConfig)
	}
	return nil
}

// Service is the billing API. It is safe for concurrent use.
type Service struct {
	st   Store
	opts Options
}

// New returns a Service over st.
func New(st Store, opts Options) (*Service, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: store is nil", ErrConfig)
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Service{st: st, opts: opts}, nil
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

func (s *Service) today() time.Time {
	y, m, d := s.now().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (s *Service) profile(ctx context.Context, clinicID int64) (*ClinicProfile, error) {
	if s.opts.Profiles == nil {
		return nil, fmt.Errorf("%w: no Profiles source", ErrConfig)
	}
	return s.opts.Profiles(ctx, clinicID)
}
