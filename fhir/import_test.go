package fhir_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fhir"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var now = time.Date(2026, 4, 7, 14, 0, 0, 0, time.UTC)

const fees = "fees:\n  - {code: \"99213\", amount: \"125.00\"}\n  - {code: \"99213\", modifiers: [\"25\"], amount: \"135.00\"}\n" +
	"  - {code: \"87880\", modifiers: [\"QW\"], amount: \"50.00\"}\n  - {code: \"87880\", amount: \"45.00\"}\n"

// practice is a store with a registered clinic (fee schedule kept) and
// its payer, and the importer over it.
type practice struct {
	st     store.Store
	clinic int64
	im     *fhir.Importer
	bill   *billing.Service
	reg    *registration.Service
}

func newPractice(t *testing.T, backend string) practice {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	o := storetest.Options{Now: func() time.Time { return now }, Prefix: "clearhouse_fhir"}
	if backend == "postgres" {
		st = storetest.OpenPostgres(t, o)
	} else {
		st = storetest.OpenSQLite(t, o)
	}
	sets, err := codes.Load(codes.LoadOptions{Kinds: []codes.Kind{codes.Taxonomy}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := registration.New(registration.Config{Store: st, Payers: reg, Codes: sets, Now: func() time.Time { return now }, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.AddClinic(ctx, registration.ClinicInput{Name: "Riverbend Family Medicine", NPI: "1234567893", TaxID: "123456789",
		ClinicSettings: store.ClinicSettings{AddressLine1: "100 MAIN ST", City: "SPRINGFIELD", State: "PA", PostalCode: "190641234",
			TimeZone: "America/New_York", TaxonomyCode: "207Q00000X", Profile: fees}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddPayer(ctx, c.ID, registration.PayerInput{PayerID: "KHP01", Active: true,
		Enrollment: store.Enrollment{Claims: store.EnrollmentEnrolled, Remittance: store.EnrollmentEnrolled}}); err != nil {
		t.Fatal(err)
	}
	profiles, err := billing.StoredProfiles(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	bill, err := billing.New(st, billing.Options{Now: func() time.Time { return now }, Payers: reg, Profiles: profiles})
	if err != nil {
		t.Fatal(err)
	}
	im, err := fhir.NewImporter(fhir.ImportConfig{Store: st, Registration: svc, Billing: bill})
	if err != nil {
		t.Fatal(err)
	}
	return practice{st: st, clinic: c.ID, im: im, bill: bill, reg: svc}
}

func (p practice) importPath(t *testing.T, path string) ([]fhir.Result, error) {
	t.Helper()
	batches, err := fhir.ReadPath(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []fhir.Result
	var errs []error
	for _, b := range batches {
		res, err := p.im.Import(context.Background(), p.clinic, b)
		out = append(out, res)
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// golden compares got (as indented JSON) with testdata/golden/name.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name)
	want, err := os.ReadFile(path)
	if err == nil && bytes.Equal(want, b) {
		return
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v (run go test -update to create it)", path, err)
	}
	t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, b, want)
}

// visitRow is an encounter with its charges, as the golden files show them.
type visitRow struct {
	Patient   string
	Provider  string
	Coverage  *int64
	Date      string
	POS       string
	Diagnoses []string
	Lines     []string
}

func visits(t *testing.T, p practice) []visitRow {
	t.Helper()
	ctx := context.Background()
	encs, err := p.st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: p.clinic})
	if err != nil {
		t.Fatal(err)
	}
	var out []visitRow
	for _, e := range encs {
		pt, err := p.st.GetPatient(ctx, store.Ref{ClinicID: p.clinic, ID: e.PatientID})
		if err != nil {
			t.Fatal(err)
		}
		pr, err := p.st.GetProvider(ctx, store.Ref{ClinicID: p.clinic, ID: e.ProviderID})
		if err != nil {
			t.Fatal(err)
		}
		chs, err := p.st.ListCharges(ctx, store.ListChargesParams{ClinicID: p.clinic, EncounterID: e.ID})
		if err != nil {
			t.Fatal(err)
		}
		v := visitRow{Patient: pt.MRN, Provider: pr.NPI + " " + pr.TaxonomyCode, Coverage: e.CoverageID, Date: e.ServiceDate.Format(time.DateOnly),
			POS: e.PlaceOfService, Diagnoses: e.DiagnosisCodes}
		for _, c := range chs {
			b, _ := json.Marshal(map[string]any{"code": c.ProcedureCode, "mods": c.Modifiers, "ptrs": c.DiagnosisPointers, "units": c.UnitsMilli, "cents": c.ChargeCents})
			v.Lines = append(v.Lines, string(b))
		}
		out = append(out, v)
	}
	return out
}

func count(t *testing.T, p practice) [4]int {
	t.Helper()
	ctx := context.Background()
	pts, err := p.st.ListPatients(ctx, store.ListPatientsParams{ClinicID: p.clinic})
	if err != nil {
		t.Fatal(err)
	}
	covs, err := p.st.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: p.clinic})
	if err != nil {
		t.Fatal(err)
	}
	encs, err := p.st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: p.clinic})
	if err != nil {
		t.Fatal(err)
	}
	aps, err := p.st.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: p.clinic})
	if err != nil {
		t.Fatal(err)
	}
	return [4]int{len(pts), len(covs), len(encs), len(aps)}
}

