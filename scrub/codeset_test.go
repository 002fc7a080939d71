package scrub_test

import (
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/rules"
	"github.com/clearhouse/clearhouse/scrub"
)

// hcpcsQuarterScrubber scrubs with the embedded code sets plus an imported
// HCPCS release of April 2026 that ends 2026-06-30 (J1100, G0439 and the
// QW modifier only), so HCPCS is stale from 2026-07-01.
func hcpcsQuarterScrubber(t *testing.T) *scrub.Scrubber {
	t.Helper()
	dir := t.TempDir()
	_, err := codes.Import(codes.ImportOptions{Kind: codes.HCPCS, Source: "hcpcs-2026-04.csv", Dir: dir, Name: "2026-04", From: "2026-04-01", To: "2026-06-30",
		Data: strings.NewReader("HCPCS_CODE,SHORT_DESCRIPTION,LONG_DESCRIPTION\n" +
			"G0439,\"Ppps, subseq visit\",Annual wellness visit\nJ1100,Dexamethasone sodium phos,\"Injection, dexamethasone sodium phosphate, 1 mg\"\nQW,Clia waived test,Clia waived test\n")})
	if err != nil {
		t.Fatal(err)
	}
	sets, err := codes.Load(codes.LoadOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	files, err := scrub.LoadRuleFiles(rules.Files())
	if err != nil {
		t.Fatal(err)
	}
	s, err := scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStaleCodeSet: a date of service after the latest loaded release of a
// code set ended (the embedded ICD-10-CM FY2026 ends 2026-09-30) makes the
// set stale. A code the stale release lacks, as a code added by a newer
// release would be, draws a warning that says the code set is out of date
// and names the release to import, never a reject; a code it has passes.
// Dates a loaded release covers reject unknown codes as before, and a date
// before the first release keeps the payer's severity: SUMMT tightens
// CODESET-RELEASE to reject there (issue 19).
func TestStaleCodeSet(t *testing.T) {
	type want struct {
		id  string
		sev scrub.Severity // 0: the edit must not fire
		msg []string       // in the message or the fix
	}
	d := claim.NewDate
	hcpcsQuarter := hcpcsQuarterScrubber(t)
	tests := []struct {
		name     string
		s        *scrub.Scrubber // nil: the embedded code sets
		payer    string
		dos      claim.Date
		dx       string // replaces the second diagnosis
		proc     string // replaces the second line's procedure
		modifier string // replaces the second line's modifier
		want     []want
		noReject bool
	}{
		{name: "ICD-10-CM FY2026 covers the date: an unknown code rejects", payer: "SUMMT", dos: d(2026, 2, 16), dx: "R5099",
			want: []want{{"DX-INVALID", scrub.Reject, []string{"R5099 (release FY2026)"}}, {"CODESET-RELEASE", 0, nil}}},
		{name: "ICD-10-CM FY2025 covers the date: a code added in FY2026 rejects", payer: "SUMMT", dos: d(2025, 9, 2), dx: "B8801",
			want: []want{{"DX-INVALID", scrub.Reject, []string{"B8801 (release FY2025)"}}, {"CODESET-RELEASE", 0, nil}}},
		{name: "ICD-10-CM stale: a code of the stale release passes", payer: "SUMMT", dos: d(2026, 10, 15),
			want: []want{{"CODESET-RELEASE", scrub.Warn, []string{"ICD-10-CM release FY2026 ended 2026-09-30, before the date of service 2026-10-15", "out of date", "FY2027", "codes import icd10cm icd10cm_order_2027.txt"}},
				{"DX-INVALID", 0, nil}}, noReject: true},
		{name: "ICD-10-CM stale: a code the stale release lacks warns, naming the release to import", payer: "SUMMT", dos: d(2026, 10, 15), dx: "R5099",
			want: []want{{"DX-INVALID", scrub.Warn, []string{"ICD-10-CM R5099 is not in release FY2026", "out of date", "FY2027 ICD-10-CM order file", "--from 2026-10-01 --to 2027-09-30"}},
				{"CODESET-RELEASE", scrub.Warn, []string{"FY2027"}}}, noReject: true},
		{name: "ICD-10-CM stale, payer without overrides: a warning too", payer: "KHP01", dos: d(2026, 10, 15), dx: "R5099",
			want: []want{{"DX-INVALID", scrub.Warn, []string{"out of date"}}, {"CODESET-RELEASE", scrub.Warn, nil}}},
		{name: "ICD-10-CM stale a year on: the release to import follows the date", payer: "SUMMT", dos: d(2027, 11, 2), dx: "R5099",
			want: []want{{"DX-INVALID", scrub.Warn, []string{"FY2028"}}, {"CODESET-RELEASE", scrub.Warn, []string{"FY2028"}}}, noReject: true},
		{name: "ICD-10-CM stale: a header code of the stale release still rejects", payer: "SUMMT", dos: d(2026, 10, 15), dx: "J06",
			want: []want{{"DX-NOT-BILLABLE", scrub.Reject, nil}, {"DX-INVALID", 0, nil}}},
		{name: "before the first ICD-10-CM release: SUMMT rejects", payer: "SUMMT", dos: d(2024, 2, 16),
			want: []want{{"CODESET-RELEASE", scrub.Reject, []string{"ICD-10-CM on 2024-02-16 (checked against FY2025)"}}}},
		{name: "before the first ICD-10-CM release: an unknown code rejects", payer: "SUMMT", dos: d(2024, 2, 16), dx: "R5099",
			want: []want{{"DX-INVALID", scrub.Reject, nil}, {"CODESET-RELEASE", scrub.Reject, nil}}},
		{name: "before the first ICD-10-CM release, payer without overrides: a warning", payer: "KHP01", dos: d(2024, 2, 16),
			want: []want{{"CODESET-RELEASE", scrub.Warn, nil}}},

		{name: "HCPCS quarter covers the date: an unknown code rejects", s: hcpcsQuarter, payer: "KHP01", dos: d(2026, 5, 4), proc: "J9999",
			want: []want{{"PROC-INVALID", scrub.Reject, []string{"HCPCS J9999 not in release 2026-04"}}, {"CODESET-RELEASE", 0, nil}}},
		{name: "HCPCS stale: a code of the stale release passes", s: hcpcsQuarter, payer: "KHP01", dos: d(2026, 7, 15), proc: "J1100",
			want: []want{{"PROC-INVALID", 0, nil}, {"CODESET-RELEASE", scrub.Warn, []string{"HCPCS release 2026-04 ended 2026-06-30", "July 2026"}}}},
		{name: "HCPCS stale: a code the stale release lacks warns, naming the release to import", s: hcpcsQuarter, payer: "SUMMT", dos: d(2026, 7, 15), proc: "J9999",
			want: []want{{"PROC-INVALID", scrub.Warn, []string{"HCPCS J9999 is not in release 2026-04", "out of date", "HCPCS Level II file of July 2026", "--from 2026-07-01"}},
				{"CODESET-RELEASE", scrub.Warn, nil}}},
		{name: "HCPCS stale: a modifier the stale release lacks warns", s: hcpcsQuarter, payer: "KHP01", dos: d(2026, 7, 15), modifier: "Q5",
			want: []want{{"MOD-INVALID", scrub.Warn, []string{`HCPCS modifier "Q5" is not in release 2026-04`, "out of date"}}}},
		{name: "HCPCS quarter covers the date: an unknown modifier rejects", s: hcpcsQuarter, payer: "KHP01", dos: d(2026, 5, 4), modifier: "Q5",
			want: []want{{"MOD-INVALID", scrub.Reject, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			if s == nil {
				s = scrubber(t)
			}
			c := officeVisit(t)
			c.Payer.ID = tc.payer
			for i := range c.Lines {
				c.Lines[i].ServiceDate = tc.dos
			}
			if tc.dx != "" {
				c.Diagnoses[1].Code = tc.dx
			}
			if tc.proc != "" {
				c.Lines[1].ProcedureCode, c.Lines[1].Modifiers = tc.proc, nil
			}
			if tc.modifier != "" {
				c.Lines[1].Modifiers = []string{tc.modifier}
			}
			today := d(tc.dos.Year, tc.dos.Month, tc.dos.Day+3)
			fs := s.Scrub(c, scrub.Options{Today: today, PayerID: tc.payer})
			for _, w := range tc.want {
				var hit *scrub.Finding
				for i := range fs {
					if fs[i].RuleID == w.id {
						hit = &fs[i]
						break
					}
				}
				switch {
				case w.sev == 0 && hit != nil:
					t.Errorf("%s fired: %s %s", w.id, hit.Severity, hit.Message)
				case w.sev == 0:
				case hit == nil:
					t.Errorf("%s did not fire; got %v", w.id, ids(fs))
				case hit.Severity != w.sev:
					t.Errorf("%s is %s, want %s: %s", w.id, hit.Severity, w.sev, hit.Message)
				default:
					for _, m := range w.msg {
						if !strings.Contains(hit.Message, m) && !strings.Contains(hit.Fix, m) {
							t.Errorf("%s: %q lacks %q (fix %q)", w.id, hit.Message, m, hit.Fix)
						}
					}
				}
			}
			if tc.noReject && scrub.HasReject(fs) {
				for _, f := range fs {
					t.Logf("%s %s %s", f.RuleID, f.Severity, f.Message)
				}
				t.Error("a reject-level finding on a claim the stale code set alone faults")
			}
		})
	}
}
