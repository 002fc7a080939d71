package x276

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
	"github.com/clearhouse/clearhouse/fixtures"
)

var update = flag.Bool("update", false, "rewrite golden files from the test models")

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

var envTime = time.Date(2026, 2, 3, 8, 15, 0, 0, time.UTC)

func envelope() (edi.ISAHeader, edi.GSHeader) {
	return edi.ISAHeader{SenderID: "CLEARHOUSE", ReceiverID: "ACME01", Time: envTime, ControlNumber: 301, Usage: "T"},
		edi.GSHeader{SenderCode: "CLEARHOUSE", ReceiverCode: "ACME01", Time: envTime, ControlNumber: 301}
}

// goldenRequest asks about three claims: two of a subscriber who is the
// patient (one with its service line), one of a dependent.
func goldenRequest() *Request {
	return &Request{ReferenceID: "INQ000301", Created: envTime,
		Sources: []Source{{Name: Entity{EntityCode: "PR", EntityType: "2", Last: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01"},
			Receivers: []Receiver{{Name: Entity{EntityCode: "41", EntityType: "2", Last: "CLEARHOUSE", IDQualifier: "46", ID: "CLEARHOUSE"},
				Providers: []Provider{{Name: Entity{EntityCode: "1P", EntityType: "2", Last: "RIVERSIDE CLINIC", IDQualifier: "XX", ID: "1234567893"},
					Subscribers: []Subscriber{
						{Demographics: Demographics{BirthDate: day(1980, 4, 1), Gender: "F"},
							Name: Entity{EntityCode: "IL", EntityType: "1", Last: "DOE", First: "JANE", IDQualifier: "MI", ID: "MBR100"},
							Claims: []Claim{
								{TraceNumber: "ST-PCN1001", PayerClaimControlNumber: "PAYER9001", PatientControlNumber: "PCN1001", ChargeCents: 15000,
									ServiceFrom: day(2026, 1, 5), ServiceTo: day(2026, 1, 5),
									Lines: []Line{{Qualifier: "HC", Procedure: "99213", Modifiers: [4]string{"25"}, ChargeCents: 15000, Units: "1",
										LineItemControlNumber: "L1001-1", ServiceFrom: day(2026, 1, 5), ServiceTo: day(2026, 1, 5)}}},
								{TraceNumber: "ST-PCN1002", PatientControlNumber: "PCN1002", BillType: "131", ChargeCents: 30050,
									ServiceFrom: day(2026, 1, 5), ServiceTo: day(2026, 1, 6)},
							}},
						{Name: Entity{EntityCode: "IL", EntityType: "1", Last: "ROE", First: "RICHARD", IDQualifier: "MI", ID: "MBR200"},
							Dependents: []Dependent{{Demographics: Demographics{BirthDate: day(2015, 9, 9), Gender: "F"},
								Name: Entity{EntityCode: "QC", EntityType: "1", Last: "ROE", First: "RUTH"},
								Claims: []Claim{{TraceNumber: "ST-PCN1004", PatientControlNumber: "PCN1004", ClearinghouseTrace: "CH0000004",
									ChargeCents: 9000, ServiceFrom: day(2026, 1, 7), ServiceTo: day(2026, 1, 7)}}}}},
					}}},
			}}},
		}}
}

func TestGolden(t *testing.T) {
	path := filepath.Join("testdata", "golden", "request.x12")
	r := goldenRequest()
	var buf bytes.Buffer
	isa, gs := envelope()
	if err := Encode(&buf, isa, gs, r); err != nil {
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
	reqs, err := Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || len(reqs[0].Errors) > 0 {
		t.Fatalf("decoded %d sets, errors %v", len(reqs), reqs[0].Errors)
	}
	got := reqs[0]
	r.Interchange, r.Group, r.ControlNumber, r.Position = got.Interchange, got.Group, got.ControlNumber, got.Position
	var pos []edi.Position
	got.Claims(func(_ *Provider, _ *Subscriber, _ *Dependent, c *Claim) { pos = append(pos, c.Position) })
	i := 0
	r.Claims(func(_ *Provider, _ *Subscriber, _ *Dependent, c *Claim) { c.Position = pos[i]; i++ })
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("decoded:\n%+v\nwant\n%+v", got, r)
	}
}

func TestEncodeRefuses(t *testing.T) {
	isa, gs := envelope()
	sub := func(r *Request, i int) *Subscriber { return &r.Sources[0].Receivers[0].Providers[0].Subscribers[i] }
	tests := map[string]func(r *Request){
		"no trace":         func(r *Request) { sub(r, 0).Claims[0].TraceNumber = "" },
		"no patient DMG":   func(r *Request) { sub(r, 0).BirthDate = time.Time{} },
		"no dependent DMG": func(r *Request) { sub(r, 1).Dependents[0].BirthDate = time.Time{} },
		"no service date":  func(r *Request) { sub(r, 0).Claims[1].ServiceFrom = time.Time{} },
		"undated line": func(r *Request) {
			c := &sub(r, 0).Claims[0]
			c.ServiceFrom, c.Lines[0].ServiceFrom = time.Time{}, time.Time{}
		},
		"no member ID":         func(r *Request) { sub(r, 0).Name.ID = "" },
		"no provider":          func(r *Request) { r.Sources[0].Receivers[0].Providers = nil },
		"no reference":         func(r *Request) { r.ReferenceID = "" },
		"subscriber, no claim": func(r *Request) { sub(r, 1).Dependents = nil },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			r := goldenRequest()
			mutate(r)
			var buf bytes.Buffer
			if err := Encode(&buf, isa, gs, r); !errors.Is(err, edi.ErrImplementation) {
				t.Fatalf("want ErrImplementation, got %v", err)
			}
			if buf.Len() != 0 {
				t.Fatal("wrote output before refusing")
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	head := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260203*0815*^*00501*000000301*0*T*:~GS*HR*A*B*20260203*0815*1*X*005010X212~"
	body := "ST*276*0001*005010X212~BHT*0010*13*1*20260203*0815~HL*1**20*1~NM1*PR*2*P*****PI*1~HL*2*1*21*1~NM1*41*2*R*****46*2~HL*3*2*19*1~NM1*1P*2*C*****XX*3~HL*4*3*22*0~DMG*D8*19800401*F~NM1*IL*1*D*J****MI*4~TRN*1*T~"
	end := "SE*14*0001~GE*1*1~IEA*1*000000301~"
	tests := []struct {
		name  string
		in    string
		fatal bool
	}{
		{"not 276", head + "ST*277*0001~SE*2*0001~", true},
		{"truncated", head + body, true},
		{"bad amount", head + body + "AMT*T3*1.2.3~" + end, false},
		{"bad date", head + body + "DTP*472*D8*20261301~" + end, false},
		{"bad range", head + body + "DTP*472*RD8*20260101~" + end, false},
		{"TRN02 elsewhere", head + "ST*276*0001*005010X212~HL*1**20*1~TRN*1*T~" + end, false},
		{"bad parent", head + "ST*276*0001*005010X212~HL*1**20*1~HL*2*7*21*1~" + end, false},
		{"orphan subscriber", head + "ST*276*0001*005010X212~HL*1**22*0~NM1*IL*1*D~" + end, false},
		{"foreign segment", head + body + "CLM*1*2~" + end, false},
		{"ST03", head + "ST*276*0001*005010X214~HL*1**20*1~" + end, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs, err := Decode(strings.NewReader(tt.in))
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
			for _, r := range reqs {
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

// Every real 276 in fixtures/x12/samples/276 (all OK in INDEX.tsv's
// verdict_2026_12) decodes with no error, and encodes back to a 276 that
// decodes to the same claims.
func TestFixtureSamples(t *testing.T) {
	names, err := fixtures.X12Samples()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		if !strings.HasPrefix(name, "276/") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			in, err := fixtures.X12Sample(name)
			if err != nil {
				t.Fatal(err)
			}
			reqs, err := Decode(bytes.NewReader(in))
			if err != nil || len(reqs) != 1 || len(reqs[0].Errors) > 0 {
				t.Fatalf("%v %d sets %v", err, len(reqs), reqs[0].Errors)
			}
			var claims []string
			reqs[0].Claims(func(_ *Provider, _ *Subscriber, _ *Dependent, c *Claim) {
				claims = append(claims, c.TraceNumber+"/"+c.PatientControlNumber+"/"+edi.FormatAmount(c.ChargeCents))
			})
			if len(claims) == 0 {
				t.Fatal("no claims")
			}
			var buf bytes.Buffer
			isa, gs := envelope()
			if err := Encode(&buf, isa, gs, reqs...); err != nil {
				t.Fatal(err)
			}
			again, err := Decode(&buf)
			if err != nil || len(again[0].Errors) > 0 {
				t.Fatalf("re-encoded: %v %v", err, again[0].Errors)
			}
			var claims2 []string
			again[0].Claims(func(_ *Provider, _ *Subscriber, _ *Dependent, c *Claim) {
				claims2 = append(claims2, c.TraceNumber+"/"+c.PatientControlNumber+"/"+edi.FormatAmount(c.ChargeCents))
			})
			if !reflect.DeepEqual(claims, claims2) {
				t.Fatalf("%v / %v", claims, claims2)
			}
		})
	}
	if n == 0 {
		t.Fatal("no 276 samples in fixtures")
	}
}

func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		reqs, err := Decode(bytes.NewReader(in))
		if err != nil {
			var pe *edi.Error
			if !errors.As(err, &pe) {
				t.Fatalf("not an *edi.Error: %v", err)
			}
			return
		}
		clean := len(reqs) > 0
		for _, r := range reqs {
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
		if Encode(&buf, isa, gs, reqs...) != nil {
			return
		}
		again, err := Decode(&buf)
		if err != nil || len(again) != len(reqs) {
			t.Fatalf("round trip: %v, %d sets", err, len(again))
		}
		claims := func(rs []*Request) []string {
			var out []string
			for _, r := range rs {
				r.Claims(func(_ *Provider, _ *Subscriber, _ *Dependent, c *Claim) {
					out = append(out, c.TraceNumber+"/"+c.PatientControlNumber+"/"+edi.FormatAmount(c.ChargeCents))
				})
			}
			return out
		}
		if a, b := claims(reqs), claims(again); !reflect.DeepEqual(a, b) {
			t.Fatalf("claims differ after round trip: %v / %v", a, b)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	in, err := os.ReadFile(filepath.Join("testdata", "golden", "request.x12"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Decode(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	r := goldenRequest()
	isa, gs := envelope()
	var buf bytes.Buffer
	if err := Encode(&buf, isa, gs, r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, isa, gs, r); err != nil {
			b.Fatal(err)
		}
	}
}

// segmentKeys lists the segment IDs of an X12 file with the qualifier
// (first element) of the segments that have one: "REF*EJ", "NM1*IL".
func segmentKeys(t *testing.T, b []byte) map[string]bool {
	t.Helper()
	r := edi.NewReader(bytes.NewReader(b))
	keys := map[string]bool{}
	for {
		s, err := r.Next()
		if err != nil {
			break
		}
		k := string(s.ID())
		switch k {
		case "REF", "NM1", "TRN", "DTP", "AMT", "DMG":
			k += "*" + s.String(1)
		}
		keys[k] = true
	}
	return keys
}

// Every segment and qualifier the encoder writes occurs in the real X212
// 276 samples, but for REF*1K, REF*D9 and REF*FJ, which the samples do
// not carry: X212 Loop 2200D REF (Payer Claim Control Number, REF01 1K),
// REF (Claim Identification Number for Clearinghouses, REF01 D9) and
// Loop 2210D REF (Service Line Item Identification, REF01 FJ) are
// situational segments of the guide.
func TestSegmentsMatchSamples(t *testing.T) {
	names, err := fixtures.X12Samples()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{"REF*1K": true, "REF*D9": true, "REF*FJ": true}
	for _, n := range names {
		if strings.HasPrefix(n, "276/") {
			b, err := fixtures.X12Sample(n)
			if err != nil {
				t.Fatal(err)
			}
			for k := range segmentKeys(t, b) {
				seen[k] = true
			}
		}
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "request.x12"))
	if err != nil {
		t.Fatal(err)
	}
	for k := range segmentKeys(t, golden) {
		if !seen[k] {
			t.Errorf("%s is written but occurs in no real 276 sample", k)
		}
	}
}
