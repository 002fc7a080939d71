package x999

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

var update = flag.Bool("update", false, "rewrite the golden files")

// received is an 837 interchange with two transaction sets: the first clean,
// the second with a bad segment ID, an ST03 that differs from GS08 and a
// wrong SE01.
const received = "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*PAYER          *240101*1200*^*00501*000000101*1*T*:~" +
	"GS*HC*SUBMITTER*PAYER*20240101*1200*101*X*005010X222A1~" +
	"ST*837*0001*005010X222A1~" +
	"BHT*0019*00*REF1*20240101*1200*CH~" +
	"SE*3*0001~" +
	"ST*837*0002*005010X223A2~" +
	"BHT*0019*00*REF2*20240101*1200*CH~" +
	"nm1*41~" +
	"SE*9*0002~" +
	"GE*2*101~" +
	"IEA*1*000000101~"

var at = time.Date(2024, 1, 2, 8, 30, 0, 0, time.UTC)

func generate(t *testing.T, in string) []Acknowledgment {
	t.Helper()
	rep, err := edi.Validate(strings.NewReader(in), edi.ValidateOpts{File: "received.x12"})
	if err != nil {
		t.Fatal(err)
	}
	return Generate(rep)
}

func encode(t *testing.T, a Acknowledgment, ta1 bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := edi.NewWriter(&buf, edi.DefaultDelimiters)
	var ta1s []TA1
	if ta1 {
		ta1s = []TA1{a.TA1}
	}
	if err := Encode(w, ReplyEnvelope(a.Interchange, 5001, 5001, at), ta1s, a.Responses); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	want, err := os.ReadFile(path)
	if *update && (err != nil || !bytes.Equal(got, want)) {
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
		t.Fatalf("%s differs:\n%s\nwant\n%s", name, strings.ReplaceAll(string(got), "~", "~\n"), strings.ReplaceAll(string(want), "~", "~\n"))
	}
}

func TestGenerate(t *testing.T) {
	acks := generate(t, received)
	if len(acks) != 1 {
		t.Fatalf("%d acknowledgments", len(acks))
	}
	a := acks[0]
	if a.TA1 != (TA1{ControlNumber: "000000101", Date: "240101", Time: "1200", Ack: "A", NoteCode: "000"}) || !a.TA1Needed() {
		t.Errorf("TA1 = %+v", a.TA1)
	}
	r := a.Responses[0]
	want := FunctionalGroupResponse{
		FunctionalID: "HC", GroupControlNumber: "101", Version: "005010X222A1",
		Sets: []TransactionSetResponse{
			{ID: "837", ControlNumber: "0001", ImplRef: "005010X222A1", Ack: "A"},
			{ID: "837", ControlNumber: "0002", ImplRef: "005010X223A2", Ack: "R", Codes: []string{"4", "5"},
				Segments: []SegmentError{
					{SegmentID: "ST", Position: 1, Code: "8", Elements: []ElementError{{Position: 3, Code: "7"}}},
					{SegmentID: "NM1", Position: 3, Code: "1"},
				}},
		},
		Ack: "P", Included: 2, Received: 2, Accepted: 1,
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("999 =\n%+v\nwant\n%+v", r, want)
	}
	golden(t, "999-partial.x12", encode(t, a, true))
}

