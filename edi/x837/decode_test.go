package x837

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
)

func TestDecodeErrors(t *testing.T) {
	golden, err := os.ReadFile("testdata/golden/batch-grouped.x12")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		from   string
		to     string
		claims int // claims still returned
		is     error
		want   string
	}{
		{"bad amount", "CLM*PCN0102*180*", "CLM*PCN0102*18O*", 3, edi.ErrSyntax, "CLM02"},
		{"bad service date", "DTP*472*D8*20261103", "DTP*472*D8*20261303", 3, edi.ErrSyntax, "DTP03"},
		{"bad units", "SV1*HC:99213*125*UN*1*", "SV1*HC:99213*125*UN*x*", 3, edi.ErrSyntax, "SV104"},
		{"wrong SE count", "SE*49*0001", "SE*48*0001", 4, edi.ErrEnvelope, "SE01"},
		{"wrong GE control", "GE*1*1", "GE*1*2", 4, edi.ErrEnvelope, "GE02"},
		{"not an 837", "ST*837*0001", "ST*835*0001", 0, edi.ErrImplementation, "ST01"},
		// Issue 14: C@M where CLM was meant read claim 2's lines into
		// claim 1 and dropped claim 2 without a word. Both are left out
		// now, with the skipped segment's position.
		{"segment ID not X12", "CLM*PCN0102", "C@M*PCN0102", 2, edi.ErrSyntax, `segment 26 (set position 24), C@M: syntax error: claim "PCN0101": segment ID "C@M"`},
		{"segment ID not X12 before a claim", "HL*2*1*22*0~", "HL*2*1*22*0~S#R*P~", 4, edi.ErrSyntax, `segment 15 (set position 13), S#R`},
		{"segment ID too long", "CLM*PCN0102", "CLMX*PCN0102", 2, edi.ErrSyntax, `segment 26 (set position 24), CLMX`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(string(golden), tt.from, tt.to, 1)
			if in == string(golden) {
				t.Fatalf("%q not in the golden file", tt.from)
			}
			got, _, err := decodeAll(t, "batch.x12", []byte(in))
			if len(got) != tt.claims {
				t.Errorf("%d claims, want %d", len(got), tt.claims)
			}
			var list *edi.ErrorList
			if !errors.As(err, &list) || !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) ||
				!strings.Contains(err.Error(), "batch.x12, ISA13 000000001, GS06 1") {
				t.Fatalf("err = %v, want an ErrorList matching %v at %s", err, tt.is, tt.want)
			}
		})
	}
}

func TestDecodeGarbage(t *testing.T) {
	for _, in := range []string{"", "hello", "ISA*00", strings.Repeat("~", 200)} {
		got, _, err := decodeAll(t, "x", []byte(in))
		if len(got) != 0 || err == nil {
			t.Errorf("%q: %d claims, err %v", in, len(got), err)
		}
	}
}

// FuzzDecode837 decodes arbitrary bytes, then writes what it read and reads
// it again: the decoder must never panic, and its claims must survive a
// round trip.
func FuzzDecode837(f *testing.F) {
	// The hostile corpus (testdata/hostile) of 837P and 837I.
	for _, dir := range []string{"837p", "837i"} {
		hostile, _ := filepath.Glob("../../testdata/hostile/" + dir + "/*.x12")
		for _, file := range hostile {
			if b, err := os.ReadFile(file); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	for _, name := range []string{"office-visit-single-line", "dependent-patient", "secondary-with-primary-payment", "institutional-inpatient", "ndc-drug"} {
		data, err := os.ReadFile("testdata/golden/" + name + ".x12")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		claims, envs, _ := decodeAll(t, "fuzz", data)
		checkReuseClaim(t, data, claims)
		for i, c := range claims {
			env := testEnvelope()
			env.Delimiters = envs[i].Delimiters
			var out bytes.Buffer
			e := NewEncoder(&out, env)
			e.unchecked = true
			if err := e.Encode(c); err != nil {
				continue // a value holds a delimiter of the new interchange
			}
			if err := e.Close(); err != nil {
				continue
			}
			back, _, err := decodeAll(t, "fuzz re-encoded", out.Bytes())
			if err != nil || len(back) != 1 {
				t.Fatalf("claim %d does not read back: %v\n%s", i, err, out.Bytes())
			}
			want := transmitted(*c)
			if g, w := claimJSON(t, back[0]), claimJSON(t, &want); g != w {
				t.Fatalf("claim %d does not survive a round trip: %s", i, jsonDiff(g, w))
			}
		}
	})
}

// checkReuseClaim decodes data again with ReuseClaim and checks that each
// claim, looked at before the next Next, equals the kept claim.
func checkReuseClaim(t *testing.T, data []byte, want []*claim.Claim) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(data))
	d.ReuseClaim = true
	n := 0
	for d.Next() {
		if n >= len(want) {
			t.Fatalf("ReuseClaim decodes more than %d claims", len(want))
		}
		if g, w := claimJSON(t, d.Claim()), claimJSON(t, want[n]); g != w {
			t.Fatalf("claim %d with ReuseClaim: %s", n, jsonDiff(g, w))
		}
		n++
	}
	if n != len(want) {
		t.Fatalf("ReuseClaim decodes %d claims, want %d", n, len(want))
	}
}

func TestDecodeReuseClaim(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.x12")
	if err != nil || len(files) == 0 {
		t.Fatal("no golden files", err)
	}
	var all []byte
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		claims, _, _ := decodeAll(t, name, data)
		checkReuseClaim(t, data, claims)
		all = append(all, data...)
	}
	// One input of every golden file: claims of both kinds, one after
	// another, with and without other payers, drugs and dependents.
	claims, _, err := decodeAll(t, "all", all)
	if err != nil {
		t.Fatal(err)
	}
	checkReuseClaim(t, all, claims)
}
