package codes

import (
	"errors"
	"strings"
	"testing"
)

// The fuzz targets feed each code set reader what a user or the embedded
// data could hand it. None may panic; a rejected file yields a *ParseError
// naming the file and a line of it and wrapping ErrFormat; an accepted file
// yields a release whose lookups find every entry it read.

// checkParseError fails unless err is a *ParseError for file with a line
// inside text.
func checkParseError(t *testing.T, err error, file, text string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("error %v does not wrap ErrFormat", err)
	}
	if pe.File != file {
		t.Fatalf("error %v names file %q, want %q", err, pe.File, file)
	}
	if max := strings.Count(text, "\n") + 1; pe.Line < 1 || pe.Line > max {
		t.Fatalf("error %v at line %d, want 1 to %d", err, pe.Line, max)
	}
}

// importText reads data as Import does (plain or gzip) and parses it as a
// release of kind; ok is false when data is not even readable, which Import
// reports as ErrImport, not as a layout error.
func importText(t *testing.T, kind Kind, data []byte) (p parsed, text string, ok bool) {
	t.Helper()
	text, err := readAll(strings.NewReader(string(data)))
	if err != nil {
		return parsed{}, "", false
	}
	info := ReleaseInfo{Kind: kind, Name: "fuzz", Source: "fuzz.txt", Setting: Practitioner}
	p, err = parseRelease(info, text, 20260101, 0, map[string]Code{})
	if err != nil {
		checkParseError(t, err, info.Source, text)
		return parsed{}, text, false
	}
	return p, text, true
}

// checkRelease fails unless every entry Each yields is found by Lookup and
// Len counts them.
func checkRelease(t *testing.T, r *Release) {
	t.Helper()
	n := 0
	r.Each(func(c Code) bool {
		n++
		got, ok := r.Lookup(c.Code)
		if !ok || got != c {
			t.Fatalf("%s release lists %+v, Lookup(%q) = %+v, %v", r.Kind, c, c.Code, got, ok)
		}
		return true
	})
	if n != r.Len() {
		t.Fatalf("%s release: Each yields %d entries, Len %d", r.Kind, n, r.Len())
	}
}

func FuzzParseICDOrder(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, ok := importText(t, ICD10CM, data)
		if !ok {
			return
		}
		for code, c := range p.rel.codes {
			if c.Code != code {
				t.Fatalf("entry %q holds code %q", code, c.Code)
			}
		}
		if p.entries != p.rel.Len() {
			t.Fatalf("entries %d, Len %d", p.entries, p.rel.Len())
		}
		checkRelease(t, p.rel)
	})
}

func FuzzReverseAddenda(f *testing.F) {
	f.Fuzz(func(t *testing.T, order, addenda string) {
		m, err := parseICDOrder("order.txt", order)
		if err != nil {
			checkParseError(t, err, "order.txt", order)
			return
		}
		cur := &Release{Kind: ICD10CM, codes: m, n: len(m)}
		prev, err := reverseAddenda("addenda.txt", addenda, cur)
		if err != nil {
			checkParseError(t, err, "addenda.txt", addenda)
			return
		}
		checkRelease(t, prev)
		checkRelease(t, cur)
	})
}

func FuzzParseHCPCS(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, ok := importText(t, HCPCS, data)
		if !ok {
			return
		}
		for code := range p.rel.codes {
			if len(code) != 5 || strings.ToUpper(code) != code {
				t.Fatalf("procedure code %q: want 5 upper-case characters", code)
			}
		}
		for code := range p.mods.codes {
			if len(code) != 2 || strings.ToUpper(code) != code {
				t.Fatalf("modifier %q: want 2 upper-case characters", code)
			}
		}
		if p.entries != p.rel.Len()+p.mods.Len() {
			t.Fatalf("entries %d, releases hold %d + %d", p.entries, p.rel.Len(), p.mods.Len())
		}
		checkRelease(t, p.rel)
		checkRelease(t, p.mods)
	})
}

func FuzzParsePTP(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, ok := importText(t, NCCIPTP, data)
		if !ok {
			return
		}
		tab := p.ptp
		n := 0
		for k, es := range tab.edits {
			for _, e := range es {
				n++
				if k.c1 != e.Column1 || k.c2 != e.Column2 || !isProcedureCode(e.Column1) || !isProcedureCode(e.Column2) {
					t.Fatalf("edit %+v filed under %v", e, k)
				}
				if e.Modifier != ModifierNotAllowed && e.Modifier != ModifierAllowed && e.Modifier != ModifierNotApplicable {
					t.Fatalf("edit %+v: modifier indicator %d", e, e.Modifier)
				}
				dos := e.Effective
				if dos == 0 {
					dos = 20260101
				}
				if !e.ActiveOn(dos) {
					continue
				}
				if _, ok := tab.Lookup(e.Column1, e.Column2, dos); !ok {
					t.Fatalf("edit %+v active on %s, Lookup finds none", e, dos)
				}
			}
		}
		if n != tab.Len() || n != p.entries || n == 0 {
			t.Fatalf("%d edits, Len %d, entries %d", n, tab.Len(), p.entries)
		}
	})
}

func FuzzParseMUE(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, text, ok := importText(t, MUE, data)
		if !ok {
			return
		}
		tab := p.mue
		for code, l := range tab.limits {
			got, ok := tab.Lookup(code)
			if !ok || got != l || l.Code != code {
				t.Fatalf("limit %+v under %q: Lookup = %+v, %v", l, code, got, ok)
			}
			if l.Units < 0 || l.Adjudicate < MUELine || l.Adjudicate > MUEDateOfServiceCl {
				t.Fatalf("limit %+v out of range", l)
			}
		}
		// Every row the reader takes (a procedure code first) is found.
		_ = lines(text, func(_ int, line string) error {
			if fs := splitRow(line); len(fs) >= 3 && isProcedureCode(fs[0]) {
				if _, ok := tab.Lookup(fs[0]); !ok {
					t.Fatalf("row %q: Lookup(%q) finds nothing", line, fs[0])
				}
			}
			return nil
		})
		if tab.Len() != p.entries || tab.Len() == 0 {
			t.Fatalf("Len %d, entries %d", tab.Len(), p.entries)
		}
	})
}

func FuzzParseTSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		m, err := parseTSV("set.tsv", text)
		if err != nil {
			checkParseError(t, err, "set.tsv", text)
			return
		}
		checkRelease(t, &Release{Kind: POS, codes: m, n: len(m)})
	})
}

func FuzzParseTaxonomy(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		m, err := parseTaxonomy("taxonomy.csv", text)
		if err != nil {
			checkParseError(t, err, "taxonomy.csv", text)
			return
		}
		for code := range m {
			if len(code) != 10 {
				t.Fatalf("taxonomy code %q: want 10 characters", code)
			}
		}
		checkRelease(t, &Release{Kind: Taxonomy, codes: m, n: len(m)})
	})
}
