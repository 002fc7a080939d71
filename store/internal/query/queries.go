package query

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/store"
)

// Queries implements store.Queries inside one transaction bound to a clinic.
type Queries struct {
	c      Conn
	d      Dialect
	clinic int64
	now    func() time.Time
	files  *filestore.Store
	fields *Fields
}

// New returns Queries over c for clinicID; now is the store's clock, files
// the file store that keeps interchange and inbound file bodies and fields
// the encryption of the protected columns (nil: off).
func New(c Conn, d Dialect, clinicID int64, now func() time.Time, files *filestore.Store, fields *Fields) *Queries {
	return &Queries{c: c, d: d, clinic: clinicID, now: now, files: files, fields: fields}
}

// Fields is the encryption of the protected columns.
func (q *Queries) Fields() *Fields { return q.fields }

// ClinicID is the transaction's clinic.
func (q *Queries) ClinicID() int64 { return q.clinic }

// Now is the store clock, truncated as stored.
func (q *Queries) Now() time.Time { return store.TruncateTime(q.now()) }

// check returns the transaction's clinic if id names it (or is zero).
func (q *Queries) check(id int64) (int64, error) {
	if id == 0 || id == q.clinic {
		return q.clinic, nil
	}
	return 0, fmt.Errorf("%w: params clinic %d, transaction clinic %d", store.ErrClinicMismatch, id, q.clinic)
}

// RequireClinic validates the ClinicID of a call that runs outside InTx (the
// bulk inserts), where zero cannot stand for the transaction's clinic.
func RequireClinic(id int64) error {
	if id <= 0 {
		return &store.FieldError{Field: "ClinicID (required)", Err: store.ErrInvalid}
	}
	return nil
}

func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return &store.FieldError{Field: field + " (required)", Err: store.ErrInvalid}
	}
	return nil
}

func oneOf[S ~string](field string, v S, allowed ...S) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return &store.FieldError{Field: fmt.Sprintf("%s (%q is not one of %s)", field, v, strings.Join(names, ", ")), Err: store.ErrInvalid}
}

// collect scans every row of a result.
func collect[T any](rows Rows, err error, scan func(Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func wrap(what string, id int64, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %d: %w", what, id, err)
}

func def[S ~string](v, d S) S {
	if v == "" {
		return d
	}
	return v
}

// Clinics.

const clinicCols = `id, name, npi, tax_id, submitter_id, address_line1, address_line2, city, state, postal_code, time_zone,
	taxonomy_code, contact_name, contact_phone, contact_email, profile, created_at, updated_at`

func scanClinic(r Row) (store.Clinic, error) {
	var c store.Clinic
	s := &c.ClinicSettings
	err := r.Scan(&c.ID, &c.Name, &c.NPI, &c.TaxID, &c.SubmitterID, &s.AddressLine1, &s.AddressLine2, &s.City, &s.State,
		&s.PostalCode, &s.TimeZone, &s.TaxonomyCode, &s.ContactName, &s.ContactPhone, &s.ContactEmail, &s.Profile,
		TS(&c.CreatedAt), TS(&c.UpdatedAt))
	return c, err
}

// settingsArgs are a clinic's settings in the column order of clinicCols.
func settingsArgs(s store.ClinicSettings) []any {
	return []any{s.AddressLine1, s.AddressLine2, s.City, s.State, s.PostalCode, s.TimeZone, s.TaxonomyCode, s.ContactName,
		s.ContactPhone, s.ContactEmail, s.Profile}
}

func checkSettings(s store.ClinicSettings) error {
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			return &store.FieldError{Field: fmt.Sprintf("TimeZone (%q is not an IANA time zone)", s.TimeZone), Err: store.ErrInvalid}
		}
	}
	return nil
}

// CreateClinic inserts a clinic with id (zero lets SQLite choose: NULL
// into an INTEGER PRIMARY KEY).
func CreateClinic(ctx context.Context, c Conn, id int64, now time.Time, p store.CreateClinicParams) (store.Clinic, error) {
	if err := required("Name", p.Name); err != nil {
		return store.Clinic{}, err
	}
	if err := checkSettings(p.ClinicSettings); err != nil {
		return store.Clinic{}, err
	}
	var idArg any
	if id != 0 {
		idArg = id
	}
	args := append([]any{idArg, p.Name, p.NPI, p.TaxID, p.SubmitterID, now}, settingsArgs(p.ClinicSettings)...)
	return scanClinic(c.QueryRow(ctx, `INSERT INTO clinics (id, name, npi, tax_id, submitter_id, created_at, updated_at,
		address_line1, address_line2, city, state, postal_code, time_zone, taxonomy_code, contact_name, contact_phone,
		contact_email, profile)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING `+clinicCols, args...))
}