func TestGenerateEnvelopeErrors(t *testing.T) {
	in := strings.Replace(received, "IEA*1*", "IEA*2*", 1)
	in = strings.Replace(in, "GE*2*101", "GE*3*101", 1)
	a := generate(t, in)[0]
	if a.TA1.Ack != "R" || a.TA1.NoteCode != edi.TA1InvalidGroupCount {
		t.Errorf("TA1 = %+v", a.TA1)
	}
	r := a.Responses[0]
	if r.Ack != "R" || r.Accepted != 0 || !reflect.DeepEqual(r.Codes, []string{edi.AK9SetCountMismatch}) || r.Included != 3 {
		t.Errorf("AK9 = %s %d %d %d %v", r.Ack, r.Included, r.Received, r.Accepted, r.Codes)
	}
	golden(t, "999-rejected.x12", encode(t, a, true))
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	a := generate(t, received)[0]
	out := encode(t, a, true)
	// The 999 written is itself clean X12.
	rep, err := edi.Validate(bytes.NewReader(out), edi.ValidateOpts{})
	if err != nil || !rep.Clean() {
		t.Fatalf("generated 999 does not validate: %v %v", err, rep.Err())
	}
	f, err := Decode(edi.NewReader(bytes.NewReader(out)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.TA1s) != 1 || f.TA1s[0] != a.TA1 {
		t.Errorf("TA1s = %+v", f.TA1s)
	}
	want := a.Responses[0]
	want.ControlNumber = "0001"
	if len(f.Responses) != 1 || !reflect.DeepEqual(f.Responses[0], want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", f.Responses, want)
	}
}

func TestDecodeSamples(t *testing.T) {
	tests := []struct {
		file     string
		sets     int
		ack      string
		firstIK3 string
	}{
		{"imsweb-x12-parser__src_test_resources_837_5010_x12_999_rejected.txt", 1, "R", "NM"},
		{"imsweb-x12-parser__src_test_resources_837_5010_x12_999_accepted.txt", 1, "A", ""},
		{"azoner-pyx12__pyx12_tests_834_lui_id_5010.999.txt", 4, "A", ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("../../fixtures/x12/samples/999", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Decode(edi.NewReader(bytes.NewReader(data)))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Responses) != tc.sets || f.Responses[0].Ack != tc.ack {
				t.Fatalf("responses = %+v", f.Responses)
			}
			if tc.firstIK3 != "" && f.Responses[0].Sets[0].Segments[0].SegmentID != tc.firstIK3 {
				t.Errorf("IK3 = %+v", f.Responses[0].Sets[0].Segments)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	base := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*T*:~GS*FA*A*B*20240101*1200*1*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*1~"
	for name, body := range map[string]string{
		"IK3 before AK2": "IK3*NM1*2**8~",
		"IK4 before IK3": "AK2*837*0001~IK4*1**1~",
		"bad position":   "AK2*837*0001~IK3*NM1*X**8~",
		"bad AK9 count":  "AK9*A*one*1*1~",
	} {
		_, err := Decode(edi.NewReader(strings.NewReader(base + body + "SE*3*0001~GE*1*1~IEA*1*000000001~")))
		var pe *edi.Error
		if !errors.Is(err, edi.ErrSyntax) || !errors.As(err, &pe) || pe.Pos.Segment == 0 {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func Fuzz999Decode(f *testing.F) {
	// The hostile corpus (testdata/hostile) of this transaction.
	hostile, _ := filepath.Glob("../../testdata/hostile/999/*.x12")
	for _, file := range hostile {
		if b, err := os.ReadFile(file); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	for _, p := range []string{"../../fixtures/x12/samples/999/*", "testdata/golden/*.x12"} {
		files, _ := filepath.Glob(p)
		if len(files) == 0 {
			f.Fatalf("no seed files %s", p)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := edi.NewReader(bytes.NewReader(in))
		r.MaxSegmentSize = 4096
		file, err := Decode(r)
		if err != nil {
			var pe *edi.Error
			if !errors.As(err, &pe) {
				t.Fatalf("unpositioned error %v", err)
			}
			return
		}
		// What was decoded encodes without panic.
		var buf bytes.Buffer
		w := edi.NewWriter(&buf, edi.DefaultDelimiters)
		_ = Encode(w, Envelope{ISA: edi.ISAHeader{ControlNumber: 1}, GS: edi.GSHeader{ControlNumber: 1}}, file.TA1s, file.Responses)
	})
}

// TestGenerateEchoesOnlyValidCharacters is the regression test for a 999
// that copied a control character from the received GS06 and ST02 into AK1
// and AK2 and so was itself invalid.
func TestGenerateEchoesOnlyValidCharacters(t *testing.T) {
	in := strings.Replace(strings.Replace(received, "*101*X*", "*1\x0101*X*", 1), "ST*837*0001*", "ST*837*00\x0201*", 1)
	for _, a := range generate(t, in) {
		out := encode(t, a, true)
		rep, err := edi.Validate(bytes.NewReader(out), edi.ValidateOpts{File: "reply.999"})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Clean() {
			t.Fatalf("generated 999 is not valid:\n%v\n%s", rep.Err(), out)
		}
		if bytes.ContainsAny(out, "\x01\x02") {
			t.Fatalf("control character echoed:\n%q", out)
		}
	}
}

// TestGenerateGuideErrors: a guide error becomes an IK3 with the loop ID
// (cut to IK303's four characters), the CTX business unit, and an IK4
// with the data element number and a copy of the bad value cleaned of
// the 999's delimiters; a missing segment and an error in the segment at
// the same position get an IK3 each; and the CTX survives Decode.
func TestGenerateGuideErrors(t *testing.T) {
	set := &edi.SetReport{ID: "837", ControlNumber: "0001", ImplRef: "005010X222A1"}
	at := func(pos int, id, loop string) edi.Position {
		return edi.Position{SetSegment: pos, SegmentID: id, Loop: loop}
	}
	e1 := &edi.Error{Pos: at(17, "CLM", "2300"), Level: edi.LevelElement, Code: edi.IK4InvalidCode, DataElement: "1351", Value: "X*~", Unit: "CLM01", UnitRef: "PCN:1"}
	e1.Pos.Element = 10
	set.Errors.Add(e1)
	set.Errors.Add(&edi.Error{Pos: at(8, "N3", "2010AA"), Level: edi.LevelSegment, Code: edi.IK3RequiredMissing,
		Trigger: &edi.Position{SetSegment: 5, SegmentID: "NM1", Loop: "2010AA", Element: 2}})
	set.Errors.Add(&edi.Error{Pos: at(8, "N4", "2010AA"), Level: edi.LevelSegment, Code: edi.IK3SegmentOverMaxUse})
	r := GenerateSet(set)
	want := []SegmentError{
		{SegmentID: "N3", Position: 8, Loop: "2010", Code: "3", Trigger: &Trigger{SegmentID: "NM1", Position: 5, Loop: "2010", Element: 2}},
		{SegmentID: "N4", Position: 8, Loop: "2010", Code: "5"},
		{SegmentID: "CLM", Position: 17, Loop: "2300", Code: "8", Unit: "CLM01", UnitRef: "PCN1",
			Elements: []ElementError{{Position: 10, Reference: "1351", Code: "7", Value: "X"}}},
	}
	if !reflect.DeepEqual(r.Segments, want) {
		t.Fatalf("got %+v\nwant %+v", r.Segments, want)
	}
	var b bytes.Buffer
	w := edi.NewWriter(&b, edi.DefaultDelimiters)
	resp := FunctionalGroupResponse{FunctionalID: "HC", GroupControlNumber: "1", Version: "005010X222A1", Sets: []TransactionSetResponse{r}, Ack: "R", Included: 1, Received: 1}
	if err := Encode(w, Envelope{ISA: edi.ISAHeader{SenderQualifier: "ZZ", SenderID: "A", ReceiverQualifier: "ZZ", ReceiverID: "B", Time: time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC), ControlNumber: 1, Usage: "T"}, GS: edi.GSHeader{SenderCode: "A", ReceiverCode: "B", ControlNumber: 1}}, nil, []FunctionalGroupResponse{resp}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "IK3*CLM*17*2300*8~CTX*CLM01:PCN1~IK4*10*1351*7*X~") ||
		!strings.Contains(b.String(), "IK3*N3*8*2010*3~CTX*SITUATIONAL TRIGGER*NM1*5*2010*2~") {
		t.Fatalf("999 lacks the IK3/CTX/IK4 of CLM:\n%s", b.String())
	}
	f, err := Decode(edi.NewReader(&b))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Responses[0].Sets[0].Segments[2]; got.Unit != "CLM01" || got.UnitRef != "PCN1" {
		t.Errorf("decoded CTX %q %q", got.Unit, got.UnitRef)
	}
	if got := f.Responses[0].Sets[0].Segments[0].Trigger; got == nil || *got != *want[0].Trigger {
		t.Errorf("decoded situational trigger %+v", got)
	}
}

// TestGenerateSkipsAcknowledgments: a 999 is not acknowledged by a 999
// (005010X231A1 AK101 does not list FA).
func TestGenerateSkipsAcknowledgments(t *testing.T) {
	rep := &edi.ValidationReport{Interchanges: []*edi.InterchangeReport{{ControlNumber: "000000001", Groups: []*edi.GroupReport{
		{FunctionalID: "FA", ControlNumber: "1", Version: "005010X231A1", SetCount: 1, Sets: []*edi.SetReport{{ID: "999", ControlNumber: "0001"}}},
		{FunctionalID: "HC", ControlNumber: "2", Version: "005010X222A1", SetCount: 1, Sets: []*edi.SetReport{{ID: "837", ControlNumber: "0001"}}},
	}}}}
	acks := Generate(rep)
	if len(acks) != 1 || len(acks[0].Responses) != 1 || acks[0].Responses[0].FunctionalID != "HC" {
		t.Fatalf("got %+v", acks)
	}
}
