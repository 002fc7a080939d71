package cli

import (
	"os"
	"path/filepath"
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

// TestClaimsScrubStaleCodeSet: a date of service after the embedded
// ICD-10-CM release ended (2026-09-30) draws a CODESET-RELEASE warning,
// not a reject, even for SUMMT, whose rule file used to tighten it
// (issue 19).
func TestClaimsScrubStaleCodeSet(t *testing.T) {
	data, err := os.ReadFile("testdata/scrub/clean.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "october.json")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(data), "2026-02-16", "2026-10-15")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runScrub(t, path, "--today", "2026-10-20", "--payer", "SUMMT")
	if code != 0 || !strings.Contains(out, "CODESET-RELEASE") || !strings.Contains(out, "warn") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
}
