package query

import (
	"context"
	"errors"
	"fmt"

	"github.com/clearhouse/clearhouse/store"
)

// Reminder outbox, reminder preferences and prediction models.

const reminderCols = `id, clinic_id, appointment_id, patient_id, purpose, dedupe_key, starts_at, due_at, status, channel, risk,
	attempts, last_error, message_id, sent_at, confirmed_at, created_at, updated_at`

func scanReminder(r Row) (store.ReminderMessage, error) {
	var m store.ReminderMessage
	err := r.Scan(&m.ID, &m.ClinicID, &m.AppointmentID, &m.PatientID, &m.Purpose, &m.DedupeKey, TS(&m.StartsAt), TS(&m.DueAt),
		&m.Status, &m.Channel, &m.Risk, &m.Attempts, &m.LastError, &m.MessageID, NullTS(&m.SentAt), NullTS(&m.ConfirmedAt),
		TS(&m.CreatedAt), TS(&m.UpdatedAt))
	return m, err
}

func (q *Queries) CreateReminderMessage(ctx context.Context, p store.CreateReminderMessageParams) (store.ReminderMessage, bool, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.ReminderMessage{}, false, err
	}
	if err := errors.Join(required("Purpose", p.Purpose), required("DedupeKey", p.DedupeKey)); err != nil {
		return store.ReminderMessage{}, false, err
	}
	if p.StartsAt.IsZero() || p.DueAt.IsZero() {
		return store.ReminderMessage{}, false, &store.FieldError{Field: "StartsAt/DueAt (required)", Err: store.ErrInvalid}
	}
	m, err := scanReminder(q.c.QueryRow(ctx, `INSERT INTO reminder_outbox (clinic_id, appointment_id, patient_id, purpose,
		dedupe_key, starts_at, due_at, status, risk, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
		ON CONFLICT (clinic_id, dedupe_key) DO NOTHING RETURNING `+reminderCols,
		cid, p.AppointmentID, p.PatientID, p.Purpose, p.DedupeKey, p.StartsAt, p.DueAt, store.ReminderPending, p.Risk, q.Now()))
	if err == nil {
		return m, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return m, false, fmt.Errorf("reminder %q: %w", p.DedupeKey, err)
	}
	m, err = scanReminder(q.c.QueryRow(ctx, "SELECT "+reminderCols+" FROM reminder_outbox WHERE clinic_id = $1 AND dedupe_key = $2", cid, p.DedupeKey))
	if err != nil {
		return m, false, fmt.Errorf("reminder %q: %w", p.DedupeKey, err)
	}
	return m, false, nil
}

func (q *Queries) GetReminderMessage(ctx context.Context, ref store.Ref) (store.ReminderMessage, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.ReminderMessage{}, err
	}
	m, err := scanReminder(q.c.QueryRow(ctx, "SELECT "+reminderCols+" FROM reminder_outbox WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return m, wrap("reminder", ref.ID, err)
}

func (q *Queries) ListReminderMessages(ctx context.Context, p store.ListReminderMessagesParams) ([]store.ReminderMessage, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + reminderCols + " FROM reminder_outbox")
	b.cond("clinic_id = ?", cid)
	if p.AppointmentID != 0 {
		b.cond("appointment_id = ?", p.AppointmentID)
	}
	if p.PatientID != 0 {
		b.cond("patient_id = ?", p.PatientID)
	}
	if !p.DueFrom.IsZero() {
		b.cond("due_at >= ?", convertTime(q.d, p.DueFrom))
	}
	if !p.DueTo.IsZero() {
		b.cond("due_at < ?", convertTime(q.d, p.DueTo))
	}
	b.in("status", p.Statuses)
	b.in("purpose", p.Purposes)
	b.add(" ORDER BY due_at, id")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanReminder)
}

func (q *Queries) UpdateReminderMessage(ctx context.Context, p store.UpdateReminderMessageParams) (store.ReminderMessage, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.ReminderMessage{}, err
	}
	if err := oneOf("Status", p.Status, store.ReminderStatuses...); err != nil {
		return store.ReminderMessage{}, err
	}
	m, err := scanReminder(q.c.QueryRow(ctx, `UPDATE reminder_outbox SET status = $3, channel = $4, attempts = $5, last_error = $6,
		message_id = $7, sent_at = $8, confirmed_at = $9, updated_at = $10 WHERE clinic_id = $1 AND id = $2 RETURNING `+reminderCols,
		cid, p.ID, p.Status, p.Channel, p.Attempts, p.LastError, p.MessageID, p.SentAt, p.ConfirmedAt, q.Now()))
	return m, wrap("reminder", p.ID, err)
}

// The empty channel is no preference (delivery picks e-mail or SMS).
var reminderChannels = []string{"", store.ChannelEmail, store.ChannelSMS, store.ChannelNone}

func (q *Queries) GetReminderPreference(ctx context.Context, p store.GetReminderPreferenceParams) (store.ReminderPreference, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.ReminderPreference{}, err
	}
	var r store.ReminderPreference
	err = q.c.QueryRow(ctx, `SELECT clinic_id, patient_id, channel, opted_out, updated_at FROM reminder_preferences
		WHERE clinic_id = $1 AND patient_id = $2`, cid, p.PatientID).Scan(&r.ClinicID, &r.PatientID, &r.Channel, &r.OptedOut, TS(&r.UpdatedAt))
	return r, wrap("reminder preference of patient", p.PatientID, err)
}

