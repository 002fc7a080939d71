package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

// TestCodesImportRoutine is the operator's routine of the README: import
// the CMS files of a new period (the ICD-10-CM order file, the HCPCS
// quarterly file, the NCCI PTP and MUE quarterly files), here small files
// in the CMS layouts, then check `codes releases` and look codes up
// (issue 19).
func TestCodesImportRoutine(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "codes")
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	order := func(n int, code, flag, desc string) string {
		return fmt.Sprintf("%05d %-7s %s %-60s %s\n", n, code, flag, desc, desc)
	}
	icd := write("icd10cm_order_2027.txt", order(1, "A00", "0", "Cholera")+order(2, "A000", "1", "Cholera due to Vibrio cholerae 01, biovar cholerae")+
		order(3, "E119", "1", "Type 2 diabetes mellitus without complications"))
	hcpcs := write("HCPC2027_JAN_ANWEB.csv", "HCPC,SEQNUM,RECID,LONG DESCRIPTION,SHORT DESCRIPTION,TERM DT\n"+
		"G0008,0100,3,\"Administration of influenza virus vaccine\",Admin influenza virus vac,\n"+
		"G0009,0100,3,\"Administration of pneumococcal vaccine\",Admin pneumococcal vaccine,20261231\n"+
		"25,0100,7,\"Significant, separately identifiable evaluation and management service\",Sig sep e/m ser same day,\n")
	// The practitioner PTP edits come in parts, each with its notice and
	// header; the README joins them with cat before the import.
	ptpPart := func(row string) string {
		return "CPT codes, descriptions and other data only are copyright American Medical Association.\n" +
			"Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale\n" +
			row + "\n"
	}
	ptp := write("ccipra-v331r0.txt", ptpPart("20610\t99213\t\t20200101\t*\t1\tStandards of medical / surgical practice")+
		ptpPart("29881\t29880\t\t20200101\t*\t0\tMutually exclusive procedures"))
	mue := write("MCR_MUE_PractitionerServices_Eff_01-01-2027.txt", "HCPCS/CPT Code\tPractitioner Services MUE Values\tMUE Adjudication Indicator\tMUE Rationale\n"+
		"99213\t1\t2 Date of Service Edit: Policy\tCode Descriptor / CPT Instruction\n")
	for _, args := range [][]string{
		{"import", "icd10cm", icd, "--name", "FY2027", "--from", "2026-10-01", "--to", "2027-09-30"},
		{"import", "hcpcs", hcpcs, "--name", "2027-01", "--from", "2027-01-01"},
		{"import", "ncci-ptp", ptp, "--name", "2027Q1"},
		{"import", "mue", mue, "--name", "2027Q1"},
	} {
		code, out, errOut := run(t, append([]string{"codes", "--dir", data}, args...)...)
		if code != 0 || !strings.Contains(out, "imported "+args[1]+" release") || (args[1] == "ncci-ptp" && !strings.Contains(out, ": 2 entries")) {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	// Options the import cannot use are usage errors; nothing is imported.
	for _, args := range [][]string{
		{"import", "icd10cm", icd, "--name", "FY2028"},
		{"import", "icd10cm", icd, "--name", "FY2028", "--from", "2027-10-01", "--to", "2027-09-30"},
		{"import", "mue", mue, "--setting", "clinic"},
	} {
		if code, _, errOut := run(t, append([]string{"codes", "--dir", data}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
	code, out, errOut := run(t, "codes", "--dir", data, "releases", "--today", "2026-12-07")
	if code != 0 || errOut != "" || !regexpMatch(t, `icd10cm\s+FY2027\s+2026-10-01\s+2027-09-30\s+3\s+in effect`, out) ||
		!strings.Contains(out, "2027Q1 (practitioner)") {
		t.Fatalf("releases after the import: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "codes", "--dir", data, "lookup", "icd10cm", "E119", "--date", "2026-12-01")
	if code != 0 || !strings.Contains(out, "Type 2 diabetes") {
		t.Fatalf("lookup: exit %d %q", code, out)
	}
	code, out, _ = run(t, "codes", "--dir", data, "lookup", "hcpcs", "G0008", "G0009", "--date", "2027-02-01")
	if code != 1 || !strings.Contains(out, "G0008\tAdmin influenza") || !strings.Contains(out, "G0009\tnot found") {
		t.Fatalf("lookup hcpcs (G0009 terminated): exit %d %q", code, out)
	}
}

// TestCodesReleasesToday: `codes releases` marks the release in effect on
// --today and warns, naming the release to import, when the ICD-10-CM set
// ended before it (issue 19).
func TestCodesReleasesToday(t *testing.T) {
	code, out, errOut := run(t, "codes", "--dir", t.TempDir(), "releases", "--today", "2026-03-02")
	if code != 0 || errOut != "" || !regexpMatch(t, `icd10cm\s+FY2026\s+2025-10-01\s+2026-09-30\s+\d+\s+in effect`, out) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "codes", "--dir", t.TempDir(), "releases", "--today", "2026-12-07")
	if code != 0 || !strings.Contains(out, "ENDED 2026-09-30") ||
		!strings.Contains(errOut, "warning: icd10cm is out of date: its latest release, FY2026, ended 2026-09-30") ||
		!strings.Contains(errOut, "clearhouse codes import icd10cm icd10cm_order_2027.txt --name FY2027 --from 2026-10-01 --to 2027-09-30") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := run(t, "codes", "releases", "--today", "2026-13-01"); code != 2 {
		t.Errorf("bad --today: exit %d", code)
	}
}

func regexpMatch(t *testing.T, pattern, s string) bool {
	t.Helper()
	return regexp.MustCompile(pattern).MatchString(s)
}
