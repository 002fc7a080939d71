package edi

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// codes lists the Level:Code pairs of a report's errors in input order.
func codes(rep *ValidationReport) []string {
	var out []string
	for _, e := range rep.AllErrors() {
		out = append(out, e.Level.String()+":"+e.Code)
	}
	return out
}

func TestValidateClean(t *testing.T) {
	rep, err := Validate(strings.NewReader(sample837), ValidateOpts{File: "in.x12"})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() {
		t.Fatalf("errors: %v", rep.Err())
	}
	if len(rep.Interchanges) != 1 || len(rep.Interchanges[0].Groups) != 1 || len(rep.Interchanges[0].Groups[0].Sets) != 1 {
		t.Fatalf("structure: %+v", rep.Interchanges)
	}
	ic := rep.Interchanges[0]
	g := ic.Groups[0]
	s := g.Sets[0]
	if ic.SenderID != "SUBMITTER" || ic.ControlNumber != "000000001" || ic.Usage != "T" || ic.GroupCount != 1 || !ic.Closed {
		t.Errorf("interchange = %+v", ic)
	}
	if g.FunctionalID != "HC" || g.Version != "005010X222A1" || g.SetCount != 1 {
		t.Errorf("group = %+v", g)
	}
	if s.ID != "837" || s.ControlNumber != "0001" || s.Segments != 4 || s.DeclaredSegments != 4 || !s.Accepted() {
		t.Errorf("set = %+v", s)
	}
	if ic.NoteCode() != TA1NoError {
		t.Errorf("note code %s", ic.NoteCode())
	}
}

func TestValidateErrors(t *testing.T) {
	two := strings.Replace(sample837, "SE*4*0001~", "SE*4*0001~ST*837*0002*005010X222A1~BHT*0019~SE*3*0002~", 1)
	two = strings.Replace(two, "GE*1*1~", "GE*2*1~", 1)
	tests := []struct {
		name  string
		in    string
		want  []string
		match error
	}{
		{"SE count", strings.Replace(sample837, "SE*4*", "SE*5*", 1), []string{"set:4"}, ErrEnvelope},
		{"SE control number", strings.Replace(sample837, "SE*4*0001", "SE*4*0002", 1), []string{"set:3"}, ErrEnvelope},
		{"GE count", strings.Replace(sample837, "GE*1*1", "GE*2*1", 1), []string{"group:5"}, ErrEnvelope},
		{"GE control number", strings.Replace(sample837, "GE*1*1", "GE*1*9", 1), []string{"group:4"}, ErrEnvelope},
		{"IEA count", strings.Replace(sample837, "IEA*1*", "IEA*3*", 1), []string{"interchange:021"}, ErrEnvelope},
		{"IEA control number", strings.Replace(sample837, "IEA*1*000000001", "IEA*1*000000002", 1), []string{"interchange:001"}, ErrEnvelope},
		{"ISA qualifier", strings.Replace(sample837, "*ZZ*SUBMITTER", "*QQ*SUBMITTER", 1), []string{"interchange:005"}, ErrBadISA},
		{"ISA version", strings.Replace(sample837, "*00501*", "*00401*", 1), []string{"interchange:017"}, ErrBadISA},
		{"ISA usage", strings.Replace(sample837, "*0*T*:", "*0*X*:", 1), []string{"interchange:020"}, ErrBadISA},
		{"ISA ack", strings.Replace(sample837, "*0*T*:", "*5*T*:", 1), []string{"interchange:019"}, ErrBadISA},
		{"ISA date", strings.Replace(sample837, "*240101*1200*", "*241301*1200*", 1), []string{"interchange:014"}, ErrBadISA},
		{"ISA short sender", strings.Replace(sample837, "SUBMITTER      *", "SUBMITTER*", 1), []string{"interchange:006"}, ErrBadISA},
		{"ST01 wrong group", strings.Replace(sample837, "ST*837*", "ST*835*", 1), []string{"set:6"}, ErrEnvelope},
		{"ST03 differs from GS08", strings.Replace(sample837, "ST*837*0001*005010X222A1", "ST*837*0001*005010X223A2", 1), []string{"element:7"}, ErrEnvelope},
		{"ST03 missing", strings.Replace(sample837, "ST*837*0001*005010X222A1", "ST*837*0001", 1), []string{"element:1"}, ErrEnvelope},
		{"bad segment ID", strings.Replace(sample837, "BHT*", "bht*", 1), []string{"segment:1"}, ErrSyntax},
		{"control character", strings.Replace(sample837, "REF1", "RE\x01", 1), []string{"element:6"}, ErrSyntax},
		{"SE missing", strings.Replace(sample837, "SE*4*0001~", "", 1), []string{"set:2"}, ErrEnvelope},
		{"GE missing", strings.Replace(sample837, "GE*1*1~", "", 1), []string{"group:3"}, ErrEnvelope},
		{"IEA missing", strings.Replace(sample837, "IEA*1*000000001~", "", 1), []string{"interchange:023"}, ErrEnvelope},
		{"duplicate ST02", strings.Replace(two, "0002", "0001", 2), []string{"set:23"}, ErrDuplicateControl},
		{"duplicate ISA13", sample837 + sample837, []string{"interchange:025", "group:19"}, ErrDuplicateControl},
		{"segment outside a set", strings.Replace(sample837, "GE*1*1~", "REF*X*1~GE*1*1~", 1), []string{"interchange:024"}, ErrEnvelope},
		{"unterminated", sample837 + "ISA*00", []string{"interchange:022"}, ErrBadISA},
		{"two sets clean", two, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Validate(strings.NewReader(tc.in), ValidateOpts{File: "in.x12"})
			if err != nil {
				t.Fatal(err)
			}
			got := codes(rep)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("codes = %v, want %v\n%v", got, tc.want, rep.Err())
			}
			if tc.match == nil {
				return
			}
			err = rep.Err()
			if !errors.Is(err, tc.match) {
				t.Fatalf("errors.Is(%v, %v) is false", err, tc.match)
			}
			for _, e := range rep.AllErrors() {
				if e.Pos.File != "in.x12" || e.Pos.Segment == 0 {
					t.Errorf("unpositioned error %+v", e)
				}
			}
		})
	}
}

