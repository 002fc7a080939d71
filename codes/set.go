// Package codes holds the dated external code sets the scrubber and the
// remittance reader check against (WEDI SNIP type 5): ICD-10-CM with its
// billable flag, HCPCS Level II codes and modifiers (plus the CPT modifier
// numbers), place of service, claim adjustment reason and group codes, the
// NUCC provider taxonomy, and CMS's NCCI procedure-to-procedure and medically
// unlikely edit tables.
//
// Every set is a list of releases, each with an effective date range; a
// lookup takes the date of service and consults the release in effect on that
// date. Lookups are map reads (constant time) and allocate nothing.
//
// The releases shipped with the binary are embedded compressed under data/,
// with their provenance in data/PROVENANCE. Newer releases are imported with
// Import (the `clearhouse codes import` command) into a directory that Load
// reads beside the embedded ones.
package codes

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind names a code set.
type Kind string

// The code sets.
const (
	ICD10CM   Kind = "icd10cm"  // ICD-10-CM diagnoses (837 Loop 2300 HI)
	HCPCS     Kind = "hcpcs"    // HCPCS Level II procedure codes (Loop 2400 SV1-01/SV2-02)
	Modifier  Kind = "modifier" // procedure modifiers: HCPCS Level II and CPT (SV1-01-3..6)
	POS       Kind = "pos"      // place of service (CLM-05-1, SV1-05)
	CARC      Kind = "carc"     // claim adjustment reason codes (835 CAS)
	GroupCode Kind = "group"    // claim adjustment group codes (835 CAS-01)
	Taxonomy  Kind = "taxonomy" // NUCC provider taxonomy (PRV-03)
	NCCIPTP   Kind = "ncci-ptp" // NCCI procedure-to-procedure edits
	MUE       Kind = "mue"      // medically unlikely edits
)

// Kinds lists every kind in display order.
var kinds = []Kind{ICD10CM, HCPCS, Modifier, POS, CARC, GroupCode, Taxonomy, NCCIPTP, MUE}

// AllKinds returns every code set kind in display order.
func AllKinds() []Kind { return append([]Kind(nil), kinds...) }

// ParseKind returns the Kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w %q (want one of %s)", ErrUnknownKind, s, kindList())
}

func kindList() string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// Errors.
var (
	// ErrUnknownKind is returned for a code set kind that does not exist.
	ErrUnknownKind = errors.New("codes: unknown code set kind")
	// ErrFormat wraps every error about the layout of a code set file.
	ErrFormat = errors.New("codes: bad code set file")
	// ErrNoRelease is returned when a set has no release at all.
	ErrNoRelease = errors.New("codes: no release loaded")
)

// ParseError is a positioned error in a code set file. It wraps ErrFormat.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() []error { return []error{ErrFormat, e.Err} }

// Code is one entry of a code set.
type Code struct {
	Code string
	// Description is the short description (ICD-10-CM and HCPCS short titles,
	// the display name of a taxonomy); LongDescription the full one where the
	// source has it.
	Description     string
	LongDescription string
	// Billable is false for ICD-10-CM header codes (order file flag 0), which
	// are not valid on claims. It is true for every entry of the other sets.
	Billable bool
}

// Day is a calendar date as yyyymmdd (20260115); 0 means unbounded.
type Day int32

// DayOf returns the calendar date of t in t's location; the zero time is 0.
func DayOf(t time.Time) Day {
	if t.IsZero() {
		return 0
	}
	y, m, d := t.Date()
	return Day(y*10000 + int(m)*100 + d)
}

// Time returns d as midnight UTC (the zero time for 0).
func (d Day) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Date(int(d/10000), time.Month(d/100%100), int(d%100), 0, 0, 0, 0, time.UTC)
}

func (d Day) String() string {
	if d == 0 {
		return "open"
	}
	return fmt.Sprintf("%04d-%02d-%02d", d/10000, d/100%100, d%100)
}

