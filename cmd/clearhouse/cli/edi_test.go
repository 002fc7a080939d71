package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	demoClean  = "../../../fixtures/x12/demo/837p-clean.x12"
	demoErrors = "../../../fixtures/x12/demo/837p-envelope-errors.x12"
	smallX12   = "testdata/edi/small.x12"
)

func ediGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "edi", name)
	want, err := os.ReadFile(path)
	if *update && (err != nil || !bytes.Equal(got, want)) {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", path)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n%s\nwant\n%s", name, got, want)
	}
}

func TestEDICommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"inspect", []string{"edi", "inspect", demoClean}, 0, "inspect.golden"},
		{"inspect errors", []string{"edi", "inspect", demoErrors}, 0, "inspect-errors.golden"},
		{"validate clean", []string{"edi", "validate", demoClean}, 0, "validate-clean.golden"},
		{"validate errors", []string{"edi", "validate", demoErrors}, 1, "validate-errors.golden"},
		{"json", []string{"edi", "json", smallX12}, 0, "json.golden"},
		{"fmt", []string{"edi", "fmt", smallX12}, 0, "fmt.golden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
			ediGolden(t, tc.golden, []byte(out))
		})
	}
}

func TestEDIValidateWritesAcknowledgments(t *testing.T) {
	dir := t.TempDir()
	ack, ta1 := filepath.Join(dir, "out.999"), filepath.Join(dir, "out.ta1")
	code, _, errOut := run(t, "edi", "validate", demoErrors, "--999", ack, "--ta1", ta1, "--at", "2024-01-02T09:00:00Z", "--control-number", "42")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range []struct{ path, golden string }{{ack, "golden/validate-999.x12"}, {ta1, "golden/validate-ta1.x12"}} {
		got, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		ediGolden(t, f.golden, got)
		// What was written validates clean.
		if code, out, _ := run(t, "edi", "validate", f.path); code != 0 {
			t.Errorf("%s does not validate: %s", f.golden, out)
		}
	}
}

func TestEDIJSONRoundTrip(t *testing.T) {
	code, js, errOut := run(t, "edi", "json", smallX12)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "edi", "json", "--to-x12", path)
	want, _ := os.ReadFile(smallX12)
	if code != 0 || out != string(want) {
		t.Fatalf("exit %d, stderr %s, got\n%s", code, errOut, out)
	}
}

func TestEDIExitStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small, _ := os.ReadFile(smallX12)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"missing file", []string{"edi", "validate", filepath.Join(dir, "nope.x12")}, 2},
		{"not x12", []string{"edi", "validate", write("text.txt", "hello, world")}, 2},
		{"empty", []string{"edi", "validate", write("empty.x12", "")}, 2},
		{"binary", []string{"edi", "validate", write("bin.x12", "\x00\xff\x13ISA\x00")}, 2},
		{"truncated", []string{"edi", "validate", write("cut.x12", string(small[:300]))}, 1},
		{"inspect not x12", []string{"edi", "inspect", write("text2.txt", "nothing")}, 2},
		{"fmt not x12", []string{"edi", "fmt", write("text3.txt", "nothing")}, 2},
		{"fmt truncated", []string{"edi", "fmt", write("cut2.x12", string(small[:300]))}, 1},
		{"json not x12", []string{"edi", "json", write("text4.txt", "nothing")}, 2},
		{"json bad json", []string{"edi", "json", "--to-x12", write("bad.json", "{")}, 2},
		{"bad --at", []string{"edi", "validate", smallX12, "--at", "yesterday"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
			if code == 2 && !strings.HasPrefix(errOut, "clearhouse: ") {
				t.Errorf("stderr %q", errOut)
			}
		})
	}
}

// TestEDIValidateSamples runs validate over every shared sample: never a
// panic, and only the documented exit statuses.
func TestEDIValidateSamples(t *testing.T) {
	files, _ := filepath.Glob("../../../fixtures/x12/samples/*/*")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	for _, f := range files {
		if code, _, errOut := run(t, "edi", "validate", f); code > 2 || code == 2 && errOut == "" {
			t.Errorf("%s: exit %d", filepath.Base(f), code)
		}
	}
}
