// Package storetest is the conformance suite every store implementation
// must pass, PostgreSQL and SQLite alike. An implementation's tests call Run
// with a Harness over a freshly migrated database.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// Harness gives the suite a store and raw access to its database.
type Harness struct {
	// Store is a migrated store shared by every test of the suite; tests
	// make clinics of their own, so they never see each other's rows.
	Store store.Store
	// Exec runs one statement as the database owner, past clinic
	// isolation and append-only guards, to tamper with rows. Statements
	// use $n placeholders.
	Exec func(t *testing.T, sql string, args ...any)
	// QueryInt runs a query returning one integer, as the database owner.
	QueryInt func(t *testing.T, sql string, args ...any) int64
	// Sealed says the store encrypts the protected columns (a
	// key-encryption key is configured).
	Sealed bool
}

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Clinics", testClinics},
		{"ContentMovedToFiles", testContentMovedToFiles},
		{"ProvidersPayersPatients", testProvidersPayersPatients},
		{"Coverages", testCoverages},
		{"Registration", testRegistration},
		{"PayerUsage", testPayerUsage},
		{"ProtectedColumns", testProtectedColumns},
		{"MergePatients", testMergePatients},
		{"FHIRImports", testFHIRImports},
		{"AppointmentsEncountersCharges", testVisits},
		{"Claims", testClaims},
		{"Lookups", testLookups},
		{"ClaimStatus", testClaimStatus},
		{"ControlNumbers", testControlNumbers},
		{"ControlNumbersParallel", testControlNumbersParallel},
		{"Interchanges", testInterchanges},
		{"InboundFiles", testInboundFiles},
		{"Acknowledgments", testAcknowledgments},
		{"Remittances", testRemittances},
		{"Ledger", testLedger},
		{"LedgerSums", testLedgerSums},
		{"PatientPayments", testPatientPayments},
		{"Worklist", testWorklist},
		{"Audit", testAudit},
		{"AuditTamper", testAuditTamper},
		{"ClinicIsolation", testIsolation},
		{"ClinicIsolationEveryMethod", testIsolationEveryMethod},
		{"CrossClinicReferences", testCrossClinicReferences},
		{"Transactions", testTransactions},
		{"Queue", testQueue},
		{"JobRequests", testJobRequests},
		{"Bulk", testBulk},
		{"Chunk", testChunk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, h)
		})
	}
}

// fixture is a clinic with a payer, a provider and a patient.
type fixture struct {
	s        store.Store
	clinic   store.Clinic
	payer    store.Payer
	provider store.Provider
	patient  store.Patient
}

var clinicSeq atomic.Int64

func newFixture(t *testing.T, h Harness) fixture {
	t.Helper()
	ctx := context.Background()
	s := h.Store
	n := clinicSeq.Add(1)
	c, err := s.CreateClinic(ctx, store.CreateClinicParams{Name: fmt.Sprintf("%s clinic %d", t.Name(), n), NPI: "1234567893", TaxID: "123456789", SubmitterID: "CLEARHOUSE"})
	must(t, err)
	f := fixture{s: s, clinic: c}
	f.payer, err = s.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c.ID, PayerID: "87726", Name: "Example Health", ReceiverID: "EXHEALTH", ClaimFilingCode: "CI"})
	must(t, err)
	f.provider, err = s.CreateProvider(ctx, store.CreateProviderParams{ClinicID: c.ID, NPI: "1245319599", FirstName: "Ada", LastName: "Lovelace", TaxonomyCode: "207Q00000X"})
	must(t, err)
	f.patient, err = s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "MRN-1", FirstName: "Grace", LastName: "Hopper",
		BirthDate: date(1950, 12, 9), Sex: "F", City: "Arlington", State: "VA", PostalCode: "22201"})
	must(t, err)
	return f
}

func (f fixture) claim(t *testing.T, pcn string, cents int64) store.Claim {
	t.Helper()
	c, err := f.s.CreateClaim(context.Background(), store.CreateClaimParams{ClinicID: f.clinic.ID, PayerID: f.payer.ID, PatientID: f.patient.ID,
		PatientControlNumber: pcn, TotalChargeCents: cents, ServiceDateFrom: date(2025, 3, 4), ServiceDateTo: date(2025, 3, 4),
		Document: json.RawMessage(`{"pcn":"` + pcn + `"}`), Actor: "test"})
	must(t, err)
	return c
}

func (f fixture) ref(id int64) store.Ref { return store.Ref{ClinicID: f.clinic.ID, ID: id} }

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func testClinics(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	_, err := s.CreateClinic(ctx, store.CreateClinicParams{})
	wantErr(t, err, store.ErrInvalid)
	f := newFixture(t, h)
	got, err := s.GetClinic(ctx, store.GetClinicParams{ClinicID: f.clinic.ID})
	must(t, err)
	eq(t, "name", got.Name, f.clinic.Name)
	eq(t, "created location", got.CreatedAt.Location(), time.UTC)
	eq(t, "created precision", got.CreatedAt, got.CreatedAt.Truncate(time.Microsecond))
	up, err := s.UpdateClinic(ctx, store.UpdateClinicParams{ClinicID: f.clinic.ID, Name: "Renamed", NPI: "1", SubmitterID: "SUB"})
	must(t, err)
	eq(t, "renamed", up.Name, "Renamed")
	all, err := s.ListClinics(ctx)
	must(t, err)
	found := false
	for _, c := range all {
		found = found || c.ID == f.clinic.ID
	}
	eq(t, "clinic listed", found, true)
}

func testProvidersPayersPatients(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s := f.s
	cid := f.clinic.ID

	_, err := s.CreatePayer(ctx, store.CreatePayerParams{ClinicID: cid, PayerID: "87726", Name: "Duplicate"})
	wantErr(t, err, store.ErrConflict)
	p, err := s.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: cid, PayerID: "87726"})
	must(t, err)
	eq(t, "payer", p.ID, f.payer.ID)
	p, err = s.UpdatePayer(ctx, store.UpdatePayerParams{ClinicID: cid, ID: p.ID, PayerID: "87726", Name: "Renamed", Active: false})
	must(t, err)
	eq(t, "payer active", p.Active, false)
	payers, err := s.ListPayers(ctx, store.ListPayersParams{ClinicID: cid, ActiveOnly: true})
	must(t, err)
	eq(t, "active payers", len(payers), 0)

	pr, err := s.GetProvider(ctx, f.ref(f.provider.ID))
	must(t, err)
	eq(t, "provider taxonomy", pr.TaxonomyCode, "207Q00000X")
	pr.Active = false
	_, err = s.UpdateProvider(ctx, store.UpdateProviderParams{ClinicID: cid, ID: pr.ID, NPI: pr.NPI, LastName: "Byron", Active: true})
	must(t, err)
	provs, err := s.ListProviders(ctx, store.ListProvidersParams{ClinicID: cid, ActiveOnly: true})
	must(t, err)
	eq(t, "providers", len(provs), 1)
	eq(t, "provider name", provs[0].LastName, "Byron")

	pt, err := s.GetPatient(ctx, f.ref(f.patient.ID))
	must(t, err)
	eq(t, "birth date", pt.BirthDate, date(1950, 12, 9))
	_, err = s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: cid, MRN: "MRN-1", FirstName: "X", LastName: "Y"})
	wantErr(t, err, store.ErrConflict)
	_, err = s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: cid, MRN: "MRN-2", FirstName: "Alan", LastName: "Turing", BirthDate: time.Date(1912, 6, 23, 22, 30, 0, 0, time.FixedZone("x", -5*3600))})
	must(t, err)
	_, err = s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: cid, MRN: "MRN-3", FirstName: "Hop%", LastName: "Less"})
	must(t, err)
	list, err := s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, Name: "tur"})
	must(t, err)
	eq(t, "patients named tur", len(list), 1)
	eq(t, "birth date in UTC", list[0].BirthDate, date(1912, 6, 24))
	list, err = s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, Name: "hop%"})
	must(t, err)
	eq(t, "patients named hop%", len(list), 1)
	list, err = s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, Limit: 2})
	must(t, err)
	eq(t, "first page", len(list), 2)
	list, err = s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, AfterID: list[1].ID})
	must(t, err)
	eq(t, "second page", len(list), 1)
	up, err := s.UpdatePatient(ctx, store.UpdatePatientParams{ClinicID: cid, ID: pt.ID, MRN: pt.MRN, FirstName: "Grace", LastName: "Murray Hopper"})
	must(t, err)
	eq(t, "updated name", up.LastName, "Murray Hopper")
	eq(t, "birth date cleared", up.BirthDate.IsZero(), true)
	_, err = s.GetPatient(ctx, f.ref(1<<40))
	wantErr(t, err, store.ErrNotFound)
}

