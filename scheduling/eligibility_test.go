package scheduling_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x270"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/<name>; with -update it rewrites a
// golden that differs (or is missing) and says so.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	want, err := os.ReadFile(path)
	if *update && (err != nil || !bytes.Equal(got, want)) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", path)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (run go test -update):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// eligibilityBook books the appointments of the eligibility tests: the run
// of Monday 2 March looks at Tuesday 3 and Wednesday 4 March.
func eligibilityBook(t *testing.T, f *fixture) map[string]store.Appointment {
	return map[string]store.Appointment{
		"jane":        f.book(t, f.jane.ID, f.drKim.ID, at(2026, 3, 3, 9, 0)),
		"jane again":  f.book(t, f.jane.ID, f.drLee.ID, at(2026, 3, 3, 14, 0)), // same coverage and date: one inquiry
		"tommy":       f.book(t, f.tommy.ID, f.drKim.ID, at(2026, 3, 4, 10, 0)),
		"walter":      f.book(t, f.walter.ID, f.drLee.ID, at(2026, 3, 3, 11, 0)),
		"rita":        f.book(t, f.rita.ID, f.drKim.ID, at(2026, 3, 3, 11, 0)), // RVHSP takes no 270
		"sam":         f.book(t, f.sam.ID, f.drKim.ID, at(2026, 3, 4, 8, 0)),   // self-pay
		"jane later":  f.book(t, f.jane.ID, f.drKim.ID, at(2026, 3, 5, 9, 0)),  // after the window
		"jane before": f.book(t, f.jane.ID, f.drKim.ID, at(2026, 3, 2, 9, 0)),  // the run's own day
	}
}

func TestPrepareEligibilityBatches(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		appts := eligibilityBook(t, f)
		res, err := f.svc.PrepareEligibilityBatches(ctx, f.clinic.ID, testNow, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Batches) != 2 || res.Batches[0].PayerID != "KHP01" || res.Batches[1].PayerID != "MCRJX" {
			t.Fatalf("batches %+v", res.Batches)
		}
		khp := res.Batches[0]
		if len(khp.Inquiries) != 2 || !slices.Equal(khp.Inquiries[0].AppointmentIDs, []int64{appts["jane"].ID, appts["jane again"].ID}) ||
			khp.Inquiries[0].Dependent || !khp.Inquiries[1].Dependent {
			t.Fatalf("KHP01 inquiries %+v", khp.Inquiries)
		}
		skipped := map[int64]string{}
		for _, s := range res.Skipped {
			skipped[s.AppointmentID] = s.Reason
		}
		if len(skipped) != 2 || !strings.Contains(skipped[appts["rita"].ID], "does not accept 270") || !strings.Contains(skipped[appts["sam"].ID], "self-pay") {
			t.Fatalf("skipped %+v", res.Skipped)
		}
		// The batch is a valid 270 and is recorded as an interchange.
		reqs, err := x270.DecodeRequests(bytes.NewReader(khp.Content))
		if err != nil || len(reqs) != 1 || len(reqs[0].Errors) != 0 {
			t.Fatalf("decode: %v %+v", err, reqs)
		}
		if d := reqs[0].Inquiries[1].Dependent; d == nil || d.Last != "ROE" || reqs[0].Inquiries[1].Subscriber.Last != "ROE" || reqs[0].Inquiries[1].Subscriber.MemberID != "MBR200" {
			t.Fatalf("dependent inquiry %+v", reqs[0].Inquiries[1])
		}
		ic, err := st.GetInterchange(ctx, store.Ref{ClinicID: f.clinic.ID, ID: khp.InterchangeID})
		if err != nil || ic.TransactionSet != "270" || !bytes.Equal(storetest.Content(t, st, ic.ContentID), khp.Content) || ic.Status != store.InterchangeCreated ||
			ic.FileName != khp.FileName || ic.ControlNumber != khp.ControlNumber {
			t.Fatalf("interchange %v %+v", err, ic)
		}
		if st.Backend() == store.BackendSQLite {
			// A fresh database: IDs and control numbers are the same on
			// every run.
			golden(t, "golden/eligibility_batch_khp01.x12", khp.Content)
			if khp.FileName != "KHP01-270-20260303-000000001.edi" {
				t.Errorf("file name %q", khp.FileName)
			}
		}

		// A rerun (a retried job) writes nothing new ...
		again, err := f.svc.PrepareEligibilityBatches(ctx, f.clinic.ID, testNow, 0)
		if err != nil || len(again.Batches) != 0 || again.AlreadyBatched != 3 {
			t.Fatalf("rerun: %v, %d batches, %d already", err, len(again.Batches), again.AlreadyBatched)
		}
		// ... except for what was booked since.
		f.book(t, f.jane.ID, f.drKim.ID, at(2026, 3, 4, 15, 0))
		again, err = f.svc.PrepareEligibilityBatches(ctx, f.clinic.ID, testNow, 0)
		if err != nil || len(again.Batches) != 1 || len(again.Batches[0].Inquiries) != 1 || again.AlreadyBatched != 3 {
			t.Fatalf("rerun after booking: %v %+v", err, again)
		}
		if again.Batches[0].ControlNumber <= khp.ControlNumber {
			t.Fatalf("control number %d after %d", again.Batches[0].ControlNumber, khp.ControlNumber)
		}
	})
}

