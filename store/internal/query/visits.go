package query

import (
	"context"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// Appointments.

const appointmentCols = `id, clinic_id, patient_id, provider_id, coverage_id, starts_at, ends_at, status, reason, created_at, updated_at, booked_at`

func scanAppointment(r Row) (store.Appointment, error) {
	var a store.Appointment
	var booked *time.Time
	err := r.Scan(&a.ID, &a.ClinicID, &a.PatientID, &a.ProviderID, &a.CoverageID, TS(&a.StartsAt), TS(&a.EndsAt), &a.Status,
		&a.Reason, TS(&a.CreatedAt), TS(&a.UpdatedAt), NullTS(&booked))
	a.BookedAt = a.CreatedAt
	if booked != nil {
		a.BookedAt = *booked
	}
	return a, err
}

var appointmentStatuses = []string{store.AppointmentBooked, store.AppointmentCheckedIn, store.AppointmentCompleted,
	store.AppointmentNoShow, store.AppointmentCancelled}

func (q *Queries) CreateAppointment(ctx context.Context, p store.CreateAppointmentParams) (store.Appointment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Appointment{}, err
	}
	p.Status = def(p.Status, store.AppointmentBooked)
	if err := oneOf("Status", p.Status, appointmentStatuses...); err != nil {
		return store.Appointment{}, err
	}
	if p.StartsAt.IsZero() || p.EndsAt.Before(p.StartsAt) {
		return store.Appointment{}, &store.FieldError{Field: "StartsAt/EndsAt", Err: store.ErrInvalid}
	}
	var booked *time.Time
	if !p.BookedAt.IsZero() {
		booked = &p.BookedAt
	}
	return scanAppointment(q.c.QueryRow(ctx, `INSERT INTO appointments (clinic_id, patient_id, provider_id, coverage_id,
		starts_at, ends_at, status, reason, created_at, updated_at, booked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING `+appointmentCols,
		cid, p.PatientID, p.ProviderID, p.CoverageID, p.StartsAt, p.EndsAt, p.Status, p.Reason, q.Now(), booked))
}

func (q *Queries) GetAppointment(ctx context.Context, ref store.Ref) (store.Appointment, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Appointment{}, err
	}
	a, err := scanAppointment(q.c.QueryRow(ctx, "SELECT "+appointmentCols+" FROM appointments WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return a, wrap("appointment", ref.ID, err)
}

func (q *Queries) ListAppointments(ctx context.Context, p store.ListAppointmentsParams) ([]store.Appointment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + appointmentCols + " FROM appointments")
	b.cond("clinic_id = ?", cid)
	if !p.From.IsZero() {
		b.cond("starts_at >= ?", convertTime(q.d, p.From))
	}
	if !p.To.IsZero() {
		b.cond("starts_at < ?", convertTime(q.d, p.To))
	}
	if p.ProviderID != 0 {
		b.cond("provider_id = ?", p.ProviderID)
	}
	if p.PatientID != 0 {
		b.cond("patient_id = ?", p.PatientID)
	}
	b.in("status", p.Statuses)
	b.add(" ORDER BY starts_at, id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanAppointment)
}

func (q *Queries) UpdateAppointment(ctx context.Context, p store.UpdateAppointmentParams) (store.Appointment, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Appointment{}, err
	}
	if err := oneOf("Status", p.Status, appointmentStatuses...); err != nil {
		return store.Appointment{}, err
	}
	if p.StartsAt.IsZero() || p.EndsAt.Before(p.StartsAt) {
		return store.Appointment{}, &store.FieldError{Field: "StartsAt/EndsAt", Err: store.ErrInvalid}
	}
	a, err := scanAppointment(q.c.QueryRow(ctx, `UPDATE appointments SET provider_id = $3, coverage_id = $4, starts_at = $5,
		ends_at = $6, status = $7, reason = $8, updated_at = $9 WHERE clinic_id = $1 AND id = $2 RETURNING `+appointmentCols,
		cid, p.ID, p.ProviderID, p.CoverageID, p.StartsAt, p.EndsAt, p.Status, p.Reason, q.Now()))
	return a, wrap("appointment", p.ID, err)
}

// Encounters.

const encounterCols = `id, clinic_id, patient_id, provider_id, appointment_id, coverage_id, service_date, place_of_service,
	diagnosis_codes, status, created_at, updated_at`

func scanEncounter(r Row) (store.Encounter, error) {
	var e store.Encounter
	err := r.Scan(&e.ID, &e.ClinicID, &e.PatientID, &e.ProviderID, &e.AppointmentID, &e.CoverageID, TS(&e.ServiceDate),
		&e.PlaceOfService, List(&e.DiagnosisCodes), &e.Status, TS(&e.CreatedAt), TS(&e.UpdatedAt))
	return e, err
}

var encounterStatuses = []string{store.EncounterOpen, store.EncounterReady, store.EncounterBilled}

func (q *Queries) CreateEncounter(ctx context.Context, p store.CreateEncounterParams) (store.Encounter, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Encounter{}, err
	}
	p.Status = def(p.Status, store.EncounterOpen)
	if err := oneOf("Status", p.Status, encounterStatuses...); err != nil {
		return store.Encounter{}, err
	}
	if p.ServiceDate.IsZero() {
		return store.Encounter{}, &store.FieldError{Field: "ServiceDate (required)", Err: store.ErrInvalid}
	}
	return scanEncounter(q.c.QueryRow(ctx, `INSERT INTO encounters (clinic_id, patient_id, provider_id, appointment_id,
		coverage_id, service_date, place_of_service, diagnosis_codes, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING `+encounterCols,
		cid, p.PatientID, p.ProviderID, p.AppointmentID, p.CoverageID, Date(p.ServiceDate), p.PlaceOfService,
		listArg(p.DiagnosisCodes), p.Status, q.Now()))
}