func testCoverages(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	c, err := s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: cid, PatientID: f.patient.ID, PayerID: f.payer.ID,
		MemberID: "W123456789", RelationshipCode: "18", EffectiveFrom: date(2025, 1, 1)})
	must(t, err)
	eq(t, "priority", c.Priority, 1)
	eq(t, "eligibility", c.EligibilityStatus, store.EligibilityUnknown)
	eq(t, "effective to", c.EffectiveTo.IsZero(), true)
	checked := time.Date(2025, 3, 1, 6, 0, 0, 123456789, time.UTC)
	c, err = s.RecordEligibility(ctx, store.RecordEligibilityParams{ClinicID: cid, CoverageID: c.ID, Status: store.EligibilityActive,
		CheckedAt: checked, Benefits: json.RawMessage(`{"copay_cents": 2500}`)})
	must(t, err)
	eq(t, "eligibility", c.EligibilityStatus, store.EligibilityActive)
	eq(t, "checked at", *c.EligibilityChecked, checked.Truncate(time.Microsecond))
	var b map[string]int
	must(t, json.Unmarshal(c.Benefits, &b))
	eq(t, "copay", b["copay_cents"], 2500)
	_, err = s.RecordEligibility(ctx, store.RecordEligibilityParams{ClinicID: cid, CoverageID: c.ID, Status: "maybe"})
	wantErr(t, err, store.ErrInvalid)
	_, err = s.RecordEligibility(ctx, store.RecordEligibilityParams{ClinicID: cid, CoverageID: c.ID, Status: store.EligibilityActive, Benefits: json.RawMessage(`{`)})
	wantErr(t, err, store.ErrInvalid)
	c, err = s.UpdateCoverage(ctx, store.UpdateCoverageParams{ClinicID: cid, ID: c.ID, PayerID: f.payer.ID, MemberID: "W2", Priority: 2})
	must(t, err)
	eq(t, "member", c.MemberID, "W2")
	list, err := s.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: cid, PatientID: f.patient.ID})
	must(t, err)
	eq(t, "coverages", len(list), 1)
	_, err = s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: cid, PatientID: f.patient.ID, PayerID: 1 << 40, MemberID: "X"})
	wantErr(t, err, store.ErrInvalidReference)
}

func testVisits(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	est := time.FixedZone("EST", -5*3600)
	start := time.Date(2025, 3, 4, 9, 30, 0, 0, est)
	a, err := s.CreateAppointment(ctx, store.CreateAppointmentParams{ClinicID: cid, PatientID: f.patient.ID, ProviderID: f.provider.ID,
		StartsAt: start, EndsAt: start.Add(30 * time.Minute), Reason: "follow-up"})
	must(t, err)
	eq(t, "status", a.Status, store.AppointmentBooked)
	eq(t, "starts in UTC", a.StartsAt, start.UTC())
	eq(t, "location", a.StartsAt.Location(), time.UTC)
	_, err = s.CreateAppointment(ctx, store.CreateAppointmentParams{ClinicID: cid, PatientID: f.patient.ID, ProviderID: f.provider.ID,
		StartsAt: start.Add(24 * time.Hour), EndsAt: start.Add(25 * time.Hour)})
	must(t, err)
	day, err := s.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: cid, From: date(2025, 3, 4), To: date(2025, 3, 5)})
	must(t, err)
	eq(t, "appointments on the 4th", len(day), 1)
	a, err = s.UpdateAppointment(ctx, store.UpdateAppointmentParams{ClinicID: cid, ID: a.ID, ProviderID: a.ProviderID, StartsAt: a.StartsAt,
		EndsAt: a.EndsAt, Status: store.AppointmentNoShow})
	must(t, err)
	noShows, err := s.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: cid, Statuses: []string{store.AppointmentNoShow}})
	must(t, err)
	eq(t, "no-shows", len(noShows), 1)

	e, err := s.CreateEncounter(ctx, store.CreateEncounterParams{ClinicID: cid, PatientID: f.patient.ID, ProviderID: f.provider.ID,
		AppointmentID: &a.ID, ServiceDate: date(2025, 3, 4), PlaceOfService: "11", DiagnosisCodes: []string{"E119", "I10"}})
	must(t, err)
	eq(t, "diagnoses", len(e.DiagnosisCodes), 2)
	eq(t, "service date", e.ServiceDate, date(2025, 3, 4))
	e.Status = store.EncounterReady
	e, err = s.UpdateEncounter(ctx, store.UpdateEncounterParams{ClinicID: cid, ID: e.ID, ProviderID: e.ProviderID, ServiceDate: e.ServiceDate,
		PlaceOfService: "11", DiagnosisCodes: []string{"E119"}, Status: store.EncounterReady})
	must(t, err)
	encs, err := s.ListEncounters(ctx, store.ListEncountersParams{ClinicID: cid, Statuses: []string{store.EncounterReady}, From: date(2025, 3, 1), To: date(2025, 3, 31)})
	must(t, err)
	eq(t, "ready encounters", len(encs), 1)

	ch, err := s.CreateCharge(ctx, store.CreateChargeParams{ClinicID: cid, EncounterID: e.ID, LineNumber: 1, ProcedureCode: "99213",
		Modifiers: []string{"25"}, DiagnosisPointers: []int{1}, ChargeCents: 12500, ServiceDate: date(2025, 3, 4)})
	must(t, err)
	eq(t, "units", ch.UnitsMilli, int64(1000))
	eq(t, "modifier", ch.Modifiers[0], "25")
	eq(t, "pointer", ch.DiagnosisPointers[0], 1)
	_, err = s.CreateCharge(ctx, store.CreateChargeParams{ClinicID: cid, EncounterID: e.ID, LineNumber: 2, ProcedureCode: "36415", ChargeCents: 1500})
	must(t, err)
	cl := f.claim(t, "PCN-V1", 14000)
	_, err = s.UpdateCharge(ctx, store.UpdateChargeParams{ClinicID: cid, ID: ch.ID, ProcedureCode: "99213", ChargeCents: 12500, ClaimID: &cl.ID})
	must(t, err)
	unbilled, err := s.ListCharges(ctx, store.ListChargesParams{ClinicID: cid, EncounterID: e.ID, Unbilled: true})
	must(t, err)
	eq(t, "unbilled", len(unbilled), 1)
	billed, err := s.ListCharges(ctx, store.ListChargesParams{ClinicID: cid, ClaimID: cl.ID})
	must(t, err)
	eq(t, "billed", len(billed), 1)
	eq(t, "modifiers cleared", len(billed[0].Modifiers), 0)
}

