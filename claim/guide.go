package claim

import (
	"strconv"
	"strings"

	"github.com/clearhouse/clearhouse/money"
)

// Location is a place in an 837: its loop, segment and element, and for a
// place inside a service line (loops 2400 to 2430) the line's 1-based
// number (LX01). The scrubber's findings and the 837 encoder's errors both
// carry it.
type Location struct {
	Loop    string `json:"loop"`              // 2300, 2400, 2010AA...
	Segment string `json:"segment"`           // CLM, SV1, HI...
	Element string `json:"element,omitempty"` // CLM02, SV101-2...
	// Line is the 1-based service line for places in a 2400 loop (and its
	// 2410 to 2430 children), 0 for the claim.
	Line int `json:"line,omitempty"`
}

// String is the location as billing staff read it: "2300 CLM CLM02",
// "2400 SV1 SV107-1 (line 2)".
func (l Location) String() string {
	var b strings.Builder
	b.WriteString(l.Loop)
	if l.Segment != "" {
		b.WriteByte(' ')
		b.WriteString(l.Segment)
	}
	if l.Element != "" {
		b.WriteByte(' ')
		b.WriteString(l.Element)
	}
	if l.Line > 0 {
		b.WriteString(" (line ")
		b.WriteString(strconv.Itoa(l.Line))
		b.WriteByte(')')
	}
	return b.String()
}

// GuideRule names one of the implementation-guide rules a claim is checked
// against before it is scrubbed or written (CheckGuideRules). Sources:
// 005010X222A1 (837P) and 005010X223A2 (837I), the loops, segments and
// elements each finding names.
type GuideRule string

