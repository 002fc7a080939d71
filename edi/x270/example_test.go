package x270_test

import (
	"fmt"
	"os"

	"github.com/clearhouse/clearhouse/edi/x270"
)

func ExampleDecodeResponses() {
	f, err := os.Open("testdata/golden/eligibility_active.x12")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	resps, err := x270.DecodeResponses(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := resps[0].Match("TRN0002")
	group, _ := s.GroupNumber()
	fmt.Println(s.Patient().Last, s.Coverage(), s.Plan(), group)
	for _, sb := range s.ByServiceType() {
		for _, b := range sb.Copay {
			fmt.Printf("service %s copay %d.%02d network %s\n", sb.ServiceType, b.AmountCents/100, b.AmountCents%100, b.InPlanNetwork)
		}
		for _, b := range sb.Coinsurance {
			fmt.Printf("service %s coinsurance %d.%02d%% network %s auth %v\n", sb.ServiceType, b.PercentBasisPoints/100, b.PercentBasisPoints%100, b.InPlanNetwork, sb.AuthorizationRequired)
		}
	}
	// Output:
	// ROE active GOLD PPO GRP7788
	// service 30 coinsurance 20.00% network Y auth false
	// service 30 coinsurance 40.00% network N auth false
	// service 98 copay 25.00 network Y
	// service UC copay 75.00 network W
	// service 33 coinsurance 12.50% network Y auth true
}