func testClaims(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	c := f.claim(t, "PCN-1", 15075)
	eq(t, "status", c.Status, claim.StatusDraft)
	eq(t, "frequency", c.FrequencyCode, "1")
	eq(t, "kind", c.Kind, store.ClaimProfessional)
	eq(t, "cents", c.TotalChargeCents, int64(15075))
	eq(t, "from", c.ServiceDateFrom, date(2025, 3, 4))
	var doc map[string]string
	must(t, json.Unmarshal(c.Document, &doc))
	eq(t, "document", doc["pcn"], "PCN-1")

	_, err := s.CreateClaim(ctx, store.CreateClaimParams{ClinicID: cid, PayerID: f.payer.ID, PatientID: f.patient.ID, PatientControlNumber: "PCN-1"})
	wantErr(t, err, store.ErrConflict)
	_, err = s.CreateClaim(ctx, store.CreateClaimParams{ClinicID: cid, PayerID: f.payer.ID, PatientID: f.patient.ID, PatientControlNumber: "PCN-X", Document: json.RawMessage("not json")})
	wantErr(t, err, store.ErrInvalid)
	_, err = s.CreateClaim(ctx, store.CreateClaimParams{ClinicID: cid, PayerID: f.payer.ID, PatientID: 1 << 40, PatientControlNumber: "PCN-Y"})
	wantErr(t, err, store.ErrInvalidReference)

	got, err := s.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: cid, PatientControlNumber: "PCN-1"})
	must(t, err)
	eq(t, "by pcn", got.ID, c.ID)
	got, err = s.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: cid, ID: c.ID, PayerClaimControlNumber: ptr("ICN-77"),
		TotalChargeCents: ptr(int64(16000)), Document: json.RawMessage(`{"pcn":"PCN-1","v":"2"}`)})
	must(t, err)
	eq(t, "icn", got.PayerClaimControlNumber, "ICN-77")
	eq(t, "cents", got.TotalChargeCents, int64(16000))
	eq(t, "kept from", got.ServiceDateFrom, date(2025, 3, 4))
	got, err = s.GetClaimByPayerClaimControlNumber(ctx, store.GetClaimByPayerClaimControlNumberParams{ClinicID: cid, PayerClaimControlNumber: "ICN-77"})
	must(t, err)
	eq(t, "by icn", got.ID, c.ID)

	replacement, err := s.CreateClaim(ctx, store.CreateClaimParams{ClinicID: cid, PayerID: f.payer.ID, PatientID: f.patient.ID,
		PatientControlNumber: "PCN-1R", FrequencyCode: "7", OriginalClaimID: &c.ID, PayerClaimControlNumber: "ICN-77", Status: claim.StatusReady})
	must(t, err)
	eq(t, "original", *replacement.OriginalClaimID, c.ID)

	payer2, err := s.CreatePayer(ctx, store.CreatePayerParams{ClinicID: cid, PayerID: "60054", Name: "Other"})
	must(t, err)
	for i := range 5 {
		_, err := s.CreateClaim(ctx, store.CreateClaimParams{ClinicID: cid, PayerID: payer2.ID, PatientID: f.patient.ID,
			PatientControlNumber: fmt.Sprintf("PCN-P2-%d", i), Status: claim.StatusReady})
		must(t, err)
	}
	ready, err := s.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, Statuses: []claim.Status{claim.StatusReady}})
	must(t, err)
	eq(t, "ready", len(ready), 6)
	ready, err = s.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, Statuses: []claim.Status{claim.StatusReady, claim.StatusDraft}, PayerID: payer2.ID, Limit: 3})
	must(t, err)
	eq(t, "ready for payer2 page 1", len(ready), 3)
	ready, err = s.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, PayerID: payer2.ID, AfterID: ready[2].ID})
	must(t, err)
	eq(t, "payer2 page 2", len(ready), 2)
	inMarch, err := s.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, ServiceFrom: date(2025, 3, 1), ServiceTo: date(2025, 3, 31)})
	must(t, err)
	eq(t, "claims in March", len(inMarch), 1)
}

func testClaimStatus(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	c := f.claim(t, "PCN-S", 100)
	steps := []struct{ from, to claim.Status }{
		{claim.StatusDraft, claim.StatusReady},
		{claim.StatusReady, claim.StatusSubmitted},
		{claim.StatusSubmitted, claim.StatusAccepted},
		{"", claim.StatusPaid},
	}
	for _, st := range steps {
		_, err := s.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: cid, ID: c.ID, From: st.from, Status: st.to, Reason: "step " + string(st.to), Actor: "biller"})
		must(t, err)
	}
	_, err := s.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: cid, ID: c.ID, From: claim.StatusSubmitted, Status: claim.StatusDenied})
	wantErr(t, err, store.ErrConflict)
	_, err = s.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: cid, ID: c.ID, Status: "lost"})
	wantErr(t, err, store.ErrInvalid)
	_, err = s.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: cid, ID: 1 << 40, Status: claim.StatusPaid})
	wantErr(t, err, store.ErrNotFound)
	hist, err := s.ListClaimStatusHistory(ctx, f.ref(c.ID))
	must(t, err)
	want := []string{"->draft", "draft->ready", "ready->submitted", "submitted->accepted", "accepted->paid"}
	eq(t, "history length", len(hist), len(want))
	for i, hc := range hist {
		eq(t, "history", string(hc.FromStatus)+"->"+string(hc.ToStatus), want[i])
	}
	eq(t, "actor", hist[1].Actor, "biller")
	got, err := s.GetClaim(ctx, f.ref(c.ID))
	must(t, err)
	eq(t, "status", got.Status, claim.StatusPaid)
}