// TestValidateTA1 (issue 14): a TA1's elements are checked, so a TA1 that
// cannot be read is not applied as if it said something.
func TestValidateTA1(t *testing.T) {
	const isa = "ISA*00*          *00*          *ZZ*PAYERSIM       *ZZ*CLEARHOUSE     *260115*0930*^*00501*000000102*0*T*:~"
	for _, tt := range []struct{ ta1, want string }{
		{"TA1*000000101*260115*0930*R*022", ""},
		{"TA1*000000101*260115*0930*X*022", "TA104"},
		{"TA1*000000101*260115*0930*R*999", "TA105"},
		{"TA1*000000101*261345*0930*R*022", "TA102"},
		{"TA1*000000101*260115*2500*R*022", "TA103"},
		{"TA1*00101*260115*0930*R*022", "TA101"},
		{"TA1*000000101*260115*0930*R*0\x0022", "control character 0x00"},
		{"TA1*000000101*260115*0930*R", "want 5"},
	} {
		rep, err := Validate(strings.NewReader(isa+tt.ta1+"~IEA*0*000000102~"), ValidateOpts{File: "ta1.x12"})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tt.want == "" && !rep.Clean():
			t.Errorf("%q: %v", tt.ta1, rep.Err())
		case tt.want != "" && (rep.Clean() || !strings.Contains(rep.Err().Error(), tt.want) || !strings.Contains(rep.Err().Error(), "segment 2")):
			t.Errorf("%q: want an error at segment 2 saying %q, got %v", tt.ta1, tt.want, rep.Err())
		}
	}
}

