package x270

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

var update = flag.Bool("update", false, "rewrite golden files from the test models")

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

var envTime = time.Date(2026, 3, 2, 22, 5, 0, 0, time.UTC)

func envelope() (edi.ISAHeader, edi.GSHeader) {
	return edi.ISAHeader{SenderID: "CLEARHOUSE", ReceiverID: "ACME01", Time: envTime, ControlNumber: 301, Usage: "T"},
		edi.GSHeader{SenderCode: "CLEARHOUSE", ReceiverCode: "ACME01", Time: envTime, ControlNumber: 301}
}

var (
	payerEntity    = Entity{EntityCode: "PR", EntityType: "2", Last: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01"}
	providerEntity = Entity{EntityCode: "1P", EntityType: "2", Last: "RIVERSIDE CLINIC", IDQualifier: "XX", ID: "1234567893"}
	jane           = Person{Last: "DOE", First: "JANE", MemberID: "MBR100", BirthDate: day(1980, 4, 12), Gender: "F"}
	richard        = Person{Last: "ROE", First: "RICHARD", MemberID: "MBR200", BirthDate: day(1975, 9, 30), Gender: "M"}
	tommy          = Person{Last: "ROE", First: "TOMMY", BirthDate: day(2015, 6, 1), Gender: "M"}
	dos            = day(2026, 3, 4)
)

// goldenRequest is a batch of three inquiries to one payer: the default
// service type, several service types, and a dependent.
func goldenRequest() *Request {
	dep := tommy
	return &Request{ReferenceID: "ELG000301", Created: envTime, Source: payerEntity, Receiver: providerEntity,
		Inquiries: []Inquiry{
			{TraceNumber: "TRN0001", TraceOriginator: "9CLRHOUSE1", Subscriber: jane, ServiceDate: dos},
			{TraceNumber: "TRN0002", TraceOriginator: "9CLRHOUSE1", Subscriber: richard, ServiceDate: dos, ServiceTypes: []string{"30", "33", "98", "UC"}},
			{TraceNumber: "TRN0003", TraceOriginator: "9CLRHOUSE1", Subscriber: richard, Dependent: &dep, ServiceDate: dos},
		}}
}

func response(ref string, sums ...Summary) *Response {
	return &Response{ReferenceID: ref, Created: envTime, Source: payerEntity, Receiver: providerEntity, Summaries: sums}
}

// goldenActive: active coverage with plan, group, plan dates, and per
// service type copay, coinsurance, deductible and out-of-pocket (calendar
// year and remaining, in and out of network), an authorization requirement,
// a message and another payer (coordination of benefits).
func goldenActive() *Response {
	sub := richard
	sub.References = []Reference{{Qualifier: "6P", Value: "GRP7788", Description: "RIVERSIDE EMPLOYEES"}, {Qualifier: "18", Value: "PLN55"}}
	sub.Address = Address{Line1: "12 ELM STREET", City: "SPRINGFIELD", State: "IL", PostalCode: "62704"}
	return response("ELG000301", Summary{
		TraceNumber: "TRN0002", TraceOriginator: "9CLRHOUSE1", Subscriber: sub,
		Dates: []DateRef{{Qualifier: "346", From: day(2026, 1, 1), To: day(2026, 1, 1)}, {Qualifier: "291", From: dos, To: dos}},
		Benefits: []Benefit{
			{Code: "1", CoverageLevel: "IND", ServiceTypes: []string{"30", "33", "98", "UC"}, InsuranceType: "PR", PlanDescription: "GOLD PPO"},
			{Code: "C", CoverageLevel: "IND", ServiceTypes: []string{"30"}, TimePeriod: "23", AmountCents: 150000, HasAmount: true, InPlanNetwork: "Y"},
			{Code: "C", CoverageLevel: "IND", ServiceTypes: []string{"30"}, TimePeriod: "29", AmountCents: 62500, HasAmount: true, InPlanNetwork: "Y"},
			{Code: "C", CoverageLevel: "IND", ServiceTypes: []string{"30"}, TimePeriod: "23", AmountCents: 300000, HasAmount: true, InPlanNetwork: "N"},
			{Code: "G", CoverageLevel: "IND", ServiceTypes: []string{"30"}, TimePeriod: "23", AmountCents: 600000, HasAmount: true, InPlanNetwork: "Y"},
			{Code: "G", CoverageLevel: "IND", ServiceTypes: []string{"30"}, TimePeriod: "29", AmountCents: 412550, HasAmount: true, InPlanNetwork: "Y"},
			{Code: "B", CoverageLevel: "IND", ServiceTypes: []string{"98"}, TimePeriod: "27", AmountCents: 2500, HasAmount: true, InPlanNetwork: "Y",
				Messages: []string{"SPECIALIST VISITS 50.00"}},
			{Code: "B", CoverageLevel: "IND", ServiceTypes: []string{"UC"}, TimePeriod: "27", AmountCents: 7500, HasAmount: true, InPlanNetwork: "W"},
			{Code: "A", CoverageLevel: "IND", ServiceTypes: []string{"30"}, PercentBasisPoints: 2000, HasPercent: true, InPlanNetwork: "Y"},
			{Code: "A", CoverageLevel: "IND", ServiceTypes: []string{"30"}, PercentBasisPoints: 4000, HasPercent: true, InPlanNetwork: "N"},
			{Code: "A", CoverageLevel: "IND", ServiceTypes: []string{"33"}, PercentBasisPoints: 1250, HasPercent: true, InPlanNetwork: "Y", AuthorizationRequired: "Y"},
			{Code: "R", ServiceTypes: []string{"30"}, RelatedEntities: []RelatedEntity{{
				Entity:   Entity{EntityCode: "PRP", EntityType: "2", Last: "SECOND CHANCE INSURANCE", IDQualifier: "PI", ID: "SCI22"},
				Contacts: []Contact{{Function: "IC", Numbers: []ContactNumber{{"TE", "8005550199"}}}}}}},
		}})
}

// goldenInactive: coverage ended before the date of service.
func goldenInactive() *Response {
	return response("ELG000302", Summary{
		TraceNumber: "TRN0001", TraceOriginator: "9CLRHOUSE1", Subscriber: jane,
		Dates:    []DateRef{{Qualifier: "346", From: day(2024, 1, 1), To: day(2024, 1, 1)}, {Qualifier: "347", From: day(2025, 12, 31), To: day(2025, 12, 31)}},
		Benefits: []Benefit{{Code: "6", CoverageLevel: "IND", ServiceTypes: []string{"30"}, Messages: []string{"COVERAGE TERMINATED"}}},
	})
}

// goldenDependent: the patient is the subscriber's child.
func goldenDependent() *Response {
	dep := tommy
	dep.Relationship = "19"
	return response("ELG000303", Summary{
		TraceNumber: "TRN0003", TraceOriginator: "9CLRHOUSE1", PayerTraceNumber: "ACMETRACE77", PayerTraceOriginator: "1370000001", Subscriber: richard, Dependent: &dep,
		Dates: []DateRef{{Qualifier: "346", From: day(2026, 1, 1), To: day(2026, 1, 1)}},
		Benefits: []Benefit{
			{Code: "1", CoverageLevel: "FAM", ServiceTypes: []string{"30"}, InsuranceType: "HM", PlanDescription: "FAMILY HMO"},
			{Code: "B", CoverageLevel: "FAM", ServiceTypes: []string{"98"}, TimePeriod: "27", AmountCents: 2000, HasAmount: true, InPlanNetwork: "Y"},
			{Code: "L", RelatedEntities: []RelatedEntity{{Entity: Entity{EntityCode: "P3", EntityType: "1", Last: "WELBY", First: "MARCUS", IDQualifier: "XX", ID: "1245319599"}}}},
		},
	})
}

// goldenErrors: AAA at 2100C (subscriber ID invalid), at 2110C (date of
// service in the future), at 2100D (patient not found), and a whole
// response rejected at 2100A (payer unable to respond now).
func goldenErrors() []*Response {
	dep := tommy
	r1 := response("ELG000304",
		Summary{TraceNumber: "TRN0004", TraceOriginator: "9CLRHOUSE1", Subscriber: Person{Last: "DOE", First: "JANE", MemberID: "MBR1OO"},
			Errors: []RequestError{{Loop: "2100C", Valid: "N", Reason: "72", FollowUp: "C"}}},
		Summary{TraceNumber: "TRN0005", TraceOriginator: "9CLRHOUSE1", Subscriber: richard,
			Benefits: []Benefit{
				{Code: "1", CoverageLevel: "IND", ServiceTypes: []string{"30"}},
				{Code: "V", ServiceTypes: []string{"48"}, Errors: []RequestError{{Loop: "2110C", Valid: "N", Reason: "63", FollowUp: "C"}}},
			},
			Errors: []RequestError{{Loop: "2110C", Valid: "N", Reason: "63", FollowUp: "C"}}},
		Summary{TraceNumber: "TRN0006", TraceOriginator: "9CLRHOUSE1", Subscriber: richard, Dependent: &dep,
			Errors: []RequestError{{Loop: "2100D", Valid: "N", Reason: "67", FollowUp: "C"}}},
	)
	r2 := &Response{ReferenceID: "ELG000305", Created: envTime, Source: payerEntity,
		SourceErrors: []RequestError{{Loop: "2100A", Valid: "Y", Reason: "42", FollowUp: "R"}}}
	return []*Response{r1, r2}
}

func readGolden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	want, err := os.ReadFile(path)
	if *update && (err != nil || !bytes.Equal(got, want)) {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", path)
		want, err = got, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded differs from %s:\n%s", path, got)
	}
	return want
}