func testControlNumbers(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	sender := fmt.Sprintf("CN%d", clinicSeq.Add(1))
	a, err := s.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: sender, ReceiverID: "PAYER1", Groups: 1, TransactionSets: 3})
	must(t, err)
	eq(t, "first", a, store.ControlNumbers{Interchange: 1, FirstGroup: 1, FirstTransactionSet: 1})
	b, err := s.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: sender, ReceiverID: "PAYER1", Groups: 2, TransactionSets: 2})
	must(t, err)
	eq(t, "second", b, store.ControlNumbers{Interchange: 2, FirstGroup: 2, FirstTransactionSet: 4})
	c, err := s.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: sender, ReceiverID: "PAYER2", Groups: 1})
	must(t, err)
	eq(t, "other receiver", c, store.ControlNumbers{Interchange: 1, FirstGroup: 1})
	_, err = s.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: sender})
	wantErr(t, err, store.ErrInvalid)
	// Wrap after 999999999.
	h.Exec(t, "UPDATE control_numbers SET interchange = 999999999, group_number = 999999998 WHERE sender_id = $1 AND receiver_id = 'PAYER2'", sender)
	d, err := s.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: sender, ReceiverID: "PAYER2", Groups: 2, TransactionSets: 1})
	must(t, err)
	eq(t, "wrapped", d, store.ControlNumbers{Interchange: 1, FirstGroup: 1, FirstTransactionSet: 1})
}

func testControlNumbersParallel(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	sender := fmt.Sprintf("PAR%d", clinicSeq.Add(1))
	const workers, each = 8, 25
	var wg sync.WaitGroup
	results := make([][]store.ControlNumbers, workers)
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				n, err := s.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: sender, ReceiverID: "RCV", Groups: 1, TransactionSets: 2})
				if err != nil {
					errs[w] = err
					return
				}
				results[w] = append(results[w], n)
			}
		}()
	}
	wg.Wait()
	seenISA := map[int64]bool{}
	seenST := map[int64]bool{}
	for w, rs := range results {
		must(t, errs[w])
		for i, n := range rs {
			if seenISA[n.Interchange] {
				t.Fatalf("ISA13 %d allocated twice", n.Interchange)
			}
			seenISA[n.Interchange] = true
			for k := range int64(2) {
				if seenST[n.FirstTransactionSet+k] {
					t.Fatalf("ST02 %d allocated twice", n.FirstTransactionSet+k)
				}
				seenST[n.FirstTransactionSet+k] = true
			}
			if i > 0 && (n.Interchange <= rs[i-1].Interchange || n.FirstGroup <= rs[i-1].FirstGroup || n.FirstTransactionSet <= rs[i-1].FirstTransactionSet) {
				t.Fatalf("allocator %d: %+v after %+v is not increasing", w, n, rs[i-1])
			}
			eq(t, "GS06 follows ISA13", n.FirstGroup, n.Interchange)
		}
	}
	eq(t, "distinct ISA13", len(seenISA), workers*each)
	for i := int64(1); i <= workers*each; i++ {
		if !seenISA[i] {
			t.Fatalf("ISA13 %d never allocated: numbers are not contiguous", i)
		}
	}
}

func testInterchanges(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	content := []byte("ISA*00*...~IEA*1*000000001~")
	var x store.Interchange
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		n, err := tx.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: fmt.Sprintf("IX%d", cid), ReceiverID: "EXHEALTH", Groups: 1, TransactionSets: 1})
		if err != nil {
			return err
		}
		x, err = tx.CreateInterchange(ctx, store.CreateInterchangeParams{PayerID: &f.payer.ID, SenderID: fmt.Sprintf("IX%d", cid), ReceiverID: "EXHEALTH",
			ControlNumber: n.Interchange, GroupControlNumber: n.FirstGroup, FirstSetControlNumber: n.FirstTransactionSet, SetCount: 1,
			TransactionSet: "837P", ClaimCount: 1, FileName: "837P-000000001.x12", Body: bytes.NewReader(content)})
		return err
	}))
	eq(t, "status", x.Status, store.InterchangeCreated)
	eq(t, "size", x.SizeBytes, int64(len(content)))
	eq(t, "checksum length", len(x.Checksum), 64)
	eq(t, "content", readContent(t, s, x.ContentID), string(content))
	_, err := s.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: cid, SenderID: "A", ReceiverID: "B", ControlNumber: 1_000_000_000})
	wantErr(t, err, store.ErrInvalid)

	found, err := s.FindInterchange(ctx, store.FindInterchangeParams{ClinicID: cid, SenderID: x.SenderID, ReceiverID: "EXHEALTH", ControlNumber: x.ControlNumber})
	must(t, err)
	eq(t, "by ISA13", found.ID, x.ID)
	found, err = s.FindInterchange(ctx, store.FindInterchangeParams{ClinicID: cid, SenderID: x.SenderID, ReceiverID: "EXHEALTH", GroupControlNumber: x.GroupControlNumber})
	must(t, err)
	eq(t, "by GS06", found.ID, x.ID)
	_, err = s.FindInterchange(ctx, store.FindInterchangeParams{ClinicID: cid, SenderID: x.SenderID, ReceiverID: "EXHEALTH", ControlNumber: 999})
	wantErr(t, err, store.ErrNotFound)

	up, err := s.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: cid, ID: x.ID, Status: store.InterchangeFailed, Attempt: true, LastError: "connection refused"})
	must(t, err)
	eq(t, "attempts", up.TransferAttempts, 1)
	at := time.Date(2025, 3, 5, 2, 0, 0, 0, time.UTC)
	up, err = s.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: cid, ID: x.ID, Status: store.InterchangeUploaded, Attempt: true,
		RemotePath: "/inbound/837P-000000001.x12", UploadedAt: &at})
	must(t, err)
	eq(t, "attempts", up.TransferAttempts, 2)
	eq(t, "uploaded at", *up.UploadedAt, at)
	eq(t, "error cleared", up.LastError, "")
	list, err := s.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: cid, Statuses: []string{store.InterchangeUploaded}})
	must(t, err)
	eq(t, "uploaded", len(list), 1)
	eq(t, "list names the content", list[0].ContentID, x.ContentID)
	eq(t, "remote path", list[0].RemotePath, "/inbound/837P-000000001.x12")

	cl := f.claim(t, "PCN-IX", 100)
	cl, err = s.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: cid, ID: cl.ID, InterchangeID: &x.ID})
	must(t, err)
	claims, err := s.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, InterchangeID: x.ID})
	must(t, err)
	eq(t, "claims in interchange", len(claims), 1)
}

