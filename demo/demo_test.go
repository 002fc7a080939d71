package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/report"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/store/storetest"
)

func TestGenerateDefaults(t *testing.T) {
	d, err := Generate(DefaultSeed, DefaultPatients, DefaultAppointments)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Patients) < 500 || len(d.Appointments) < 2000 || len(d.Providers) != 3 {
		t.Fatalf("%d patients, %d appointments, %d providers", len(d.Patients), len(d.Appointments), len(d.Providers))
	}
	if !claim.ValidNPI(d.Clinic.NPI) || len(d.Clinic.TaxID) != 9 || len(d.Clinic.Address.PostalCode) != 9 {
		t.Errorf("clinic %+v", d.Clinic)
	}
	outcomes := map[string]int{}
	payers := map[string]int{}
	dependents, secondary, tertiary, defects := 0, 0, 0, 0
	for _, p := range d.Providers {
		if !claim.ValidNPI(p.NPI) {
			t.Errorf("provider NPI %s", p.NPI)
		}
	}
	for _, p := range d.Patients {
		for _, c := range p.Coverages {
			payers[c.Payer]++
			if c.Relationship == "19" {
				dependents++
			}
			switch c.Priority {
			case 2:
				secondary++
			case 3:
				tertiary++
			}
			switch c.Payer {
			case PayerSummit:
				if len(c.MemberID) != 12 || !strings.HasPrefix(c.MemberID, "SMT") || c.GroupNumber == "" {
					t.Errorf("Summit member %s group %q", c.MemberID, c.GroupNumber)
				}
			case PayerMedicare:
				if len(c.MemberID) != 11 {
					t.Errorf("MBI %s", c.MemberID)
				}
			}
		}
	}
	last := d.Start
	for _, a := range d.Appointments {
		outcomes[a.Outcome]++
		if a.Start.Before(last) {
			t.Fatal("appointments out of order")
		}
		last = a.Start
		if (a.Visit != nil) != (a.Outcome == OutcomeCompleted) {
			t.Errorf("appointment %v outcome %s visit %v", a.Start, a.Outcome, a.Visit)
		}
		if a.Visit != nil && a.Visit.Defect != "" {
			defects++
		}
	}
	if got := d.Appointments[len(d.Appointments)-1].Start; got.Sub(d.Start).Hours() > 12*24 {
		t.Errorf("last appointment %v more than two weeks after %v", got, d.Start)
	}
	if outcomes[OutcomeNoShow] == 0 || outcomes[OutcomeCancelled] == 0 || dependents == 0 || secondary == 0 || tertiary == 0 || defects == 0 {
		t.Errorf("outcomes %v, %d dependents, %d secondary and %d tertiary coverages, %d defects", outcomes, dependents, secondary, tertiary, defects)
	}
	for _, id := range []string{PayerMedicare, PayerMedicaid, PayerKeystone, PayerSummit} {
		if payers[id] == 0 {
			t.Errorf("no coverage with %s", id)
		}
	}
	again, err := Generate(DefaultSeed, DefaultPatients, DefaultAppointments)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Appointments, again.Appointments) || !reflect.DeepEqual(d.Patients, again.Patients) {
		t.Error("the same seed gave another dataset")
	}
	t.Logf("%d patients, appointments %v, coverages %v, %d dependents, %d secondary, %d tertiary, %d defects", len(d.Patients), outcomes, payers, dependents, secondary, tertiary, defects)
}