func TestGoldenRequest(t *testing.T) {
	var buf bytes.Buffer
	isa, gs := envelope()
	req := goldenRequest()
	if err := EncodeRequests(&buf, isa, gs, req); err != nil {
		t.Fatal(err)
	}
	in := readGolden(t, "request_batch.x12", buf.Bytes())
	reqs, err := DecodeRequests(bytes.NewReader(in))
	if err != nil || len(reqs) != 1 || len(reqs[0].Errors) > 0 {
		t.Fatalf("decode: %v %v", err, reqs)
	}
	got := reqs[0]
	req.ControlNumber = got.ControlNumber
	req.Inquiries[0].ServiceTypes = []string{"30"}
	req.Inquiries[2].ServiceTypes = []string{"30"}
	req.Inquiries[2].Subscriber.Gender, req.Inquiries[2].Subscriber.BirthDate = richard.Gender, richard.BirthDate
	if !reflect.DeepEqual(got, req) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, req)
	}
}

func TestGoldenResponses(t *testing.T) {
	cases := []struct {
		file  string
		resps []*Response
	}{
		{"eligibility_active.x12", []*Response{goldenActive()}},
		{"eligibility_inactive.x12", []*Response{goldenInactive()}},
		{"eligibility_dependent.x12", []*Response{goldenDependent()}},
		{"eligibility_errors.x12", goldenErrors()},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			isa, gs := envelope()
			if err := EncodeResponses(&buf, isa, gs, tc.resps...); err != nil {
				t.Fatal(err)
			}
			in := readGolden(t, tc.file, buf.Bytes())
			got, err := DecodeResponses(bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.resps) {
				t.Fatalf("%d responses", len(got))
			}
			for i, g := range got {
				if len(g.Errors) > 0 {
					t.Fatalf("decode errors: %v", g.Errors)
				}
				want := tc.resps[i]
				want.Interchange, want.Group, want.ControlNumber, want.Position = g.Interchange, g.Group, g.ControlNumber, g.Position
				for j := range want.Summaries {
					want.Summaries[j].Position = g.Summaries[j].Position
				}
				if !reflect.DeepEqual(g, want) {
					t.Errorf("response %d decoded\n%+v\nwant\n%+v", i, g, want)
				}
			}
		})
	}
}

