package scrub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/clearhouse/clearhouse/claim"
)

// ErrRule wraps every error in a rule file.
var ErrRule = errors.New("scrub: bad rule")

// RuleError is a problem at a line of a rule file.
type RuleError struct {
	File   string
	Line   int
	RuleID string
	Err    error
}

func (e *RuleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	if e.RuleID != "" {
		b.WriteString("rule " + e.RuleID + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *RuleError) Unwrap() error { return e.Err }

func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// Scope says what a rule's expression is evaluated over.
type Scope string

// The scopes.
const (
	// ScopeClaim rules are evaluated once per claim, with `claim` bound.
	ScopeClaim Scope = "claim"
	// ScopeLine rules are evaluated once per service line, with `claim`
	// and `line` bound; findings name the line.
	ScopeLine Scope = "line"
)

// Rule is one rule of a rule file. A finding is raised when When is true.
type Rule struct {
	ID       string
	SNIP     int
	Severity Severity
	Scope    Scope
	// When is a CEL expression of type bool over `claim` (a RuleClaim) and,
	// for line rules, `line` (a RuleLine).
	When     string
	Message  string
	Location Location
	Fix      string

	line int
}

// BuiltinOverrides switch built-in edits off or change their severity for
// the file's claims.
type BuiltinOverrides struct {
	Off      []string
	Severity map[string]Severity
}

func (o BuiltinOverrides) apply(sev *[numEdits]Severity) {
	for _, id := range o.Off {
		if i, ok := builtinIndex(id); ok {
			sev[i] = 0
		}
	}
	for id, s := range o.Severity {
		if i, ok := builtinIndex(id); ok {
			sev[i] = s
		}
	}
}

// RuleTest is a test claim of a rule file.
type RuleTest struct {
	Name string
	// Expect lists the rule IDs a failing claim must raise.
	Expect []string
	Claim  *claim.Claim
	Line   int
}

// RuleFile is a parsed rule file: rules/common/*.yaml (Payer empty, for
// every claim) or rules/payers/<payer-id>.yaml.
type RuleFile struct {
	Name        string
	Payer       string
	Description string
	Builtins    BuiltinOverrides
	Rules       []Rule
	// Today is the submission date the tests run at.
	Today claim.Date
	// Pass are claims that must raise no reject-level finding; Fail are
	// claims that must raise every rule in their Expect list.
	Pass, Fail []RuleTest
}

type fileYAML struct {
	Payer       string `yaml:"payer"`
	Description string `yaml:"description"`
	Builtins    struct {
		Off      []string          `yaml:"off"`
		Severity map[string]string `yaml:"severity"`
	} `yaml:"builtins"`
	Rules []ruleYAML `yaml:"rules"`
	Tests struct {
		Today string     `yaml:"today"`
		Base  yaml.Node  `yaml:"base"`
		Pass  []testYAML `yaml:"pass"`
		Fail  []testYAML `yaml:"fail"`
	} `yaml:"tests"`
}

type ruleYAML struct {
	ID       string    `yaml:"id"`
	SNIP     int       `yaml:"snip"`
	Severity string    `yaml:"severity"`
	Scope    string    `yaml:"scope"`
	When     yaml.Node `yaml:"when"`
	Message  string    `yaml:"message"`
	Location struct {
		Loop    string `yaml:"loop"`
		Segment string `yaml:"segment"`
		Element string `yaml:"element"`
	} `yaml:"location"`
	Fix  string `yaml:"fix"`
	Line int    `yaml:"-"`
}

type testYAML struct {
	Name   string    `yaml:"name"`
	Expect []string  `yaml:"expect"`
	Claim  yaml.Node `yaml:"claim"`
}

// ParseRuleFile reads a rule file. Expressions are compiled by New (or
// Lint), which report their errors with this file's name and line.
func ParseRuleFile(name string, data []byte) (*RuleFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &RuleError{File: name, Line: yamlErrLine(err), Err: fmt.Errorf("%w: %v", ErrRule, err)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var fy fileYAML
	if err := dec.Decode(&fy); err != nil {
		return nil, &RuleError{File: name, Line: yamlErrLine(err), Err: fmt.Errorf("%w: %v", ErrRule, err)}
	}
	f := &RuleFile{Name: name, Payer: fy.Payer, Description: fy.Description}
	var errs []error
	fail := func(line int, id string, format string, args ...any) {
		errs = append(errs, &RuleError{File: name, Line: line, RuleID: id, Err: fmt.Errorf("%w: %s", ErrRule, fmt.Sprintf(format, args...))})
	}
	ruleNodes := seqNode(&doc, "rules")
	for _, id := range fy.Builtins.Off {
		if _, ok := builtinIndex(id); !ok {
			fail(1, "", "builtins.off: no built-in edit %q", id)
		}
	}
	if len(fy.Builtins.Severity) > 0 {
		f.Builtins.Severity = map[string]Severity{}
	}
	f.Builtins.Off = fy.Builtins.Off
	for id, s := range fy.Builtins.Severity {
		if _, ok := builtinIndex(id); !ok {
			fail(1, "", "builtins.severity: no built-in edit %q", id)
			continue
		}
		sev, err := ParseSeverity(s)
		if err != nil {
			fail(1, "", "builtins.severity.%s: %v", id, err)
			continue
		}
		f.Builtins.Severity[id] = sev
	}
	seen := map[string]bool{}
	for i, ry := range fy.Rules {
		line := 0
		if i < len(ruleNodes) {
			line = ruleNodes[i].Line
		}
		r := Rule{ID: ry.ID, SNIP: ry.SNIP, Scope: Scope(ry.Scope), When: ry.When.Value, Message: ry.Message, Fix: ry.Fix,
			Location: Location{Loop: ry.Location.Loop, Segment: ry.Location.Segment, Element: ry.Location.Element}, line: line}
		if ry.When.Line > 0 {
			r.line = ry.When.Line
		}
		if r.ID == "" {
			fail(line, "", "id required")
		} else if seen[r.ID] {
			fail(line, r.ID, "duplicate rule id")
		} else if _, clash := builtinIndex(r.ID); clash {
			fail(line, r.ID, "id is a built-in edit's")
		}
		seen[r.ID] = true
		if r.Scope == "" {
			r.Scope = ScopeClaim
		}
		if r.Scope != ScopeClaim && r.Scope != ScopeLine {
			fail(line, r.ID, "scope %q: want claim or line", ry.Scope)
		}
		if r.SNIP == 0 {
			r.SNIP = 7
		}
		if r.SNIP < 1 || r.SNIP > 7 {
			fail(line, r.ID, "snip %d: want 1 to 7", r.SNIP)
		}
		sev, err := ParseSeverity(ry.Severity)
		if err != nil {
			fail(line, r.ID, "%v", err)
		}
		r.Severity = sev
		if strings.TrimSpace(r.When) == "" {
			fail(line, r.ID, "when: a CEL expression is required")
		}
		if r.Message == "" || r.Fix == "" || r.Location.Loop == "" || r.Location.Segment == "" {
			fail(line, r.ID, "message, fix, location.loop and location.segment are required")
		}
		f.Rules = append(f.Rules, r)
	}
	if fy.Tests.Today != "" {
		d, err := claim.ParseDate(fy.Tests.Today)
		if err != nil {
			fail(1, "", "tests.today: %v", err)
		}
		f.Today = d
	}
	var base map[string]any
	if fy.Tests.Base.Kind != 0 {
		if err := fy.Tests.Base.Decode(&base); err != nil {
			fail(fy.Tests.Base.Line, "", "tests.base: %v", err)
		}
	}
	testsNode := mapValue(&doc, "tests")
	build := func(kind string, ts []testYAML) []RuleTest {
		var out []RuleTest
		nodes := seqNode(testsNode, kind)
		for i, ty := range ts {
			// The claim's line, else the test's own (a test without a
			// claim), else the file's first.
			line := ty.Claim.Line
			if line == 0 && i < len(nodes) {
				line = nodes[i].Line
			}
			if line == 0 {
				line = 1
			}
			name := ty.Name
			if name == "" {
				name = fmt.Sprintf("%s[%d]", kind, i)
			}
			var over map[string]any
			if ty.Claim.Kind != 0 {
				if err := ty.Claim.Decode(&over); err != nil {
					fail(line, "", "test %s: %v", name, err)
					continue
				}
			}
			c, err := mergeClaim(base, over)
			if err != nil {
				fail(line, "", "test %s: claim: %v", name, err)
				continue
			}
			for _, id := range ty.Expect {
				if !seen[id] {
					if _, ok := builtinIndex(id); !ok {
						fail(line, "", "test %s expects %q, which is neither a rule of this file nor a built-in edit", name, id)
					}
				}
			}
			out = append(out, RuleTest{Name: name, Expect: ty.Expect, Claim: c, Line: line})
		}
		return out
	}
	f.Pass = build("pass", fy.Tests.Pass)
	f.Fail = build("fail", fy.Tests.Fail)
	if len(f.Rules) > 0 && (len(f.Pass) == 0 || len(f.Fail) == 0) {
		fail(1, "", "tests: a rule file needs at least one pass and one fail claim")
	}
	for _, t := range f.Fail {
		if len(t.Expect) == 0 {
			fail(t.Line, "", "test %s: expect lists the rule IDs the claim must raise", t.Name)
		}
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return f, nil
}

func yamlErrLine(err error) int {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	var line int
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i+5:], "%d", &line)
	}
	if line == 0 {
		line = 1
	}
	return line
}

// seqNode returns the items of the sequence under key of a mapping (or of
// a document holding one); nil when there is none.
func seqNode(doc *yaml.Node, key string) []*yaml.Node {
	if v := mapValue(doc, key); v != nil && v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return nil
}

// mapValue returns the value under key of a mapping (or of a document
// holding one); nil when there is none.
func mapValue(doc *yaml.Node, key string) *yaml.Node {
	n := doc
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// mergeClaim deep-merges over onto base (maps merge, everything else
// replaces) and decodes the result as a claim in its JSON form. A key whose
// value is null removes the base's.
func mergeClaim(base, over map[string]any) (*claim.Claim, error) {
	m := mergeMaps(base, over)
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var c claim.Claim
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

func mergeMaps(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = mergeMaps(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// LoadRuleFiles parses every *.yaml file under the directories common/ and
// payers/ of fsys (the layout of the rules directory). A payer file's payer
// defaults to its base name.
func LoadRuleFiles(fsys fs.FS) ([]*RuleFile, error) {
	var names []string
	for _, dir := range []string{"common", "payers"} {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		for _, e := range ents {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
				names = append(names, path.Join(dir, e.Name()))
			}
		}
	}
	sort.Strings(names)
	var (
		out  []*RuleFile
		errs []error
	)
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f, err := ParseRuleFile("rules/"+n, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if strings.HasPrefix(n, "payers/") {
			id := strings.TrimSuffix(strings.TrimSuffix(path.Base(n), ".yaml"), ".yml")
			if f.Payer == "" {
				f.Payer = id
			} else if f.Payer != id {
				errs = append(errs, &RuleError{File: f.Name, Line: 1, Err: fmt.Errorf("%w: payer %q does not match the file name", ErrRule, f.Payer)})
				continue
			}
		} else if f.Payer != "" {
			errs = append(errs, &RuleError{File: f.Name, Line: 1, Err: fmt.Errorf("%w: a common rule file names no payer", ErrRule)})
			continue
		}
		out = append(out, f)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Lint compiles every rule of the files and returns every error, each
// naming its file and line (nil when all compile).
func Lint(files []*RuleFile) error {
	env, err := newRuleEnv()
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		if _, err := env.compileFile(f); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

// TestResult is the outcome of one test claim of a rule file.
type TestResult struct {
	File string
	Name string
	Line int
	// Pass is true for a pass claim, false for a fail claim.
	Pass     bool
	OK       bool
	Problem  string
	Findings []Finding
}

// RunTests scrubs each file's test claims with s (which must have been built
// with the files) at the file's Today: a pass claim must raise no
// reject-level finding, a fail claim every rule in its Expect list.
func (s *Scrubber) RunTests(files []*RuleFile) []TestResult {
	var out []TestResult
	for _, f := range files {
		opts := Options{Today: f.Today, PayerID: f.Payer}
		for _, t := range f.Pass {
			fs := s.Scrub(t.Claim, opts)
			r := TestResult{File: f.Name, Name: t.Name, Line: t.Line, Pass: true, OK: !HasReject(fs), Findings: fs}
			if !r.OK {
				var ids []string
				for _, x := range fs {
					if x.Severity == Reject {
						ids = append(ids, x.RuleID)
					}
				}
				r.Problem = "want no reject-level finding, got " + strings.Join(ids, ", ")
			}
			out = append(out, r)
		}
		for _, t := range f.Fail {
			fs := s.Scrub(t.Claim, opts)
			got := map[string]bool{}
			for _, x := range fs {
				got[x.RuleID] = true
			}
			var missing []string
			for _, id := range t.Expect {
				if !got[id] {
					missing = append(missing, id)
				}
			}
			r := TestResult{File: f.Name, Name: t.Name, Line: t.Line, OK: len(missing) == 0, Findings: fs}
			if !r.OK {
				r.Problem = "expected " + strings.Join(missing, ", ") + " to fire"
			}
			out = append(out, r)
		}
	}
	return out
}
