package registration

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
)

// ClinicInput is a clinic as registered: its identifiers and settings.
type ClinicInput struct {
	Name string
	// NPI is the billing provider's NPI (Loop 2010AA NM109); required.
	NPI string
	// TaxID is the EIN (Loop 2010AA REF*EI), nine digits; a hyphen is
	// dropped.
	TaxID       string
	SubmitterID string
	store.ClinicSettings
}

func (s *Service) checkClinic(in *ClinicInput) error {
	var e errs
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		e.add("name", "", "required")
	}
	s.checkNPI(&e, "npi", in.NPI, true)
	in.TaxID = strings.ReplaceAll(strings.TrimSpace(in.TaxID), "-", "")
	if in.TaxID != "" && !digits(in.TaxID, 9, 9) {
		e.add("tax-id", in.TaxID, "want the nine digits of an EIN")
	}
	if in.TaxonomyCode != "" {
		s.checkTaxonomy(&e, "taxonomy", in.TaxonomyCode)
	}
	if in.State != "" && !(len(in.State) == 2 && letters(in.State)) {
		e.add("state", in.State, "want a two-letter state code")
	}
	if in.PostalCode != "" && !digits(in.PostalCode, 5, 5) && !digits(in.PostalCode, 9, 9) {
		e.add("postal-code", in.PostalCode, "want 5 or 9 digits (claims need all 9 for the billing provider, Loop 2010AA N403)")
	}
	if in.TimeZone != "" {
		if _, err := time.LoadLocation(in.TimeZone); err != nil {
			e.add("time-zone", in.TimeZone, "not an IANA time zone (e.g. America/New_York)")
		}
	}
	if in.AddressLine1 != "" && (in.City == "" || in.State == "" || in.PostalCode == "") {
		e.add("address", in.AddressLine1, "an address needs its city, state and postal code")
	}
	if in.Profile != "" {
		c := store.Clinic{ClinicSettings: in.ClinicSettings}
		if _, err := billing.ProfileOfClinic(c); err != nil {
			e.add("profile", "", "%v", err)
		}
	}
	return e.err()
}

// AddClinic registers a clinic.
func (s *Service) AddClinic(ctx context.Context, in ClinicInput) (store.Clinic, error) {
	if err := s.checkClinic(&in); err != nil {
		return store.Clinic{}, err
	}
	c, err := s.cfg.Store.CreateClinic(ctx, store.CreateClinicParams{Name: in.Name, NPI: in.NPI, TaxID: in.TaxID,
		SubmitterID: in.SubmitterID, ClinicSettings: in.ClinicSettings})
	if err != nil {
		return store.Clinic{}, err
	}
	err = s.cfg.Store.InTx(ctx, c.ID, func(tx store.Tx) error {
		return s.audit(ctx, tx, "clinic.add", "clinic", c.ID, map[string]any{"name": c.Name, "npi": c.NPI})
	})
	return c, err
}

// UpdateClinic replaces a clinic's identifiers and settings.
func (s *Service) UpdateClinic(ctx context.Context, clinicID int64, in ClinicInput) (store.Clinic, error) {
	if err := s.checkClinic(&in); err != nil {
		return store.Clinic{}, err
	}
	var c store.Clinic
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		c, err = tx.UpdateClinic(ctx, store.UpdateClinicParams{ClinicID: clinicID, Name: in.Name, NPI: in.NPI, TaxID: in.TaxID,
			SubmitterID: in.SubmitterID, ClinicSettings: in.ClinicSettings})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, "clinic.update", "clinic", c.ID, map[string]any{"name": c.Name, "npi": c.NPI})
	})
	return c, err
}

// ProviderInput is a provider as registered.
type ProviderInput struct {
	NPI              string
	FirstName        string
	LastName         string
	OrganizationName string
	// TaxonomyCode is the NUCC taxonomy (PRV03); checked against the code
	// set when given.
	TaxonomyCode string
	// Role is store.ProviderRendering (default), ProviderBilling or
	// ProviderBoth.
	Role   string
	Active bool
}

func (s *Service) checkProvider(in *ProviderInput) error {
	var e errs
	s.checkNPI(&e, "npi", in.NPI, true)
	if strings.TrimSpace(in.LastName) == "" && strings.TrimSpace(in.OrganizationName) == "" {
		e.add("last-name", "", "a person's last name or an organization name is required")
	}
	if in.TaxonomyCode != "" {
		s.checkTaxonomy(&e, "taxonomy", in.TaxonomyCode)
	}
	switch in.Role {
	case "", store.ProviderRendering, store.ProviderBilling, store.ProviderBoth:
	default:
		e.add("role", in.Role, "want rendering, billing or both")
	}
	return e.err()
}

// AddProvider registers a provider of a clinic.
func (s *Service) AddProvider(ctx context.Context, clinicID int64, in ProviderInput) (store.Provider, error) {
	if err := s.checkProvider(&in); err != nil {
		return store.Provider{}, err
	}
	var p store.Provider
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		p, err = s.addProvider(ctx, tx, in)
		return err
	})
	return p, err
}

