package registration

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// RowError is a problem with one row of an imported CSV file. It wraps the
// row's error (a *FieldError, *DuplicateError or store error).
type RowError struct {
	File string
	Line int
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

func (e *RowError) Unwrap() error { return e.Err }

// maxRowErrors caps the row errors one import reports.
const maxRowErrors = 50

// ImportResult lists the IDs of the rows an import created, in file order.
type ImportResult struct {
	IDs []int64
}

// The columns of each import, in the order the CSV templates list them.
// The first row of a file names its columns (any order, any subset that
// includes the required ones).
var (
	ClinicColumns   = []string{"name", "npi", "tax_id", "submitter_id", "address_line1", "address_line2", "city", "state", "postal_code", "time_zone", "taxonomy", "contact_name", "contact_phone", "contact_email"}
	ProviderColumns = []string{"npi", "first_name", "last_name", "organization_name", "taxonomy", "role"}
	PayerColumns    = []string{"payer_id", "name", "receiver_id", "claim_filing_code", "enroll_837", "enroll_835", "enroll_270"}
	PatientColumns  = []string{"mrn", "first_name", "last_name", "birth_date", "sex", "address_line1", "address_line2", "city", "state", "postal_code", "phone", "email", "guarantor_name", "guarantor_relationship", "member_id"}
	CoverageColumns = []string{"mrn", "payer_id", "member_id", "group_number", "priority", "relationship", "subscriber_first", "subscriber_last", "subscriber_birth", "effective_from", "effective_to"}
)

type csvRow struct {
	line int
	cols map[string]int
	rec  []string
}

func (r csvRow) get(col string) string {
	if i, ok := r.cols[col]; ok {
		return strings.TrimSpace(r.rec[i])
	}
	return ""
}

// readCSV reads a file whose header names columns of known; required
// columns must be present.
func readCSV(name string, r io.Reader, known, required []string) ([]csvRow, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &RowError{File: name, Line: 1, Err: &FieldError{Field: "header", Msg: "empty file; the first row names the columns: " + strings.Join(known, ",")}}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrInput, err)
	}
	cols := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(known, h) {
			return nil, &RowError{File: name, Line: 1, Err: &FieldError{Field: "header", Value: h, Msg: "unknown column (known: " + strings.Join(known, ",") + ")"}}
		}
		cols[h] = i
	}
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			return nil, &RowError{File: name, Line: 1, Err: &FieldError{Field: "header", Value: c, Msg: "required column missing"}}
		}
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", name, ErrInput, err)
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, csvRow{line: line, cols: cols, rec: rec})
	}
}

// rowErrs collects row errors up to the cap.
type rowErrs struct {
	file string
	list []error
}

func (e *rowErrs) add(line int, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, x := range j.Unwrap() {
			e.add(line, x)
		}
		return
	}
	if len(e.list) < maxRowErrors {
		e.list = append(e.list, &RowError{File: e.file, Line: line, Err: err})
	}
}

func (e *rowErrs) err() error { return errors.Join(e.list...) }

// duplicateRowError is a row that looks like an earlier row of the same
// file. It wraps ErrDuplicate.
type duplicateRowError struct {
	reason string
	line   int
}

func (e *duplicateRowError) Error() string {
	return fmt.Sprintf("possible duplicate: same %s as line %d of this file", e.reason, e.line)
}

func (e *duplicateRowError) Unwrap() error { return ErrDuplicate }

// dropField removes the field errors of one field from a joined error.
func dropField(err error, name string) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var keep []error
	for _, x := range j.Unwrap() {
		if fe, ok := x.(*FieldError); ok && fe.Field == name {
			continue
		}
		keep = append(keep, x)
	}
	return errors.Join(keep...)
}

// ParseDate reads a date as YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD (X12 D8);
// empty is the zero time.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.DateOnly, "01/02/2006", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &FieldError{Field: "date", Value: s, Msg: "want YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD"}
}

func dateField(e *rowErrs, line int, field, v string) time.Time {
	t, err := ParseDate(v)
	if err != nil {
		e.add(line, &FieldError{Field: field, Value: v, Msg: "want YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD"})
	}
	return t
}