// ListClinics lists clinics as the connection sees them.
func ListClinics(ctx context.Context, c Conn, from string) ([]store.Clinic, error) {
	rows, err := c.Query(ctx, "SELECT "+clinicCols+" FROM "+from+" ORDER BY id")
	return collect(rows, err, scanClinic)
}

func (q *Queries) GetClinic(ctx context.Context, p store.GetClinicParams) (store.Clinic, error) {
	id, err := q.check(p.ClinicID)
	if err != nil {
		return store.Clinic{}, err
	}
	c, err := scanClinic(q.c.QueryRow(ctx, "SELECT "+clinicCols+" FROM clinics WHERE id = $1", id))
	return c, wrap("clinic", id, err)
}

func (q *Queries) UpdateClinic(ctx context.Context, p store.UpdateClinicParams) (store.Clinic, error) {
	id, err := q.check(p.ClinicID)
	if err != nil {
		return store.Clinic{}, err
	}
	if err := required("Name", p.Name); err != nil {
		return store.Clinic{}, err
	}
	if err := checkSettings(p.ClinicSettings); err != nil {
		return store.Clinic{}, err
	}
	args := append([]any{id, p.Name, p.NPI, p.TaxID, p.SubmitterID, q.Now()}, settingsArgs(p.ClinicSettings)...)
	c, err := scanClinic(q.c.QueryRow(ctx, `UPDATE clinics SET name = $2, npi = $3, tax_id = $4, submitter_id = $5, updated_at = $6,
		address_line1 = $7, address_line2 = $8, city = $9, state = $10, postal_code = $11, time_zone = $12,
		taxonomy_code = $13, contact_name = $14, contact_phone = $15, contact_email = $16, profile = $17
		WHERE id = $1 RETURNING `+clinicCols, args...))
	return c, wrap("clinic", id, err)
}

// Providers.

const providerCols = "id, clinic_id, npi, first_name, last_name, organization_name, taxonomy_code, role, active, created_at, updated_at"

func scanProvider(r Row) (store.Provider, error) {
	var p store.Provider
	err := r.Scan(&p.ID, &p.ClinicID, &p.NPI, &p.FirstName, &p.LastName, &p.OrganizationName, &p.TaxonomyCode, &p.Role, &p.Active,
		TS(&p.CreatedAt), TS(&p.UpdatedAt))
	return p, err
}

func checkRole(role string) error {
	if role == "" {
		return nil
	}
	return oneOf("Role", role, store.ProviderRendering, store.ProviderBilling, store.ProviderBoth)
}

func (q *Queries) CreateProvider(ctx context.Context, p store.CreateProviderParams) (store.Provider, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Provider{}, err
	}
	if err := required("NPI", p.NPI); err != nil {
		return store.Provider{}, err
	}
	if err := checkRole(p.Role); err != nil {
		return store.Provider{}, err
	}
	return scanProvider(q.c.QueryRow(ctx, `INSERT INTO providers (clinic_id, npi, first_name, last_name, organization_name, taxonomy_code, role, active, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8, $8) RETURNING `+providerCols,
		cid, p.NPI, p.FirstName, p.LastName, p.OrganizationName, p.TaxonomyCode, def(p.Role, store.ProviderRendering), q.Now()))
}

func (q *Queries) GetProvider(ctx context.Context, ref store.Ref) (store.Provider, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Provider{}, err
	}
	p, err := scanProvider(q.c.QueryRow(ctx, "SELECT "+providerCols+" FROM providers WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return p, wrap("provider", ref.ID, err)
}

func (q *Queries) ListProviders(ctx context.Context, p store.ListProvidersParams) ([]store.Provider, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + providerCols + " FROM providers")
	b.cond("clinic_id = ?", cid)
	if p.ActiveOnly {
		b.cond("active = ?", true)
	}
	b.add(" ORDER BY id")
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanProvider)
}

