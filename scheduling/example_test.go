package scheduling_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

func ExampleParseTraceNumber() {
	// TRN02 of a 271 answer (Loop 2000C TRN*2) names the coverage asked
	// about, the date of service and the 270's interchange.
	tn, err := scheduling.ParseTraceNumber("17-20260304-301")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tn.CoverageID, tn.ServiceDate.Format(time.DateOnly), tn.Interchange)
	// Output: 17 2026-03-04 301
}

func ExampleResponsibilityOf() {
	copay, coins, ded := int64(2500), int64(2000), int64(62500)
	doc, _ := json.Marshal(scheduling.Eligibility{Status: "active", Plan: "GOLD PPO", Services: []scheduling.ServiceCostSharing{
		{ServiceType: "30", Network: "Y", CoinsuranceBasisPoints: &coins, DeductibleRemainingCents: &ded},
		{ServiceType: "98", Network: "Y", CopayCents: &copay},
	}})
	checked := time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC)
	r, err := scheduling.ResponsibilityOf(store.Coverage{ID: 1, EligibilityStatus: "active", EligibilityChecked: &checked, Benefits: doc}, "98")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: copay $%d.%02d, coinsurance %d%%, deductible left $%d.%02d\n", r.Plan,
		r.CopayCents/100, r.CopayCents%100, r.CoinsuranceBasisPoints/100, r.DeductibleRemainingCents/100, r.DeductibleRemainingCents%100)
	// Output: GOLD PPO: copay $25.00, coinsurance 20%, deductible left $625.00
}
