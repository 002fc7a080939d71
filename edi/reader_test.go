package edi

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample837 = "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*T*:~" +
	"GS*HC*SUBMITTER*RECEIVER*20240101*1200*1*X*005010X222A1~" +
	"ST*837*0001*005010X222A1~" +
	"BHT*0019*00*REF1*20240101*1200*CH~" +
	"HI*ABK:J101*ABF:E119~" +
	"SE*4*0001~" +
	"GE*1*1~" +
	"IEA*1*000000001~"

func readAll(t *testing.T, in string) ([]string, error) {
	t.Helper()
	r := NewReader(strings.NewReader(in))
	var ids []string
	for {
		s, err := r.Next()
		if err == io.EOF {
			return ids, nil
		}
		if err != nil {
			return ids, err
		}
		ids = append(ids, string(s.Raw()))
	}
}

func TestReaderSegments(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
		last string
	}{
		{"plain", sample837, 8, "IEA*1*000000001"},
		{"crlf", strings.ReplaceAll(sample837, "~", "~\r\n"), 8, "IEA*1*000000001"},
		{"bom", "\xEF\xBB\xBF" + sample837, 8, "IEA*1*000000001"},
		{"leading blank lines", "\r\n\n" + sample837, 8, "IEA*1*000000001"},
		{"two interchanges, other delimiters", sample837 + strings.NewReplacer("*", "|", "~", "\n", ":", ">").Replace(sample837), 16, "IEA|1|000000001"},
		{"trailing whitespace", sample837 + "\n\n", 8, "IEA*1*000000001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			segs, err := readAll(t, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(segs) != tc.want || segs[len(segs)-1] != tc.last {
				t.Fatalf("got %d segments, last %q", len(segs), segs[len(segs)-1])
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrNotX12},
		{"not x12", "hello world, this is not an interchange at all", ErrNotX12},
		{"short isa", "ISA*00*~", ErrBadISA},
		{"unterminated", sample837 + "ST*837", ErrUnterminated},
		{"alnum delimiter", strings.Replace(sample837, "*:~", "*A~", 1), ErrBadISA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err %T is not *Error", err)
			}
		})
	}
}

func TestReaderSegmentTooLong(t *testing.T) {
	r := NewReader(strings.NewReader(sample837[:106] + strings.Repeat("X", 5000) + "~"))
	r.MaxSegmentSize = 1024
	for {
		_, err := r.Next()
		if errors.Is(err, ErrSegmentTooLong) {
			return
		}
		if err != nil {
			t.Fatalf("err = %v, want ErrSegmentTooLong", err)
		}
	}
}

func TestReaderElementsAndPosition(t *testing.T) {
	r := NewReader(strings.NewReader(sample837))
	r.File = "claims.x12"
	var hi *Segment
	for {
		s, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if s.Is("HI") {
			hi = s
			break
		}
	}
	if got := string(hi.Component(2, 2)); got != "E119" {
		t.Errorf("HI02-2 = %q", got)
	}
	if got := hi.Len(); got != 2 {
		t.Errorf("Len = %d", got)
	}
	if hi.Element(3) != nil || hi.Component(1, 3) != nil {
		t.Error("missing element or component is not nil")
	}
	p := r.Position()
	want := Position{File: "claims.x12", Interchange: "000000001", Group: "1", Set: "0001", Segment: 5, SetSegment: 3, Offset: p.Offset, SegmentID: "HI"}
	if p != want {
		t.Errorf("position = %+v, want %+v", p, want)
	}
	if got := p.String(); got != "claims.x12, ISA13 000000001, GS06 1, ST02 0001, segment 5 (set position 3), HI" {
		t.Errorf("position string = %q", got)
	}
	if r.Delimiters() != DefaultDelimiters {
		t.Errorf("delimiters = %+v", r.Delimiters())
	}
}

// oneByteReader returns the input a byte at a time, to test buffer refills at
// every boundary.
type oneByteReader struct{ s string }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(o.s) == 0 {
		return 0, io.EOF
	}
	p[0] = o.s[0]
	o.s = o.s[1:]
	return 1, nil
}

func TestReaderByteAtATime(t *testing.T) {
	in := sample837 + strings.NewReplacer("*", "|", "~", "\n").Replace(sample837)
	r := NewReader(&oneByteReader{in})
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 16 {
		t.Fatalf("read %d segments, want 16", n)
	}
}

