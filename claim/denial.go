package claim

// The denial rule and the contractual CARC list: billing posts remittances
// with them and report counts denials with them, so a claim billing does not
// call denied is not counted as a denial either.

// CLP02 claim status codes the denial rule reads (005010X221A1, Loop 2100
// CLP02; package edi/x835 names them for its decoder).
const (
	clpDenied   = "4"
	clpReversal = "22"
)

// ContractualCARC reports whether a claim adjustment reason code (CARC, code
// list 139 as X12 publishes it) is an ordinary contractual reduction rather
// than a denial reason: 45 charge exceeds the fee schedule, 253
// sequestration, 23 impact of prior payer adjudication, 42 and 59
// reductions by rule, 94 processed in excess of charges, 131 and 144
// negotiated discounts and incentive adjustments.
func ContractualCARC(reason string) bool {
	switch reason {
	case "45", "253", "23", "42", "59", "94", "131", "144":
		return true
	}
	return false
}

// Adjudication is what the denial rule reads of a payer's adjudication of a
// claim in an 835 (Loop 2100 CLP and its CAS adjustments).
type Adjudication struct {
	StatusCode                 string // CLP02
	ChargeCents                int64  // CLP03
	PaidCents                  int64  // CLP04
	PatientResponsibilityCents int64  // CLP05
	Adjustments                []Adjustment
}

// Denied reports whether the payer denied the claim: CLP02 4, or nothing
// paid and nothing left to the patient on a claim with charges, for a reason
// other than a contractual reduction (a secondary payer that pays nothing
// because the prior payer paid more than it allows, CO-23 or CO-45, has not
// denied the claim). A reversal (CLP02 22) is no adjudication and never a
// denial.
func (a Adjudication) Denied() bool {
	switch a.StatusCode {
	case clpReversal:
		return false
	case clpDenied:
		return true
	}
	if a.PaidCents != 0 || a.PatientResponsibilityCents != 0 || a.ChargeCents <= 0 {
		return false
	}
	for _, adj := range a.Adjustments {
		if adj.AmountCents != 0 && !ContractualCARC(adj.Reason) {
			return true
		}
	}
	return len(a.Adjustments) == 0
}
