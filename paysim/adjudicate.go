package paysim

import (
	"strings"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x835"
)

// denial is a reason to deny a claim or a line: a CAS group and CARC, and
// the remark codes (RARC) the payer adds at the claim (MOA) and line (LQ*HE)
// levels.
type denial struct {
	group, reason string
	claimRemarks  []string
	lineRemarks   []string
}

// Denials drawn at Rates.Deny. CARC and RARC meanings (X12 external code
// lists 139 and 411): CO-16 claim lacks information (MA130 incomplete or
// invalid, unprocessable; N290 missing or invalid rendering provider
// identifier), CO-50 not deemed a medical necessity, CO-197 precertification
// or authorization absent, PR-204 not covered under the patient's current
// benefit plan (N130 consult plan benefit documents).
var claimDenials = []denial{
	{group: x835.GroupContractual, reason: "16", claimRemarks: []string{"MA130"}, lineRemarks: []string{"N290"}},
	{group: x835.GroupContractual, reason: "50"},
	{group: x835.GroupContractual, reason: "197"},
	{group: x835.GroupPatient, reason: "204", lineRemarks: []string{"N130"}},
}

var (
	// timelyFiling is CO-29: the time limit for filing has expired.
	timelyFiling = denial{group: x835.GroupContractual, reason: "29"}
	// bundled is CO-97, the line's payment is included in another service's
	// (M15: separately billed services have been bundled).
	bundled = denial{group: x835.GroupContractual, reason: "97", lineRemarks: []string{"M15"}}
)

// CARCs of payments: CO-45 charge exceeds the fee schedule (contractual),
// PR-1 deductible, PR-2 coinsurance, PR-3 copayment.
const (
	carcContractual = "45"
	carcDeductible  = "1"
	carcCoinsurance = "2"
	carcCopay       = "3"
)

// queue adjudicates an accepted claim and puts its payment in the pending
// queue, due after the configured delay.
func (rc *responder) queue(c *claim.Claim, icn string, reply replyAddress) {
	cp := rc.adjudicate(c, icn)
	py := payee{Name: providerName(&c.BillingProvider), NPI: providerID(c), TaxID: c.BillingProvider.TaxID}
	if a := c.BillingProvider.Address; a != nil {
		py.Address = Address{Line1: a.Line1, City: a.City, State: a.State, PostalCode: a.PostalCode}
	}
	rc.st.Pending = append(rc.st.Pending, pendingClaim{
		Payer: rc.payer, Due: rc.dueTime(c.PatientControlNumber), Reply: reply, Payee: py, Claim: cp,
	})
}

