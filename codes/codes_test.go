package codes

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"runtime"
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
	if got := ptp.Column2("20610"); len(got) != 2 || got[0] != "99213" || got[1] != "99214" {
		t.Errorf("column 2 codes of 20610: %v", got)
	}
	if got := ptp.Column2("11055"); len(got) != 1 || got[0] != "11056" {
		t.Errorf("column 2 codes of 11055 (a deleted edit still lists): %v", got)
	}
	if got := ptp.Column2("99999"); len(got) != 0 {
		t.Errorf("column 2 codes of 99999: %v", got)
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

// TestReadAllLyingGzipTrailer is the regression test for a gzip file whose
// ISIZE trailer claims about a gigabyte: readAll used to reserve that much
// before reading a byte.
func TestReadAllLyingGzipTrailer(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("00001 A00     0 Cholera\n"))
	zw.Close()
	data := buf.Bytes()
	binary.LittleEndian.PutUint32(data[len(data)-4:], 1<<30-2)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readAll(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Error("a gzip file with a wrong ISIZE was read without error")
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
		t.Errorf("reading %d bytes allocated %d bytes", len(data), grown)
	}
}

// TestParseCSVErrorNoPanic is the regression test for a CSV error (here an
// unterminated quote) in the HCPCS and taxonomy files: the readers asked
// csv.Reader.FieldPos for the failed record's position and panicked.
func TestParseCSVErrorNoPanic(t *testing.T) {
	_, _, err := parseHCPCS("h.csv", "HCPC,LONG DESC\n\"0", 0)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !errors.Is(err, csv.ErrQuote) {
		t.Errorf("HCPCS: %v, want a ParseError at line 2 wrapping csv.ErrQuote", err)
	}
	_, err = parseTaxonomy("t.csv", "Code,Grouping,Classification,Specialization,Definition,Notes,Display Name,Section\n\"207Q")
	if !errors.As(err, &pe) || pe.Line != 2 || !errors.Is(err, ErrFormat) {
		t.Errorf("taxonomy: %v, want a ParseError at line 2", err)
	}
}

// TestParseICDDottedCode is the regression test for codes with a dot or
// other punctuation in the order file or the addenda: they were stored as
// read, and Lookup, which drops the dot of "E11.9", could not find them.
func TestParseICDDottedCode(t *testing.T) {
	if _, err := parseICDOrder("o.txt", "00001 A00     0 Cholera\n00002 812.000 1 x\n"); err == nil || !strings.Contains(err.Error(), "o.txt:2:") {
		t.Errorf("order file: %v, want an error at line 2", err)
	}
	cur := &Release{Kind: ICD10CM, codes: map[string]Code{"A00": {Code: "A00"}}, n: 1}
	if _, err := reverseAddenda("a.txt", "Add:         1 812.0000 x\n", cur); err == nil || !strings.Contains(err.Error(), "a.txt:1:") {
		t.Errorf("addenda: %v, want an error at line 1", err)
	}
}

// TestReverseAddendaCount is the regression test for addenda records about
// codes the order file does not hold: the derived release's Len counted
// an added code the order file lacked as removed, and a revised added code
// twice, so Len disagreed with Each.
func TestReverseAddendaCount(t *testing.T) {
	cur := &Release{Kind: ICD10CM, codes: map[string]Code{"A00": {Code: "A00"}, "A000": {Code: "A000"}, "B8801": {Code: "B8801"}}, n: 3}
	add := "Add:         1 B8801   Infestation by Demodex mites\n" +
		"Add:         1 Z9999   Not in the order file\n" +
		"Add:         1 A000    Added, then revised\n" +
		"Revise from: 1 A000    Old title\n" +
		"Delete:      1 B880    Other acariasis\n"
	prev, err := reverseAddenda("a.txt", add, cur)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	prev.Each(func(Code) bool { n++; return true })
	// A00, A000 (revised back), B880 (restored); B8801 was added.
	if n != 3 || prev.Len() != 3 {
		t.Errorf("Each %d, Len %d, want 3", n, prev.Len())
	}
}
