package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// schedulingDB makes a migrated SQLite database with a clinic, a provider,
// a KHP01 payer and a covered patient; it returns the path and the IDs.
func schedulingDB(t *testing.T) (path string, clinic, provider, patient int64) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "sched.db")
	s, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateClinic(ctx, store.CreateClinicParams{Name: "Riverbend Family Medicine", NPI: "1234567893", TaxID: "123456789"})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := s.CreateProvider(ctx, store.CreateProviderParams{ClinicID: c.ID, NPI: "1659412344", LastName: "KIM"})
	if err != nil {
		t.Fatal(err)
	}
	py, err := s.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c.ID, PayerID: "KHP01", Name: "Keystone Health Plan"})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "MRN100", FirstName: "JANE", LastName: "DOE",
		BirthDate: time.Date(1980, 4, 12, 0, 0, 0, 0, time.UTC), Sex: "F"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: c.ID, PatientID: pt.ID, PayerID: py.ID, MemberID: "MBR100", RelationshipCode: "18"}); err != nil {
		t.Fatal(err)
	}
	return path, c.ID, pr.ID, pt.ID
}

func TestAppointmentsCommands(t *testing.T) {
	db, clinic, provider, patient := schedulingDB(t)
	base := []string{"--database", db}
	cl := fmt.Sprint(clinic)
	book := func(at string) (int, string, string) {
		return run(t, append(base, "appointments", "book", "--clinic", cl, "--patient", fmt.Sprint(patient), "--provider", fmt.Sprint(provider),
			"--at", at, "--reason", "checkup")...)
	}
	code, out, errOut := book("2026-03-03 09:00")
	if code != 0 || !strings.Contains(out, "booked 2026-03-03 09:00-09:15") {
		t.Fatalf("book: %d %q %q", code, out, errOut)
	}
	code, _, errOut = book("2026-03-03 09:10")
	if code != 1 || !strings.Contains(errOut, "already booked") {
		t.Fatalf("double booking: %d %q", code, errOut)
	}
	code, _, errOut = run(t, append(base, "appointments", "checkout", "--clinic", cl, "1")...)
	if code != 1 || !strings.Contains(errOut, "cannot check out: appointment is booked") {
		t.Fatalf("checkout before checkin: %d %q", code, errOut)
	}
	code, out, _ = run(t, append(base, "appointments", "checkin", "--clinic", cl, "--id", "1")...) // the older --id form
	if code != 0 || !strings.Contains(out, "checked_in") || !strings.Contains(out, "eligibility not verified") {
		t.Fatalf("checkin: %d %q", code, out)
	}
	code, out, _ = run(t, append(base, "appointments", "checkout", "1", "--dx", "J06.9")...)
	if code != 0 || !strings.Contains(out, "encounter 1: ready, date of service 2026-03-03, place of service 11") {
		t.Fatalf("checkout: %d %q", code, out)
	}

	csv := filepath.Join(t.TempDir(), "day.csv")
	os.WriteFile(csv, []byte("patient_mrn,provider_npi,date,time\nMRN100,1659412344,2026-03-04,10:00\nMRN100,1659412344,2026-03-04,10:05\n"), 0o644)
	code, _, errOut = run(t, append(base, "appointments", "import", "--clinic", cl, csv)...)
	if code != 1 || !strings.Contains(errOut, "day.csv:3: provider 1 is already booked") {
		t.Fatalf("import: %d %q", code, errOut)
	}
	os.WriteFile(csv, []byte("patient_mrn,provider_npi,date,time\nMRN100,1659412344,2026-03-04,10:00\n"), 0o644)
	code, out, _ = run(t, append(base, "appointments", "import", "--clinic", cl, csv)...)
	if code != 0 || !strings.Contains(out, "imported 1 appointment") {
		t.Fatalf("import: %d %q", code, out)
	}
	// The only clinic of the database needs no --clinic; names stand
	// beside IDs, times in --tz (issue 19).
	code, out, _ = run(t, append(base, "appointments", "list", "--tz", "America/New_York", "--from", "2026-03-01", "--to", "2026-03-31")...)
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, "completed") || !strings.Contains(out, "KIM (#1)") ||
		!strings.Contains(out, "DOE, JANE (#1)") || !strings.Contains(out, "START (America/New_York)") || !strings.Contains(out, "2026-03-03 04:00") {
		t.Fatalf("list: %d %q", code, out)
	}
	for _, args := range [][]string{{"cancel"}, {"cancel", "2", "--id", "2"}, {"cancel", "x"}, {"list", "--tz", "Mars/Olympus"}} {
		if code, _, errOut := run(t, append(append(base, "appointments"), args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}

	dir := t.TempDir()
	code, out, errOut = run(t, append(base, "eligibility", "run", "--clinic", cl, "--date", "2026-03-03", "--out", dir)...)
	if code != 0 || !strings.Contains(out, "appointments from 2026-03-04 to 2026-03-05") || !strings.Contains(out, "KHP01: ") {
		t.Fatalf("eligibility run: %d %q %q", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "KHP01-270-*.edi"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	code, out, _ = run(t, append(base, "eligibility", "run", "--clinic", cl, "--date", "2026-03-03", "--out", dir)...)
	if code != 0 || !strings.Contains(out, "1 inquiry already in earlier batches") {
		t.Fatalf("rerun: %d %q", code, out)
	}
}