func (q *Queries) UpdateProvider(ctx context.Context, p store.UpdateProviderParams) (store.Provider, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Provider{}, err
	}
	if err := required("NPI", p.NPI); err != nil {
		return store.Provider{}, err
	}
	if err := checkRole(p.Role); err != nil {
		return store.Provider{}, err
	}
	v, err := scanProvider(q.c.QueryRow(ctx, `UPDATE providers SET npi = $3, first_name = $4, last_name = $5, organization_name = $6,
		taxonomy_code = $7, active = $8, updated_at = $9, role = COALESCE(NULLIF($10, ''), role)
		WHERE clinic_id = $1 AND id = $2 RETURNING `+providerCols,
		cid, p.ID, p.NPI, p.FirstName, p.LastName, p.OrganizationName, p.TaxonomyCode, p.Active, q.Now(), p.Role))
	return v, wrap("provider", p.ID, err)
}

// Payers.

const payerCols = `id, clinic_id, payer_id, name, receiver_id, claim_filing_code, enrollment_837, enrollment_835, enrollment_270,
	active, created_at, updated_at`

func scanPayer(r Row) (store.Payer, error) {
	var p store.Payer
	e := &p.Enrollment
	err := r.Scan(&p.ID, &p.ClinicID, &p.PayerID, &p.Name, &p.ReceiverID, &p.ClaimFilingCode, &e.Claims, &e.Remittance, &e.Eligibility,
		&p.Active, TS(&p.CreatedAt), TS(&p.UpdatedAt))
	return p, err
}

func checkEnrollment(e store.Enrollment) error {
	for _, f := range [][2]string{{"Enrollment.Claims", e.Claims}, {"Enrollment.Remittance", e.Remittance}, {"Enrollment.Eligibility", e.Eligibility}} {
		if f[1] == "" {
			continue
		}
		if err := oneOf(f[0], f[1], store.EnrollmentNone, store.EnrollmentPending, store.EnrollmentEnrolled, store.EnrollmentRejected); err != nil {
			return err
		}
	}
	return nil
}

func (q *Queries) CreatePayer(ctx context.Context, p store.CreatePayerParams) (store.Payer, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Payer{}, err
	}
	if err := required("PayerID", p.PayerID); err != nil {
		return store.Payer{}, err
	}
	if err := required("Name", p.Name); err != nil {
		return store.Payer{}, err
	}
	if err := checkEnrollment(p.Enrollment); err != nil {
		return store.Payer{}, err
	}
	e := p.Enrollment
	v, err := scanPayer(q.c.QueryRow(ctx, `INSERT INTO payers (clinic_id, payer_id, name, receiver_id, claim_filing_code,
		enrollment_837, enrollment_835, enrollment_270, active, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9, $9) RETURNING `+payerCols,
		cid, p.PayerID, p.Name, p.ReceiverID, p.ClaimFilingCode, def(e.Claims, store.EnrollmentNone),
		def(e.Remittance, store.EnrollmentNone), def(e.Eligibility, store.EnrollmentNone), q.Now()))
	if err != nil {
		return v, fmt.Errorf("payer %q: %w", p.PayerID, err)
	}
	return v, nil
}

func (q *Queries) GetPayer(ctx context.Context, ref store.Ref) (store.Payer, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Payer{}, err
	}
	p, err := scanPayer(q.c.QueryRow(ctx, "SELECT "+payerCols+" FROM payers WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return p, wrap("payer", ref.ID, err)
}

func (q *Queries) GetPayerByPayerID(ctx context.Context, p store.GetPayerByPayerIDParams) (store.Payer, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Payer{}, err
	}
	v, err := scanPayer(q.c.QueryRow(ctx, "SELECT "+payerCols+" FROM payers WHERE clinic_id = $1 AND payer_id = $2", cid, p.PayerID))
	if err != nil {
		return v, fmt.Errorf("payer %q: %w", p.PayerID, err)
	}
	return v, nil
}

func (q *Queries) ListPayers(ctx context.Context, p store.ListPayersParams) ([]store.Payer, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + payerCols + " FROM payers")
	b.cond("clinic_id = ?", cid)
	if p.ActiveOnly {
		b.cond("active = ?", true)
	}
	b.add(" ORDER BY id")
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanPayer)
}

