package x270

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/fixtures"
)

// The independent validator (x12valid) has no 005010X279A1 map, so the 270s
// and 271s this package writes are checked here against the guide's rules
// that can be checked mechanically, and the same checks run over the real
// samples in fixtures/x12/samples as a control: a rule that flags a clean
// real file is a wrong rule.
//
// Rules, each with its source:
//   - GS01 HS on a 270 and HB on a 271 (X12 element 479); GS08 and ST03
//     005010X279A1.
//   - BHT01 0022; BHT02 13 (request) on a 270, 11 (response) on a 271
//     (X279A1 BHT; pyx12 map 271.4010.X092.A1.xml keeps BHT02 11).
//   - HL01 numbers the levels 1, 2, 3... in the set; HL02 names an earlier
//     level; HL03 20 under nothing, 21 under 20, 22 under 21, 23 under 22;
//     HL04 1 exactly when a level below follows (X12 HL semantics, X279A1
//     loops 2000A-2000D).
//   - TRN01 1 (current transaction) on a 270 and 1 or 2 (referenced) on a
//     271; TRN03 is 10 characters (element 509, AN 10/10 in pyx12's
//     dataele.xml) starting with 1 (EIN), 3 (DUNS) or 9 (assigned)
//     (X279A1 2000C/2000D TRN03 note).
//   - A 270 asks something about the patient: the last level of each
//     subscriber (22 without dependents, or its 23) has an EQ (X279A1 loops
//     2110C/2110D); a 271 answers each with an EB or rejects it with an AAA
//     (X279A1 loops 2110C/2110D EB, 2100C/2100D AAA).
func checkX279(in []byte) []string {
	var errs []string
	r := edi.NewReader(bytes.NewReader(in))
	var (
		gs01, set  string
		hl         int
		levels     map[string]string // HL01 -> HL03
		wantChild  bool              // the last HL's HL04 is 1
		leafAnswer bool              // the open leaf level has EQ, EB or AAA
		leaf       bool              // the open level is a leaf
	)
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Sprintf("segment %d: ", r.Position().Segment)+fmt.Sprintf(format, args...))
	}
	closeLevel := func(next string) {
		if hl == 0 {
			return
		}
		hasChild := next != ""
		if wantChild != hasChild {
			fail("HL04 of level %d is %v, but a child level follows: %v", hl, wantChild, hasChild)
		}
		if leaf && !leafAnswer {
			if set == "270" {
				fail("level %d: the patient's level has no EQ", hl)
			} else {
				fail("level %d: the patient's level has no EB or AAA", hl)
			}
		}
	}
	for {
		s, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return append(errs, err.Error())
		}
		switch string(s.ID()) {
		case "GS":
			gs01 = s.String(1)
			if s.String(8) != Version {
				fail("GS08 %q is not %s", s.String(8), Version)
			}
		case "ST":
			set, hl, levels, wantChild, leaf, leafAnswer = s.String(1), 0, map[string]string{}, false, false, false
			if want := map[string]string{"270": FunctionalID270, "271": FunctionalID271}[set]; want == "" || gs01 != want {
				fail("ST01 %s in a GS01 %s group", set, gs01)
			}
			if s.String(3) != Version {
				fail("ST03 %q is not %s", s.String(3), Version)
			}
		case "BHT":
			want := map[string]string{"270": "13", "271": "11"}[set]
			if s.String(1) != "0022" || s.String(2) != want {
				fail("BHT01 %q BHT02 %q, want 0022 and %s", s.String(1), s.String(2), want)
			}
		case "HL":
			id, parent, code, child := s.String(1), s.String(2), s.String(3), s.String(4)
			// The new level is a child of the open one when HL02 names it.
			next := ""
			if parent != "" && parent == fmt.Sprint(hl) {
				next = code
			}
			closeLevel(next)
			hl++
			if id != fmt.Sprint(hl) {
				fail("HL01 %q, want %d", id, hl)
			}
			want := map[string]string{"20": "", "21": "20", "22": "21", "23": "22"}
			pl, ok := want[code]
			if !ok {
				fail("HL03 %q is not 20, 21, 22 or 23", code)
			} else if levels[parent] != pl || (pl == "") != (parent == "") {
				fail("HL02 %q: a level %s belongs under a level %q", parent, code, pl)
			}
			levels[id] = code
			wantChild = child == "1"
			if child != "0" && child != "1" {
				fail("HL04 %q is not 0 or 1", child)
			}
			leaf = (code == "22" || code == "23") && child == "0"
			leafAnswer = false
		case "TRN":
			if t := s.String(1); t != "1" && (set == "270" || t != "2") {
				fail("TRN01 %q", t)
			}
			if o := s.String(3); len(o) != 10 || !strings.ContainsRune("139", rune(o[0])) {
				fail("TRN03 %q is not 10 characters starting with 1, 3 or 9", o)
			}
		case "EQ":
			leafAnswer = leafAnswer || set == "270"
		case "EB", "AAA":
			leafAnswer = leafAnswer || set == "271"
		case "SE":
			closeLevel("")
			hl = 0
		}
	}
	return errs
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestX279Rules(t *testing.T) {
	goldens, err := filepath.Glob(filepath.Join("testdata", "golden", "*.x12"))
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no goldens: %v", err)
	}
	// The simulator's 271 and the scheduler's nightly 270 batch are
	// written by this package's encoders too.
	goldens = append(goldens, filepath.Join("..", "..", "paysim", "testdata", "golden", "eligibility-271.x12"),
		filepath.Join("..", "..", "scheduling", "testdata", "golden", "eligibility_batch_khp01.x12"))
	for _, g := range goldens {
		t.Run(filepath.Base(g), func(t *testing.T) {
			for _, e := range checkX279(readFile(t, g)) {
				t.Error(e)
			}
		})
	}
	// The control: real 270s and 271s written by others pass the same
	// rules. The one departure they show is a sender's error the guide
	// rejects: a 271 in a GS01 HS group (a 271 belongs in HB), in the
	// Kartik-Hirijaganer and node-x12 files.
	names, err := fixtures.X12Samples()
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, name := range names {
		if !strings.HasPrefix(name, "270/") && !strings.HasPrefix(name, "271/") {
			continue
		}
		in, err := fixtures.X12Sample(name)
		if err != nil {
			t.Fatal(err)
		}
		errs := checkX279(in)
		if len(errs) == 0 {
			passed++
		}
		for _, e := range errs {
			if !strings.HasSuffix(e, "ST01 271 in a GS01 HS group") {
				t.Errorf("%s: %s (a real file breaks the rule: check the rule)", name, e)
				break
			}
		}
	}
	if passed < 10 {
		t.Fatalf("only %d real 270s and 271s pass the rules", passed)
	}
}

// A 270 or 271 breaking each rule is caught.
func TestX279RulesCatch(t *testing.T) {
	good := string(readFile(t, filepath.Join("testdata", "golden", "request_batch.x12")))
	if errs := checkX279([]byte(good)); len(errs) > 0 {
		t.Fatal(errs)
	}
	tests := []struct{ name, from, to string }{
		{"GS01 HB on a 270", "GS*HS*", "GS*HB*"},
		{"BHT02 of a response", "BHT*0022*13*", "BHT*0022*11*"},
		{"HL numbers", "HL*2*1*21*1", "HL*7*1*21*1"},
		{"HL04 without a child", "HL*3*2*22*0", "HL*3*2*22*1"},
		{"TRN03 too short", "*9CLRHOUSE1~", "*9CLRHOUSE~"},
		{"TRN03 first position", "*9CLRHOUSE1~", "*XCLRHOUSE1~"},
		{"no EQ", "EQ*30~SE", "SE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.from) {
				t.Fatalf("%q not in the golden", tc.from)
			}
			if errs := checkX279([]byte(strings.Replace(good, tc.from, tc.to, 1))); len(errs) == 0 {
				t.Fatal("not caught")
			}
		})
	}
}
