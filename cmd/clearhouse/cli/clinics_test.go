package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// setupCase is one command of a scripted session: its arguments and what
// it reads on standard input.
type setupCase struct {
	name  string
	args  []string
	stdin string
}

// runSetupCases runs the cases in order against one database and compares
// each with testdata/<dir>/<name>.golden (exit status, stdout, stderr); with
// -update a differing golden is reported and rewritten.
func runSetupCases(t *testing.T, db, dir string, cases []setupCase) {
	t.Helper()
	for _, tc := range cases {
		var out, errb strings.Builder
		code := Main(append([]string{"--database", db}, tc.args...), strings.NewReader(tc.stdin), &out, &errb)
		got := fmt.Sprintf("$ clearhouse %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, out.String(), errb.String())
		path := filepath.Join("testdata", dir, tc.name+".golden")
		want, err := os.ReadFile(path)
		if err == nil && string(want) == got {
			continue
		}
		if !*update {
			if err != nil {
				t.Fatalf("%s: %v (run go test -update to create it)", path, err)
			}
			t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
			continue
		}
		t.Logf("%s: rewritten", path)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// migratedDB is a fresh SQLite database with the schema and no rows.
func migratedDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "practice.db")
	if code, _, errOut := run(t, "--database", db, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	return db
}

// TestRegistrationCommands registers a practice from an empty database
// with every setup command, its errors included, and checks the audit log.
func TestRegistrationCommands(t *testing.T) {
	t.Parallel()
	db := migratedDB(t)
	const d = "testdata/setup/"
	runSetupCases(t, db, "setup", []setupCase{
		{"clinics-list-empty", []string{"clinics", "list"}, ""},
		{"providers-no-clinic", []string{"providers", "list"}, ""},
		{"clinics-add-bad", []string{"clinics", "add", "--name", "X", "--npi", "1234567890", "--tax-id", "123", "--address-line1", "1 A ST",
			"--postal-code", "1906", "--time-zone", "Mars/Olympus", "--taxonomy", "999X00000X"}, ""},
		{"clinics-add", []string{"clinics", "add", "--name", "Riverbend Family Medicine", "--npi", "1234567893", "--tax-id", "12-3456789",
			"--address-line1", "100 MAIN ST", "--city", "SPRINGFIELD", "--state", "PA", "--postal-code", "190641234",
			"--time-zone", "America/New_York", "--taxonomy", "207Q00000X", "--contact-name", "BILLING OFFICE",
			"--contact-phone", "2155550100", "--profile", d + "fees.yaml"}, ""},
		{"clinics-show", []string{"clinics", "show"}, ""},
		{"clinics-update", []string{"clinics", "update", "1", "--contact-phone", "2155550199", "--submitter-id", "RIVERBEND01"}, ""},
		{"clinics-update-bad", []string{"clinics", "update", "--time-zone", "Mars/Olympus"}, ""},
		{"clinics-show-json", []string{"clinics", "show", "1", "-o", "json"}, ""},

		{"providers-add", []string{"providers", "add", "--npi", "1245319599", "--first-name", "ANN", "--last-name", "KIM", "--taxonomy", "207q00000x"}, ""},
		{"providers-add-bad", []string{"providers", "add", "--npi", "1245319590", "--taxonomy", "999X00000X", "--role", "surgeon"}, ""},
		{"providers-add-again", []string{"providers", "add", "--npi", "1245319599", "--last-name", "KIM"}, ""},
		{"providers-import-bad", []string{"providers", "import", d + "providers-bad.csv"}, ""},
		{"providers-import", []string{"providers", "import", d + "providers.csv"}, ""},
		{"providers-list", []string{"providers", "list", "--sort", "-npi"}, ""},
		{"providers-list-csv", []string{"providers", "list", "-o", "csv"}, ""},
		{"providers-update", []string{"providers", "update", "2", "--role", "both", "--active=false"}, ""},
		{"providers-show-json", []string{"providers", "show", "2", "-o", "json"}, ""},
		{"providers-list-bad-sort", []string{"providers", "list", "--sort", "shoe"}, ""},

		{"payers-registry", []string{"payers", "registry"}, ""},
		{"payers-add", []string{"payers", "add", "KHP01", "--enroll-837", "enrolled", "--enroll-835", "enrolled", "--enroll-270", "pending"}, ""},
		{"payers-add-unknown", []string{"payers", "add", "NOPE"}, ""},
		{"payers-add-no-270", []string{"payers", "add", "RVHSP", "--enroll-270", "enrolled"}, ""},
		{"payers-import", []string{"payers", "import", d + "payers.csv"}, ""},
		{"payers-update", []string{"payers", "update", "MCRJX", "--enroll-837", "enrolled"}, ""},
		{"payers-list", []string{"payers", "list"}, ""},
		{"payers-show-json", []string{"payers", "show", "KHP01", "-o", "json"}, ""},

		{"patients-add", []string{"patients", "add", "--mrn", "MRN-1", "--first-name", "Grace", "--last-name", "Hopper", "--birth-date", "1950-12-09",
			"--sex", "F", "--address-line1", "1 NAVY WAY", "--city", "SPRINGFIELD", "--state", "pa", "--postal-code", "19064",
			"--phone", "2155550101", "--email", "grace@example.com"}, ""},
		{"patients-add-missing", []string{"patients", "add", "--mrn", "MRN-X", "--first-name", "No", "--sex", "Q"}, ""},
		{"patients-add-bad-date", []string{"patients", "add", "--mrn", "MRN-X", "--birth-date", "yesterday"}, ""},
		{"coverage-add", []string{"coverage", "add", "--patient", "MRN-1", "--payer", "KHP01", "--member-id", "KHP123456", "--group", "G100",
			"--effective-from", "2026-01-01"}, ""},
		{"patients-add-duplicate", []string{"patients", "add", "--mrn", "MRN-5", "--first-name", "GRACE", "--last-name", "HOPPER", "--birth-date", "1950-12-09"}, ""},
		{"patients-add-duplicate-member", []string{"patients", "add", "--mrn", "MRN-5", "--first-name", "Grace B", "--last-name", "Hoper",
			"--birth-date", "1950-12-09", "--member-id", "KHP123456"}, ""},
		{"patients-add-allow-duplicate", []string{"patients", "add", "--mrn", "MRN-5", "--first-name", "GRACE", "--last-name", "HOPPER",
			"--birth-date", "1950-12-09", "--allow-duplicate"}, ""},
		{"patients-add-with-coverage", []string{"patients", "add", "--mrn", "MRN-6", "--first-name", "Mary", "--last-name", "Jackson",
			"--birth-date", "1921-04-09", "--payer", "KHP01", "--member-id", "KHP600", "--group", "G100"}, ""},
		{"patients-add-payer-unknown", []string{"patients", "add", "--mrn", "MRN-X", "--first-name", "No", "--last-name", "One",
			"--birth-date", "1921-04-09", "--payer", "MCDPA", "--member-id", "X"}, ""},
		{"patients-import", []string{"patients", "import", d + "patients.csv"}, ""},
		{"patients-import-bad", []string{"patients", "import", d + "patients-bad.csv"}, ""},
		{"patients-import-dup", []string{"patients", "import", d + "patients-dup.csv"}, ""},
		{"patients-list", []string{"patients", "list"}, ""},
		{"patients-list-name", []string{"patients", "list", "--name", "hop", "--birth-date", "1950-12-09", "-o", "csv"}, ""},
		{"patients-update", []string{"patients", "update", "MRN-1", "--phone", "2155550111", "--guarantor-name", "VINCENT HOPPER", "--guarantor-relationship", "01"}, ""},

		{"coverage-add-secondary", []string{"coverage", "add", "--patient", "1", "--payer", "SUMMT", "--member-id", "SUM777", "--priority", "2",
			"--relationship", "01", "--subscriber-first", "VINCENT", "--subscriber-last", "HOPPER", "--subscriber-birth-date", "1949-03-01"}, ""},
		{"coverage-add-overlap", []string{"coverage", "add", "--patient", "MRN-1", "--payer", "MCRJX", "--member-id", "X1", "--effective-from", "2026-06-01"}, ""},
		{"coverage-add-bad", []string{"coverage", "add", "--patient", "MRN-1", "--payer", "KHP01", "--member-id", "X1", "--priority", "4",
			"--relationship", "99", "--effective-from", "2026-02-01", "--effective-to", "2026-01-01"}, ""},
		{"coverage-add-unregistered", []string{"coverage", "add", "--patient", "MRN-1", "--payer", "MCDPA", "--member-id", "X1"}, ""},
		{"coverage-import", []string{"coverage", "import", d + "coverage.csv"}, ""},
		{"coverage-update", []string{"coverage", "update", "1", "--effective-to", "2026-12-31"}, ""},
		{"coverage-list", []string{"coverage", "list"}, ""},
		{"coverage-list-patient", []string{"coverage", "list", "--patient", "MRN-1", "-o", "json"}, ""},
		{"coverage-show", []string{"coverage", "show", "2"}, ""},

		{"patients-merge", []string{"patients", "merge", "MRN-5", "MRN-1"}, ""},
		{"patients-merge-again", []string{"patients", "merge", "MRN-5", "MRN-1"}, ""},
		{"patients-show", []string{"patients", "show", "MRN-1"}, ""},
		{"patients-show-merged-json", []string{"patients", "show", "MRN-5", "-o", "json"}, ""},

		{"clinics-import", []string{"clinics", "import", d + "clinics.csv"}, ""},
		{"clinics-list", []string{"clinics", "list", "-o", "csv"}, ""},
		{"providers-two-clinics", []string{"providers", "list"}, ""},
		{"providers-clinic-2", []string{"providers", "list", "--clinic", "2"}, ""},
	})

	ctx := context.Background()
	st, err := storedb.Open(ctx, db, storedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	events, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: 1})
	if err != nil {
		t.Fatal(err)
	}
	me, err := sqlitestore.OSLogin()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, e := range events {
		if e.Action == access.ReadAction {
			continue // the read audit is tested on its own
		}
		counts[e.Action]++
		if e.Actor != me {
			t.Errorf("event %d actor %q, want %s, the operating-system user", e.Seq, e.Actor, me)
		}
	}
	want := map[string]int{"clinic.add": 1, "clinic.update": 1, "provider.add": 3, "provider.update": 1, "payer.add": 3, "payer.update": 1,
		"patient.add": 5, "patient.update": 1, "coverage.add": 5, "coverage.update": 1, "patient.merge": 1}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("audit %s: %d events, want %d (all: %v)", k, counts[k], v, counts)
		}
	}
	v, err := st.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: 1})
	if err != nil || !v.OK() {
		t.Errorf("audit chain: %+v %v", v, err)
	}
}