func testInboundFiles(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	content := []byte("ISA*00*          *00*          *ZZ*EXHEALTH ...~")
	a, created, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: cid, FileName: "999-1.x12", Source: "sftp:/outbound", Body: bytes.NewReader(content)})
	must(t, err)
	eq(t, "created", created, true)
	eq(t, "state", a.State, store.InboundReceived)
	b, created, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: cid, FileName: "999-1-again.x12", Body: bytes.NewReader(content)})
	must(t, err)
	eq(t, "created again", created, false)
	eq(t, "same row", b.ID, a.ID)
	eq(t, "first name kept", b.FileName, "999-1.x12")
	other, created, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: cid, FileName: "835.x12", FileType: "835", Body: strings.NewReader("other")})
	must(t, err)
	eq(t, "other created", created, true)
	g := newFixture(t, h)
	c, created, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: g.clinic.ID, FileName: "999-1.x12", Body: bytes.NewReader(content)})
	must(t, err)
	eq(t, "another clinic's copy is its own", created, true)
	if c.ID == a.ID {
		t.Fatal("another clinic got this clinic's file")
	}

	done := time.Date(2025, 3, 5, 3, 0, 0, 0, time.UTC)
	a, err = s.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: cid, ID: a.ID, State: store.InboundProcessed, FileType: "999", ProcessedAt: &done})
	must(t, err)
	eq(t, "type", a.FileType, "999")
	eq(t, "processed at", *a.ProcessedAt, done)
	_, err = s.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: cid, ID: other.ID, State: store.InboundQuarantined, QuarantineReason: "ISA16 missing"})
	must(t, err)
	q, err := s.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: cid, States: []string{store.InboundQuarantined}})
	must(t, err)
	eq(t, "quarantined", len(q), 1)
	eq(t, "reason", q[0].QuarantineReason, "ISA16 missing")
	eq(t, "file type kept", q[0].FileType, "835")
	held, err := s.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: cid, ID: other.ID, State: store.InboundHeld, Error: "BPR02 does not balance"})
	must(t, err)
	eq(t, "held", held.State, store.InboundHeld)
	hs, err := s.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: cid, States: []string{store.InboundHeld}})
	must(t, err)
	eq(t, "held files", len(hs), 1)
	_, err = s.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: cid, ID: other.ID, State: "lost"})
	wantErr(t, err, store.ErrInvalid)
	full, err := s.GetInboundFile(ctx, f.ref(a.ID))
	must(t, err)
	eq(t, "content", readContent(t, s, full.ContentID), string(content))
	eq(t, "a duplicate keeps the first file", b.ContentID, a.ContentID)
	// A body put before the transaction: recorded as a duplicate, its
	// copy is removed.
	stored, err := s.PutContent(ctx, bytes.NewReader(content))
	must(t, err)
	eq(t, "put checksum", stored.SHA256, a.Checksum)
	dup, created, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: cid, FileName: "999-1-third.x12", Stored: &stored})
	must(t, err)
	eq(t, "stored duplicate created", created, false)
	eq(t, "stored duplicate row", dup.ID, a.ID)
	if r, err := s.OpenContent(ctx, stored.ID); err == nil {
		r.Close()
		t.Error("the duplicate's stored copy was kept")
	}
	fresh, err := s.PutContent(ctx, strings.NewReader("ISA*put first~"))
	must(t, err)
	d, created, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: cid, FileName: "put-first.x12", Stored: &fresh})
	must(t, err)
	eq(t, "stored created", created, true)
	eq(t, "stored content", readContent(t, s, d.ContentID), "ISA*put first~")
	discarded, err := s.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: cid, ID: other.ID, State: store.InboundDiscarded,
		Error: "discarded: the payer resends a corrected 835"})
	must(t, err)
	eq(t, "discarded", discarded.State, store.InboundDiscarded)
	eq(t, "discarded content kept", readContent(t, s, discarded.ContentID), "other")
	ds, err := s.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: cid, States: []string{store.InboundDiscarded}})
	must(t, err)
	eq(t, "discarded files", len(ds), 1)
}

func testAcknowledgments(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	x, err := s.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: cid, SenderID: "S", ReceiverID: "R", ControlNumber: 7, Body: strings.NewReader("x")})
	must(t, err)
	file, _, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: cid, FileName: "ta1", Body: strings.NewReader("ta1")})
	must(t, err)
	cl := f.claim(t, "PCN-ACK", 100)
	_, err = s.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{ClinicID: cid, InboundFileID: &file.ID, InterchangeID: &x.ID, Kind: store.AckTA1,
		ControlNumber: "000000007", Code: "A", Accepted: true})
	must(t, err)
	ack, err := s.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{ClinicID: cid, InterchangeID: &x.ID, ClaimID: &cl.ID, Kind: store.Ack277CA,
		Code: "A7", Details: json.RawMessage(`{"stc":"A7:21"}`)})
	must(t, err)
	eq(t, "accepted", ack.Accepted, false)
	_, err = s.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{ClinicID: cid, Kind: "997"})
	wantErr(t, err, store.ErrInvalid)
	list, err := s.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: cid, InterchangeID: x.ID})
	must(t, err)
	eq(t, "acks for interchange", len(list), 2)
	list, err = s.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: cid, ClaimID: cl.ID})
	must(t, err)
	eq(t, "acks for claim", len(list), 1)
	eq(t, "kind", list[0].Kind, store.Ack277CA)
}

func testRemittances(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	file, _, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: cid, FileName: "835", Body: strings.NewReader("835")})
	must(t, err)
	params := store.CreateRemittanceParams{ClinicID: cid, InboundFileID: &file.ID, PayerID: &f.payer.ID, PayerIdentifier: "1870000001",
		TraceNumber: "12345", PaymentMethod: "ACH", PaymentCents: 9000, PaymentDate: date(2025, 3, 20), FileChecksum: file.Checksum}
	r, created, err := s.CreateRemittance(ctx, params)
	must(t, err)
	eq(t, "created", created, true)
	eq(t, "payment date", r.PaymentDate, date(2025, 3, 20))
	params.FileChecksum = "another file"
	again, created, err := s.CreateRemittance(ctx, params)
	must(t, err)
	eq(t, "posted twice", created, false)
	eq(t, "same remittance", again.ID, r.ID)

	cl := f.claim(t, "PCN-R", 12000)
	p, err := s.CreateClaimPayment(ctx, store.CreateClaimPaymentParams{ClinicID: cid, RemittanceID: r.ID, ClaimID: &cl.ID, PatientControlNumber: "PCN-R",
		StatusCode: "1", ChargeCents: 12000, PaidCents: 9000, PatientResponsibilityCents: 2000, PayerClaimControlNumber: "ICN1",
		Adjustments: []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 1000}, {GroupCode: "PR", ReasonCode: "2", AmountCents: 2000, ServiceLine: 1}}})
	must(t, err)
	eq(t, "adjustments", len(p.Adjustments), 2)
	unmatched, err := s.CreateClaimPayment(ctx, store.CreateClaimPaymentParams{ClinicID: cid, RemittanceID: r.ID, PatientControlNumber: "UNKNOWN", StatusCode: "4"})
	must(t, err)
	_, err = s.CreateClaimPayment(ctx, store.CreateClaimPaymentParams{ClinicID: cid, RemittanceID: r.ID, PatientControlNumber: "X", StatusCode: "1",
		Adjustments: []store.ClaimAdjustment{{GroupCode: "CO"}}})
	wantErr(t, err, store.ErrInvalid)

	byClaim, err := s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, ClaimID: cl.ID})
	must(t, err)
	eq(t, "payments for claim", len(byClaim), 1)
	eq(t, "adjustments loaded", len(byClaim[0].Adjustments), 2)
	eq(t, "PR amount", byClaim[0].Adjustments[1].AmountCents, int64(2000))
	eq(t, "service line", byClaim[0].Adjustments[1].ServiceLine, 1)
	um, err := s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, Unmatched: true})
	must(t, err)
	eq(t, "unmatched", len(um), 1)
	cl2 := f.claim(t, "PCN-R2", 500)
	m, err := s.MatchClaimPayment(ctx, store.MatchClaimPaymentParams{ClinicID: cid, ID: unmatched.ID, ClaimID: cl2.ID})
	must(t, err)
	eq(t, "matched", *m.ClaimID, cl2.ID)
	_, err = s.MatchClaimPayment(ctx, store.MatchClaimPaymentParams{ClinicID: cid, ID: 1 << 40, ClaimID: cl2.ID})
	wantErr(t, err, store.ErrNotFound)
	all, err := s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, RemittanceID: r.ID})
	must(t, err)
	eq(t, "payments in remittance", len(all), 2)
	byICN, err := s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, PayerClaimControlNumbers: []string{"ICN0", "ICN1"}})
	must(t, err)
	eq(t, "payments by CLP07", len(byICN), 1)
	eq(t, "payment by CLP07", byICN[0].ID, p.ID)
	eq(t, "its adjustments", len(byICN[0].Adjustments), 2)
	none, err := s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, PayerClaimControlNumbers: []string{"ICN9"}})
	must(t, err)
	eq(t, "no payment by an unknown CLP07", len(none), 0)
	g := newFixture(t, h)
	other, err := s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: g.clinic.ID, PayerClaimControlNumbers: []string{"ICN1"}})
	must(t, err)
	eq(t, "another clinic's payments by CLP07", len(other), 0)
	rs, err := s.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: cid, PayerID: f.payer.ID})
	must(t, err)
	eq(t, "remittances", len(rs), 1)
}