// adjudicate decides a claim's payment. Every decision is drawn from the
// seed, the payer, the patient control number and the line number, so it
// does not depend on when or in which order claims arrive (except the
// timely filing limit, which compares the date received).
func (rc *responder) adjudicate(c *claim.Claim, icn string) x835.ClaimPayment {
	dr := draw{seed: rc.sim.cfg.Seed}
	pcn := c.PatientControlNumber
	received := claim.DateOf(rc.now)
	cp := x835.ClaimPayment{
		PatientControlNumber:    pcn,
		Status:                  claimStatus(c.Subscriber.PayerResponsibility),
		ChargeCents:             c.TotalChargeCents,
		FilingIndicator:         filingIndicator(c.Subscriber.ClaimFilingIndicator),
		PayerClaimControlNumber: icn,
		FacilityType:            orDefault(c.PlaceOfService, c.FacilityType),
		Frequency:               orDefault(c.FrequencyCode, claim.FrequencyOriginal),
		Dates:                   []x835.DateRef{{Qualifier: "050", Date: received.Time()}},
	}
	if c.Kind == claim.Institutional {
		cp.FacilityType = c.FacilityType
		if !c.StatementFrom.IsZero() {
			cp.Dates = append(cp.Dates, x835.DateRef{Qualifier: "232", Date: c.StatementFrom.Time()})
		}
		if !c.StatementTo.IsZero() {
			cp.Dates = append(cp.Dates, x835.DateRef{Qualifier: "233", Date: c.StatementTo.Time()})
		}
	}
	last, first := c.PatientName()
	cp.Patient = x835.Name{EntityCode: "QC", EntityType: "1", Last: last, First: first}
	if c.PatientIsSubscriber() {
		cp.Patient.IDQualifier, cp.Patient.ID = "MI", c.Subscriber.MemberID
	} else {
		cp.Insured = x835.Name{EntityCode: "IL", EntityType: "1", Last: c.Subscriber.LastName, First: c.Subscriber.FirstName,
			IDQualifier: "MI", ID: c.Subscriber.MemberID}
	}

	fs := rc.profile.FeeSchedule
	cost := rc.sim.cfg.DefaultCostSharing
	if m := rc.sim.roster.find(rc.payer, c.Subscriber.MemberID); m != nil {
		cost = m.CostSharing
	}

	// The claim's fate: denied whole, paid in part or paid.
	var deny *denial
	partial := false
	from, _ := c.ServiceSpan()
	if days := rc.profile.TimelyFilingDays; days > 0 && !from.IsZero() && received.DaysSince(from) > days {
		deny = &timelyFiling
	} else {
		u := dr.value("adjudicate", rc.payer, pcn) % 10000
		rate, carc := rc.sim.rates.deny, ""
		if rc.sim.cfg.Rates.DenialSignal {
			late := 0
			if !from.IsZero() {
				late = received.DaysSince(from)
			}
			rate, carc = denyRate(rate, c, late)
		}
		switch {
		case u < rate:
			d := claimDenials[dr.pick(len(claimDenials), "denial", rc.payer, pcn)]
			for _, cd := range claimDenials {
				if cd.reason == carc {
					d = cd
				}
			}
			deny = &d
		case u < rate+rc.sim.rates.partial:
			partial = true
		}
	}
	deniedLine := -1
	deductibleAll := false
	if partial {
		if len(c.Lines) > 1 {
			deniedLine = dr.pick(len(c.Lines), "bundled-line", rc.payer, pcn)
		} else {
			deductibleAll = true
		}
	}
	applyDeductible := deductibleAll || dr.chance(2500, "deductible", rc.payer, pcn)
	deductibleLeft := cost.DeductibleRemainingCents
	copayTaken := false
	// On a secondary or tertiary claim, what the prior payers left of
	// each line: the most this payer pays or leaves to the patient.
	left, cob := priorBalance(c)

	var remarks []string
	for i := range c.Lines {
		l := &c.Lines[i]
		sp := servicePayment(c, l)
		switch {
		case deny != nil || i == deniedLine:
			d := deny
			if d == nil {
				d = &bundled
			}
			owed := l.ChargeCents
			if cob {
				owed = left[i]
				sp.Adjustments = priorShare(l.ChargeCents - owed)
			}
			if owed > 0 {
				sp.Adjustments = append(sp.Adjustments, x835.Adjustment{Group: d.group, Reason: d.reason, AmountCents: owed})
			}
			for _, r := range d.lineRemarks {
				sp.Remarks = append(sp.Remarks, x835.Remark{Qualifier: "HE", Code: r})
			}
			if d.group == x835.GroupPatient {
				cp.PatientResponsibilityCents += owed
			}
		default:
			code := l.ProcedureCode
			allowed := fs.allowed(code, int64(l.Units), l.ChargeCents)
			if code == "" {
				allowed = fs.allowed("", 0, l.ChargeCents)
			}
			rest := allowed
			var pr1, pr2, pr3 int64
			if deductibleAll {
				pr1 = rest
			} else if applyDeductible && deductibleLeft > 0 {
				pr1 = min(deductibleLeft, rest)
				deductibleLeft -= pr1
			}
			rest -= pr1
			switch {
			case deductibleAll:
			case officeVisit(code) && cost.CopayCents > 0 && !copayTaken:
				pr3 = min(cost.CopayCents, rest)
				copayTaken = true
			case cost.CoinsurancePercent > 0:
				pr2 = (rest*cost.CoinsurancePercent + 50) / 100
			}
			rest -= pr2 + pr3
			co := l.ChargeCents - allowed
			if cob {
				// Coordination of benefits: the prior payers' share is
				// OA-23; of what they left, this payer pays its own
				// benefit at most, the patient owes this payer's cost
				// sharing at most, and the rest is above what this
				// payer allows (CO-45).
				owed := left[i]
				sp.Adjustments = priorShare(l.ChargeCents - owed)
				rest = min(rest, owed)
				due := owed - rest
				pr1 = min(pr1, due)
				pr2 = min(pr2, due-pr1)
				pr3 = min(pr3, due-pr1-pr2)
				co = due - pr1 - pr2 - pr3
			}
			if co > 0 {
				sp.Adjustments = append(sp.Adjustments, x835.Adjustment{Group: x835.GroupContractual, Reason: carcContractual, AmountCents: co})
			}
			for _, a := range []struct {
				reason string
				amount int64
			}{{carcDeductible, pr1}, {carcCoinsurance, pr2}, {carcCopay, pr3}} {
				if a.amount > 0 {
					sp.Adjustments = append(sp.Adjustments, x835.Adjustment{Group: x835.GroupPatient, Reason: a.reason, AmountCents: a.amount})
				}
			}
			sp.PaidCents = rest
			sp.Amounts = []x835.Amount{{Qualifier: "B6", AmountCents: allowed}}
			cp.PatientResponsibilityCents += pr1 + pr2 + pr3
		}
		cp.PaidCents += sp.PaidCents
		cp.ServiceLines = append(cp.ServiceLines, sp)
	}
	if deny != nil {
		cp.Status = x835.StatusDenied
		remarks = deny.claimRemarks
	}
	if len(remarks) > 0 && !inpatient(c) {
		cp.Outpatient = &x835.OutpatientAdjudication{RemarkCodes: remarks}
	}
	return cp
}

