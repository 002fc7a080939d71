package codes

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// loadOnce shares one loaded Sets between the tests of this package; Sets is
// read-only after Load.
var loadOnce = sync.OnceValues(LoadEmbedded)

func sets(t testing.TB) *Sets {
	t.Helper()
	s, err := loadOnce()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEmbeddedCounts(t *testing.T) {
	s := sets(t)
	icd := s.Set(ICD10CM)
	rs := icd.Releases()
	if len(rs) != 2 || rs[0].Name != "FY2025" || rs[1].Name != "FY2026" {
		t.Fatalf("ICD-10-CM releases %v", rs)
	}
	// Counts from the FY2026 addenda summary: 23467+74719 in FY2026,
	// 23324+74260 in FY2025.
	if got := rs[1].Len(); got != 23467+74719 {
		t.Errorf("FY2026 entries %d", got)
	}
	if got := rs[0].Len(); got != 23324+74260 {
		t.Errorf("FY2025 entries %d", got)
	}
	n := 0
	rs[0].Each(func(Code) bool { n++; return true })
	if n != rs[0].Len() {
		t.Errorf("FY2025 Each %d, Len %d", n, rs[0].Len())
	}
	for k, min := range map[Kind]int{HCPCS: 8000, Modifier: 400, POS: 50, CARC: 300, GroupCode: 5, Taxonomy: 800} {
		r, _ := s.Set(k).Release(20260115)
		if r.Len() < min {
			t.Errorf("%s: %d entries, want at least %d", k, r.Len(), min)
		}
	}
}

func TestLookup(t *testing.T) {
	s := sets(t)
	tests := []struct {
		kind     Kind
		code     string
		dos      Day
		ok       bool
		billable bool
		covered  bool
	}{
		{ICD10CM, "E119", 20260115, true, true, true},
		{ICD10CM, "E11.9", 20260115, true, true, true},
		{ICD10CM, "E11", 20260115, true, false, true},
		{ICD10CM, "B8801", 20260115, true, true, true},   // added FY2026
		{ICD10CM, "B8801", 20250601, false, false, true}, // not yet in FY2025
		{ICD10CM, "B880", 20250601, true, true, true},    // billable in FY2025
		{ICD10CM, "B880", 20260115, true, false, true},   // a header in FY2026
		{ICD10CM, "E119", 20231001, true, true, false},   // before every release
		{ICD10CM, "ZZZZ", 20260115, false, false, true},
		{HCPCS, "G0439", 20260115, true, true, true},
		{HCPCS, "99213", 20260115, false, false, true}, // CPT is not in the HCPCS file
		{HCPCS, "G0439", 20251231, true, true, false},
		{Modifier, "25", 20260115, true, true, true},
		{Modifier, "XS", 20260115, true, true, true},
		{Modifier, "Z9", 20260115, false, false, true},
		{POS, "11", 0, true, true, true},
		{POS, "00", 0, false, false, true}, // UNASSIGNED
		{CARC, "45", 0, true, true, true},
		{GroupCode, "CO", 0, true, true, true},
		{Taxonomy, "207Q00000X", 0, true, true, true},
	}
	for _, tc := range tests {
		set := s.Set(tc.kind)
		c, ok := set.Lookup(tc.code, tc.dos)
		if ok != tc.ok || (ok && c.Billable != tc.billable) {
			t.Errorf("%s %s on %s: ok %v billable %v, want %v %v", tc.kind, tc.code, tc.dos, ok, c.Billable, tc.ok, tc.billable)
		}
		if got := set.Covers(tc.dos); got != tc.covered {
			t.Errorf("%s covers %s: %v, want %v", tc.kind, tc.dos, got, tc.covered)
		}
	}
	if c, _ := s.Set(ICD10CM).Lookup("L02212", 20250601); !strings.Contains(c.LongDescription, "except buttock]") {
		t.Errorf("FY2025 L02212 title %q: want the pre-revision title", c.LongDescription)
	}
}

func TestNCCISample(t *testing.T) {
	s := sets(t)
	ptp := s.PTP(Practitioner)
	if !ptp.Sample || ptp.Len() == 0 {
		t.Fatalf("practitioner PTP sample: %+v", ptp)
	}
	e, ok := ptp.Lookup("20610", "99213", 20260115)
	if !ok || e.Modifier != ModifierAllowed {
		t.Errorf("20610/99213: %+v %v", e, ok)
	}
	if _, ok := ptp.Lookup("11055", "11056", 20260115); ok {
		t.Error("deleted edit 11055/11056 active in 2026")
	}
	if _, ok := ptp.Lookup("11055", "11056", 20180101); !ok {
		t.Error("edit 11055/11056 not active in 2018")
	}
	l, ok := s.MUE(Practitioner).Lookup("36415")
	if !ok || l.Units != 2 || l.Adjudicate != MUEDateOfServiceCl {
		t.Errorf("MUE 36415: %+v %v", l, ok)
	}
}

func TestReleaseSelection(t *testing.T) {
	mk := func(name string, from, to Day) *Release {
		return &Release{Kind: HCPCS, Name: name, From: from, To: to, codes: map[string]Code{}}
	}
	s := newSet(HCPCS, mk("apr", 20260401, 0), mk("jan", 20260101, 0), mk("old", 20240101, 20241231))
	tests := []struct {
		dos     Day
		want    string
		covered bool
	}{
		{20260115, "jan", true},
		{20260331, "jan", true},
		{20260401, "apr", true},
		{20300101, "apr", true},
		{20240601, "old", true},
		{20250601, "old", false},
		{20230101, "old", false},
		{0, "apr", true},
	}
	for _, tc := range tests {
		r, covered := s.Release(tc.dos)
		if r.Name != tc.want || covered != tc.covered {
			t.Errorf("dos %s: %s covered %v, want %s %v", tc.dos, r.Name, covered, tc.want, tc.covered)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		fn   func() error
		want string
	}{
		{"icd", func() error { _, err := parseICDOrder("f.txt", "00001 A00     0 Cholera\nbad line\n"); return err }, "f.txt:2:"},
		{"icd flag", func() error { _, err := parseICDOrder("f.txt", "00001 A00     X Cholera\n"); return err }, "billable flag"},
		{"hcpcs header", func() error { _, _, err := parseHCPCS("h.csv", "A,B\n1,2\n", 0); return err }, "header"},
		{"hcpcs code", func() error { _, _, err := parseHCPCS("h.csv", "HCPC,SHORT DESCRIPTION\nABC,x\n", 0); return err }, "h.csv:2:"},
		{"ptp modifier", func() error {
			_, err := parsePTP("p.txt", "notice\n20610\t99213\t\t20200101\t*\t5\tx\n", Practitioner)
			return err
		}, "p.txt:2: modifier indicator"},
		{"ptp empty", func() error { _, err := parsePTP("p.txt", "notice only\n", Practitioner); return err }, "no PTP"},
		{"mue units", func() error { _, err := parseMUE("m.txt", "99213\tx\t2 Date\n", Practitioner); return err }, "m.txt:1: MUE value"},
	}
	for _, tc := range tests {
		err := tc.fn()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want %q wrapping ErrFormat", tc.name, err, tc.want)
		}
	}
}

func BenchmarkLoadEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadEmbedded(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupICD(b *testing.B) {
	s := sets(b)
	icd := s.Set(ICD10CM)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := icd.Lookup("E119", 20260115); !ok {
			b.Fatal("E119")
		}
	}
}