func testLedger(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	cl := f.claim(t, "PCN-L", 12000)
	post := store.PostLedgerTransactionParams{ClinicID: cid, IdempotencyKey: "charge:PCN-L", Description: "charge", EffectiveDate: date(2025, 3, 4),
		Lines: []store.LedgerLine{
			{Account: "ar:insurance", AmountCents: 12000, ClaimID: &cl.ID, PatientID: &f.patient.ID},
			{Account: "revenue", AmountCents: -12000, ClaimID: &cl.ID},
		}}
	tx, created, err := s.PostLedgerTransaction(ctx, post)
	must(t, err)
	eq(t, "created", created, true)
	eq(t, "entries", len(tx.Entries), 2)
	again, created, err := s.PostLedgerTransaction(ctx, post)
	must(t, err)
	eq(t, "posted twice", created, false)
	eq(t, "same transaction", again.ID, tx.ID)
	eq(t, "same entries", len(again.Entries), 2)
	_, _, err = s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: cid, IdempotencyKey: "bad",
		Lines: []store.LedgerLine{{Account: "a", AmountCents: 1}, {Account: "b", AmountCents: -2}}})
	wantErr(t, err, store.ErrInvalid)
	_, _, err = s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: cid, IdempotencyKey: "pay:1", EffectiveDate: date(2025, 3, 20),
		Lines: []store.LedgerLine{{Account: "cash", AmountCents: 9000}, {Account: "ar:insurance", AmountCents: -9000, ClaimID: &cl.ID}}})
	must(t, err)
	bal, err := s.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: cid, Account: "ar:insurance", ClaimID: cl.ID})
	must(t, err)
	eq(t, "A/R on claim", bal, int64(3000))
	bal, err = s.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: cid})
	must(t, err)
	eq(t, "books balance", bal, int64(0))
	march20, err := s.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: cid, From: date(2025, 3, 20), To: date(2025, 3, 20)})
	must(t, err)
	eq(t, "entries on the 20th", len(march20), 2)
	pat, err := s.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: cid, PatientID: f.patient.ID})
	must(t, err)
	eq(t, "entries for patient", len(pat), 1)
	_, _, err = s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: cid, IdempotencyKey: "badref",
		Lines: []store.LedgerLine{{Account: "a", AmountCents: 1, ClaimID: ptr(int64(1 << 40))}, {Account: "b", AmountCents: -1}}})
	wantErr(t, err, store.ErrInvalidReference)
}

func testWorklist(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	cl := f.claim(t, "PCN-W", 5000)
	items := []store.CreateWorklistItemParams{
		{Kind: store.WorkDenial, ClaimID: &cl.ID, PayerID: &f.payer.ID, AmountCents: 5000, Title: "CO-50", DedupeKey: "denial:PCN-W", Priority: 2},
		{Kind: store.WorkScrubFailure, ClaimID: &cl.ID, PayerID: &f.payer.ID, AmountCents: 100, Title: "NPI", Assignee: "kim"},
		{Kind: store.WorkEligibility, PatientID: &f.patient.ID, Title: "inactive", Priority: 5},
	}
	var ids []int64
	for _, it := range items {
		it.ClinicID = cid
		w, created, err := s.CreateWorklistItem(ctx, it)
		must(t, err)
		eq(t, "created", created, true)
		ids = append(ids, w.ID)
	}
	dup, created, err := s.CreateWorklistItem(ctx, store.CreateWorklistItemParams{ClinicID: cid, Kind: store.WorkDenial, DedupeKey: "denial:PCN-W"})
	must(t, err)
	eq(t, "duplicate created", created, false)
	eq(t, "duplicate id", dup.ID, ids[0])
	eq(t, "dedupe key", dup.DedupeKey, "denial:PCN-W")

	cases := []struct {
		name string
		p    store.ListWorklistItemsParams
		want []int64
	}{
		{"all", store.ListWorklistItemsParams{}, ids},
		{"denials", store.ListWorklistItemsParams{Kinds: []string{store.WorkDenial}}, ids[:1]},
		{"payer", store.ListWorklistItemsParams{PayerID: f.payer.ID}, ids[:2]},
		{"assignee", store.ListWorklistItemsParams{Assignee: "kim"}, ids[1:2]},
		{"unassigned", store.ListWorklistItemsParams{Unassigned: true}, []int64{ids[0], ids[2]}},
		{"amount", store.ListWorklistItemsParams{MinAmountCents: 1000}, ids[:1]},
		{"amount range", store.ListWorklistItemsParams{MinAmountCents: 1, MaxAmountCents: 1000}, ids[1:2]},
		{"by amount", store.ListWorklistItemsParams{OrderBy: store.WorkOrderAmountDesc}, []int64{ids[0], ids[1], ids[2]}},
		{"by priority", store.ListWorklistItemsParams{OrderBy: store.WorkOrderPriorityDesc}, []int64{ids[2], ids[0], ids[1]}},
		{"older than the future", store.ListWorklistItemsParams{CreatedBefore: time.Now().Add(time.Hour)}, ids},
		{"older than the past", store.ListWorklistItemsParams{CreatedBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}, nil},
		{"open", store.ListWorklistItemsParams{Statuses: []string{store.WorkOpen}}, ids},
	}
	for _, c := range cases {
		c.p.ClinicID = cid
		got, err := s.ListWorklistItems(ctx, c.p)
		must(t, err)
		if len(got) != len(c.want) {
			t.Fatalf("%s: %d items, want %d", c.name, len(got), len(c.want))
		}
		for i := range got {
			eq(t, c.name, got[i].ID, c.want[i])
		}
	}
	w, err := s.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: cid, ID: ids[0], Status: ptr(store.WorkResolved), Resolution: ptr("appealed")})
	must(t, err)
	eq(t, "resolved", w.ResolvedAt != nil, true)
	eq(t, "assignee kept", w.Assignee, "")
	eq(t, "title kept", w.Title, "CO-50")
	w, err = s.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: cid, ID: ids[0], Status: ptr(store.WorkOpen), Assignee: ptr("lee")})
	must(t, err)
	eq(t, "reopened", w.ResolvedAt == nil, true)
	eq(t, "assigned", w.Assignee, "lee")
	_, err = s.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: cid, OrderBy: "random"})
	wantErr(t, err, store.ErrInvalid)
}

