package demo

import (
	"fmt"
	"strings"
)

// fees are the practice's charges in dollars (plausible round figures for
// a small primary care practice, not any real fee schedule).
var fees = []struct{ code, amount string }{
	{"99202", "110.00"}, {"99203", "165.00"}, {"99204", "250.00"}, {"99205", "320.00"},
	{"99212", "85.00"}, {"99213", "130.00"}, {"99214", "190.00"}, {"99215", "260.00"},
	{"99391", "160.00"}, {"99392", "170.00"}, {"99393", "170.00"}, {"99394", "185.00"},
	{"G0439", "175.00"}, {"87880", "35.00"}, {"81002", "15.00"}, {"36415", "12.00"},
	{"80061", "50.00"}, {"83036", "40.00"}, {"84443", "55.00"}, {"93000", "60.00"},
	{"90471", "30.00"}, {"90686", "45.00"}, {"20610", "150.00"},
}

// allowedPercent is each payer's contracted share of the charge: the
// clinic's expected allowed amounts, and what the simulated payer allows.
var allowedPercent = map[string]int64{PayerMedicare: 55, PayerMedicaid: 45, PayerKeystone: 80, PayerSummit: 85, PayerRiverside: 75}

// ProfileYAML is the clinic's billing profile (see billing.ClinicProfile):
// address, contact, fee schedule and expected allowed amounts.
func (d *Dataset) ProfileYAML() []byte {
	var b strings.Builder
	c := d.Clinic
	fmt.Fprintf(&b, "billing_provider:\n  taxonomy: %s\n  address: {line1: %s, city: %s, state: %s, postal_code: %q}\n",
		c.Taxonomy, c.Address.Line1, c.Address.City, c.Address.State, c.Address.PostalCode)
	fmt.Fprintf(&b, "contact: {name: BILLING OFFICE, phone: %q}\nfees:\n", c.Phone)
	for _, f := range fees {
		fmt.Fprintf(&b, "  - {code: %q, amount: %q}\n", f.code, f.amount)
	}
	b.WriteString("allowed:\n")
	for _, p := range Payers() {
		fmt.Fprintf(&b, "  %s: {percent: \"%d\"}\n", p, allowedPercent[p])
	}
	return []byte(b.String())
}
