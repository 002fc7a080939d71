package billing

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
)

// Worklist kinds of held remittances.
const (
	// WorkHeldRemittance is an 835 file held whole for review: nothing of
	// it was posted (its payment total does not balance, or it pays
	// another payee).
	WorkHeldRemittance = "held_remittance"
	// WorkHeldPayment is one claim payment of an 835 held for review and
	// not posted (a suspected duplicate, an absurd amount, a claim that
	// is not awaiting the payer's adjudication); the rest of the file
	// posted.
	WorkHeldPayment = "held_payment"
)

// HoldGrain says what a hold keeps from posting.
type HoldGrain int

// Hold grains.
const (
	// HoldFile keeps the whole file from posting.
	HoldFile HoldGrain = iota + 1
	// HoldClaimPayment keeps one claim payment (Loop 2100) from posting.
	HoldClaimPayment
)

func (g HoldGrain) String() string {
	switch g {
	case HoldFile:
		return "file"
	case HoldClaimPayment:
		return "claim payment"
	}
	return "unknown"
}

// Hold reasons.
const (
	// HoldUnbalanced: BPR02 is not the sum of CLP04 less the PLB
	// adjustments (005010X221A1 section 1.10.2.1).
	HoldUnbalanced = "unbalanced"
	// HoldPayee: the payee (Loop 1000B N1*PE, N103 XX) is not the clinic's
	// NPI.
	HoldPayee = "payee"
	// HoldDuplicate: the claim payment was posted before (same payer
	// claim control number CLP07, paid amount and dates of service), not
	// after a reversal of it.
	HoldDuplicate = "duplicate"
	// HoldOverpaid: the payment (CLP04) exceeds the claim's charge.
	HoldOverpaid = "overpaid"
	// HoldNegativeContractual: a contractual adjustment (CAS group CO) is
	// negative outside a reversal.
	HoldNegativeContractual = "negative_contractual"
	// HoldClaimStatus: the matched claim is not awaiting the payer's
	// adjudication (never submitted, rejected by a 277CA, voided), so the
	// payment cannot move it.
	HoldClaimStatus = "claim_status"
)

// Hold is one reason to keep a file or a claim payment from posting.
type Hold struct {
	Grain  HoldGrain `json:"-"`
	Reason string    `json:"reason"`
	// Message says what is wrong in words, with the amounts.
	Message string `json:"message"`
	// Position is where in the file (the BPR, N1, CLP or CAS segment).
	Position string `json:"position,omitempty"`
	// AmountCents is the amount at stake: the payment held, or the
	// difference that makes it absurd.
	AmountCents int64 `json:"amountCents"`
	// PatientControlNumber is CLP01 of a held claim payment.
	PatientControlNumber string `json:"patientControlNumber,omitempty"`
	// PriorPaymentID is, for a duplicate, the claim payment posted before.
	PriorPaymentID int64 `json:"priorPaymentId,omitempty"`
}

// ClinicIdentity is what CheckRemittance compares an 835's payee with.
type ClinicIdentity struct {
	// NPIs are the clinic's billing NPIs (Loop 2010AA NM109 of its
	// claims).
	NPIs []string
	// TaxID is the clinic's TIN, for a payee named by N103 FI.
	TaxID string
}

// CheckRemittance returns the holds of one 835 transaction set decoded to
// its SE (rem.Complete) that keep the whole file from posting: a payment
// total (BPR02) that is not the sum of the claim payments (CLP04) less the
// provider adjustments (PLB), and a payee (Loop 1000B) that is not the
// clinic. It reads nothing but its arguments.
func CheckRemittance(rem *x835.Remittance, clinic ClinicIdentity) []Hold {
	var out []Hold
	for _, e := range rem.Errors {
		if !errors.Is(e, edi.ErrBalance) {
			continue
		}
		var plb int64
		for _, a := range rem.ProviderAdjustments {
			plb += a.AmountCents
		}
		out = append(out, Hold{Grain: HoldFile, Reason: HoldUnbalanced, Position: e.Pos.String(), AmountCents: rem.TotalPaidCents,
			Message: fmt.Sprintf("835 trace %s: %s", rem.TraceNumber, e.Msg)})
	}
	p := rem.Payee
	switch strings.ToUpper(p.IDQualifier) {
	case "XX":
		if len(clinic.NPIs) > 0 && !containsString(clinic.NPIs, strings.TrimSpace(p.ID)) {
			out = append(out, Hold{Grain: HoldFile, Reason: HoldPayee, Position: rem.Position.String(), AmountCents: rem.TotalPaidCents,
				Message: fmt.Sprintf("835 trace %s pays %s to payee NPI %s (N1*PE NM109), not the clinic's NPI %s",
					rem.TraceNumber, edi.FormatAmount(rem.TotalPaidCents), p.ID, strings.Join(clinic.NPIs, ", "))})
		}
	case "FI":
		if clinic.TaxID != "" && strings.TrimSpace(p.ID) != clinic.TaxID {
			out = append(out, Hold{Grain: HoldFile, Reason: HoldPayee, Position: rem.Position.String(), AmountCents: rem.TotalPaidCents,
				Message: fmt.Sprintf("835 trace %s pays %s to payee TIN %s (N1*PE N104), not the clinic's",
					rem.TraceNumber, edi.FormatAmount(rem.TotalPaidCents), p.ID)})
		}
	}
	return out
}

