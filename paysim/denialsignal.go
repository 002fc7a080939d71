package paysim

import (
	"math"

	"github.com/clearhouse/clearhouse/claim"
)

// The learnable denial signal. With Rates.DenialSignal set, the chance
// that an accepted claim is denied is not one rate for every claim but
// Rates.Deny scaled by what a payer's edits would look at, so a model
// trained on posted 835s has something to learn that the scrubber does
// not check. The factors are fixed here, documented, and were set before
// the denial model was fitted to them:
//
//	x4    a procedure in AuthProcedures billed without a prior
//	      authorization number (REF*G1): denied CO-197
//	x2.5  modifier 25 on an evaluation and management line (99202-99215):
//	      denied CO-50, medical necessity
//	x2    first date of service more than 30 days before the payer
//	      received the claim
//	x1.5  a diagnosis in chapter R (symptoms and signs, R00-R99) as the
//	      principal diagnosis
//
// The product is capped so the denial chance stays below 0.9.
var AuthProcedures = map[string]bool{"70551": true, "72148": true, "73721": true, "97110": true, "20610": true}

// DenialFactor is the multiplier of Rates.Deny for a claim received
// daysLate days after its first date of service, and the CARC the denial
// then carries ("" for the drawn one).
func DenialFactor(c *claim.Claim, daysLate int) (float64, string) {
	f, carc := 1.0, ""
	for _, l := range c.Lines {
		if AuthProcedures[l.ProcedureCode] && c.PriorAuthorization == "" {
			f *= 4
			carc = "197"
			break
		}
	}
	for _, l := range c.Lines {
		if l.ProcedureCode >= "99202" && l.ProcedureCode <= "99215" {
			for _, m := range l.Modifiers {
				if m == "25" {
					f *= 2.5
					if carc == "" {
						carc = "50"
					}
				}
			}
		}
	}
	if daysLate > 30 {
		f *= 2
	}
	if len(c.Diagnoses) > 0 && len(c.Diagnoses[0].Code) > 0 && c.Diagnoses[0].Code[0] == 'R' {
		f *= 1.5
	}
	return f, carc
}

// denyRate is the denial chance of a claim in basis points.
func denyRate(base uint64, c *claim.Claim, daysLate int) (uint64, string) {
	f, carc := DenialFactor(c, daysLate)
	return uint64(math.Min(9000, float64(base)*f)), carc
}