func TestValidateErrorPosition(t *testing.T) {
	rep, err := Validate(strings.NewReader(strings.Replace(sample837, "SE*4*", "SE*9*", 1)), ValidateOpts{File: "in.x12"})
	if err != nil {
		t.Fatal(err)
	}
	errs := rep.AllErrors()
	if len(errs) != 1 {
		t.Fatalf("errors: %v", rep.Err())
	}
	want := "in.x12, ISA13 000000001, GS06 1, ST02 0001, segment 6 (set position 4), SE01: envelope error: SE01 says 9 segments, the set has 4"
	if got := errs[0].Error(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestValidateNotX12(t *testing.T) {
	for _, in := range []string{"", "hello", "ISA*00~"} {
		if _, err := Validate(strings.NewReader(in), ValidateOpts{}); !errors.Is(err, ErrNotX12) && !errors.Is(err, ErrBadISA) {
			t.Errorf("Validate(%q) err = %v", in, err)
		}
	}
}

func TestValidateCapsErrors(t *testing.T) {
	body := strings.Repeat("bad~", 50)
	in := strings.Replace(sample837, "HI*", body+"HI*", 1)
	in = strings.Replace(in, "SE*4*", "SE*54*", 1)
	rep, err := Validate(strings.NewReader(in), ValidateOpts{MaxErrors: 10})
	if err != nil {
		t.Fatal(err)
	}
	set := rep.Interchanges[0].Groups[0].Sets[0]
	if len(set.Errors.Errs) != 10 || set.Errors.Len() != 50 || rep.ErrorCount() != 50 {
		t.Fatalf("kept %d, counted %d", len(set.Errors.Errs), set.Errors.Len())
	}
}

func TestValidateCheckHook(t *testing.T) {
	var ids []string
	_, err := Validate(strings.NewReader(sample837), ValidateOpts{Check: func(seg *Segment, pos Position, set *SetReport) {
		ids = append(ids, string(seg.ID()))
		if seg.Is("HI") {
			set.Errors.Add(&Error{Pos: pos, Err: ErrImplementation, Level: LevelSegment, Code: IK3UnexpectedSegment})
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "ST,BHT,HI,SE" {
		t.Fatalf("hook saw %v", ids)
	}
}

// TestValidateSharedSamples validates every sample file: each either passes
// the envelope checks or gets positioned errors, and none panics.
func TestValidateSharedSamples(t *testing.T) {
	files, _ := filepath.Glob("../fixtures/x12/samples/*/*")
	if len(files) == 0 {
		t.Fatal("no X12 samples found")
	}
	clean := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		rep, err := Validate(strings.NewReader(string(data)), ValidateOpts{File: name})
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Pos.File != name {
				t.Errorf("%s: unpositioned error %v", name, err)
			}
			continue
		}
		if rep.Clean() {
			clean++
			continue
		}
		for _, e := range rep.AllErrors() {
			if e.Pos.File != name || e.Pos.Segment == 0 || e.Level == LevelNone || e.Code == "" {
				t.Errorf("%s: error without position or code: %+v", name, e)
			}
		}
	}
	if clean < len(files)/2 {
		t.Errorf("only %d of %d samples pass the envelope checks", clean, len(files))
	}
}

// Regression: an 835 carries no ST03 (005010X221A1 marks it not used), and a
// real payer's file without one must validate clean.
func TestValidate835WithoutST03(t *testing.T) {
	path := filepath.Join("..", "fixtures", "x12", "samples", "835", "azoner-pyx12__pyx12_tests_835_mult_loops.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Validate(f, ValidateOpts{File: path})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() {
		t.Fatalf("errors: %v", rep.Err())
	}
	if s := rep.Interchanges[0].Groups[0].Sets[0]; s.ID != "835" || s.ImplRef != "" {
		t.Fatalf("set = %+v", s)
	}
	// The 837's ST03 stays required.
	rep, err = Validate(strings.NewReader(strings.Replace(sample837, "ST*837*0001*005010X222A1", "ST*837*0001", 1)), ValidateOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Clean() {
		t.Fatal("837 without ST03 validated clean")
	}
}

// Warnings: what the guides tolerate or real partners send harmlessly is
// reported as a warning, positioned, and leaves the report clean; the rest
// stays an error.
func TestValidateWarnings(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		warnings []string // "segment ID:element" of each warning
		clean    bool
	}{
		{"exact ST03", sample837, nil, true},
		{"ST03 names the base guide", strings.Replace(sample837, "ST*837*0001*005010X222A1", "ST*837*0001*005010X222", 1), []string{"ST:3"}, true},
		{"ST03 names another guide", strings.Replace(sample837, "ST*837*0001*005010X222A1", "ST*837*0001*005010X223A2", 1), nil, false},
		{"ST03 names the addenda of a base GS08", strings.Replace(sample837, "*X*005010X222A1~ST*837*0001*005010X222A1", "*X*005010X222~ST*837*0001*005010X222A1", 1), nil, false},
		{"ST03 with a stray suffix", strings.Replace(sample837, "ST*837*0001*005010X222A1", "ST*837*0001*005010X222A", 1), nil, false},
		{"trailing element separator", strings.Replace(sample837, "HI*ABK:J101*ABF:E119~", "HI*ABK:J101*ABF:E119**~", 1), []string{"HI:4"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Validate(strings.NewReader(tc.in), ValidateOpts{File: "in.x12"})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Clean() != tc.clean {
				t.Fatalf("clean %v, errors %v", rep.Clean(), rep.Err())
			}
			var got []string
			for _, w := range rep.Warnings.Errs {
				if w.Pos.File != "in.x12" || w.Pos.Set != "0001" || w.Pos.Segment == 0 {
					t.Errorf("warning without position: %v", w)
				}
				got = append(got, fmt.Sprintf("%s:%d", w.Pos.SegmentID, w.Pos.Element))
			}
			if !slices.Equal(got, tc.warnings) {
				t.Fatalf("warnings %v, want %v", got, tc.warnings)
			}
		})
	}
}

func TestNamesBaseGuide(t *testing.T) {
	tests := []struct {
		st03, gs08 string
		want       bool
	}{
		{"005010X222", "005010X222A1", true},
		{"005010X223", "005010X223A2", true},
		{"005010X231", "005010X231A1", true},
		{"005010X222A1", "005010X222A1", false},
		{"005010X222", "005010X222", false},
		{"005010X222A1", "005010X222", false},
		{"005010X222", "005010X223A2", false},
		{"005010X22", "005010X222A1", false},
		{"005010X222", "005010X222B1", false},
		{"", "005010X222A1", false},
	}
	for _, tc := range tests {
		if got := NamesBaseGuide(tc.st03, tc.gs08); got != tc.want {
			t.Errorf("NamesBaseGuide(%q, %q) = %v", tc.st03, tc.gs08, got)
		}
	}
}
