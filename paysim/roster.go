package paysim

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
)

// ErrRoster wraps every error reading a member roster.
var ErrRoster = errors.New("paysim: roster")

// Member is a subscriber of a simulated plan, with the dependents covered
// under the subscriber's ID.
type Member struct {
	// Payer limits the member to one payer; empty means every payer.
	Payer     string     `json:"payer,omitempty"`
	MemberID  string     `json:"memberId"`
	LastName  string     `json:"lastName"`
	FirstName string     `json:"firstName"`
	BirthDate claim.Date `json:"birthDate,omitzero"`
	Gender    string     `json:"gender,omitempty"` // F, M or U
	// Active is false for terminated coverage (271 EB*6).
	Active bool `json:"active"`
	// Plan is the plan description (EB05); InsuranceType is EB04 (such as
	// C1 commercial, HM HMO, MB Medicare Part B, MC Medicaid).
	Plan          string `json:"plan,omitempty"`
	InsuranceType string `json:"insuranceType,omitempty"`
	GroupNumber   string `json:"groupNumber,omitempty"`
	GroupName     string `json:"groupName,omitempty"`
	// CoverageBegin and CoverageEnd bound the coverage (DTP*346/347); a
	// date of service outside them is inactive.
	CoverageBegin claim.Date `json:"coverageBegin,omitzero"`
	CoverageEnd   claim.Date `json:"coverageEnd,omitzero"`

	CostSharing
	DeductibleCents           int64 `json:"deductibleCents,omitempty"`
	OutOfPocketCents          int64 `json:"outOfPocketCents,omitempty"`
	OutOfPocketRemainingCents int64 `json:"outOfPocketRemainingCents,omitempty"`

	Dependents []Dependent `json:"dependents,omitempty"`
}

// Dependent is a person covered under a subscriber.
type Dependent struct {
	// Relationship is INS02: 01 spouse, 19 child, 34 other adult, ...
	Relationship string     `json:"relationship"`
	LastName     string     `json:"lastName"`
	FirstName    string     `json:"firstName"`
	BirthDate    claim.Date `json:"birthDate,omitzero"`
	Gender       string     `json:"gender,omitempty"`
}

// covered reports whether the member is covered on day d.
func (m *Member) covered(d claim.Date) bool {
	if !m.Active {
		return false
	}
	if !m.CoverageBegin.IsZero() && d.Before(m.CoverageBegin) {
		return false
	}
	if !m.CoverageEnd.IsZero() && d.After(m.CoverageEnd) {
		return false
	}
	return true
}

// LoadRoster reads a member roster from a .json file (an array of Member)
// or a .csv file (see ParseRosterCSV).
func LoadRoster(path string) ([]Member, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRoster, err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return ParseRosterJSON(b)
	case ".csv":
		return ParseRosterCSV(bytes.NewReader(b))
	}
	return nil, fmt.Errorf("%w: %s: the file name must end in .json or .csv", ErrRoster, path)
}

