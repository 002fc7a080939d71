package x277

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/fixtures"
)

func sc(cat, code, entity string, charge int64) Status {
	return Status{Codes: []StatusCode{{Category: cat, Code: code, Entity: entity}}, Date: day(2026, 2, 3), AmountCents: charge}
}

var (
	payerName    = Entity{EntityCode: "PR", EntityType: "2", Last: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01"}
	receiverName = Entity{EntityCode: "41", EntityType: "2", Last: "CLEARHOUSE", IDQualifier: "46", ID: "CLEARHOUSE"}
	providerName = Entity{EntityCode: "1P", EntityType: "2", Last: "RIVERSIDE CLINIC", IDQualifier: "XX", ID: "1234567893"}
)

// goldenStatus answers a 276 about five claims, one per standing the
// simulator reports: paid (F1), denied (F2), pending (P1), received (A2)
// and not found (A4), the last two for a dependent (Loop 2000E).
func goldenStatus() *StatusResponse {
	paid := sc("F1", "1", "", 15000)
	paid.PaidCents, paid.AdjudicatedDate, paid.CheckDate, paid.CheckNumber = 12000, day(2026, 1, 30), day(2026, 1, 31), "EFT0001"
	denied := sc("F2", "1", "", 30000)
	denied.AdjudicatedDate = day(2026, 1, 30)
	return &StatusResponse{ReferenceID: "STS000301", Created: envTime,
		Sources: []StatusSource{{Name: payerName,
			Receivers: []StatusReceiver{{Name: receiverName,
				Providers: []StatusProvider{{Name: providerName,
					Subscribers: []StatusSubscriber{
						{Name: Entity{EntityCode: "IL", EntityType: "1", Last: "DOE", First: "JANE", IDQualifier: "MI", ID: "MBR100"},
							Claims: []StatusClaim{
								{TraceNumber: "ST-PCN1001", Statuses: []Status{paid}, PayerClaimControlNumber: "PAYER9001",
									PatientControlNumber: "PCN1001", ServiceFrom: day(2026, 1, 5), ServiceTo: day(2026, 1, 5),
									Lines: []LineStatus{{Qualifier: "HC", Procedure: "99213", ChargeCents: 15000, PaidCents: 12000, Units: "1",
										Statuses: []Status{sc("F1", "1", "", 0)}, LineItemControlNumber: "L1001-1",
										ServiceFrom: day(2026, 1, 5), ServiceTo: day(2026, 1, 5)}}},
								{TraceNumber: "ST-PCN1002", Statuses: []Status{denied}, PayerClaimControlNumber: "PAYER9002",
									PatientControlNumber: "PCN1002", ServiceFrom: day(2026, 1, 5), ServiceTo: day(2026, 1, 6)},
								{TraceNumber: "ST-PCN1003", Statuses: []Status{sc("P1", "20", "", 17500)}, PayerClaimControlNumber: "PAYER9003",
									PatientControlNumber: "PCN1003", ServiceFrom: day(2026, 1, 6), ServiceTo: day(2026, 1, 6)},
							}},
						{Name: Entity{EntityCode: "IL", EntityType: "1", Last: "ROE", First: "RICHARD", IDQualifier: "MI", ID: "MBR200"},
							Dependents: []StatusDependent{{Name: Entity{EntityCode: "QC", EntityType: "1", Last: "ROE", First: "RUTH"},
								Claims: []StatusClaim{
									{TraceNumber: "ST-PCN1004", Statuses: []Status{sc("A2", "20", "", 9000)},
										PatientControlNumber: "PCN1004", ClearinghouseTrace: "CH0000004", ServiceFrom: day(2026, 1, 7), ServiceTo: day(2026, 1, 7)},
									{TraceNumber: "ST-PCN1005", Statuses: []Status{{Codes: []StatusCode{{Category: "A4", Code: "35"}}, Date: day(2026, 2, 3), AmountCents: 4500}},
										PatientControlNumber: "PCN1005", ServiceFrom: day(2026, 1, 8), ServiceTo: day(2026, 1, 8)},
								}}}},
					}}},
			}}},
		}}
}

// goldenStatusError answers a whole inquiry at the receiver level (Loop
// 2200B) with E0, as the information-receiver-level sample does.
func goldenStatusError() *StatusResponse {
	return &StatusResponse{ReferenceID: "STS000302", Created: envTime,
		Sources: []StatusSource{{Name: payerName,
			Receivers: []StatusReceiver{{Name: receiverName, TraceNumber: "INQ0042",
				Statuses: []Status{{Codes: []StatusCode{{Category: "E0", Code: "0"}}, Date: day(2026, 2, 3)}}}}}}}
}

// clearPositions copies the decoded positions into want, which has none.
func clearPositions(got, want *StatusResponse) {
	want.Interchange, want.Group, want.ControlNumber, want.Position = got.Interchange, got.Group, got.ControlNumber, got.Position
	var pos []edi.Position
	got.Claims(func(_ *StatusSubscriber, _ *StatusDependent, c *StatusClaim) { pos = append(pos, c.Position) })
	i := 0
	want.Claims(func(_ *StatusSubscriber, _ *StatusDependent, c *StatusClaim) {
		if i < len(pos) {
			c.Position = pos[i]
		}
		i++
	})
}

func TestStatusGolden(t *testing.T) {
	for name, r := range map[string]*StatusResponse{"status_response.x12": goldenStatus(), "status_receiver_error.x12": goldenStatusError()} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name)
			var buf bytes.Buffer
			isa, gs := envelope()
			if err := EncodeStatus(&buf, isa, gs, r); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(path)
			if *update && !bytes.Equal(buf.Bytes(), want) {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				want, err = buf.Bytes(), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("encoded differs from %s:\n%s", path, buf.Bytes())
			}
			resps, err := DecodeStatus(bytes.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			if len(resps) != 1 || len(resps[0].Errors) > 0 {
				t.Fatalf("decoded %d sets, errors %v", len(resps), resps[0].Errors)
			}
			got := resps[0]
			clearPositions(got, r)
			if !reflect.DeepEqual(got, r) {
				t.Fatalf("decoded:\n%+v\nwant\n%+v", got, r)
			}
		})
	}
}

