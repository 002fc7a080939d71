package x837

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/edi"
)

// TestSamples decodes the real-world 837 files of other projects, re-encodes
// every claim and decodes it again: what the decoder read must survive the
// round trip. Most sample claims break some guide rule (5-digit billing
// provider ZIP codes, charges that do not balance), so they are written
// without the encoder's validation, which is counted separately.
func TestSamples(t *testing.T) {
	var files []string
	for _, dir := range []string{"837P", "837I"} {
		fs, _ := filepath.Glob(filepath.Join("..", "..", "fixtures", "x12", "samples", dir, "*"))
		if len(fs) == 0 {
			t.Fatalf("no %s samples in fixtures/x12/samples", dir)
		}
		files = append(files, fs...)
	}
	var decoded, roundTripped, invalid int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		claims, envs, err := decodeAll(t, name, data)
		if err != nil {
			first, _, _ := strings.Cut(err.Error(), "\n")
			t.Logf("%s: %d claims; %d errors, the first: %s", name, len(claims), len(err.(*edi.ErrorList).Errs), first)
		}
		decoded += len(claims)
		for i, c := range claims {
			env := testEnvelope()
			env.Time = envs[i].Time
			if env.Time.IsZero() {
				env.Time = testEnvelope().Time
			}
			if len(validate(c)) > 0 {
				invalid++
			}
			var out bytes.Buffer
			e := NewEncoder(&out, env)
			e.unchecked = true
			if err := e.Encode(c); err != nil {
				t.Errorf("%s claim %d: %v", name, i, err)
				continue
			}
			if err := e.Close(); err != nil {
				t.Errorf("%s claim %d: %v", name, i, err)
				continue
			}
			back, _, err := decodeAll(t, name+" re-encoded", out.Bytes())
			if err != nil || len(back) != 1 {
				t.Errorf("%s claim %d: re-encoded file does not decode: %v\n%s", name, i, err, out.Bytes())
				continue
			}
			want := transmitted(*c)
			if g, w := claimJSON(t, back[0]), claimJSON(t, &want); g != w {
				t.Errorf("%s claim %d does not survive a round trip: %s", name, i, jsonDiff(g, w))
				continue
			}
			roundTripped++
		}
	}
	t.Logf("%d files, %d claims decoded, %d round-tripped, %d of them breaking guide rules the encoder checks", len(files), decoded, roundTripped, invalid)
	if roundTripped == 0 {
		t.Error("no sample claim round-tripped")
	}
}
