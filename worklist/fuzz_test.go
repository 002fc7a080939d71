package worklist

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzEditDocument feeds --set edits to the claim document editor: it must
// never panic, and anything it accepts must be a claim that marshals and
// decodes again.
func FuzzEditDocument(f *testing.F) {
	doc := `{"kind":"837P","patientControlNumber":"E1","totalChargeCents":100,"frequencyCode":"1",` +
		`"diagnoses":[{"code":"E119"}],"lines":[{"procedureCode":"99213","chargeCents":100,"unitType":"UN","units":1,"serviceDate":"2026-03-02"}]}`
	for _, s := range []string{`lines.0.modifiers=["25"]`, "note=hello", "lines.1.procedureCode=99214", "diagnoses.0.code=I10",
		"lines.0.chargeCents=abc", "x.y.z=1", "lines.-1.units=2", "=1", "lines.0=null", `priorAuthorization={"a":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, set string) {
		got, err := editDocument(json.RawMessage(doc), nil, strings.Split(set, "\n"))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		raw, err := marshalDoc(got)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := editDocument(raw, nil, nil); err != nil {
			t.Fatalf("accepted edit does not decode again: %v", err)
		}
	})
}
