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
// against before it is scrubbed or written (CheckGuideRules).
type GuideRule string

// The guide rules. Sources: 005010X222A1 (837P) and 005010X223A2 (837I),
// the loops and segments named in each rule's comment.
const (
	// GuidePatientControlNumber: CLM01 is required and at most 20
	// characters (2300 CLM01, "maximum of 20 characters" in the guide's
	// usage note).
	GuidePatientControlNumber GuideRule = "CLM01"
	// GuideBillingZIP: the billing provider's US address has the 9-digit
	// ZIP+4 (2010AA N403).
	GuideBillingZIP GuideRule = "ZIP9"
	// GuideBillingStreet: the billing provider's address is a street
	// address, not a post office box (2010AA N301; a PO box goes in 2010AB).
	GuideBillingStreet GuideRule = "STREET"
	// GuideNPI: every NPI sent (NM109 with NM108 XX) is ten digits with a
	// correct check digit (ValidNPI).
	GuideNPI GuideRule = "NPI"
	// GuideDiagnosisRequired: the principal diagnosis is required (2300 HI).
	GuideDiagnosisRequired GuideRule = "DX-REQUIRED"
	// GuideDiagnosisLimit: an 837P holds at most 12 diagnoses (2300 HI,
	// HI01 to HI12).
	GuideDiagnosisLimit GuideRule = "DX-LIMIT"
	// GuideLinesRequired: a claim has at least one service line (2400).
	GuideLinesRequired GuideRule = "LINES-REQUIRED"
	// GuideLineLimit: an 837P holds at most 50 service lines, an 837I 999
	// (2400 LX repeat).
	GuideLineLimit GuideRule = "LINE-LIMIT"
	// GuideModifierLimit: a line carries at most four procedure modifiers
	// (SV101-3 to SV101-6, SV202-3 to SV202-6).
	GuideModifierLimit GuideRule = "MOD-LIMIT"
	// GuideDiagnosisPointer: each 837P line points at one to four of the
	// claim's diagnoses, by position (2400 SV107-1 to SV107-4).
	GuideDiagnosisPointer GuideRule = "DX-POINTER"
	// GuideTotalCharge: CLM02 equals the sum of the line charges (SV102,
	// SV203); a balancing rule (SNIP 3).
	GuideTotalCharge GuideRule = "CLM02-SUM"
	// GuideReplacementReference: a replacement (7) or void (8) carries the
	// payer's claim control number of the claim it replaces (2300 REF*F8).
	GuideReplacementReference GuideRule = "REF-F8"
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

// CheckGuideRules returns the guide rules c breaks, in claim order. The
// 837 encoder refuses a claim with any finding, and the scrubber reports
// each under its own edit, so a claim the scrubber passes is never refused
// by the encoder for these rules. A claim of an unknown kind is checked as
// an 837P.
func CheckGuideRules(c *Claim) []GuideFinding {
	g := guideChecker{c: c, inst: c.Kind == Institutional}
	g.controlNumber()
	g.billingProvider()
	g.npis()
	g.diagnoses()
	g.totalCharge()
	g.replacement()
	g.lines()
	return g.out
}

type guideChecker struct {
	c    *Claim
	inst bool
	out  []GuideFinding
}

func (g *guideChecker) add(r GuideRule, loc Location, msg string) {
	g.out = append(g.out, GuideFinding{Rule: r, Location: loc, Message: msg})
}

func (g *guideChecker) controlNumber() {
	pcn := g.c.PatientControlNumber
	loc := Location{"2300", "CLM", "CLM01", 0}
	switch {
	case strings.TrimSpace(pcn) == "":
		g.add(GuidePatientControlNumber, loc, "patient control number is required")
	case len(pcn) > 20:
		g.add(GuidePatientControlNumber, loc, "patient control number "+strconv.Quote(pcn)+" is longer than 20 characters")
	}
}

func (g *guideChecker) billingProvider() {
	a := g.c.BillingProvider.Address
	if a == nil {
		return
	}
	if hasPOBox(a.Line1) {
		g.add(GuideBillingStreet, Location{"2010AA", "N3", "N301", 0},
			"billing provider address must be a street address, not a post office box (use payToAddress)")
	}
	if a.Country == "" && !isZIP9(a.PostalCode) {
		g.add(GuideBillingZIP, Location{"2010AA", "N4", "N403", 0},
			"billing provider ZIP code must be the 9-digit ZIP+4, got "+strconv.Quote(a.PostalCode))
	}
}

// isZIP9 reports whether s is nine digits (ParseUint takes no sign).
func isZIP9(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return len(s) == 9 && err == nil
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

func (g *guideChecker) npis() {
	c := g.c
	type who struct {
		p          *Provider
		loop, name string
	}
	var list [6]who
	if g.inst {
		list = [6]who{{&c.BillingProvider, "2010AA", "billing provider"}, {c.Attending, "2310A", "attending provider"},
			{c.Operating, "2310B", "operating physician"}, {c.Rendering, "2310D", "rendering provider"},
			{c.Referring, "2310F", "referring provider"}}
	} else {
		list = [6]who{{&c.BillingProvider, "2010AA", "billing provider"}, {c.Referring, "2310A", "referring provider"},
			{c.Rendering, "2310B", "rendering provider"}, {c.Supervising, "2310D", "supervising provider"}}
	}
	for _, w := range list {
		if w.p != nil {
			g.npi(w.p.NPI, Location{w.loop, "NM1", "NM109", 0}, w.name)
		}
	}
	if f := c.ServiceFacility; f != nil {
		loop := "2310C"
		if g.inst {
			loop = "2310E"
		}
		g.npi(f.NPI, Location{loop, "NM1", "NM109", 0}, "service facility")
	}
	for i := range c.Lines {
		if r := c.Lines[i].Rendering; r != nil {
			loop := "2420A"
			if g.inst {
				loop = "2420C"
			}
			g.npi(r.NPI, Location{loop, "NM1", "NM109", i + 1}, "line rendering provider")
		}
	}
}

// npi checks an NPI that is sent; whether one is required is each loop's
// own rule.
func (g *guideChecker) npi(npi string, loc Location, who string) {
	if npi != "" && !ValidNPI(npi) {
		g.add(GuideNPI, loc, who+" NPI "+strconv.Quote(npi)+" is not 10 digits with a valid check digit")
	}
}

func (g *guideChecker) diagnoses() {
	n := len(g.c.Diagnoses)
	if n == 0 {
		g.add(GuideDiagnosisRequired, Location{"2300", "HI", "HI01-2", 0}, "the principal diagnosis is required")
	}
	if !g.inst && n > MaxProfessionalDiagnoses {
		g.add(GuideDiagnosisLimit, Location{"2300", "HI", "", 0},
			strconv.Itoa(n)+" diagnoses: an 837P holds at most "+strconv.Itoa(MaxProfessionalDiagnoses))
	}
}

func (g *guideChecker) totalCharge() {
	c := g.c
	if sum := c.LineChargeTotal(); sum != c.TotalChargeCents {
		g.add(GuideTotalCharge, Location{"2300", "CLM", "CLM02", 0},
			"total charge "+money.Cents(c.TotalChargeCents).String()+" does not equal the sum of the line charges, "+money.Cents(sum).String())
	}
}

func (g *guideChecker) replacement() {
	c := g.c
	if (c.FrequencyCode == FrequencyReplacement || c.FrequencyCode == FrequencyVoid) && strings.TrimSpace(c.PayerClaimControlNumber) == "" {
		g.add(GuideReplacementReference, Location{"2300", "REF", "REF02", 0},
			"payer claim control number (REF*F8) is required for frequency code "+c.FrequencyCode)
	}
}

func (g *guideChecker) lines() {
	c := g.c
	kind := Professional
	seg, proc := "SV1", "SV101"
	if g.inst {
		kind, seg, proc = Institutional, "SV2", "SV202"
	}
	if len(c.Lines) == 0 {
		g.add(GuideLinesRequired, Location{"2400", "LX", "", 0}, "a claim needs at least one service line")
	}
	if max := MaxLines(kind); len(c.Lines) > max {
		g.add(GuideLineLimit, Location{"2400", "LX", "", 0},
			strconv.Itoa(len(c.Lines))+" service lines: an "+string(kind)+" holds at most "+strconv.Itoa(max))
	}
	for i := range c.Lines {
		l := &c.Lines[i]
		n := i + 1
		if len(l.Modifiers) > 4 {
			g.add(GuideModifierLimit, Location{"2400", seg, proc + "-3", n},
				strconv.Itoa(len(l.Modifiers))+" procedure modifiers: a line holds at most 4")
		}
		if g.inst {
			continue
		}
		if len(l.DiagnosisPointers) == 0 {
			g.add(GuideDiagnosisPointer, Location{"2400", "SV1", "SV107-1", n}, "at least one diagnosis pointer is required")
		}
		if len(l.DiagnosisPointers) > 4 {
			g.add(GuideDiagnosisPointer, Location{"2400", "SV1", "SV107", n},
				strconv.Itoa(len(l.DiagnosisPointers))+" diagnosis pointers: a line holds at most 4")
		}
		for j, p := range l.DiagnosisPointers {
			if p < 1 || p > len(c.Diagnoses) || p > MaxProfessionalDiagnoses {
				g.add(GuideDiagnosisPointer, Location{"2400", "SV1", "SV107-" + strconv.Itoa(j+1), n},
					"diagnosis pointer "+strconv.Itoa(p)+" does not point at a diagnosis (the claim has "+strconv.Itoa(len(c.Diagnoses))+")")
			}
		}
	}
}