func (q *Queries) UpdatePayer(ctx context.Context, p store.UpdatePayerParams) (store.Payer, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Payer{}, err
	}
	if err := required("PayerID", p.PayerID); err != nil {
		return store.Payer{}, err
	}
	if err := required("Name", p.Name); err != nil {
		return store.Payer{}, err
	}
	if err := checkEnrollment(p.Enrollment); err != nil {
		return store.Payer{}, err
	}
	e := p.Enrollment
	v, err := scanPayer(q.c.QueryRow(ctx, `UPDATE payers SET payer_id = $3, name = $4, receiver_id = $5, claim_filing_code = $6,
		active = $7, updated_at = $8, enrollment_837 = COALESCE(NULLIF($9, ''), enrollment_837),
		enrollment_835 = COALESCE(NULLIF($10, ''), enrollment_835), enrollment_270 = COALESCE(NULLIF($11, ''), enrollment_270)
		WHERE clinic_id = $1 AND id = $2 RETURNING `+payerCols,
		cid, p.ID, p.PayerID, p.Name, p.ReceiverID, p.ClaimFilingCode, p.Active, q.Now(), e.Claims, e.Remittance, e.Eligibility))
	return v, wrap("payer", p.ID, err)
}

// Payer usage (ISA15 per clinic and payer).

const payerUsageCols = `clinic_id, payer_id, usage_indicator, checked_at, changed_at, changed_by`

func scanPayerUsage(r Row) (store.PayerUsage, error) {
	var u store.PayerUsage
	err := r.Scan(&u.ClinicID, &u.PayerID, &u.Usage, NullTS(&u.CheckedAt), TS(&u.ChangedAt), &u.ChangedBy)
	return u, err
}

func (q *Queries) GetPayerUsage(ctx context.Context, ref store.Ref) (store.PayerUsage, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.PayerUsage{}, err
	}
	u, err := scanPayerUsage(q.c.QueryRow(ctx, "SELECT "+payerUsageCols+" FROM payer_usage WHERE clinic_id = $1 AND payer_id = $2", cid, ref.ID))
	return u, wrap("usage of payer", ref.ID, err)
}

func (q *Queries) SetPayerUsage(ctx context.Context, p store.SetPayerUsageParams) (store.PayerUsage, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.PayerUsage{}, err
	}
	if err := oneOf("Usage", p.Usage, store.UsageTest, store.UsageProduction); err != nil {
		return store.PayerUsage{}, err
	}
	var checked any
	if p.CheckedAt != nil {
		checked = store.TruncateTime(*p.CheckedAt)
	}
	u, err := scanPayerUsage(q.c.QueryRow(ctx, `INSERT INTO payer_usage (clinic_id, payer_id, usage_indicator, checked_at, changed_at, changed_by)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (clinic_id, payer_id) DO UPDATE SET usage_indicator = excluded.usage_indicator, checked_at = excluded.checked_at,
			changed_at = excluded.changed_at, changed_by = excluded.changed_by
		RETURNING `+payerUsageCols, cid, p.PayerID, p.Usage, checked, q.Now(), p.ChangedBy))
	return u, wrap("usage of payer", p.PayerID, err)
}

// Patients.

const patientCols = `id, clinic_id, mrn, first_name, last_name, birth_date, sex, address_line1, address_line2, city, state,
	postal_code, phone, email, guarantor_name, guarantor_relationship, merged_into, created_at, updated_at`

func (q *Queries) scanPatient(r Row) (store.Patient, error) {
	var p store.Patient
	err := r.Scan(&p.ID, &p.ClinicID, &p.MRN, q.text("patients.first_name", &p.FirstName), q.text("patients.last_name", &p.LastName),
		q.date("patients.birth_date", &p.BirthDate), &p.Sex, q.text("patients.address_line1", &p.AddressLine1),
		q.text("patients.address_line2", &p.AddressLine2), q.text("patients.city", &p.City), &p.State,
		q.text("patients.postal_code", &p.PostalCode), q.text("patients.phone", &p.Phone), q.text("patients.email", &p.Email),
		q.text("patients.guarantor_name", &p.GuarantorName), &p.GuarantorRelationship, &p.MergedInto, TS(&p.CreatedAt),
		TS(&p.UpdatedAt))
	return p, err
}

