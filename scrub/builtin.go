package scrub

import (
	"fmt"
	"strings"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/payers"
)

// Edit describes a built-in edit. Its Message and Fix are the general text;
// a finding's message adds the particulars (the code, the line).
type Edit struct {
	ID       string
	SNIP     int
	Severity Severity
	Message  string
	Location Location
	Fix      string
}

type editIndex int

// The built-in edits, in the order they run.
const (
	eReqPCN editIndex = iota
	eReqBilling
	eReqPayer
	eReqSubscriber
	eReqFrequency
	eReqLines
	eReqLine
	eReqPOS
	eLimits
	eNPI
	eTaxonomy
	eDxRequired
	eDxExists
	eDxBillable
	eDxPointer
	eProcedure
	eModifier
	ePOS
	eBalance
	eDateFuture
	eDateOrder
	eDateRange
	eDateCoverage
	eDemoPatient
	eDemoSubscriber
	eFrequencyRef
	eDuplicate
	eTimely
	eTimelyNear
	ePayerKnown
	ePayerAccepts
	eCodeRelease
	eNCCIPTP
	eMUE
	eGuide
	numEdits
)

var edits = [numEdits]Edit{
	eReqPCN: {"REQ-PCN", 2, Reject, "patient control number missing", Location{Loop: "2300", Segment: "CLM", Element: "CLM01"},
		"Set the claim's patient control number (CLM01, up to 20 characters)."},
	eReqBilling: {"REQ-BILLING", 2, Reject, "billing provider incomplete", Location{Loop: "2010AA", Segment: "NM1"},
		"Enter the billing provider's name, NPI, tax ID (REF*EI/SY) and street address with a 9-digit ZIP (N3/N4)."},
	eReqPayer: {"REQ-PAYER", 2, Reject, "payer name or ID missing", Location{Loop: "2010BB", Segment: "NM1", Element: "NM109"},
		"Choose the patient's payer so its name (NM103) and payer ID (NM109) are filled."},
	eReqSubscriber: {"REQ-SUBSCRIBER", 2, Reject, "subscriber information incomplete", Location{Loop: "2000B", Segment: "SBR"},
		"Enter the payer responsibility (SBR01 P, S or T) and the claim filing indicator (SBR09)."},
	eReqFrequency: {"REQ-FREQUENCY", 2, Reject, "claim frequency code invalid", Location{Loop: "2300", Segment: "CLM", Element: "CLM05-3"},
		"Use 1 for an original claim, 7 for a replacement or 8 for a void."},
	eReqLines: {"REQ-LINES", 2, Reject, "claim has no service lines", Location{Loop: "2400", Segment: "LX"},
		"Add at least one service line."},
	eReqLine: {"REQ-LINE", 2, Reject, "service line incomplete", Location{Loop: "2400", Segment: "SV1"},
		"Enter the procedure code (revenue code on institutional lines), units greater than zero and the date of service."},
	eReqPOS: {"REQ-POS", 2, Reject, "place of service or facility type missing", Location{Loop: "2300", Segment: "CLM", Element: "CLM05-1"},
		"Enter the place of service (837P) or the facility type of the type of bill (837I)."},
	eLimits: {"LIMITS", 2, Reject, "more repetitions than the implementation guide allows", Location{Loop: "2300", Segment: "HI"},
		"Split the claim: an 837P carries at most 12 diagnoses and 50 lines, 4 modifiers and 4 diagnosis pointers per line."},
	eNPI: {"NPI-INVALID", 2, Reject, "NPI invalid", Location{Loop: "2010AA", Segment: "NM1", Element: "NM109"},
		"Correct the NPI: 10 digits whose last is the Luhn check digit over 80840 and the first nine (check NPPES)."},
	eTaxonomy: {"TAXONOMY-INVALID", 5, Reject, "provider taxonomy code not in the NUCC code set", Location{Loop: "2000A", Segment: "PRV", Element: "PRV03"},
		"Use the provider's NUCC taxonomy code as registered in NPPES (10 characters, e.g. 207Q00000X)."},
	eDxRequired: {"DX-REQUIRED", 2, Reject, "no diagnosis", Location{Loop: "2300", Segment: "HI", Element: "HI01-2"},
		"Enter at least the principal diagnosis (ICD-10-CM)."},
	eDxExists: {"DX-INVALID", 5, Reject, "ICD-10-CM code not valid on the date of service", Location{Loop: "2300", Segment: "HI"},
		"Use a code of the ICD-10-CM release in effect on the date of service (October 1 to September 30), without the dot."},
	eDxBillable: {"DX-NOT-BILLABLE", 5, Reject, "ICD-10-CM header code is not billable", Location{Loop: "2300", Segment: "HI"},
		"Code to the highest specificity: choose a billable subcode of the header (e.g. E119, not E11)."},
	eDxPointer: {"DX-POINTER", 2, Reject, "diagnosis pointer does not point at a diagnosis", Location{Loop: "2400", Segment: "SV1", Element: "SV107"},
		"Point each line at 1 to 4 of the claim's diagnoses, by their position in the HI list."},
	eProcedure: {"PROC-INVALID", 5, Reject, "procedure code invalid", Location{Loop: "2400", Segment: "SV1", Element: "SV101-2"},
		"Use a HCPCS Level II code valid on the date of service or a 5-character CPT code."},
	eModifier: {"MOD-INVALID", 5, Reject, "procedure modifier invalid", Location{Loop: "2400", Segment: "SV1", Element: "SV101-3"},
		"Use a CPT or HCPCS Level II modifier (two characters), at most four per line."},
	ePOS: {"POS-INVALID", 5, Reject, "place of service code invalid", Location{Loop: "2300", Segment: "CLM", Element: "CLM05-1"},
		"Use a CMS place of service code (e.g. 11 office, 22 outpatient hospital, 02/10 telehealth)."},
	eBalance: {"BAL-TOTAL", 3, Reject, "line charges do not sum to the claim total", Location{Loop: "2300", Segment: "CLM", Element: "CLM02"},
		"Make the claim total charge (CLM02) equal the sum of the line charges (SV102/SV203)."},
	eDateFuture: {"DATE-FUTURE", 2, Reject, "date of service in the future", Location{Loop: "2400", Segment: "DTP", Element: "DTP03"},
		"Bill services only after they are rendered; check the date of service."},
	eDateOrder: {"DATE-ORDER", 2, Reject, "date range ends before it starts", Location{Loop: "2400", Segment: "DTP", Element: "DTP03"},
		"Put the start date first in the range (from-to)."},
	eDateRange: {"DATE-RANGE", 2, Reject, "date outside the claim's period or the patient's life", Location{Loop: "2400", Segment: "DTP", Element: "DTP03"},
		"Check the date of service against the statement period (DTP*434) and the patient's birth date."},
	eDateCoverage: {"DATE-COVERAGE", 2, Reject, "date of service outside the patient's coverage", Location{Loop: "2400", Segment: "DTP", Element: "DTP03"},
		"Check the patient's eligibility on the date of service (270/271): bill the payer that covered the patient on that date, or the patient."},
	eDemoPatient: {"DEMO-PATIENT", 2, Reject, "patient demographics incomplete", Location{Loop: "2010CA", Segment: "NM1"},
		"Enter the patient's last and first name, address, birth date and gender (F, M or U)."},
	eDemoSubscriber: {"DEMO-SUBSCRIBER", 2, Reject, "subscriber demographics incomplete", Location{Loop: "2010BA", Segment: "NM1"},
		"Enter the subscriber's last name and member ID as on the insurance card."},
	eFrequencyRef: {"FREQ-ORIGINAL-REF", 4, Reject, "replacement or void claim lacks the payer claim control number", Location{Loop: "2300", Segment: "REF", Element: "REF02"},
		"Enter the payer's claim control number of the claim being replaced or voided (REF*F8), from the 835 or 277CA."},
	eDuplicate: {"DUPLICATE", 7, Reject, "duplicate of a claim already submitted", Location{Loop: "2300", Segment: "CLM", Element: "CLM01"},
		"Do not resubmit: check the status of the earlier claim; to correct it send a replacement (frequency 7)."},
	eTimely: {"TIMELY-FILING", 7, Reject, "past the payer's timely filing limit", Location{Loop: "2400", Segment: "DTP", Element: "DTP03"},
		"Submit with proof of timely filing or a delay reason code (CLM20) if an exception applies; otherwise write off."},
	eTimelyNear: {"TIMELY-FILING-NEAR", 7, Warn, "close to the payer's timely filing limit", Location{Loop: "2400", Segment: "DTP", Element: "DTP03"},
		"Submit this claim now."},
	ePayerKnown: {"PAYER-UNKNOWN", 7, Reject, "payer not in the payer registry", Location{Loop: "2010BB", Segment: "NM1", Element: "NM109"},
		"Pick the payer from the registry or add its definition."},
	ePayerAccepts: {"PAYER-TRANSACTION", 7, Reject, "payer does not accept this claim type", Location{Loop: "2010BB", Segment: "NM1", Element: "NM109"},
		"Send this claim type to a payer that accepts it, or bill on the other claim form (837P/837I)."},
	eCodeRelease: {"CODESET-RELEASE", 5, Warn, "no code set release loaded for the date of service", Location{Loop: "2300", Segment: "HI"},
		"Import the code set release in effect on the date of service (clearhouse codes import)."},
	eNCCIPTP: {"NCCI-PTP", 5, Reject, "NCCI procedure-to-procedure edit", Location{Loop: "2400", Segment: "SV1", Element: "SV101-2"},
		"Remove the column 2 code, or, when the services were distinct and the modifier indicator allows it, add an NCCI-associated modifier (59, XE, XS, XP, XU, 25...)."},
	eMUE: {"MUE", 5, Reject, "units exceed the medically unlikely edit", Location{Loop: "2400", Segment: "SV1", Element: "SV104"},
		"Check the units; bill no more than the MUE per date of service, or appeal with documentation."},
	eGuide: {"GUIDE", 2, Reject, "837 implementation guide rule broken", Location{Loop: "2300", Segment: "CLM"},
		"Correct the claim as the finding says: the 837 encoder refuses a claim that breaks an implementation guide rule."},
}