// TestReaderSharedSamples reads every X12 sample written by other projects:
// none may panic, and each either reads to the end or stops at a positioned
// error.
func TestReaderSharedSamples(t *testing.T) {
	files, _ := filepath.Glob("../fixtures/x12/samples/*/*")
	if len(files) == 0 {
		t.Fatal("no X12 samples found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(strings.NewReader(string(data)))
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Errorf("%s: unpositioned error %v", filepath.Base(f), err)
				}
				break
			}
		}
	}
}

func TestPositionDoesNotAllocate(t *testing.T) {
	r := NewReader(strings.NewReader(sample837))
	for {
		s, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if s.Is("BHT") {
			break
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = r.Position() }); n != 0 {
		t.Fatalf("Position allocates %v times", n)
	}
}

// Tolerances: what real trading partners put between segments (see
// fixtures/x12/samples: LF after every terminator in most files, CR LF in
// the TigerShark 835s and 271, blank lines at the end of the imsweb 837s, a
// space before the next segment in imsweb's x223-test) reads as the same
// segments, with offsets that still point at each segment.
func TestReaderTolerances(t *testing.T) {
	want, err := readAll(t, sample837)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
	}{
		{"LF after terminators", strings.ReplaceAll(sample837, "~", "~\n")},
		{"CR LF after terminators", strings.ReplaceAll(sample837, "~", "~\r\n")},
		{"CR after terminators", strings.ReplaceAll(sample837, "~", "~\r")},
		{"blank lines between segments", strings.ReplaceAll(sample837, "~", "~\n\n\r\n")},
		{"indentation with spaces", strings.ReplaceAll(sample837, "~", "~\n    ")},
		{"indentation with tabs", strings.ReplaceAll(sample837, "~", "~\n\t\t")},
		{"space after terminator", strings.ReplaceAll(sample837, "~", "~ ")},
		{"blanks before the first ISA", " \t\r\n" + sample837},
		{"byte-order mark", "\xEF\xBB\xBF" + sample837},
		{"LF terminator with CR LF lines", strings.ReplaceAll(strings.Replace(sample837, "*:~", "*:\n", 1), "~", "\r\n")},
		{"LF terminator with indentation", strings.ReplaceAll(strings.Replace(sample837, "*:~", "*:\n", 1), "~", "\n  ")},
		{"trailing blank lines", sample837 + "\r\n\r\n  \n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.in))
			for i := 0; ; i++ {
				s, err := r.Next()
				if err == io.EOF {
					if i != len(want) {
						t.Fatalf("%d segments, want %d", i, len(want))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if i >= len(want) || string(s.Raw()) != want[i] {
					t.Fatalf("segment %d = %q", i+1, s.Raw())
				}
				if off := int(r.Position().Offset); !strings.HasPrefix(tc.in[off:], string(s.ID())) {
					t.Fatalf("segment %d offset %d points at %q", i+1, off, tc.in[off:min(len(tc.in), off+10)])
				}
			}
		})
	}
}

// What is not tolerated stops reading, or reaches validation as a bad
// segment, with the position of the offending bytes.
func TestReaderRejects(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    error
		segment int // position of the error (reader) or of the bad segment (validation)
	}{
		{"text after the last terminator", sample837 + "IEA*1", ErrUnterminated, 9},
		{"form feed before a segment", strings.Replace(sample837, "~BHT", "~\fBHT", 1), ErrSyntax, 4},
		{"NUL between segments", strings.Replace(sample837, "~BHT", "~\x00BHT", 1), ErrSyntax, 4},
		{"lower-case segment ID", strings.Replace(sample837, "~BHT", "~bht", 1), ErrSyntax, 4},
		{"ISA not fixed width", strings.Replace(sample837, "SUBMITTER      *", "SUBMITTER*", 1), ErrBadISA, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Validate(strings.NewReader(tc.in), ValidateOpts{File: "in.x12"})
			var got *Error
			switch {
			case err != nil:
				if !errors.As(err, &got) {
					t.Fatalf("unpositioned %v", err)
				}
			default:
				for _, e := range rep.AllErrors() {
					if errors.Is(e, tc.want) {
						got = e
						break
					}
				}
			}
			if got == nil || !errors.Is(got, tc.want) {
				t.Fatalf("want %v, got %v / %v", tc.want, err, rep.Err())
			}
			if got.Pos.File != "in.x12" || got.Pos.Segment != tc.segment {
				t.Fatalf("position %+v, want segment %d", got.Pos, tc.segment)
			}
		})
	}
}
