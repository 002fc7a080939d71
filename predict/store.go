package predict

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// Store is what the models read and write. Both backends satisfy it; so
// does a store.Tx (store.Queries), for scoring inside a booking.
type Store interface {
	ListAppointments(ctx context.Context, p store.ListAppointmentsParams) ([]store.Appointment, error)
	GetPatient(ctx context.Context, ref store.Ref) (store.Patient, error)
	ListPatients(ctx context.Context, p store.ListPatientsParams) ([]store.Patient, error)
	GetCoverage(ctx context.Context, ref store.Ref) (store.Coverage, error)
	GetPayer(ctx context.Context, ref store.Ref) (store.Payer, error)
	ListPayers(ctx context.Context, p store.ListPayersParams) ([]store.Payer, error)
	ListReminderMessages(ctx context.Context, p store.ListReminderMessagesParams) ([]store.ReminderMessage, error)
	CreatePredictionModel(ctx context.Context, p store.CreatePredictionModelParams) (store.PredictionModel, error)
	LatestPredictionModel(ctx context.Context, p store.LatestPredictionModelParams) (store.PredictionModel, error)
}

// LoadVisits reads a clinic's appointments that start before until as
// visits: patients' birth dates, the payer type of each appointment's
// coverage and the reminder history.
func LoadVisits(ctx context.Context, st Store, clinicID int64, until time.Time) ([]Visit, error) {
	appts, err := st.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: clinicID, To: until})
	if err != nil {
		return nil, err
	}
	births := map[int64]time.Time{}
	for after := int64(0); ; {
		ps, err := st.ListPatients(ctx, store.ListPatientsParams{ClinicID: clinicID, AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			births[p.ID] = p.BirthDate
			after = p.ID
		}
		if len(ps) < 1000 {
			break
		}
	}
	filing := map[int64]string{}
	payers, err := st.ListPayers(ctx, store.ListPayersParams{ClinicID: clinicID})
	if err != nil {
		return nil, err
	}
	for _, p := range payers {
		filing[p.ID] = p.ClaimFilingCode
	}
	unreachable, err := unreachableSince(ctx, st, clinicID, 0)
	if err != nil {
		return nil, err
	}
	covPayer := map[int64]int64{}
	out := make([]Visit, 0, len(appts))
	for _, a := range appts {
		v := Visit{AppointmentID: a.ID, PatientID: a.PatientID, StartsAt: a.StartsAt, BookedAt: a.BookedAt,
			BirthDate: births[a.PatientID], PayerType: "self", Status: a.Status}
		if a.CoverageID != nil {
			pid, ok := covPayer[*a.CoverageID]
			if !ok {
				c, err := st.GetCoverage(ctx, store.Ref{ClinicID: clinicID, ID: *a.CoverageID})
				if err != nil {
					return nil, err
				}
				pid = c.PayerID
				covPayer[*a.CoverageID] = pid
			}
			v.PayerType = payerType(filing[pid])
		}
		if t, ok := unreachable[a.PatientID]; ok && t.Before(a.StartsAt) {
			v.Unreachable = true
		}
		out = append(out, v)
	}
	return out, nil
}

func payerType(code string) string {
	if code == "" {
		return "CI"
	}
	return code
}

// unreachableSince is, per patient, the due time of the first reminder
// that bounced or was skipped (opt-out, no address).
func unreachableSince(ctx context.Context, st Store, clinicID, patientID int64) (map[int64]time.Time, error) {
	rows, err := st.ListReminderMessages(ctx, store.ListReminderMessagesParams{ClinicID: clinicID, PatientID: patientID,
		Statuses: []string{store.ReminderBounced, store.ReminderSkipped}})
	if err != nil {
		return nil, err
	}
	out := map[int64]time.Time{}
	for _, m := range rows {
		if t, ok := out[m.PatientID]; !ok || m.DueAt.Before(t) {
			out[m.PatientID] = m.DueAt
		}
	}
	return out, nil
}

// Stored is a model as kept in the prediction_models table.
type Stored struct {
	Model        *Model  `json:"model"`
	HoldoutShare float64 `json:"holdout_share"`
	// Location is the time zone the features were computed in.
	Location string `json:"location"`
}

// Trained is a model trained and stored.
type Trained struct {
	Row        store.PredictionModel
	Model      *Model
	Evaluation Evaluation
}

// TrainOptions tune the training runs.
type TrainOptions struct {
	// Now: appointments starting before it are history. Required.
	Now time.Time
	// Location is the clinic's time zone. Default UTC.
	Location *time.Location
	// HoldoutShare is the latest share of history held out. Default 0.2.
	HoldoutShare float64
	Fit          FitOptions
	// DryRun evaluates without storing a new version.
	DryRun bool
}