// AddProviderTx is AddProvider inside tx.
func (s *Service) AddProviderTx(ctx context.Context, tx store.Tx, in ProviderInput) (store.Provider, error) {
	if err := s.checkProvider(&in); err != nil {
		return store.Provider{}, err
	}
	return s.addProvider(ctx, tx, in)
}

func (s *Service) addProvider(ctx context.Context, tx store.Tx, in ProviderInput) (store.Provider, error) {
	existing, err := tx.ListProviders(ctx, store.ListProvidersParams{})
	if err != nil {
		return store.Provider{}, err
	}
	for _, x := range existing {
		if x.NPI == in.NPI {
			return store.Provider{}, &FieldError{Field: "npi", Value: in.NPI, Msg: "already registered as provider " + itoa(x.ID) + " (" + providerName(x) + ")"}
		}
	}
	p, err := tx.CreateProvider(ctx, store.CreateProviderParams{NPI: in.NPI, FirstName: in.FirstName, LastName: in.LastName,
		OrganizationName: in.OrganizationName, TaxonomyCode: in.TaxonomyCode, Role: in.Role})
	if err != nil {
		return store.Provider{}, err
	}
	return p, s.audit(ctx, tx, "provider.add", "provider", p.ID, map[string]any{"npi": p.NPI, "role": p.Role})
}

// UpdateProvider replaces a provider's fields.
func (s *Service) UpdateProvider(ctx context.Context, clinicID, id int64, in ProviderInput) (store.Provider, error) {
	if err := s.checkProvider(&in); err != nil {
		return store.Provider{}, err
	}
	var p store.Provider
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		others, err := tx.ListProviders(ctx, store.ListProvidersParams{})
		if err != nil {
			return err
		}
		for _, x := range others {
			if x.ID != id && x.NPI == in.NPI {
				return &FieldError{Field: "npi", Value: in.NPI, Msg: "already registered as provider " + itoa(x.ID) + " (" + providerName(x) + ")"}
			}
		}
		p, err = tx.UpdateProvider(ctx, store.UpdateProviderParams{ID: id, NPI: in.NPI, FirstName: in.FirstName, LastName: in.LastName,
			OrganizationName: in.OrganizationName, TaxonomyCode: in.TaxonomyCode, Role: in.Role, Active: in.Active})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, "provider.update", "provider", p.ID, map[string]any{"npi": p.NPI, "role": p.Role, "active": p.Active})
	})
	return p, err
}

// PayerInput is a payer a clinic bills, taken from the payer registry by
// its payer ID; empty fields default to the registry's.
type PayerInput struct {
	PayerID         string
	Name            string
	ReceiverID      string
	ClaimFilingCode string
	// Enrollment is the clinic's enrollment for 837, 835 and 270; a
	// transaction the payer does not exchange cannot be enrolled.
	Enrollment store.Enrollment
	Active     bool
}

func (s *Service) checkPayer(in *PayerInput) (*payers.Payer, error) {
	var e errs
	in.PayerID = strings.TrimSpace(in.PayerID)
	rp, ok := s.cfg.Payers.Get(in.PayerID)
	if !ok {
		known := make([]string, 0, s.cfg.Payers.Len())
		for _, p := range s.cfg.Payers.All() {
			known = append(known, p.ID)
		}
		return nil, &FieldError{Field: "payer-id", Value: in.PayerID, Msg: "not in the payer registry (known: " + strings.Join(known, ", ") + ")"}
	}
	if in.Name == "" {
		in.Name = rp.Name
	}
	if in.ReceiverID == "" {
		in.ReceiverID = rp.Envelope.ReceiverID
	}
	if in.ClaimFilingCode == "" {
		in.ClaimFilingCode = rp.ClaimFilingIndicator
	}
	check := func(field, v string, txs ...payers.Transaction) {
		switch v {
		case "", store.EnrollmentNone, store.EnrollmentPending, store.EnrollmentEnrolled, store.EnrollmentRejected:
		default:
			e.add(field, v, "want none, pending, enrolled or rejected")
			return
		}
		if v == "" || v == store.EnrollmentNone {
			return
		}
		for _, t := range txs {
			if rp.Accepts(t) {
				return
			}
		}
		e.add(field, v, "payer %s does not exchange %s (registry file %s)", rp.ID, txs[0], rp.File)
	}
	check("enroll-837", in.Enrollment.Claims, payers.Tx837P, payers.Tx837I)
	check("enroll-835", in.Enrollment.Remittance, payers.Tx835)
	check("enroll-270", in.Enrollment.Eligibility, payers.Tx270)
	return rp, e.err()
}

