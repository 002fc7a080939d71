package scheduling

import (
	"cmp"
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

// ImportColumns is the column layout of an appointment CSV file. The first
// record is a header naming the columns, in any order; the required ones
// must be there and no others may be.
//
//	patient_mrn       required  the patient's medical record number
//	provider_npi      required  the provider's NPI
//	date              required  YYYY-MM-DD, in the clinic's time zone
//	time              required  HH:MM (24-hour), in the clinic's time zone
//	duration_minutes  optional  default: the provider's slot length
//	reason            optional  the reason for the visit
//	payer_id          optional  with member_id: the coverage billed (the
//	member_id         optional  patient's coverage with that payer and member
//	                            ID); both empty: the patient's primary coverage
//	status            optional  booked (default), completed, checked_in,
//	                            no_show or cancelled: past appointments with
//	                            their outcomes, the no-show model's history
//	booked_at         optional  when it was booked: YYYY-MM-DD or
//	                            YYYY-MM-DD HH:MM in the clinic's zone
//	                            (default: the import's time)
//
// Another system's export is read through an ImportMapping, which names
// the column of the export that holds each of these and translates its
// status values and date layouts.
var ImportColumns = []string{"patient_mrn", "provider_npi", "date", "time", "duration_minutes", "reason", "payer_id", "member_id",
	"status", "booked_at"}

// ImportMapping reads another system's appointment export:
//
//	columns:            # our column: the export's header
//	  patient_mrn: Patient Account
//	  provider_npi: Rendering NPI
//	  date: Appt Date
//	  time: Appt Time
//	  status: Appt Status
//	  booked_at: Created On
//	statuses:           # the export's value: ours
//	  Kept: completed
//	  No Show: no_show
//	  Canceled: cancelled
//	date_layout: 01/02/2006       # Go reference layouts
//	time_layout: 3:04 PM
//	booked_at_layout: 01/02/2006 15:04
//
// The export's other columns are ignored.
type ImportMapping struct {
	Columns        map[string]string `yaml:"columns"`
	Statuses       map[string]string `yaml:"statuses"`
	DateLayout     string            `yaml:"date_layout"`
	TimeLayout     string            `yaml:"time_layout"`
	BookedAtLayout string            `yaml:"booked_at_layout"`
}

// importStatuses are the statuses an import may give.
var importStatuses = []string{store.AppointmentBooked, store.AppointmentCompleted, store.AppointmentCheckedIn, store.AppointmentNoShow,
	store.AppointmentCancelled}

var requiredColumns = []string{"patient_mrn", "provider_npi", "date", "time"}

// maxImportErrors caps the row errors one import reports.
const maxImportErrors = 100

// RowError is a problem with one record of an appointment file.
type RowError struct {
	File string
	// Line is the 1-based line where the record starts.
	Line int
	// Column is the column at fault, empty for the whole record.
	Column string
	Err    error
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Column, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// ImportError is a rejected appointment file: nothing of it was imported.
// It wraps ErrImport and each row error.
type ImportError struct {
	File string
	Rows []*RowError
	// Truncated is true when more errors were found than Rows holds.
	Truncated bool
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d error", e.File, len(e.Rows))
	if len(e.Rows) != 1 {
		b.WriteByte('s')
	}
	if e.Truncated {
		b.WriteString(" (and more)")
	}
	b.WriteString(", nothing imported")
	for _, r := range e.Rows {
		b.WriteString("\n\t")
		b.WriteString(r.Error())
	}
	return b.String()
}

func (e *ImportError) Unwrap() []error {
	errs := []error{ErrImport}
	for _, r := range e.Rows {
		errs = append(errs, r)
	}
	return errs
}

// ImportParams imports an appointment file.
type ImportParams struct {
	ClinicID int64
	// FileName names the file in errors.
	FileName string
	Input    io.Reader
	// AllowOutsideHours accepts appointments outside working hours (a
	// legacy system's book); overlaps are refused all the same.
	AllowOutsideHours bool
	Actor             string
	// Mapping reads another system's export; nil reads ImportColumns.
	Mapping *ImportMapping
}

// importRow is a record read and resolved.
type importRow struct {
	line int
	book BookParams
}

// Import books every appointment of a CSV file (layout: ImportColumns), all
// in one transaction: the file is imported entirely or not at all. Each
// record is checked like Book (working hours, overlaps with the book and
// with the file's earlier records); every problem found is reported in an
// *ImportError naming file, line and column.
func (s *Service) Import(ctx context.Context, p ImportParams) ([]store.Appointment, error) {
	file := p.FileName
	if file == "" {
		file = "appointments.csv"
	}
	ie := &ImportError{File: file}
	fail := func(line int, col string, err error) {
		if len(ie.Rows) == maxImportErrors {
			ie.Truncated = true
			return
		}
		ie.Rows = append(ie.Rows, &RowError{File: file, Line: line, Column: col, Err: err})
	}
	rows, err := s.readImport(ctx, p, fail)
	if err != nil {
		return nil, err
	}
	// Rows that read well are booked even when others did not, to report
	// every problem at once; any problem rolls the whole file back.
	var out []store.Appointment
	err = s.cfg.Store.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		out = out[:0]
		for _, r := range rows {
			a, err := s.book(ctx, tx, r.book)
			if errorsIsAny(err, ErrDoubleBooked, ErrOutsideHours, ErrInvalid, ErrCoverage) {
				fail(r.line, "", err)
				continue
			}
			if err != nil {
				return fmt.Errorf("%s:%d: %w", file, r.line, err)
			}
			out = append(out, a)
		}
		if len(ie.Rows) > 0 {
			slices.SortStableFunc(ie.Rows, func(a, b *RowError) int { return cmp.Compare(a.Line, b.Line) })
			return ie
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readImport reads and resolves the records, reporting problems to fail.
func (s *Service) readImport(ctx context.Context, p ImportParams, fail func(int, string, error)) ([]importRow, error) {
	r := csv.NewReader(p.Input)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		fail(1, "", errors.New("empty file: a header naming the columns is required"))
		return nil, nil
	}
	if err != nil {
		fail(1, "", err)
		return nil, nil
	}
	col := map[string]int{}
	m := p.Mapping
	if m == nil {
		m = &ImportMapping{}
	}
	theirs := map[string]string{}
	for ours, their := range m.Columns {
		if !slices.Contains(ImportColumns, ours) {
			fail(1, ours, fmt.Errorf("mapping names an unknown column (columns are %s)", strings.Join(ImportColumns, ", ")))
		}
		theirs[strings.ToLower(strings.TrimSpace(their))] = ours
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if p.Mapping != nil {
			ours, ok := theirs[h]
			if !ok {
				continue
			}
			h = ours
		}
		known := false
		for _, c := range ImportColumns {
			known = known || c == h
		}
		switch _, dup := col[h]; {
		case !known:
			fail(1, h, fmt.Errorf("unknown column (columns are %s)", strings.Join(ImportColumns, ", ")))
		case dup:
			fail(1, h, errors.New("column named twice"))
		}
		col[h] = i
	}
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			fail(1, c, errors.New("required column missing"))
		}
	}
	if hasKey(col, "payer_id") != hasKey(col, "member_id") {
		fail(1, "payer_id", errors.New("payer_id and member_id go together"))
	}
	providers, err := s.cfg.Store.ListProviders(ctx, store.ListProvidersParams{ClinicID: p.ClinicID})
	if err != nil {
		return nil, err
	}
	byNPI := map[string]store.Provider{}
	for _, pr := range providers {
		if _, ok := byNPI[pr.NPI]; !ok || pr.Active {
			byNPI[pr.NPI] = pr
		}
	}
	patients := map[string]store.Patient{}
	var rows []importRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				fail(pe.StartLine, "", pe.Err)
				if errors.Is(pe.Err, csv.ErrFieldCount) {
					continue
				}
			} else {
				fail(0, "", err)
			}
			return nil, nil
		}
		line, _ := r.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := importRow{line: line, book: BookParams{ClinicID: p.ClinicID, Reason: get("reason"), AllowOutsideHours: p.AllowOutsideHours, Actor: p.Actor}}
		ok := true
		bad := func(c string, err error) { fail(line, c, err); ok = false }

		mrn := get("patient_mrn")
		pt, found := patients[mrn]
		switch {
		case mrn == "":
			bad("patient_mrn", errors.New("required"))
		case !found:
			ps, err := s.cfg.Store.ListPatients(ctx, store.ListPatientsParams{ClinicID: p.ClinicID, MRN: mrn, Limit: 2})
			if err != nil {
				return nil, err
			}
			if len(ps) != 1 {
				bad("patient_mrn", fmt.Errorf("no patient with MRN %q", mrn))
			} else {
				pt = ps[0]
				patients[mrn] = pt
			}
		}
		row.book.PatientID = pt.ID

		npi := get("provider_npi")
		if pr, found := byNPI[npi]; !found {
			bad("provider_npi", fmt.Errorf("no provider with NPI %q", npi))
		} else {
			row.book.ProviderID = pr.ID
		}

		dl := cmp.Or(m.DateLayout, time.DateOnly)
		date, derr := time.ParseInLocation(dl, get("date"), s.cfg.Location)
		if derr != nil {
			bad("date", fmt.Errorf("%q is not %s", get("date"), cmp.Or(m.DateLayout, "YYYY-MM-DD")))
		}
		var clock Clock
		var cerr error
		if m.TimeLayout != "" {
			var tm time.Time
			if tm, cerr = time.Parse(m.TimeLayout, get("time")); cerr == nil {
				clock = Clock(tm.Hour()*60 + tm.Minute())
			}
		} else {
			clock, cerr = ParseClock(get("time"))
		}
		if cerr != nil {
			bad("time", fmt.Errorf("%q is not %s", get("time"), cmp.Or(m.TimeLayout, "HH:MM")))
		}
		if st := get("status"); st != "" {
			if v, ok := m.Statuses[st]; ok {
				st = v
			}
			st = strings.ToLower(st)
			if !slices.Contains(importStatuses, st) {
				bad("status", fmt.Errorf("%q is not one of %s (a mapping file's statuses translate others)", st, strings.Join(importStatuses, ", ")))
			}
			row.book.Status = st
		}
		if b := get("booked_at"); b != "" {
			var t time.Time
			var err error
			if m.BookedAtLayout != "" {
				t, err = time.ParseInLocation(m.BookedAtLayout, b, s.cfg.Location)
			} else if t, err = time.ParseInLocation("2006-01-02 15:04", b, s.cfg.Location); err != nil {
				t, err = time.ParseInLocation(time.DateOnly, b, s.cfg.Location)
			}
			if err != nil {
				bad("booked_at", fmt.Errorf("%q is not a time laid out as %s", b, cmp.Or(m.BookedAtLayout, "YYYY-MM-DD [HH:MM]")))
			}
			row.book.BookedAt = t
		}
		if derr == nil && cerr == nil {
			row.book.Start = s.at(date, clock)
		}
		if d := get("duration_minutes"); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil || n < 1 || time.Duration(n)*time.Minute > s.cfg.MaxAppointment {
				bad("duration_minutes", fmt.Errorf("%q is not a number of minutes from 1 to %d", d, int(s.cfg.MaxAppointment/time.Minute)))
			} else {
				row.book.Duration = time.Duration(n) * time.Minute
			}
		}
		if payerID, member := get("payer_id"), get("member_id"); (payerID != "" || member != "") && pt.ID != 0 {
			id, err := s.importCoverage(ctx, p.ClinicID, pt.ID, payerID, member)
			if err != nil {
				if errorsIsAny(err, store.ErrNotFound, ErrInvalid) {
					bad("member_id", err)
				} else {
					return nil, err
				}
			}
			row.book.CoverageID = id
		}
		if ok {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		fail(1, "", errors.New("no appointments in the file"))
	}
	return rows, nil
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// importCoverage finds the patient's coverage with a payer and member ID.
func (s *Service) importCoverage(ctx context.Context, clinicID, patientID int64, payerID, member string) (*int64, error) {
	if payerID == "" || member == "" {
		return nil, fmt.Errorf("%w: payer_id and member_id are both required to name a coverage", ErrInvalid)
	}
	payer, err := s.cfg.Store.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: clinicID, PayerID: payerID})
	if err != nil {
		return nil, fmt.Errorf("payer %q: %w", payerID, err)
	}
	cs, err := s.cfg.Store.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: clinicID, PatientID: patientID, PayerID: payer.ID})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if strings.EqualFold(c.MemberID, member) {
			id := c.ID
			return &id, nil
		}
	}
	return nil, fmt.Errorf("%w: the patient has no coverage with payer %s and member ID %q", store.ErrNotFound, payerID, member)
}
