package edi

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestWriterEnvelope(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, DefaultDelimiters)
	at := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	w.BeginInterchange(ISAHeader{SenderID: "SUBMITTER", ReceiverID: "RECEIVER", Time: at, ControlNumber: 1, Usage: "T"})
	w.BeginGroup(GSHeader{FunctionalID: "HC", SenderCode: "SUBMITTER", ReceiverCode: "RECEIVER", Time: at, ControlNumber: 1, Version: "005010X222A1"})
	w.BeginSet("837", 1, "005010X222A1")
	w.Segment("BHT", "0019", "00", "REF1", "20240101", "1200", "CH")
	w.Begin("HI")
	w.Composite()
	w.Comp("ABK")
	w.Comp("J101")
	w.Composite()
	w.Comp("ABF")
	w.Comp("E119")
	w.Comp("")
	w.Comp("")
	w.Elem("")
	w.End()
	w.EndSet()
	w.EndGroup()
	w.EndInterchange()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != sample837 {
		t.Fatalf("got\n%s\nwant\n%s", strings.ReplaceAll(got, "~", "~\n"), strings.ReplaceAll(sample837, "~", "~\n"))
	}
	if i := strings.Index(buf.String(), "~"); i != ISALength-1 {
		t.Fatalf("ISA is %d bytes", i+1)
	}
}

func TestWriterTrailingEmpties(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *Writer)
		want  string
	}{
		{"trailing elements", func(w *Writer) { w.Segment("NM1", "85", "2", "CLINIC", "", "", "", "", "") }, "NM1*85*2*CLINIC~"},
		{"inner empties kept", func(w *Writer) { w.Segment("NM1", "IL", "1", "DOE", "", "", "", "", "MI", "X1") }, "NM1*IL*1*DOE*****MI*X1~"},
		{"empty composite", func(w *Writer) { w.Begin("SV1"); w.Composite(); w.Comp(""); w.Comp(""); w.End() }, "SV1~"},
		{"composite inner empty", func(w *Writer) {
			w.Begin("SV1")
			w.Comp("HC")
			w.Comp("99213")
			w.Comp("")
			w.Comp("25")
			w.ElemAmount(12550)
			w.End()
		}, "SV1*HC:99213::25*125.5~"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf, DefaultDelimiters)
			tc.write(w)
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Fatalf("got %q, want %q", buf.String(), tc.want)
			}
		})
	}
}

func TestWriterDelimiterInData(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, DefaultDelimiters)
	w.Segment("NM1", "IL", "1", "O*BRIEN")
	err := w.Flush()
	if !errors.Is(err, ErrDelimiterInData) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "NM103") {
		t.Fatalf("error does not name the element: %v", err)
	}
}

func TestAmounts(t *testing.T) {
	for _, tc := range []struct {
		cents int64
		text  string
	}{{0, "0"}, {5, "0.05"}, {50, "0.5"}, {12500, "125"}, {12550, "125.5"}, {12555, "125.55"}, {-5, "-0.05"}, {-100, "-1"}} {
		if got := FormatAmount(tc.cents); got != tc.text {
			t.Errorf("FormatAmount(%d) = %q, want %q", tc.cents, got, tc.text)
		}
		if got, err := ParseAmount([]byte(tc.text)); err != nil || got != tc.cents {
			t.Errorf("ParseAmount(%q) = %d, %v", tc.text, got, err)
		}
	}
	for _, in := range []string{"", "-", ".", "1.2.3", "12a", "1.234", "+"} {
		if _, err := ParseAmount([]byte(in)); err == nil {
			t.Errorf("ParseAmount(%q) did not fail", in)
		}
	}
	if got, err := ParseAmount([]byte("1.500")); err != nil || got != 150 {
		t.Errorf("ParseAmount(1.500) = %d, %v", got, err)
	}
}

