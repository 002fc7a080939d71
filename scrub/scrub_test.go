package scrub_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/rules"
	"github.com/clearhouse/clearhouse/scrub"
)

var setup = sync.OnceValues(func() (*scrub.Scrubber, error) {
	sets, err := codes.LoadEmbedded()
	if err != nil {
		return nil, err
	}
	reg, err := fixtures.Payers()
	if err != nil {
		return nil, err
	}
	files, err := scrub.LoadRuleFiles(rules.Files())
	if err != nil {
		return nil, err
	}
	return scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
})

func scrubber(t testing.TB) *scrub.Scrubber {
	t.Helper()
	s, err := setup()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// officeVisit is a clean professional claim for payer SUMMT.
func officeVisit(t testing.TB) *claim.Claim {
	t.Helper()
	raw, err := os.ReadFile("testdata/summt-office-visit.json")
	if err != nil {
		t.Fatal(err)
	}
	var c claim.Claim
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

var today = claim.NewDate(2026, 3, 1)

func ids(fs []scrub.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.RuleID)
	}
	return out
}

func TestCleanClaim(t *testing.T) {
	s := scrubber(t)
	fs := s.Scrub(officeVisit(t), scrub.Options{Today: today})
	if len(fs) != 0 {
		t.Fatalf("findings on a clean claim: %v", fs)
	}
}