// carcPriorPayer is CARC 23, the impact of prior payers' adjudication
// (payments and adjustments), which code list 139 allows only with group
// OA.
const carcPriorPayer = "23"

// priorShare is the OA-23 adjustment of a line's prior payers' share, or
// nothing when they settled none of it.
func priorShare(amount int64) []x835.Adjustment {
	if amount <= 0 {
		return nil
	}
	return []x835.Adjustment{{Group: x835.GroupOther, Reason: carcPriorPayer, AmountCents: amount}}
}

// priorBalance reads, on a claim billed after other payers adjudicated it
// (Loop 2320 with AMT*D, 2430 line adjudications), what they left of each
// line: the line charge less, for every prior payer's 2430, its paid amount
// (SVD02) and adjustments other than patient responsibility (CAS group PR)
// and prior payers' impact (CARC 23, which stands for the earlier payers'
// share already counted). The claim total is then held to what the last
// prior payer left (2320 AMT*EAF, remaining patient liability), or failing
// that to the charge less the prior payments (AMT*D) and 2320 adjustments,
// taking the difference off lines without a 2430 first. ok is false for a
// claim no prior payer adjudicated: it is paid as a primary one.
func priorBalance(c *claim.Claim) (left []int64, ok bool) {
	own := claim.PayerOrder(c.Subscriber.PayerResponsibility)
	prior := make(map[string]bool)
	var last *claim.OtherPayer
	var paid, claimAdj int64
	for i := range c.OtherPayers {
		op := &c.OtherPayers[i]
		if claim.PayerOrder(op.PayerResponsibility) >= own {
			continue
		}
		adjudicated := op.PaidKnown || op.PaidCents != 0 || op.RemainingPatientLiabilityCents != nil || len(op.Adjustments) > 0
		for j := range c.Lines {
			for _, a := range c.Lines[j].Adjudications {
				adjudicated = adjudicated || a.PayerID == op.Payer.ID
			}
		}
		if !adjudicated {
			continue
		}
		prior[op.Payer.ID] = true
		paid += op.PaidCents
		claimAdj += settled(op.Adjustments)
		if op.RemainingPatientLiabilityCents != nil && (last == nil || claim.PayerOrder(op.PayerResponsibility) >= claim.PayerOrder(last.PayerResponsibility)) {
			last = op
		}
	}
	if len(prior) == 0 {
		return nil, false
	}
	left = make([]int64, len(c.Lines))
	withLine := make([]bool, len(c.Lines))
	var total, lineAdj int64
	for i := range c.Lines {
		l := &c.Lines[i]
		rem := l.ChargeCents
		for _, a := range l.Adjudications {
			if !prior[a.PayerID] {
				continue
			}
			withLine[i] = true
			adj := settled(a.Adjustments)
			rem -= a.PaidCents + adj
			lineAdj += adj
		}
		left[i] = min(max(rem, 0), l.ChargeCents)
		total += left[i]
	}
	limit := c.TotalChargeCents - paid - claimAdj - lineAdj
	if last != nil {
		limit = *last.RemainingPatientLiabilityCents
	}
	limit = max(limit, 0)
	for pass := 0; pass < 2 && total > limit; pass++ {
		for i := len(left) - 1; i >= 0 && total > limit; i-- {
			if withLine[i] == (pass == 0) {
				continue
			}
			cut := min(left[i], total-limit)
			left[i] -= cut
			total -= cut
		}
	}
	return left, true
}