// TestImportBundle imports the hand-written bundle of a practice on both
// backends, then again (nothing changes), then a new version of a patient.
func TestImportBundle(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			p := newPractice(t, backend)
			res, err := p.importPath(t, "testdata/practice-bundle.json")
			if err != nil {
				t.Fatalf("import: %v\n%+v", err, res)
			}
			golden(t, "practice-bundle.result.json", res)
			golden(t, "practice-bundle.visits.json", visits(t, p))
			if got, want := count(t, p), [4]int{2, 2, 2, 1}; got != want {
				t.Errorf("patients, coverages, encounters, appointments = %v, want %v", got, want)
			}

			again, err := p.importPath(t, "testdata/practice-bundle.json")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "practice-bundle.again.json", again)
			if got, want := count(t, p), [4]int{2, 2, 2, 1}; got != want {
				t.Errorf("after re-import: %v, want %v", got, want)
			}

			// A new version of a patient updates the row it made.
			b, err := os.ReadFile("testdata/practice-bundle.json")
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.Replace(b, []byte(`"id": "pt-hopper", "meta": {"versionId": "1"}`), []byte(`"id": "pt-hopper", "meta": {"versionId": "2"}`), 1)
			b = bytes.Replace(b, []byte(`"2155550111"`), []byte(`"2155550199"`), 1)
			batch, err := fhir.Read("practice-bundle-v2.json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			v2, err := p.im.Import(context.Background(), p.clinic, batch)
			if err != nil {
				t.Fatal(err)
			}
			if c := v2.ByType["Patient"]; c == nil || c.Updated != 1 || c.Unchanged != 1 {
				t.Errorf("patients after v2: %+v", c)
			}
			pts, err := p.st.ListPatients(context.Background(), store.ListPatientsParams{ClinicID: p.clinic, MRN: "MRN-1"})
			if err != nil || len(pts) != 1 || pts[0].Phone != "2155550199" {
				t.Errorf("patient MRN-1 after v2: %+v, %v", pts, err)
			}
		})
	}
}

// TestImportBrokenBundle: a bundle with broken resources is not imported
// at all, and every broken resource is reported with its reference.
func TestImportBrokenBundle(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			p := newPractice(t, backend)
			res, err := p.importPath(t, "testdata/broken-bundle.json")
			if !errors.Is(err, fhir.ErrNotImported) {
				t.Fatalf("err = %v, want ErrNotImported", err)
			}
			golden(t, "broken-bundle.result.json", res)
			if got := count(t, p); got != [4]int{} {
				t.Errorf("rows after a refused bundle: %v, want none", got)
			}
		})
	}
}

// TestImportUnmappable: resources that read well but cannot be mapped (a
// patient without a birth date, a payer not registered, a dangling
// reference) roll the whole bundle back.
func TestImportUnmappable(t *testing.T) {
	p := newPractice(t, "sqlite")
	b, err := os.ReadFile("testdata/broken-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	// Keep only the readable entries.
	var bj map[string]any
	if err := json.Unmarshal(b, &bj); err != nil {
		t.Fatal(err)
	}
	bj["entry"] = bj["entry"].([]any)[:3]
	b, _ = json.Marshal(bj)
	batch, err := fhir.Read("unmappable.json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.im.Import(context.Background(), p.clinic, batch)
	if !errors.Is(err, fhir.ErrNotImported) || res.Committed {
		t.Fatalf("err = %v, committed %v", err, res.Committed)
	}
	golden(t, "unmappable.result.json", res)
	if got := count(t, p); got != [4]int{} {
		t.Errorf("rows after a rolled-back bundle: %v, want none", got)
	}
}

// TestImportBulkNDJSON imports a bulk export directory as one batch.
func TestImportBulkNDJSON(t *testing.T) {
	p := newPractice(t, "sqlite")
	res, err := p.importPath(t, "testdata/bulk")
	if err != nil {
		t.Fatalf("%v\n%+v", err, res)
	}
	golden(t, "bulk.result.json", res)
	golden(t, "bulk.visits.json", visits(t, p))
}