// The guide rules.
const (
	// GuideKind: the claim is an 837P or an 837I (ST03).
	GuideKind GuideRule = "KIND"
	// GuideBillingProvider: the billing provider's name, NPI, address and
	// tax ID (2010AA NM1, N3, N4, REF), and a pay-to address (2010AB).
	GuideBillingProvider GuideRule = "BILLING-PROVIDER"
	// GuideBillingZIP: the billing provider's US address has the 9-digit
	// ZIP+4 (2010AA N403).
	GuideBillingZIP GuideRule = "ZIP9"
	// GuideBillingStreet: the billing provider's address is a street
	// address, not a post office box (2010AA N301; a PO box goes in 2010AB).
	GuideBillingStreet GuideRule = "STREET"
	// GuideSubscriber: the payer responsibility and the claim filing
	// indicator (2000B SBR01, SBR09).
	GuideSubscriber GuideRule = "SUBSCRIBER"
	// GuideSubscriberName: the subscriber's last name and member ID (2010BA
	// NM103, NM109).
	GuideSubscriberName GuideRule = "SUBSCRIBER-NAME"
	// GuidePatient: the patient's relationship, name, address, birth date
	// and gender (2000C PAT, 2010CA, or 2010BA when the subscriber is the
	// patient).
	GuidePatient GuideRule = "PATIENT"
	// GuidePayer: the payer's name, ID and address (2010BB).
	GuidePayer GuideRule = "PAYER"
	// GuidePatientControlNumber: CLM01 is required and at most 20
	// characters (2300 CLM01).
	GuidePatientControlNumber GuideRule = "CLM01"
	// GuideTotalCharge: CLM02 equals the sum of the line charges (SV102,
	// SV203); a balancing rule (SNIP 3).
	GuideTotalCharge GuideRule = "CLM02-SUM"
	// GuideFrequency: the claim frequency code is one digit (CLM05-3).
	GuideFrequency GuideRule = "FREQUENCY"
	// GuideReplacementReference: a replacement (7) or void (8) carries the
	// payer's claim control number of the claim it replaces (2300 REF*F8).
	GuideReplacementReference GuideRule = "REF-F8"
	// GuidePlaceOfService: the place of service (837P) or the facility type
	// of the type of bill (837I) (CLM05-1).
	GuidePlaceOfService GuideRule = "POS"
	// GuideClaim: the other claim information codes: charge sign, CLM07,
	// CLM09, CLM10, CLM11, hours, CL1.
	GuideClaim GuideRule = "CLAIM"
	// GuideNotUsed: a value the claim's kind has no place for, which would
	// be lost silently.
	GuideNotUsed GuideRule = "NOT-USED"
	// GuideStatementPeriod: an 837I has its statement period (DTP*434).
	GuideStatementPeriod GuideRule = "STATEMENT-PERIOD"
	// GuideDateOrder: a date range ends on or after its start.
	GuideDateOrder GuideRule = "DATE-ORDER"
	// GuideDiagnosisRequired: the principal diagnosis is required (2300 HI).
	GuideDiagnosisRequired GuideRule = "DX-REQUIRED"
	// GuideDiagnosisLimit: an 837P holds at most 12 diagnoses (2300 HI,
	// HI01 to HI12).
	GuideDiagnosisLimit GuideRule = "DX-LIMIT"
	// GuideDiagnosis: each diagnosis has a code and a qualifier the kind
	// allows, in the numbers it allows (2300 HI).
	GuideDiagnosis GuideRule = "DX"
	// GuideInstitutionalCodes: an 837I's procedures, occurrences, occurrence
	// spans, value and condition codes (2300 HI).
	GuideInstitutionalCodes GuideRule = "HI-CODES"
	// GuideProvider: the other providers' names and NPIs and what their
	// loops carry (2310, 2420).
	GuideProvider GuideRule = "PROVIDER"
	// GuideNPI: every NPI sent (NM109 with NM108 XX) is ten digits with a
	// correct check digit (ValidNPI).
	GuideNPI GuideRule = "NPI"
	// GuideOtherPayer: coordination of benefits (2320, 2330A, 2330B, 2430).
	GuideOtherPayer GuideRule = "OTHER-PAYER"
	// GuideLinesRequired: a claim has at least one service line (2400).
	GuideLinesRequired GuideRule = "LINES-REQUIRED"
	// GuideLineLimit: an 837P holds at most 50 service lines, an 837I 999
	// (2400 LX repeat).
	GuideLineLimit GuideRule = "LINE-LIMIT"
	// GuideLine: a service line's charge, units, procedure or revenue code,
	// unit type and date (2400 SV1/SV2, DTP*472).
	GuideLine GuideRule = "LINE"
	// GuideModifierLimit: a line carries at most four procedure modifiers
	// (SV101-3 to SV101-6, SV202-3 to SV202-6).
	GuideModifierLimit GuideRule = "MOD-LIMIT"
	// GuideDiagnosisPointer: each 837P line points at one to four of the
	// claim's diagnoses, by position (2400 SV107-1 to SV107-4).
	GuideDiagnosisPointer GuideRule = "DX-POINTER"
	// GuideDrug: a line's drug identification (2410 LIN, CTP).
	GuideDrug GuideRule = "DRUG"
)

// GuideFinding is one broken guide rule: which, where and what, in one
// wording for the scrubber and the encoder alike.
type GuideFinding struct {
	Rule     GuideRule
	Location Location
	Message  string
}

// MaxLines returns how many service lines a claim of kind k holds: 50 on an
// 837P, 999 on an 837I.
func MaxLines(k Kind) int {
	if k == Institutional {
		return 999
	}
	return 50
}

// MaxProfessionalDiagnoses is how many diagnoses an 837P holds (HI01 to
// HI12 of one HI segment).
const MaxProfessionalDiagnoses = 12

// CheckGuideRules returns every guide rule c breaks, loop by loop: what
// keeps c from being written as a valid 837 of its kind. The 837 encoder
// refuses a claim with any finding, and the scrubber reports each under one
// of its edits, so a claim the scrubber passes is never refused by the
// encoder. A valid claim is checked without allocating.
func CheckGuideRules(c *Claim) []GuideFinding {
	k := guideChecker{c: c, inst: c.Kind == Institutional}
	k.run()
	return k.out
}

