package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	demoClean  = "../../../fixtures/x12/demo/837p-clean.x12"
	demoErrors = "../../../fixtures/x12/demo/837p-envelope-errors.x12"
	smallX12   = "testdata/edi/small.x12"
)

func ediGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "edi", name)
	want, err := os.ReadFile(path)
	if *update && (err != nil || !bytes.Equal(got, want)) {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", path)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n%s\nwant\n%s", name, got, want)
	}
}

func TestEDICommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"inspect", []string{"edi", "inspect", demoClean}, 0, "inspect.golden"},
		{"inspect errors", []string{"edi", "inspect", demoErrors}, 1, "inspect-errors.golden"}, // issue 14: errors found is exit 1,
		{"validate clean", []string{"edi", "validate", demoClean}, 0, "validate-clean.golden"},
		{"validate errors", []string{"edi", "validate", demoErrors}, 1, "validate-errors.golden"},
		{"json", []string{"edi", "json", smallX12}, 0, "json.golden"},
		{"fmt", []string{"edi", "fmt", smallX12}, 0, "fmt.golden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
			ediGolden(t, tc.golden, []byte(out))
		})
	}
}

func TestEDIValidateWritesAcknowledgments(t *testing.T) {
	dir := t.TempDir()
	ack, ta1 := filepath.Join(dir, "out.999"), filepath.Join(dir, "out.ta1")
	code, _, errOut := run(t, "edi", "validate", demoErrors, "--999", ack, "--ta1", ta1, "--at", "2024-01-02T09:00:00Z", "--control-number", "42")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range []struct{ path, golden string }{{ack, "golden/validate-999.x12"}, {ta1, "golden/validate-ta1.x12"}} {
		got, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		ediGolden(t, f.golden, got)
		// What was written validates clean.
		if code, out, _ := run(t, "edi", "validate", f.path); code != 0 {
			t.Errorf("%s does not validate: %s", f.golden, out)
		}
	}
}

func TestEDIJSONRoundTrip(t *testing.T) {
	code, js, errOut := run(t, "edi", "json", smallX12)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "edi", "json", "--to-x12", path)
	want, _ := os.ReadFile(smallX12)
	if code != 0 || out != string(want) {
		t.Fatalf("exit %d, stderr %s, got\n%s", code, errOut, out)
	}
}

func TestEDIExitStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small, _ := os.ReadFile(smallX12)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"missing file", []string{"edi", "validate", filepath.Join(dir, "nope.x12")}, 2},
		{"not x12", []string{"edi", "validate", write("text.txt", "hello, world")}, 2},
		{"empty", []string{"edi", "validate", write("empty.x12", "")}, 2},
		{"binary", []string{"edi", "validate", write("bin.x12", "\x00\xff\x13ISA\x00")}, 2},
		{"truncated", []string{"edi", "validate", write("cut.x12", string(small[:300]))}, 1},
		{"inspect not x12", []string{"edi", "inspect", write("text2.txt", "nothing")}, 2},
		{"fmt not x12", []string{"edi", "fmt", write("text3.txt", "nothing")}, 2},
		{"fmt truncated", []string{"edi", "fmt", write("cut2.x12", string(small[:300]))}, 1},
		{"json not x12", []string{"edi", "json", write("text4.txt", "nothing")}, 2},
		{"json bad json", []string{"edi", "json", "--to-x12", write("bad.json", "{")}, 2},
		{"bad --at", []string{"edi", "validate", smallX12, "--at", "yesterday"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
			if code == 2 && !strings.HasPrefix(errOut, "clearhouse: ") {
				t.Errorf("stderr %q", errOut)
			}
		})
	}
}

// TestEDIValidateSamples runs validate over every shared sample: never a
// panic, and only the documented exit statuses.
func TestEDIValidateSamples(t *testing.T) {
	files, _ := filepath.Glob("../../../fixtures/x12/samples/*/*")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	for _, f := range files {
		if code, _, errOut := run(t, "edi", "validate", f); code > 2 || code == 2 && errOut == "" {
			t.Errorf("%s: exit %d", filepath.Base(f), code)
		}
	}
}

// TestEDIValidateGuide runs validate on real payers' files: errors name
// the loop, the element and its name, as an EDI desk reads them.
func TestEDIValidateGuide(t *testing.T) {
	const samples = "../../../fixtures/x12/samples/"
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"835 without ST03", []string{"edi", "validate", samples + "835/jdavisp3-TigerShark__tests_5010-835-example-1.txt"}, 0, "validate-835-clean.golden"},
		{"835 off its guide", []string{"edi", "validate", samples + "835/LinuxForHealth-x12__demo-file_demo.835"}, 1, "validate-835-guide.golden"},
		{"837I level 1", []string{"edi", "validate", "--level", "1", samples + "837I/LinuxForHealth-x12__demo-file_demo.837i"}, 0, "validate-837i-level1.golden"},
		{"837I intake", []string{"edi", "validate", samples + "837I/LinuxForHealth-x12__demo-file_demo.837i"}, 1, "validate-837i-guide.golden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s\n%s", code, tc.code, errOut, out)
			}
			ediGolden(t, tc.golden, []byte(out))
		})
	}
	for _, level := range []string{"0", "6", "x"} {
		if code, _, _ := run(t, "edi", "validate", "--level", level, smallX12); code != 2 {
			t.Errorf("--level %s: exit %d, want 2", level, code)
		}
	}
}

