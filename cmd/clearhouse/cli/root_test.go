package cli

import (
	"bytes"
	"strings"
	"testing"
)

// run executes the CLI in-process and returns its exit status and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "clearhouse ") {
		t.Fatalf("version: code %d, out %q", code, out)
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, errOut := run(t, "no-such-command")
	if code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

// TestUsageErrorsExitTwo: every argument and flag error is a usage error
// (exit 2), cobra's own included (issue 19).
func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"no-such-command"},
		{"claims", "no-such-subcommand"},
		{"version", "extra"},
		{"version", "--no-such-flag"},
		{"worklist", "show"},
		{"worklist", "show", "1", "2"},
		{"report", "kpis", "--clinic", "x"},
		{"codes", "lookup", "icd10cm"},
		{"edi", "inspect"},
	} {
		code, _, errOut := run(t, args...)
		if code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
