package payers_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/clearhouse/clearhouse/payers"
)

// FuzzParse feeds payer definitions to Parse. It must not panic; it rejects
// unreadable YAML with ErrSyntax and a bad definition with *FieldErrors that
// name the file, a line of it (0 when unknown) and the sentinel they wrap.
// An accepted definition is valid, and writing it back as YAML and reading
// that again gives the same definition.
func FuzzParse(f *testing.F) {
	const file = "payers/FUZZ.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := payers.Parse(file, data)
		if err != nil {
			checkParseError(t, err, file, data)
			return
		}
		if p.File != file {
			t.Fatalf("File %q, want %q", p.File, file)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted a definition Validate rejects: %v", err)
		}
		out, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("marshal %+v: %v", p, err)
		}
		p2, err := payers.Parse(file, out)
		if err != nil {
			t.Fatalf("reading back\n%s: %v", out, err)
		}
		out2, err := yaml.Marshal(p2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the definition:\n%s\nthen\n%s", out, out2)
		}
	})
}

func checkParseError(t *testing.T, err error, file string, data []byte) {
	t.Helper()
	if errors.Is(err, payers.ErrSyntax) {
		if !strings.Contains(err.Error(), file) {
			t.Fatalf("syntax error %q does not name %s", err, file)
		}
		return
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %v (%T): want ErrSyntax or joined *FieldErrors", err, err)
	}
	lines := yamlLines(data)
	for _, e := range joined.Unwrap() {
		var fe *payers.FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %v (%T) is not a *FieldError", e, e)
		}
		if fe.File != file || fe.Line < 0 || fe.Line > lines || fe.Field == "" {
			t.Fatalf("error %v: file %q line %d field %q, want %s, a line 0 to %d, a field", e, fe.File, fe.Line, fe.Field, file, lines)
		}
		if !errors.Is(fe, payers.ErrMissing) && !errors.Is(fe, payers.ErrInvalid) && !errors.Is(fe, payers.ErrDuplicate) {
			t.Fatalf("error %v wraps none of ErrMissing, ErrInvalid, ErrDuplicate", e)
		}
	}
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