func TestBuiltins(t *testing.T) {
	s := scrubber(t)
	tests := []struct {
		name   string
		edit   func(c *claim.Claim)
		opts   scrub.Options
		want   string
		sev    scrub.Severity
		loc    string
		absent bool
	}{
		{"pcn", func(c *claim.Claim) { c.PatientControlNumber = "" }, scrub.Options{}, "REQ-PCN", scrub.Reject, "2300 CLM CLM01", false},
		{"npi check digit", func(c *claim.Claim) { c.BillingProvider.NPI = "1234567890" }, scrub.Options{}, "NPI-INVALID", scrub.Reject, "2010AA NM1 NM109", false},
		{"rendering npi", func(c *claim.Claim) { c.Rendering.NPI = "12345" }, scrub.Options{}, "NPI-INVALID", scrub.Reject, "2310B NM1 NM109", false},
		{"taxonomy", func(c *claim.Claim) { c.BillingProvider.Taxonomy = "207Q00001X" }, scrub.Options{}, "TAXONOMY-INVALID", scrub.Reject, "2000A PRV PRV03", false},
		{"dx unknown", func(c *claim.Claim) { c.Diagnoses[1].Code = "R5099" }, scrub.Options{}, "DX-INVALID", scrub.Reject, "2300 HI HI02-2", false},
		{"dx header", func(c *claim.Claim) { c.Diagnoses[0].Code = "J06" }, scrub.Options{}, "DX-NOT-BILLABLE", scrub.Reject, "2300 HI HI01-2", false},
		{"dx by date", func(c *claim.Claim) {
			c.Diagnoses[0].Code = "B8801" // added in FY2026
			for i := range c.Lines {
				c.Lines[i].ServiceDate = claim.NewDate(2025, 9, 2)
			}
		}, scrub.Options{}, "DX-INVALID", scrub.Reject, "2300 HI HI01-2", false},
		{"no dx", func(c *claim.Claim) { c.Diagnoses = nil }, scrub.Options{}, "DX-REQUIRED", scrub.Reject, "2300 HI HI01-2", false},
		{"pointer", func(c *claim.Claim) { c.Lines[1].DiagnosisPointers = []int{3} }, scrub.Options{}, "DX-POINTER", scrub.Reject, "2400 SV1 SV107-1 (line 2)", false},
		{"hcpcs", func(c *claim.Claim) { c.Lines[1].ProcedureCode = "J0000" }, scrub.Options{}, "PROC-INVALID", scrub.Reject, "2400 SV1 SV101-2 (line 2)", false},
		{"cpt format", func(c *claim.Claim) { c.Lines[1].ProcedureCode = "8788" }, scrub.Options{}, "PROC-INVALID", scrub.Reject, "", false},
		{"modifier", func(c *claim.Claim) { c.Lines[1].Modifiers = []string{"QW", "Z9"} }, scrub.Options{}, "MOD-INVALID", scrub.Reject, "2400 SV1 SV101-4 (line 2)", false},
		{"pos", func(c *claim.Claim) { c.PlaceOfService = "00" }, scrub.Options{}, "POS-INVALID", scrub.Reject, "2300 CLM CLM05-1", false},
		{"balance", func(c *claim.Claim) { c.TotalChargeCents++ }, scrub.Options{}, "BAL-TOTAL", scrub.Reject, "2300 CLM CLM02", false},
		{"future", func(c *claim.Claim) { c.Lines[0].ServiceDate = claim.NewDate(2026, 3, 2) }, scrub.Options{Today: today}, "DATE-FUTURE", scrub.Reject, "2400 DTP DTP03 (line 1)", false},
		{"order", func(c *claim.Claim) { c.Lines[0].ServiceDateEnd = claim.NewDate(2026, 2, 1) }, scrub.Options{}, "DATE-ORDER", scrub.Reject, "", false},
		{"before birth", func(c *claim.Claim) { c.Subscriber.BirthDate = claim.NewDate(2026, 2, 20) }, scrub.Options{}, "DATE-RANGE", scrub.Reject, "", false},
		{"patient gender", func(c *claim.Claim) { c.Subscriber.Gender = "" }, scrub.Options{}, "DEMO-PATIENT", scrub.Reject, "2010BA DMG DMG03", false},
		{"dependent", func(c *claim.Claim) {
			c.Patient = &claim.Patient{Relationship: "19", LastName: "SAMPLE", FirstName: "KID"}
		}, scrub.Options{}, "DEMO-PATIENT", scrub.Reject, "2010CA DMG DMG03", false},
		{"member id", func(c *claim.Claim) { c.Subscriber.MemberID = "" }, scrub.Options{}, "DEMO-SUBSCRIBER", scrub.Reject, "", false},
		{"void", func(c *claim.Claim) { c.FrequencyCode = claim.FrequencyVoid }, scrub.Options{}, "FREQ-ORIGINAL-REF", scrub.Reject, "2300 REF REF02", false},
		{"void with ref", func(c *claim.Claim) {
			c.FrequencyCode, c.PayerClaimControlNumber = claim.FrequencyVoid, "ICN123"
		}, scrub.Options{}, "FREQ-ORIGINAL-REF", 0, "", true},
		{"timely", func(*claim.Claim) {}, scrub.Options{Today: claim.NewDate(2026, 6, 1)}, "TIMELY-FILING", scrub.Reject, "", false},
		{"timely with delay reason", func(c *claim.Claim) { c.DelayReason = "1" }, scrub.Options{Today: claim.NewDate(2026, 6, 1)}, "TIMELY-FILING", 0, "", true},
		{"unknown payer", func(c *claim.Claim) { c.Payer.ID = "NOPE1" }, scrub.Options{}, "PAYER-UNKNOWN", scrub.Reject, "", false},
		{"institutional only", func(c *claim.Claim) { c.Payer.ID = "RVHSP" }, scrub.Options{}, "PAYER-TRANSACTION", scrub.Reject, "", false},
		{"ptp with modifier", func(c *claim.Claim) {
			c.Lines[1].ProcedureCode, c.Lines[1].Modifiers = "20610", nil
			c.Lines[0].Modifiers = []string{"25"}
		}, scrub.Options{}, "NCCI-PTP", 0, "", true},
		{"ptp without modifier", func(c *claim.Claim) { c.Lines[1].ProcedureCode, c.Lines[1].Modifiers = "20610", nil }, scrub.Options{}, "NCCI-PTP", scrub.Reject, "2400 SV1 SV101-2 (line 1)", false},
		{"mue per day", func(c *claim.Claim) {
			c.Lines[1].ProcedureCode, c.Lines[1].Modifiers = "99213", []string{"76"}
		}, scrub.Options{}, "MUE", scrub.Reject, "2400 SV1 SV104 (line 1)", false},
		{"codeset release", func(c *claim.Claim) {
			c.Payer.ID = "KHP01"
			for i := range c.Lines {
				c.Lines[i].ServiceDate = claim.NewDate(2026, 10, 5)
			}
		}, scrub.Options{}, "CODESET-RELEASE", scrub.Warn, "2300 HI", false},
		{"payer rule", func(c *claim.Claim) { c.Subscriber.GroupNumber = "" }, scrub.Options{}, "SUMMT-018", scrub.Reject, "2000B SBR SBR03", false},
		{"line rule", func(c *claim.Claim) { c.Lines[1].UnitType = "DA" }, scrub.Options{}, "SUMMT-009", scrub.Reject, "2400 SV1 SV103 (line 2)", false},
		{"duplicate", func(*claim.Claim) {}, scrub.Options{History: historyOf(t)}, "DUPLICATE", scrub.Reject, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := officeVisit(t)
			tc.edit(c)
			fs := s.Scrub(c, tc.opts)
			var hit *scrub.Finding
			for i := range fs {
				if fs[i].RuleID == tc.want {
					hit = &fs[i]
				}
			}
			if tc.absent {
				if hit != nil {
					t.Fatalf("%s raised: %+v", tc.want, *hit)
				}
				return
			}
			if hit == nil {
				t.Fatalf("%s not raised; got %v", tc.want, ids(fs))
			}
			if hit.Severity != tc.sev || (tc.loc != "" && hit.Location.String() != tc.loc) {
				t.Errorf("got %s at %q, want %s at %q (%s)", hit.Severity, hit.Location, tc.sev, tc.loc, hit.Message)
			}
			if hit.ClaimID != "PCN0002" && tc.name != "pcn" {
				t.Errorf("claim ID %q", hit.ClaimID)
			}
			if hit.Fix == "" || hit.Message == "" || hit.SNIP == 0 {
				t.Errorf("incomplete finding %+v", *hit)
			}
		})
	}
}