func TestParseDate(t *testing.T) {
	if d, err := ParseDate([]byte("20240229")); err != nil || d != time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC) {
		t.Errorf("ParseDate = %v, %v", d, err)
	}
	for _, in := range []string{"20230229", "2024013", "20241301", "2024010a"} {
		if _, err := ParseDate([]byte(in)); err == nil {
			t.Errorf("ParseDate(%q) did not fail", in)
		}
	}
}

func TestWriterRepeated(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, DefaultDelimiters)
	w.Begin("EQ")
	w.ElemRepeated("30", "1", "33")
	w.End()
	w.Begin("EB")
	w.Elem("L")
	w.ElemRepeated()
	w.End()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "EQ*30^1^33~EB*L~" {
		t.Fatalf("got %q", got)
	}
	w = NewWriter(&buf, Delimiters{Element: '*', Component: ':', Segment: '~'})
	w.Begin("EQ")
	w.ElemRepeated("30", "1")
	w.End()
	if err := w.Flush(); !errors.Is(err, ErrDelimiterInData) {
		t.Fatalf("no repetition separator: err = %v", err)
	}
}

// TestWriterDelimiterAnywhere puts each delimiter at each position of
// values short and long, so both the table check and the eight-bytes-at-a-
// time check see it in every byte of a word and in the tail.
func TestWriterDelimiterAnywhere(t *testing.T) {
	d := DefaultDelimiters
	for n := 1; n <= 40; n++ {
		for i := 0; i < n; i++ {
			for _, c := range []byte{d.Element, d.Component, d.Segment, d.Repetition} {
				v := []byte(strings.Repeat("A", n))
				v[i] = c
				var buf bytes.Buffer
				w := NewWriter(&buf, d)
				w.Segment("NTE", "ADD", string(v))
				err := w.Flush()
				if !errors.Is(err, ErrDelimiterInData) {
					t.Fatalf("len %d, %q at %d: err = %v", n, c, i, err)
				}
				if buf.Len() != 0 {
					t.Fatalf("len %d: wrote %q after a delimiter error", n, buf.String())
				}
			}
		}
		var buf bytes.Buffer
		w := NewWriter(&buf, d)
		v := strings.Repeat("A B-1.", n)
		w.Segment("NTE", "ADD", v)
		if err := w.Flush(); err != nil || buf.String() != "NTE*ADD*"+v+"~" {
			t.Fatalf("len %d: got %q, %v", n, buf.String(), err)
		}
	}
}

// TestWriterLongOutput writes more than the buffer holds, in segments of
// every length, and values past the buffer's spare capacity.
func TestWriterLongOutput(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, DefaultDelimiters)
	var want strings.Builder
	for i := 0; want.Len() < 5*flushSize; i++ {
		v := strings.Repeat("X", i%300)
		w.Begin("NTE")
		w.Elem("ADD")
		w.Elem(v)
		w.End()
		want.WriteString("NTE*ADD")
		if v != "" {
			want.WriteString("*" + v)
		}
		want.WriteString("~")
	}
	// An abandoned segment is not written.
	w.Begin("REF")
	w.Elem("EA")
	w.Begin("REF")
	w.Elem("F8")
	w.End()
	want.WriteString("REF*F8~")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want.String() {
		t.Fatalf("output differs: %d bytes, want %d", buf.Len(), want.Len())
	}
}

func TestWriterNoRepetitionSeparator(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Delimiters{Element: '*', Component: ':', Segment: '~'})
	w.Segment("NTE", "ADD", "A^B", strings.Repeat("^", 20))
	if err := w.Flush(); err != nil || buf.String() != "NTE*ADD*A^B*"+strings.Repeat("^", 20)+"~" {
		t.Fatalf("got %q, %v", buf.String(), err)
	}
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestWriterShortWrite(t *testing.T) {
	w := NewWriter(shortWriter{}, DefaultDelimiters)
	w.Segment("NTE", "ADD", "X")
	if err := w.Flush(); !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("err = %v", err)
	}
}
