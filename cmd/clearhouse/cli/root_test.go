package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

// TestFlagConventions keeps the command line consistent (issue 19): -o is
// --output and means the output format wherever it appears; files are
// written with --out; no visible flag takes an ID a command could take as
// its argument.
func TestFlagConventions(t *testing.T) {
	root := NewRootCmd(&Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			if f.Shorthand == "o" && f.Name != "output" {
				t.Errorf("%s: -o is --%s, want --output", c.CommandPath(), f.Name)
			}
			if f.Name == "output" && (f.Shorthand != "o" || !strings.HasPrefix(f.Usage, "output format: ")) {
				t.Errorf("%s: --output (-%s) %q: want -o, the output format", c.CommandPath(), f.Shorthand, f.Usage)
			}
			if f.Name == "id" {
				t.Errorf("%s: --id: take the ID as an argument", c.CommandPath())
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