// ImportClinics registers the clinics of a CSV file (columns
// ClinicColumns). Every row is checked before any is written; clinics are
// created one by one, so a database failure part way leaves the earlier
// ones.
func (s *Service) ImportClinics(ctx context.Context, name string, r io.Reader) (ImportResult, error) {
	rows, err := readCSV(name, r, ClinicColumns, []string{"name", "npi"})
	if err != nil {
		return ImportResult{}, err
	}
	e := rowErrs{file: name}
	ins := make([]ClinicInput, len(rows))
	for i, row := range rows {
		ins[i] = ClinicInput{Name: row.get("name"), NPI: row.get("npi"), TaxID: row.get("tax_id"), SubmitterID: row.get("submitter_id"),
			ClinicSettings: store.ClinicSettings{AddressLine1: row.get("address_line1"), AddressLine2: row.get("address_line2"),
				City: row.get("city"), State: row.get("state"), PostalCode: row.get("postal_code"), TimeZone: row.get("time_zone"),
				TaxonomyCode: row.get("taxonomy"), ContactName: row.get("contact_name"), ContactPhone: row.get("contact_phone"),
				ContactEmail: row.get("contact_email")}}
		if err := s.checkClinic(&ins[i]); err != nil {
			e.add(row.line, err)
		}
	}
	if err := e.err(); err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	for i, in := range ins {
		c, err := s.AddClinic(ctx, in)
		if err != nil {
			return res, &RowError{File: name, Line: rows[i].line, Err: err}
		}
		res.IDs = append(res.IDs, c.ID)
	}
	return res, nil
}