// Builtins returns the built-in edits with their default severities.
func Builtins() []Edit { return append([]Edit(nil), edits[:]...) }

func builtinIndex(id string) (editIndex, bool) {
	for i := range edits {
		if edits[i].ID == id {
			return editIndex(i), true
		}
	}
	return 0, false
}

func defaultSeverities() [numEdits]Severity {
	var s [numEdits]Severity
	for i := range edits {
		s[i] = edits[i].Severity
	}
	return s
}

// checker runs the built-in edits over one claim.
type checker struct {
	s       *Scrubber
	c       *claim.Claim
	opts    Options
	prof    *profile
	payer   *payers.Payer
	payerID string
	claimID string
	out     []Finding
	dosFrom codes.Day
	dos     claim.Date
	// ptpLookups counts the NCCI pairs looked up, which grow with the
	// claim's lines, never with its pairs of lines (see ncci).
	ptpLookups int
}

func (k *checker) on(e editIndex) bool { return k.prof.severity[e] != 0 }

// add records a finding of built-in edit e; detail is appended to the
// message, loc (when its Loop is set) replaces the edit's location.
func (k *checker) add(e editIndex, loc Location, detail string) {
	sev := k.prof.severity[e]
	if sev == 0 {
		return
	}
	ed := &edits[e]
	msg := ed.Message
	if detail != "" {
		msg += ": " + detail
	}
	if loc.Loop == "" {
		loc = ed.Location
	}
	k.out = append(k.out, Finding{
		ClaimID: k.claimID, PatientControlNumber: k.c.PatientControlNumber,
		RuleID: ed.ID, SNIP: ed.SNIP, Severity: sev, Message: msg, Location: loc, Fix: ed.Fix, Source: "builtin",
	})
}

