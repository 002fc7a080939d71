package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/store/storetest"
)

// TestLoadtest runs the whole chain at 2,000 claims on SQLite and on
// PostgreSQL; the command asserts the invariants and exits 1 when one
// fails.
func TestLoadtest(t *testing.T) {
	last := regexp.MustCompile(`(?m)^loadtest: 2000 claims end to end in [0-9.]+ s \([0-9]+ claims/s\), ledger balanced, 0 lost, 0 doubled\n\z`)
	for _, tc := range []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(t *testing.T) []string { return nil }},
		{"postgres", func(t *testing.T) []string {
			return []string{"--database", storetest.PostgresURL(t, "clearhouse_cli_loadtest")}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"loadtest", "--claims", "2000", "--dir", t.TempDir(), "--stage-timeout", "5m"}, tc.args(t)...)
			code, out, errOut := run(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, errOut, out)
			}
			if !last.MatchString(out) {
				t.Errorf("last line:\n%s", out)
			}
			for _, stage := range []string{"seeding (not timed): 1 clinics", "claims built ", "claims scrubbed ", "837s submitted ",
				"999s and 277CAs applied ", "835s posted "} {
				if !strings.Contains(out, stage) {
					t.Errorf("no %q line:\n%s", stage, out)
				}
			}
		})
	}
}

func TestLoadtestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"loadtest", "--claims", "0"},
		{"loadtest", "--processes", "2"},
		{"loadtest", "--workers", "0"},
	} {
		if code, _, errOut := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errOut)
		}
	}
}
