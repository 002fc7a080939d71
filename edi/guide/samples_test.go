package guide_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/guide"
)

const samples = "../../fixtures/x12/samples"

// verdictDiffers names, per sample file, the guide rule on which this
// package's verdict differs from the third-party one in INDEX.tsv.
var verdictDiffers = map[string]string{
	"835/moov-io-x12__examples_example_5010_835_sample1.txt": "trailing element separators (X12.6 leaves trailing empty elements out), " +
		"which real trading partners send and Clearhouse reads as harmless (a warning of the envelope check, not a rejection); pyx12 counts them as errors",
}

// TestSamples checks every real sample file whose transaction this package
// has a table for against the verdict_2026_12 column of INDEX.tsv (OK or
// ERRORS), at the intake level.
func TestSamples(t *testing.T) {
	index, err := os.ReadFile(filepath.Join(samples, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(index)), "\n")
	col := -1
	for i, h := range strings.Split(lines[0], "\t") {
		if h == "verdict_2026_12" {
			col = i
		}
	}
	if col < 0 {
		t.Fatal("INDEX.tsv has no verdict_2026_12 column")
	}
	checked := 0
	for _, line := range lines[1:] {
		f := strings.Split(line, "\t")
		txn, file, verdict := f[0], f[1], f[col]
		if !hasTable(txn) {
			continue
		}
		checked++
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(samples, file))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := guide.Validate(bytes.NewReader(data), guide.Options{File: file})
			if err != nil {
				t.Fatal(err)
			}
			wantOK := verdict == "OK"
			if rep.Clean() != wantOK {
				if rule, ok := verdictDiffers[file]; ok {
					t.Logf("differs from %s by %s", verdict, rule)
					return
				}
				t.Errorf("clean %v, verdict %s; errors:\n%v", rep.Clean(), verdict, rep.Err())
			}
		})
	}
	if checked < 50 {
		t.Errorf("checked %d sample files, want all 837P, 837I, 835, 277CA and 999 ones", checked)
	}
}

func hasTable(txn string) bool {
	switch txn {
	case "837P", "837I", "835", "277CA", "999", "270", "271", "276", "277":
		return true
	}
	return false
}