// runSmall runs a small demo and checks the invariants of a finished run.
func runSmall(t *testing.T, database string) *Result {
	t.Helper()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	res, err := Run(context.Background(), Options{Seed: 7, Patients: 60, Appointments: 200, Dir: dir, Database: database, Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, want := range []string{"clean-claim rate", "first-pass acceptance", "Denials by payer", "Top of the worklist", "clearhouse worklist --sort -amount --database"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	checkRun(t, res)
	return res
}

func checkRun(t *testing.T, res *Result) {
	t.Helper()
	ctx := context.Background()
	st, err := storedb.Open(ctx, res.Database, storedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cid := res.ClinicID
	appts, err := st.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: cid, Statuses: []string{store.AppointmentCompleted}})
	if err != nil {
		t.Fatal(err)
	}
	encs, err := st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: cid})
	if err != nil {
		t.Fatal(err)
	}
	if len(encs) != len(appts) {
		t.Errorf("%d encounters for %d completed visits", len(encs), len(appts))
	}
	claims, err := st.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid})
	if err != nil {
		t.Fatal(err)
	}
	primary := map[int64]bool{}
	for _, c := range claims {
		switch c.Status {
		case claim.StatusPaid, claim.StatusPartiallyPaid, claim.StatusDenied, claim.StatusRejected, claim.StatusScrubFailed:
		case claim.StatusDraft, claim.StatusReady:
			if !isSecondary(c) {
				t.Errorf("primary claim %s left %s", c.PatientControlNumber, c.Status)
			}
		default:
			t.Errorf("claim %s left %s", c.PatientControlNumber, c.Status)
		}
		if !isSecondary(c) && c.EncounterID != nil {
			primary[*c.EncounterID] = true
		}
		if c.Status == claim.StatusScrubFailed || c.Status == claim.StatusRejected || c.Status == claim.StatusDenied {
			items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: cid, ClaimID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) == 0 {
				t.Errorf("claim %s is %s without a worklist item", c.PatientControlNumber, c.Status)
			}
		}
	}
	for _, e := range encs {
		if !primary[e.ID] {
			t.Errorf("encounter %d (%s) has no claim", e.ID, e.Status)
		}
	}
	if !res.Summary.LedgerBalanced {
		t.Error("ledger entries do not sum to zero")
	}
	if res.Summary.ByStatus[string(claim.StatusScrubFailed)] == 0 || res.Summary.ByStatus[string(claim.StatusPaid)] == 0 {
		t.Errorf("claims by status %v", res.Summary.ByStatus)
	}
	if len(res.Summary.ClaimsOutOfBalance) > 0 {
		t.Errorf("claims out of balance: %v", res.Summary.ClaimsOutOfBalance)
	}
	// The summary's KPIs are package report's for the demo's period, as
	// `clearhouse report kpis --from --to` computes them (issue 19).
	p := report.Params{From: res.Summary.Period.From, To: res.Summary.Period.To}
	d, err := report.Load(ctx, st, p)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Summary.KPIs, report.ComputeKPIs(d); !reflect.DeepEqual(got, want) {
		t.Errorf("summary KPIs %+v\nreport kpis   %+v", got, want)
	}
	if res.Summary.KPIs.CleanClaimRate.Den == 0 || res.Summary.KPIs.DenialRate.Den == 0 || res.Summary.KPIs.DaysInAR == 0 {
		t.Errorf("empty KPIs: %+v", res.Summary.KPIs)
	}
	// The front desk took copays at check-in, and the weekly patient
	// payments job applied them: patient collections are cash, and some of
	// the copays pay shares the 835s left to patients.
	if res.Summary.KPIs.PatientCollectionsCents <= 0 {
		t.Errorf("no patient collections: %+v", res.Summary.KPIs)
	}
	pays, err := st.ListPatientPayments(ctx, store.ListPatientPaymentsParams{ClinicID: res.ClinicID})
	if err != nil {
		t.Fatal(err)
	}
	var applied int64
	for _, py := range pays {
		applied += py.AppliedCents
	}
	if len(pays) == 0 || applied == 0 {
		t.Errorf("%d copays, %d cents applied", len(pays), applied)
	}
}

func TestRunSQLite(t *testing.T) {
	t.Parallel()
	a := runSmall(t, "")
	b := runSmall(t, "")
	var wa, wb bytes.Buffer
	if err := WriteSummary(&wa, a.Summary); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&wb, b.Summary); err != nil {
		t.Fatal(err)
	}
	if wa.String() != wb.String() {
		t.Errorf("two runs with the same seed differ:\n%s\n---\n%s", wa.String(), wb.String())
	}
	t.Logf("\n%s", wa.String())
}

func TestRunPostgres(t *testing.T) {
	t.Parallel()
	res := runSmall(t, storetest.PostgresURL(t, "clearhouse_demo_test"))
	if !strings.HasPrefix(res.Database, "postgres") {
		t.Errorf("database %s", res.Database)
	}
}

func TestRunRefusesUsedDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "used.db")
	if _, err := Run(context.Background(), Options{Seed: 1, Patients: 30, Appointments: 60, Dir: dir, Database: path}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Seed: 1, Patients: 30, Appointments: 60, Dir: dir, Database: path}); err == nil || !strings.Contains(err.Error(), "already holds clinics") {
		t.Fatalf("second run: %v", err)
	}
}
