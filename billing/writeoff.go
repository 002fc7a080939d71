package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// Write-off sentinels; a *WriteOffError wraps one of them.
var (
	// ErrNothingToWriteOff: the balance a write-off would reduce is already
	// zero (or a credit), e.g. a claim paid in full, or a denial posted
	// before denied amounts were kept open (its CO adjustment cleared the
	// insurance A/R).
	ErrNothingToWriteOff = errors.New("billing: nothing to write off")
	// ErrWriteOffExceedsBalance: the write-off is larger than the balance
	// outstanding.
	ErrWriteOffExceedsBalance = errors.New("billing: write-off exceeds the outstanding balance")
)

// WriteOffError is a write-off the claim's balance does not allow. It
// wraps ErrNothingToWriteOff when nothing is outstanding, else
// ErrWriteOffExceedsBalance.
type WriteOffError struct {
	ClaimID              int64
	PatientControlNumber string
	// Status is the claim's status.
	Status claim.Status
	// Account is AccountInsuranceAR or AccountPatientAR.
	Account string
	// BalanceCents is what can be written off from Account (from
	// insurance A/R, denied A/R included; for the
	// patient balance, the claim's patient A/R capped by what the patient
	// owes in all).
	BalanceCents int64
	// AmountCents is the amount asked for (zero: the whole balance).
	AmountCents int64
	// PaidByPatient is set when the patient's payments, not the claim's
	// own postings, leave the patient balance at zero.
	PaidByPatient bool
}

func (e *WriteOffError) Error() string {
	if e.BalanceCents > 0 {
		return fmt.Sprintf("claim %d has %s outstanding in %s; cannot write off %s", e.ClaimID, money.Cents(e.BalanceCents).String(), e.Account,
			money.Cents(e.AmountCents).String())
	}
	which, why := "insurance", ""
	if e.Account == AccountPatientAR {
		which = "patient"
		if e.PaidByPatient {
			why = " (the patient's payments cover it)"
		}
	} else if e.Status == claim.StatusDenied {
		why = " (the denied amount was written off, billed to the patient or adjusted)"
	}
	if e.BalanceCents < 0 {
		return fmt.Sprintf("claim %d (%s): the %s balance is a credit of %s%s; nothing to write off (refund it instead)", e.ClaimID,
			e.PatientControlNumber, which, money.Cents(-e.BalanceCents).String(), why)
	}
	return fmt.Sprintf("claim %d (%s): the %s balance is already zero%s; nothing to write off", e.ClaimID, e.PatientControlNumber, which, why)
}

func (e *WriteOffError) Unwrap() error {
	if e.BalanceCents <= 0 {
		return ErrNothingToWriteOff
	}
	return ErrWriteOffExceedsBalance
}

// WriteOffParams describe a write-off of part or all of a claim's balance.
type WriteOffParams struct {
	ClaimID int64
	// AmountCents zero writes off the whole balance outstanding.
	AmountCents int64
	// FromPatient writes off the patient's balance of the claim (patient
	// A/R) instead of insurance A/R.
	FromPatient bool
	// Reference makes the posting idempotent: a write-off whose reference
	// was posted before posts nothing and reports AlreadyPosted (with
	// AmountCents zero, a retry after the balance is gone fails with
	// ErrNothingToWriteOff instead).
	Reference string
	// Reason, when set, is added to the ledger description.
	Reason string
	// Date is the effective date; zero is today by the Service's clock.
	Date time.Time
}

// WriteOffResult says what a write-off posted.
type WriteOffResult struct {
	Claim store.Claim
	// Account is the account written off (AccountInsuranceAR or
	// AccountPatientAR).
	Account string
	// AmountCents is the amount written off.
	AmountCents int64
	// BalanceCents is what could be written off before.
	BalanceCents int64
	// AlreadyPosted: the reference was posted before; nothing changed.
	AlreadyPosted bool
}

// WriteOff writes off part of a claim's balance, as staff do: from
// insurance A/R (a balance not worth pursuing with the payer) or, with
// fromPatient, from the patient's balance of the claim. The amount must be
// positive and at most what is outstanding, insurance A/R counting the
// claim's denied A/R (AccountDeniedAR), which is written off first: a
// denial keeps its denied amount open for this. A denial posted before
// denied amounts were kept open (its CO adjustment cleared the insurance
// A/R) has nothing to write off (a *WriteOffError wrapping
// ErrNothingToWriteOff says so).
// Reference makes it idempotent.
func (s *Service) WriteOff(ctx context.Context, clinicID, claimID, amountCents int64, fromPatient bool, reference string) error {
	if amountCents <= 0 {
		return fmt.Errorf("%w: a write-off needs a positive amount and a reference", ErrInput)
	}
	return s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		_, err := s.WriteOffTx(ctx, tx, WriteOffParams{ClaimID: claimID, AmountCents: amountCents, FromPatient: fromPatient, Reference: reference})
		return err
	})
}