func historyOf(t *testing.T) scrub.History {
	c := officeVisit(t)
	return scrub.MapHistory{scrub.DuplicateKeyOf(c): "CLAIM-EARLIER"}
}

func TestLintErrors(t *testing.T) {
	src := `payer: TEST1
rules:
  - id: T-1
    severity: reject
    when: claim.no_such_field == "x"
    message: m
    location: {loop: "2300", segment: CLM}
    fix: f
  - id: T-2
    severity: reject
    when: claim.total_charge_cents
    message: m
    location: {loop: "2300", segment: CLM}
    fix: f
tests:
  pass: [{name: p}]
  fail: [{name: f, expect: [T-1]}]
`
	f, err := scrub.ParseRuleFile("rules/payers/TEST1.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	err = scrub.Lint([]*scrub.RuleFile{f})
	if err == nil || !errors.Is(err, scrub.ErrRule) {
		t.Fatalf("lint: %v", err)
	}
	for _, want := range []string{"rules/payers/TEST1.yaml:5: rule T-1:", "no_such_field", "rules/payers/TEST1.yaml:11: rule T-2:", "want bool"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("lint error %q lacks %q", err, want)
		}
	}
	for _, bad := range []struct{ src, want string }{
		{"rules:\n  - id: X\n    severity: fatal\n", "severity \"fatal\""},
		{"builtins:\n  off: [NOPE]\n", "no built-in edit \"NOPE\""},
		{"colour: red\n", "field colour not found"},
	} {
		_, err := scrub.ParseRuleFile("r.yaml", []byte(bad.src))
		if err == nil || !strings.Contains(err.Error(), bad.want) || !errors.Is(err, scrub.ErrRule) {
			t.Errorf("%q: %v, want %q", bad.src, err, bad.want)
		}
	}
}

func Example() {
	sets, _ := codes.LoadEmbedded()
	reg, _ := fixtures.Payers()
	files, _ := scrub.LoadRuleFiles(rules.Files())
	s, err := scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
	if err != nil {
		panic(err)
	}
	raw, _ := os.ReadFile("testdata/summt-office-visit.json")
	var c claim.Claim
	_ = json.Unmarshal(raw, &c)
	c.Diagnoses[0].Code = "J06" // a header, not billable
	for _, f := range s.Scrub(&c, scrub.Options{Today: claim.NewDate(2026, 3, 1)}) {
		fmt.Printf("%s %s %s at %s\n", f.RuleID, f.Severity, f.Message, f.Location)
	}
	// Output:
	// DX-NOT-BILLABLE reject ICD-10-CM header code is not billable: J06 Acute upper resp infections of multiple and unsp sites at 2300 HI HI01-2
}

// TestRuleFindingOrder: a payer's findings come in rule order, a line
// rule's in line order, though line rules are evaluated line by line.
func TestRuleFindingOrder(t *testing.T) {
	s := scrubber(t)
	c := officeVisit(t)
	c.Diagnoses = []claim.Diagnosis{{Code: "J069"}, {Code: "R509"}, {Code: "E119"}, {Code: "I10"}, {Code: "M5416"},
		{Code: "E785"}, {Code: "J029"}, {Code: "R051"}, {Code: "R0602"}}
	l := c.Lines[0]
	l.Modifiers, l.UnitType = []string{"25", "59", "76"}, "DA"
	c.Lines = []claim.ServiceLine{l, l, l}
	c.TotalChargeCents = 3 * l.ChargeCents
	var got []string
	for _, f := range s.Scrub(c, scrub.Options{Today: today}) {
		switch f.RuleID {
		case "SUMMT-005", "SUMMT-007", "SUMMT-009":
			got = append(got, fmt.Sprintf("%s:%d", f.RuleID, f.Location.Line))
		}
	}
	want := []string{"SUMMT-005:1", "SUMMT-005:2", "SUMMT-005:3", "SUMMT-007:0", "SUMMT-009:1", "SUMMT-009:2", "SUMMT-009:3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", got, want)
	}
}
