package x277_test

import (
	"fmt"
	"os"

	"github.com/clearhouse/clearhouse/edi/x277"
)

func ExampleDecodeStatus() {
	f, err := os.Open("testdata/golden/status_response.x12")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	resps, err := x277.DecodeStatus(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range resps {
		r.Claims(func(_ *x277.StatusSubscriber, _ *x277.StatusDependent, c *x277.StatusClaim) {
			s := c.Statuses[0]
			fmt.Printf("%s %s:%s %s charge %d paid %d\n", c.PatientControlNumber, s.Codes[0].Category, s.Codes[0].Code,
				x277.StandingOf(c.Category()), s.AmountCents, s.PaidCents)
		})
	}
	// Output:
	// PCN1001 F1:1 paid charge 15000 paid 12000
	// PCN1002 F2:1 denied charge 30000 paid 0
	// PCN1003 P1:20 pending charge 17500 paid 0
	// PCN1004 A2:20 received charge 9000 paid 0
	// PCN1005 A4:35 not_found charge 4500 paid 0
}
