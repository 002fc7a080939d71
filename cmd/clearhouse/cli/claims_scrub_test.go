package cli

import (
	"strings"
	"testing"
)

func TestClaimsScrubCoverage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown", nil, 0, "1 claims, 0 findings"},
		{"covered", []string{"--coverage-from", "2026-01-01"}, 0, "1 claims, 0 findings"},
		{"ended", []string{"--coverage-from", "2025-01-01", "--coverage-to", "2026-01-31"}, 1, "DATE-COVERAGE"},
		{"not yet", []string{"--coverage-from", "2026-02-28"}, 1, "before coverage began (2026-02-28 to open)"},
		{"bad date", []string{"--coverage-to", "2026-02-30"}, 2, "--coverage-to"},
		{"reversed", []string{"--coverage-from", "2026-02-01", "--coverage-to", "2026-01-01"}, 2, "is before --coverage-from"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"testdata/scrub/clean.json", "--today", "2026-03-01"}, tc.args...)
			code, out, errOut := runScrub(t, args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s%s", code, tc.code, tc.want, out, errOut)
			}
		})
	}
}