func dayOf(d claim.Date) codes.Day {
	return codes.Day(d.Year*10000 + int(d.Month)*100 + d.Day)
}

func (k *checker) lineDay(l *claim.ServiceLine) codes.Day {
	if !l.ServiceDate.IsZero() {
		return dayOf(l.ServiceDate)
	}
	return k.dosFrom
}

func (k *checker) institutional() bool { return k.c.Kind == claim.Institutional }

// lineSeg is the service line segment of the claim's kind.
func (k *checker) lineSeg() string {
	if k.institutional() {
		return "SV2"
	}
	return "SV1"
}

func (k *checker) run() {
	c := k.c
	from, _ := c.ServiceSpan()
	k.dos = from
	k.dosFrom = dayOf(from)
	if from.IsZero() {
		k.dosFrom = 0
	}
	k.guide()
	k.required()
	k.providers()
	k.diagnoses()
	k.lines()
	k.dates()
	k.demographics()
	k.frequency()
	k.payerEdits()
	k.ncci()
}

// guideEdits is the built-in edit that reports each of the claim's guide
// rules (claim.CheckGuideRules), the rules the 837 encoder enforces too.
// Rules with no edit of their own are reported under eGuide.
var guideEdits = map[claim.GuideRule]editIndex{
	claim.GuideBillingProvider:      eReqBilling,
	claim.GuideBillingZIP:           eReqBilling,
	claim.GuideBillingStreet:        eReqBilling,
	claim.GuideSubscriber:           eReqSubscriber,
	claim.GuideSubscriberName:       eDemoSubscriber,
	claim.GuidePatient:              eDemoPatient,
	claim.GuidePayer:                eReqPayer,
	claim.GuidePatientControlNumber: eReqPCN,
	claim.GuideTotalCharge:          eBalance,
	claim.GuideFrequency:            eReqFrequency,
	claim.GuideReplacementReference: eFrequencyRef,
	claim.GuidePlaceOfService:       eReqPOS,
	claim.GuideDateOrder:            eDateOrder,
	claim.GuideDiagnosisRequired:    eDxRequired,
	claim.GuideDiagnosisLimit:       eLimits,
	claim.GuideNPI:                  eNPI,
	claim.GuideLinesRequired:        eReqLines,
	claim.GuideLineLimit:            eLimits,
	claim.GuideLine:                 eReqLine,
	claim.GuideModifierLimit:        eModifier,
	claim.GuideDiagnosisPointer:     eDxPointer,
}

