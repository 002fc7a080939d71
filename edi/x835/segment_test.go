package x835

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/edi"
)

// procedure reads each component as edi.Segment.Component does.
func TestProcedureComponents(t *testing.T) {
	var d Decoder
	for _, el := range []string{"", "HC", "HC:", "HC:99214", "HC:99214:25", "HC:99214:25:59:GT:XU:DESC", "HC:99214:25:59:GT:XU:DESC:EXTRA:MORE", "::::::", ":::::::"} {
		s := edi.NewSegment([]byte("SVC*"+el+"*100"), edi.DefaultDelimiters)
		var p Procedure
		d.procedure(s, 1, &p)
		got := []string{p.Qualifier, p.Code, p.Modifiers[0], p.Modifiers[1], p.Modifiers[2], p.Modifiers[3], p.Description}
		for j, g := range got {
			if want := string(s.Component(1, j+1)); g != want {
				t.Errorf("%q component %d: %q, want %q", el, j+1, g, want)
			}
		}
	}
}

// Regression: the decoder's own splitter stopped at 48 elements, so a
// segment with more lost its last ones without a word. The decoder keeps
// every element of an RDM (which it copies whole), however many there are.
func TestElementsPastFortyEightKept(t *testing.T) {
	var rdm strings.Builder
	rdm.WriteString("RDM")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&rdm, "*E%d", i)
	}
	in := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260115*0930*^*00501*000000101*0*T*:~" +
		"GS*HP*A*B*20260115*0930*1*X*005010X221A1~ST*835*0001~BPR*I*0*C*NON************20260115~TRN*1*X*1~" +
		"N1*PR*ACME~N3*1 MAIN~N4*SPRINGFIELD*IL*62701~" + rdm.String() + "~N1*PE*CLINIC*XX*1234567893~SE*9*0001~GE*1*1~IEA*1*000000101~"
	d := NewDecoder(strings.NewReader(in))
	for d.Next() {
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	rems := d.Remittances()
	if len(rems) != 1 {
		t.Fatalf("%d remittances, want 1", len(rems))
	}
	got := rems[0].Payer.RemittanceDelivery
	if len(got) != 60 {
		t.Fatalf("RDM kept %d elements, want 60: %q", len(got), got)
	}
	for _, i := range []int{48, 49, 60} {
		if want := fmt.Sprintf("E%d", i); got[i-1] != want {
			t.Errorf("RDM element %d = %q, want %q", i, got[i-1], want)
		}
	}
}
