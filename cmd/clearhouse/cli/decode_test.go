package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Golden end-to-end cases of the decode commands: input file, expected
// standard output and exit status.
func TestDecodeCommands(t *testing.T) {
	const (
		x835 = "../../../edi/x835/testdata/golden/"
		x270 = "../../../edi/x270/testdata/golden/"
		x277 = "../../../edi/x277/testdata/golden/"
		x999 = "../../../edi/x999/testdata/golden/"
	)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"remit-table", []string{"remit", "decode", x835 + "professional_and_institutional.x12"}, 0},
		{"remit-json", []string{"remit", "decode", "-o", "json", x835 + "professional_and_institutional.x12"}, 0},
		{"remit-unbalanced", []string{"remit", "decode", "testdata/decode/unbalanced.835"}, 1},
		{"remit-unbalanced-skip", []string{"remit", "decode", "--no-balance", "testdata/decode/unbalanced.835"}, 0},
		{"eligibility-active", []string{"eligibility", "decode", x270 + "eligibility_active.x12"}, 0},
		{"eligibility-dependent", []string{"eligibility", "decode", x270 + "eligibility_dependent.x12"}, 0},
		{"eligibility-errors", []string{"eligibility", "decode", x270 + "eligibility_errors.x12"}, 0},
		{"eligibility-json", []string{"eligibility", "decode", "--output", "json", x270 + "eligibility_inactive.x12"}, 0},
		{"ack-277ca", []string{"ack", "decode", x277 + "accepted_and_rejected.x12"}, 0},
		{"ack-277ca-json", []string{"ack", "decode", "--format", "json", x277 + "rejected_batch.x12"}, 0},
		{"ack-999", []string{"ack", "decode", x999 + "999-partial.x12"}, 0},
		{"status-277", []string{"status", "decode", x277 + "status_response.x12"}, 0},
		{"status-277-json", []string{"status", "decode", "--format", "json", x277 + "status_receiver_error.x12"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.args[len(tt.args)-1]); err != nil {
				t.Fatal(err) // a committed fixture
			}
			code, out, errOut := run(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errOut)
			}
			path := filepath.Join("testdata", "decode", tt.name+".golden")
			want, err := os.ReadFile(path)
			if *update && (err != nil || out != string(want)) {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("rewrote %s", path)
				want, err = []byte(out), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Fatalf("output differs from %s:\n%s", path, out)
			}
			if strings.Contains(strings.Join(tt.args, " "), "json") {
				dec := json.NewDecoder(strings.NewReader(out))
				for dec.More() {
					var v any
					if err := dec.Decode(&v); err != nil {
						t.Fatalf("not JSON: %v", err)
					}
				}
			}
		})
	}
}

func TestDecodeCommandErrors(t *testing.T) {
	x277 := "../../../edi/x277/testdata/golden/accepted_and_rejected.x12"
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"remit", "decode", "testdata/decode/no-such-file"}, 2, "no such file"},
		{[]string{"remit", "decode", x277}, 2, "not an 835"},
		{[]string{"eligibility", "decode", x277}, 2, "not a 271"},
		{[]string{"ack", "decode", "../../../edi/x835/testdata/golden/professional_and_institutional.x12"}, 2, "not an acknowledgment"},
		{[]string{"remit", "decode", "-o", "xml", x277}, 2, "want table or json"},
		{[]string{"remit", "decode", "--format", "xml", x277}, 2, "want table or json"},
		{[]string{"ack", "decode", "../../../edi/x277/testdata/golden/status_response.x12"}, 2, `read it with "clearhouse status decode"`},
		{[]string{"status", "decode", x277}, 2, `read it with "clearhouse ack decode"`},
		{[]string{"status", "decode", "../../../edi/x835/testdata/golden/professional_and_institutional.x12"}, 2, "not a 277 claim status response"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, code, errOut)
		}
	}
}

func TestRemitDecodeStdin(t *testing.T) {
	in, err := os.ReadFile("testdata/decode/unbalanced.835")
	if err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	code := Main([]string{"remit", "decode", "-"}, strings.NewReader(string(in)), &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "<stdin>") {
		t.Fatalf("exit %d, out %s", code, out.String())
	}
}
