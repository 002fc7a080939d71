package edi

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// segmentsOf reads in and returns each segment's raw bytes and delimiters.
func segmentsOf(in []byte) ([]string, error) {
	r := NewReader(bytes.NewReader(in))
	var out []string
	for {
		s, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		d := s.Delimiters()
		out = append(out, string([]byte{d.Element, d.Repetition, d.Component, d.Segment})+string(s.Raw()))
	}
}

// roundTrip converts in to JSON and back to X12.
func roundTrip(t testing.TB, in []byte) ([]byte, []byte) {
	t.Helper()
	var js bytes.Buffer
	if err := ToJSON(&js, NewReader(bytes.NewReader(in))); err != nil {
		t.Fatalf("ToJSON: %v", err)
	}
	doc, err := ParseJSON(js.Bytes())
	if err != nil {
		t.Fatalf("ParseJSON: %v\n%s", err, js.String())
	}
	var out bytes.Buffer
	if err := doc.WriteX12(&out); err != nil {
		t.Fatalf("WriteX12: %v", err)
	}
	return js.Bytes(), out.Bytes()
}

func TestJSONShape(t *testing.T) {
	in := strings.Replace(sample837, "BHT*0019*00*REF1", "BHT*0019*00*A:B^C:D^E", 1)
	js, _ := roundTrip(t, []byte(in))
	for _, want := range []string{
		`{"delimiters": {"element": "*", "repetition": "^", "component": ":", "segment": "~"},`,
		`["ISA", "00", "          ", "00", "          ", "ZZ", "SUBMITTER      ", "ZZ", "RECEIVER       ", "240101", "1200", "^", "00501", "000000001", "0", "T", ":"]`,
		`["HI", ["ABK", "J101"], ["ABF", "E119"]]`,
		`["BHT", "0019", "00", {"repeat": [["A", "B"], ["C", "D"], "E"]}, "20240101", "1200", "CH"]`,
	} {
		if !bytes.Contains(js, []byte(want)) {
			t.Errorf("JSON lacks %s\n%s", want, js)
		}
	}
}

func TestJSONRoundTripSamples(t *testing.T) {
	files, _ := filepath.Glob("../fixtures/x12/samples/*/*")
	if len(files) == 0 {
		t.Fatal("no X12 samples found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := segmentsOf(data)
		if err != nil {
			continue // unreadable input has no JSON form
		}
		_, out := roundTrip(t, data)
		got, err := segmentsOf(out)
		if err != nil {
			t.Fatalf("%s: reading back: %v", filepath.Base(f), err)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: segments differ after the JSON round trip", filepath.Base(f))
		}
	}
}

func TestJSONNonUTF8(t *testing.T) {
	in := strings.Replace(sample837, "REF1", "R\xe9F", 1)
	js, out := roundTrip(t, []byte(in))
	if !bytes.Contains(js, []byte(`{"base64":"UulG"}`)) {
		t.Errorf("no base64 form in %s", js)
	}
	if string(out) != in {
		t.Errorf("round trip changed the bytes")
	}
}

func TestWriteX12Errors(t *testing.T) {
	const d = `"delimiters": {"element": "*", "repetition": "^", "component": ":", "segment": "~"}`
	const isa = `["ISA", "00", "          ", "00", "          ", "ZZ", "A              ", "ZZ", "B              ", "240101", "1200", "^", "00501", "000000001", "0", "T", ":"]`
	tests := []struct {
		name string
		js   string
		want error
	}{
		{"delimiter in data", `{"interchanges": [{` + d + `, "segments": [` + isa + `, ["NM1", "O*BRIEN"]]}]}`, ErrDelimiterInData},
		{"no ISA first", `{"interchanges": [{` + d + `, "segments": [["GS", "HC"]]}]}`, ErrBadISA},
		{"bad delimiters", `{"interchanges": [{"delimiters": {"element": "*", "component": "*", "segment": "~"}, "segments": []}]}`, ErrBadISA},
		{"ISA16 mismatch", `{"interchanges": [{` + strings.Replace(d, `"component": ":"`, `"component": ">"`, 1) + `, "segments": [` + isa + `]}]}`, ErrBadISA},
		{"second ISA", `{"interchanges": [{` + d + `, "segments": [` + isa + `, ` + isa + `]}]}`, ErrSyntax},
		{"bad JSON", `{"interchanges": [`, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := ParseJSON([]byte(tc.js))
			if err == nil {
				err = doc.WriteX12(io.Discard)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	var out bytes.Buffer
	if err := Format(&out, NewReader(strings.NewReader(sample837))); err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(sample837, "~", "~\n"); out.String() != want {
		t.Fatalf("got\n%s", out.String())
	}
}
