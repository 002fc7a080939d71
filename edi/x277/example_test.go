package x277_test

import (
	"fmt"
	"os"

	"github.com/clearhouse/clearhouse/edi/x277"
)

func ExampleDecode() {
	f, err := os.Open("testdata/golden/accepted_and_rejected.x12")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	acks, err := x277.Decode(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range acks {
		a.Claims(func(p *x277.BillingProvider, c *x277.ClaimStatus) {
			s := c.Statuses[0].Codes[0]
			fmt.Printf("%s accepted=%v %s:%s:%s payer claim %q\n", c.PatientControlNumber, c.Accepted(), s.Category, s.Code, s.Entity, c.PayerClaimControlNumber)
		})
	}
	// Output:
	// PCN1001 accepted=true A2:20:PR payer claim "PAYER9001"
	// PCN1002 accepted=true A2:20:PR payer claim "PAYER9002"
	// PCN1003 accepted=false A7:33:IL payer claim ""
}
