package billing

import (
	"context"
	"fmt"
	"strings"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// ProfileOfClinic is the billing profile a clinic keeps in the database: its
// profile YAML (fee schedule, expected allowed amounts, facility type; see
// ClinicProfile), with the billing provider's address, taxonomy and the
// submitter contact taken from the clinic's settings wherever those are set.
func ProfileOfClinic(c store.Clinic) (*ClinicProfile, error) {
	doc := c.Profile
	if strings.TrimSpace(doc) == "" {
		doc = "{}" // an empty document: no fees, no allowed amounts
	}
	p, err := ParseClinicProfile(fmt.Sprintf("clinic %d profile", c.ID), []byte(doc))
	if err != nil {
		return nil, err
	}
	s := c.ClinicSettings
	if s.AddressLine1 != "" {
		p.BillingAddress = claim.Address{Line1: s.AddressLine1, Line2: s.AddressLine2, City: s.City, State: s.State, PostalCode: s.PostalCode}
	}
	if s.TaxonomyCode != "" {
		p.Taxonomy = s.TaxonomyCode
	}
	if s.ContactName != "" || s.ContactPhone != "" || s.ContactEmail != "" {
		p.ContactName, p.ContactPhone, p.ContactEmail = s.ContactName, s.ContactPhone, s.ContactEmail
	}
	return p, nil
}

// StoredProfiles is a ProfileSource that reads each clinic's profile from
// the store (ProfileOfClinic), so serve and the charges commands need no
// profile file. A clinic without a billing address has no usable profile:
// claims could not carry Loop 2010AA N3/N4.
func StoredProfiles(st store.Store) ProfileSource {
	return func(ctx context.Context, clinicID int64) (*ClinicProfile, error) {
		c, err := st.GetClinic(ctx, clinicID)
		if err != nil {
			return nil, err
		}
		if c.AddressLine1 == "" && c.Profile == "" {
			return nil, fmt.Errorf("%w: clinic %d has no billing address or profile (set them with clearhouse clinics update)", ErrConfig, clinicID)
		}
		return ProfileOfClinic(c)
	}
}
