package scrub_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/scrub"
)

var fuzzCodes = sync.OnceValues(codes.LoadEmbedded)

// FuzzParseRuleFile feeds rule files to ParseRuleFile, lints what parses,
// and runs the file's test claims through a scrubber built from it. Nothing
// may panic; every error is a *RuleError naming the file and a line of it
// and wrapping ErrRule; a file that lints builds a scrubber.
func FuzzParseRuleFile(f *testing.F) {
	const name = "rules/payers/FUZZ.yaml"
	sets, err := fuzzCodes()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rf, err := scrub.ParseRuleFile(name, data)
		if err != nil {
			checkRuleErrors(t, err, name, data)
			return
		}
		files := []*scrub.RuleFile{rf}
		if err := scrub.Lint(files); err != nil {
			checkRuleErrors(t, err, name, data)
			return
		}
		s, err := scrub.New(scrub.Config{Codes: sets, RuleFiles: files})
		if err != nil {
			t.Fatalf("the file lints but New rejects it: %v", err)
		}
		for _, r := range s.RunTests(files) {
			if r.File != name {
				t.Fatalf("test result names file %q, want %q", r.File, name)
			}
		}
	})
}

// checkRuleErrors fails unless every error err carries (joined or not) is a
// *RuleError for file at a line of data, wrapping ErrRule.
func checkRuleErrors(t *testing.T, err error, file string, data []byte) {
	t.Helper()
	lines := yamlLines(data)
	var walk func(err error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var re *scrub.RuleError
		if !errors.As(err, &re) {
			t.Fatalf("error %v (%T) is not a *RuleError", err, err)
		}
		if re.File != file || re.Line < 1 || re.Line > lines {
			t.Fatalf("error %v: file %q line %d, want %s and a line 1 to %d", err, re.File, re.Line, file, lines)
		}
		if !errors.Is(err, scrub.ErrRule) {
			t.Fatalf("error %v does not wrap ErrRule", err)
		}
	}
	walk(err)
}

// yamlLines counts the lines of data as the YAML reader numbers them: CR
// LF, a lone CR or LF, NEL, LS and PS each end a line.
func yamlLines(data []byte) int {
	s := string(data)
	n := 1
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			n++
		case s[i] == '\n':
			n++
		case strings.HasPrefix(s[i:], "\u0085"), strings.HasPrefix(s[i:], "\u2028"), strings.HasPrefix(s[i:], "\u2029"):
			n++
		}
	}
	return n
}
