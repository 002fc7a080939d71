package rules_test

import (
	"testing"

	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/rules"
	"github.com/clearhouse/clearhouse/scrub"
)

// TestRuleFiles lints every embedded rule file and runs its test claims.
func TestRuleFiles(t *testing.T) {
	files, err := scrub.LoadRuleFiles(rules.Files())
	if err != nil {
		t.Fatal(err)
	}
	if err := scrub.Lint(files); err != nil {
		t.Fatal(err)
	}
	sets, err := codes.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	s, err := scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range s.RunTests(files) {
		n++
		if !r.OK {
			t.Errorf("%s:%d: %s: %s", r.File, r.Line, r.Name, r.Problem)
			for _, f := range r.Findings {
				t.Logf("  %s %s %s: %s", f.RuleID, f.Severity, f.Location, f.Message)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d rule tests ran", n)
	}
}
