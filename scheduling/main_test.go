package scheduling_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// The clinic's zone in tests: a fixed offset, so no time zone database is
// needed.
var est = time.FixedZone("EST", -5*3600)

// testNow is the store's and the service's clock: Monday 2 March 2026,
// 22:05 in the clinic.
var testNow = time.Date(2026, 3, 2, 22, 5, 0, 0, est)

func clock() time.Time { return testNow }

// pgStore is the PostgreSQL store every test shares (each test makes its
// own clinic); sqlite stores are opened per test, in a temporary file.
var pgStore store.Store

func TestMain(m *testing.M) {
	os.Exit(storetest.Main(m, storetest.Options{Prefix: "clearhouse_scheduling_test", Now: clock},
		func(pg storetest.Postgres) { pgStore = pg.Store }))
}

// eachBackend runs fn against SQLite and PostgreSQL, in parallel subtests.
func eachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	storetest.Backends(t, pgStore, storetest.Options{Now: clock}, fn)
}

// fixture is a clinic with two providers, payers from the fixture
// registry and patients covered in different ways.
type fixture struct {
	svc      *scheduling.Service
	st       store.Store
	clinic   store.Clinic
	drKim    store.Provider
	drLee    store.Provider
	payers   map[string]store.Payer
	jane     store.Patient // subscriber, KHP01
	tommy    store.Patient // dependent of Richard Roe, KHP01
	walter   store.Patient // Medicare (enrollment required; enrolled)
	rita     store.Patient // RVHSP: does not accept 270
	sam      store.Patient // self-pay
	janeCov  store.Coverage
	tommyCov store.Coverage
}

func newFixture(t *testing.T, st store.Store, mod ...func(*scheduling.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	clinic, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "Riverbend Family Medicine",
		NPI: "1234567893", TaxID: "12-3456789", SubmitterID: "CLEARHOUSE"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, clinic: clinic, payers: map[string]store.Payer{}}
	cfg := scheduling.Config{Store: st, Payers: reg, Location: est, Now: clock,
		EnrollmentKey: func(store.Clinic) string { return "riverbend-family" }}
	for _, m := range mod {
		m(&cfg)
	}
	if f.svc, err = scheduling.New(cfg); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.drKim, err = st.CreateProvider(ctx, store.CreateProviderParams{ClinicID: clinic.ID, NPI: "1659412344", FirstName: "Ana", LastName: "KIM"})
	must(err)
	f.drLee, err = st.CreateProvider(ctx, store.CreateProviderParams{ClinicID: clinic.ID, NPI: "1003000126", FirstName: "Sam", LastName: "LEE"})
	must(err)
	for _, id := range []string{"KHP01", "MCRJX", "RVHSP"} {
		rp, _ := reg.Get(id)
		p, err := st.CreatePayer(ctx, store.CreatePayerParams{ClinicID: clinic.ID, PayerID: id, Name: rp.Name, ReceiverID: rp.Envelope.ReceiverID})
		must(err)
		f.payers[id] = p
	}
	patient := func(mrn, first, last string, birth time.Time, sex string) store.Patient {
		p, err := st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: clinic.ID, MRN: mrn, FirstName: first, LastName: last,
			BirthDate: birth, Sex: sex, Phone: "5555550100"})
		must(err)
		return p
	}
	coverage := func(p store.Patient, payer, member, rel string, sub ...string) store.Coverage {
		c := store.CreateCoverageParams{ClinicID: clinic.ID, PatientID: p.ID, PayerID: f.payers[payer].ID, MemberID: member,
			RelationshipCode: rel, GroupNumber: "GRP7788"}
		if len(sub) == 2 {
			c.SubscriberFirst, c.SubscriberLast = sub[0], sub[1]
			c.SubscriberBirth = time.Date(1975, 9, 30, 0, 0, 0, 0, time.UTC)
		}
		cov, err := st.CreateCoverage(ctx, c)
		must(err)
		return cov
	}
	f.jane = patient("MRN100", "JANE", "DOE", time.Date(1980, 4, 12, 0, 0, 0, 0, time.UTC), "F")
	f.tommy = patient("MRN300", "TOMMY", "ROE", time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC), "M")
	f.walter = patient("MRN400", "WALTER", "GRAY", time.Date(1950, 1, 2, 0, 0, 0, 0, time.UTC), "M")
	f.rita = patient("MRN500", "RITA", "STONE", time.Date(1960, 7, 8, 0, 0, 0, 0, time.UTC), "F")
	f.sam = patient("MRN600", "SAM", "SELF", time.Date(1990, 2, 3, 0, 0, 0, 0, time.UTC), "M")
	f.janeCov = coverage(f.jane, "KHP01", "MBR100", "18")
	f.tommyCov = coverage(f.tommy, "KHP01", "MBR200", "19", "RICHARD", "ROE")
	coverage(f.walter, "MCRJX", "1EG4TE5MK73", "18")
	coverage(f.rita, "RVHSP", "RV900", "18")
	return f
}

// at is a time in the clinic's zone.
func at(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, est) }

func (f *fixture) book(t *testing.T, patient, provider int64, start time.Time) store.Appointment {
	t.Helper()
	a, err := f.svc.Book(context.Background(), scheduling.BookParams{ClinicID: f.clinic.ID, PatientID: patient, ProviderID: provider, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
