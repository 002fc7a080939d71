package x276_test

import (
	"fmt"
	"os"

	"github.com/clearhouse/clearhouse/edi/x276"
)

func ExampleDecode() {
	f, err := os.Open("testdata/golden/request.x12")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	reqs, err := x276.Decode(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	reqs[0].Claims(func(_ *x276.Provider, s *x276.Subscriber, d *x276.Dependent, c *x276.Claim) {
		patient := s.Name
		if d != nil {
			patient = d.Name
		}
		fmt.Printf("trace %s claim %s patient %s charge %d\n", c.TraceNumber, c.PatientControlNumber, patient.Last, c.ChargeCents)
	})
	// Output:
	// trace ST-PCN1001 claim PCN1001 patient DOE charge 15000
	// trace ST-PCN1002 claim PCN1002 patient DOE charge 30050
	// trace ST-PCN1004 claim PCN1004 patient ROE charge 9000
}
