package fhir_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/clearhouse/clearhouse/fhir"
)

// FuzzRead reads anything as a Bundle, a resource or NDJSON: it never
// panics, refuses what is not JSON with ErrRead, and every entry it
// returns carries a type, an ID and JSON that decodes again.
func FuzzRead(f *testing.F) {
	for _, glob := range []string{"testdata/*.json", "testdata/bulk/*.ndjson"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := fhir.Read("fuzz.json", bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, fhir.ErrRead) {
				t.Fatalf("error does not wrap ErrRead: %v", err)
			}
			return
		}
		for _, e := range b.Entries {
			if e.Type == "" || e.ID == "" {
				t.Fatalf("entry without type or id: %+v", e)
			}
			if !json.Valid(e.Raw) {
				t.Fatalf("entry %s: raw JSON does not decode", e.Ref())
			}
		}
		for _, p := range b.Broken {
			if p.Reason == "" || p.Where == "" {
				t.Fatalf("problem without reason or position: %+v", p)
			}
		}
	})
}

// TestRead covers the shapes Read tells apart.
func TestRead(t *testing.T) {
	tests := []struct {
		name, in      string
		entries       int
		broken        int
		wantErr       bool
		firstPosition string
	}{
		{"bundle", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"a"}}]}`, 1, 0, false, "x entry[0]"},
		{"resource", `{"resourceType":"Patient","id":"a","meta":{"versionId":"4"}}`, 1, 0, false, "x"},
		{"pretty resource", "{\n \"resourceType\": \"Patient\",\n \"id\": \"a\"\n}\n", 1, 0, false, "x"},
		{"ndjson", "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n\n{\"resourceType\":\"Patient\",\"id\":\"b\"}\n", 2, 0, false, "x:1"},
		{"ndjson broken line", "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{nope\n", 1, 1, false, "x:1"},
		{"no id", `{"resourceType":"Patient"}`, 0, 1, false, ""},
		{"not json", "ISA*00*", 0, 0, true, ""},
		{"empty", "  \n", 0, 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := fhir.Read("x", bytes.NewReader([]byte(tt.in)))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if len(b.Entries) != tt.entries || len(b.Broken) != tt.broken {
				t.Fatalf("entries %d broken %d, want %d and %d: %+v", len(b.Entries), len(b.Broken), tt.entries, tt.broken, b)
			}
			if tt.firstPosition != "" && b.Entries[0].Pos.String() != tt.firstPosition {
				t.Errorf("position %q, want %q", b.Entries[0].Pos.String(), tt.firstPosition)
			}
		})
	}
	b, _ := fhir.Read("x", bytes.NewReader([]byte(`{"resourceType":"Patient","id":"a","meta":{"versionId":"4"}}`)))
	if b.Entries[0].Version != "4" || b.Entries[0].Ref() != "Patient/a" {
		t.Errorf("entry %+v", b.Entries[0])
	}
}
