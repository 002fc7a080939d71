package guide_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/guide"
	"github.com/clearhouse/clearhouse/edi/x999"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	want, err := os.ReadFile(path)
	if *update && !bytes.Equal(got, want) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s\nwant\n%s", name, got, want)
	}
}

// ack999 validates x12 and writes the 999s of its first interchange.
func ack999(t *testing.T, x12 string, level int) []byte {
	t.Helper()
	rep := validate(t, x12, level)
	acks := x999.Generate(rep)
	var b bytes.Buffer
	w := edi.NewWriter(&b, edi.DefaultDelimiters)
	at := time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC)
	if err := x999.Encode(w, x999.ReplyEnvelope(acks[0].Interchange, 42, 42, at), nil, acks[0].Responses); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Test999Golden writes the 999 of 837Ps with guide errors: IK3 with the
// loop ID (IK303), IK4 with the data element number and the bad value
// (IK402, IK404), the CTX business unit (CLM01) for errors inside a claim;
// the 999 itself passes 005010X231A1.
func Test999Golden(t *testing.T) {
	twoClaims := append(append([]string(nil), claim837P...), "CLM*PCN2*50***11:B:1*Y*A*Y*Y", "HI*ABK:R69", "LX*1", "SV1*HC:99213*50*UN*1***1", "DTP*472*D8*2024010")
	tests := []struct {
		name, x12 string
		level     int
	}{
		{"999-situational.x12", file837P(edit(claim837P, 16, "CLM*PCN1*100***11:B:7*Y*A*Y*Y", false)), guide.LevelSituational},
		{"999-guide-errors.x12", file837P(edit(edit(edit(twoClaims, 16, "CLM*PCN1*100***11:B:1*Y*A*Y*Y*X", false), 10, "SBR*X*18*******CI", false), 6, "", false)), guide.IntakeLevel},
		{"999-hierarchy.x12", file837P(edit(claim837P, 9, "HL*3*3*22*0", false)), guide.IntakeLevel},
		{"999-accepted.x12", file837P(claim837P), guide.IntakeLevel},
		{"999-sets.x12", interchange("HC", "005010X222A1", "837", claim837P, edit(claim837P, 18, "HI*ABK:R51", true)), guide.IntakeLevel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ack999(t, tc.x12, tc.level)
			golden(t, tc.name, got)
			rep, err := guide.Validate(bytes.NewReader(got), guide.Options{Level: guide.LevelCodeSets})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Clean() {
				t.Errorf("the 999 breaks 005010X231A1:\n%v", rep.Err())
			}
			if strings.Count(string(got), "ISA*") != 1 || !strings.Contains(string(got), "GS*FA*") {
				t.Errorf("not one interchange with one FA group:\n%s", got)
			}
		})
	}
}