func TestPrepareEligibilityBatchesErrors(t *testing.T) {
	ctx := context.Background()
	st := pgStore
	f := newFixture(t, st, func(c *scheduling.Config) { c.TraceOriginator = func(store.Clinic) string { return "12" } })
	if _, err := f.svc.PrepareEligibilityBatches(ctx, f.clinic.ID, testNow, 0); !errors.Is(err, scheduling.ErrInvalid) {
		t.Fatalf("bad originator: %v", err)
	}
	g := newFixture(t, st, func(c *scheduling.Config) { c.Payers = nil })
	if _, err := g.svc.PrepareEligibilityBatches(ctx, g.clinic.ID, testNow, 0); !errors.Is(err, scheduling.ErrInvalid) {
		t.Fatalf("no registry: %v", err)
	}
	if _, err := g.svc.PrepareEligibilityBatches(ctx, 0, testNow, 40); !errors.Is(err, scheduling.ErrInvalid) {
		t.Fatalf("40 days: %v", err)
	}
}

func TestTraceNumber(t *testing.T) {
	tn := scheduling.TraceNumber{CoverageID: 17, ServiceDate: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), Interchange: 301}
	if tn.String() != "17-20260304-301" {
		t.Fatalf("%s", tn)
	}
	back, err := scheduling.ParseTraceNumber(tn.String())
	if err != nil || back != tn {
		t.Fatalf("%+v %v", back, err)
	}
	for _, bad := range []string{"", "TRN0001", "17-2026-301", "0-20260304-301", "17-20260304-0", "17-20260304-1000000000", "a-b-c", "1-20260230-1"} {
		if _, err := scheduling.ParseTraceNumber(bad); !errors.Is(err, scheduling.ErrResponse) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// answer271 writes a 271 for a 270 batch: fn fills each inquiry's summary
// (nil leaves it unanswered).
func answer271(t *testing.T, batch []byte, sourceErrors []x270.RequestError, fn func(i int, q x270.Inquiry) *x270.Summary) []byte {
	t.Helper()
	reqs, err := x270.DecodeRequests(bytes.NewReader(batch))
	if err != nil {
		t.Fatal(err)
	}
	var resps []*x270.Response
	for _, req := range reqs {
		resp := &x270.Response{ReferenceID: req.ReferenceID, Created: time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC), Source: req.Source,
			Receiver: req.Receiver, SourceErrors: sourceErrors}
		for i, q := range req.Inquiries {
			if s := fn(i, q); s != nil {
				s.TraceNumber, s.TraceOriginator = q.TraceNumber, q.TraceOriginator
				s.Subscriber = q.Subscriber
				s.Dependent = q.Dependent
				resp.Summaries = append(resp.Summaries, *s)
			}
		}
		resps = append(resps, resp)
	}
	var buf bytes.Buffer
	isa := edi.ISAHeader{SenderQualifier: "ZZ", SenderID: "PAYER", ReceiverQualifier: "ZZ", ReceiverID: "CLEARHOUSE", Time: testNow, ControlNumber: 901, Usage: "T"}
	gs := edi.GSHeader{SenderCode: "PAYER", ReceiverCode: "CLEARHOUSE", Time: testNow, ControlNumber: 901}
	if err := x270.EncodeResponses(&buf, isa, gs, resps...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func amount(code, period, network string, cents int64, types ...string) x270.Benefit {
	return x270.Benefit{Code: code, CoverageLevel: "IND", ServiceTypes: types, TimePeriod: period, AmountCents: cents, HasAmount: true, InPlanNetwork: network}
}

// activeSummary is the answer for a patient with an office copay, a
// deductible partly met and 20% coinsurance.
func activeSummary() *x270.Summary {
	return &x270.Summary{
		Dates: []x270.DateRef{{Qualifier: "346", From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
		Benefits: []x270.Benefit{
			{Code: "1", CoverageLevel: "IND", ServiceTypes: []string{"30"}, InsuranceType: "PR", PlanDescription: "GOLD PPO"},
			amount("C", "23", "Y", 150000, "30"),
			amount("C", "29", "Y", 62500, "30"),
			amount("C", "29", "N", 300000, "30"),
			amount("G", "29", "Y", 412550, "30"),
			amount("B", "27", "Y", 2500, "98"),
			amount("B", "27", "N", 6000, "98"),
			{Code: "A", CoverageLevel: "IND", ServiceTypes: []string{"30"}, PercentBasisPoints: 2000, HasPercent: true, InPlanNetwork: "Y"},
		},
	}
}

func TestApplyEligibilityResponse(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		// Two more KHP01 patients: one inactive, one the payer leaves
		// unanswered.
		extra := func(mrn, first, member string) store.Patient {
			p, err := st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: f.clinic.ID, MRN: mrn, FirstName: first, LastName: "MOSS",
				BirthDate: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: f.clinic.ID, PatientID: p.ID, PayerID: f.payers["KHP01"].ID,
				MemberID: member, RelationshipCode: "18"}); err != nil {
				t.Fatal(err)
			}
			return p
		}
		ina := extra("MRN700", "INA", "MBR700")
		nora := extra("MRN800", "NORA", "MBR800")
		appts := eligibilityBook(t, f)
		inaAppt := f.book(t, ina.ID, f.drLee.ID, at(2026, 3, 4, 9, 0))
		f.book(t, nora.ID, f.drLee.ID, at(2026, 3, 4, 10, 0))
		res, err := f.svc.PrepareEligibilityBatches(ctx, f.clinic.ID, testNow, 0)
		if err != nil || len(res.Batches) != 2 {
			t.Fatalf("prepare: %v %+v", err, res)
		}
		khp, mcr := res.Batches[0], res.Batches[1]
		file := answer271(t, khp.Content, nil, func(i int, q x270.Inquiry) *x270.Summary {
			switch q.Subscriber.MemberID {
			case "MBR100":
				return activeSummary()
			case "MBR200": // Tommy: the dependent is not found
				return &x270.Summary{Errors: []x270.RequestError{{Loop: "2100D", Valid: "N", Reason: "67", FollowUp: "C"}}}
			case "MBR700":
				return &x270.Summary{Benefits: []x270.Benefit{{Code: "6", CoverageLevel: "IND", ServiceTypes: []string{"30"}}}}
			}
			return nil
		})
		inbound, _, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: f.clinic.ID, FileName: "khp01.271", Source: "sftp", Body: bytes.NewReader(file)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.ApplyEligibilityResponse(ctx, f.clinic.ID, inbound.ID, bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		want := scheduling.ApplyResult{Answers: 3, Active: 1, Inactive: 1, Unknown: 1, Recorded: 3, WorkItems: 3, NoAnswer: 1}
		if !equalResult(got, want) {
			t.Fatalf("result %+v, want %+v", got, want)
		}
		cov, err := st.GetCoverage(ctx, store.Ref{ClinicID: f.clinic.ID, ID: f.janeCov.ID})
		if err != nil || cov.EligibilityStatus != store.EligibilityActive || cov.EligibilityChecked == nil {
			t.Fatalf("coverage %v %+v", err, cov)
		}
		var doc scheduling.Eligibility
		if err := json.Unmarshal(cov.Benefits, &doc); err != nil || doc.Plan != "GOLD PPO" || doc.CoverageBegin != "2026-01-01" || doc.ServiceDate != "2026-03-03" {
			t.Fatalf("benefits %v %s", err, cov.Benefits)
		}
		inb, err := st.GetInboundFile(ctx, store.Ref{ClinicID: f.clinic.ID, ID: inbound.ID})
		if err != nil || inb.State != store.InboundProcessed || inb.FileType != "271" {
			t.Fatalf("inbound file %v %+v", err, inb)
		}

		items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: f.clinic.ID, Kinds: []string{store.WorkEligibility}})
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, it := range items {
			titles = append(titles, it.Title)
			if it.PatientID != nil && *it.PatientID == ina.ID && (it.AppointmentID == nil || *it.AppointmentID != inaAppt.ID || it.DueAt == nil) {
				t.Errorf("inactive item not linked to the appointment: %+v", it)
			}
		}
		slices.Sort(titles)
		wantTitles := []string{
			"Coverage inactive with KHP01 for the visit on 2026-03-04",
			"Coverage unknown with KHP01 for the visit on 2026-03-04: no 271 answer",
			"Eligibility rejected by KHP01 (AAA 67 patient not found; please correct and resubmit)",
		}
		if !slices.Equal(titles, wantTitles) {
			t.Fatalf("worklist:\n%s\nwant:\n%s", strings.Join(titles, "\n"), strings.Join(wantTitles, "\n"))
		}

		// Applying the same file again changes nothing.
		again, err := f.svc.ApplyEligibilityResponse(ctx, f.clinic.ID, inbound.ID, bytes.NewReader(file))
		if err != nil || again.WorkItems != 0 || again.Recorded != 0 || again.Answers != 3 {
			t.Fatalf("again: %v %+v", err, again)
		}
		if n, _ := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: f.clinic.ID, Kinds: []string{store.WorkEligibility}}); len(n) != 3 {
			t.Fatalf("%d items after reapplying", len(n))
		}

		// A later file answering Nora resolves her "no 271 answer" item.
		late := answer271(t, khp.Content, nil, func(i int, q x270.Inquiry) *x270.Summary {
			if q.Subscriber.MemberID == "MBR800" {
				return activeSummary()
			}
			return nil
		})
		got, err = f.svc.ApplyEligibilityResponse(ctx, f.clinic.ID, 0, bytes.NewReader(late))
		if err != nil || got.Answers != 1 || got.Recorded != 1 || got.Active != 1 {
			t.Fatalf("late answer: %v %+v", err, got)
		}
		items, err = st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: f.clinic.ID, Kinds: []string{store.WorkEligibility}})
		if err != nil {
			t.Fatal(err)
		}
		resolved := 0
		for _, it := range items {
			if strings.HasSuffix(it.DedupeKey, ":no-answer") && it.PatientID != nil && *it.PatientID == nora.ID {
				if it.Status != store.WorkResolved || it.Resolution != "the 271 answer arrived" {
					t.Errorf("Nora's no-answer item is %s (%q)", it.Status, it.Resolution)
				}
				resolved++
			}
		}
		if resolved != 1 {
			t.Errorf("%d no-answer items of Nora", resolved)
		}

		// A Loop 2100A rejection answers nobody: every inquiry of the batch
		// gets an item.
		rej := answer271(t, mcr.Content, []x270.RequestError{{Loop: "2100A", Valid: "Y", Reason: "42", FollowUp: "R"}}, func(int, x270.Inquiry) *x270.Summary { return nil })
		got, err = f.svc.ApplyEligibilityResponse(ctx, f.clinic.ID, 0, bytes.NewReader(rej))
		if err != nil || got.WorkItems != 1 {
			t.Fatalf("2100A rejection: %v %+v", err, got)
		}
		items, _ = st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: f.clinic.ID, PayerID: f.payers["MCRJX"].ID})
		if len(items) != 1 || items[0].Title != "Eligibility batch rejected by MCRJX (AAA 42 unable to respond at current time in Loop 2100A; resubmission allowed)" ||
			items[0].AppointmentID == nil || *items[0].AppointmentID != appts["walter"].ID {
			t.Fatalf("MCRJX items %+v", items)
		}

		// Check-in shows what Jane is expected to pay.
		ci, err := f.svc.CheckIn(ctx, scheduling.CheckInParams{ClinicID: f.clinic.ID, AppointmentID: appts["jane"].ID})
		if err != nil {
			t.Fatal(err)
		}
		r := ci.Responsibility
		if r == nil || !r.HasCopay || r.CopayCents != 2500 || r.CoinsuranceBasisPoints != 2000 || r.DeductibleRemainingCents != 62500 ||
			r.OutOfPocketRemainingCents != 412550 || r.Status != store.EligibilityActive || r.Plan != "GOLD PPO" {
			t.Fatalf("responsibility %+v", r)
		}
		if !slices.Equal(r.Notes, []string{`coinsurance taken from service type "30"`}) {
			t.Fatalf("notes %q", r.Notes)
		}
	})
}