// importRows runs add for every row in one transaction: all rows or none.
func importRows[T any](ctx context.Context, s *Service, clinicID int64, name string, rows []csvRow, ins []T,
	add func(ctx context.Context, tx store.Tx, in T) (int64, error)) (ImportResult, error) {
	var res ImportResult
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		res.IDs = res.IDs[:0]
		for i, in := range ins {
			id, err := add(ctx, tx, in)
			if err != nil {
				return &RowError{File: name, Line: rows[i].line, Err: err}
			}
			res.IDs = append(res.IDs, id)
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// ImportProviders registers the providers of a CSV file (columns
// ProviderColumns), all or none.
func (s *Service) ImportProviders(ctx context.Context, clinicID int64, name string, r io.Reader) (ImportResult, error) {
	rows, err := readCSV(name, r, ProviderColumns, []string{"npi"})
	if err != nil {
		return ImportResult{}, err
	}
	e := rowErrs{file: name}
	ins := make([]ProviderInput, len(rows))
	for i, row := range rows {
		ins[i] = ProviderInput{NPI: row.get("npi"), FirstName: row.get("first_name"), LastName: row.get("last_name"),
			OrganizationName: row.get("organization_name"), TaxonomyCode: row.get("taxonomy"), Role: row.get("role"), Active: true}
		if err := s.checkProvider(&ins[i]); err != nil {
			e.add(row.line, err)
		}
	}
	if err := e.err(); err != nil {
		return ImportResult{}, err
	}
	return importRows(ctx, s, clinicID, name, rows, ins, func(ctx context.Context, tx store.Tx, in ProviderInput) (int64, error) {
		p, err := s.addProvider(ctx, tx, in)
		return p.ID, err
	})
}

// ImportPayers registers the payers of a CSV file (columns PayerColumns),
// all or none.
func (s *Service) ImportPayers(ctx context.Context, clinicID int64, name string, r io.Reader) (ImportResult, error) {
	rows, err := readCSV(name, r, PayerColumns, []string{"payer_id"})
	if err != nil {
		return ImportResult{}, err
	}
	e := rowErrs{file: name}
	ins := make([]PayerInput, len(rows))
	for i, row := range rows {
		ins[i] = PayerInput{PayerID: row.get("payer_id"), Name: row.get("name"), ReceiverID: row.get("receiver_id"),
			ClaimFilingCode: row.get("claim_filing_code"), Active: true,
			Enrollment: store.Enrollment{Claims: row.get("enroll_837"), Remittance: row.get("enroll_835"), Eligibility: row.get("enroll_270")}}
		if _, err := s.checkPayer(&ins[i]); err != nil {
			e.add(row.line, err)
		}
	}
	if err := e.err(); err != nil {
		return ImportResult{}, err
	}
	return importRows(ctx, s, clinicID, name, rows, ins, func(ctx context.Context, tx store.Tx, in PayerInput) (int64, error) {
		p, err := s.addPayer(ctx, tx, in)
		return p.ID, err
	})
}

// ImportPatients registers the patients of a CSV file (columns
// PatientColumns), all or none; a possible duplicate (of a registered
// patient or of an earlier row) fails the import unless allowDuplicates.
func (s *Service) ImportPatients(ctx context.Context, clinicID int64, name string, r io.Reader, allowDuplicates bool) (ImportResult, error) {
	rows, err := readCSV(name, r, PatientColumns, []string{"mrn", "first_name", "last_name", "birth_date"})
	if err != nil {
		return ImportResult{}, err
	}
	e := rowErrs{file: name}
	ins := make([]PatientInput, len(rows))
	for i, row := range rows {
		before := len(e.list)
		ins[i] = PatientInput{MRN: row.get("mrn"), FirstName: row.get("first_name"), LastName: row.get("last_name"),
			BirthDate: dateField(&e, row.line, "birth_date", row.get("birth_date")), Sex: row.get("sex"),
			AddressLine1: row.get("address_line1"), AddressLine2: row.get("address_line2"), City: row.get("city"),
			State: row.get("state"), PostalCode: row.get("postal_code"), Phone: row.get("phone"), Email: row.get("email"),
			GuarantorName: row.get("guarantor_name"), GuarantorRelationship: row.get("guarantor_relationship"),
			MemberID: row.get("member_id"), AllowDuplicate: allowDuplicates}
		if err := s.checkPatient(&ins[i]); err != nil {
			if len(e.list) > before && ins[i].BirthDate.IsZero() {
				err = dropField(err, "birth-date") // already reported as unreadable
			}
			e.add(row.line, err)
		}
	}
	if err := e.err(); err != nil {
		return ImportResult{}, err
	}
	lineOf := map[int64]int{} // patients of this file, by the line that added them
	next := 0
	return importRows(ctx, s, clinicID, name, rows, ins, func(ctx context.Context, tx store.Tx, in PatientInput) (int64, error) {
		line := rows[next].line
		next++
		p, err := s.addPatient(ctx, tx, in)
		var de *DuplicateError
		if errors.As(err, &de) {
			if l, ok := lineOf[de.Existing.ID]; ok {
				return 0, &duplicateRowError{reason: de.Reason, line: l}
			}
		}
		lineOf[p.ID] = line
		return p.ID, err
	})
}

// ImportCoverages registers the coverages of a CSV file (columns
// CoverageColumns; the patient is named by MRN, the payer by payer ID),
// all or none.
func (s *Service) ImportCoverages(ctx context.Context, clinicID int64, name string, r io.Reader) (ImportResult, error) {
	rows, err := readCSV(name, r, CoverageColumns, []string{"mrn", "payer_id", "member_id"})
	if err != nil {
		return ImportResult{}, err
	}
	e := rowErrs{file: name}
	type coverageRow struct {
		mrn string
		in  CoverageInput
	}
	ins := make([]coverageRow, len(rows))
	for i, row := range rows {
		// PatientID is settled from the MRN inside the transaction.
		in := CoverageInput{PatientID: 1, PayerCode: row.get("payer_id"), MemberID: row.get("member_id"),
			GroupNumber: row.get("group_number"), Relationship: row.get("relationship"), SubscriberFirst: row.get("subscriber_first"),
			SubscriberLast: row.get("subscriber_last"), SubscriberBirth: dateField(&e, row.line, "subscriber_birth", row.get("subscriber_birth")),
			EffectiveFrom: dateField(&e, row.line, "effective_from", row.get("effective_from")),
			EffectiveTo:   dateField(&e, row.line, "effective_to", row.get("effective_to"))}
		if v := row.get("priority"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				e.add(row.line, &FieldError{Field: "priority", Value: v, Msg: "want 1, 2 or 3"})
			}
			in.Priority = n
		}
		if err := s.checkCoverage(&in); err != nil {
			e.add(row.line, err)
		}
		ins[i] = coverageRow{mrn: row.get("mrn"), in: in}
	}
	if err := e.err(); err != nil {
		return ImportResult{}, err
	}
	return importRows(ctx, s, clinicID, name, rows, ins, func(ctx context.Context, tx store.Tx, r coverageRow) (int64, error) {
		pts, err := tx.ListPatients(ctx, store.ListPatientsParams{MRN: r.mrn})
		if err != nil {
			return 0, err
		}
		if len(pts) == 0 {
			return 0, &FieldError{Field: "mrn", Value: r.mrn, Msg: "no patient with this MRN"}
		}
		r.in.PatientID = pts[0].ID
		c, err := s.addCoverage(ctx, tx, r.in)
		return c.ID, err
	})
}