// guide reports the claim's guide rules, each under its edit's ID and fix,
// with the rule's own message and location: the words the encoder would
// refuse the claim with. They are always rejects: a payer's builtins
// overrides (off, warn) do not reach them, since the encoder refuses the
// claim whatever the payer's rule file says.
func (k *checker) guide() {
	for _, f := range claim.CheckGuideRules(k.c) {
		e, ok := guideEdits[f.Rule]
		if !ok {
			e = eGuide
		}
		ed := &edits[e]
		k.out = append(k.out, Finding{
			ClaimID: k.claimID, PatientControlNumber: k.c.PatientControlNumber,
			RuleID: ed.ID, SNIP: ed.SNIP, Severity: Reject, Message: f.Message, Location: f.Location, Fix: ed.Fix, Source: "builtin",
		})
	}
}

// required reports what the scrubber asks of a claim beyond the guide
// rules.
func (k *checker) required() {
	c := k.c
	// Any single digit passes the guide rule; the scrubber also wants a
	// frequency billing sends (1, 7 or 8).
	if f := c.FrequencyCode; k.on(eReqFrequency) && len(f) == 1 && f[0] >= '1' && f[0] <= '9' &&
		f != claim.FrequencyOriginal && f != claim.FrequencyReplacement && f != claim.FrequencyVoid {
		k.add(eReqFrequency, Location{}, fmt.Sprintf("%q", c.FrequencyCode))
	}
}