// TestNineDigitZIP: 005010X223A2 2010AA N403 requires the nine-digit ZIP
// code (pyx12 map pattern [0-9]{9}); a real 837I with a 5-digit one gets
// IK403 I12 at N403 in loop 2010AA.
func TestNineDigitZIP(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(samples, "837I/LinuxForHealth-x12__demo-file_demo.837i"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := guide.Validate(bytes.NewReader(data), guide.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.AllErrors() {
		if e.Pos.Loop == "2010AA" && e.Pos.SegmentID == "N4" && e.Pos.Element == 3 && e.Code == edi.IK4ImplPatternMismatch && e.Value == "17111" {
			return
		}
	}
	t.Fatalf("no I12 on 2010AA N403:\n%v", rep.Err())
}

// TestValidateX212 breaks rules of the hand-written 005010X212 tables in
// real 276 and 277 files.
func TestValidateX212(t *testing.T) {
	tests := []struct {
		name, file, old, new, want string
	}{
		{"277 TRN01 must be 2 (referenced trace number)", "277/LinuxForHealth-x12__demo-file_demo.277",
			"TRN*2*ABCXYZ1", "TRN*1*ABCXYZ1", "element 7 11 2200D TRN 1"},
		{"277 STC01-2 status code required", "277/LinuxForHealth-x12__demo-file_demo.277",
			"STC*P3:317*", "STC*P3*", "element 1 12 2200D STC 1"},
		{"276 subscriber name required (2100D)", "276/LinuxForHealth-x12__demo-file_demo.276",
			"NM1*IL*1*SMITH*FRED****MI*123456789A~", "", "segment 3 11 2100D NM1 0"},
		{"276 BHT02 must be 13", "276/LinuxForHealth-x12__demo-file_demo.276",
			"BHT*0010*13*", "BHT*0010*08*", "element 7 2  BHT 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(samples, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			s := strings.ReplaceAll(string(data), "\n", "")
			if !strings.Contains(s, tc.old) {
				t.Fatalf("%q not in the sample", tc.old)
			}
			s = strings.Replace(s, tc.old, tc.new, 1)
			if tc.new == "" {
				// Keep SE01 right: one segment fewer.
				s = strings.Replace(s, "SE*36*", "SE*35*", 1)
			}
			rep, err := guide.Validate(strings.NewReader(s), guide.Options{})
			if err != nil {
				t.Fatal(err)
			}
			errs := rep.AllErrors()
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			e := errs[0]
			got := fmt.Sprintf("%s %s %d %s %s %d", e.Level, e.Code, e.Pos.SetSegment, e.Pos.Loop, e.Pos.SegmentID, e.Pos.Element)
			if got != tc.want {
				t.Errorf("got %q, want %q\n%v", got, tc.want, rep.Err())
			}
		})
	}
}

// TestBalance835 breaks the 835 balancing rules (SNIP 3) in a real 835
// that balances: a line's paid amount, a claim's paid amount and BPR02.
func TestBalance835(t *testing.T) {
	const file = "835/jdavisp3-TigerShark__tests_5010-835-example-1.txt"
	data, err := os.ReadFile(filepath.Join(samples, file))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := guide.Validate(bytes.NewReader(data), guide.Options{Level: guide.LevelBalance}); err != nil || !rep.Clean() {
		t.Fatalf("%v %v", err, rep.Err())
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"line paid", "SVC*AD|D1110*90*80**1", "SVC*AD|D1110*90*81**1", "SVC 3 2110"},
		{"claim paid", "CLP*PRECERTIFICATION*25*3790*0**12", "CLP*PRECERTIFICATION*25*3790*1**12", "CLP 4 2100"},
		{"BPR02", "BPR*I*1790*C", "BPR*I*1791*C", "BPR 2 "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := strings.Replace(string(data), tc.old, tc.new, 1)
			if s == string(data) {
				t.Fatalf("%q not in the sample", tc.old)
			}
			for _, level := range []int{guide.LevelGuide, guide.LevelBalance} {
				rep, err := guide.Validate(strings.NewReader(s), guide.Options{Level: level})
				if err != nil {
					t.Fatal(err)
				}
				if level < guide.LevelBalance {
					if !rep.Clean() {
						t.Errorf("level %d checks balance: %v", level, rep.Err())
					}
					continue
				}
				errs := rep.AllErrors()
				if len(errs) == 0 {
					t.Fatal("no error")
				}
				e := errs[0]
				if got := fmt.Sprintf("%s %d %s", e.Pos.SegmentID, e.Pos.Element, e.Pos.Loop); got != tc.want || !errors.Is(e, edi.ErrBalance) {
					t.Errorf("got %q (%v), want %q", got, e, tc.want)
				}
			}
		})
	}
}

// TestSamplesSituational: at LevelSituational, the real 837Ps that pass
// pyx12 differ from it by one rule only, which the X222A1 map lacks:
// 2010AA N403 "when reporting the ZIP code for U.S. addresses, the full
// nine-digit ZIP code is required".
func TestSamplesSituational(t *testing.T) {
	index, err := os.ReadFile(filepath.Join(samples, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	differ := 0
	for _, line := range strings.Split(strings.TrimSpace(string(index)), "\n")[1:] {
		f := strings.Split(line, "\t")
		if f[0] != "837P" || f[8] != "OK" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(samples, f[1]))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := guide.Validate(bytes.NewReader(data), guide.Options{Level: guide.LevelSituational})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Clean() {
			differ++
		}
		for _, e := range rep.AllErrors() {
			if e.Pos.Loop != "2010AA" || e.Pos.SegmentID != "N4" || e.Pos.Element != 3 || e.Code != edi.IK4ImplPatternMismatch {
				t.Errorf("%s: %v", f[1], e)
			}
		}
	}
	t.Logf("%d 837P samples that pass pyx12 have a 5-digit billing provider ZIP", differ)
}
