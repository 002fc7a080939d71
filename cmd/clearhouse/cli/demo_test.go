package cli

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoSmall runs a small demo, then every command it prints under "Try
// next" against its database, each of which must exit 0; and checks that
// the demo's KPIs are those `report kpis` prints for the same period
// (issue 19).
func TestDemoSmall(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := run(t, "demo", "--dir", dir, "--seed", "3", "--patients", "40", "--appointments", "80")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	db := filepath.Join(dir, "clearhouse.db")
	for _, want := range []string{"clean-claim rate", "Top of the worklist", "clearhouse worklist --sort -amount --database " + db} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "night 2: 837s and 270s submitted") || strings.Contains(errOut, "\r") {
		t.Errorf("stderr progress (not a terminal: one line per step):\n%s", errOut)
	}

	_, next, ok := strings.Cut(out, "Try next, against the same database:\n")
	if !ok {
		t.Fatalf("no Try next:\n%s", out)
	}
	ran := map[string]bool{}
	for line := range strings.Lines(next) {
		args, err := shellWords(strings.TrimSpace(line))
		if err != nil || len(args) < 2 || args[0] != "clearhouse" {
			t.Errorf("Try next line %q: %v", line, err)
			continue
		}
		code, cmdOut, cmdErr := run(t, args[1:]...)
		if code != 0 {
			t.Errorf("%s: exit %d\n%s%s", strings.TrimSpace(line), code, cmdOut, cmdErr)
		}
		ran[args[1]+" "+args[2]] = true
		if args[1] == "report" && args[2] == "kpis" && !strings.Contains(out, cmdOut) {
			t.Errorf("the demo's KPIs differ from %s:\n%s\n--- demo\n%s", strings.TrimSpace(line), cmdOut, out)
		}
	}
	for _, want := range []string{"report kpis", "report denials", "appointments list", "remit decode", "edi inspect"} {
		if !ran[want] {
			t.Errorf("Try next has no %q command", want)
		}
	}
}

// shellWords splits a command line as printed by the demo: words separated
// by spaces, single-quoted words with '\” for a quote.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			w.WriteByte(c)
		case c == '\'':
			quoted, in = true, true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			in = true
		case c == ' ':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if quoted {
		return nil, errUnterminatedQuote
	}
	if in {
		words = append(words, w.String())
	}
	return words, nil
}

var errUnterminatedQuote = errors.New("unterminated quote")
