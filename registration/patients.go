package registration

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// PatientInput is a patient as registered at the front desk.
type PatientInput struct {
	MRN       string
	FirstName string
	LastName  string
	// BirthDate is required: claims carry it (Loop 2010BA/2010CA DMG02).
	BirthDate    time.Time
	Sex          string
	AddressLine1 string
	AddressLine2 string
	City         string
	State        string
	PostalCode   string
	Phone        string
	Email        string

	GuarantorName         string
	GuarantorRelationship string

	// MemberID is checked for duplicates with the name and birth date.
	MemberID string
	// AllowDuplicate registers the patient even when it looks like one
	// already registered.
	AllowDuplicate bool
}

// DuplicateError says which registered patient a new one looks like. It
// wraps ErrDuplicate.
type DuplicateError struct {
	Existing store.Patient
	// Reason is what matched: "name and birth date" or "member ID and
	// birth date".
	Reason string
}

func (e *DuplicateError) Error() string {
	p := e.Existing
	return fmt.Sprintf("possible duplicate of patient %d (MRN %s, %s %s, born %s): same %s",
		p.ID, p.MRN, p.FirstName, p.LastName, p.BirthDate.Format(time.DateOnly), e.Reason)
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

func (s *Service) checkPatient(in *PatientInput) error {
	var e errs
	in.MRN = strings.TrimSpace(in.MRN)
	in.FirstName, in.LastName = strings.TrimSpace(in.FirstName), strings.TrimSpace(in.LastName)
	for _, f := range [][2]string{{"mrn", in.MRN}, {"first-name", in.FirstName}, {"last-name", in.LastName}} {
		if f[1] == "" {
			e.add(f[0], "", "required")
		}
	}
	switch {
	case in.BirthDate.IsZero():
		e.add("birth-date", "", "required (claims carry it in DMG02)")
	case in.BirthDate.After(s.cfg.Now()):
		e.add("birth-date", in.BirthDate.Format(time.DateOnly), "in the future")
	}
	in.Sex = strings.ToUpper(strings.TrimSpace(in.Sex))
	switch in.Sex {
	case "", "F", "M", "U":
	default:
		e.add("sex", in.Sex, "want F, M or U (DMG03)")
	}
	if in.State != "" && !(len(in.State) == 2 && letters(in.State)) {
		e.add("state", in.State, "want a two-letter state code")
	}
	if in.PostalCode != "" && !digits(in.PostalCode, 5, 5) && !digits(in.PostalCode, 9, 9) {
		e.add("postal-code", in.PostalCode, "want 5 or 9 digits")
	}
	if in.GuarantorName != "" && in.GuarantorRelationship == "" {
		e.add("guarantor-relationship", "", "required with a guarantor name")
	}
	if in.GuarantorRelationship != "" && !relationshipCodes[in.GuarantorRelationship] {
		e.add("guarantor-relationship", in.GuarantorRelationship, "want one of %s", relationshipList)
	}
	return e.err()
}

// FindDuplicate returns the registered patient (not merged away) that in
// looks like: the same first and last name (ignoring case) and birth date,
// or the same member ID on a coverage and the same birth date.
func (s *Service) FindDuplicate(ctx context.Context, q store.Queries, in PatientInput) (*DuplicateError, error) {
	same, err := q.ListPatients(ctx, store.ListPatientsParams{Name: in.LastName, BirthDate: in.BirthDate})
	if err != nil {
		return nil, err
	}
	for _, p := range same {
		if p.MergedInto == nil && strings.EqualFold(p.LastName, in.LastName) && strings.EqualFold(p.FirstName, in.FirstName) {
			return &DuplicateError{Existing: p, Reason: "name and birth date"}, nil
		}
	}
	if in.MemberID == "" {
		return nil, nil
	}
	covs, err := q.ListCoverages(ctx, store.ListCoveragesParams{MemberID: in.MemberID})
	if err != nil {
		return nil, err
	}
	for _, c := range covs {
		p, err := q.GetPatient(ctx, store.Ref{ID: c.PatientID})
		if err != nil {
			return nil, err
		}
		if p.MergedInto == nil && p.BirthDate.Equal(in.BirthDate) {
			return &DuplicateError{Existing: p, Reason: "member ID and birth date"}, nil
		}
	}
	return nil, nil
}

// AddPatient registers a patient, refusing one that looks like a patient
// already registered (a *DuplicateError) unless in.AllowDuplicate.
func (s *Service) AddPatient(ctx context.Context, clinicID int64, in PatientInput) (store.Patient, error) {
	if err := s.checkPatient(&in); err != nil {
		return store.Patient{}, err
	}
	var p store.Patient
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		p, err = s.addPatient(ctx, tx, in)
		return err
	})
	return p, err
}

