package codes

import (
	"strings"
	"testing"
)

// TestCurrency: the embedded ICD-10-CM FY2026 release ends 2026-09-30; a
// later day finds the set stale and names FY2027 to import (issue 19).
func TestCurrency(t *testing.T) {
	s := sets(t)
	icd := s.Set(ICD10CM)
	for _, tc := range []struct {
		day            Day
		release        string
		covered, stale bool
		advice         string
	}{
		{20260115, "FY2026", true, false, ""},
		{20260930, "FY2026", true, false, ""},
		{20241001, "FY2025", true, false, ""},
		{20240930, "FY2025", false, false, ""}, // before the first release: not stale
		{20261001, "FY2026", false, true, "FY2027 ICD-10-CM order file (icd10cm_order_2027.txt, effective 2026-10-01 to 2027-09-30)"},
		{20271207, "FY2026", false, true, "codes import icd10cm icd10cm_order_2028.txt --name FY2028 --from 2027-10-01 --to 2028-09-30"},
	} {
		c := icd.CurrencyOn(tc.day)
		if c.Release.Name != tc.release || c.Covered != tc.covered || c.Stale != tc.stale || !strings.Contains(c.Import, tc.advice) {
			t.Errorf("%s: %s covered %v stale %v import %q", tc.day, c.Release.Name, c.Covered, c.Stale, c.Import)
		}
		if tc.stale && c.Ended != 20260930 {
			t.Errorf("%s: ended %s", tc.day, c.Ended)
		}
	}
	if got := s.Stale(20260601); len(got) != 0 {
		t.Errorf("stale on 2026-06-01: %+v", got)
	}
	got := s.Stale(20261207)
	if len(got) != 1 || got[0].Kind != ICD10CM {
		t.Errorf("stale on 2026-12-07: %+v", got)
	}
	if a := ImportAdvice(HCPCS, 20270815); !strings.Contains(a, "July 2027") || !strings.Contains(a, "--from 2027-07-01") {
		t.Errorf("HCPCS advice %q", a)
	}
}