func equalResult(a, b scheduling.ApplyResult) bool {
	return a.Answers == b.Answers && a.Active == b.Active && a.Inactive == b.Inactive && a.Unknown == b.Unknown &&
		a.Recorded == b.Recorded && a.WorkItems == b.WorkItems && a.NoAnswer == b.NoAnswer && len(a.Unmatched) == len(b.Unmatched)
}

func TestApplyEligibilityResponseRejectsGarbage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pgStore)
	for _, in := range []string{"", "not x12", "ISA*00*"} {
		if _, err := f.svc.ApplyEligibilityResponse(ctx, f.clinic.ID, 0, strings.NewReader(in)); !errors.Is(err, scheduling.ErrResponse) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestResponsibilityOf(t *testing.T) {
	checked := time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC)
	p := func(v int64) *int64 { return &v }
	doc := scheduling.Eligibility{Status: "active", Services: []scheduling.ServiceCostSharing{
		{ServiceType: "30", Network: "Y", CoinsuranceBasisPoints: p(2000), DeductibleRemainingCents: p(10000)},
		{ServiceType: "30", Network: "N", CoinsuranceBasisPoints: p(4000)},
		{ServiceType: "98", Network: "W", CopayCents: p(3000)},
		{ServiceType: "98", Network: "Y", CopayCents: p(2500)},
		{ServiceType: "UC", Network: "Y", CopayCents: p(7500), AuthorizationRequired: true},
	}, Errors: []scheduling.RejectReason{{Loop: "2110C", Reason: "72", FollowUp: "C"}}}
	b, _ := json.Marshal(doc)
	tests := []struct {
		name     string
		cov      store.Coverage
		st       string
		copay    int64
		coins    int64
		auth     bool
		notes    int
		hasCopay bool
	}{
		{"office visit", store.Coverage{EligibilityStatus: "active", EligibilityChecked: &checked, Benefits: b}, "98", 2500, 2000, false, 2, true},
		{"urgent care", store.Coverage{EligibilityStatus: "active", EligibilityChecked: &checked, Benefits: b}, "UC", 7500, 2000, true, 2, true},
		{"lab has no copay", store.Coverage{EligibilityStatus: "active", EligibilityChecked: &checked, Benefits: b}, "5", 0, 2000, false, 2, false},
		{"never checked", store.Coverage{EligibilityStatus: "unknown", Benefits: json.RawMessage(`{}`)}, "98", 0, 0, false, 1, false},
		{"inactive", store.Coverage{EligibilityStatus: "inactive", EligibilityChecked: &checked, Benefits: json.RawMessage(`{}`)}, "98", 0, 0, false, 1, false},
	}
	for _, tt := range tests {
		r, err := scheduling.ResponsibilityOf(tt.cov, tt.st)
		if err != nil || r.CopayCents != tt.copay || r.HasCopay != tt.hasCopay || r.CoinsuranceBasisPoints != tt.coins || r.AuthorizationRequired != tt.auth || len(r.Notes) != tt.notes {
			t.Errorf("%s: %v %+v", tt.name, err, r)
		}
	}
	if _, err := scheduling.ResponsibilityOf(store.Coverage{Benefits: json.RawMessage(`[`)}, "98"); err == nil {
		t.Error("bad document accepted")
	}
}

// TestEligibilityBatchUsage writes a clinic's 270 to a payer with the
// ISA15 an operator's cutover set for the clinic and payer, and to the
// other payers with their payer files'.
func TestEligibilityBatchUsage(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		eligibilityBook(t, f)
		khp, err := st.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: f.clinic.ID, PayerID: "KHP01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetPayerUsage(ctx, store.SetPayerUsageParams{ClinicID: f.clinic.ID, PayerID: khp.ID, Usage: store.UsageProduction}); err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.PrepareEligibilityBatches(ctx, f.clinic.ID, testNow, 0)
		if err != nil || len(res.Batches) != 2 {
			t.Fatalf("batches: %v %+v", err, res.Batches)
		}
		for _, b := range res.Batches {
			s, err := edi.NewReader(bytes.NewReader(b.Content)).Next()
			if err != nil {
				t.Fatal(err)
			}
			want := "T" // MCRJX's payer file
			if b.PayerID == "KHP01" {
				want = "P"
			}
			if got := s.String(15); got != want {
				t.Errorf("270 to %s: ISA15 %q, want %q", b.PayerID, got, want)
			}
		}
	})
}