func (q *Queries) GetEncounter(ctx context.Context, ref store.Ref) (store.Encounter, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Encounter{}, err
	}
	e, err := scanEncounter(q.c.QueryRow(ctx, "SELECT "+encounterCols+" FROM encounters WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return e, wrap("encounter", ref.ID, err)
}

func (q *Queries) ListEncounters(ctx context.Context, p store.ListEncountersParams) ([]store.Encounter, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + encounterCols + " FROM encounters")
	b.cond("clinic_id = ?", cid)
	if p.PatientID != 0 {
		b.cond("patient_id = ?", p.PatientID)
	}
	b.in("status", p.Statuses)
	if !p.From.IsZero() {
		b.cond("service_date >= ?", ConvertArgs(q.d, []any{Date(p.From)})[0])
	}
	if !p.To.IsZero() {
		b.cond("service_date <= ?", ConvertArgs(q.d, []any{Date(p.To)})[0])
	}
	b.add(" ORDER BY service_date, id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanEncounter)
}

func (q *Queries) UpdateEncounter(ctx context.Context, p store.UpdateEncounterParams) (store.Encounter, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Encounter{}, err
	}
	if err := oneOf("Status", p.Status, encounterStatuses...); err != nil {
		return store.Encounter{}, err
	}
	e, err := scanEncounter(q.c.QueryRow(ctx, `UPDATE encounters SET provider_id = $3, coverage_id = $4, service_date = $5,
		place_of_service = $6, diagnosis_codes = $7, status = $8, updated_at = $9
		WHERE clinic_id = $1 AND id = $2 RETURNING `+encounterCols,
		cid, p.ID, p.ProviderID, p.CoverageID, Date(p.ServiceDate), p.PlaceOfService, listArg(p.DiagnosisCodes), p.Status, q.Now()))
	return e, wrap("encounter", p.ID, err)
}

// Charges.

const chargeCols = `id, clinic_id, encounter_id, line_number, procedure_code, modifiers, diagnosis_pointers, units_milli,
	charge_cents, service_date, place_of_service, claim_id, created_at, updated_at`

func scanCharge(r Row) (store.Charge, error) {
	var c store.Charge
	err := r.Scan(&c.ID, &c.ClinicID, &c.EncounterID, &c.LineNumber, &c.ProcedureCode, List(&c.Modifiers),
		List(&c.DiagnosisPointers), &c.UnitsMilli, &c.ChargeCents, TS(&c.ServiceDate), &c.PlaceOfService, &c.ClaimID,
		TS(&c.CreatedAt), TS(&c.UpdatedAt))
	return c, err
}

func (q *Queries) CreateCharge(ctx context.Context, p store.CreateChargeParams) (store.Charge, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Charge{}, err
	}
	if err := required("ProcedureCode", p.ProcedureCode); err != nil {
		return store.Charge{}, err
	}
	if p.UnitsMilli == 0 {
		p.UnitsMilli = 1000
	}
	if p.ChargeCents < 0 || p.UnitsMilli < 0 {
		return store.Charge{}, &store.FieldError{Field: "ChargeCents/UnitsMilli (negative)", Err: store.ErrInvalid}
	}
	return scanCharge(q.c.QueryRow(ctx, `INSERT INTO charges (clinic_id, encounter_id, line_number, procedure_code, modifiers,
		diagnosis_pointers, units_milli, charge_cents, service_date, place_of_service, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING `+chargeCols,
		cid, p.EncounterID, p.LineNumber, p.ProcedureCode, listArg(p.Modifiers), listArg(p.DiagnosisPointers), p.UnitsMilli,
		p.ChargeCents, Date(p.ServiceDate), p.PlaceOfService, q.Now()))
}

func (q *Queries) GetCharge(ctx context.Context, ref store.Ref) (store.Charge, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.Charge{}, err
	}
	c, err := scanCharge(q.c.QueryRow(ctx, "SELECT "+chargeCols+" FROM charges WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return c, wrap("charge", ref.ID, err)
}

func (q *Queries) ListCharges(ctx context.Context, p store.ListChargesParams) ([]store.Charge, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + chargeCols + " FROM charges")
	b.cond("clinic_id = ?", cid)
	if p.EncounterID != 0 {
		b.cond("encounter_id = ?", p.EncounterID)
	}
	if p.ClaimID != 0 {
		b.cond("claim_id = ?", p.ClaimID)
	}
	if p.Unbilled {
		b.cond("claim_id IS NULL")
	}
	b.add(" ORDER BY encounter_id, line_number, id")
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanCharge)
}

func (q *Queries) UpdateCharge(ctx context.Context, p store.UpdateChargeParams) (store.Charge, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.Charge{}, err
	}
	if err := required("ProcedureCode", p.ProcedureCode); err != nil {
		return store.Charge{}, err
	}
	if p.UnitsMilli == 0 {
		p.UnitsMilli = 1000
	}
	c, err := scanCharge(q.c.QueryRow(ctx, `UPDATE charges SET procedure_code = $3, modifiers = $4, diagnosis_pointers = $5,
		units_milli = $6, charge_cents = $7, service_date = $8, place_of_service = $9, claim_id = $10, updated_at = $11
		WHERE clinic_id = $1 AND id = $2 RETURNING `+chargeCols,
		cid, p.ID, p.ProcedureCode, listArg(p.Modifiers), listArg(p.DiagnosisPointers), p.UnitsMilli, p.ChargeCents,
		Date(p.ServiceDate), p.PlaceOfService, p.ClaimID, q.Now()))
	return c, wrap("charge", p.ID, err)
}
