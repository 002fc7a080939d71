package guide_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/guide"
)

// claim837P is the body (BHT to the last service line) of a small 837P
// that passes 005010X222A1.
var claim837P = []string{
	"BHT*0019*00*0123*20240102*1200*CH",
	"NM1*41*2*CLINIC*****46*123456789",
	"PER*IC*BILLING*TE*5555551234",
	"NM1*40*2*PAYER*****46*987654321",
	"HL*1**20*1",
	"NM1*85*2*CLINIC*****XX*1215954003",
	"N3*1 MAIN ST",
	"N4*RALEIGH*NC*276076000",
	"REF*EI*569999999",
	"HL*2*1*22*0",
	"SBR*P*18*******CI",
	"NM1*IL*1*SMITH*JOHN****MI*505XXXX",
	"N3*2 NORTH RD",
	"N4*SPRINGFIELD*NY*111110000",
	"DMG*D8*19950101*F",
	"NM1*PR*2*BLUE CROSS*****PI*XX123A",
	"CLM*PCN1*100***11:B:1*Y*A*Y*Y",
	"HI*ABK:R69",
	"LX*1",
	"SV1*HC:99213*100*UN*1***1",
	"DTP*472*D8*20240101",
}

// interchange wraps transaction set bodies in an interchange with correct
// counts and control numbers.
func interchange(gs01, gs08, st01 string, bodies ...[]string) string {
	var b strings.Builder
	b.WriteString("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1200*^*00501*000000001*0*T*:~\n")
	fmt.Fprintf(&b, "GS*%s*SENDER*RECEIVER*20240102*1200*1*X*%s~\n", gs01, gs08)
	for i, body := range bodies {
		fmt.Fprintf(&b, "ST*%s*%04d*%s~\n", st01, i+1, gs08)
		for _, s := range body {
			b.WriteString(s)
			b.WriteString("~\n")
		}
		fmt.Fprintf(&b, "SE*%d*%04d~\n", len(body)+2, i+1)
	}
	fmt.Fprintf(&b, "GE*%d*1~\nIEA*1*000000001~\n", len(bodies))
	return b.String()
}

func file837P(body []string) string {
	return interchange("HC", "005010X222A1", "837", body)
}

// edit returns a copy of body with segment i replaced (or removed when
// seg is "", or a segment inserted before i when insert).
func edit(body []string, i int, seg string, insert bool) []string {
	out := append([]string(nil), body[:i]...)
	if insert {
		out = append(out, seg, body[i])
	} else if seg != "" {
		out = append(out, seg)
	}
	return append(out, body[i+1:]...)
}

