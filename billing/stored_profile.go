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

// StoredProfiles is a ProfileSource over the profiles the clinics keep in
// the store (ProfileOfClinic), read once, now: serve and the charges
// commands then need no profile file. Profiles are asked for inside store
// transactions, and the embedded SQLite store has one connection, so they
// cannot be read lazily; a clinic added or changed later is seen by the
// next process. A clinic without a billing address or profile has none
// (claims could not carry Loop 2010AA N3/N4): asking for it is an ErrConfig
// error, as is a profile that no longer parses.
func StoredProfiles(ctx context.Context, st store.Store) (ProfileSource, error) {
	clinics, err := st.ListClinics(ctx)
	if err != nil {
		return nil, err
	}
	profiles := make(map[int64]*ClinicProfile, len(clinics))
	problems := make(map[int64]error)
	for _, c := range clinics {
		if c.AddressLine1 == "" && strings.TrimSpace(c.Profile) == "" {
			problems[c.ID] = fmt.Errorf("%w: clinic %d keeps no billing address or profile (clearhouse clinics update --profile FILE)", ErrConfig, c.ID)
			continue
		}
		p, err := ProfileOfClinic(c)
		if err != nil {
			problems[c.ID] = fmt.Errorf("%w: clinic %d: %v", ErrConfig, c.ID, err)
			continue
		}
		profiles[c.ID] = p
	}
	return func(_ context.Context, clinicID int64) (*ClinicProfile, error) {
		if p, ok := profiles[clinicID]; ok {
			return p, nil
		}
		if err := problems[clinicID]; err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: no billing profile for clinic %d (added after this process started?)", ErrConfig, clinicID)
	}, nil
}