func TestStanding(t *testing.T) {
	var got []Standing
	goldenStatus().Claims(func(_ *StatusSubscriber, _ *StatusDependent, c *StatusClaim) {
		got = append(got, StandingOf(c.Category()))
	})
	want := []Standing{StandingPaid, StandingDenied, StandingPending, StandingReceived, StandingNotFound}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for cat, want := range map[string]Standing{
		"A1": StandingReceived, "A3": StandingRejected, "A7": StandingRejected, "D0": StandingNotFound,
		"P3": StandingPending, "R4": StandingPending, "F0": StandingFinalized, "F4": StandingFinalized,
		"E0": StandingError, "": StandingUnknown, "Z9": StandingUnknown,
	} {
		if got := StandingOf(cat); got != want {
			t.Errorf("StandingOf(%q) = %s, want %s", cat, got, want)
		}
	}
}

func TestEncodeStatusRefuses(t *testing.T) {
	isa, gs := envelope()
	tests := map[string]func(r *StatusResponse){
		"no trace": func(r *StatusResponse) {
			r.Sources[0].Receivers[0].Providers[0].Subscribers[0].Claims[0].TraceNumber = ""
		},
		"no STC02": func(r *StatusResponse) {
			r.Sources[0].Receivers[0].Providers[0].Subscribers[0].Claims[1].Statuses[0].Date = time.Time{}
		},
		"STC03 used": func(r *StatusResponse) {
			r.Sources[0].Receivers[0].Providers[0].Subscribers[0].Claims[1].Statuses[0].Action = "WQ"
		},
		"line without date": func(r *StatusResponse) {
			r.Sources[0].Receivers[0].Providers[0].Subscribers[0].Claims[0].Lines[0].ServiceFrom = time.Time{}
		},
		"line STC04": func(r *StatusResponse) {
			r.Sources[0].Receivers[0].Providers[0].Subscribers[0].Claims[0].Lines[0].Statuses[0].AmountCents = 1
		},
		"dependent without claim": func(r *StatusResponse) {
			r.Sources[0].Receivers[0].Providers[0].Subscribers[1].Dependents[0].Claims = nil
		},
		"no payer ID": func(r *StatusResponse) { r.Sources[0].Name.ID = "" },
		"2200B half":  func(r *StatusResponse) { r.Sources[0].Receivers[0].TraceNumber = "X" },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			r := goldenStatus()
			mutate(r)
			var buf bytes.Buffer
			if err := EncodeStatus(&buf, isa, gs, r); !errors.Is(err, edi.ErrImplementation) {
				t.Fatalf("want ErrImplementation, got %v", err)
			}
			if buf.Len() != 0 {
				t.Fatal("wrote output before refusing")
			}
		})
	}
}