// patientArgs are a patient's protected values, sealed, and their hashes,
// in the order of the columns first_name, last_name, birth_date,
// address_line1, address_line2, city, postal_code, phone, email,
// guarantor_name, birth_date_hash, last_name_hash.
func (q *Queries) patientArgs(first, last string, birth time.Time, addr1, addr2, city, postal, phone, email, guarantor string) ([]any, error) {
	s := q.sealer()
	args := []any{s.text("patients.first_name", first), s.text("patients.last_name", last), s.date("patients.birth_date", birth),
		s.text("patients.address_line1", addr1), s.text("patients.address_line2", addr2), s.text("patients.city", city),
		s.text("patients.postal_code", postal), s.text("patients.phone", phone), s.text("patients.email", email),
		s.text("patients.guarantor_name", guarantor), s.hash("patients.birth_date", birthKey(birth)),
		s.hash("patients.last_name", nameKey(last))}
	return args, s.err
}

// birthKey and nameKey are what the look-ups hash: the date as
// YYYY-MM-DD, the last name in lower case.
func birthKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.TruncateDate(t).Format(SQLiteDateLayout)
}

func nameKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (q *Queries) CreatePatient(ctx context.Context, p store.CreatePatientParams) (store.Patient, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Patient{}, err
	}
	for _, f := range [][2]string{{"MRN", p.MRN}, {"FirstName", p.FirstName}, {"LastName", p.LastName}} {
		if err := required(f[0], f[1]); err != nil {
			return store.Patient{}, err
		}
	}
	sealed, err := q.patientArgs(p.FirstName, p.LastName, p.BirthDate, p.AddressLine1, p.AddressLine2, p.City, p.PostalCode,
		p.Phone, p.Email, p.GuarantorName)
	if err != nil {
		return store.Patient{}, fmt.Errorf("patient MRN %q: %w", p.MRN, err)
	}
	v, err := q.scanPatient(q.c.QueryRow(ctx, `INSERT INTO patients (clinic_id, mrn, sex, state, guarantor_relationship,
		created_at, updated_at, first_name, last_name, birth_date, address_line1, address_line2, city, postal_code, phone,
		email, guarantor_name, birth_date_hash, last_name_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING `+patientCols,
		append([]any{cid, p.MRN, p.Sex, p.State, p.GuarantorRelationship, q.Now()}, sealed...)...))
	if err != nil {
		return v, fmt.Errorf("patient MRN %q: %w", p.MRN, err)
	}
	return v, nil
}