func (q *Queries) SetReminderPreference(ctx context.Context, p store.SetReminderPreferenceParams) (store.ReminderPreference, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.ReminderPreference{}, err
	}
	if err := oneOf("Channel", p.Channel, reminderChannels...); err != nil {
		return store.ReminderPreference{}, err
	}
	var r store.ReminderPreference
	err = q.c.QueryRow(ctx, `INSERT INTO reminder_preferences (clinic_id, patient_id, channel, opted_out, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (clinic_id, patient_id) DO UPDATE
		SET channel = excluded.channel, opted_out = excluded.opted_out, updated_at = excluded.updated_at
		RETURNING clinic_id, patient_id, channel, opted_out, updated_at`, cid, p.PatientID, p.Channel, p.OptedOut, q.Now()).
		Scan(&r.ClinicID, &r.PatientID, &r.Channel, &r.OptedOut, TS(&r.UpdatedAt))
	return r, wrap("reminder preference of patient", p.PatientID, err)
}

const modelCols = `id, clinic_id, kind, version, trained_at, params, evaluation`

func scanModel(r Row) (store.PredictionModel, error) {
	var m store.PredictionModel
	err := r.Scan(&m.ID, &m.ClinicID, &m.Kind, &m.Version, TS(&m.TrainedAt), JSON(&m.Params), JSON(&m.Evaluation))
	return m, err
}

var modelKinds = []string{store.ModelNoShow, store.ModelDenial}

func (q *Queries) CreatePredictionModel(ctx context.Context, p store.CreatePredictionModelParams) (store.PredictionModel, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.PredictionModel{}, err
	}
	if err := oneOf("Kind", p.Kind, modelKinds...); err != nil {
		return store.PredictionModel{}, err
	}
	params, err := docArg("Params", p.Params, "")
	if err != nil || len(params) == 0 {
		return store.PredictionModel{}, &store.FieldError{Field: "Params (JSON required)", Err: store.ErrInvalid}
	}
	eval, err := docArg("Evaluation", p.Evaluation, "{}")
	if err != nil {
		return store.PredictionModel{}, err
	}
	at := p.TrainedAt
	if at.IsZero() {
		at = q.Now()
	}
	m, err := scanModel(q.c.QueryRow(ctx, `INSERT INTO prediction_models (clinic_id, kind, version, trained_at, params, evaluation)
		VALUES ($1, $2, (SELECT COALESCE(MAX(version), 0) + 1 FROM prediction_models WHERE clinic_id = $1 AND kind = $2), $3, $4, $5)
		RETURNING `+modelCols, cid, p.Kind, at, params, eval))
	if err != nil {
		return m, fmt.Errorf("%s model: %w", p.Kind, err)
	}
	return m, nil
}

func (q *Queries) LatestPredictionModel(ctx context.Context, p store.LatestPredictionModelParams) (store.PredictionModel, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.PredictionModel{}, err
	}
	m, err := scanModel(q.c.QueryRow(ctx, "SELECT "+modelCols+` FROM prediction_models WHERE clinic_id = $1 AND kind = $2
		ORDER BY version DESC LIMIT 1`, cid, p.Kind))
	if err != nil {
		return m, fmt.Errorf("%s model: %w", p.Kind, err)
	}
	return m, nil
}

func (a Auto) CreateReminderMessage(ctx context.Context, p store.CreateReminderMessageParams) (store.ReminderMessage, bool, error) {
	return run2(ctx, a.R, p.ClinicID, func(q *Queries) (store.ReminderMessage, bool, error) { return q.CreateReminderMessage(ctx, p) })
}

func (a Auto) GetReminderMessage(ctx context.Context, ref store.Ref) (store.ReminderMessage, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.ReminderMessage, error) { return q.GetReminderMessage(ctx, ref) })
}

func (a Auto) ListReminderMessages(ctx context.Context, p store.ListReminderMessagesParams) ([]store.ReminderMessage, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.ReminderMessage, error) { return q.ListReminderMessages(ctx, p) })
}

func (a Auto) UpdateReminderMessage(ctx context.Context, p store.UpdateReminderMessageParams) (store.ReminderMessage, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.ReminderMessage, error) { return q.UpdateReminderMessage(ctx, p) })
}

func (a Auto) GetReminderPreference(ctx context.Context, p store.GetReminderPreferenceParams) (store.ReminderPreference, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.ReminderPreference, error) { return q.GetReminderPreference(ctx, p) })
}

func (a Auto) SetReminderPreference(ctx context.Context, p store.SetReminderPreferenceParams) (store.ReminderPreference, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.ReminderPreference, error) { return q.SetReminderPreference(ctx, p) })
}

func (a Auto) CreatePredictionModel(ctx context.Context, p store.CreatePredictionModelParams) (store.PredictionModel, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.PredictionModel, error) { return q.CreatePredictionModel(ctx, p) })
}

func (a Auto) LatestPredictionModel(ctx context.Context, p store.LatestPredictionModelParams) (store.PredictionModel, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.PredictionModel, error) { return q.LatestPredictionModel(ctx, p) })
}