func TestSummary(t *testing.T) {
	a := goldenActive().Summaries[0]
	if a.Coverage() != CoverageActive || a.Plan() != "GOLD PPO" {
		t.Fatalf("coverage %v plan %q", a.Coverage(), a.Plan())
	}
	if n, name := a.GroupNumber(); n != "GRP7788" || name != "RIVERSIDE EMPLOYEES" {
		t.Fatal(n, name)
	}
	if b, e := a.CoverageDates(); !b.Equal(day(2026, 1, 1)) || !e.IsZero() {
		t.Fatal(b, e)
	}
	byType := a.ByServiceType()
	if len(byType) != 4 || byType[0].ServiceType != "30" || len(byType[0].Deductible) != 3 || len(byType[0].OutOfPocket) != 2 ||
		len(byType[0].Coinsurance) != 2 || byType[1].ServiceType != "98" || byType[1].Copay[0].AmountCents != 2500 ||
		!byType[3].AuthorizationRequired || byType[3].ServiceType != "33" {
		t.Fatalf("%+v", byType)
	}
	if ops := a.OtherPayers(); len(ops) != 1 || ops[0].ID != "SCI22" {
		t.Fatal(ops)
	}
	in := goldenInactive().Summaries[0]
	if in.Coverage() != CoverageInactive {
		t.Fatal(in.Coverage())
	}
	if b, e := in.CoverageDates(); !b.Equal(day(2024, 1, 1)) || !e.Equal(day(2025, 12, 31)) {
		t.Fatal(b, e)
	}
	errs := goldenErrors()[0]
	if errs.Summaries[0].Coverage() != CoverageUnknown || errs.Match("TRN0006").Patient().First != "TOMMY" || errs.Match("nope") != nil {
		t.Fatal("error summary")
	}
}

