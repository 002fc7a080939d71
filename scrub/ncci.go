package scrub

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

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
//
// Both work on the claim's lines grouped by date of service and procedure
// code, sorted once, so their cost grows with the claim's lines (n log n),
// not with its pairs of lines: the pairs are found from the PTP table's
// column 2 codes of each code billed on a date.
func (k *checker) ncci() {
	setting := codes.Practitioner
	if k.institutional() {
		setting = codes.Hospital
	}
	ptp := k.s.codes.PTP(setting)
	if !k.on(eNCCIPTP) {
		ptp = nil
	}
	mue := k.s.codes.MUE(setting)
	if !k.on(eMUE) {
		mue = nil
	}
	if ptp == nil && mue == nil {
		return
	}
	// Claims of a few lines group them without allocating.
	var idxBuf [8]int32
	var groupBuf [8]lineGroup
	ix := k.lineGroups(idxBuf[:0], groupBuf[:0])
	if ptp != nil && len(ix.lines) > 1 {
		k.ptp(ptp, &ix)
	}
	if mue != nil {
		k.mue(mue, &ix)
	}
}

// lineIndex is a claim's lines grouped by date of service and procedure
// code: lines holds line indexes ordered by date, code and line, groups
// its runs.
type lineIndex struct {
	lines  []int32
	groups []lineGroup
}

// of returns the lines of group g in line order.
func (ix *lineIndex) of(g lineGroup) []int32 { return ix.lines[g.lo:g.hi] }

// lineGroup is the lines of a claim that share a date of service and a
// procedure code: lineIndex.lines[lo:hi].
type lineGroup struct{ lo, hi int32 }

// first returns the first line of group g, which has its date and code.
func (k *checker) first(ix *lineIndex, g lineGroup) *claim.ServiceLine {
	return &k.c.Lines[ix.lines[g.lo]]
}

func compareDates(a, b claim.Date) int {
	if c := cmp.Compare(a.Year, b.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Month, b.Month); c != 0 {
		return c
	}
	return cmp.Compare(a.Day, b.Day)
}

