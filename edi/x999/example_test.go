package x999_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x999"
)

// A payer receives an 837 whose only transaction set declares the wrong
// segment count, and answers with a TA1 and a 999.
func ExampleGenerate() {
	in := "ISA*00*          *00*          *ZZ*CLINIC         *ZZ*PAYER          *240101*1200*^*00501*000000007*1*P*:~" +
		"GS*HC*CLINIC*PAYER*20240101*1200*7*X*005010X222A1~" +
		"ST*837*0001*005010X222A1~BHT*0019*00*B1*20240101*1200*CH~SE*9*0001~" +
		"GE*1*7~IEA*1*000000007~"
	rep, err := edi.Validate(strings.NewReader(in), edi.ValidateOpts{File: "claims.x12"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ack := range x999.Generate(rep) {
		w := edi.NewWriter(os.Stdout, edi.DefaultDelimiters)
		env := x999.ReplyEnvelope(ack.Interchange, 1, 1, time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC))
		var ta1s []x999.TA1
		if ack.TA1Needed() {
			ta1s = append(ta1s, ack.TA1)
		}
		// One segment per line for the example's sake.
		if err := x999.Encode(w, env, ta1s, ack.Responses); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *240102*0900*^*00501*000000001*0*P*:~TA1*000000007*240101*1200*A*000~GS*FA*PAYER*CLINIC*20240102*0900*1*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*7*005010X222A1~AK2*837*0001*005010X222A1~IK5*R*4~AK9*R*1*1*0~SE*6*0001~GE*1*1~IEA*1*000000001~
}

// Reading the 999 a payer sent back.
func ExampleDecode() {
	in := "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *240102*0900*^*00501*000000001*0*P*:~" +
		"GS*FA*PAYER*CLINIC*20240102*0900*1*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*7*005010X222A1~" +
		"AK2*837*0001*005010X222A1~IK3*NM1*5*2010BA*8~IK4*9**7~IK5*R*5~AK9*R*1*1*0~SE*8*0001~GE*1*1~IEA*1*000000001~"
	f, err := x999.Decode(edi.NewReader(strings.NewReader(in)))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range f.Responses {
		for _, s := range r.Sets {
			fmt.Printf("group %s set %s accepted=%v\n", r.GroupControlNumber, s.ControlNumber, s.Accepted())
			for _, sg := range s.Segments {
				for _, e := range sg.Elements {
					fmt.Printf("  %s%02d at set position %d in loop %s: IK403 %s\n", sg.SegmentID, e.Position, sg.Position, sg.Loop, e.Code)
				}
			}
		}
	}
	// Output:
	// group 7 set 0001 accepted=false
	//   NM109 at set position 5 in loop 2010BA: IK403 7
}