// ParseRosterJSON reads a JSON array of members and checks them.
func ParseRosterJSON(b []byte) ([]Member, error) {
	var ms []Member
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ms); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRoster, err)
	}
	if err := checkMembers(ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// rosterColumns are the columns of a CSV roster, in any order; the header
// row names them. Amounts are dollars and cents ("25.00"), dates
// YYYY-MM-DD, status "active" or "inactive". A dependent's row has the
// subscriber's member ID in subscriber_id and a relationship other than 18
// (self); the subscriber's row comes first.
var rosterColumns = []string{
	"payer", "member_id", "subscriber_id", "relationship", "last_name", "first_name", "birth_date", "gender",
	"status", "plan", "insurance_type", "group_number", "group_name", "coverage_begin", "coverage_end",
	"copay", "coinsurance_percent", "deductible", "deductible_remaining", "out_of_pocket", "out_of_pocket_remaining",
}

// ParseRosterCSV reads a CSV roster: a header row naming columns among
// payer, member_id, subscriber_id, relationship, last_name, first_name,
// birth_date, gender, status, plan, insurance_type, group_number,
// group_name, coverage_begin, coverage_end, copay, coinsurance_percent,
// deductible, deductible_remaining, out_of_pocket and
// out_of_pocket_remaining, then one person per row. Errors name the line.
func ParseRosterCSV(r io.Reader) ([]Member, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrRoster, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range rosterColumns {
			known = known || c == h
		}
		if !known {
			return nil, fmt.Errorf("%w: header: unknown column %q", ErrRoster, h)
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("%w: header: column %q twice", ErrRoster, h)
		}
		col[h] = i
	}
	for _, req := range []string{"member_id", "last_name"} {
		if _, ok := col[req]; !ok {
			return nil, fmt.Errorf("%w: header: column %s is required", ErrRoster, req)
		}
	}
	var ms []Member
	index := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRoster, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		var perr error
		date := func(name string) claim.Date {
			v := get(name)
			if v == "" {
				return claim.Date{}
			}
			d, err := claim.ParseDate(v)
			if err != nil && perr == nil {
				perr = fmt.Errorf("%w: line %d: %s %q: %w", ErrRoster, line, name, v, err)
			}
			return d
		}
		money := func(name string) int64 {
			v := get(name)
			if v == "" {
				return 0
			}
			c, err := edi.ParseAmount([]byte(v))
			if err != nil && perr == nil {
				perr = fmt.Errorf("%w: line %d: %s %q: %w", ErrRoster, line, name, v, err)
			}
			return c
		}
		if sub, rel := get("subscriber_id"), get("relationship"); sub != "" && rel != "" && rel != "18" {
			i, ok := index[get("payer")+"\x00"+sub]
			if !ok {
				return nil, fmt.Errorf("%w: line %d: dependent of %s before its subscriber", ErrRoster, line, sub)
			}
			ms[i].Dependents = append(ms[i].Dependents, Dependent{
				Relationship: get("relationship"), LastName: get("last_name"), FirstName: get("first_name"),
				BirthDate: date("birth_date"), Gender: get("gender"),
			})
			if perr != nil {
				return nil, perr
			}
			continue
		}
		m := Member{
			Payer: get("payer"), MemberID: get("member_id"), LastName: get("last_name"), FirstName: get("first_name"),
			BirthDate: date("birth_date"), Gender: get("gender"),
			Plan: get("plan"), InsuranceType: get("insurance_type"), GroupNumber: get("group_number"), GroupName: get("group_name"),
			CoverageBegin: date("coverage_begin"), CoverageEnd: date("coverage_end"),
			DeductibleCents: money("deductible"), OutOfPocketCents: money("out_of_pocket"),
			OutOfPocketRemainingCents: money("out_of_pocket_remaining"),
		}
		m.CopayCents = money("copay")
		m.DeductibleRemainingCents = money("deductible_remaining")
		if v := get("coinsurance_percent"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("%w: line %d: coinsurance_percent %q is not a whole number", ErrRoster, line, v)
			}
			m.CoinsurancePercent = n
		}
		switch strings.ToLower(get("status")) {
		case "", "active":
			m.Active = true
		case "inactive":
		default:
			if perr == nil {
				perr = fmt.Errorf("%w: line %d: status %q must be active or inactive", ErrRoster, line, get("status"))
			}
		}
		if perr != nil {
			return nil, perr
		}
		index[m.Payer+"\x00"+m.MemberID] = len(ms)
		ms = append(ms, m)
	}
	if err := checkMembers(ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// checkMembers checks a roster: IDs and names present and unique, amounts
// not negative, codes free of X12 delimiters.
func checkMembers(ms []Member) error {
	var errs []error
	bad := func(i int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: member %d: %s", ErrRoster, i+1, fmt.Sprintf(format, args...)))
	}
	seen := map[string]bool{}
	for i := range ms {
		m := &ms[i]
		if m.MemberID == "" || m.LastName == "" {
			bad(i, "member ID and last name are required")
		}
		key := m.Payer + "\x00" + m.MemberID
		if seen[key] {
			bad(i, "member ID %s is listed twice", m.MemberID)
		}
		seen[key] = true
		for _, v := range []int64{m.CopayCents, m.DeductibleCents, m.DeductibleRemainingCents, m.OutOfPocketCents, m.OutOfPocketRemainingCents} {
			if v < 0 {
				bad(i, "amounts must not be negative")
				break
			}
		}
		if m.CoinsurancePercent < 0 || m.CoinsurancePercent > 100 {
			bad(i, "coinsurance must be 0-100%%")
		}
		texts := []string{m.Payer, m.MemberID, m.LastName, m.FirstName, m.Gender, m.Plan, m.InsuranceType, m.GroupNumber, m.GroupName}
		for _, d := range m.Dependents {
			if d.LastName == "" || d.FirstName == "" || d.Relationship == "" {
				bad(i, "dependent needs a relationship, last and first name")
			}
			texts = append(texts, d.Relationship, d.LastName, d.FirstName, d.Gender)
		}
		for _, v := range texts {
			if strings.ContainsAny(v, "*~^:|\n\r") {
				bad(i, "%q holds an X12 delimiter", v)
				break
			}
		}
	}
	return errors.Join(errs...)
}

// roster indexes members by payer and member ID.
type roster struct {
	byID map[string]*Member
}

func newRoster(ms []Member) *roster {
	r := &roster{byID: make(map[string]*Member, len(ms))}
	for i := range ms {
		r.byID[ms[i].Payer+"\x00"+strings.ToUpper(ms[i].MemberID)] = &ms[i]
	}
	return r
}

// find returns the member with the ID for the payer: one limited to the
// payer first, else one of every payer.
func (r *roster) find(payer, memberID string) *Member {
	id := strings.ToUpper(memberID)
	if m := r.byID[payer+"\x00"+id]; m != nil {
		return m
	}
	return r.byID["\x00"+id]
}

// dependent returns the member's dependent with the name (and birth date
// when both are known), or nil.
func (m *Member) dependent(last, first string, birth claim.Date) *Dependent {
	for i := range m.Dependents {
		d := &m.Dependents[i]
		if !strings.EqualFold(d.LastName, last) || !strings.EqualFold(d.FirstName, first) {
			continue
		}
		if !birth.IsZero() && !d.BirthDate.IsZero() && birth != d.BirthDate {
			continue
		}
		return d
	}
	return nil
}
