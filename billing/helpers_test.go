package billing_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/rules"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// pgStore is the package's shared PostgreSQL store: one fresh database per
// test run; each test makes its own clinic.
var pgStore store.Store

func TestMain(m *testing.M) {
	os.Exit(storetest.Main(m, storetest.Options{Prefix: "clearhouse_billing_test", Now: clock},
		func(pg storetest.Postgres) { pgStore = pg.Store }))
}

var now = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)

func clock() time.Time { return now }

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	return storetest.OpenSQLite(t, storetest.Options{Now: clock})
}

// eachBackend runs fn against the embedded SQLite store and PostgreSQL,
// and against SQLite with the protected columns sealed.
func eachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	storetest.Backends(t, pgStore, storetest.Options{Now: clock}, fn)
	t.Run("sqlite-sealed", func(t *testing.T) {
		t.Parallel()
		fn(t, storetest.OpenSQLite(t, storetest.Options{Now: clock, Keys: storetest.NewKeys(t)}))
	})
}

var shared = sync.OnceValues(func() (*scrub.Scrubber, error) {
	sets, err := codes.LoadEmbedded()
	if err != nil {
		return nil, err
	}
	reg, err := fixtures.Payers()
	if err != nil {
		return nil, err
	}
	files, err := scrub.LoadRuleFiles(rules.Files())
	if err != nil {
		return nil, err
	}
	return scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
})

func registry(t testing.TB) *payers.Registry {
	t.Helper()
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func profile(t testing.TB) *billing.ClinicProfile {
	t.Helper()
	raw, err := os.ReadFile("testdata/profile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := billing.ParseClinicProfile("testdata/profile.yaml", raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// world is a clinic with two payers, a provider and two patients, the
// first with a primary (KHP01) coverage only, the second also with a
// secondary (SUMMT).
type world struct {
	t        testing.TB
	ctx      context.Context
	st       store.Store
	svc      *billing.Service
	clinic   store.Clinic
	khp      store.Payer
	summit   store.Payer
	provider store.Provider
	pat      store.Patient
	pat2     store.Patient
}

var clinicSeq atomic.Int64

func newWorld(t testing.TB, st store.Store) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, ctx: ctx, st: st}
	var err error
	w.clinic, err = st.CreateClinic(ctx, store.CreateClinicParams{Name: fmt.Sprintf("Riverbend Family Medicine %d", clinicSeq.Add(1)),
		NPI: "1234567893", TaxID: "123456789", SubmitterID: "CLEARHOUSE"})
	must(t, err)
	c := w.clinic.ID
	w.khp, err = st.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c, PayerID: "KHP01", Name: "Keystone Health Plan", ReceiverID: "KEYSTONEHP", ClaimFilingCode: "CI"})
	must(t, err)
	w.summit, err = st.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c, PayerID: "SUMMT", Name: "Summit Mutual Insurance", ClaimFilingCode: "CI"})
	must(t, err)
	w.provider, err = st.CreateProvider(ctx, store.CreateProviderParams{ClinicID: c, NPI: "1987654328", FirstName: "Marcus", LastName: "Welby", TaxonomyCode: "207Q00000X"})
	must(t, err)
	w.pat, err = st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c, MRN: "MRN-1", FirstName: "Pat", LastName: "Sample",
		BirthDate: time.Date(1980, 4, 12, 0, 0, 0, 0, time.UTC), Sex: "F", AddressLine1: "12 Elm St", City: "Springfield", State: "PA", PostalCode: "19064"})
	must(t, err)
	w.pat2, err = st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c, MRN: "MRN-2", FirstName: "Sam", LastName: "Second",
		BirthDate: time.Date(1975, 1, 2, 0, 0, 0, 0, time.UTC), Sex: "M", AddressLine1: "3 Oak Ave", City: "Springfield", State: "PA", PostalCode: "19064"})
	must(t, err)
	_, err = st.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: c, PatientID: w.pat.ID, PayerID: w.khp.ID, MemberID: "KHP000111", GroupNumber: "G1", Priority: 1, RelationshipCode: "18"})
	must(t, err)
	_, err = st.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: c, PatientID: w.pat2.ID, PayerID: w.khp.ID, MemberID: "KHP000222", GroupNumber: "G1", Priority: 1, RelationshipCode: "18"})
	must(t, err)
	_, err = st.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: c, PatientID: w.pat2.ID, PayerID: w.summit.ID, MemberID: "SMT000123456", GroupNumber: "SUMGRP7", Priority: 2, RelationshipCode: "18"})
	must(t, err)
	scr, err := shared()
	must(t, err)
	w.svc, err = billing.New(st, billing.Options{Now: clock, Scrubber: scr, Payers: registry(t),
		Profiles: billing.StaticProfiles(map[int64]*billing.ClinicProfile{c: profile(t)})})
	must(t, err)
	return w
}

var dos = claim.NewDate(2026, 2, 16)

// visit captures an office visit (99213 at a given charge, 87880-QW priced
// from the fee schedule) and builds its claim.
func (w *world) visit(patient store.Patient) store.Claim {
	w.t.Helper()
	ce, err := w.svc.CaptureEncounter(w.ctx, w.clinic.ID, billing.EncounterInput{PatientID: patient.ID, ProviderNPI: w.provider.NPI,
		ServiceDate: dos, Diagnoses: []string{"J06.9", "R50.9"}, Lines: []billing.LineInput{
			{ProcedureCode: "99213", DiagnosisPointers: []int{1, 2}, ChargeCents: 12500},
			{ProcedureCode: "87880", Modifiers: []string{"QW"}},
		}})
	must(w.t, err)
	if got := ce.Charges[1].ChargeCents; got != 5000 {
		w.t.Fatalf("87880-QW priced %d, want 5000", got)
	}
	c, err := w.svc.BuildClaim(w.ctx, w.clinic.ID, ce.Encounter.ID, billing.BuildOptions{})
	must(w.t, err)
	return c
}