func testAudit(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	v, err := s.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: cid})
	must(t, err)
	eq(t, "empty chain ok", v.OK(), true)
	var last store.AuditEvent
	for i := range 5 {
		last, err = s.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: cid, Actor: "kim", Action: "claim.update",
			EntityType: "claim", EntityID: fmt.Sprint(i), Details: json.RawMessage(`{"b":2,"a":1}`)})
		must(t, err)
	}
	eq(t, "seq", last.Seq, int64(5))
	eq(t, "details kept byte for byte", string(last.Details), `{"b":2,"a":1}`)
	events, err := s.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: cid, AfterSeq: 2})
	must(t, err)
	eq(t, "events after 2", len(events), 3)
	eq(t, "linked", events[0].PrevHash != "" && events[1].PrevHash == events[0].Hash, true)
	eq(t, "hash", store.AuditHash(events[2]), events[2].Hash)
	v, err = s.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: cid})
	must(t, err)
	eq(t, "chain ok", v.OK(), true)
	eq(t, "events", v.Events, int64(5))
	_, err = s.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: cid, Action: "x"})
	wantErr(t, err, store.ErrInvalid)

	// Concurrent appends keep one chain.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := s.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: cid, Actor: "worker", Action: "post"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	v, err = s.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: cid})
	must(t, err)
	eq(t, "chain ok after concurrent appends", v.OK(), true)
	eq(t, "events", v.Events, int64(25))
}

func testAuditTamper(t *testing.T, h Harness) {
	ctx := context.Background()
	cases := []struct {
		name   string
		tamper func(t *testing.T, cid int64, events []store.AuditEvent)
		seq    int64
		kind   string
	}{
		{"altered details", func(t *testing.T, cid int64, _ []store.AuditEvent) {
			h.Exec(t, `UPDATE audit_events SET details = '{"amount":1}' WHERE clinic_id = $1 AND seq = 3`, cid)
		}, 3, store.AuditAltered},
		{"altered actor", func(t *testing.T, cid int64, _ []store.AuditEvent) {
			h.Exec(t, `UPDATE audit_events SET actor = 'mallory' WHERE clinic_id = $1 AND seq = 4`, cid)
		}, 4, store.AuditAltered},
		{"deleted", func(t *testing.T, cid int64, _ []store.AuditEvent) {
			h.Exec(t, `DELETE FROM audit_events WHERE clinic_id = $1 AND seq = 2`, cid)
		}, 2, store.AuditDeleted},
		{"deleted and renumbered", func(t *testing.T, cid int64, _ []store.AuditEvent) {
			h.Exec(t, `DELETE FROM audit_events WHERE clinic_id = $1 AND seq = 3`, cid)
			h.Exec(t, `UPDATE audit_events SET seq = seq + 100 WHERE clinic_id = $1 AND seq > 3`, cid)
			h.Exec(t, `UPDATE audit_events SET seq = seq - 101 WHERE clinic_id = $1 AND seq > 100`, cid)
			h.Exec(t, `UPDATE audit_heads SET last_seq = last_seq - 1 WHERE clinic_id = $1`, cid)
		}, 3, store.AuditDeleted},
		{"deleted newest", func(t *testing.T, cid int64, _ []store.AuditEvent) {
			h.Exec(t, `DELETE FROM audit_events WHERE clinic_id = $1 AND seq = 5`, cid)
		}, 5, store.AuditDeleted},
		{"inserted with a valid hash", func(t *testing.T, cid int64, events []store.AuditEvent) {
			h.Exec(t, `UPDATE audit_events SET seq = seq + 100 WHERE clinic_id = $1 AND seq >= 3`, cid)
			h.Exec(t, `UPDATE audit_events SET seq = seq - 99 WHERE clinic_id = $1 AND seq > 100`, cid)
			forged := store.AuditEvent{ClinicID: cid, Seq: 3, Actor: "mallory", Action: "claim.void", At: events[1].At, Details: json.RawMessage(`{}`), PrevHash: events[1].Hash}
			forged.Hash = store.AuditHash(forged)
			insertAudit(t, h, forged)
			h.Exec(t, `UPDATE audit_heads SET last_seq = 6 WHERE clinic_id = $1`, cid)
		}, 3, store.AuditInserted},
		{"inserted with a bad hash", func(t *testing.T, cid int64, events []store.AuditEvent) {
			h.Exec(t, `UPDATE audit_events SET seq = seq + 100 WHERE clinic_id = $1 AND seq >= 2`, cid)
			h.Exec(t, `UPDATE audit_events SET seq = seq - 99 WHERE clinic_id = $1 AND seq > 100`, cid)
			forged := store.AuditEvent{ClinicID: cid, Seq: 2, Actor: "mallory", Action: "x", At: events[0].At, Details: json.RawMessage(`{}`), PrevHash: events[0].Hash, Hash: "00"}
			insertAudit(t, h, forged)
			h.Exec(t, `UPDATE audit_heads SET last_seq = 6 WHERE clinic_id = $1`, cid)
		}, 2, store.AuditInserted},
		{"appended past the head", func(t *testing.T, cid int64, events []store.AuditEvent) {
			forged := store.AuditEvent{ClinicID: cid, Seq: 6, Actor: "mallory", Action: "x", At: events[4].At, Details: json.RawMessage(`{}`), PrevHash: events[4].Hash}
			forged.Hash = store.AuditHash(forged)
			insertAudit(t, h, forged)
		}, 6, store.AuditInserted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, h)
			cid := f.clinic.ID
			for i := range 5 {
				_, err := f.s.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: cid, Actor: "kim", Action: "claim.update",
					EntityType: "claim", EntityID: fmt.Sprint(i + 1), Details: json.RawMessage(fmt.Sprintf(`{"amount":%d}`, i+1))})
				must(t, err)
			}
			events, err := f.s.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: cid})
			must(t, err)
			c.tamper(t, cid, events)
			v, err := f.s.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: cid})
			must(t, err)
			if v.OK() {
				t.Fatal("tampered chain verified")
			}
			if v.Problem.Seq != c.seq || v.Problem.Kind != c.kind {
				t.Fatalf("problem %v, want event %d %s", v.Problem, c.seq, c.kind)
			}
		})
	}
}

