package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/money"
)

// ClinicProfile is what billing needs of a clinic beyond its store row: the
// billing provider's address and taxonomy (Loop 2010AA N3/N4, PRV), the
// submitter contact (Loop 1000A PER), institutional defaults, the fee schedule
// and each payer's expected allowed amounts.
//
// A profile is read from YAML (ParseClinicProfile):
//
//	billing_provider:
//	  taxonomy: 207Q00000X
//	  address: {line1: 100 MAIN ST, city: SPRINGFIELD, state: PA, postal_code: "190641234"}
//	contact: {name: BILLING OFFICE, phone: "2155550100"}
//	facility_type: "13"            # 837I CLM05-1, when claims are institutional
//	fees:
//	  - {code: "99213", amount: "125.00"}
//	  - {code: "99213", modifiers: ["25"], amount: "135.00"}
//	  - {code: "87880", modifiers: ["QW"], amount: "50.00", revenue_code: "0300"}
//	allowed:
//	  KHP01: {percent: "80"}        # of the fee schedule
//	  MCRJX:
//	    percent: "60"               # fallback for codes not in the table
//	    table:
//	      - {code: "99213", amount: "92.50"}
//
// Amounts are decimal dollars, parsed exactly to cents.
type ClinicProfile struct {
	Taxonomy       string
	BillingAddress claim.Address
	ContactName    string
	ContactPhone   string
	ContactEmail   string
	// FacilityType is CLM05-1 of institutional claims (default "13",
	// hospital outpatient).
	FacilityType string
	Fees         *FeeSchedule
	// Allowed maps a payer ID (Loop 2010BB NM109) to its expected allowed
	// amounts.
	Allowed map[string]*AllowedSchedule
}

// Fee is one fee schedule entry: the charge for a procedure, optionally only
// with some modifiers (a 26 professional component costs less).
type Fee struct {
	Code      string
	Modifiers []string
	// AmountCents is the charge for one unit.
	AmountCents int64
	// RevenueCode is the UB-04 revenue code of the line on institutional
	// claims (SV201).
	RevenueCode string
}

// FeeSchedule is a clinic's charges per procedure code.
type FeeSchedule struct {
	byCode map[string][]Fee
}

// NewFeeSchedule builds a schedule from entries.
func NewFeeSchedule(fees []Fee) *FeeSchedule {
	fs := &FeeSchedule{byCode: make(map[string][]Fee)}
	for _, f := range fees {
		f.Modifiers = slices.Clone(f.Modifiers)
		fs.byCode[f.Code] = append(fs.byCode[f.Code], f)
	}
	return fs
}

// Lookup returns the most specific entry for a code and modifiers: the one
// whose modifiers are all on the line and are the most; an entry without
// modifiers matches any line of its code.
func (fs *FeeSchedule) Lookup(code string, modifiers []string) (Fee, bool) {
	if fs == nil {
		return Fee{}, false
	}
	best, found := Fee{}, false
	for _, f := range fs.byCode[code] {
		ok := true
		for _, m := range f.Modifiers {
			if !slices.Contains(modifiers, m) {
				ok = false
				break
			}
		}
		if ok && (!found || len(f.Modifiers) > len(best.Modifiers)) {
			best, found = f, true
		}
	}
	return best, found
}

// Price is the charge of units of a procedure: the unit fee times the units,
// rounded half up to the cent.
func (fs *FeeSchedule) Price(code string, modifiers []string, units claim.Quantity) (int64, bool) {
	f, ok := fs.Lookup(code, modifiers)
	if !ok {
		return 0, false
	}
	return timesUnits(f.AmountCents, units), true
}

// timesUnits multiplies a unit amount by a quantity in thousandths, rounding
// half up.
func timesUnits(cents int64, units claim.Quantity) int64 {
	if units == 0 {
		units = claim.Units(1)
	}
	return (cents*int64(units) + 500) / 1000
}

// AllowedSchedule is a payer's expected allowed amounts: a table of amounts
// per procedure, and for codes not in it a percentage of the clinic's fee.
type AllowedSchedule struct {
	Table *FeeSchedule
	// PercentBasisPoints is the percentage of the fee schedule in
	// hundredths of a percent (8000 = 80%); zero means none.
	PercentBasisPoints int64
}

// Expected returns the expected allowed amount of a line, and whether the
// schedule knows it.
func (a *AllowedSchedule) Expected(fees *FeeSchedule, code string, modifiers []string, units claim.Quantity) (int64, bool) {
	if a == nil {
		return 0, false
	}
	if v, ok := a.Table.Price(code, modifiers, units); ok {
		return v, true
	}
	if a.PercentBasisPoints == 0 {
		return 0, false
	}
	fee, ok := fees.Price(code, modifiers, units)
	if !ok {
		return 0, false
	}
	return (fee*a.PercentBasisPoints + 5000) / 10000, true
}