// ParseDay reads YYYY-MM-DD or YYYYMMDD; "" is 0.
func ParseDay(s string) (Day, error) {
	if s == "" {
		return 0, nil
	}
	layout := "2006-01-02"
	if len(s) == 8 {
		layout = "20060102"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return 0, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DayOf(t), nil
}

// Release is one published version of a code set.
type Release struct {
	Kind Kind
	// Name identifies the release ("FY2026", "2026-01").
	Name string
	// From and To bound the effective dates, inclusive. From 0 means since
	// always; To 0 means until the next release of the set starts.
	From, To Day
	// Source says where the data came from (see data/PROVENANCE).
	Source string

	codes map[string]Code
	// base, when set, holds the entries not overridden by codes; removed
	// lists the base entries that do not exist in this release. A release
	// derived from addenda is stored this way instead of as a second copy.
	base    *Release
	removed map[string]struct{}
	n       int
}

// Lookup returns the entry for code. ICD-10-CM codes are accepted with or
// without the decimal point (X12 HI elements carry none).
func (r *Release) Lookup(code string) (Code, bool) {
	if r.Kind == ICD10CM && len(code) > 3 && code[3] == '.' {
		code = code[:3] + code[4:]
	}
	if c, ok := r.codes[code]; ok {
		return c, true
	}
	if r.base == nil {
		return Code{}, false
	}
	if _, gone := r.removed[code]; gone {
		return Code{}, false
	}
	return r.base.Lookup(code)
}

// has reports whether code, exactly as stored, is an entry of r.
func (r *Release) has(code string) bool {
	if _, ok := r.codes[code]; ok {
		return true
	}
	if r.base == nil {
		return false
	}
	if _, gone := r.removed[code]; gone {
		return false
	}
	return r.base.has(code)
}

// Len returns the number of entries in the release.
func (r *Release) Len() int { return r.n }

// Each calls fn for every entry in code order until fn returns false.
func (r *Release) Each(fn func(Code) bool) {
	all := make([]Code, 0, r.n)
	for _, c := range r.codes {
		all = append(all, c)
	}
	if r.base != nil {
		r.base.Each(func(c Code) bool {
			if _, over := r.codes[c.Code]; over {
				return true
			}
			if _, gone := r.removed[c.Code]; gone {
				return true
			}
			all = append(all, c)
			return true
		})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Code < all[j].Code })
	for _, c := range all {
		if !fn(c) {
			return
		}
	}
}

// Set is a code set: its releases ordered by the start of their effective
// range.
type Set struct {
	Kind     Kind
	releases []*Release
}

func newSet(k Kind, rs ...*Release) *Set {
	s := &Set{Kind: k}
	for _, r := range rs {
		s.add(r)
	}
	return s
}

// add inserts r, keeping the releases ordered by From; a release with the
// same name and start replaces the earlier one (a re-import).
func (s *Set) add(r *Release) {
	for i, old := range s.releases {
		if old.Name == r.Name && old.From == r.From {
			s.releases[i] = r
			return
		}
	}
	s.releases = append(s.releases, r)
	sort.SliceStable(s.releases, func(i, j int) bool { return s.releases[i].From < s.releases[j].From })
}

// Releases returns the releases ordered by effective start.
func (s *Set) Releases() []*Release { return append([]*Release(nil), s.releases...) }

// end returns the last day release i is in effect (0 for open).
func (s *Set) end(i int) Day {
	r := s.releases[i]
	if r.To != 0 {
		return r.To
	}
	if i+1 < len(s.releases) && s.releases[i+1].From != 0 {
		return prevDay(s.releases[i+1].From)
	}
	return 0
}

// Release returns the release in effect on dos (yyyymmdd; 0 picks the
// latest) and whether some release covers that date. When none does, the
// nearest release is returned with covered false: the latest one starting
// on or before dos, else the earliest. It returns nil only for an empty set.
func (s *Set) Release(dos Day) (r *Release, covered bool) {
	if s == nil || len(s.releases) == 0 {
		return nil, false
	}
	if dos == 0 {
		return s.releases[len(s.releases)-1], true
	}
	best := -1
	for i := len(s.releases) - 1; i >= 0; i-- {
		rel := s.releases[i]
		if rel.From != 0 && dos < rel.From {
			continue
		}
		if best < 0 {
			best = i
		}
		if end := s.end(i); end == 0 || dos <= end {
			return rel, true
		}
	}
	if best < 0 {
		return s.releases[0], false
	}
	return s.releases[best], false
}

// Lookup returns the entry for code in the release in effect on dos.
func (s *Set) Lookup(code string, dos Day) (Code, bool) {
	r, _ := s.Release(dos)
	if r == nil {
		return Code{}, false
	}
	return r.Lookup(code)
}

// Covers reports whether a release of the set is in effect on dos.
func (s *Set) Covers(dos Day) bool {
	_, ok := s.Release(dos)
	return ok
}

func prevDay(d Day) Day {
	return DayOf(d.Time().AddDate(0, 0, -1))
}