// guideChecker collects the findings of one claim.
type guideChecker struct {
	c    *Claim
	inst bool
	out  []GuideFinding
	rule GuideRule // the rule put reports under
	line int       // 1-based service line being checked, or 0
}

func (k *guideChecker) add(r GuideRule, loc Location, msg string) {
	k.out = append(k.out, GuideFinding{Rule: r, Location: loc, Message: msg})
}

// put records a finding of the current rule; in a line's loops it carries
// the line. Messages are built only on this path, so a valid claim is
// checked without allocating.
func (k *guideChecker) put(loop, seg, elem, msg string) {
	loc := Location{Loop: loop, Segment: seg, Element: elem}
	if k.line > 0 && (loop == "2400" || loop == "2410" || loop == "2420A" || loop == "2420C" || loop == "2430") {
		loc.Line = k.line
	}
	k.add(k.rule, loc, msg)
}

func (k *guideChecker) required(v, loop, seg, elem, what string) {
	if v == "" {
		k.put(loop, seg, elem, what+" is required")
	}
}

// requiredIn is required for a value whose name is built from two parts.
func (k *guideChecker) requiredIn(v, loop, seg, elem, who, what string) {
	if v == "" {
		k.put(loop, seg, elem, who+" "+what+" is required")
	}
}

// notUsed reports a value the claim's kind has no place for, so it would be
// lost silently.
func (k *guideChecker) notUsed(set bool, loop, seg, elem, what string, kind Kind) {
	if set {
		k.put(loop, seg, elem, what+" is not used on an "+string(kind))
	}
}

func (k *guideChecker) controlNumber() {
	pcn := k.c.PatientControlNumber
	loc := Location{"2300", "CLM", "CLM01", 0}
	switch {
	case strings.TrimSpace(pcn) == "":
		k.add(GuidePatientControlNumber, loc, "patient control number is required")
	case len(pcn) > 20:
		k.add(GuidePatientControlNumber, loc, "patient control number "+strconv.Quote(pcn)+" is longer than 20 characters")
	}
}

// billingAddress checks what the guide asks of the billing provider's
// address beyond any address's parts.
func (k *guideChecker) billingAddress() {
	a := k.c.BillingProvider.Address
	if a == nil {
		return
	}
	if hasPOBox(a.Line1) {
		k.add(GuideBillingStreet, Location{"2010AA", "N3", "N301", 0},
			"billing provider address must be a street address, not a post office box (use payToAddress)")
	}
	if a.Country == "" && !isDigits(a.PostalCode, 9) {
		k.add(GuideBillingZIP, Location{"2010AA", "N4", "N403", 0},
			"billing provider ZIP code must be the 9-digit ZIP+4, got "+strconv.Quote(a.PostalCode))
	}
}

// hasPOBox reports whether an address line starts with "PO BOX", in any
// case, with or without dots and spaces ("P.O. Box", "POBOX").
func hasPOBox(s string) bool {
	n := 0
	var b [5]byte
	for i := 0; i < len(s) && n < len(b); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		if ch == '.' || ch == ' ' {
			continue
		}
		b[n] = ch
		n++
	}
	return n == 5 && string(b[:]) == "POBOX"
}

func (k *guideChecker) npis() {
	c := k.c
	type who struct {
		p          *Provider
		loop, name string
	}
	var list [6]who
	if k.inst {
		list = [6]who{{&c.BillingProvider, "2010AA", "billing provider"}, {c.Attending, "2310A", "attending provider"},
			{c.Operating, "2310B", "operating physician"}, {c.Rendering, "2310D", "rendering provider"},
			{c.Referring, "2310F", "referring provider"}}
	} else {
		list = [6]who{{&c.BillingProvider, "2010AA", "billing provider"}, {c.Referring, "2310A", "referring provider"},
			{c.Rendering, "2310B", "rendering provider"}, {c.Supervising, "2310D", "supervising provider"}}
	}
	for _, w := range list {
		if w.p != nil {
			k.npi(w.p.NPI, Location{w.loop, "NM1", "NM109", 0}, w.name)
		}
	}
	if f := c.ServiceFacility; f != nil {
		loop := "2310C"
		if k.inst {
			loop = "2310E"
		}
		k.npi(f.NPI, Location{loop, "NM1", "NM109", 0}, "service facility")
	}
	for i := range c.Lines {
		if r := c.Lines[i].Rendering; r != nil {
			loop := "2420A"
			if k.inst {
				loop = "2420C"
			}
			k.npi(r.NPI, Location{loop, "NM1", "NM109", i + 1}, "line rendering provider")
		}
	}
}