func TestDecodeStatusErrors(t *testing.T) {
	head := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260203*0815*^*00501*000000201*0*T*:~GS*HN*A*B*20260203*0815*1*X*005010X212~"
	tests := []struct {
		name  string
		in    string
		fatal bool
	}{
		{"not 277", head + "ST*276*0001~SE*2*0001~", true},
		{"truncated", head + "ST*277*0001*005010X212~BHT*0010*08*1*20260203*0815*DG~", true},
		// Issue 14: an ISA-only file and one cut before its IEA.
		{"ISA only", head[:strings.Index(head, "GS*")], true},
		{"no IEA", head + "ST*277*0001*005010X212~BHT*0010*08*1*20260203*0815*DG~SE*3*0001~GE*1*1~", true},
		{"277CA", head + "ST*277*0001*005010X214~BHT*0085*08*1*20260203*0815*TH~HL*1**20*1~SE*4*0001~GE*1*1~IEA*1*000000201~", false},
		{"bad parent", head + "ST*277*0001*005010X212~BHT*0010*08*1*20260203*0815*DG~HL*1**20*1~HL*2*9*21*1~SE*5*0001~GE*1*1~IEA*1*000000201~", false},
		{"subscriber first", head + "ST*277*0001*005010X212~HL*1**22*0~TRN*2*X~STC*A1:20*20260203~SE*5*0001~GE*1*1~IEA*1*000000201~", false},
		{"bad amount", head + "ST*277*0001*005010X212~BHT*0010*08*1*20260203*0815*DG~HL*1**20*1~NM1*PR*2*P*****PI*1~HL*2*1*21*1~NM1*41*2*R*****46*2~HL*3*2*19*1~NM1*1P*2*C*****XX*3~HL*4*3*22*0~NM1*IL*1*D*J****MI*4~TRN*2*T~STC*F1:1*20260203**1.2.3~SE*13*0001~GE*1*1~IEA*1*000000201~", false},
		{"STC before TRN", head + "ST*277*0001*005010X212~BHT*0010*08*1*20260203*0815*DG~HL*1**20*1~NM1*PR*2*P*****PI*1~HL*2*1*21*1~NM1*41*2*R*****46*2~HL*3*2*19*1~NM1*1P*2*C*****XX*3~HL*4*3*22*0~NM1*IL*1*D*J****MI*4~STC*F1:1*20260203~SE*12*0001~GE*1*1~IEA*1*000000201~", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resps, err := DecodeStatus(strings.NewReader(tt.in))
			if tt.fatal {
				var pe *edi.Error
				if !errors.As(err, &pe) || pe.Pos.Segment == 0 {
					t.Fatalf("want a positioned fatal error, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var errs []*edi.Error
			for _, r := range resps {
				errs = append(errs, r.Errors...)
			}
			if len(errs) == 0 {
				t.Fatal("no errors")
			}
			for _, e := range errs {
				if e.Pos.Segment == 0 || !(errors.Is(e, edi.ErrSyntax) || errors.Is(e, edi.ErrImplementation)) {
					t.Errorf("bad error %v", e)
				}
			}
		})
	}
}

// sampleVerdicts reads INDEX.tsv's verdict_2026_12 column by file.
func sampleVerdicts(t testing.TB) map[string]string {
	index, err := fs(t, "samples/INDEX.tsv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(index)), "\n")
	col := -1
	for i, h := range strings.Split(lines[0], "\t") {
		if h == "verdict_2026_12" {
			col = i
		}
	}
	if col < 0 {
		t.Fatal("INDEX.tsv has no verdict_2026_12 column")
	}
	out := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) > col {
			out[f[1]] = f[col]
		}
	}
	return out
}

func fs(_ testing.TB, name string) ([]byte, error) {
	return fixtures.X12Sample(strings.TrimPrefix(name, "samples/"))
}

// Every real X212 277 in fixtures/x12/samples/277 decodes without a panic;
// the ones INDEX.tsv's verdict_2026_12 calls OK decode with no error and
// at least one status, and the others decode or report positioned errors.
func TestStatusFixtureSamples(t *testing.T) {
	verdicts := sampleVerdicts(t)
	names, err := fixtures.X12Samples()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		if !strings.HasPrefix(name, "277/") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			in, err := fixtures.X12Sample(name)
			if err != nil {
				t.Fatal(err)
			}
			resps, err := DecodeStatus(bytes.NewReader(in))
			if err != nil {
				var pe *edi.Error
				if !errors.As(err, &pe) || pe.Pos.Segment == 0 {
					t.Fatalf("unpositioned %v", err)
				}
				if verdicts[name] == "OK" {
					t.Fatalf("a valid sample stops decoding: %v", err)
				}
				return
			}
			if len(resps) != 1 {
				t.Fatalf("%d sets", len(resps))
			}
			for _, e := range resps[0].Errors {
				if e.Pos.Segment == 0 {
					t.Errorf("unpositioned %v", e)
				}
				if verdicts[name] == "OK" {
					t.Errorf("a valid sample reports %v", e)
				}
			}
			statuses := 0
			for _, s := range resps[0].Sources {
				for _, rc := range s.Receivers {
					statuses += len(rc.Statuses)
					for _, p := range rc.Providers {
						statuses += len(p.Statuses)
					}
				}
			}
			resps[0].Claims(func(_ *StatusSubscriber, _ *StatusDependent, c *StatusClaim) { statuses += len(c.Statuses) })
			if statuses == 0 {
				t.Error("no status decoded")
			}
		})
	}
	if n == 0 {
		t.Fatal("no 277 samples in fixtures")
	}
}

