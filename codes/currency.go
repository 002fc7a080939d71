package codes

import (
	"fmt"
	"time"
)

// Currency says how a code set stands on a day: the release in effect, or,
// when none covers the day, whether the set is stale (the day falls after
// its latest release ended, so a newer release is published and must be
// imported) and which release to import.
type Currency struct {
	Kind Kind
	Day  Day
	// Release is the release in effect on Day, or the nearest one when
	// none is (nil for an empty set).
	Release *Release
	Covered bool
	// Stale: Day falls after the end of the set's latest release. A claim
	// of that date is checked against the latest release, which may lack
	// the codes in use; the set must be brought up to date.
	Stale bool
	// Ended is the last effective day of the latest release, when Stale.
	Ended Day
	// Import says which release to import when Stale, with the operator's
	// command (see ImportAdvice).
	Import string
}

// CurrencyOn returns the set's currency on day (0 means today is unknown:
// the latest release, covered).
func (s *Set) CurrencyOn(day Day) Currency {
	c := Currency{Day: day}
	if s == nil {
		return c
	}
	c.Kind = s.Kind
	c.Release, c.Covered = s.Release(day)
	if c.Covered || day == 0 || len(s.releases) == 0 {
		return c
	}
	last := len(s.releases) - 1
	if end := s.end(last); end != 0 && day > end {
		c.Stale, c.Ended = true, end
		c.Import = ImportAdvice(s.Kind, day)
	}
	return c
}

// Stale returns the currency of every code set that is stale on day, in
// display order; none when every set covers day.
func (s *Sets) Stale(day Day) []Currency {
	var out []Currency
	for _, k := range kinds {
		if set := s.Set(k); set != nil {
			if c := set.CurrencyOn(day); c.Stale {
				out = append(out, c)
			}
		}
	}
	return out
}

// ImportAdvice names the release of kind that covers day and the command
// that imports it. ICD-10-CM releases follow the federal fiscal year: FY
// N runs from October 1 of N-1 to September 30 of N, and CMS publishes its
// order file as icd10cm_order_N.txt (in the "Code Descriptions in Tabular
// Order" archive at www.cms.gov/medicare/coding-billing/icd-10-codes).
// HCPCS Level II is published quarterly (January, April, July, October).
func ImportAdvice(kind Kind, day Day) string {
	t := day.Time()
	switch kind {
	case ICD10CM:
		fy := t.Year()
		if t.Month() >= time.October {
			fy++
		}
		return fmt.Sprintf("the FY%d ICD-10-CM order file (icd10cm_order_%d.txt, effective %d-10-01 to %d-09-30): "+
			"clearhouse codes import icd10cm icd10cm_order_%d.txt --name FY%d --from %d-10-01 --to %d-09-30",
			fy, fy, fy-1, fy, fy, fy, fy-1, fy)
	case HCPCS:
		q := time.Date(t.Year(), (t.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
		return fmt.Sprintf("the HCPCS Level II file of %s (effective %s): clearhouse codes import hcpcs FILE.csv --name %s --from %s",
			q.Format("January 2006"), q.Format(time.DateOnly), q.Format("2006-01"), q.Format(time.DateOnly))
	}
	return fmt.Sprintf("a %s release in effect on %s: clearhouse codes import %s FILE --from YYYY-MM-DD", kind, day, kind)
}