// AddPatientTx is AddPatient inside tx, for callers that register patients
// with other rows in one transaction (the FHIR import of a bundle).
func (s *Service) AddPatientTx(ctx context.Context, tx store.Tx, in PatientInput) (store.Patient, error) {
	if err := s.checkPatient(&in); err != nil {
		return store.Patient{}, err
	}
	return s.addPatient(ctx, tx, in)
}

func (s *Service) addPatient(ctx context.Context, tx store.Tx, in PatientInput) (store.Patient, error) {
	dup, err := s.FindDuplicate(ctx, tx, in)
	if err != nil {
		return store.Patient{}, err
	}
	if dup != nil && !in.AllowDuplicate {
		return store.Patient{}, dup
	}
	p, err := tx.CreatePatient(ctx, store.CreatePatientParams{MRN: in.MRN, FirstName: in.FirstName, LastName: in.LastName,
		BirthDate: in.BirthDate, Sex: in.Sex, AddressLine1: in.AddressLine1, AddressLine2: in.AddressLine2, City: in.City,
		State: in.State, PostalCode: in.PostalCode, Phone: in.Phone, Email: in.Email, GuarantorName: in.GuarantorName,
		GuarantorRelationship: in.GuarantorRelationship})
	if err != nil {
		return store.Patient{}, err
	}
	details := map[string]any{"mrn": p.MRN}
	if dup != nil {
		details["duplicate_of"] = dup.Existing.ID
	}
	return p, s.audit(ctx, tx, "patient.add", "patient", p.ID, details)
}

// UpdatePatient replaces a patient's demographics, contact and guarantor.
func (s *Service) UpdatePatient(ctx context.Context, clinicID, id int64, in PatientInput) (store.Patient, error) {
	if err := s.checkPatient(&in); err != nil {
		return store.Patient{}, err
	}
	var p store.Patient
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		p, err = s.updatePatient(ctx, tx, id, in)
		return err
	})
	return p, err
}

// UpdatePatientTx is UpdatePatient inside tx.
func (s *Service) UpdatePatientTx(ctx context.Context, tx store.Tx, id int64, in PatientInput) (store.Patient, error) {
	if err := s.checkPatient(&in); err != nil {
		return store.Patient{}, err
	}
	return s.updatePatient(ctx, tx, id, in)
}

func (s *Service) updatePatient(ctx context.Context, tx store.Tx, id int64, in PatientInput) (store.Patient, error) {
	p, err := tx.UpdatePatient(ctx, store.UpdatePatientParams{ID: id, MRN: in.MRN, FirstName: in.FirstName, LastName: in.LastName,
		BirthDate: in.BirthDate, Sex: in.Sex, AddressLine1: in.AddressLine1, AddressLine2: in.AddressLine2, City: in.City,
		State: in.State, PostalCode: in.PostalCode, Phone: in.Phone, Email: in.Email, GuarantorName: in.GuarantorName,
		GuarantorRelationship: in.GuarantorRelationship})
	if err != nil {
		return store.Patient{}, err
	}
	return p, s.audit(ctx, tx, "patient.update", "patient", p.ID, map[string]any{"mrn": p.MRN})
}

// MergePatients merges the duplicate from into the patient of record into:
// coverages, visits, claims, ledger entries and work items move, and from
// is kept, marked merged.
func (s *Service) MergePatients(ctx context.Context, clinicID, from, into int64) (store.PatientMerge, error) {
	var m store.PatientMerge
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		if m, err = tx.MergePatients(ctx, store.MergePatientsParams{From: from, Into: into}); err != nil {
			return err
		}
		return s.audit(ctx, tx, "patient.merge", "patient", from, map[string]any{"into": into, "moved": m.Moved})
	})
	return m, err
}

// Individual relationship codes of the patient to the subscriber (837P
// SBR02 and PAT01, 005010X222A1; the list read from pyx12's map of the
// guide): 18 self, 01 spouse, 19 child, 20 employee, 21 unknown, 39 organ
// donor, 40 cadaver donor, 53 life partner, G8 other relationship.
var relationshipCodes = map[string]bool{"18": true, "01": true, "19": true, "20": true, "21": true, "39": true, "40": true, "53": true, "G8": true}

const relationshipList = "18 (self), 01 (spouse), 19 (child), 20 (employee), 21 (unknown), 39 (organ donor), 40 (cadaver donor), 53 (life partner), G8 (other)"