// The demo sample's three claims decode with their categories and
// adjudication amounts (fixtures/x12/samples/277, LinuxForHealth demo.277).
func TestStatusDemoSample(t *testing.T) {
	in, err := fixtures.X12Sample("277/LinuxForHealth-x12__demo-file_demo.277")
	if err != nil {
		t.Fatal(err)
	}
	resps, err := DecodeStatus(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Trace, Cat, Dep string
		Charge, Paid    int64
		Lines           int
	}
	var got []row
	resps[0].Claims(func(_ *StatusSubscriber, d *StatusDependent, c *StatusClaim) {
		dep := ""
		if d != nil {
			dep = d.Name.First
		}
		got = append(got, row{c.TraceNumber, c.Category(), dep, c.Statuses[0].AmountCents, c.Statuses[0].PaidCents, len(c.Lines)})
	})
	want := []row{{"ABCXYZ1", "P3", "", 851388, 0, 0}, {"ABCXYZ2", "F0", "", 759900, 759900, 0}, {"ABCXYC3", "F2", "JOSEPH", 15000, 0, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v\nwant %+v", got, want)
	}
}

func FuzzDecodeStatus(f *testing.F) {
	for _, name := range []string{"status_response.x12", "status_receiver_error.x12"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "golden", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		resps, err := DecodeStatus(bytes.NewReader(in))
		if err != nil {
			var pe *edi.Error
			if !errors.As(err, &pe) {
				t.Fatalf("not an *edi.Error: %v", err)
			}
			return
		}
		clean := len(resps) > 0
		for _, r := range resps {
			for _, e := range r.Errors {
				clean = false
				if e.Pos.Segment == 0 {
					t.Fatalf("unpositioned %v", e)
				}
			}
		}
		if !clean {
			return
		}
		var buf bytes.Buffer
		isa, gs := envelope()
		if EncodeStatus(&buf, isa, gs, resps...) != nil {
			return
		}
		again, err := DecodeStatus(&buf)
		if err != nil || len(again) != len(resps) {
			t.Fatalf("round trip: %v, %d sets", err, len(again))
		}
		claims := func(rs []*StatusResponse) []string {
			var out []string
			for _, r := range rs {
				r.Claims(func(_ *StatusSubscriber, _ *StatusDependent, c *StatusClaim) {
					out = append(out, c.TraceNumber+"/"+c.Category()+"/"+edi.FormatAmount(c.Statuses[0].AmountCents)+"/"+edi.FormatAmount(c.Statuses[0].PaidCents))
				})
			}
			return out
		}
		if a, b := claims(resps), claims(again); !reflect.DeepEqual(a, b) {
			t.Fatalf("claims differ after round trip: %v / %v", a, b)
		}
	})
}

func BenchmarkDecodeStatus(b *testing.B) {
	in, err := os.ReadFile(filepath.Join("testdata", "golden", "status_response.x12"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := DecodeStatus(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeStatus(b *testing.B) {
	r := goldenStatus()
	isa, gs := envelope()
	var buf bytes.Buffer
	if err := EncodeStatus(&buf, isa, gs, r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		buf.Reset()
		if err := EncodeStatus(&buf, isa, gs, r); err != nil {
			b.Fatal(err)
		}
	}
}

// Every segment and qualifier the claim status encoder writes occurs in
// the real X212 277 samples (fixtures/x12/samples/277), but for REF*FJ,
// which they do not carry: X212 Loop 2220D REF (Service Line Item
// Identification, REF01 FJ; situational, pyx12 map 277.5010.X212.xml).
func TestStatusSegmentsMatchSamples(t *testing.T) {
	keys := func(b []byte) map[string]bool {
		r := edi.NewReader(bytes.NewReader(b))
		out := map[string]bool{}
		for {
			s, err := r.Next()
			if err != nil {
				return out
			}
			k := string(s.ID())
			switch k {
			case "REF", "NM1", "TRN", "DTP", "BHT":
				k += "*" + s.String(1)
			}
			out[k] = true
		}
	}
	names, err := fixtures.X12Samples()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{"REF*FJ": true}
	for _, n := range names {
		if strings.HasPrefix(n, "277/") {
			b, err := fixtures.X12Sample(n)
			if err != nil {
				t.Fatal(err)
			}
			for k := range keys(b) {
				seen[k] = true
			}
		}
	}
	for _, g := range []string{"status_response.x12", "status_receiver_error.x12"} {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", g))
		if err != nil {
			t.Fatal(err)
		}
		for k := range keys(b) {
			if !seen[k] {
				t.Errorf("%s: %s is written but occurs in no real 277 sample", g, k)
			}
		}
	}
}
