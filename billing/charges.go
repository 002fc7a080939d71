package billing

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// EncounterInput is a visit with its service lines, as captured at the front
// desk or imported. The patient is named by ID or MRN, the rendering provider
// by ID or NPI.
type EncounterInput struct {
	PatientID   int64  `json:"patientId,omitempty"`
	MRN         string `json:"mrn,omitempty"`
	ProviderID  int64  `json:"providerId,omitempty"`
	ProviderNPI string `json:"providerNpi,omitempty"`
	// CoverageID pins the coverage to bill; zero means the patient's
	// primary coverage on the date of service.
	CoverageID  int64      `json:"coverageId,omitempty"`
	ServiceDate claim.Date `json:"serviceDate"`
	// PlaceOfService is the CMS place of service code (CLM05-1); default
	// 11 (office).
	PlaceOfService string `json:"placeOfService,omitempty"`
	// Diagnoses are ICD-10-CM codes in pointer order, without dots.
	Diagnoses []string    `json:"diagnoses"`
	Lines     []LineInput `json:"lines"`
	// Open keeps the encounter open (more charges to come); otherwise it
	// is recorded ready to bill.
	Open bool `json:"open,omitempty"`
}

// LineInput is one service line (Loop 2400 SV1).
type LineInput struct {
	ProcedureCode string   `json:"procedureCode"`
	Modifiers     []string `json:"modifiers,omitempty"`
	// DiagnosisPointers are 1-based positions in the encounter's
	// diagnoses; default [1].
	DiagnosisPointers []int `json:"diagnosisPointers,omitempty"`
	// Units default to 1.
	Units claim.Quantity `json:"units,omitempty"`
	// ChargeCents zero means: price from the clinic's fee schedule.
	ChargeCents int64 `json:"chargeCents,omitempty"`
}

// Validate checks an encounter input and returns every problem.
func (in *EncounterInput) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInput}, args...)...))
	}
	if in.PatientID == 0 && in.MRN == "" {
		bad("patient: give a patient ID or MRN")
	}
	if in.ProviderID == 0 && in.ProviderNPI == "" {
		bad("provider: give a provider ID or NPI")
	}
	if in.ServiceDate.IsZero() {
		bad("service date: required")
	}
	if len(in.Diagnoses) == 0 {
		bad("diagnoses: at least one ICD-10-CM code")
	}
	if len(in.Lines) == 0 {
		bad("lines: at least one service line")
	}
	for i, l := range in.Lines {
		if l.ProcedureCode == "" {
			bad("line %d: procedure code required", i+1)
		}
		if len(l.Modifiers) > 4 {
			bad("line %d: at most four modifiers", i+1)
		}
		for _, p := range l.DiagnosisPointers {
			if p < 1 || p > len(in.Diagnoses) || p > 12 {
				bad("line %d: diagnosis pointer %d names no diagnosis", i+1, p)
			}
		}
		if l.Units < 0 || l.ChargeCents < 0 {
			bad("line %d: negative units or charge", i+1)
		}
	}
	return errors.Join(errs...)
}

// CapturedEncounter is what CaptureEncounter stored.
type CapturedEncounter struct {
	Encounter store.Encounter
	Charges   []store.Charge
}

// CaptureEncounter records an encounter and its charges in one transaction.
// Lines without a charge are priced from the clinic's fee schedule.
func (s *Service) CaptureEncounter(ctx context.Context, clinicID int64, in EncounterInput) (CapturedEncounter, error) {
	if err := in.Validate(); err != nil {
		return CapturedEncounter{}, err
	}
	var out CapturedEncounter
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		out, err = s.capture(ctx, tx, clinicID, in, nil)
		return err
	})
	return out, err
}

// CaptureEncounterTx is CaptureEncounter inside tx, for callers that record
// an encounter with other rows in one transaction (the FHIR import of a
// bundle).
func (s *Service) CaptureEncounterTx(ctx context.Context, tx store.Tx, in EncounterInput) (CapturedEncounter, error) {
	if err := in.Validate(); err != nil {
		return CapturedEncounter{}, err
	}
	return s.capture(ctx, tx, tx.ClinicID(), in, nil)
}

