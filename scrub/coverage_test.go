package scrub_test

import (
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/scrub"
)

// TestDateCoverage checks the DATE-COVERAGE edit against the office visit's
// two lines, both on 2026-02-16.
func TestDateCoverage(t *testing.T) {
	s := scrubber(t)
	d := claim.NewDate
	tests := []struct {
		name string
		edit func(c *claim.Claim)
		cov  *scrub.CoveragePeriod
		// want lists the locations of the DATE-COVERAGE findings; detail
		// is a part of the first one's message.
		want   []string
		detail string
	}{
		{"unknown", nil, nil, nil, ""},
		{"no bounds", nil, &scrub.CoveragePeriod{}, nil, ""},
		{"open-ended", nil, &scrub.CoveragePeriod{From: d(2026, 1, 1)}, nil, ""},
		{"no start", nil, &scrub.CoveragePeriod{To: d(2026, 12, 31)}, nil, ""},
		{"on both bounds", nil, &scrub.CoveragePeriod{From: d(2026, 2, 16), To: d(2026, 2, 16)}, nil, ""},
		{"before start", nil, &scrub.CoveragePeriod{From: d(2026, 3, 1)},
			[]string{"2400 DTP DTP03 (line 1)", "2400 DTP DTP03 (line 2)"}, "service 2026-02-16 before coverage began (2026-03-01 to open)"},
		{"after end", nil, &scrub.CoveragePeriod{From: d(2025, 1, 1), To: d(2026, 1, 31)},
			[]string{"2400 DTP DTP03 (line 1)", "2400 DTP DTP03 (line 2)"}, "service through 2026-02-16 after coverage ended (2025-01-01 to 2026-01-31)"},
		{"range runs past the end", func(c *claim.Claim) { c.Lines[0].ServiceDateEnd = d(2026, 2, 20) },
			&scrub.CoveragePeriod{To: d(2026, 2, 18)}, []string{"2400 DTP DTP03 (line 1)"}, "service through 2026-02-20"},
		{"one line outside", func(c *claim.Claim) { c.Lines[1].ServiceDate = d(2025, 12, 30) },
			&scrub.CoveragePeriod{From: d(2026, 1, 1)}, []string{"2400 DTP DTP03 (line 2)"}, "service 2025-12-30 before"},
		{"line without a date", func(c *claim.Claim) { c.Lines[1].ServiceDate = claim.Date{} },
			&scrub.CoveragePeriod{From: d(2026, 3, 1)}, []string{"2400 DTP DTP03 (line 1)"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := officeVisit(t)
			if tc.edit != nil {
				tc.edit(c)
			}
			fs := s.Scrub(c, scrub.Options{Today: today, Coverage: tc.cov})
			var got []scrub.Finding
			for _, f := range fs {
				if f.RuleID == "DATE-COVERAGE" {
					got = append(got, f)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("DATE-COVERAGE findings %v, want at %v (all: %v)", got, tc.want, ids(fs))
			}
			for i, f := range got {
				if f.Location.String() != tc.want[i] || f.Severity != scrub.Reject || f.SNIP != 2 || f.Fix == "" {
					t.Errorf("finding %+v, want a reject at %s", f, tc.want[i])
				}
			}
			if len(got) > 0 && !strings.Contains(got[0].Message, tc.detail) {
				t.Errorf("message %q, want it to contain %q", got[0].Message, tc.detail)
			}
		})
	}
}

// TestDateCoverageOff checks that a rule file can switch the edit off.
func TestDateCoverageOff(t *testing.T) {
	rf, err := scrub.ParseRuleFile("rules/common/off.yaml", []byte("builtins:\n  off: [DATE-COVERAGE]\n"))
	if err != nil {
		t.Fatal(err)
	}
	sets, err := fuzzCodes()
	if err != nil {
		t.Fatal(err)
	}
	s, err := scrub.New(scrub.Config{Codes: sets, RuleFiles: []*scrub.RuleFile{rf}})
	if err != nil {
		t.Fatal(err)
	}
	fs := s.Scrub(officeVisit(t), scrub.Options{Today: today, Coverage: &scrub.CoveragePeriod{From: claim.NewDate(2026, 3, 1)}})
	for _, f := range fs {
		if f.RuleID == "DATE-COVERAGE" {
			t.Fatalf("switched-off edit raised %+v", f)
		}
	}
}

// TestDateCoverageNoAllocs checks that knowing the coverage costs a clean
// claim no allocation.
func TestDateCoverageNoAllocs(t *testing.T) {
	s := scrubber(t)
	c := officeVisit(t)
	buf := make([]scrub.Finding, 0, 8)
	without := testing.AllocsPerRun(50, func() { buf = s.AppendScrub(buf[:0], c, scrub.Options{Today: today}) })
	cov := &scrub.CoveragePeriod{From: claim.NewDate(2026, 1, 1), To: claim.NewDate(2026, 12, 31)}
	with := testing.AllocsPerRun(50, func() { buf = s.AppendScrub(buf[:0], c, scrub.Options{Today: today, Coverage: cov}) })
	if len(buf) != 0 || with != without {
		t.Fatalf("findings %v; %v allocations with coverage, %v without", buf, with, without)
	}
}
