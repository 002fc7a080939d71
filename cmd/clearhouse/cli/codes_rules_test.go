package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestCodesLookup(t *testing.T) {
	code, out, errOut := run(t, "codes", "--dir", t.TempDir(), "lookup", "icd10cm", "E119", "E11", "--date", "2026-01-15")
	if code != 0 || !strings.Contains(out, "E119\tType 2 diabetes mellitus without complications") || !strings.Contains(out, "E11\tType 2 diabetes mellitus [header, not billable]") {
		t.Fatalf("code %d out %q err %q", code, out, errOut)
	}
	code, out, _ = run(t, "codes", "--dir", t.TempDir(), "lookup", "pos", "99", "00")
	if code != 1 || !strings.Contains(out, "00\tnot found") {
		t.Fatalf("code %d out %q", code, out)
	}
	if code, _, errOut := run(t, "codes", "lookup", "nope", "X"); code != 2 || !strings.Contains(errOut, "unknown code set kind") {
		t.Fatalf("code %d err %q", code, errOut)
	}
}

func TestCodesImport(t *testing.T) {
	dir := t.TempDir()
	ptp := filepath.Join(dir, "ptp.txt")
	os.WriteFile(ptp, []byte("CPT only copyright notice\nColumn 1\tColumn 2\t*\tEffective Date\tDeletion Date\tModifier\tRationale\n99213\t99211\t\t20260101\t*\t0\tSample\n"), 0o644)
	data := filepath.Join(dir, "codes")
	code, out, errOut := run(t, "codes", "--dir", data, "import", "ncci-ptp", ptp, "--name", "2026Q2")
	if code != 0 || !strings.Contains(out, "imported ncci-ptp release 2026Q2: 1 entries") {
		t.Fatalf("code %d out %q err %q", code, out, errOut)
	}
	code, out, _ = run(t, "codes", "--dir", data, "releases")
	if code != 0 || !strings.Contains(out, "2026Q2 (practitioner)") {
		t.Fatalf("releases: %q", out)
	}
	icd := filepath.Join(dir, "order.txt")
	os.WriteFile(icd, []byte("00001 A00     0 Cholera\nnot an order record\n"), 0o644)
	code, _, errOut = run(t, "codes", "--dir", data, "import", "icd10cm", icd, "--from", "2026-10-01")
	if code != 1 || !strings.Contains(errOut, "order.txt:2:") {
		t.Fatalf("bad order file: code %d err %q", code, errOut)
	}
}

func TestRulesLintAndTest(t *testing.T) {
	code, out, errOut := run(t, "rules", "lint")
	if code != 0 || !strings.Contains(out, "rules: ok") {
		t.Fatalf("lint: %d %q %q", code, out, errOut)
	}
	code, out, errOut = run(t, "rules", "test")
	if code != 0 || !strings.Contains(out, "rule tests passed") {
		t.Fatalf("test: %d %q %q", code, out, errOut)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "payers"), 0o755)
	os.WriteFile(filepath.Join(dir, "payers", "KHP01.yaml"), []byte("rules:\n  - id: K-1\n    severity: reject\n    when: claim.nope\n    message: m\n    location: {loop: \"2300\", segment: CLM}\n    fix: f\ntests:\n  pass: [{name: p}]\n  fail: [{name: f, expect: [K-1]}]\n"), 0o644)
	code, _, errOut = run(t, "rules", "lint", "--rules", dir)
	if code != 1 || !strings.Contains(errOut, "rules/payers/KHP01.yaml:4: rule K-1:") {
		t.Fatalf("bad rule: %d %q", code, errOut)
	}
}

// runScrub runs `claims scrub` on a parent command of its own, so the test
// does not depend on how claims.go wires it.
func runScrub(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	parent := &cobra.Command{Use: "claims", SilenceErrors: true, SilenceUsage: true}
	addClaimsScrubCmd(parent, env)
	parent.SetArgs(append([]string{"scrub"}, args...))
	parent.SetOut(&out)
	parent.SetErr(&errb)
	err := parent.Execute()
	if err == nil {
		return 0, out.String(), errb.String()
	}
	if ee, ok := err.(*ExitError); ok {
		if ee.Err != nil {
			errb.WriteString(ee.Err.Error())
		}
		return ee.Code, out.String(), errb.String()
	}
	return 1, out.String(), err.Error()
}

func TestClaimsScrub(t *testing.T) {
	code, out, errOut := runScrub(t, "testdata/scrub/clean.json", "--today", "2026-03-01")
	if code != 0 || !strings.Contains(out, "1 claims, 0 findings") {
		t.Fatalf("clean: %d %q %q", code, out, errOut)
	}
	code, out, _ = runScrub(t, "testdata/scrub/two.json", "--today", "2026-03-01")
	if code != 1 || !strings.Contains(out, "DX-NOT-BILLABLE") || !strings.Contains(out, "BAL-TOTAL") || !strings.Contains(out, "2 claims, 2 findings, 1 claims with reject-level findings") {
		t.Fatalf("two: %d %q", code, out)
	}
	code, out, _ = runScrub(t, "testdata/scrub/two.json", "--today", "2026-03-01", "--output", "json")
	var fs []map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &fs) != nil || len(fs) != 2 || fs[0]["severity"] != "reject" {
		t.Fatalf("json: %d %q", code, out)
	}
	if code, _, _ := runScrub(t, "testdata/scrub/clean.json", "--output", "xml"); code != 2 {
		t.Fatalf("bad output flag: %d", code)
	}
}

func TestClaimsScrubX12(t *testing.T) {
	const file = "../../../edi/x837/testdata/golden/batch-grouped.x12"
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err) // a committed golden of edi/x837
	}
	code, out, errOut := runScrub(t, file, "--today", "2026-03-01")
	if code == 2 || !strings.Contains(out, " claims, ") {
		t.Fatalf("x12: %d %q %q", code, out, errOut)
	}
	t.Log(out)
}