// TrainNoShow trains the clinic's no-show model on its history, evaluates
// it on the time-based hold-out and stores it as the next version.
func TrainNoShow(ctx context.Context, st Store, clinicID int64, o TrainOptions) (Trained, error) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	visits, err := LoadVisits(ctx, st, clinicID, o.Now)
	if err != nil {
		return Trained{}, err
	}
	examples := NoShowExamples(visits, o.Location)
	m, ev, err := TrainAndEvaluate(examples, o.HoldoutShare, o.Fit)
	if err != nil {
		return Trained{}, fmt.Errorf("clinic %d no-show model: %w", clinicID, err)
	}
	return save(ctx, st, clinicID, store.ModelNoShow, m, ev, o)
}

// modelStore keeps model versions.
type modelStore interface {
	CreatePredictionModel(ctx context.Context, p store.CreatePredictionModelParams) (store.PredictionModel, error)
	LatestPredictionModel(ctx context.Context, p store.LatestPredictionModelParams) (store.PredictionModel, error)
}

func save(ctx context.Context, st modelStore, clinicID int64, kind string, m *Model, ev Evaluation, o TrainOptions) (Trained, error) {
	out := Trained{Model: m, Evaluation: ev}
	if o.DryRun {
		return out, nil
	}
	params, err := json.Marshal(Stored{Model: m, HoldoutShare: ev.HoldoutShare, Location: o.Location.String()})
	if err != nil {
		return out, err
	}
	evj, err := json.Marshal(ev)
	if err != nil {
		return out, err
	}
	out.Row, err = st.CreatePredictionModel(ctx, store.CreatePredictionModelParams{ClinicID: clinicID, Kind: kind,
		TrainedAt: o.Now, Params: params, Evaluation: evj})
	return out, err
}

// Latest reads a clinic's latest model of a kind; ok is false when none
// was trained.
func Latest(ctx context.Context, st modelStore, clinicID int64, kind string) (*Model, store.PredictionModel, bool, error) {
	row, err := st.LatestPredictionModel(ctx, store.LatestPredictionModelParams{ClinicID: clinicID, Kind: kind})
	if errors.Is(err, store.ErrNotFound) {
		return nil, row, false, nil
	}
	if err != nil {
		return nil, row, false, err
	}
	var s Stored
	if err := json.Unmarshal(row.Params, &s); err != nil || s.Model == nil {
		return nil, row, false, fmt.Errorf("%s model version %d: params do not parse: %v", kind, row.Version, err)
	}
	return s.Model, row, true, nil
}

// NoShowScorer scores appointments with the clinic's latest no-show
// model (scheduling.RiskScorer).
type NoShowScorer struct {
	Location *time.Location
}

// NoShowRisk implements scheduling.RiskScorer: it reads the model, the
// patient's earlier appointments and reminder history through q (a
// booking's transaction), and scores a.
func (s NoShowScorer) NoShowRisk(ctx context.Context, q store.Queries, a store.Appointment) (float64, bool, error) {
	m, _, ok, err := Latest(ctx, q, a.ClinicID, store.ModelNoShow)
	if err != nil || !ok {
		return 0, false, err
	}
	f, err := AppointmentFeatures(ctx, q, a, s.Location)
	if err != nil {
		return 0, false, err
	}
	return m.Score(f), true, nil
}

// AppointmentFeatures are the no-show features of one appointment, from
// its patient's history before it.
func AppointmentFeatures(ctx context.Context, q Store, a store.Appointment, loc *time.Location) (Features, error) {
	pt, err := q.GetPatient(ctx, store.Ref{ClinicID: a.ClinicID, ID: a.PatientID})
	if err != nil {
		return nil, err
	}
	prior, err := q.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: a.ClinicID, PatientID: a.PatientID, To: a.StartsAt})
	if err != nil {
		return nil, err
	}
	var hv []Visit
	for _, p := range prior {
		if p.ID != a.ID {
			hv = append(hv, Visit{PatientID: p.PatientID, StartsAt: p.StartsAt, Status: p.Status})
		}
	}
	v := Visit{AppointmentID: a.ID, PatientID: a.PatientID, StartsAt: a.StartsAt, BookedAt: a.BookedAt, BirthDate: pt.BirthDate, PayerType: "self"}
	if a.CoverageID != nil {
		c, err := q.GetCoverage(ctx, store.Ref{ClinicID: a.ClinicID, ID: *a.CoverageID})
		if err != nil {
			return nil, err
		}
		py, err := q.GetPayer(ctx, store.Ref{ClinicID: a.ClinicID, ID: c.PayerID})
		if err != nil {
			return nil, err
		}
		v.PayerType = payerType(py.ClaimFilingCode)
	}
	un, err := unreachableSince(ctx, q, a.ClinicID, a.PatientID)
	if err != nil {
		return nil, err
	}
	if t, ok := un[a.PatientID]; ok && t.Before(a.StartsAt) {
		v.Unreachable = true
	}
	return NoShowFeatures(v, Histories(hv, a.StartsAt)[a.PatientID], loc), nil
}
