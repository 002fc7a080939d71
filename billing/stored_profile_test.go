package billing_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

func TestStoredProfiles(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t)
	full, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "A", NPI: "1234567893", ClinicSettings: store.ClinicSettings{
		AddressLine1: "100 MAIN ST", City: "SPRINGFIELD", State: "PA", PostalCode: "190641234", TaxonomyCode: "207Q00000X",
		ContactName: "BILLING", ContactPhone: "2155550100",
		// The profile's own address and taxonomy give way to the clinic's.
		Profile: "billing_provider:\n  taxonomy: 208000000X\n  address: {line1: OLD ST, city: X, state: NJ, postal_code: \"080001234\"}\n" +
			"fees:\n  - {code: \"99213\", amount: \"125.00\"}\nallowed:\n  KHP01: {percent: \"80\"}\n"}})
	if err != nil {
		t.Fatal(err)
	}
	addressOnly, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "B", ClinicSettings: store.ClinicSettings{
		AddressLine1: "1 A ST", City: "B", State: "PA", PostalCode: "190641234"}})
	if err != nil {
		t.Fatal(err)
	}
	bare, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "C"})
	if err != nil {
		t.Fatal(err)
	}
	broken, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "D", ClinicSettings: store.ClinicSettings{Profile: "fees: [{code: \"99213\", amount: lots}]\n"}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := billing.StoredProfiles(ctx, st)
	if err != nil {
		t.Fatal(err)
	}

	p, err := src(ctx, full.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := claim.Address{Line1: "100 MAIN ST", City: "SPRINGFIELD", State: "PA", PostalCode: "190641234"}
	if p.BillingAddress != want || p.Taxonomy != "207Q00000X" || p.ContactName != "BILLING" || p.FacilityType != "13" {
		t.Errorf("profile %+v", p)
	}
	if v, ok := p.Fees.Price("99213", nil, claim.Units(2)); !ok || v != 25000 {
		t.Errorf("99213 x2 priced %d %v", v, ok)
	}
	if v, ok := p.ExpectedAllowed("KHP01", "99213", nil, claim.Units(1)); !ok || v != 10000 {
		t.Errorf("KHP01 allowed %d %v", v, ok)
	}
	if p, err := src(ctx, addressOnly.ID); err != nil || p.BillingAddress.Line1 != "1 A ST" {
		t.Errorf("address only: %+v %v", p, err)
	}
	for _, id := range []int64{bare.ID, broken.ID, 999} {
		if _, err := src(ctx, id); !errors.Is(err, billing.ErrConfig) {
			t.Errorf("clinic %d: error %v, want ErrConfig", id, err)
		}
	}
}
