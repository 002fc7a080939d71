package claim

import "testing"

func TestAdjudicationDenied(t *testing.T) {
	co := func(reason string, cents int64) Adjustment {
		return Adjustment{Group: "CO", Reason: reason, AmountCents: cents}
	}
	for _, tc := range []struct {
		name string
		a    Adjudication
		want bool
	}{
		{"paid", Adjudication{StatusCode: "1", ChargeCents: 100, PaidCents: 80, Adjustments: []Adjustment{co("45", 20)}}, false},
		{"CLP02 4", Adjudication{StatusCode: "4", ChargeCents: 100, PaidCents: 0, Adjustments: []Adjustment{co("16", 100)}}, true},
		{"CLP02 4 even with a payment", Adjudication{StatusCode: "4", ChargeCents: 100, PaidCents: 10}, true},
		{"nothing paid, a denial reason", Adjudication{StatusCode: "1", ChargeCents: 100, Adjustments: []Adjustment{co("45", 10), co("97", 90)}}, true},
		{"nothing paid, no adjustments", Adjudication{StatusCode: "1", ChargeCents: 100}, true},
		{"all to the patient", Adjudication{StatusCode: "1", ChargeCents: 100, PatientResponsibilityCents: 100,
			Adjustments: []Adjustment{{Group: "PR", Reason: "1", AmountCents: 100}}}, false},
		// Regression: a secondary payer that pays nothing because the primary
		// paid more than it allows (CO-23) has not denied the claim; the
		// denial-rate KPI counted it while billing did not.
		{"zero-pay secondary, CO-23", Adjudication{StatusCode: "2", ChargeCents: 100, Adjustments: []Adjustment{co("23", 100)}}, false},
		{"zero-pay secondary, CO-23 and CO-45", Adjudication{StatusCode: "2", ChargeCents: 100, Adjustments: []Adjustment{co("23", 60), co("45", 40)}}, false},
		{"a zero adjustment with a denial reason", Adjudication{StatusCode: "2", ChargeCents: 100, Adjustments: []Adjustment{co("23", 100), co("50", 0)}}, false},
		{"reversal", Adjudication{StatusCode: "22", ChargeCents: -100}, false},
		{"no charge", Adjudication{StatusCode: "1"}, false},
	} {
		if got := tc.a.Denied(); got != tc.want {
			t.Errorf("%s: Denied() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestContractualCARC(t *testing.T) {
	for reason, want := range map[string]bool{"45": true, "253": true, "23": true, "42": true, "59": true, "94": true, "131": true,
		"144": true, "16": false, "50": false, "97": false, "1": false, "": false} {
		if got := ContractualCARC(reason); got != want {
			t.Errorf("ContractualCARC(%q) = %v", reason, got)
		}
	}
}
