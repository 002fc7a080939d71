package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Regression tests of issue 14, findings 5 and 6: a decode command reports
// what the decoder skipped or could not read, with its position, and exits
// 1; an input that cannot be read or is not X12 exits 2; every error names
// the file. The damaged inputs are built here from committed goldens.
func TestDecodeReportsDamage(t *testing.T) {
	const (
		x837 = "../../../edi/x837/testdata/golden/batch-grouped.x12"
		x835 = "../../../edi/x835/testdata/golden/professional_and_institutional.x12"
		x271 = "../../../edi/x270/testdata/golden/eligibility_active.x12"
		x277 = "../../../edi/x277/testdata/golden/status_response.x12"
		x999 = "../../../edi/x999/testdata/golden/999-partial.x12"
		x214 = "../../../edi/x277/testdata/golden/accepted_and_rejected.x12"
	)
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err) // a committed fixture
		}
		return string(b)
	}
	p837, r835, e271, s277, a999, c277 := read(x837), read(x835), read(x271), read(x277), read(x999), read(x214)
	replace := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	cut := func(s, before string) string {
		i := strings.Index(s, before)
		if i < 0 {
			t.Fatalf("fixture lacks %q", before)
		}
		return s[:i]
	}
	// emptyInterchange is the ISA and an IEA with no group.
	emptyInterchange := func(s string) string { return s[:106] + "IEA*0*" + s[90:99] + "~" }

	tests := []struct {
		name  string
		cmd   []string
		input string
		code  int
		// stderr must hold each of these (positions and what was wrong).
		stderr []string
		// stdout must hold these, and must not hold absent.
		stdout []string
		absent string
	}{
		// Finding 5: a segment ID the decoder does not know drops a claim.
		{"837 C@M", []string{"claims", "decode"}, replace(p837, "CLM*PCN0102", "C@M*PCN0102"), 1,
			[]string{"ISA13 000000001, GS06 1, ST02 0001, segment 26", "C@M", "against the implementation guide", `claim "PCN0101": segment ID "C@M"`},
			[]string{"PCN0103", "PCN0104"}, "PCN0102"},
		{"837 C@M scrub", []string{"claims", "scrub", "--today", "2026-11-10"}, replace(p837, "CLM*PCN0102", "C@M*PCN0102"), 1,
			[]string{"segment 26", "C@M", "were not scrubbed"}, nil, ""},
		{"837 bad amount scrub", []string{"claims", "scrub", "--today", "2026-11-10"}, replace(p837, "CLM*PCN0102*180*", "CLM*PCN0102*18O*"), 1,
			[]string{"segment 26", "CLM02"}, []string{"3 claims"}, ""},
		{"837 HL parent itself", []string{"claims", "decode"}, replace(p837, "HL*2*1*22*0", "HL*2*2*22*0"), 1, []string{"segment 14", "HL02"}, nil, ""},
		{"837 HL parent forward", []string{"claims", "decode"}, replace(p837, "HL*2*1*22*0", "HL*2*3*22*0"), 1, []string{"segment 14", "HL02"}, nil, ""},
		{"837 HL parent missing", []string{"claims", "decode"}, replace(p837, "HL*2*1*22*0", "HL*2*9*22*0"), 1, []string{"segment 14", "HL02"}, nil, ""},
		{"837 HL cycle", []string{"claims", "decode"}, replace(p837, "HL*3*1*22*1", "HL*3*4*22*1"), 1, []string{"HL02", "refers to itself or a later HL"}, nil, ""},
		{"837 HL cycle scrub", []string{"claims", "scrub", "--today", "2026-11-10"}, replace(p837, "HL*3*1*22*1", "HL*3*4*22*1"), 1, []string{"HL02"}, nil, ""},
		{"837 no SE", []string{"claims", "decode"}, replace(p837, "SE*49*0001~", ""), 1, []string{"no SE"}, nil, ""},
		{"837 no GE", []string{"claims", "decode"}, replace(p837, "GE*1*1~", ""), 1, []string{"no GE"}, nil, ""},
		{"837 no SE scrub", []string{"claims", "scrub", "--today", "2026-11-10"}, replace(p837, "SE*49*0001~", ""), 1, []string{"no SE"}, nil, ""},
		{"837 ISA 105", []string{"claims", "decode"}, replace(p837, "*CLEARHOUSE     *", "*CLEARHOUSE    *"), 1, []string{"segment 1, ISA06", "14 characters"}, nil, ""},
		{"837 ISA 107", []string{"claims", "decode"}, replace(p837, "*CLEARHOUSE     *", "*CLEARHOUSE      *"), 1, []string{"segment 1, ISA06", "16 characters"}, nil, ""},
		{"837 duplicate ISA13", []string{"claims", "decode"}, p837 + p837, 1, []string{"ISA13 000000001 already used at segment 1"}, nil, ""},
		{"837 NUL", []string{"claims", "decode"}, replace(p837, "CLM*PCN0101", "CLM*PCN\x000101"), 1, []string{"CLM01", "control character 0x00"}, nil, ""},
		{"837 ESC", []string{"claims", "decode"}, replace(p837, "CLM*PCN0101", "CLM*PCN\x1b0101"), 1, []string{"CLM01", "control character 0x1B"}, nil, ""},
		{"837 200 extra CLM elements", []string{"claims", "decode"}, replace(p837, "Y*A*Y*Y*P~", "Y*A*Y*Y*P"+strings.Repeat("*X", 200)+"~"), 1,
			[]string{"CLM21", "more elements than the 20"}, nil, ""},
		{"837 5000 modifiers", []string{"claims", "decode"}, replace(p837, "SV1*HC:99213", "SV1*HC:99213"+strings.Repeat(":25", 5000)), 1,
			[]string{"SV101", "more than 8 components"}, nil, ""},
		{"837 empty interchange", []string{"claims", "decode"}, emptyInterchange(p837), 1, []string{"no transaction set"}, nil, ""},
		{"837 clean", []string{"claims", "decode"}, p837, 0, nil, []string{"PCN0101", "PCN0104"}, ""},

		// Finding 6: truncated or invalid acknowledgments.
		{"999 cut before AK9", []string{"ack", "decode"}, cut(a999, "AK9"), 1, []string{"no SE", "no IEA"}, []string{"no AK9: not acknowledged"}, ""},
		{"999 IK5*Q", []string{"ack", "decode"}, replace(a999, "IK5*A", "IK5*Q"), 1, []string{"segment 7", "IK501", `"Q"`}, nil, ""},
		{"999 without IK5", []string{"ack", "decode"}, replace(a999, "IK5*A~", ""), 1, []string{"IK5", "missing"}, nil, ""},
		{"999 clean", []string{"ack", "decode"}, a999, 0, nil, []string{"accepted"}, ""},
		{"835 ISA only", []string{"remit", "decode"}, cut(r835, "GS*"), 1, []string{"segment 1", "no IEA"}, nil, ""},
		{"835 no IEA", []string{"remit", "decode"}, cut(r835, "IEA*"), 1, []string{"no IEA", "IEA is missing"}, nil, ""},
		{"835 empty interchange", []string{"remit", "decode"}, emptyInterchange(r835), 1, []string{"no transaction set"}, nil, ""},
		{"271 ISA only", []string{"eligibility", "decode"}, cut(e271, "GS*"), 1, []string{"segment 1", "no IEA"}, nil, ""},
		{"271 no IEA", []string{"eligibility", "decode"}, cut(e271, "IEA*"), 1, []string{"no IEA"}, nil, ""},
		{"271 empty interchange", []string{"eligibility", "decode"}, emptyInterchange(e271), 1, []string{"no transaction set"}, nil, ""},
		{"277 no IEA", []string{"status", "decode"}, cut(s277, "IEA*"), 1, []string{"no IEA", "IEA is missing"}, nil, ""},
		{"277 ISA only", []string{"status", "decode"}, cut(s277, "GS*"), 1, []string{"no IEA", "no transaction set found"}, nil, ""},
		{"999 ISA only", []string{"ack", "decode"}, cut(a999, "TA1*"), 1, []string{"no IEA", "no TA1 or transaction set found"}, nil, ""},
		{"277CA no IEA", []string{"ack", "decode"}, cut(c277, "IEA*"), 1, []string{"no IEA", "IEA is missing"}, nil, ""},
		{"271 no IEA decoder", []string{"eligibility", "decode"}, cut(e271, "IEA*"), 1, []string{"IEA is missing"}, nil, ""},
		{"inspect no IEA", []string{"edi", "inspect"}, cut(r835, "IEA*"), 1, nil, []string{"1 error found"}, ""},

		// Unreadable or not X12: exit 2, naming the file.
		{"not X12 claims decode", []string{"claims", "decode"}, "hello", 2, []string{"not an X12 interchange"}, nil, ""},
		{"not X12 claims scrub", []string{"claims", "scrub"}, "hello", 2, nil, nil, ""},
		{"not X12 ack decode", []string{"ack", "decode"}, "hello", 2, nil, nil, ""},
		{"not X12 remit decode", []string{"remit", "decode"}, "hello", 2, nil, nil, ""},
		{"not X12 eligibility decode", []string{"eligibility", "decode"}, "hello", 2, nil, nil, ""},
		{"not X12 status decode", []string{"status", "decode"}, "hello", 2, nil, nil, ""},
		{"not X12 edi inspect", []string{"edi", "inspect"}, "hello", 2, nil, nil, ""},
		{"empty remit decode", []string{"remit", "decode"}, "", 2, nil, nil, ""},
		{"empty ack decode", []string{"ack", "decode"}, "", 2, nil, nil, ""},
		{"835 to ack decode", []string{"ack", "decode"}, r835, 2, []string{"not an acknowledgment"}, nil, ""},
		{"835 to status decode", []string{"status", "decode"}, r835, 2, []string{"not a 277"}, nil, ""},
		{"837 to remit decode", []string{"remit", "decode"}, p837, 2, nil, nil, ""},
		{"837 to eligibility decode", []string{"eligibility", "decode"}, p837, 2, nil, nil, ""},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "in"+strings.ReplaceAll(tt.name, " ", "-")+".x12")
			if err := os.WriteFile(path, []byte(tt.input), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := run(t, append(append([]string{}, tt.cmd...), path)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errOut)
			}
			if code != 0 && !strings.Contains(errOut, path) {
				t.Errorf("stderr does not name %s: %s", path, errOut)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q: %s", s, errOut)
				}
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q: %s", s, out)
				}
			}
			if tt.absent != "" && strings.Contains(out, tt.absent) {
				t.Errorf("stdout holds %q", tt.absent)
			}
			if strings.ContainsAny(errOut, "\x00\x1b") {
				t.Errorf("stderr carries control bytes: %q", errOut)
			}
		})
	}
}

// Standard input is read once into memory, validated and decoded; its
// errors name <stdin>.
func TestDecodeStdinReportsDamage(t *testing.T) {
	data, err := os.ReadFile("../../../edi/x837/testdata/golden/batch-grouped.x12")
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Replace(string(data), "CLM*PCN0102", "C@M*PCN0102", 1)
	var out, errb strings.Builder
	code := Main([]string{"claims", "decode", "-"}, strings.NewReader(in), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "<stdin>, ISA13 000000001, GS06 1, ST02 0001, segment 26") {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
}

// A directory is not an input: exit 2, naming it.
func TestDecodeDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, c := range [][]string{{"claims", "decode"}, {"remit", "decode"}, {"ack", "decode"}, {"edi", "inspect"}} {
		code, _, errOut := run(t, append(c, dir)...)
		if code != 2 || !strings.Contains(errOut, dir) {
			t.Errorf("%v: exit %d, stderr %s", c, code, errOut)
		}
	}
}