// WriteOffTx is WriteOff inside the caller's transaction, so the caller
// posts the write-off together with its own rows (an audit event, resolved
// worklist items). It posts the write-off account debited and the claim's
// insurance or patient A/R credited (from insurance, its denied A/R
// first). On error the caller must roll the
// transaction back (store.Store.InTx does when its function fails).
//
// The patient balance that can be written off is the claim's patient A/R,
// capped by what the patient owes in all (a patient payment is posted to
// the patient, not to a claim), so a write-off never turns payments into a
// credit.
func (s *Service) WriteOffTx(ctx context.Context, tx store.Tx, p WriteOffParams) (WriteOffResult, error) {
	var res WriteOffResult
	if p.AmountCents < 0 || p.Reference == "" {
		return res, fmt.Errorf("%w: a write-off needs a reference and an amount that is not negative", ErrInput)
	}
	c, err := tx.GetClaim(ctx, store.Ref{ClinicID: tx.ClinicID(), ID: p.ClaimID})
	if err != nil {
		return res, err
	}
	res.Claim, res.Account = c, AccountInsuranceAR
	if p.FromPatient {
		res.Account = AccountPatientAR
	}
	balance, err := tx.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: c.ClinicID, Account: res.Account, ClaimID: c.ID})
	if err != nil {
		return res, err
	}
	var denied int64 // the claim's denied A/R, written off first
	if !p.FromPatient {
		if denied, err = DeniedBalance(ctx, tx, c.ID); err != nil {
			return res, err
		}
		balance += denied
	}
	paidByPatient := false
	if p.FromPatient {
		owed, err := tx.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: c.ClinicID, Account: AccountPatientAR, PatientID: c.PatientID})
		if err != nil {
			return res, err
		}
		if owed < balance {
			paidByPatient = balance > 0 && owed <= 0
			balance = owed
		}
	}
	res.BalanceCents = balance
	amount := p.AmountCents
	if amount == 0 {
		amount = balance
	}
	var refused error
	if amount <= 0 || amount > balance {
		refused = &WriteOffError{ClaimID: c.ID, PatientControlNumber: c.PatientControlNumber, Status: c.Status, Account: res.Account,
			BalanceCents: balance, AmountCents: p.AmountCents, PaidByPatient: paidByPatient}
		if amount <= 0 {
			return res, refused
		}
	}
	date := p.Date
	if date.IsZero() {
		date = s.today()
	}
	desc := "write-off " + c.PatientControlNumber
	if p.Reason != "" {
		desc += ": " + p.Reason
	}
	// A write-off the balance refuses is still posted once, to learn
	// whether its reference was posted before (a retry): then it changed
	// nothing and succeeds; else the caller rolls the posting back.
	posted, created, err := tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: c.ClinicID, IdempotencyKey: "write-off:" + p.Reference,
		Description: desc, EffectiveDate: date, Lines: writeOffLines(c, res.Account, amount, denied)})
	if err != nil {
		return res, err
	}
	if !created {
		res.AlreadyPosted = true
		for _, e := range posted.Entries {
			if e.Account == AccountWriteOff {
				res.AmountCents += e.AmountCents
			}
		}
		return res, nil
	}
	if refused != nil {
		return res, refused
	}
	res.AmountCents = amount
	return res, nil
}

// writeOffLines debit the write-off account by amount and credit account,
// the claim's insurance or patient A/R; from insurance A/R, the claim's
// denied A/R (denied) is credited first.
func writeOffLines(c store.Claim, account string, amount, denied int64) []store.LedgerLine {
	lines := []store.LedgerLine{{Account: AccountWriteOff, AmountCents: amount, ClaimID: &c.ID, PatientID: &c.PatientID}}
	if d := min(amount, max(denied, 0)); d > 0 {
		lines = append(lines, store.LedgerLine{Account: AccountDeniedAR, AmountCents: -d, ClaimID: &c.ID, PatientID: &c.PatientID})
		amount -= d
	}
	if amount > 0 {
		lines = append(lines, store.LedgerLine{Account: account, AmountCents: -amount, ClaimID: &c.ID, PatientID: &c.PatientID})
	}
	return lines
}
