package scrub

import (
	"fmt"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
)

// ncciModifiers are the NCCI-associated modifiers that let a column 2 code
// be paid with its column 1 code when the edit's modifier indicator is 1
// (CMS NCCI Policy Manual, chapter I): 59 and its X{EPSU} subsets, E/M and
// global surgery modifiers, repeat lab 91, and the anatomic modifiers.
var ncciModifiers = map[string]bool{
	"24": true, "25": true, "27": true, "57": true, "58": true, "59": true, "78": true, "79": true, "91": true,
	"XE": true, "XP": true, "XS": true, "XU": true,
	"E1": true, "E2": true, "E3": true, "E4": true,
	"FA": true, "F1": true, "F2": true, "F3": true, "F4": true, "F5": true, "F6": true, "F7": true, "F8": true, "F9": true,
	"LC": true, "LD": true, "LM": true, "LT": true, "RC": true, "RI": true, "RT": true,
	"TA": true, "T1": true, "T2": true, "T3": true, "T4": true, "T5": true, "T6": true, "T7": true, "T8": true, "T9": true,
}

func hasNCCIModifier(l *claim.ServiceLine) bool {
	for _, m := range l.Modifiers {
		if ncciModifiers[m] {
			return true
		}
	}
	return false
}

// ncci applies the procedure-to-procedure pairs and the unit limits of the
// claim's setting: practitioner tables for 837P, outpatient hospital tables
// for 837I.
func (k *checker) ncci() {
	c := k.c
	setting := codes.Practitioner
	if k.institutional() {
		setting = codes.Hospital
	}
	seg := k.lineSeg()
	if ptp := k.s.codes.PTP(setting); ptp != nil && k.on(eNCCIPTP) {
		for i := range c.Lines {
			a := &c.Lines[i]
			if a.ProcedureCode == "" {
				continue
			}
			for j := range c.Lines {
				b := &c.Lines[j]
				if i == j || b.ProcedureCode == "" || a.ServiceDate != b.ServiceDate {
					continue
				}
				e, ok := ptp.Lookup(a.ProcedureCode, b.ProcedureCode, k.lineDay(a))
				if !ok {
					continue
				}
				if e.Modifier == codes.ModifierAllowed && (hasNCCIModifier(b) || hasNCCIModifier(a)) {
					continue
				}
				detail := fmt.Sprintf("%s (line %d) is not payable with %s (line %d) on the same day", b.ProcedureCode, j+1, a.ProcedureCode, i+1)
				if e.Modifier == codes.ModifierNotAllowed {
					detail += "; no modifier allowed"
				} else {
					detail += "; an NCCI-associated modifier is required"
				}
				if ptp.Sample {
					detail += " [SAMPLE NCCI table]"
				}
				k.add(eNCCIPTP, Location{Loop: "2400", Segment: seg, Element: procElement(k.institutional(), 2), Line: j + 1}, detail)
			}
		}
	}
	mue := k.s.codes.MUE(setting)
	if mue == nil || !k.on(eMUE) {
		return
	}
	for i := range c.Lines {
		l := &c.Lines[i]
		lim, ok := mue.Lookup(l.ProcedureCode)
		if !ok {
			continue
		}
		units := l.Units
		if lim.Adjudicate != codes.MUELine {
			// Per date of service: count only at the code's first line of
			// the day, adding the later lines.
			first := true
			for j := 0; j < i; j++ {
				if c.Lines[j].ProcedureCode == l.ProcedureCode && c.Lines[j].ServiceDate == l.ServiceDate {
					first = false
					break
				}
			}
			if !first {
				continue
			}
			for j := i + 1; j < len(c.Lines); j++ {
				if c.Lines[j].ProcedureCode == l.ProcedureCode && c.Lines[j].ServiceDate == l.ServiceDate {
					units += c.Lines[j].Units
				}
			}
		}
		if units > claim.Units(int64(lim.Units)) {
			per := "per date of service"
			if lim.Adjudicate == codes.MUELine {
				per = "per line"
			}
			detail := fmt.Sprintf("%s billed %s units, MUE %d %s (MAI %d)", l.ProcedureCode, units, lim.Units, per, lim.Adjudicate)
			if mue.Sample {
				detail += " [SAMPLE MUE table]"
			}
			k.add(eMUE, Location{Loop: "2400", Segment: seg, Element: pick(k.institutional(), "SV205", "SV104"), Line: i + 1}, detail)
		}
	}
}
