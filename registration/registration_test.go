package registration_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

var now = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// setup is a service over a fresh SQLite store with one clinic.
func setup(t *testing.T) (*registration.Service, store.Store, store.Clinic) {
	t.Helper()
	return setupKeys(t, nil)
}

// setupKeys is setup with the protected columns sealed under keys (nil:
// in clear).
func setupKeys(t *testing.T, keys *keyring.Ring) (*registration.Service, store.Store, store.Clinic) {
	t.Helper()
	st := storetest.OpenSQLite(t, storetest.Options{Now: func() time.Time { return now }, Keys: keys})
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
	c, err := svc.AddClinic(context.Background(), registration.ClinicInput{Name: "Riverbend Family Medicine", NPI: "1234567893", TaxID: "12-3456789",
		ClinicSettings: store.ClinicSettings{AddressLine1: "100 MAIN ST", City: "SPRINGFIELD", State: "PA", PostalCode: "190641234",
			TimeZone: "America/New_York", TaxonomyCode: "207Q00000X"}})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, c
}

func TestClinicAndProviderChecks(t *testing.T) {
	svc, _, c := setup(t)
	ctx := context.Background()
	if c.TaxID != "123456789" {
		t.Errorf("tax ID %q, want the hyphen dropped", c.TaxID)
	}
	tests := []struct {
		name string
		run  func() error
		want []string
	}{
		{"clinic bad NPI", func() error {
			_, err := svc.AddClinic(ctx, registration.ClinicInput{Name: "X", NPI: "1234567890"})
			return err
		}, []string{`npi "1234567890": not a valid NPI`}},
		{"clinic missing name and NPI", func() error {
			_, err := svc.AddClinic(ctx, registration.ClinicInput{})
			return err
		}, []string{"name: required", "npi: required"}},
		{"clinic bad tax ID, ZIP and zone", func() error {
			_, err := svc.AddClinic(ctx, registration.ClinicInput{Name: "X", NPI: "1234567893", TaxID: "12345",
				ClinicSettings: store.ClinicSettings{AddressLine1: "1 A ST", City: "B", State: "PA", PostalCode: "1906", TimeZone: "Mars/Base"}})
			return err
		}, []string{"tax-id", "postal-code", "Mars/Base"}},
		{"clinic bad profile", func() error {
			_, err := svc.AddClinic(ctx, registration.ClinicInput{Name: "X", NPI: "1234567893",
				ClinicSettings: store.ClinicSettings{Profile: "fees:\n  - {code: \"99213\", amount: \"lots\"}\n"}})
			return err
		}, []string{`"lots" is not an amount`}},
		{"provider bad taxonomy", func() error {
			_, err := svc.AddProvider(ctx, c.ID, registration.ProviderInput{NPI: "1245319599", LastName: "KIM", TaxonomyCode: "999X00000X"})
			return err
		}, []string{`taxonomy "999X00000X": not a NUCC provider taxonomy code`}},
		{"provider bad role and no name", func() error {
			_, err := svc.AddProvider(ctx, c.ID, registration.ProviderInput{NPI: "1245319599", Role: "surgeon"})
			return err
		}, []string{"role", "last name or an organization name"}},
		{"payer not in registry", func() error {
			_, err := svc.AddPayer(ctx, c.ID, registration.PayerInput{PayerID: "NOPE"})
			return err
		}, []string{`payer-id "NOPE": not in the payer registry (known: `}},
		{"payer bad enrollment", func() error {
			_, err := svc.AddPayer(ctx, c.ID, registration.PayerInput{PayerID: "KHP01", Enrollment: store.Enrollment{Claims: "maybe"}})
			return err
		}, []string{`enroll-837 "maybe"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if !errors.Is(err, registration.ErrInput) {
				t.Fatalf("error %v, want ErrInput", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}

	p, err := svc.AddProvider(ctx, c.ID, registration.ProviderInput{NPI: "1245319599", FirstName: "ANN", LastName: "KIM", TaxonomyCode: "207Q00000X"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != store.ProviderRendering {
		t.Errorf("role %q", p.Role)
	}
	if _, err := svc.AddProvider(ctx, c.ID, registration.ProviderInput{NPI: "1245319599", LastName: "KIM"}); err == nil || !strings.Contains(err.Error(), "already registered as provider") {
		t.Errorf("second provider with the same NPI: %v", err)
	}
	p2, err := svc.AddProvider(ctx, c.ID, registration.ProviderInput{NPI: "1003000126", OrganizationName: "RIVERBEND GROUP", Role: store.ProviderBilling})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateProvider(ctx, c.ID, p2.ID, registration.ProviderInput{NPI: "1245319599", OrganizationName: "RIVERBEND GROUP"}); err == nil ||
		!strings.Contains(err.Error(), "already registered as provider 1") {
		t.Errorf("update to another provider's NPI: %v", err)
	}
	if p2, err = svc.UpdateProvider(ctx, c.ID, p2.ID, registration.ProviderInput{NPI: "1003000126", OrganizationName: "RIVERBEND GROUP", Active: false}); err != nil || p2.Active || p2.Role != store.ProviderBilling {
		t.Errorf("update: %+v %v", p2, err)
	}
	py, err := svc.AddPayer(ctx, c.ID, registration.PayerInput{PayerID: "KHP01", Enrollment: store.Enrollment{Claims: store.EnrollmentEnrolled}})
	if err != nil {
		t.Fatal(err)
	}
	if py.Name == "" || py.ClaimFilingCode == "" {
		t.Errorf("payer %+v: want name and filing code from the registry", py)
	}
	if _, err := svc.AddPayer(ctx, c.ID, registration.PayerInput{PayerID: "KHP01"}); err == nil || !strings.Contains(err.Error(), "already registered as payer") {
		t.Errorf("second KHP01: %v", err)
	}
}

// TestPatientDuplicatesAndMerge runs with the protected columns in clear
// and sealed: duplicates are found by name and birth date either way.
func TestPatientDuplicatesAndMerge(t *testing.T) {
	t.Run("clear", func(t *testing.T) { testPatientDuplicatesAndMerge(t, nil) })
	t.Run("sealed", func(t *testing.T) { testPatientDuplicatesAndMerge(t, storetest.NewKeys(t)) })
}

func testPatientDuplicatesAndMerge(t *testing.T, keys *keyring.Ring) {
	svc, st, c := setupKeys(t, keys)
	ctx := context.Background()
	if _, err := svc.AddPayer(ctx, c.ID, registration.PayerInput{PayerID: "KHP01"}); err != nil {
		t.Fatal(err)
	}
	grace := registration.PatientInput{MRN: "MRN-1", FirstName: "Grace", LastName: "Hopper", BirthDate: date(1950, 12, 9), Sex: "f"}
	p1, err := svc.AddPatient(ctx, c.ID, grace)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Sex != "F" {
		t.Errorf("sex %q, want F", p1.Sex)
	}
	if _, err := svc.AddCoverage(ctx, c.ID, registration.CoverageInput{PatientID: p1.ID, PayerCode: "KHP01", MemberID: "KHP123"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		in     registration.PatientInput
		reason string
	}{
		{"same name and birth date, other case", registration.PatientInput{MRN: "MRN-2", FirstName: "GRACE", LastName: "HOPPER", BirthDate: date(1950, 12, 9)}, "name and birth date"},
		{"same member ID and birth date", registration.PatientInput{MRN: "MRN-3", FirstName: "Gracie", LastName: "Hoper", BirthDate: date(1950, 12, 9), MemberID: "KHP123"}, "member ID and birth date"},
		{"same name, other birth date", registration.PatientInput{MRN: "MRN-4", FirstName: "Grace", LastName: "Hopper", BirthDate: date(1951, 1, 1)}, ""},
		{"same member ID, other birth date", registration.PatientInput{MRN: "MRN-5", FirstName: "Tom", LastName: "Hopper", BirthDate: date(1980, 1, 1), MemberID: "KHP123"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.AddPatient(ctx, c.ID, tt.in)
			if tt.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var de *registration.DuplicateError
			if !errors.As(err, &de) || !errors.Is(err, registration.ErrDuplicate) {
				t.Fatalf("error %v, want a DuplicateError", err)
			}
			if de.Existing.ID != p1.ID || de.Reason != tt.reason {
				t.Errorf("duplicate of %d for %q, want %d for %q", de.Existing.ID, de.Reason, p1.ID, tt.reason)
			}
			want := "possible duplicate of patient 1 (MRN MRN-1, Grace Hopper, born 1950-12-09): same " + tt.reason
			if err.Error() != want {
				t.Errorf("message %q, want %q", err, want)
			}
		})
	}

	dup := grace
	dup.MRN, dup.AllowDuplicate = "MRN-9", true
	p2, err := svc.AddPatient(ctx, c.ID, dup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddCoverage(ctx, c.ID, registration.CoverageInput{PatientID: p2.ID, PayerCode: "KHP01", MemberID: "KHP999", Priority: 2,
		Relationship: "01", SubscriberFirst: "VINCENT", SubscriberLast: "HOPPER"}); err != nil {
		t.Fatal(err)
	}
	m, err := svc.MergePatients(ctx, c.ID, p2.ID, p1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Moved["coverages"] != 1 || m.From.MergedInto == nil || *m.From.MergedInto != p1.ID {
		t.Errorf("merge %+v", m)
	}
	// A merged patient is no longer a duplicate candidate, and takes no coverage.
	if _, err := svc.AddCoverage(ctx, c.ID, registration.CoverageInput{PatientID: p2.ID, PayerCode: "KHP01", MemberID: "X"}); err == nil || !strings.Contains(err.Error(), "was merged into patient 1") {
		t.Errorf("coverage on a merged patient: %v", err)
	}
	events, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	want := "clinic.add payer.add patient.add coverage.add patient.add patient.add patient.add coverage.add patient.merge"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("audit actions\n got %s\nwant %s", got, want)
	}
}

func TestCoverageChecks(t *testing.T) {
	svc, _, c := setup(t)
	ctx := context.Background()
	if _, err := svc.AddPayer(ctx, c.ID, registration.PayerInput{PayerID: "KHP01"}); err != nil {
		t.Fatal(err)
	}
	p, err := svc.AddPatient(ctx, c.ID, registration.PatientInput{MRN: "M1", FirstName: "A", LastName: "B", BirthDate: date(2000, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddCoverage(ctx, c.ID, registration.CoverageInput{PatientID: p.ID, PayerCode: "KHP01", MemberID: "M1",
		EffectiveFrom: date(2026, 1, 1), EffectiveTo: date(2026, 6, 30)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   registration.CoverageInput
		want string
	}{
		{"priority 4", registration.CoverageInput{PatientID: p.ID, PayerCode: "KHP01", MemberID: "X", Priority: 4}, "want 1 (primary), 2 (secondary) or 3 (tertiary)"},
		{"bad relationship", registration.CoverageInput{PatientID: p.ID, PayerCode: "KHP01", MemberID: "X", Relationship: "99"}, `relationship "99"`},
		{"spouse without subscriber", registration.CoverageInput{PatientID: p.ID, PayerCode: "KHP01", MemberID: "X", Relationship: "01"}, "subscriber's first and last name are required"},
		{"dates reversed", registration.CoverageInput{PatientID: p.ID, PayerCode: "KHP01", MemberID: "X", EffectiveFrom: date(2026, 2, 1), EffectiveTo: date(2026, 1, 1)}, "before effective-from"},
		{"overlapping primary", registration.CoverageInput{PatientID: p.ID, PayerCode: "KHP01", MemberID: "X", EffectiveFrom: date(2026, 6, 1)}, "already has this priority for an overlapping period"},
		{"unregistered payer", registration.CoverageInput{PatientID: p.ID, PayerCode: "MCRJX", MemberID: "X"}, "not registered for this clinic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.AddCoverage(ctx, c.ID, tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	// The next primary after the first ends is fine.
	if _, err := svc.AddCoverage(ctx, c.ID, registration.CoverageInput{PatientID: p.ID, PayerCode: "KHP01", MemberID: "M2", EffectiveFrom: date(2026, 7, 1)}); err != nil {
		t.Fatal(err)
	}
}

func TestImportRowErrors(t *testing.T) {
	svc, st, c := setup(t)
	ctx := context.Background()
	_, err := svc.ImportProviders(ctx, c.ID, "providers.csv", strings.NewReader("npi,last_name,taxonomy\n1245319599,KIM,207Q00000X\n1234567890,OSEI,\n1003000126,,999X00000X\n"))
	for _, w := range []string{`providers.csv:3: npi "1234567890"`, "providers.csv:4: last-name", `providers.csv:4: taxonomy "999X00000X"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
	if ps, _ := st.ListProviders(ctx, store.ListProvidersParams{ClinicID: c.ID}); len(ps) != 0 {
		t.Errorf("%d providers written by a failed import", len(ps))
	}
	_, err = svc.ImportPatients(ctx, c.ID, "p.csv", strings.NewReader("mrn,first_name,last_name,birth_date,shoe_size\n"), false)
	if err == nil || !strings.Contains(err.Error(), `p.csv:1: header "shoe_size": unknown column`) {
		t.Errorf("unknown column: %v", err)
	}
	// A duplicate inside one file fails the whole file, naming the row.
	_, err = svc.ImportPatients(ctx, c.ID, "p.csv", strings.NewReader("mrn,first_name,last_name,birth_date\nA1,Ann,Lee,1990-01-02\nA2,ANN,LEE,01/02/1990\n"), false)
	if !errors.Is(err, registration.ErrDuplicate) || err.Error() != "p.csv:3: possible duplicate: same name and birth date as line 2 of this file" {
		t.Errorf("duplicate row: %v", err)
	}
	if ps, _ := st.ListPatients(ctx, store.ListPatientsParams{ClinicID: c.ID}); len(ps) != 0 {
		t.Errorf("%d patients written by a failed import", len(ps))
	}
	res, err := svc.ImportPatients(ctx, c.ID, "p.csv", strings.NewReader("mrn,first_name,last_name,birth_date\nA1,Ann,Lee,1990-01-02\nA2,ANN,LEE,19900102\n"), true)
	if err != nil || len(res.IDs) != 2 {
		t.Fatalf("import with duplicates allowed: %v %v", res, err)
	}
	if _, err := svc.ImportPayers(ctx, c.ID, "payers.csv", strings.NewReader("payer_id,enroll_837\nKHP01,enrolled\n")); err != nil {
		t.Fatal(err)
	}
	res, err = svc.ImportCoverages(ctx, c.ID, "cov.csv", strings.NewReader("mrn,payer_id,member_id,priority\nA1,KHP01,K1,1\nA2,KHP01,K2,2\n"))
	if err != nil || len(res.IDs) != 2 {
		t.Fatalf("coverages: %v %v", res, err)
	}
	_, err = svc.ImportCoverages(ctx, c.ID, "cov.csv", strings.NewReader("mrn,payer_id,member_id\nZZ,KHP01,K1\n"))
	if err == nil || !strings.Contains(err.Error(), `cov.csv:2: mrn "ZZ": no patient with this MRN`) {
		t.Errorf("unknown MRN: %v", err)
	}
}