func (w *world) claim(id int64) store.Claim {
	w.t.Helper()
	c, err := w.st.GetClaim(w.ctx, store.Ref{ClinicID: w.clinic.ID, ID: id})
	must(w.t, err)
	return c
}

func (w *world) balance(p store.LedgerBalanceParams) int64 {
	w.t.Helper()
	p.ClinicID = w.clinic.ID
	b, err := w.st.LedgerBalance(w.ctx, p)
	must(w.t, err)
	return b
}

func (w *world) inbound(name string, content []byte) store.InboundFile {
	w.t.Helper()
	f, _, err := w.st.RecordInboundFile(w.ctx, store.RecordInboundFileParams{ClinicID: w.clinic.ID, FileName: name, Source: "test", Body: bytes.NewReader(content)})
	must(w.t, err)
	return f
}

func (w *world) worklist(kind string) []store.WorklistItem {
	w.t.Helper()
	items, err := w.st.ListWorklistItems(w.ctx, store.ListWorklistItemsParams{ClinicID: w.clinic.ID, Kinds: []string{kind}})
	must(w.t, err)
	return items
}

// submitAll scrubs the drafts and prepares the KHP01 submission.
func (w *world) submitAll() *billing.Submission {
	w.t.Helper()
	res, err := w.svc.Scrub(w.ctx, w.clinic.ID, nil)
	must(w.t, err)
	if len(res.Failed) > 0 {
		w.t.Fatalf("scrub failed: %+v", res.Findings)
	}
	sub, err := w.svc.PrepareSubmission(w.ctx, billing.SubmissionParams{ClinicID: w.clinic.ID, PayerID: w.khp.ID})
	must(w.t, err)
	if sub == nil {
		w.t.Fatal("nothing submitted")
	}
	return sub
}

// remit835 is an 835 builder for tests.
type remit835 struct {
	trace  string
	claims []*x835.ClaimPayment
	// isa is ISA13 and GS06; 41 when zero.
	isa int64
	// plb are the provider adjustments (PLB), which BPR02 nets.
	plb []x835.ProviderAdjustment
}

func (r remit835) bytes(t testing.TB) []byte {
	t.Helper()
	var total int64
	for _, c := range r.claims {
		total += c.PaidCents
	}
	for _, a := range r.plb {
		total -= a.AmountCents
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	isa := r.isa
	if isa == 0 {
		isa = 41
	}
	e := x835.NewEncoder(&out, edi.ISAHeader{SenderID: "KEYSTONEHP", ReceiverID: "CLEARHOUSE", Time: day, ControlNumber: isa, Usage: "T"},
		edi.GSHeader{SenderCode: "KHP01", ReceiverCode: "CLEARHOUSE", Time: day, ControlNumber: isa})
	method := "CHK"
	if total == 0 {
		method = "NON"
	}
	e.BeginRemittance(&x835.Remittance{HandlingCode: "I", TotalPaidCents: total, CreditDebit: "C", PaymentMethod: method, PaymentDate: day,
		TraceNumber: r.trace, TraceOriginator: "1231231234",
		Payer: x835.Party{Name: "KEYSTONE HEALTH PLAN", Address: x835.Address{Line1: "1 PLAN WAY", City: "HARRISBURG", State: "PA", PostalCode: "17101"},
			References: []x835.Reference{{Qualifier: "2U", Value: "KHP01"}},
			Contacts:   []x835.Contact{{Function: "BL", Numbers: []x835.ContactNumber{{Qualifier: "TE", Number: "8005550100"}}}}},
		Payee: x835.Party{Name: "RIVERBEND FAMILY MEDICINE", IDQualifier: "XX", ID: "1234567893"}}, 1)
	for _, c := range r.claims {
		e.WriteClaim(c)
	}
	e.EndRemittance(r.plb)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// paidVisit is the 835 claim payment of a visit claim: 99213 allowed
// allowed99213 (paid less 20.00 coinsurance), 87880-QW allowed 40.00.
func paidVisit(pcn, icn string, allowed99213 int64) *x835.ClaimPayment {
	day := time.Date(2026, 2, 16, 0, 0, 0, 0, time.UTC)
	l1 := x835.ServicePayment{Procedure: x835.Procedure{Qualifier: "HC", Code: "99213"}, ChargeCents: 12500, PaidCents: allowed99213 - 2000,
		Dates:       []x835.DateRef{{Qualifier: "472", Date: day}},
		Adjustments: []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: 12500 - allowed99213}, {Group: "PR", Reason: "2", AmountCents: 2000}}}
	l2 := x835.ServicePayment{Procedure: x835.Procedure{Qualifier: "HC", Code: "87880", Modifiers: [4]string{"QW"}}, ChargeCents: 5000, PaidCents: 4000,
		Dates:       []x835.DateRef{{Qualifier: "472", Date: day}},
		Adjustments: []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: 1000}}}
	return &x835.ClaimPayment{PatientControlNumber: pcn, Status: "1", ChargeCents: 17500, PaidCents: l1.PaidCents + l2.PaidCents,
		PatientResponsibilityCents: 2000, FilingIndicator: "12", PayerClaimControlNumber: icn,
		Patient:      x835.Name{EntityCode: "QC", EntityType: "1", Last: "SAMPLE", First: "PAT", IDQualifier: "MI", ID: "KHP000111"},
		ServiceLines: []x835.ServicePayment{l1, l2}}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