// lineGroups groups the lines that have a procedure code by date of service
// and code, ordered by date, then code, appending to idx and groups.
func (k *checker) lineGroups(idx []int32, groups []lineGroup) lineIndex {
	lines := k.c.Lines
	for i := range lines {
		if lines[i].ProcedureCode != "" {
			idx = append(idx, int32(i))
		}
	}
	compare := func(a, b int32) int {
		la, lb := &lines[a], &lines[b]
		if la.ServiceDate != lb.ServiceDate {
			return compareDates(la.ServiceDate, lb.ServiceDate)
		}
		if c := strings.Compare(la.ProcedureCode, lb.ProcedureCode); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
	if len(idx) <= 8 {
		// Most claims have a few lines: an insertion sort costs less
		// than setting up the general one.
		for i := 1; i < len(idx); i++ {
			for j := i; j > 0 && compare(idx[j], idx[j-1]) < 0; j-- {
				idx[j], idx[j-1] = idx[j-1], idx[j]
			}
		}
	} else {
		slices.SortFunc(idx, compare)
	}
	for lo := 0; lo < len(idx); {
		l := &lines[idx[lo]]
		hi := lo + 1
		for hi < len(idx) && lines[idx[hi]].ServiceDate == l.ServiceDate && lines[idx[hi]].ProcedureCode == l.ProcedureCode {
			hi++
		}
		groups = append(groups, lineGroup{lo: int32(lo), hi: int32(hi)})
		lo = hi
	}
	return lineIndex{lines: idx, groups: groups}
}

// plainLines returns the first two lines of g without an NCCI-associated
// modifier (-1 for none). A group is asked once per PTP edit of its code,
// so the scans stay linear in the claim's lines.
func (k *checker) plainLines(ix *lineIndex, g lineGroup) [2]int32 {
	plain := [2]int32{-1, -1}
	n := 0
	for _, i := range ix.of(g) {
		if !hasNCCIModifier(&k.c.Lines[i]) {
			plain[n] = i
			if n++; n == 2 {
				break
			}
		}
	}
	return plain
}

// ptpHit is one line (column 2) not payable with an earlier-found line
// (column 1) of the same date.
type ptpHit struct {
	col1, col2 int32
	modifier   codes.ModifierIndicator
}

// ptp finds each line whose code is column 2 of an edit with a code billed
// on the same date. A column 2 line draws one finding per column 1 code,
// naming the first line of that code it is not payable with, so a claim
// repeating a pair many times draws a finding per line, not per pair of
// lines. The findings are ordered by column 1 line, then column 2 line.
func (k *checker) ptp(ptp *codes.PTPTable, ix *lineIndex) {
	groups := ix.groups
	var hitBuf [4]ptpHit
	hits := hitBuf[:0]
	for lo := 0; lo < len(groups); {
		date := k.first(ix, groups[lo]).ServiceDate
		hi := lo + 1
		for hi < len(groups) && k.first(ix, groups[hi]).ServiceDate == date {
			hi++
		}
		day := groups[lo:hi]
		for _, g1 := range day {
			partners := ptp.Column2(k.first(ix, g1).ProcedureCode)
			if len(partners) == 0 {
				continue
			}
			if len(partners) < len(day) {
				for _, code := range partners {
					if g2, ok := k.groupOf(ix, day, code); ok {
						hits = k.ptpPair(ptp, ix, g1, g2, hits)
					}
				}
				continue
			}
			for _, g2 := range day {
				hits = k.ptpPair(ptp, ix, g1, g2, hits)
			}
		}
		lo = hi
	}
	if len(hits) == 0 {
		return
	}
	slices.SortFunc(hits, func(a, b ptpHit) int {
		if c := cmp.Compare(a.col1, b.col1); c != 0 {
			return c
		}
		return cmp.Compare(a.col2, b.col2)
	})
	seg := k.lineSeg()
	for _, h := range hits {
		a, b := &k.c.Lines[h.col1], &k.c.Lines[h.col2]
		detail := fmt.Sprintf("%s (line %d) is not payable with %s (line %d) on the same day", b.ProcedureCode, h.col2+1, a.ProcedureCode, h.col1+1)
		if h.modifier == codes.ModifierNotAllowed {
			detail += "; no modifier allowed"
		} else {
			detail += "; an NCCI-associated modifier is required"
		}
		if ptp.Sample {
			detail += " [SAMPLE NCCI table]"
		}
		k.add(eNCCIPTP, Location{Loop: "2400", Segment: seg, Element: procElement(k.institutional(), 2), Line: int(h.col2) + 1}, detail)
	}
}

// groupOf returns the group of code among day's groups (ordered by code).
func (k *checker) groupOf(ix *lineIndex, day []lineGroup, code string) (lineGroup, bool) {
	if len(day) <= 8 {
		for _, g := range day {
			if k.first(ix, g).ProcedureCode == code {
				return g, true
			}
		}
		return lineGroup{}, false
	}
	i, ok := slices.BinarySearchFunc(day, code, func(g lineGroup, code string) int {
		return cmp.Compare(k.first(ix, g).ProcedureCode, code)
	})
	if !ok {
		return lineGroup{}, false
	}
	return day[i], true
}

// ptpPair appends a hit for each line of g2 not payable with a line of g1
// (the same date): the edit (g1's code, g2's code) is active on the date,
// and unless its modifier indicator is 1 and one of the two lines carries
// an NCCI-associated modifier.
func (k *checker) ptpPair(ptp *codes.PTPTable, ix *lineIndex, g1, g2 lineGroup, hits []ptpHit) []ptpHit {
	lines1 := ix.of(g1)
	if g1 == g2 && len(lines1) < 2 {
		return hits // a line is not paired with itself
	}
	k.ptpLookups++
	first1 := k.first(ix, g1)
	e, ok := ptp.Lookup(first1.ProcedureCode, k.first(ix, g2).ProcedureCode, k.lineDay(first1))
	if !ok {
		return hits
	}
	col1 := [2]int32{lines1[0], -1}
	if len(lines1) > 1 {
		col1[1] = lines1[1]
	}
	if e.Modifier == codes.ModifierAllowed {
		col1 = k.plainLines(ix, g1)
	}
	for _, b := range ix.of(g2) {
		if e.Modifier == codes.ModifierAllowed && hasNCCIModifier(&k.c.Lines[b]) {
			continue
		}
		a := col1[0]
		if a == b {
			a = col1[1]
		}
		if a < 0 {
			continue
		}
		hits = append(hits, ptpHit{col1: a, col2: b, modifier: e.Modifier})
	}
	return hits
}

// mueHit is a line over its medically unlikely edit.
type mueHit struct {
	line  int32
	units claim.Quantity
}

// mue reports the units over each code's limit: per line (MAI 1), or per
// date of service (MAI 2 and 3), at the code's first line of the day with
// the units of all its lines that day. The findings are in line order.
func (k *checker) mue(mue *codes.MUETable, ix *lineIndex) {
	var hitBuf [4]mueHit
	hits := hitBuf[:0]
	for _, g := range ix.groups {
		lim, ok := mue.Lookup(k.first(ix, g).ProcedureCode)
		if !ok {
			continue
		}
		max := claim.Units(int64(lim.Units))
		if lim.Adjudicate == codes.MUELine {
			for _, i := range ix.of(g) {
				if u := k.c.Lines[i].Units; u > max {
					hits = append(hits, mueHit{line: i, units: u})
				}
			}
			continue
		}
		var units claim.Quantity
		for _, i := range ix.of(g) {
			units += k.c.Lines[i].Units
		}
		if units > max {
			hits = append(hits, mueHit{line: ix.lines[g.lo], units: units})
		}
	}
	if len(hits) == 0 {
		return
	}
	slices.SortFunc(hits, func(a, b mueHit) int { return cmp.Compare(a.line, b.line) })
	for _, h := range hits {
		lim, _ := mue.Lookup(k.c.Lines[h.line].ProcedureCode)
		per := "per date of service"
		if lim.Adjudicate == codes.MUELine {
			per = "per line"
		}
		detail := fmt.Sprintf("%s billed %s units, MUE %d %s (MAI %d)", lim.Code, h.units, lim.Units, per, lim.Adjudicate)
		if mue.Sample {
			detail += " [SAMPLE MUE table]"
		}
		k.add(eMUE, Location{Loop: "2400", Segment: k.lineSeg(), Element: pick(k.institutional(), "SV205", "SV104"), Line: int(h.line) + 1}, detail)
	}
}
