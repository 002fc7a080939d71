package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// update rewrites the goldens of this package's tests that differ from
// what the commands print now; each is compared first.
var update = flag.Bool("update", false, "rewrite the golden files that differ")

// encodeArgs are the envelope flags of the golden encodings.
var encodeArgs = []string{"--time", "2026-11-03T10:30:00Z", "--submitter-name", "CLEARHOUSE BILLING",
	"--submitter-id", "CLH0001", "--contact-name", "EDI DESK", "--contact-phone", "2155550100", "--line-breaks"}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	want, err := os.ReadFile(path)
	if *update && (err != nil || got != string(want)) {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", path)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
	}
}

func TestClaimsEncodeDecode(t *testing.T) {
	for _, tt := range []struct{ name, format string }{{"office-visit", "837p"}, {"outpatient", "837i"}} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"claims", "encode", "--format", tt.format}, encodeArgs...)
			code, out, errOut := run(t, append(args, filepath.Join("testdata", "claims", tt.name+".json"))...)
			if code != 0 {
				t.Fatalf("encode: exit %d: %s", code, errOut)
			}
			x12 := filepath.Join("testdata", "golden", "claims-encode-"+tt.name+".x12")
			checkGolden(t, x12, out)

			code, out, errOut = run(t, "claims", "decode", x12)
			if code != 0 {
				t.Fatalf("decode: exit %d: %s", code, errOut)
			}
			checkGolden(t, filepath.Join("testdata", "claims", "decode-"+tt.name+".json"), out)
		})
	}
}

func TestClaimsEncodeErrors(t *testing.T) {
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.json")
	data, _ := os.ReadFile("testdata/claims/office-visit.json")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(data), `"190641234"`, `"19064"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--format", "837x", "testdata/claims/office-visit.json"}, 2, "--format"},
		{[]string{"--format", "837i", "testdata/claims/office-visit.json"}, 2, "not an 837I"},
		{[]string{"--format", "837p", bad}, 1, `claim "PCN0001" (#1): claim cannot be encoded as an 837: 2010AA N4 N403`},
	} {
		args := append(append([]string{"claims", "encode"}, encodeArgs...), tt.args...)
		code, out, errOut := run(t, args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, %d bytes out; want exit %d and %q", tt.args, code, errOut, len(out), tt.code, tt.want)
		}
	}
	// Without the submitter flags the envelope is incomplete.
	code, _, errOut := run(t, "claims", "encode", "--format", "837p", "testdata/claims/office-visit.json")
	if code != 2 || !strings.Contains(errOut, "SubmitterName") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestClaimsDecodeErrors(t *testing.T) {
	tmp := t.TempDir()
	data, _ := os.ReadFile("testdata/golden/claims-encode-office-visit.x12")
	bad := filepath.Join(tmp, "bad.x12")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(data), "SV1*HC:99213*125*", "SV1*HC:99213*12x5*", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "claims", "decode", bad)
	if code != 1 || strings.TrimSpace(out) != "[]" || !strings.Contains(errOut, "SV102") || !strings.Contains(errOut, "ISA13 000000001") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestClaimsEncodeOut: --out FILE writes the interchange there; -o, which
// named the file before it meant the output format, still does (issue 19).
func TestClaimsEncodeOut(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "golden", "claims-encode-office-visit.x12"))
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--out", "-o", "--output"} {
		path := filepath.Join(t.TempDir(), "out.x12")
		args := append(append([]string{"claims", "encode", "--format", "837p"}, encodeArgs...), flag, path, "testdata/claims/office-visit.json")
		code, out, errOut := run(t, args...)
		if code != 0 || out != "" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %s", flag, code, out, errOut)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: the file differs from the golden encoding", flag)
		}
	}
}
