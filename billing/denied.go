package billing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// ErrNoDeniedBalance: a claim has no denied amount open (AccountDeniedAR)
// for an appeal's outcome to move.
var ErrNoDeniedBalance = errors.New("billing: no denied balance open")

// DeniedBalance is a claim's open denied A/R (AccountDeniedAR): what its
// payer denied and nobody has written off, appealed successfully, billed to
// the patient or corrected yet.
func DeniedBalance(ctx context.Context, tx store.Tx, claimID int64) (int64, error) {
	return tx.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: tx.ClinicID(), Account: AccountDeniedAR, ClaimID: claimID})
}

// ReopenDenialsParams name the claim whose denied amounts go back to
// insurance A/R awaiting payment.
type ReopenDenialsParams struct {
	ClaimID int64
	// Why is the ledger description: "appeal won", "replaced by ...".
	Why string
	// Date is the effective date; zero is today by the Service's clock.
	Date time.Time
}

// ReopenDenialsTx moves a claim's open denied amounts back from denied A/R
// to insurance A/R, in the caller's transaction: an appeal won (the payer
// will pay), a replacement claim (frequency 7) or a void, which then move
// the claim's insurance A/R on. It reopens each open payment's denied part
// (see ledgerLines) under the payment's reopenKey, so a reversal (CLP02 22)
// or reprocessing of the denial the payer sends later reopens nothing a
// second time. A denied part larger than what is still open (written off
// or billed to the patient before) is left. It returns the amount moved.
func (s *Service) ReopenDenialsTx(ctx context.Context, tx store.Tx, p ReopenDenialsParams) (int64, error) {
	c, err := tx.GetClaim(ctx, store.Ref{ClinicID: tx.ClinicID(), ID: p.ClaimID})
	if err != nil {
		return 0, err
	}
	open, err := DeniedBalance(ctx, tx, c.ID)
	if err != nil || open <= 0 {
		return 0, err
	}
	pays, err := tx.ListClaimPaymentsByClaims(ctx, store.IDsParams{ClinicID: tx.ClinicID(), IDs: []int64{c.ID}})
	if err != nil {
		return 0, err
	}
	date := p.Date
	if date.IsZero() {
		date = s.today()
	}
	var moved int64
	for _, cp := range openPayments(pays) {
		denied, _ := splitDenied(ledgerLines(cp, c.PatientID, cp.RemittanceID))
		amount := deniedAmount(denied)
		if amount <= 0 || amount > open {
			continue
		}
		_, created, err := tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: tx.ClinicID(), IdempotencyKey: reopenKey(cp.ID),
			Description: p.Why + " " + c.PatientControlNumber + ": denial " + strconv.FormatInt(cp.ID, 10) + " reopened", EffectiveDate: date,
			Lines: negated(denied, nil)})
		if err != nil {
			return moved, err
		}
		if created {
			open -= amount
			moved += amount
		}
	}
	return moved, nil
}

func deniedAmount(lines []store.LedgerLine) int64 {
	var n int64
	for _, l := range lines {
		if l.Account == AccountDeniedAR {
			n += l.AmountCents
		}
	}
	return n
}

// DeniedToPatientParams bill a claim's denied amount to the patient.
type DeniedToPatientParams struct {
	ClaimID int64
	// Reference makes it idempotent.
	Reference string
	Reason    string
	// Date is the effective date; zero is today by the Service's clock.
	Date time.Time
}

// DeniedToPatientTx moves a claim's whole open denied A/R to patient A/R
// (an appeal lost on a service the patient agreed to pay for, a non-covered
// service with a waiver on file), in the caller's transaction, and returns
// the amount moved. Nothing open fails with ErrNoDeniedBalance.
func (s *Service) DeniedToPatientTx(ctx context.Context, tx store.Tx, p DeniedToPatientParams) (int64, error) {
	if p.Reference == "" {
		return 0, fmt.Errorf("%w: a transfer to the patient needs a reference", ErrInput)
	}
	c, err := tx.GetClaim(ctx, store.Ref{ClinicID: tx.ClinicID(), ID: p.ClaimID})
	if err != nil {
		return 0, err
	}
	open, err := DeniedBalance(ctx, tx, c.ID)
	if err != nil {
		return 0, err
	}
	if open <= 0 {
		return 0, fmt.Errorf("claim %d (%s): %w", c.ID, c.PatientControlNumber, ErrNoDeniedBalance)
	}
	date := p.Date
	if date.IsZero() {
		date = s.today()
	}
	desc := "denied amount billed to the patient " + c.PatientControlNumber
	if p.Reason != "" {
		desc += ": " + p.Reason
	}
	_, _, err = tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: tx.ClinicID(), IdempotencyKey: "denied-to-patient:" + p.Reference,
		Description: desc, EffectiveDate: date, Lines: []store.LedgerLine{
			{Account: AccountPatientAR, AmountCents: open, ClaimID: &c.ID, PatientID: &c.PatientID},
			{Account: AccountDeniedAR, AmountCents: -open, ClaimID: &c.ID, PatientID: &c.PatientID},
		}})
	return open, err
}

// openPayments are a claim's payments, in order, that no reversal (CLP02
// 22) reversed and no later payment superseded, reversals aside.
func openPayments(cps []store.ClaimPayment) []store.ClaimPayment {
	closed := closedPayments(cps)
	var out []store.ClaimPayment
	for _, x := range cps {
		if !isReversalPayment(x) && !closed[x.ID] {
			out = append(out, x)
		}
	}
	return out
}
