package x999

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/edi"
)

// Issue 14, finding 6: a 999 cut before its AK9, an AK2 without IK5 and a
// segment that is not part of a 999 were read without a word, and a group
// with no AK9 printed as accepted. Decode lists them in File.Errors with
// their position.
func TestDecodeIncomplete(t *testing.T) {
	golden, err := os.ReadFile("testdata/golden/999-partial.x12")
	if err != nil {
		t.Fatal(err)
	}
	g := string(golden)
	cut := func(before string) string { return g[:strings.Index(g, before)] }
	tests := []struct {
		name string
		in   string
		is   error
		want []string // substrings of the errors, in order
	}{
		{"clean", g, nil, nil},
		{"cut before AK9", cut("AK9"), edi.ErrSyntax, []string{"segment 12 (set position 9), IK5: syntax error: 999 0001 has no AK9: group 101 not acknowledged", "input ends inside 999 0001 (no SE)"}},
		{"cut before SE", cut("SE*"), edi.ErrEnvelope, []string{"input ends inside 999 0001 (no SE)"}},
		{"AK2 without IK5", strings.Replace(g, "IK5*A~", "", 1), edi.ErrSyntax, []string{"segment 7 (set position 4), AK2: syntax error: AK2 response to 837 0001 has no IK5"}},
		{"last AK2 without IK5", strings.Replace(g, "IK5*R*4*5~", "", 1), edi.ErrSyntax, []string{"AK2 response to 837 0002 has no IK5"}},
		{"no AK9", strings.Replace(g, "AK9*P*2*2*1~", "", 1), edi.ErrSyntax, []string{"SE: syntax error: 999 0001 has no AK9"}},
		{"unknown segment", strings.Replace(g, "IK5*A~", "IK5*A~ZZZ*1~", 1), edi.ErrSyntax, []string{`segment 8 (set position 5), ZZZ: syntax error: segment "ZZZ" is not part of a 999: skipped`}},
		{"control byte in ID", strings.Replace(g, "IK5*A~", "IK5*A~Z\x1bZ*1~", 1), edi.ErrSyntax, []string{`segment "Z\x1bZ" is not part of a 999`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := edi.NewReader(bytes.NewReader([]byte(tt.in)))
			r.File = "ack.x12"
			f, err := Decode(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Errors) != len(tt.want) {
				t.Fatalf("%d errors %v, want %d", len(f.Errors), f.Errors, len(tt.want))
			}
			for i, e := range f.Errors {
				if !errors.Is(e, tt.is) && !errors.Is(e, edi.ErrEnvelope) && !errors.Is(e, edi.ErrSyntax) {
					t.Errorf("error %d %v wraps neither sentinel", i, e)
				}
				if !strings.Contains(e.Error(), tt.want[i]) || !strings.Contains(e.Error(), "ack.x12, ISA13 000005001, GS06 5001") {
					t.Errorf("error %d = %v, want %q with its position", i, e, tt.want[i])
				}
			}
			if len(tt.want) > 0 && !errors.Is(f.Errors[0], tt.is) {
				t.Errorf("first error %v does not wrap %v", f.Errors[0], tt.is)
			}
		})
	}
}