// PaymentContext is what CheckClaimPayment needs to know about a claim
// payment beyond the 835: the claim it matched and the payments posted
// before it.
type PaymentContext struct {
	// Claim is the matched claim, nil when the payment matched none.
	Claim *store.Claim
	// Prior are claim payments already recorded for the same claim or the
	// same payer claim control number (CLP07), reversals included.
	Prior []store.ClaimPayment
	// AfterReversal is set when an earlier claim payment of the same
	// transaction set reversed this claim (CLP02 22): this one is the
	// correction of a reversal and correction pair.
	AfterReversal bool
}

// CheckClaimPayment returns the holds that keep one claim payment from
// posting: a suspected duplicate of a payment posted before, a payment
// above the charge, a negative contractual adjustment outside a reversal,
// and a claim not in a status the payment can move. It reads nothing but
// its arguments.
func CheckClaimPayment(cp *x835.ClaimPayment, pc PaymentContext) []Hold {
	var out []Hold
	hold := func(reason string, amount int64, pos edi.Position, format string, args ...any) {
		out = append(out, Hold{Grain: HoldClaimPayment, Reason: reason, Position: pos.String(), AmountCents: amount,
			PatientControlNumber: cp.PatientControlNumber, Message: fmt.Sprintf(format, args...)})
	}
	reversal := cp.Kind == x835.Reversal
	if !reversal {
		charge := cp.ChargeCents
		if pc.Claim != nil && pc.Claim.TotalChargeCents < charge {
			charge = pc.Claim.TotalChargeCents
		}
		if cp.PaidCents > charge {
			hold(HoldOverpaid, cp.PaidCents-charge, cp.Position, "claim %s: paid %s (CLP04) is more than its charge %s, by %s",
				cp.PatientControlNumber, edi.FormatAmount(cp.PaidCents), edi.FormatAmount(charge), edi.FormatAmount(cp.PaidCents-charge))
		}
		neg := func(line int, pos edi.Position, adjs []x835.Adjustment) {
			for _, a := range adjs {
				if a.Group == x835.GroupContractual && a.AmountCents < 0 {
					where := "claim"
					if line > 0 {
						where = fmt.Sprintf("service line %d", line)
					}
					hold(HoldNegativeContractual, -a.AmountCents, pos, "claim %s: %s contractual adjustment CO-%s is negative (%s) outside a reversal",
						cp.PatientControlNumber, where, a.Reason, edi.FormatAmount(a.AmountCents))
				}
			}
		}
		neg(0, cp.Position, cp.Adjustments)
		for i := range cp.ServiceLines {
			neg(i+1, cp.ServiceLines[i].Position, cp.ServiceLines[i].Adjustments)
		}
	}
	if pc.Claim != nil && !(!reversal && adjudicable(pc.Claim.Status)) {
		to := claim.StatusAccepted
		if !reversal {
			params, doc := claimPaymentParams(store.Remittance{}, cp)
			to, _ = adjudicatedStatus(store.ClaimPayment{StatusCode: params.StatusCode, ChargeCents: params.ChargeCents, PaidCents: params.PaidCents,
				PatientResponsibilityCents: params.PatientResponsibilityCents, Adjustments: params.Adjustments}, doc.Lines)
		}
		if !claim.CanTransition(pc.Claim.Status, to) {
			hold(HoldClaimStatus, cp.PaidCents, cp.Position, "claim %s is %s: the payer's %s (paid %s) cannot move it to %s",
				cp.PatientControlNumber, pc.Claim.Status, strings.ToLower(cp.Kind.String()), edi.FormatAmount(cp.PaidCents), to)
		}
	}
	if !reversal && !pc.AfterReversal {
		if prior := duplicateOf(cp, pc.Prior); prior != nil {
			hold(HoldDuplicate, cp.PaidCents, cp.Position, "claim %s: payment %s of payer claim %s for %s was posted before (claim payment %d); "+
				"this 835 (trace %s) sends it again without reversing it", cp.PatientControlNumber, edi.FormatAmount(cp.PaidCents),
				cmpOr(cp.PayerClaimControlNumber, cp.PatientControlNumber), serviceDates(cp), prior.ID, traceOf(cp))
			out[len(out)-1].PriorPaymentID = prior.ID
		}
	}
	return out
}