func validate(t *testing.T, x12 string, level int) *edi.ValidationReport {
	t.Helper()
	rep, err := guide.Validate(strings.NewReader(x12), guide.Options{File: "t.x12", Level: level})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestValidateClean(t *testing.T) {
	rep := validate(t, file837P(claim837P), guide.LevelCodeSets)
	if !rep.Clean() {
		t.Fatalf("clean 837P has errors:\n%v", rep.Err())
	}
}

// TestValidateRules breaks one rule per case and checks the error: its
// 999 level and code, set position, loop, segment and element, and the
// sentinel it wraps.
func TestValidateRules(t *testing.T) {
	long := strings.Repeat("A", 61)
	tests := []struct {
		name  string
		x12   string
		level int
		// want is the first error's "level code setpos loop seg elem".
		want     string
		sentinel error
		unit     string // CTX business unit reference, when in a claim
	}{
		{"HL01 does not start at 1", file837P(edit(edit(claim837P, 4, "HL*2**20*1", false), 9, "HL*3*2*22*0", false)), 0,
			"element 7 6 2000A HL 1", edi.ErrImplementation, ""},
		{"HL02 refers forward", file837P(edit(claim837P, 9, "HL*2*3*22*0", false)), 0,
			"element 7 11 2000B HL 2", edi.ErrImplementation, ""},
		{"HL02 refers to itself", file837P(edit(claim837P, 9, "HL*2*2*22*0", false)), 0,
			"element 7 11 2000B HL 2", edi.ErrImplementation, ""},
		{"segment past max use", file837P(edit(claim837P, 18, "HI*ABK:R51", true)), 0,
			"segment 5 20 2300 HI 0", edi.ErrImplementation, "PCN1"},
		{"required segment missing", file837P(edit(claim837P, 6, "", false)), 0,
			"segment 3 8 2010AA N3 0", edi.ErrImplementation, ""},
		{"element too long", file837P(edit(claim837P, 11, "NM1*IL*1*"+long+"*JOHN****MI*505XXXX", false)), 0,
			"element 5 13 2010BA NM1 3", edi.ErrSyntax, ""},
		{"element too short", file837P(edit(claim837P, 7, "N4*RALEIGH*NC*27", false)), 0,
			"element 4 9 2010AA N4 3", edi.ErrSyntax, ""},
		{"bad code", file837P(edit(claim837P, 10, "SBR*X*18*******CI", false)), 0,
			"element 7 12 2000B SBR 1", edi.ErrImplementation, ""},
		{"NM103 where not used", file837P(edit(claim837P, 9, "NM1*87*2*PAY TO", true)), 0,
			"element I10 11 2010AB NM1 3", edi.ErrImplementation, ""},
		{"required element missing", file837P(edit(claim837P, 17, "HI", false)), 0,
			"element 1 19 2300 HI 1", edi.ErrImplementation, "PCN1"},
		{"N402 not a state (SNIP 5)", file837P(edit(claim837P, 13, "N4*SPRINGFIELD*NA*111110000", false)), guide.LevelCodeSets,
			"element 7 15 2010BA N4 2", edi.ErrImplementation, ""},
		{"bad date", file837P(edit(claim837P, 20, "DTP*472*D8*20241301", false)), 0,
			"element 8 22 2400 DTP 3", edi.ErrSyntax, "PCN1"},
		{"paired elements", file837P(edit(claim837P, 5, "NM1*85*2*CLINIC*****XX", false)), 0,
			"element 2 7 2010AA NM1 9", edi.ErrSyntax, ""},
		{"unexpected segment", file837P(edit(claim837P, 3, "CUR*85*USD", true)), 0,
			"segment 2 5 1000A CUR 0", edi.ErrImplementation, ""},
		{"claim out of balance (SNIP 3)", file837P(edit(claim837P, 16, "CLM*PCN1*150***11:B:1*Y*A*Y*Y", false)), guide.LevelBalance,
			"element 7 18 2300 CLM 2", edi.ErrBalance, "PCN1"},
		{"replacement claim without REF*F8 (SNIP 4)", file837P(edit(claim837P, 16, "CLM*PCN1*100***11:B:7*Y*A*Y*Y", false)), guide.LevelSituational,
			"segment I6 23 2300 REF 0", edi.ErrImplementation, "PCN1"},
		{"5-digit billing provider ZIP (X222A1 2010AA N403, SNIP 4)", file837P(edit(claim837P, 7, "N4*RALEIGH*NC*27607", false)), guide.LevelSituational,
			"element I12 9 2010AA N4 3", edi.ErrImplementation, ""},
		{"service line numbers not from 1 (2400 LX01)", file837P(edit(claim837P, 18, "LX*2", false)), 0,
			"element 7 20 2400 LX 1", edi.ErrImplementation, "PCN1"},
		{"SE01 wrong", strings.Replace(file837P(claim837P), "SE*23*", "SE*22*", 1), 0,
			"set 4 23  SE 1", edi.ErrEnvelope, ""},
		{"GS01 HC on a 271", interchange("HC", "005010X279A1", "271", []string{"BHT*0022*11*1*20240102*1200"}), 0,
			"set 6 1  ST 1", edi.ErrEnvelope, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := validate(t, tc.x12, tc.level)
			errs := rep.AllErrors()
			if len(errs) == 0 {
				t.Fatalf("no error")
			}
			e := errs[0]
			got := fmt.Sprintf("%s %s %d %s %s %d", e.Level, e.Code, e.Pos.SetSegment, e.Pos.Loop, e.Pos.SegmentID, e.Pos.Element)
			if got != tc.want {
				t.Errorf("got %q, want %q\n%v", got, tc.want, rep.Err())
			}
			if !errors.Is(rep.Err(), tc.sentinel) {
				t.Errorf("errors.Is(%v) is false: %v", tc.sentinel, e)
			}
			if e.UnitRef != tc.unit {
				t.Errorf("business unit %q, want %q", e.UnitRef, tc.unit)
			}
			if e.Pos.File != "t.x12" || e.Pos.Interchange != "000000001" || e.Pos.Group != "1" {
				t.Errorf("position %+v lacks file, ISA13 or GS06", e.Pos)
			}
		})
	}
}