func (k *checker) providers() {
	c := k.c
	type who struct {
		p    *claim.Provider
		loop string
		name string
	}
	list := [...]who{
		{&c.BillingProvider, "2010AA", "billing provider"},
		{c.Referring, pick(k.institutional(), "2310F", "2310A"), "referring provider"},
		{c.Rendering, pick(k.institutional(), "2310D", "2310B"), "rendering provider"},
		{c.Supervising, "2310D", "supervising provider"},
		{c.Attending, "2310A", "attending provider"},
		{c.Operating, "2310B", "operating provider"},
	}
	for _, w := range list {
		if w.p == nil {
			continue
		}
		if k.on(eTaxonomy) && w.p.Taxonomy != "" {
			if _, ok := k.s.codes.Set(codes.Taxonomy).Lookup(w.p.Taxonomy, k.dosFrom); !ok {
				loop := w.loop
				if loop == "2010AA" {
					loop = "2000A"
				}
				k.add(eTaxonomy, Location{Loop: loop, Segment: "PRV", Element: "PRV03"}, fmt.Sprintf("%s taxonomy %q", w.name, w.p.Taxonomy))
			}
		}
	}
	if k.on(eTaxonomy) && !k.institutional() && c.BillingProvider.Taxonomy == "" {
		// The 837P guide requires PRV in 2000A when the payer needs it;
		// most do, so a missing one is a warning.
		k.out = append(k.out, Finding{ClaimID: k.claimID, PatientControlNumber: c.PatientControlNumber,
			RuleID: edits[eTaxonomy].ID, SNIP: 5, Severity: Warn, Message: "billing provider taxonomy (PRV03) missing",
			Location: Location{Loop: "2000A", Segment: "PRV", Element: "PRV03"}, Fix: edits[eTaxonomy].Fix, Source: "builtin"})
	}
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (k *checker) diagnoses() {
	c := k.c
	if len(c.Diagnoses) == 0 {
		return // a guide rule
	}
	icd := k.s.codes.Set(codes.ICD10CM)
	rel, covered := icd.Release(k.dosFrom)
	var cur codes.Currency // Stale only when no release covers the date
	if !covered && k.dosFrom != 0 {
		cur = icd.CurrencyOn(k.dosFrom)
		k.codeRelease(&cur, Location{Loop: "2300", Segment: "HI"}, "ICD-10-CM")
	}
	for i := range c.Diagnoses {
		code := c.Diagnoses[i].Code
		if code == "" {
			continue // a guide rule
		}
		e, ok := rel.Lookup(code)
		switch {
		case !ok && cur.Stale:
			k.addStale(eDxExists, Location{Loop: "2300", Segment: "HI", Element: hiElement(i)}, "ICD-10-CM", cur.Import, fmt.Sprintf("%s is not in release %s", code, rel.Name))
		case !ok:
			if k.on(eDxExists) {
				k.add(eDxExists, Location{Loop: "2300", Segment: "HI", Element: hiElement(i)}, fmt.Sprintf("%s (release %s)", code, rel.Name))
			}
		case !e.Billable:
			if k.on(eDxBillable) {
				k.add(eDxBillable, Location{Loop: "2300", Segment: "HI", Element: hiElement(i)}, fmt.Sprintf("%s %s", code, e.Description))
			}
		}
	}
}

// codeRelease reports that no release of a code set (named what) covers
// the date of service. When the date falls after the set's latest release
// ended, the code set is stale: a warning naming the release to import
// (see addStale). Otherwise (a date before the first loaded release, or
// between two) it takes the edit's severity, which a payer may tighten.
func (k *checker) codeRelease(cur *codes.Currency, loc Location, what string) {
	if cur.Stale {
		k.addStale(eCodeRelease, loc, what, cur.Import, fmt.Sprintf("release %s ended %s, before the date of service %s", cur.Release.Name, cur.Ended, cur.Day))
		return
	}
	k.add(eCodeRelease, loc, fmt.Sprintf("%s on %s (checked against %s)", what, cur.Day, cur.Release.Name))
}

// addStale records a finding of edit e that an out-of-date code set
// causes: the date of service falls after the latest loaded release of the
// set ended, so a code may be missing only because its release was not
// imported. It is a warning at most, whatever a payer's builtins overrides
// say (off still silences it): a stale code set must never hold claims
// back. The message says the code set (named what) is out of date and
// which release to import; the fix gives the import command (advice, see
// codes.ImportAdvice).
func (k *checker) addStale(e editIndex, loc Location, what, advice, detail string) {
	sev := min(k.prof.severity[e], Warn)
	if sev == 0 {
		return
	}
	release, _, _ := strings.Cut(advice, ": clearhouse ")
	ed := &edits[e]
	k.out = append(k.out, Finding{
		ClaimID: k.claimID, PatientControlNumber: k.c.PatientControlNumber,
		RuleID: ed.ID, SNIP: ed.SNIP, Severity: sev,
		Message:  what + " " + detail + ": the " + what + " code set is out of date; import " + release,
		Location: loc, Fix: "Import " + advice + "; then scrub the claim again, and correct the code if that release lacks it too.",
		Source: "builtin",
	})
}

// hiElement names the HI composite of the claim's i-th diagnosis (0-based):
// HI01-2 to HI12-2, counting again from HI01 in each further HI segment.
func hiElement(i int) string {
	return fmt.Sprintf("HI%02d-2", i%12+1)
}

func (k *checker) lines() {
	c := k.c
	seg := k.lineSeg()
	hcpcs := k.s.codes.Set(codes.HCPCS)
	mods := k.s.codes.Set(codes.Modifier)
	pos := k.s.codes.Set(codes.POS)
	reportedRelease := false
	if !k.institutional() && c.PlaceOfService != "" && k.on(ePOS) {
		if _, ok := pos.Lookup(c.PlaceOfService, k.dosFrom); !ok {
			k.add(ePOS, Location{}, fmt.Sprintf("%q", c.PlaceOfService))
		}
	}
	for i := range c.Lines {
		l := &c.Lines[i]
		n := i + 1
		day := k.lineDay(l)
		if l.ProcedureCode != "" && k.on(eProcedure) && (l.ProcedureQualifier == "" || l.ProcedureQualifier == "HC") {
			code := l.ProcedureCode
			switch {
			case isCPT(code):
				// CPT codes are licensed by the AMA and not shipped: only
				// their format is checked.
			case isHCPCSLevelII(code):
				rel, covered := hcpcs.Release(day)
				if !covered && !reportedRelease && k.on(eCodeRelease) {
					reportedRelease = true
					cur := hcpcs.CurrencyOn(day)
					k.codeRelease(&cur, Location{Loop: "2400", Segment: seg, Line: n}, "HCPCS")
				}
				if _, ok := rel.Lookup(code); !ok {
					loc := Location{Loop: "2400", Segment: seg, Element: procElement(k.institutional(), 2), Line: n}
					if cur := hcpcs.CurrencyOn(day); cur.Stale {
						k.addStale(eProcedure, loc, "HCPCS", cur.Import, fmt.Sprintf("%s is not in release %s", code, rel.Name))
					} else {
						k.add(eProcedure, loc, fmt.Sprintf("HCPCS %s not in release %s", code, rel.Name))
					}
				}
			default:
				k.add(eProcedure, Location{Loop: "2400", Segment: seg, Element: procElement(k.institutional(), 2), Line: n}, fmt.Sprintf("%q is neither a CPT nor a HCPCS Level II code", code))
			}
		}
		if k.on(eModifier) {
			for j, m := range l.Modifiers {
				if _, ok := mods.Lookup(m, day); !ok {
					loc := Location{Loop: "2400", Segment: seg, Element: procElement(k.institutional(), 3+j), Line: n}
					if cur := mods.CurrencyOn(day); cur.Stale {
						// Modifiers come with the HCPCS file.
						k.addStale(eModifier, loc, "HCPCS", codes.ImportAdvice(codes.HCPCS, day), fmt.Sprintf("modifier %q is not in release %s", m, cur.Release.Name))
					} else {
						k.add(eModifier, loc, fmt.Sprintf("%q", m))
					}
				}
			}
		}
		if l.PlaceOfService != "" && k.on(ePOS) {
			if _, ok := pos.Lookup(l.PlaceOfService, day); !ok {
				k.add(ePOS, Location{Loop: "2400", Segment: "SV1", Element: "SV105", Line: n}, fmt.Sprintf("%q", l.PlaceOfService))
			}
		}
	}
}

func procElement(institutional bool, comp int) string {
	if institutional {
		return fmt.Sprintf("SV202-%d", comp)
	}
	return fmt.Sprintf("SV101-%d", comp)
}

// isCPT reports whether code has the form of a CPT code: five digits
// (category I), or four digits and F (category II), T (category III) or U
// (proprietary laboratory analyses).
func isCPT(code string) bool {
	if len(code) != 5 || !isDigits(code[:4]) {
		return false
	}
	last := code[4]
	return last >= '0' && last <= '9' || last == 'F' || last == 'T' || last == 'U'
}

// isHCPCSLevelII reports whether code is a letter and four digits.
func isHCPCSLevelII(code string) bool {
	return len(code) == 5 && code[0] >= 'A' && code[0] <= 'Z' && isDigits(code[1:])
}

func (k *checker) dates() {
	c := k.c
	today := k.opts.Today
	birth := c.PatientBirthDate()
	for i := range c.Lines {
		l := &c.Lines[i]
		n := i + 1
		if l.ServiceDate.IsZero() {
			continue
		}
		end := l.ServiceDateEnd
		if end.IsZero() {
			end = l.ServiceDate
		}
		loc := Location{Loop: "2400", Segment: "DTP", Element: "DTP03", Line: n}
		if k.on(eDateFuture) && !today.IsZero() && end.After(today) {
			k.add(eDateFuture, loc, fmt.Sprintf("%s is after %s", end, today))
		}
		if k.on(eDateRange) {
			if !birth.IsZero() && l.ServiceDate.Before(birth) {
				k.add(eDateRange, loc, fmt.Sprintf("service %s before the patient's birth %s", l.ServiceDate, birth))
			}
			if k.institutional() && !c.StatementFrom.IsZero() && !c.StatementTo.IsZero() &&
				(l.ServiceDate.Before(c.StatementFrom) || end.After(c.StatementTo)) {
				k.add(eDateRange, loc, fmt.Sprintf("service %s outside the statement period %s to %s", l.ServiceDate, c.StatementFrom, c.StatementTo))
			}
		}
		if cov := k.opts.Coverage; k.on(eDateCoverage) && cov.known() {
			if !cov.From.IsZero() && l.ServiceDate.Before(cov.From) {
				k.add(eDateCoverage, loc, fmt.Sprintf("service %s before coverage began (%s)", l.ServiceDate, cov))
			} else if !cov.To.IsZero() && end.After(cov.To) {
				k.add(eDateCoverage, loc, fmt.Sprintf("service through %s after coverage ended (%s)", end, cov))
			}
		}
	}
	if k.on(eDateOrder) && !c.AdmissionDate.IsZero() && !c.DischargeDate.IsZero() && c.DischargeDate.Before(c.AdmissionDate) {
		k.add(eDateOrder, Location{Loop: "2300", Segment: "DTP", Element: "DTP03"}, fmt.Sprintf("discharge %s before admission %s", c.DischargeDate, c.AdmissionDate))
	}
	if k.on(eDateFuture) && !today.IsZero() && !c.StatementTo.IsZero() && c.StatementTo.After(today) {
		k.add(eDateFuture, Location{Loop: "2300", Segment: "DTP", Element: "DTP03"}, fmt.Sprintf("statement period ends %s, after %s", c.StatementTo, today))
	}
	if k.on(eDateRange) && !today.IsZero() && !birth.IsZero() && birth.After(today) {
		k.add(eDateRange, Location{Loop: pick(c.Patient != nil, "2010CA", "2010BA"), Segment: "DMG", Element: "DMG02"}, fmt.Sprintf("birth date %s in the future", birth))
	}
}

// demographics asks for the patient's first name, which the guide leaves
// situational and payers match on; the rest of the patient's and the
// subscriber's demographics are guide rules.
func (k *checker) demographics() {
	c := k.c
	first, loop := c.Subscriber.FirstName, "2010BA"
	if p := c.Patient; p != nil {
		first, loop = p.FirstName, "2010CA"
	}
	if k.on(eDemoPatient) && first == "" {
		k.add(eDemoPatient, Location{Loop: loop, Segment: "NM1", Element: "NM104"}, "missing first name")
	}
}

func (k *checker) frequency() {
	c := k.c
	if k.on(eDuplicate) && k.opts.History != nil && c.FrequencyCode != claim.FrequencyReplacement && c.FrequencyCode != claim.FrequencyVoid {
		if id, ok := k.opts.History.Seen(DuplicateKeyOf(c)); ok && id != k.claimID {
			k.add(eDuplicate, Location{}, "same patient, provider, date and codes as claim "+id)
		}
	}
}

func (k *checker) payerEdits() {
	c := k.c
	if k.s.payers != nil && k.payerID != "" {
		if k.payer == nil {
			k.add(ePayerKnown, Location{}, fmt.Sprintf("%q", k.payerID))
		} else if k.on(ePayerAccepts) {
			tx := payers.Tx837P
			if k.institutional() {
				tx = payers.Tx837I
			}
			if !k.payer.Accepts(tx) {
				k.add(ePayerAccepts, Location{}, fmt.Sprintf("%s (%s) does not accept %s", k.payer.Name, k.payer.ID, tx))
			}
		}
	}
	if k.payer == nil || k.opts.Today.IsZero() || k.dos.IsZero() || c.DelayReason != "" {
		return
	}
	limit := k.payer.TimelyFilingDays
	age := k.opts.Today.DaysSince(k.dos)
	switch {
	case age > limit:
		k.add(eTimely, Location{}, fmt.Sprintf("service %s is %d days old, %s allows %d", k.dos, age, k.payer.ID, limit))
	case limit-age <= k.payer.FilingWarnDays():
		k.add(eTimelyNear, Location{}, fmt.Sprintf("%d of %d days left", limit-age, limit))
	}
}

// DuplicateKey identifies a claim for duplicate detection: the same patient,
// billing provider, first date of service and procedure codes.
type DuplicateKey string

// DuplicateKeyOf returns the claim's duplicate key: payer, member ID,
// patient name and birth date, billing NPI, first date of service and the
// procedure (or revenue) codes with modifiers in line order.
func DuplicateKeyOf(c *claim.Claim) DuplicateKey {
	var b strings.Builder
	last, first := c.PatientName()
	from, _ := c.ServiceSpan()
	b.WriteString(c.Payer.ID)
	b.WriteByte('|')
	b.WriteString(c.Subscriber.MemberID)
	b.WriteByte('|')
	b.WriteString(strings.ToUpper(last))
	b.WriteByte(',')
	b.WriteString(strings.ToUpper(first))
	b.WriteByte('|')
	b.WriteString(c.PatientBirthDate().String())
	b.WriteByte('|')
	b.WriteString(c.BillingProvider.NPI)
	b.WriteByte('|')
	b.WriteString(from.String())
	for i := range c.Lines {
		l := &c.Lines[i]
		b.WriteByte('|')
		b.WriteString(l.ProcedureCode)
		b.WriteString(l.RevenueCode)
		for _, m := range l.Modifiers {
			b.WriteByte(':')
			b.WriteString(m)
		}
	}
	return DuplicateKey(b.String())
}

// MapHistory is a History over a map of keys to claim IDs.
type MapHistory map[DuplicateKey]string

// Seen implements History.
func (h MapHistory) Seen(key DuplicateKey) (string, bool) {
	id, ok := h[key]
	return id, ok
}
