package x277

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
	return edi.ISAHeader{SenderID: "PAYERSIM", ReceiverID: "CLEARHOUSE", Time: envTime, ControlNumber: 201, Usage: "T"},
		edi.GSHeader{SenderCode: "PAYERSIM", ReceiverCode: "CLEARHOUSE", Time: envTime, ControlNumber: 201}
}

func st(cat, code, entity string, amount int64) Status {
	s := Status{Codes: []StatusCode{{Category: cat, Code: code, Entity: entity}}, Date: day(2026, 2, 3), Action: "WQ", AmountCents: amount}
	if s.Rejected() {
		s.Action = "U"
	}
	return s
}

// provider drops STC02, which X214 Loop 2200C does not use.
func provider(s Status) Status {
	s.Date = time.Time{}
	return s
}

// goldenMixed acknowledges a batch of three claims from one billing
// provider: two accepted into adjudication (A2), one rejected for invalid
// information (A7) with a second status code naming the subscriber.
func goldenMixed() *Acknowledgment {
	a := &Acknowledgment{ReferenceID: "ACK000201", Created: envTime,
		Sources: []InformationSource{{
			Name:        Entity{EntityCode: "PR", EntityType: "2", Last: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01"},
			TraceNumber: "RCV20260203001", ReceiptDate: day(2026, 2, 2), ProcessDate: day(2026, 2, 3),
			Receivers: []InformationReceiver{{
				Name:        Entity{EntityCode: "41", EntityType: "2", Last: "CLEARHOUSE", IDQualifier: "46", ID: "CLEARHOUSE"},
				TraceNumber: "BATCH0042",
				Statuses:    []Status{st("A1", "19", "PR", 0)},
				Providers: []BillingProvider{{
					Name:        Entity{EntityCode: "85", EntityType: "2", Last: "RIVERSIDE CLINIC", IDQualifier: "XX", ID: "1234567893"},
					TraceNumber: "PRV0001",
					Statuses:    []Status{provider(st("A1", "19", "85", 0))},
					Claims: []ClaimStatus{
						{Patient: Entity{EntityCode: "QC", EntityType: "1", Last: "DOE", First: "JANE", IDQualifier: "MI", ID: "MBR100"},
							PatientControlNumber: "PCN1001", Statuses: []Status{st("A2", "20", "PR", 15000)},
							PayerClaimControlNumber: "PAYER9001", ClearinghouseTrace: "CH0000001", ServiceFrom: day(2026, 1, 5), ServiceTo: day(2026, 1, 5)},
						{Patient: Entity{EntityCode: "QC", EntityType: "1", Last: "ROE", First: "RICHARD", IDQualifier: "MI", ID: "MBR200"},
							PatientControlNumber: "PCN1002", Statuses: []Status{st("A2", "20", "PR", 30000)},
							PayerClaimControlNumber: "PAYER9002", ClearinghouseTrace: "CH0000002", ServiceFrom: day(2026, 1, 5), ServiceTo: day(2026, 1, 6)},
						{Patient: Entity{EntityCode: "QC", EntityType: "1", Last: "POE", First: "EDGAR", IDQualifier: "MI", ID: "MBR30X"},
							PatientControlNumber: "PCN1003",
							Statuses: []Status{{Codes: []StatusCode{{Category: "A7", Code: "33", Entity: "IL"}, {Category: "A7", Code: "164", Entity: "IL"}},
								Date: day(2026, 2, 3), Action: "U", AmountCents: 17500, Message: "SUBSCRIBER ID NOT FOUND"}},
							ClearinghouseTrace: "CH0000003", ServiceFrom: day(2026, 1, 6), ServiceTo: day(2026, 1, 6),
							// X214 Loop 2220D reports only a line that caused the claim's rejection
							// (STC03 U; STC04 not used; X12 RFI 1211, 2220D SVC note 1).
							Lines: []LineStatus{{Qualifier: "HC", Procedure: "99214", ChargeCents: 17500, Units: "1", Statuses: []Status{st("A7", "454", "", 0)},
								LineItemControlNumber: "L1003-1", ServiceFrom: day(2026, 1, 6), ServiceTo: day(2026, 1, 6)}}},
					},
				}},
			}},
		}},
	}
	a.ComputeTotals()
	return a
}

// goldenRejected acknowledges a one-claim batch whose claim is rejected as
// unprocessable (the provider level only acknowledges receipt: claim
// rejections belong in 2000D, X12 RFI 1211).
func goldenRejected() *Acknowledgment {
	a := &Acknowledgment{ReferenceID: "ACK000202", Created: envTime,
		Sources: []InformationSource{{
			Name:        Entity{EntityCode: "PR", EntityType: "2", Last: "ACME HEALTH PLAN", IDQualifier: "PI", ID: "ACME01"},
			TraceNumber: "RCV20260203002", ReceiptDate: day(2026, 2, 3), ProcessDate: day(2026, 2, 3),
			Receivers: []InformationReceiver{{
				Name:        Entity{EntityCode: "41", EntityType: "2", Last: "CLEARHOUSE", IDQualifier: "46", ID: "CLEARHOUSE"},
				TraceNumber: "BATCH0043",
				Statuses:    []Status{st("A1", "19", "PR", 0)},
				Providers: []BillingProvider{{
					Name:        Entity{EntityCode: "85", EntityType: "2", Last: "RIVERSIDE CLINIC", IDQualifier: "XX", ID: "1234567893"},
					TraceNumber: "PRV0002",
					Statuses:    []Status{provider(st("A1", "19", "85", 0))},
					Claims: []ClaimStatus{{
						Patient:              Entity{EntityCode: "QC", EntityType: "1", Last: "LANE", First: "LOIS", IDQualifier: "MI", ID: "MBR500"},
						PatientControlNumber: "PCN5001", Statuses: []Status{st("A3", "562", "85", 9900)},
						ClearinghouseTrace: "CH0000004", BillType: "131", ServiceFrom: day(2026, 1, 9), ServiceTo: day(2026, 1, 9)}},
				}},
			}},
		}},
	}
	a.ComputeTotals()
	return a
}

func TestGolden(t *testing.T) {
	for name, a := range map[string]*Acknowledgment{"accepted_and_rejected.x12": goldenMixed(), "rejected_batch.x12": goldenRejected()} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name)
			var buf bytes.Buffer
			isa, gs := envelope()
			if err := Encode(&buf, isa, gs, a); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(path)
			if *update && (err != nil || !bytes.Equal(buf.Bytes(), want)) {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("rewrote %s", path)
				want, err = buf.Bytes(), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("encoded differs from %s:\n%s", path, buf.Bytes())
			}
			acks, err := Decode(bytes.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			if len(acks) != 1 || len(acks[0].Errors) > 0 {
				t.Fatalf("decoded %d sets, errors %v", len(acks), acks[0].Errors)
			}
			got := acks[0]
			a.Interchange, a.Group, a.ControlNumber, a.Position = got.Interchange, got.Group, got.ControlNumber, got.Position
			for i := range a.Sources {
				for j := range a.Sources[i].Receivers {
					for k := range a.Sources[i].Receivers[j].Providers {
						p := &a.Sources[i].Receivers[j].Providers[k]
						for l := range p.Claims {
							p.Claims[l].Position = got.Sources[i].Receivers[j].Providers[k].Claims[l].Position
						}
					}
				}
			}
			if !reflect.DeepEqual(got, a) {
				t.Fatalf("decoded:\n%+v\nwant\n%+v", got, a)
			}
		})
	}
}