// ExpectedAllowed returns the payer's expected allowed amount for a line.
func (p *ClinicProfile) ExpectedAllowed(payerID, code string, modifiers []string, units claim.Quantity) (int64, bool) {
	if p == nil {
		return 0, false
	}
	return p.Allowed[payerID].Expected(p.Fees, code, modifiers, units)
}

// ProfileError is a problem in a profile file, at a line. It wraps ErrInput.
type ProfileError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *ProfileError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

func (e *ProfileError) Unwrap() error { return ErrInput }

type profileFile struct {
	BillingProvider struct {
		Taxonomy string      `yaml:"taxonomy"`
		Address  addressYAML `yaml:"address"`
	} `yaml:"billing_provider"`
	Contact struct {
		Name  string `yaml:"name"`
		Phone string `yaml:"phone"`
		Email string `yaml:"email"`
	} `yaml:"contact"`
	FacilityType string                 `yaml:"facility_type"`
	Fees         []feeYAML              `yaml:"fees"`
	Allowed      map[string]allowedYAML `yaml:"allowed"`
}

type addressYAML struct {
	Line1      string `yaml:"line1"`
	Line2      string `yaml:"line2"`
	City       string `yaml:"city"`
	State      string `yaml:"state"`
	PostalCode string `yaml:"postal_code"`
}

type feeYAML struct {
	Code        string    `yaml:"code"`
	Modifiers   []string  `yaml:"modifiers"`
	Amount      yaml.Node `yaml:"amount"`
	RevenueCode string    `yaml:"revenue_code"`
}

type allowedYAML struct {
	Percent yaml.Node `yaml:"percent"`
	Table   []feeYAML `yaml:"table"`
}

// ParseClinicProfile reads a profile (see ClinicProfile for the format). Every
// problem is returned, each a *ProfileError with its file and line.
func ParseClinicProfile(file string, data []byte) (*ClinicProfile, error) {
	var f profileFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", file, ErrInput, err)
	}
	var errs []error
	bad := func(line int, field, format string, args ...any) {
		errs = append(errs, &ProfileError{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	p := &ClinicProfile{
		Taxonomy: f.BillingProvider.Taxonomy,
		BillingAddress: claim.Address{Line1: f.BillingProvider.Address.Line1, Line2: f.BillingProvider.Address.Line2,
			City: f.BillingProvider.Address.City, State: f.BillingProvider.Address.State, PostalCode: f.BillingProvider.Address.PostalCode},
		ContactName: f.Contact.Name, ContactPhone: f.Contact.Phone, ContactEmail: f.Contact.Email,
		FacilityType: f.FacilityType,
		Allowed:      make(map[string]*AllowedSchedule),
	}
	if p.FacilityType == "" {
		p.FacilityType = "13"
	}
	fees := func(field string, in []feeYAML) []Fee {
		out := make([]Fee, 0, len(in))
		for i, e := range in {
			name := fmt.Sprintf("%s[%d]", field, i)
			if e.Code == "" {
				bad(e.Amount.Line, name+".code", "required")
				continue
			}
			cents, err := parseMoney(e.Amount.Value)
			if err != nil || cents < 0 {
				bad(e.Amount.Line, name+".amount", "%q is not an amount like 125.00", e.Amount.Value)
				continue
			}
			out = append(out, Fee{Code: e.Code, Modifiers: e.Modifiers, AmountCents: cents, RevenueCode: e.RevenueCode})
		}
		return out
	}
	p.Fees = NewFeeSchedule(fees("fees", f.Fees))
	for payer, a := range f.Allowed {
		as := &AllowedSchedule{Table: NewFeeSchedule(fees("allowed."+payer+".table", a.Table))}
		if a.Percent.Value != "" {
			bp, err := parseBasisPoints(a.Percent.Value)
			if err != nil {
				bad(a.Percent.Line, "allowed."+payer+".percent", "%q is not a percentage like 80 or 82.5", a.Percent.Value)
			}
			as.PercentBasisPoints = bp
		}
		p.Allowed[payer] = as
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// LoadProfiles is a ProfileSource that parses one profile for every clinic:
// the simplest setup, one practice per database.
func LoadProfiles(file string, data []byte) (ProfileSource, error) {
	p, err := ParseClinicProfile(file, data)
	if err != nil {
		return nil, err
	}
	return func(context.Context, int64) (*ClinicProfile, error) { return p, nil }, nil
}

// parseMoney parses a decimal dollar amount ("125", "125.5", "125.00",
// "$1,250.00") to cents exactly (money.Parse).
func parseMoney(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: empty amount", ErrInput)
	}
	c, err := money.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return int64(c), nil
}

// parseBasisPoints parses a percentage with up to two decimals to hundredths
// of a percent.
func parseBasisPoints(s string) (int64, error) {
	v, err := parseMoney(s) // same exact two-decimal rule
	if err != nil || v < 0 || v > 100_00 {
		return 0, fmt.Errorf("%w: percentage %q", ErrInput, s)
	}
	return v, nil
}