func insertAudit(t *testing.T, h Harness, e store.AuditEvent) {
	t.Helper()
	h.Exec(t, `INSERT INTO audit_events (clinic_id, seq, actor, action, entity_type, entity_id, at, details, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.ClinicID, e.Seq, e.Actor, e.Action, e.EntityType, e.EntityID, e.At, string(e.Details), e.PrevHash, e.Hash)
}

// testLookups: the calls that find one row by a key other than its ID (and
// the clinic and audit reads) validate their params alike, on a Store and on
// a Tx, where a zero ClinicID means the transaction's clinic.
func testLookups(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	other := newFixture(t, h)
	cid, oid := f.clinic.ID, other.clinic.ID
	c := f.claim(t, "PCN-L1", 100)
	_, err := f.s.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: cid, ID: c.ID, PayerClaimControlNumber: ptr("ICN-L1")})
	must(t, err)
	_, err = f.s.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: cid, Actor: "test", Action: "lookup"})
	must(t, err)
	events, err := f.s.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: cid})
	must(t, err)

	// lookup runs one call for clinic and returns the ID of what it found.
	type lookup func(q store.Queries, clinic int64) (int64, error)
	tests := []struct {
		name string
		fn   lookup
		want int64
		// empty runs the call with an empty key; emptyErr is what it returns.
		empty    lookup
		emptyErr error
	}{
		{"GetClinic", func(q store.Queries, clinic int64) (int64, error) {
			v, err := q.GetClinic(ctx, store.GetClinicParams{ClinicID: clinic})
			return v.ID, err
		}, cid, nil, nil},
		{"GetPayerByPayerID", func(q store.Queries, clinic int64) (int64, error) {
			v, err := q.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: clinic, PayerID: "87726"})
			return v.ID, err
		}, f.payer.ID, func(q store.Queries, clinic int64) (int64, error) {
			v, err := q.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: clinic})
			return v.ID, err
		}, store.ErrNotFound},
		{"GetClaimByPatientControlNumber", func(q store.Queries, clinic int64) (int64, error) {
			v, err := q.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: clinic, PatientControlNumber: "PCN-L1"})
			return v.ID, err
		}, c.ID, func(q store.Queries, clinic int64) (int64, error) {
			v, err := q.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: clinic})
			return v.ID, err
		}, store.ErrNotFound},
		{"GetClaimByPayerClaimControlNumber", func(q store.Queries, clinic int64) (int64, error) {
			v, err := q.GetClaimByPayerClaimControlNumber(ctx, store.GetClaimByPayerClaimControlNumberParams{ClinicID: clinic, PayerClaimControlNumber: "ICN-L1"})
			return v.ID, err
		}, c.ID, func(q store.Queries, clinic int64) (int64, error) {
			v, err := q.GetClaimByPayerClaimControlNumber(ctx, store.GetClaimByPayerClaimControlNumberParams{ClinicID: clinic})
			return v.ID, err
		}, store.ErrInvalid},
		{"VerifyAuditChain", func(q store.Queries, clinic int64) (int64, error) {
			v, err := q.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: clinic})
			if err == nil && !v.OK() {
				err = fmt.Errorf("chain of clinic %d broken: %+v", clinic, v)
			}
			return v.Events, err
		}, int64(len(events)), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.fn(f.s, cid)
			must(t, err)
			eq(t, "store", got, tt.want)
			must(t, f.s.InTx(ctx, cid, func(tx store.Tx) error {
				for _, clinic := range []int64{cid, 0} {
					got, err := tt.fn(tx, clinic)
					if err != nil {
						return err
					}
					eq(t, fmt.Sprintf("tx, params clinic %d", clinic), got, tt.want)
				}
				return nil
			}))
			err = f.s.InTx(ctx, cid, func(tx store.Tx) error {
				_, err := tt.fn(tx, oid)
				return err
			})
			wantErr(t, err, store.ErrClinicMismatch)
			if tt.empty != nil {
				_, err = tt.empty(f.s, cid)
				wantErr(t, err, tt.emptyErr)
			}
		})
	}
	// Another clinic's claim keys find nothing.
	_, err = f.s.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: oid, PatientControlNumber: "PCN-L1"})
	wantErr(t, err, store.ErrNotFound)
	_, err = f.s.GetClaimByPayerClaimControlNumber(ctx, store.GetClaimByPayerClaimControlNumberParams{ClinicID: oid, PayerClaimControlNumber: "ICN-L1"})
	wantErr(t, err, store.ErrNotFound)
}

// readContent reads a body from the file store.
func readContent(t *testing.T, s store.Store, id string) string {
	t.Helper()
	r, err := s.OpenContent(context.Background(), id)
	must(t, err)
	defer r.Close()
	b, err := io.ReadAll(r)
	must(t, err)
	return string(b)
}

// testContentMovedToFiles puts bodies back in the content column, as rows
// written before the file store held them, and checks that Migrate moves
// them out: in chunks (a body over a megabyte), checksum checked, column
// emptied, and the rows readable as before.
func testContentMovedToFiles(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	big := strings.Repeat("CLM*PCN*100***11:B:1*Y*A*Y*Y~", 80_000) // 2.3 MB: three chunks
	small := "ISA*00*old inbound~"
	x, err := s.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: cid, SenderID: "S", ReceiverID: "R", ControlNumber: 8, Body: strings.NewReader(big)})
	must(t, err)
	in, _, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: cid, FileName: "old.x12", Body: strings.NewReader(small)})
	must(t, err)
	h.Exec(t, "UPDATE interchanges SET content_id = '', content = $3 WHERE clinic_id = $1 AND id = $2", cid, x.ID, []byte(big))
	h.Exec(t, "UPDATE inbound_files SET content_id = '', content = $3 WHERE clinic_id = $1 AND id = $2", cid, in.ID, []byte(small))

	_, err = s.Migrate(ctx)
	must(t, err)
	x2, err := s.GetInterchange(ctx, f.ref(x.ID))
	must(t, err)
	if x2.ContentID == "" || x2.ContentID == x.ContentID {
		t.Fatalf("interchange content ID %q after the move (was %q)", x2.ContentID, x.ContentID)
	}
	eq(t, "moved interchange", readContent(t, s, x2.ContentID) == big, true)
	in2, err := s.GetInboundFile(ctx, f.ref(in.ID))
	must(t, err)
	eq(t, "moved inbound file", readContent(t, s, in2.ContentID), small)
	eq(t, "columns emptied", h.QueryInt(t, "SELECT length(content) FROM interchanges WHERE clinic_id = $1 AND id = $2", cid, x.ID)+
		h.QueryInt(t, "SELECT length(content) FROM inbound_files WHERE clinic_id = $1 AND id = $2", cid, in.ID), int64(0))

	// A body that does not match its row's checksum is not moved.
	h.Exec(t, "UPDATE inbound_files SET content_id = '', content = $3 WHERE clinic_id = $1 AND id = $2", cid, in.ID, []byte("ISA*00*ALTERED!!!!~"))
	_, err = s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("Migrate with an altered body: %v", err)
	}
	h.Exec(t, "UPDATE inbound_files SET content_id = $3, content = $4 WHERE clinic_id = $1 AND id = $2", cid, in.ID, in2.ContentID, []byte{})
}

// Content reads a stored body (an interchange's or inbound file's
// ContentID) from the file store, failing the test on error.
func Content(t testing.TB, q interface {
	OpenContent(ctx context.Context, contentID string) (io.ReadCloser, error)
}, contentID string) []byte {
	t.Helper()
	r, err := q.OpenContent(context.Background(), contentID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