// CoverageInput is a patient's insurance with a registered payer.
type CoverageInput struct {
	PatientID int64
	// Payer is the payer's row ID; PayerCode (its payer ID, e.g. "KHP01")
	// names it instead when Payer is zero.
	Payer       int64
	PayerCode   string
	MemberID    string
	GroupNumber string
	// Priority is 1 primary (default), 2 secondary, 3 tertiary.
	Priority int
	// Relationship is the patient's relationship to the subscriber
	// (default "18", self); any other needs the subscriber's name.
	Relationship    string
	SubscriberFirst string
	SubscriberLast  string
	SubscriberBirth time.Time
	EffectiveFrom   time.Time
	EffectiveTo     time.Time
}

func (s *Service) checkCoverage(in *CoverageInput) error {
	var e errs
	in.MemberID = strings.TrimSpace(in.MemberID)
	if in.PatientID <= 0 {
		e.add("patient", "", "required")
	}
	if in.Payer <= 0 && in.PayerCode == "" {
		e.add("payer", "", "required")
	}
	if in.MemberID == "" {
		e.add("member-id", "", "required")
	}
	if in.Priority == 0 {
		in.Priority = 1
	}
	if in.Priority < 1 || in.Priority > 3 {
		e.add("priority", strconv.Itoa(in.Priority), "want 1 (primary), 2 (secondary) or 3 (tertiary)")
	}
	if in.Relationship == "" {
		in.Relationship = "18"
	}
	in.Relationship = strings.ToUpper(in.Relationship)
	if !relationshipCodes[in.Relationship] {
		e.add("relationship", in.Relationship, "want one of %s", relationshipList)
	}
	if in.Relationship != "18" && (in.SubscriberFirst == "" || in.SubscriberLast == "") {
		e.add("subscriber", "", "the subscriber's first and last name are required when the patient is not the subscriber (Loop 2010BA NM1)")
	}
	if !in.EffectiveTo.IsZero() && in.EffectiveTo.Before(in.EffectiveFrom) {
		e.add("effective-to", in.EffectiveTo.Format(time.DateOnly), "before effective-from %s", in.EffectiveFrom.Format(time.DateOnly))
	}
	return e.err()
}

// resolve settles the payer row and checks the patient and overlaps.
func (s *Service) resolveCoverage(ctx context.Context, q store.Queries, in *CoverageInput, self int64) error {
	if in.Payer == 0 {
		p, err := q.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{PayerID: in.PayerCode})
		if err != nil {
			return &FieldError{Field: "payer", Value: in.PayerCode, Msg: "not registered for this clinic (clearhouse payers add " + in.PayerCode + ")"}
		}
		in.Payer = p.ID
	} else if _, err := q.GetPayer(ctx, store.Ref{ID: in.Payer}); err != nil {
		return err
	}
	pt, err := q.GetPatient(ctx, store.Ref{ID: in.PatientID})
	if err != nil {
		return err
	}
	if pt.MergedInto != nil {
		return &FieldError{Field: "patient", Value: itoa(pt.ID), Msg: "was merged into patient " + itoa(*pt.MergedInto) + "; register coverage there"}
	}
	covs, err := q.ListCoverages(ctx, store.ListCoveragesParams{PatientID: in.PatientID})
	if err != nil {
		return err
	}
	for _, c := range covs {
		if c.ID == self || c.Priority != in.Priority {
			continue
		}
		if overlaps(c.EffectiveFrom, c.EffectiveTo, in.EffectiveFrom, in.EffectiveTo) {
			return &FieldError{Field: "priority", Value: strconv.Itoa(in.Priority),
				Msg: fmt.Sprintf("coverage %d (member %s) already has this priority for an overlapping period; end it (coverage update --effective-to) or choose another priority", c.ID, c.MemberID)}
		}
	}
	return nil
}

// overlaps reports whether two date ranges meet; a zero bound is open.
func overlaps(aFrom, aTo, bFrom, bTo time.Time) bool {
	if !aTo.IsZero() && !bFrom.IsZero() && aTo.Before(bFrom) {
		return false
	}
	if !bTo.IsZero() && !aFrom.IsZero() && bTo.Before(aFrom) {
		return false
	}
	return true
}

// AddCoverage registers a patient's coverage.
func (s *Service) AddCoverage(ctx context.Context, clinicID int64, in CoverageInput) (store.Coverage, error) {
	if err := s.checkCoverage(&in); err != nil {
		return store.Coverage{}, err
	}
	var c store.Coverage
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		c, err = s.addCoverage(ctx, tx, in)
		return err
	})
	return c, err
}

// AddCoverageTx is AddCoverage inside tx.
func (s *Service) AddCoverageTx(ctx context.Context, tx store.Tx, in CoverageInput) (store.Coverage, error) {
	if err := s.checkCoverage(&in); err != nil {
		return store.Coverage{}, err
	}
	return s.addCoverage(ctx, tx, in)
}