// npi checks an NPI that is sent; whether one is required is each loop's
// own rule.
func (k *guideChecker) npi(npi string, loc Location, who string) {
	if npi != "" && !ValidNPI(npi) {
		k.add(GuideNPI, loc, who+" NPI "+strconv.Quote(npi)+" is not 10 digits with a valid check digit")
	}
}

// diagnosisCount checks that there is a diagnosis and, on an 837P, no more
// than one HI segment holds.
func (k *guideChecker) diagnosisCount() {
	n := len(k.c.Diagnoses)
	if n == 0 {
		k.add(GuideDiagnosisRequired, Location{"2300", "HI", "HI01-2", 0}, "the principal diagnosis is required")
	}
	if !k.inst && n > MaxProfessionalDiagnoses {
		k.add(GuideDiagnosisLimit, Location{"2300", "HI", "", 0},
			strconv.Itoa(n)+" diagnoses: an 837P holds at most "+strconv.Itoa(MaxProfessionalDiagnoses))
	}
}

func (k *guideChecker) totalCharge() {
	c := k.c
	if sum := c.LineChargeTotal(); sum != c.TotalChargeCents {
		k.add(GuideTotalCharge, Location{"2300", "CLM", "CLM02", 0},
			"total charge "+money.Cents(c.TotalChargeCents).String()+" does not equal the sum of the line charges, "+money.Cents(sum).String())
	}
}

func (k *guideChecker) replacement() {
	c := k.c
	if (c.FrequencyCode == FrequencyReplacement || c.FrequencyCode == FrequencyVoid) && strings.TrimSpace(c.PayerClaimControlNumber) == "" {
		k.add(GuideReplacementReference, Location{"2300", "REF", "REF02", 0},
			"payer claim control number (REF*F8) is required for frequency code "+c.FrequencyCode)
	}
}

// lineCount checks that there are service lines and no more than the kind
// holds.
func (k *guideChecker) lineCount() {
	c := k.c
	if len(c.Lines) == 0 {
		k.add(GuideLinesRequired, Location{"2400", "LX", "", 0}, "a claim needs at least one service line")
	}
	if max := MaxLines(c.Kind); len(c.Lines) > max {
		k.add(GuideLineLimit, Location{"2400", "LX", "", 0},
			strconv.Itoa(len(c.Lines))+" service lines: an "+string(c.Kind)+" holds at most "+strconv.Itoa(max))
	}
}

// diagnosisPointers checks an 837P line's SV107 pointers.
func (k *guideChecker) diagnosisPointers(l *ServiceLine) {
	n, dx := k.line, len(k.c.Diagnoses)
	if len(l.DiagnosisPointers) == 0 {
		k.add(GuideDiagnosisPointer, Location{"2400", "SV1", "SV107-1", n}, "at least one diagnosis pointer is required")
	}
	if len(l.DiagnosisPointers) > 4 {
		k.add(GuideDiagnosisPointer, Location{"2400", "SV1", "SV107", n},
			strconv.Itoa(len(l.DiagnosisPointers))+" diagnosis pointers: a line holds at most 4")
	}
	for j, p := range l.DiagnosisPointers {
		if p < 1 || p > dx || p > MaxProfessionalDiagnoses {
			k.add(GuideDiagnosisPointer, Location{"2400", "SV1", "SV107-" + strconv.Itoa(j+1), n},
				"diagnosis pointer "+strconv.Itoa(p)+" does not point at a diagnosis (the claim has "+strconv.Itoa(dx)+")")
		}
	}
}
