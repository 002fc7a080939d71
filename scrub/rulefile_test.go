package scrub_test

import (
	"errors"
	"testing"

	"github.com/clearhouse/clearhouse/scrub"
)

// TestRuleFileTestWithoutClaimLine is the regression test for a problem in
// a test that has no claim of its own: it was reported at line 0, not at
// the test's line.
func TestRuleFileTestWithoutClaimLine(t *testing.T) {
	data := []byte("tests:\n  pass:\n    - name: p\n  fail:\n    - name: f\n      expect: [NOPE]\n")
	_, err := scrub.ParseRuleFile("rules/common/x.yaml", data)
	var re *scrub.RuleError
	if !errors.As(err, &re) || re.Line != 5 || !errors.Is(err, scrub.ErrRule) {
		t.Fatalf("%v, want a RuleError at line 5", err)
	}
}
