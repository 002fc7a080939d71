package guide_test

import (
	"bytes"
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
var verdictDiffers = map[string]string{}

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
	case "837P", "837I", "835", "277CA", "999", "270", "271":
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