// Every inquiry's trace number comes back in its answer.
func TestTraceMatchesBack(t *testing.T) {
	req := goldenRequest()
	resp := &Response{ReferenceID: req.ReferenceID, Created: envTime, Source: req.Source, Receiver: req.Receiver}
	for _, q := range req.Inquiries {
		resp.Summaries = append(resp.Summaries, Summary{TraceNumber: q.TraceNumber, TraceOriginator: q.TraceOriginator,
			Subscriber: q.Subscriber, Dependent: q.Dependent, Benefits: []Benefit{{Code: "1", ServiceTypes: []string{"30"}}}})
	}
	var buf bytes.Buffer
	isa, gs := envelope()
	if err := EncodeResponses(&buf, isa, gs, resp); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeResponses(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range req.Inquiries {
		s := got[0].Match(q.TraceNumber)
		if s == nil || s.Patient().First != q.Subscriber.First && (q.Dependent == nil || s.Patient().First != q.Dependent.First) {
			t.Fatalf("inquiry %s: %+v", q.TraceNumber, s)
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	isa, gs := envelope()
	r := goldenRequest()
	r.Inquiries[1].TraceNumber = r.Inquiries[0].TraceNumber
	if err := EncodeRequests(&bytes.Buffer{}, isa, gs, r); !errors.Is(err, edi.ErrImplementation) {
		t.Fatalf("duplicate trace: %v", err)
	}
	r = goldenRequest()
	r.Receiver.IDQualifier = "FI"
	if err := EncodeRequests(&bytes.Buffer{}, isa, gs, r); !errors.Is(err, edi.ErrImplementation) {
		t.Fatalf("no NPI: %v", err)
	}
	r = goldenRequest()
	r.Inquiries[0].Subscriber.Last = "DOE\x1fX"
	if err := EncodeRequests(&bytes.Buffer{}, isa, gs, r); !errors.Is(err, edi.ErrSyntax) {
		t.Fatalf("control character: %v", err)
	}
	resp := goldenActive()
	resp.Summaries[0].Benefits = nil
	if err := EncodeResponses(&bytes.Buffer{}, isa, gs, resp); !errors.Is(err, edi.ErrImplementation) {
		t.Fatalf("no EB: %v", err)
	}
}

func TestPercent(t *testing.T) {
	for in, want := range map[string]int64{".2": 2000, "0.2": 2000, "1": 10000, ".125": 1250, ".12345": -1, "0": 0, "x": -1, ".": -1, ".20000": 2000} {
		got, ok := parsePercent([]byte(in))
		if want < 0 && ok || want >= 0 && (!ok || got != want) {
			t.Errorf("parsePercent(%q) = %d, %v", in, got, ok)
		}
	}
	for bp, want := range map[int64]string{2000: ".2", 10000: "1", 1250: ".125", 0: "0", 15000: "1.5"} {
		if got := formatPercent(bp); got != want {
			t.Errorf("formatPercent(%d) = %q", bp, got)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	head := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260302*2205*^*00501*000000301*0*T*:~GS*HB*A*B*20260302*2205*1*X*005010X279A1~"
	tests := []struct {
		name  string
		in    string
		fatal bool
	}{
		{"not 271", head + "ST*270*0001*005010X279A1~SE*2*0001~", true},
		{"truncated", head + "ST*271*0001*005010X279A1~BHT*0022*11*1*20260302*2205~", true},
		// Issue 14: an ISA-only file and one cut before its IEA decoded
		// to nothing, or to a complete response, without an error.
		{"ISA only", head[:strings.Index(head, "GS*")], true},
		{"no IEA", head + "ST*271*0001*005010X279A1~HL*1**20*1~HL*2*1*21*1~HL*3*2*22*0~TRN*2*T1*9X~NM1*IL*1*A~EB*1**30~SE*8*0001~GE*1*1~", true},
		{"bad percent", head + "ST*271*0001*005010X279A1~HL*1**20*1~HL*2*1*21*1~HL*3*2*22*0~TRN*2*T1*9X~NM1*IL*1*A~EB*A**30****X~SE*8*0001~GE*1*1~IEA*1*000000301~", false},
		{"EB outside", head + "ST*271*0001*005010X279A1~HL*1**20*1~EB*1~SE*4*0001~GE*1*1~IEA*1*000000301~", false},
		{"no TRN", head + "ST*271*0001*005010X279A1~HL*1**20*1~HL*2*1*21*1~HL*3*2*22*0~NM1*IL*1*A~EB*1~SE*7*0001~GE*1*1~IEA*1*000000301~", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resps, err := DecodeResponses(strings.NewReader(tt.in))
			if tt.fatal {
				var pe *edi.Error
				if !errors.As(err, &pe) || pe.Pos.Segment == 0 || !(errors.Is(err, edi.ErrEnvelope) || errors.Is(err, edi.ErrImplementation)) {
					t.Fatalf("want a positioned error, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(resps) != 1 || len(resps[0].Errors) == 0 {
				t.Fatal("no errors")
			}
			for _, e := range resps[0].Errors {
				if e.Pos.Segment == 0 || !(errors.Is(e, edi.ErrSyntax) || errors.Is(e, edi.ErrImplementation)) {
					t.Errorf("bad error %v", e)
				}
			}
		})
	}
}

// Every 270 and 271 of the committed samples decodes or fails with
// positioned errors.
func TestSamples(t *testing.T) {
	for _, kind := range []string{"270", "271"} {
		files, _ := filepath.Glob("../../fixtures/x12/samples/" + kind + "/*")
		if len(files) == 0 {
			t.Fatalf("no %s samples in fixtures/x12/samples", kind)
		}
		for _, f := range files {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if kind == "270" {
				_, err = DecodeRequests(bytes.NewReader(in))
			} else {
				_, err = DecodeResponses(bytes.NewReader(in))
			}
			if err != nil {
				var pe *edi.Error
				if !errors.As(err, &pe) || pe.Pos.Segment == 0 || !(errors.Is(err, edi.ErrEnvelope) || errors.Is(err, edi.ErrImplementation)) {
					t.Errorf("%s: unpositioned %v", f, err)
				}
				t.Logf("%s: %v", filepath.Base(f), err)
			}
		}
	}
}

func FuzzDecodeResponses(f *testing.F) {
	// The hostile corpus (testdata/hostile) of this transaction.
	hostile, _ := filepath.Glob("../../testdata/hostile/271/*.x12")
	for _, file := range hostile {
		if b, err := os.ReadFile(file); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		resps, err := DecodeResponses(bytes.NewReader(in))
		if err != nil {
			var pe *edi.Error
			if !errors.As(err, &pe) {
				t.Fatalf("not an *edi.Error: %v", err)
			}
			return
		}
		for _, r := range resps {
			for _, e := range r.Errors {
				if e.Pos.Segment == 0 {
					t.Fatalf("unpositioned %v", e)
				}
			}
			if len(r.Errors) > 0 {
				return
			}
		}
		var buf bytes.Buffer
		isa, gs := envelope()
		if len(resps) == 0 || EncodeResponses(&buf, isa, gs, resps...) != nil {
			return
		}
		again, err := DecodeResponses(&buf)
		if err != nil || len(again) != len(resps) {
			t.Fatalf("round trip: %v\n%s", err, buf.Bytes())
		}
		for i := range again {
			if len(again[i].Summaries) != len(resps[i].Summaries) {
				t.Fatalf("summaries differ after round trip")
			}
			for j := range again[i].Summaries {
				a, b := again[i].Summaries[j], resps[i].Summaries[j]
				if a.TraceNumber != b.TraceNumber || len(a.Benefits) != len(b.Benefits) || a.Coverage() != b.Coverage() {
					t.Fatalf("summary %d differs after round trip", j)
				}
			}
		}
	})
}

func FuzzDecodeRequests(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		reqs, err := DecodeRequests(bytes.NewReader(in))
		if err != nil {
			var pe *edi.Error
			if !errors.As(err, &pe) {
				t.Fatalf("not an *edi.Error: %v", err)
			}
			return
		}
		for _, r := range reqs {
			if len(r.Errors) > 0 {
				return
			}
		}
		var buf bytes.Buffer
		isa, gs := envelope()
		if len(reqs) == 0 || EncodeRequests(&buf, isa, gs, reqs...) != nil {
			return
		}
		again, err := DecodeRequests(&buf)
		if err != nil || len(again) != len(reqs) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range again {
			if len(again[i].Inquiries) != len(reqs[i].Inquiries) {
				t.Fatalf("inquiries differ after round trip")
			}
		}
	})
}