func (q *Queries) GetPatient(ctx context.Context, ref store.Ref) (store.Patient, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Patient{}, err
	}
	p, err := q.scanPatient(q.c.QueryRow(ctx, "SELECT "+patientCols+" FROM patients WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return p, wrap("patient", ref.ID, err)
}

func (q *Queries) ListPatients(ctx context.Context, p store.ListPatientsParams) ([]store.Patient, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	sealed := q.fields.On()
	var b builder
	b.add("SELECT " + patientCols + " FROM patients")
	b.cond("clinic_id = ?", cid)
	if p.MRN != "" {
		b.cond("mrn = ?", p.MRN)
	}
	// Sealed rows are found by their keyed hashes; rows from before
	// encryption was on (until migrate seals them) by their clear values.
	if !p.BirthDate.IsZero() {
		if sealed {
			b.cond("(birth_date_hash = ? OR birth_date = ?)", q.sealer().hash("patients.birth_date", birthKey(p.BirthDate)), birthKey(p.BirthDate))
		} else {
			b.cond("birth_date = ?", birthKey(p.BirthDate))
		}
	}
	if p.LastName != "" {
		if sealed {
			b.cond("(last_name_hash = ? OR lower(last_name) = ?)", q.sealer().hash("patients.last_name", nameKey(p.LastName)), nameKey(p.LastName))
		} else {
			b.cond("lower(last_name) = ?", nameKey(p.LastName))
		}
	}
	if p.Name != "" && sealed {
		// A name prefix cannot be looked up in sealed values: the rows the
		// other conditions select are opened and matched here, a chunk at
		// a time, until the limit is reached.
		return q.listPatientsByPrefix(ctx, &b, p)
	}
	if p.Name != "" {
		prefix := strings.ToLower(escapeLike(p.Name)) + "%"
		b.cond(`(lower(last_name) LIKE ? ESCAPE '\' OR lower(first_name) LIKE ? ESCAPE '\')`, prefix, prefix)
	}
	if p.AfterID > 0 {
		b.cond("id > ?", p.AfterID)
	}
	b.add(" ORDER BY id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, q.scanPatient)
}

// prefixChunk is how many patients a name-prefix search opens per query.
const prefixChunk = 1000

func (q *Queries) listPatientsByPrefix(ctx context.Context, base *builder, p store.ListPatientsParams) ([]store.Patient, error) {
	prefix := strings.ToLower(p.Name)
	var out []store.Patient
	after := p.AfterID
	next := "$" + strconv.Itoa(len(base.args)+1)
	sql := base.String() + " AND id > " + next + " ORDER BY id LIMIT " + strconv.Itoa(prefixChunk)
	for {
		rows, err := q.c.Query(ctx, sql, append(base.args[:len(base.args):len(base.args)], after)...)
		chunk, err := collect(rows, err, q.scanPatient)
		if err != nil {
			return nil, err
		}
		for _, pt := range chunk {
			if strings.HasPrefix(strings.ToLower(pt.LastName), prefix) || strings.HasPrefix(strings.ToLower(pt.FirstName), prefix) {
				out = append(out, pt)
				if p.Limit > 0 && len(out) == p.Limit {
					return out, nil
				}
			}
		}
		if len(chunk) < prefixChunk {
			return out, nil
		}
		after = chunk[len(chunk)-1].ID
	}
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (q *Queries) UpdatePatient(ctx context.Context, p store.UpdatePatientParams) (store.Patient, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Patient{}, err
	}
	for _, f := range [][2]string{{"MRN", p.MRN}, {"FirstName", p.FirstName}, {"LastName", p.LastName}} {
		if err := required(f[0], f[1]); err != nil {
			return store.Patient{}, err
		}
	}
	sealed, err := q.patientArgs(p.FirstName, p.LastName, p.BirthDate, p.AddressLine1, p.AddressLine2, p.City, p.PostalCode,
		p.Phone, p.Email, p.GuarantorName)
	if err != nil {
		return store.Patient{}, wrap("patient", p.ID, err)
	}
	v, err := q.scanPatient(q.c.QueryRow(ctx, `UPDATE patients SET mrn = $3, sex = $4, state = $5, guarantor_relationship = $6,
		updated_at = $7, first_name = $8, last_name = $9, birth_date = $10, address_line1 = $11, address_line2 = $12, city = $13,
		postal_code = $14, phone = $15, email = $16, guarantor_name = $17, birth_date_hash = $18, last_name_hash = $19
		WHERE clinic_id = $1 AND id = $2 RETURNING `+patientCols,
		append([]any{cid, p.ID, p.MRN, p.Sex, p.State, p.GuarantorRelationship, q.Now()}, sealed...)...))
	return v, wrap("patient", p.ID, err)
}

// Coverages.

const coverageCols = `id, clinic_id, patient_id, payer_id, member_id, group_number, priority, relationship_code,
	subscriber_first, subscriber_last, subscriber_birth, effective_from, effective_to, eligibility_status,
	eligibility_checked_at, benefits, created_at, updated_at`

func (q *Queries) scanCoverage(r Row) (store.Coverage, error) {
	var c store.Coverage
	err := r.Scan(&c.ID, &c.ClinicID, &c.PatientID, &c.PayerID, q.text("coverages.member_id", &c.MemberID), &c.GroupNumber, &c.Priority,
		&c.RelationshipCode, q.text("coverages.subscriber_first", &c.SubscriberFirst), q.text("coverages.subscriber_last", &c.SubscriberLast),
		q.date("coverages.subscriber_birth", &c.SubscriberBirth), TS(&c.EffectiveFrom), TS(&c.EffectiveTo),
		&c.EligibilityStatus, NullTS(&c.EligibilityChecked), JSON(&c.Benefits), TS(&c.CreatedAt), TS(&c.UpdatedAt))
	return c, err
}

// coverageArgs are a coverage's protected values, sealed, and the member
// ID's hash: member_id, subscriber_first, subscriber_last,
// subscriber_birth, member_id_hash.
func (q *Queries) coverageArgs(member, first, last string, birth time.Time) ([]any, error) {
	s := q.sealer()
	args := []any{s.text("coverages.member_id", member), s.text("coverages.subscriber_first", first),
		s.text("coverages.subscriber_last", last), s.date("coverages.subscriber_birth", birth), s.hash("coverages.member_id", member)}
	return args, s.err
}

func (q *Queries) CreateCoverage(ctx context.Context, p store.CreateCoverageParams) (store.Coverage, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Coverage{}, err
	}
	if err := required("MemberID", p.MemberID); err != nil {
		return store.Coverage{}, err
	}
	if p.Priority == 0 {
		p.Priority = 1
	}
	sealed, err := q.coverageArgs(p.MemberID, p.SubscriberFirst, p.SubscriberLast, p.SubscriberBirth)
	if err != nil {
		return store.Coverage{}, err
	}
	return q.scanCoverage(q.c.QueryRow(ctx, `INSERT INTO coverages (clinic_id, patient_id, payer_id, group_number,
		priority, relationship_code, effective_from, effective_to, eligibility_status, benefits, created_at, updated_at,
		member_id, subscriber_first, subscriber_last, subscriber_birth, member_id_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16) RETURNING `+coverageCols,
		append([]any{cid, p.PatientID, p.PayerID, p.GroupNumber, p.Priority, p.RelationshipCode, Date(p.EffectiveFrom),
			Date(p.EffectiveTo), store.EligibilityUnknown, json.RawMessage("{}"), q.Now()}, sealed...)...))
}

func (q *Queries) GetCoverage(ctx context.Context, ref store.Ref) (store.Coverage, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Coverage{}, err
	}
	c, err := q.scanCoverage(q.c.QueryRow(ctx, "SELECT "+coverageCols+" FROM coverages WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return c, wrap("coverage", ref.ID, err)
}

func (q *Queries) ListCoverages(ctx context.Context, p store.ListCoveragesParams) ([]store.Coverage, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + coverageCols + " FROM coverages")
	b.cond("clinic_id = ?", cid)
	if p.PatientID != 0 {
		b.cond("patient_id = ?", p.PatientID)
	}
	if p.PayerID != 0 {
		b.cond("payer_id = ?", p.PayerID)
	}
	if p.MemberID != "" {
		if h := q.sealer().hash("coverages.member_id", p.MemberID); h != nil {
			// Rows sealed carry the hash; rows from before encryption was
			// on (until migrate seals them) the clear value.
			b.cond("(member_id_hash = ? OR member_id = ?)", h, p.MemberID)
		} else {
			b.cond("member_id = ?", p.MemberID)
		}
	}
	b.add(" ORDER BY patient_id, priority, id")
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, q.scanCoverage)
}