// TestEDIValidateAcknowledgesEachInterchange: --999 answers each
// interchange once: a 999 when its envelope is sound, a TA1 when the
// ISA/IEA envelope is in error, never an empty interchange.
func TestEDIValidateAcknowledgesEachInterchange(t *testing.T) {
	clean, err := os.ReadFile(demoClean)
	if err != nil {
		t.Fatal(err)
	}
	// The second interchange's IEA02 does not match its ISA13 (TA105 001).
	second := strings.Replace(strings.Replace(string(clean), "000002120", "000002121", 1), "IEA*1*000002120", "IEA*1*000009999", 1)
	dir := t.TempDir()
	in := filepath.Join(dir, "two.x12")
	if err := os.WriteFile(in, append(append([]byte(nil), clean...), second...), 0o644); err != nil {
		t.Fatal(err)
	}
	ack := filepath.Join(dir, "out.999")
	code, _, errOut := run(t, "edi", "validate", in, "--999", ack, "--at", "2024-01-02T09:00:00Z", "--control-number", "7")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, err := os.ReadFile(ack)
	if err != nil {
		t.Fatal(err)
	}
	ediGolden(t, "golden/validate-two-interchanges.x12", got)
	ics := strings.SplitAfter(strings.TrimSpace(string(got)), "IEA*")
	if n := strings.Count(string(got), "ISA*"); n != 2 {
		t.Fatalf("%d reply interchanges, want 2:\n%s", n, got)
	}
	if !strings.Contains(ics[0], "ST*999*") || strings.Contains(ics[0], "TA1*") {
		t.Errorf("first reply is not a 999: %s", ics[0])
	}
	// TA104 R (rejected), TA105 001 (ISA13 and IEA02 differ).
	checkTA1Interchange(t, strings.SplitN(string(got), "IEA*", 2)[1], "000002121", "R", "001")
}

// checkTA1Interchange checks a reply interchange holding one TA1 by the
// rules of the TA1 segment (X12 005010 interchange control structure):
// ISA, TA1 right after it, no functional group, IEA01 0; TA101 the
// acknowledged ISA13 (9 digits), TA102 YYMMDD, TA103 HHMM, TA104 A, E or
// R, TA105 a three-digit note code.
func checkTA1Interchange(t *testing.T, x12, isa13, ack, note string) {
	t.Helper()
	start := strings.Index(x12, "ISA*")
	if start < 0 {
		t.Fatalf("no ISA in %q", x12)
	}
	segs := strings.Split(strings.TrimSuffix(strings.TrimSpace(x12[start:]), "~"), "~")
	if len(segs) != 3 || !strings.HasPrefix(segs[1], "TA1*") || !strings.HasPrefix(segs[2], "IEA*0*") {
		t.Fatalf("want ISA, TA1, IEA with no group: %q", segs)
	}
	f := strings.Split(segs[1], "*")
	if len(f) != 6 {
		t.Fatalf("TA1 has %d elements, want 5: %s", len(f)-1, segs[1])
	}
	digits := func(s string, n int) bool {
		if len(s) != n {
			return false
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	if f[1] != isa13 || !digits(f[2], 6) || !digits(f[3], 4) || f[4] != ack || !digits(f[5], 3) || f[5] != note {
		t.Errorf("TA1 %s, want TA101 %s, TA104 %s, TA105 %s", segs[1], isa13, ack, note)
	}
	isa := strings.Split(segs[0], "*")
	if len(segs[0]) != 105 || isa[13] != strings.Split(segs[2], "*")[2] {
		t.Errorf("ISA %q not fixed width or IEA02 does not match", segs[0])
	}
}

// An ST03 naming the base guide of GS08's addenda is a warning that edi
// validate prints, not an error: the file is clean and exits 0.
func TestEDIValidateWarnings(t *testing.T) {
	raw, err := os.ReadFile(demoClean)
	if err != nil {
		t.Fatal(err)
	}
	in := strings.ReplaceAll(string(raw), "*005010X222A1~\nBHT", "*005010X222~\nBHT")
	if in == string(raw) {
		t.Fatal("fixture has no ST03 005010X222A1 before BHT")
	}
	path := filepath.Join(t.TempDir(), "base-guide.x12")
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "edi", "validate", path)
	if code != 0 || !strings.Contains(out, "warning: ") || !strings.Contains(out, "ST03") || !strings.Contains(out, ": clean,") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