func (s *Service) addCoverage(ctx context.Context, tx store.Tx, in CoverageInput) (store.Coverage, error) {
	if err := s.resolveCoverage(ctx, tx, &in, 0); err != nil {
		return store.Coverage{}, err
	}
	c, err := tx.CreateCoverage(ctx, store.CreateCoverageParams{PatientID: in.PatientID, PayerID: in.Payer, MemberID: in.MemberID,
		GroupNumber: in.GroupNumber, Priority: in.Priority, RelationshipCode: in.Relationship, SubscriberFirst: in.SubscriberFirst,
		SubscriberLast: in.SubscriberLast, SubscriberBirth: in.SubscriberBirth, EffectiveFrom: in.EffectiveFrom, EffectiveTo: in.EffectiveTo})
	if err != nil {
		return store.Coverage{}, err
	}
	return c, s.audit(ctx, tx, "coverage.add", "coverage", c.ID, map[string]any{"patient": c.PatientID, "payer": c.PayerID, "priority": c.Priority})
}

// UpdateCoverage replaces a coverage's fields (its patient stays).
func (s *Service) UpdateCoverage(ctx context.Context, clinicID, id int64, in CoverageInput) (store.Coverage, error) {
	if err := s.checkCoverage(&in); err != nil {
		return store.Coverage{}, err
	}
	var c store.Coverage
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		c, err = s.updateCoverage(ctx, tx, id, in)
		return err
	})
	return c, err
}

// UpdateCoverageTx is UpdateCoverage inside tx.
func (s *Service) UpdateCoverageTx(ctx context.Context, tx store.Tx, id int64, in CoverageInput) (store.Coverage, error) {
	if err := s.checkCoverage(&in); err != nil {
		return store.Coverage{}, err
	}
	return s.updateCoverage(ctx, tx, id, in)
}

func (s *Service) updateCoverage(ctx context.Context, tx store.Tx, id int64, in CoverageInput) (store.Coverage, error) {
	cur, err := tx.GetCoverage(ctx, store.Ref{ID: id})
	if err != nil {
		return store.Coverage{}, err
	}
	if cur.PatientID != in.PatientID {
		return store.Coverage{}, &FieldError{Field: "patient", Value: itoa(in.PatientID), Msg: fmt.Sprintf("coverage %d belongs to patient %d", id, cur.PatientID)}
	}
	if err := s.resolveCoverage(ctx, tx, &in, id); err != nil {
		return store.Coverage{}, err
	}
	c, err := tx.UpdateCoverage(ctx, store.UpdateCoverageParams{ID: id, PayerID: in.Payer, MemberID: in.MemberID,
		GroupNumber: in.GroupNumber, Priority: in.Priority, RelationshipCode: in.Relationship, SubscriberFirst: in.SubscriberFirst,
		SubscriberLast: in.SubscriberLast, SubscriberBirth: in.SubscriberBirth, EffectiveFrom: in.EffectiveFrom, EffectiveTo: in.EffectiveTo})
	if err != nil {
		return store.Coverage{}, err
	}
	return c, s.audit(ctx, tx, "coverage.update", "coverage", c.ID, map[string]any{"patient": c.PatientID, "payer": c.PayerID, "priority": c.Priority})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// PatientRegistration is a patient with the coverages registered with
// them; the coverages' PatientID is set by RegisterPatients.
type PatientRegistration struct {
	Patient   PatientInput
	Coverages []CoverageInput
}

// RegisterPatients registers patients with their coverages in one
// transaction: every one is checked first, then all are written or none.
func (s *Service) RegisterPatients(ctx context.Context, clinicID int64, regs []PatientRegistration) ([]store.Patient, error) {
	var e errs
	for i := range regs {
		r := &regs[i]
		if err := s.checkPatient(&r.Patient); err != nil {
			e = append(e, fmt.Errorf("patient %s: %w", r.Patient.MRN, err))
		}
		for j := range r.Coverages {
			r.Coverages[j].PatientID = 1 // settled when the patient is added
			if err := s.checkCoverage(&r.Coverages[j]); err != nil {
				e = append(e, fmt.Errorf("patient %s coverage %d: %w", r.Patient.MRN, j+1, err))
			}
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	out := make([]store.Patient, 0, len(regs))
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		out = out[:0]
		for _, r := range regs {
			p, err := s.addPatient(ctx, tx, r.Patient)
			if err != nil {
				return fmt.Errorf("patient %s: %w", r.Patient.MRN, err)
			}
			for j, c := range r.Coverages {
				c.PatientID = p.ID
				if _, err := s.addCoverage(ctx, tx, c); err != nil {
					return fmt.Errorf("patient %s coverage %d: %w", r.Patient.MRN, j+1, err)
				}
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