func TestTotalsAndStatus(t *testing.T) {
	a := goldenMixed()
	r := a.Sources[0].Receivers[0]
	want := Totals{AcceptedQuantity: 2, RejectedQuantity: 1, AcceptedAmountCents: 45000, RejectedAmountCents: 17500}
	if r.Totals != want || r.Providers[0].Totals != want {
		t.Fatalf("totals %+v / %+v", r.Totals, r.Providers[0].Totals)
	}
	var accepted []bool
	a.Claims(func(_ *BillingProvider, c *ClaimStatus) { accepted = append(accepted, c.Accepted()) })
	if !reflect.DeepEqual(accepted, []bool{true, true, false}) {
		t.Fatal(accepted)
	}
}

func TestEncodeRefuses(t *testing.T) {
	a := goldenMixed()
	a.Sources[0].Receivers[0].Providers[0].Claims[0].PatientControlNumber = ""
	isa, gs := envelope()
	if err := Encode(&bytes.Buffer{}, isa, gs, a); !errors.Is(err, edi.ErrImplementation) {
		t.Fatalf("missing TRN02: %v", err)
	}
	a = goldenMixed()
	a.Sources[0].Receivers[0].Providers[0].Statuses = nil
	if err := Encode(&bytes.Buffer{}, isa, gs, a); !errors.Is(err, edi.ErrImplementation) {
		t.Fatalf("missing provider STC: %v", err)
	}
	a = goldenMixed()
	a.Sources[0].Receivers[0].Providers[0].Claims[2].Lines[0].Statuses = []Status{st("A2", "20", "PR", 0)}
	if err := Encode(&bytes.Buffer{}, isa, gs, a); !errors.Is(err, edi.ErrImplementation) {
		t.Fatalf("accepted line in 2220D: %v", err)
	}
	a = goldenMixed()
	c := &a.Sources[0].Receivers[0].Providers[0].Claims[0]
	c.Lines = a.Sources[0].Receivers[0].Providers[0].Claims[2].Lines
	if err := Encode(&bytes.Buffer{}, isa, gs, a); !errors.Is(err, edi.ErrImplementation) {
		t.Fatalf("rejected line under an accepted claim: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	head := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260203*0815*^*00501*000000201*0*T*:~GS*HN*A*B*20260203*0815*1*X*005010X214~"
	tests := []struct {
		name  string
		in    string
		fatal bool
	}{
		{"not 277", head + "ST*835*0001~SE*2*0001~", true},
		{"truncated", head + "ST*277*0001*005010X214~BHT*0085*08*1*20260203*0815*TH~", true},
		// Issue 14: an ISA-only file and one cut before its IEA.
		{"ISA only", head[:strings.Index(head, "GS*")], true},
		{"no IEA", head + "ST*277*0001*005010X214~BHT*0085*08*1*20260203*0815*TH~SE*3*0001~GE*1*1~", true},
		{"bad parent", head + "ST*277*0001*005010X214~BHT*0085*08*1*20260203*0815*TH~HL*1**20*1~HL*2*9*21*1~SE*5*0001~GE*1*1~IEA*1*000000201~", false},
		{"bad date", head + "ST*277*0001*005010X214~BHT*0085*08*1*20261303*0815*TH~SE*3*0001~GE*1*1~IEA*1*000000201~", false},
		{"PT first", head + "ST*277*0001*005010X214~HL*1**PT~STC*A1~SE*4*0001~GE*1*1~IEA*1*000000201~", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acks, err := Decode(strings.NewReader(tt.in))
			var errs []*edi.Error
			for _, a := range acks {
				errs = append(errs, a.Errors...)
			}
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

// Every 277CA of the committed samples decodes or fails with positioned
// errors.
func TestSamples(t *testing.T) {
	files, _ := filepath.Glob("../../fixtures/x12/samples/277CA/*")
	if len(files) == 0 {
		t.Fatal("no 277CA samples in fixtures/x12/samples")
	}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		acks, err := Decode(bytes.NewReader(in))
		if err != nil {
			var pe *edi.Error
			if !errors.As(err, &pe) || pe.Pos.Segment == 0 {
				t.Fatalf("%s: unpositioned %v", f, err)
			}
			continue
		}
		n := 0
		for _, a := range acks {
			a.Claims(func(*BillingProvider, *ClaimStatus) { n++ })
		}
		if n == 0 {
			t.Errorf("%s: no claims", f)
		}
	}
}

func FuzzDecode(f *testing.F) {
	// The hostile corpus (testdata/hostile) of this transaction.
	hostile, _ := filepath.Glob("../../testdata/hostile/277ca/*.x12")
	for _, file := range hostile {
		if b, err := os.ReadFile(file); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		acks, err := Decode(bytes.NewReader(in))
		if err != nil {
			var pe *edi.Error
			if !errors.As(err, &pe) {
				t.Fatalf("not an *edi.Error: %v", err)
			}
			return
		}
		clean := true
		for _, a := range acks {
			for _, e := range a.Errors {
				clean = false
				if e.Pos.Segment == 0 {
					t.Fatalf("unpositioned %v", e)
				}
			}
		}
		if !clean || len(acks) == 0 {
			return
		}
		var buf bytes.Buffer
		isa, gs := envelope()
		if Encode(&buf, isa, gs, acks...) != nil {
			return
		}
		again, err := Decode(&buf)
		if err != nil || len(again) != len(acks) {
			t.Fatalf("round trip: %v, %d sets", err, len(again))
		}
		var n1, n2 []string
		for _, a := range acks {
			a.Claims(func(_ *BillingProvider, c *ClaimStatus) {
				n1 = append(n1, c.PatientControlNumber+c.Statuses[0].Category())
			})
		}
		for _, a := range again {
			a.Claims(func(_ *BillingProvider, c *ClaimStatus) {
				n2 = append(n2, c.PatientControlNumber+c.Statuses[0].Category())
			})
		}
		if !reflect.DeepEqual(n1, n2) {
			t.Fatalf("claims differ after round trip: %v / %v", n1, n2)
		}
	})
}

// The decoder reads the STC layouts that 277CAs carry in the field: the
// X214 layout this package writes (2200C STC without STC02, 2220D STC
// without STC04), the layout earlier versions of this package wrote (2200C
// STC02 dated, 2220D STC04 present, an accepted line), and the layout of
// real payers' files with no 2200C STC at all (fixtures/x12/samples/277CA).
func TestDecodeLayouts(t *testing.T) {
	head := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260203*0815*^*00501*000000201*0*T*:~GS*HN*A*B*20260203*0815*1*X*005010X214~ST*277*0001*005010X214~BHT*0085*08*1*20260203*0815*TH~HL*1**20*1~NM1*PR*2*PAYER*****PI*P1~TRN*1*R1~DTP*050*D8*20260203~DTP*009*D8*20260203~HL*2*1*21*1~NM1*41*2*SUB*****46*S1~TRN*2*B1~STC*A1:19:PR*20260203*WQ*100~HL*3*2*19*1~NM1*85*2*CLINIC*****XX*1234567893~TRN*1*P1~"
	tail := "HL*4*3*PT~NM1*QC*1*DOE*JANE****MI*M1~TRN*2*PCN1~STC*A2:20:PR*20260203*WQ*100~DTP*472*D8*20260105~SVC*HC:99213*100*****1~"
	end := "SE*99*0001~GE*1*1~IEA*1*000000201~"
	tests := []struct {
		name     string
		in       string
		provDate bool // the 2200C status carries a date
		provSTC  bool // 2200C has an STC
		lineAmt  int64
	}{
		{"X214", head + "STC*A1:19:85**WQ*100~" + tail + "STC*A7:454*20260203*U~" + end, false, true, 0},
		{"dated 2200C, line STC04", head + "STC*A1:19:85*20260203*WQ~" + tail + "STC*A2:20:PR*20260203*WQ*100~" + end, true, true, 10000},
		{"no 2200C STC", head + tail + "STC*A7:454*20260203*U~" + end, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acks, err := Decode(strings.NewReader(tt.in))
			if err != nil || len(acks) != 1 {
				t.Fatalf("%d sets, %v", len(acks), err)
			}
			if len(acks[0].Errors) > 0 {
				t.Fatalf("errors: %v", acks[0].Errors)
			}
			p := acks[0].Sources[0].Receivers[0].Providers[0]
			if got := len(p.Statuses) > 0; got != tt.provSTC {
				t.Fatalf("2200C STC present %v, want %v", got, tt.provSTC)
			}
			if tt.provSTC && !p.Statuses[0].Date.IsZero() != tt.provDate {
				t.Errorf("2200C STC02 %v", p.Statuses[0].Date)
			}
			c := p.Claims[0]
			if !c.Accepted() || c.ChargeCents() != 10000 || len(c.Lines) != 1 {
				t.Fatalf("claim %+v", c)
			}
			if got := c.Lines[0].Statuses[0].AmountCents; got != tt.lineAmt {
				t.Errorf("line STC04 %d, want %d", got, tt.lineAmt)
			}
		})
	}
}

// The real 277CAs in fixtures/x12/samples decode without an error: their
// 2200C carries no STC (pyx12's X214 map requires one; the decoder does
// not).
func TestFixtureSamples(t *testing.T) {
	names, err := fixtures.X12Samples()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		if !strings.HasPrefix(name, "277CA/") {
			continue
		}
		n++
		in, err := fixtures.X12Sample(name)
		if err != nil {
			t.Fatal(err)
		}
		acks, err := Decode(bytes.NewReader(in))
		if err != nil || len(acks) != 1 || len(acks[0].Errors) > 0 {
			t.Fatalf("%s: %v %v", name, err, acks)
		}
		claims := 0
		acks[0].Claims(func(*BillingProvider, *ClaimStatus) { claims++ })
		if claims != 1 {
			t.Errorf("%s: %d claims", name, claims)
		}
	}
	if n == 0 {
		t.Fatal("no 277CA samples in fixtures")
	}
}