// AddPayer registers a payer of the registry for a clinic.
func (s *Service) AddPayer(ctx context.Context, clinicID int64, in PayerInput) (store.Payer, error) {
	if _, err := s.checkPayer(&in); err != nil {
		return store.Payer{}, err
	}
	var p store.Payer
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		p, err = s.addPayer(ctx, tx, in)
		return err
	})
	return p, err
}

func (s *Service) addPayer(ctx context.Context, tx store.Tx, in PayerInput) (store.Payer, error) {
	if x, err := tx.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{PayerID: in.PayerID}); err == nil {
		return store.Payer{}, &FieldError{Field: "payer-id", Value: in.PayerID, Msg: "already registered as payer " + itoa(x.ID)}
	}
	p, err := tx.CreatePayer(ctx, store.CreatePayerParams{PayerID: in.PayerID, Name: in.Name, ReceiverID: in.ReceiverID,
		ClaimFilingCode: in.ClaimFilingCode, Enrollment: in.Enrollment})
	if err != nil {
		return store.Payer{}, err
	}
	return p, s.audit(ctx, tx, "payer.add", "payer", p.ID, map[string]any{"payer_id": p.PayerID, "enrollment": p.Enrollment})
}

// UpdatePayer replaces a payer's fields; empty enrollment states keep the
// stored ones.
func (s *Service) UpdatePayer(ctx context.Context, clinicID, id int64, in PayerInput) (store.Payer, error) {
	if _, err := s.checkPayer(&in); err != nil {
		return store.Payer{}, err
	}
	var p store.Payer
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		p, err = tx.UpdatePayer(ctx, store.UpdatePayerParams{ID: id, PayerID: in.PayerID, Name: in.Name, ReceiverID: in.ReceiverID,
			ClaimFilingCode: in.ClaimFilingCode, Enrollment: in.Enrollment, Active: in.Active})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, "payer.update", "payer", p.ID, map[string]any{"payer_id": p.PayerID, "enrollment": p.Enrollment, "active": p.Active})
	})
	return p, err
}

func (s *Service) checkNPI(e *errs, field, npi string, required bool) {
	switch {
	case npi == "" && required:
		e.add(field, "", "required")
	case npi != "" && !claim.ValidNPI(npi):
		e.add(field, npi, "not a valid NPI (ten digits with a Luhn check digit over the 80840 prefix)")
	}
}

func (s *Service) checkTaxonomy(e *errs, field, code string) {
	if _, ok := s.cfg.Codes.Set(codes.Taxonomy).Lookup(code, codes.DayOf(s.cfg.Now())); !ok {
		e.add(field, code, "not a NUCC provider taxonomy code")
	}
}

func providerName(p store.Provider) string {
	if p.OrganizationName != "" {
		return p.OrganizationName
	}
	return strings.TrimSpace(p.LastName + ", " + p.FirstName)
}

func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func letters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// Practice is the minimum a new practice registers: its clinic, a provider
// and a payer (init asks for one of each; more are allowed).
type Practice struct {
	Clinic    ClinicInput
	Providers []ProviderInput
	Payers    []PayerInput
}

// SetupResult is what Setup registered.
type SetupResult struct {
	Clinic    store.Clinic
	Providers []store.Provider
	Payers    []store.Payer
}

// Setup registers a practice: everything is checked first, then the clinic
// is created and its providers and payers are added in one transaction.
func (s *Service) Setup(ctx context.Context, p Practice) (SetupResult, error) {
	var e errs
	if err := s.checkClinic(&p.Clinic); err != nil {
		e = append(e, err)
	}
	if len(p.Providers) == 0 {
		e.add("provider", "", "at least one provider is required")
	}
	for i := range p.Providers {
		if err := s.checkProvider(&p.Providers[i]); err != nil {
			e = append(e, fmt.Errorf("provider %d: %w", i+1, err))
		}
	}
	if len(p.Payers) == 0 {
		e.add("payer", "", "at least one payer is required")
	}
	for i := range p.Payers {
		if _, err := s.checkPayer(&p.Payers[i]); err != nil {
			e = append(e, fmt.Errorf("payer %d: %w", i+1, err))
		}
	}
	if err := e.err(); err != nil {
		return SetupResult{}, err
	}
	var res SetupResult
	var err error
	if res.Clinic, err = s.AddClinic(ctx, p.Clinic); err != nil {
		return SetupResult{}, err
	}
	err = s.cfg.Store.InTx(ctx, res.Clinic.ID, func(tx store.Tx) error {
		res.Providers, res.Payers = nil, nil
		for _, in := range p.Providers {
			pr, err := s.addProvider(ctx, tx, in)
			if err != nil {
				return err
			}
			res.Providers = append(res.Providers, pr)
		}
		for _, in := range p.Payers {
			py, err := s.addPayer(ctx, tx, in)
			if err != nil {
				return err
			}
			res.Payers = append(res.Payers, py)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("clinic %d was created, its providers and payers were not: %w", res.Clinic.ID, err)
	}
	return res, nil
}