// TestValidateLevels checks that a level checks no more than it says.
func TestValidateLevels(t *testing.T) {
	x12 := file837P(edit(edit(claim837P, 10, "SBR*X*18*******CI", false), 16, "CLM*PCN1*150***11:B:1*Y*A*Y*Y", false))
	for _, tc := range []struct{ level, errors int }{{1, 0}, {2, 1}, {3, 2}} {
		if n := validate(t, x12, tc.level).ErrorCount(); n != tc.errors {
			t.Errorf("level %d: %d errors, want %d", tc.level, n, tc.errors)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct{ set, ref, want string }{
		{"837", "005010X222A1", "005010X222A1"},
		{"837", "005010X222", "005010X222A1"},
		{"837", "005010X222A2", "005010X222A1"},
		{"837", "005010X223A3", "005010X223A2"},
		{"835", "", "005010X221A1"},
		{"837", "", ""},
		{"277", "005010X214", "005010X214"},
		{"834", "005010X220A1", ""},
	} {
		got := ""
		if g := guide.Lookup(tc.set, tc.ref); g != nil {
			got = g.Ref
		}
		if got != tc.want {
			t.Errorf("Lookup(%s, %s) = %q, want %q", tc.set, tc.ref, got, tc.want)
		}
	}
}

// response271 is the body of a small 271 that passes the 005010X279A1
// table.
var response271 = []string{
	"BHT*0022*11*ELG1*20260302*2205",
	"HL*1**20*1",
	"NM1*PR*2*ACME HEALTH PLAN*****PI*ACME01",
	"HL*2*1*21*1",
	"NM1*1P*2*RIVERSIDE CLINIC*****XX*1234567893",
	"HL*3*2*22*0",
	"TRN*2*TRN0002*9CLRHOUSE1",
	"NM1*IL*1*ROE*RICHARD****MI*MBR200",
	"DMG*D8*19750930*M",
	"EB*1*IND*30^33*PR*GOLD PPO",
	"MSG*SPECIALIST VISITS 50.00",
	"LS*2120",
	"NM1*PRP*2*SECOND CHANCE INSURANCE*****PI*SCI22",
	"LE*2120",
}

func file271(body []string) string {
	return interchange("HB", "005010X279A1", "271", body)
}

// TestValidate271 breaks the rules the hand-written 005010X279A1 table
// enforces.
func TestValidate271(t *testing.T) {
	if rep := validate(t, file271(response271), 0); !rep.Clean() {
		t.Fatalf("clean 271 has errors:\n%v", rep.Err())
	}
	tests := []struct {
		name, x12, want string
	}{
		{"HL02 at the information source level (2000A HL02 not used)", file271(edit(response271, 1, "HL*1*1*20*1", false)), "element I10 3 2000A HL 2"},
		{"BHT02 of a 270 (a 271 is 06 or 11)", file271(edit(response271, 0, "BHT*0022*13*ELG1*20260302*2205", false)), "element 7 2  BHT 2"},
		{"EB01 missing (2110C EB01 required)", file271(edit(response271, 9, "EB**IND*30", false)), "element 1 11 2110C EB 1"},
		{"subscriber NM1 missing (2100C required)", file271(edit(response271, 7, "", false)), "segment 2 9 2000C DMG 0"},
		{"LS01 not 2120", file271(edit(response271, 11, "LS*2100", false)), "element 7 13 2110C LS 1"},
		{"TRN past max use (2000C TRN max 3)", file271(edit(edit(edit(response271, 6, "TRN*1*A*9CLRHOUSE1", true), 6, "TRN*1*B*9CLRHOUSE1", true), 6, "TRN*1*C*9CLRHOUSE1", true)), "segment 5 11 2000C TRN 0"},
		{"HL level code not 22 at the subscriber (HL03)", file271(edit(response271, 5, "HL*3*2*24*0", false)), "element 7 7 2000C HL 3"},
		// Issue 14: the hand-written table let a segment no guide knows
		// pass, and the decoder skipped it unseen.
		{"a segment ID no guide knows", file271(edit(response271, 1, "ZZZ*1", true)), "segment 1 3  ZZZ 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := validate(t, tc.x12, 0)
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

// TestValidate999 checks a 999 against 005010X231A1: the business unit
// CTX (Loop 2100) may appear once per IK3.
func TestValidate999(t *testing.T) {
	body := []string{
		"AK1*HC*1*005010X222A1",
		"AK2*837*0001*005010X222A1",
		"IK3*CLM*17*2300*8",
		"CTX*CLM01:PCN1",
		"IK4*10*1351*7*X",
		"IK5*R*5",
		"AK9*R*1*1*0",
	}
	file999 := func(body []string) string { return interchange("FA", "005010X231A1", "999", body) }
	if rep := validate(t, file999(body), 0); !rep.Clean() {
		t.Fatalf("clean 999 has errors:\n%v", rep.Err())
	}
	rep := validate(t, file999(edit(body, 4, "CTX*CLM01:PCN1", true)), 0)
	errs := rep.AllErrors()
	if len(errs) == 0 {
		t.Fatal("no error for a second business unit CTX")
	}
	e := errs[0]
	if got := fmt.Sprintf("%s %s %d %s %s", e.Level, e.Code, e.Pos.SetSegment, e.Pos.Loop, e.Pos.SegmentID); got != "segment 5 6 2100 CTX" {
		t.Errorf("got %q\n%v", got, rep.Err())
	}
}

// TestSituationalTrigger: the error of a situational rule names its
// trigger, CLM05-3 in loop 2300, for the 999's CTX; a claim with the
// REF*F8 the rule asks for is clean.
func TestSituationalTrigger(t *testing.T) {
	replacement := edit(claim837P, 16, "CLM*PCN1*100***11:B:7*Y*A*Y*Y", false)
	e := validate(t, file837P(replacement), guide.LevelSituational).AllErrors()[0]
	if e.Trigger == nil || e.Trigger.SegmentID != "CLM" || e.Trigger.SetSegment != 18 || e.Trigger.Loop != "2300" || e.Trigger.Element != 5 || e.Trigger.Component != 3 {
		t.Fatalf("trigger %+v", e.Trigger)
	}
	if rep := validate(t, file837P(edit(replacement, 17, "REF*F8*ICN123", true)), guide.LevelSituational); !rep.Clean() {
		t.Errorf("replacement claim with REF*F8:\n%v", rep.Err())
	}
}

// TestGuideFromGS08: a set without ST03 (an envelope error of its own) is
// still checked against the guide GS08 names.
func TestGuideFromGS08(t *testing.T) {
	x12 := strings.Replace(file837P(edit(claim837P, 10, "SBR*X*18*******CI", false)), "ST*837*0001*005010X222A1~", "ST*837*0001~", 1)
	var codes []string
	for _, e := range validate(t, x12, 0).AllErrors() {
		codes = append(codes, e.Pos.SegmentID+" "+e.Code)
	}
	if got := strings.Join(codes, ", "); got != "ST 1, SBR 7" {
		t.Errorf("errors %s, want ST03 missing and SBR01 bad code", got)
	}
}
