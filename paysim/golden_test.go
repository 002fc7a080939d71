package paysim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestGolden answers a fixed scenario and compares every response with
// testdata/golden (go test -run TestGolden -update rewrites them): an 837
// of every claim kind (999, 277CA, then the 835), a 270 (271) and an 837
// whose IEA does not match its ISA (TA1).
func TestGolden(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, "")
	claims := encode837(t, 41, loadClaims(t, allClaimFiles...))
	bad := bytes.Replace(encode837(t, 7, loadClaims(t, "office-visit-single-line")), []byte("IEA*1*000000007"), []byte("IEA*1*000000008"), 1)
	inputs := map[string][]byte{"claims.x12": claims, "elig.x12": encode270(t), "bad.x12": bad}
	for _, in := range []string{"claims.x12", "elig.x12", "bad.x12"} {
		if _, err := s.HandleFile(t.Context(), simPayer, in, inputs[in]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ReleaseDue(t.Context(), simClock.Add(100*time.Hour)); err != nil {
		t.Fatal(err)
	}
	golden := map[string]string{
		"claims.x12.999":   "claims-999.x12",
		"claims.x12.277ca": "claims-277ca.x12",
		"elig.x12.271":     "eligibility-271.x12",
		"bad.x12.ta1":      "envelope-error-ta1.x12",
		"835s":             "claims-835.x12", // one file per payee, joined in name order
	}
	for name, file := range golden {
		var got []byte
		if name == "835s" {
			_, got = released(t, s, simPayer)
		} else {
			got = outbound(t, s, simPayer, name)
		}
		mustValid(t, name, got)
		path := filepath.Join("testdata", "golden", file)
		want, err := os.ReadFile(path)
		if *update && (err != nil || !bytes.Equal(got, want)) {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote %s", path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n%s", name, path, got)
		}
	}
}