// settled sums the adjustments that settle part of a charge without leaving
// it to the patient: every group but PR, except CARC 23 (a payer's note of
// its own prior payers' share).
func settled(adj []claim.Adjustment) int64 {
	var n int64
	for _, a := range adj {
		if a.Group != x835.GroupPatient && a.Reason != carcPriorPayer {
			n += a.AmountCents
		}
	}
	return n
}

// servicePayment starts the Loop 2110 of a line: SVC01 (HC and the
// procedure, or NU and the revenue code on an institutional line without
// one), SVC02 the charge, SVC04 the revenue code, SVC05 units other than
// one, DTM*472 (or 150/151 for a range) and REF*6R.
func servicePayment(c *claim.Claim, l *claim.ServiceLine) x835.ServicePayment {
	sp := x835.ServicePayment{ChargeCents: l.ChargeCents}
	if l.ProcedureCode != "" {
		sp.Procedure = x835.Procedure{Qualifier: orDefault(l.ProcedureQualifier, "HC"), Code: l.ProcedureCode}
		copy(sp.Procedure.Modifiers[:], l.Modifiers)
		sp.RevenueCode = l.RevenueCode
	} else {
		sp.Procedure = x835.Procedure{Qualifier: "NU", Code: l.RevenueCode}
	}
	if l.Units != 0 && l.Units != claim.Units(1) {
		sp.Units = l.Units.String()
	}
	switch {
	case !l.ServiceDateEnd.IsZero() && l.ServiceDateEnd != l.ServiceDate:
		sp.Dates = []x835.DateRef{{Qualifier: "150", Date: l.ServiceDate.Time()}, {Qualifier: "151", Date: l.ServiceDateEnd.Time()}}
	case !l.ServiceDate.IsZero():
		sp.Dates = []x835.DateRef{{Qualifier: "472", Date: l.ServiceDate.Time()}}
	}
	if l.ControlNumber != "" {
		sp.References = []x835.Reference{{Qualifier: "6R", Value: l.ControlNumber}}
	}
	return sp
}

// claimStatus is CLP02 for the payer's position (SBR01): processed as
// primary, secondary or tertiary.
func claimStatus(responsibility string) string {
	switch responsibility {
	case "S":
		return x835.StatusSecondary
	case "T":
		return x835.StatusTertiary
	}
	return x835.StatusPrimary
}

// filingIndicator maps the 837's SBR09 to CLP06, whose code list (X221)
// lacks the commercial (CI) and Blue Cross (BL) codes: those are written as
// 12, preferred provider organization.
func filingIndicator(sbr09 string) string {
	switch sbr09 {
	case "12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ":
		return sbr09
	case "CI", "BL", "":
		return "12"
	}
	return "ZZ"
}

// officeVisit reports whether code is an office or outpatient evaluation
// and management visit (CPT 99202-99215), which takes the copay.
func officeVisit(code string) bool {
	return len(code) == 5 && strings.HasPrefix(code, "992") && code >= "99202" && code <= "99215"
}

// inpatient reports whether an institutional claim is an inpatient one
// (type of bill 11x, 12x, 18x, 21x), whose remarks belong in MIA rather
// than MOA; the simulator then leaves them on the lines.
func inpatient(c *claim.Claim) bool {
	if c.Kind != claim.Institutional {
		return false
	}
	switch c.FacilityType {
	case "11", "12", "18", "21":
		return true
	}
	return false
}