// adjudicable reports whether a claim status may move to any adjudicated
// status (paid, partially paid, denied), so a payment needs no closer look.
func adjudicable(status claim.Status) bool {
	return claim.CanTransition(status, claim.StatusPaid) && claim.CanTransition(status, claim.StatusPartiallyPaid) && claim.CanTransition(status, claim.StatusDenied)
}

// duplicateOf returns the payment among prior that cp repeats: not a
// reversal, not reversed or superseded since, with the same payer claim
// control number (or, when neither has one, the same patient control
// number), paid amount and dates of service.
func duplicateOf(cp *x835.ClaimPayment, prior []store.ClaimPayment) *store.ClaimPayment {
	// Candidates first, by the columns: the documents are read only when
	// one may repeat cp.
	var candidates []int
	for i := range prior {
		p := &prior[i]
		if p.StatusCode == x835.StatusReversal || p.PaidCents != cp.PaidCents {
			continue
		}
		if cp.PayerClaimControlNumber != "" || p.PayerClaimControlNumber != "" {
			if p.PayerClaimControlNumber != cp.PayerClaimControlNumber {
				continue
			}
		} else if p.PatientControlNumber != cp.PatientControlNumber {
			continue
		}
		candidates = append(candidates, i)
	}
	if len(candidates) == 0 {
		return nil
	}
	reversed := make(map[int64]bool)
	docs := make([]paymentDocument, len(prior))
	for i, p := range prior {
		_ = json.Unmarshal(p.Document, &docs[i])
		if p.StatusCode == x835.StatusReversal && docs[i].Reverses != 0 {
			reversed[docs[i].Reverses] = true
		}
		if docs[i].Supersedes != 0 {
			reversed[docs[i].Supersedes] = true
		}
	}
	from, through := serviceSpan(cp)
	for _, i := range candidates {
		d := docs[i]
		if reversed[prior[i].ID] || d.ServiceDate != from || (d.ServiceThrough != "" && d.ServiceThrough != through) {
			continue
		}
		return &prior[i]
	}
	return nil
}

// serviceSpan is the first and last date of service of a claim payment
// (claim DTM*232/233, else the lines' DTM*472 and 150/151), as dates, ""
// when it names none.
func serviceSpan(cp *x835.ClaimPayment) (string, string) {
	from := serviceDate(cp)
	if from.IsZero() {
		return "", ""
	}
	last := from
	for _, d := range cp.Dates {
		if d.Qualifier == "233" && !d.Date.IsZero() {
			if t := dateOf(d.Date); t.After(last) {
				last = t
			}
		}
	}
	for i := range cp.ServiceLines {
		for _, d := range cp.ServiceLines[i].Dates {
			if (d.Qualifier == "472" || d.Qualifier == "151") && !d.Date.IsZero() {
				if t := dateOf(d.Date); t.After(last) {
					last = t
				}
			}
		}
	}
	return from.String(), last.String()
}

func serviceDates(cp *x835.ClaimPayment) string {
	from, through := serviceSpan(cp)
	switch {
	case from == "":
		return "no date of service"
	case from == through:
		return "service on " + from
	}
	return "service " + from + " to " + through
}

func traceOf(cp *x835.ClaimPayment) string {
	if cp.Remittance == nil {
		return ""
	}
	return cp.Remittance.TraceNumber
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
