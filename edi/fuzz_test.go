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

// addSeeds adds the in-code seeds; the committed corpus under
// testdata/fuzz holds more, taken from the shared samples.
func addSeeds(f *testing.F) {
	f.Add([]byte(sample837))
	f.Add([]byte(strings.ReplaceAll(sample837, "~", "~\r\n")))
	f.Add([]byte("\xEF\xBB\xBF" + sample837 + strings.NewReplacer("*", "|", "~", "\n", ":", ">").Replace(sample837)))
	f.Add([]byte(strings.Replace(sample837, "SE*4*", "SE*7*", 1)))
	files, _ := filepath.Glob("../fixtures/x12/samples/999/*")
	if len(files) == 0 {
		f.Fatal("no 999 samples in fixtures/x12/samples")
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
}

func FuzzReader(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		r.MaxSegmentSize = 4096
		for n := 0; ; n++ {
			s, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("unpositioned error %v", err)
				}
				return
			}
			// Touch every accessor.
			_ = s.ID()
			for i := 0; i <= s.Len()+1; i++ {
				_ = s.Component(i, 2)
				_ = s.Repetition(i, 2)
			}
			_ = r.Position().String()
			if len(s.Raw()) > 4096 {
				t.Fatalf("segment of %d bytes over the cap", len(s.Raw()))
			}
		}
	})
}

func FuzzJSONRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		want, err := segmentsOf(in)
		if err != nil {
			return // not readable: no JSON form to compare
		}
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
			t.Fatalf("WriteX12: %v\n%s", err, js.String())
		}
		got, err := segmentsOf(out.Bytes())
		if err != nil {
			t.Fatalf("reading back: %v\n%q", err, out.String())
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("segments differ:\n%q\n%q", want, got)
		}
	})
}

func FuzzValidate(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := Validate(bytes.NewReader(in), ValidateOpts{File: "fuzz", MaxErrors: 20, MaxSegmentSize: 4096})
		if err != nil {
			if !errors.Is(err, ErrNotX12) && !errors.Is(err, ErrBadISA) && !errors.Is(err, ErrSegmentTooLong) && !errors.Is(err, ErrUnterminated) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, e := range rep.AllErrors() {
			if e.Level == LevelNone || e.Code == "" || e.Pos.Segment == 0 {
				t.Fatalf("error without code or position: %+v", e)
			}
		}
	})
}