func (q *Queries) UpdateCoverage(ctx context.Context, p store.UpdateCoverageParams) (store.Coverage, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Coverage{}, err
	}
	if err := required("MemberID", p.MemberID); err != nil {
		return store.Coverage{}, err
	}
	if p.Priority == 0 {
		p.Priority = 1
	}
	sealed, err := q.coverageArgs(p.MemberID, p.SubscriberFirst, p.SubscriberLast, p.SubscriberBirth)
	if err != nil {
		return store.Coverage{}, wrap("coverage", p.ID, err)
	}
	c, err := q.scanCoverage(q.c.QueryRow(ctx, `UPDATE coverages SET payer_id = $3, group_number = $4, priority = $5,
		relationship_code = $6, effective_from = $7, effective_to = $8, updated_at = $9, member_id = $10,
		subscriber_first = $11, subscriber_last = $12, subscriber_birth = $13, member_id_hash = $14
		WHERE clinic_id = $1 AND id = $2 RETURNING `+coverageCols,
		append([]any{cid, p.ID, p.PayerID, p.GroupNumber, p.Priority, p.RelationshipCode, Date(p.EffectiveFrom),
			Date(p.EffectiveTo), q.Now()}, sealed...)...))
	return c, wrap("coverage", p.ID, err)
}

func (q *Queries) RecordEligibility(ctx context.Context, p store.RecordEligibilityParams) (store.Coverage, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Coverage{}, err
	}
	if err := oneOf("Status", p.Status, store.EligibilityUnknown, store.EligibilityActive, store.EligibilityInactive); err != nil {
		return store.Coverage{}, err
	}
	benefits, err := docArg("Benefits", p.Benefits, "{}")
	if err != nil {
		return store.Coverage{}, err
	}
	checked := p.CheckedAt
	if checked.IsZero() {
		checked = q.Now()
	}
	c, err := q.scanCoverage(q.c.QueryRow(ctx, `UPDATE coverages SET eligibility_status = $3, eligibility_checked_at = $4,
		benefits = $5, updated_at = $6 WHERE clinic_id = $1 AND id = $2 RETURNING `+coverageCols,
		cid, p.CoverageID, p.Status, checked, benefits, q.Now()))
	return c, wrap("coverage", p.CoverageID, err)
}