// capture stores one encounter inside tx; cache memoizes MRN and NPI
// look-ups across the rows of an import.
func (s *Service) capture(ctx context.Context, tx store.Tx, clinicID int64, in EncounterInput, cache *lookupCache) (CapturedEncounter, error) {
	if cache == nil {
		cache = &lookupCache{}
	}
	patientID, err := cache.patient(ctx, tx, clinicID, in.PatientID, in.MRN)
	if err != nil {
		return CapturedEncounter{}, err
	}
	providerID, err := cache.provider(ctx, tx, clinicID, in.ProviderID, in.ProviderNPI)
	if err != nil {
		return CapturedEncounter{}, err
	}
	var coverageID *int64
	if in.CoverageID != 0 {
		cv, err := tx.GetCoverage(ctx, store.Ref{ClinicID: clinicID, ID: in.CoverageID})
		if err != nil {
			return CapturedEncounter{}, fmt.Errorf("coverage %d: %w", in.CoverageID, err)
		}
		if cv.PatientID != patientID {
			return CapturedEncounter{}, fmt.Errorf("%w: coverage %d belongs to another patient", ErrInput, in.CoverageID)
		}
		coverageID = &cv.ID
	}
	pos := in.PlaceOfService
	if pos == "" {
		pos = "11"
	}
	status := store.EncounterReady
	if in.Open {
		status = store.EncounterOpen
	}
	var prof *ClinicProfile
	for _, l := range in.Lines {
		if l.ChargeCents == 0 && prof == nil {
			if prof, err = s.profile(ctx, clinicID); err != nil {
				return CapturedEncounter{}, err
			}
		}
	}
	enc, err := tx.CreateEncounter(ctx, store.CreateEncounterParams{ClinicID: clinicID, PatientID: patientID, ProviderID: providerID,
		CoverageID: coverageID, ServiceDate: in.ServiceDate.Time(), PlaceOfService: pos, DiagnosisCodes: normalizeDiagnoses(in.Diagnoses), Status: status})
	if err != nil {
		return CapturedEncounter{}, err
	}
	out := CapturedEncounter{Encounter: enc}
	for i, l := range in.Lines {
		units := l.Units
		if units == 0 {
			units = claim.Units(1)
		}
		cents := l.ChargeCents
		if cents == 0 {
			var ok bool
			if cents, ok = prof.Fees.Price(l.ProcedureCode, l.Modifiers, units); !ok {
				return CapturedEncounter{}, fmt.Errorf("line %d: %w for %s%s", i+1, ErrNoPrice, l.ProcedureCode, modSuffix(l.Modifiers))
			}
		}
		ptrs := l.DiagnosisPointers
		if len(ptrs) == 0 {
			ptrs = []int{1}
		}
		ch, err := tx.CreateCharge(ctx, store.CreateChargeParams{ClinicID: clinicID, EncounterID: enc.ID, LineNumber: i + 1,
			ProcedureCode: strings.ToUpper(l.ProcedureCode), Modifiers: upper(l.Modifiers), DiagnosisPointers: ptrs, UnitsMilli: int64(units),
			ChargeCents: cents, ServiceDate: in.ServiceDate.Time(), PlaceOfService: pos})
		if err != nil {
			return CapturedEncounter{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		out.Charges = append(out.Charges, ch)
	}
	return out, nil
}

type lookupCache struct {
	mrn map[string]int64
	npi map[string]int64
}

func (c *lookupCache) patient(ctx context.Context, q store.Queries, clinicID, id int64, mrn string) (int64, error) {
	if id != 0 {
		p, err := q.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: id})
		if err != nil {
			return 0, fmt.Errorf("patient %d: %w", id, err)
		}
		return p.ID, nil
	}
	if v, ok := c.mrn[mrn]; ok {
		return v, nil
	}
	ps, err := q.ListPatients(ctx, store.ListPatientsParams{ClinicID: clinicID, MRN: mrn, Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(ps) == 0 {
		return 0, fmt.Errorf("patient MRN %q: %w", mrn, store.ErrNotFound)
	}
	if c.mrn == nil {
		c.mrn = make(map[string]int64)
	}
	c.mrn[mrn] = ps[0].ID
	return ps[0].ID, nil
}

func (c *lookupCache) provider(ctx context.Context, q store.Queries, clinicID, id int64, npi string) (int64, error) {
	if id != 0 {
		p, err := q.GetProvider(ctx, store.Ref{ClinicID: clinicID, ID: id})
		if err != nil {
			return 0, fmt.Errorf("provider %d: %w", id, err)
		}
		return p.ID, nil
	}
	if c.npi == nil {
		ps, err := q.ListProviders(ctx, store.ListProvidersParams{ClinicID: clinicID})
		if err != nil {
			return 0, err
		}
		c.npi = make(map[string]int64, len(ps))
		for _, p := range ps {
			c.npi[p.NPI] = p.ID
		}
	}
	v, ok := c.npi[npi]
	if !ok {
		return 0, fmt.Errorf("provider NPI %q: %w", npi, store.ErrNotFound)
	}
	return v, nil
}

// RowError is a problem with one row of an import file. It wraps ErrInput
// (or the store's error for the row).
type RowError struct {
	File string
	// Line is the 1-based line of the row (CSV) or the 1-based index of
	// the encounter (JSON, with Line 0 and Item set).
	Line   int
	Item   int
	Column string
	Err    error
}

func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Item > 0 {
		b.WriteString(": encounter " + strconv.Itoa(e.Item))
	}
	if e.Column != "" {
		b.WriteString(": " + e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }

// ImportResult is what ImportCharges stored.
type ImportResult struct {
	Encounters []CapturedEncounter
	Lines      int
}

// ImportCharges reads encounters from a CSV or JSON file (by the name's
// extension: .csv or .json) and stores them all in one transaction: when any
// row is wrong nothing is stored, and the error lists every bad row as a
// *RowError naming the file and line.
//
// The JSON form is an array of EncounterInput objects.
//
// The CSV form has a header row naming these columns, in any order (the
// first six are required):
//
//	encounter       a key grouping the rows (lines) of one encounter
//	mrn             the patient's medical record number
//	provider_npi    the rendering provider's NPI
//	service_date    YYYY-MM-DD
//	diagnoses       ICD-10-CM codes separated by | (same on every row of an encounter)
//	procedure       CPT/HCPCS code
//	modifiers       separated by |
//	pointers        diagnosis pointers separated by |, default 1
//	units           decimal, default 1
//	charge          decimal dollars; empty means the fee schedule price
//	place_of_service  CMS POS code, default 11
//
// Rows of one encounter need not be adjacent.
func (s *Service) ImportCharges(ctx context.Context, clinicID int64, name string, r io.Reader) (ImportResult, error) {
	var inputs []EncounterInput
	var lines []int // first line (CSV) of each encounter, for store errors
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		inputs, lines, err = parseChargesCSV(name, r)
	case ".json":
		inputs, err = parseChargesJSON(name, r)
	default:
		return ImportResult{}, fmt.Errorf("%s: %w: want a .csv or .json file", name, ErrInput)
	}
	if err != nil {
		return ImportResult{}, err
	}
	rowErr := func(i int, err error) error {
		if lines != nil {
			return &RowError{File: name, Line: lines[i], Err: err}
		}
		return &RowError{File: name, Item: i + 1, Err: err}
	}
	var errs []error
	for i := range inputs {
		if err := inputs[i].Validate(); err != nil {
			errs = append(errs, rowErr(i, err))
		}
	}
	if len(errs) > 0 {
		return ImportResult{}, errors.Join(errs...)
	}
	var res ImportResult
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		res = ImportResult{}
		cache := &lookupCache{}
		var errs []error
		for i, in := range inputs {
			ce, err := s.capture(ctx, tx, clinicID, in, cache)
			if err != nil {
				errs = append(errs, rowErr(i, err))
				if len(errs) >= 100 {
					break
				}
				continue
			}
			res.Encounters = append(res.Encounters, ce)
			res.Lines += len(ce.Charges)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

func parseChargesJSON(name string, r io.Reader) ([]EncounterInput, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var in []EncounterInput
	if err := dec.Decode(&in); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: byte %d: %w: %v", name, se.Offset, ErrInput, err)
		}
		return nil, fmt.Errorf("%s: %w: %v", name, ErrInput, err)
	}
	return in, nil
}

var csvRequired = []string{"encounter", "mrn", "provider_npi", "service_date", "diagnoses", "procedure"}

func parseChargesCSV(name string, r io.Reader) ([]EncounterInput, []int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s:1: %w: header: %v", name, ErrInput, err)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	var errs []error
	for _, c := range csvRequired {
		if _, ok := col[c]; !ok {
			errs = append(errs, &RowError{File: name, Line: 1, Column: c, Err: fmt.Errorf("%w: required column missing", ErrInput)})
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	var inputs []EncounterInput
	var firstLines []int
	index := make(map[string]int)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			errs = append(errs, &RowError{File: name, Line: line, Err: fmt.Errorf("%w: %v", ErrInput, err)})
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue
			}
			break
		}
		get := func(c string) string {
			i, ok := col[c]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		bad := func(c, format string, args ...any) {
			errs = append(errs, &RowError{File: name, Line: line, Column: c, Err: fmt.Errorf("%w: "+format, append([]any{ErrInput}, args...)...)})
		}
		key := get("encounter")
		if key == "" {
			bad("encounter", "required")
			continue
		}
		var l LineInput
		l.ProcedureCode = get("procedure")
		if l.ProcedureCode == "" {
			bad("procedure", "required")
		}
		l.Modifiers = splitList(get("modifiers"))
		for _, p := range splitList(get("pointers")) {
			n, err := strconv.Atoi(p)
			if err != nil {
				bad("pointers", "%q is not a number", p)
				continue
			}
			l.DiagnosisPointers = append(l.DiagnosisPointers, n)
		}
		if u := get("units"); u != "" {
			q, err := claim.ParseQuantity(u)
			if err != nil || q <= 0 {
				bad("units", "%q is not a positive number", u)
			}
			l.Units = q
		}
		if c := get("charge"); c != "" {
			cents, err := parseMoney(c)
			if err != nil || cents < 0 {
				bad("charge", "%q is not an amount like 125.00", c)
			}
			l.ChargeCents = cents
		}
		i, seen := index[key]
		if !seen {
			d, err := claim.ParseDate(get("service_date"))
			if err != nil {
				bad("service_date", "%q is not a date YYYY-MM-DD", get("service_date"))
			}
			in := EncounterInput{MRN: get("mrn"), ProviderNPI: get("provider_npi"), ServiceDate: d,
				PlaceOfService: get("place_of_service"), Diagnoses: splitList(get("diagnoses"))}
			index[key] = len(inputs)
			inputs = append(inputs, in)
			firstLines = append(firstLines, line)
			i = len(inputs) - 1
		} else if got := inputs[i]; get("mrn") != got.MRN || get("service_date") != got.ServiceDate.String() && get("service_date") != "" {
			bad("encounter", "encounter %q has another patient or date on an earlier row (line %d)", key, firstLines[i])
		}
		inputs[i].Lines = append(inputs[i].Lines, l)
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return inputs, firstLines, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ';' })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func normalizeDiagnoses(ds []string) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(d), ".", ""))
	}
	return out
}

func upper(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToUpper(strings.TrimSpace(s))
	}
	return out
}

func modSuffix(mods []string) string {
	if len(mods) == 0 {
		return ""
	}
	return "-" + strings.Join(mods, "-")
}

func dateOf(t time.Time) claim.Date { return claim.DateOf(t.UTC()) }
