package scheduling

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/store"
)

// Reminder purposes (store.ReminderMessage.Purpose).
const (
	// PurposeReminder is a plain reminder of the appointment.
	PurposeReminder = "reminder"
	// PurposeConfirm is a reminder that asks the patient to confirm.
	PurposeConfirm = "confirm"
	// PurposeCorrected tells the patient the appointment's new time after
	// a reminder for the old time went out.
	PurposeCorrected = "corrected"
)

// DeliverReminderArgs is the River job that delivers one outbox row
// (package notify does the sending; the worker wires the two). Scheduling
// requests it (store.JobRequest) in the transaction that writes the row,
// scheduled at the row's due time; serve inserts the job.
type DeliverReminderArgs struct {
	ClinicID   int64 `json:"clinic_id"`
	ReminderID int64 `json:"reminder_id"`
}

// Kind implements river.JobArgs.
func (DeliverReminderArgs) Kind() string { return "deliver_reminder" }

// DeliverAttempts is how many times a reminder is tried before it is
// recorded as failed; River spaces the attempts with its exponential
// backoff.
const DeliverAttempts = 8

// InsertOpts: one job per outbox row, tried DeliverAttempts times.
func (DeliverReminderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: DeliverAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PlannedReminder is one message a ReminderPolicy wants sent.
type PlannedReminder struct {
	Purpose string
	// Lead is how long before the appointment it is due.
	Lead time.Duration
}

// ReminderPolicy decides the reminders of an appointment from its
// predicted no-show risk (nil when no model scored it).
type ReminderPolicy interface {
	Plan(a store.Appointment, risk *float64) []PlannedReminder
}

// FixedLeads is the policy of reminders at fixed lead times, whatever the
// risk.
type FixedLeads []time.Duration

// Plan implements ReminderPolicy.
func (f FixedLeads) Plan(store.Appointment, *float64) []PlannedReminder {
	out := make([]PlannedReminder, len(f))
	for i, l := range f {
		out[i] = PlannedReminder{Purpose: PurposeReminder, Lead: l}
	}
	return out
}

// RiskPolicy is the predictive policy: appointments whose risk is at least
// HighRisk get, besides the Base reminders, an earlier reminder at
// EarlyLead that asks the patient to confirm and an extra one at
// ExtraLead; the others get the Base reminders alone.
type RiskPolicy struct {
	Base      []time.Duration
	HighRisk  float64
	EarlyLead time.Duration
	ExtraLead time.Duration
}

// DefaultRiskPolicy is the predictive policy used when a risk model is
// configured: 72h and 24h reminders, and for a risk of 0.25 or more a
// confirmation request 5 days ahead and an extra reminder 3 hours ahead.
func DefaultRiskPolicy(base []time.Duration) RiskPolicy {
	return RiskPolicy{Base: base, HighRisk: 0.25, EarlyLead: 120 * time.Hour, ExtraLead: 3 * time.Hour}
}

// Plan implements ReminderPolicy.
func (p RiskPolicy) Plan(a store.Appointment, risk *float64) []PlannedReminder {
	out := FixedLeads(p.Base).Plan(a, risk)
	if risk == nil || *risk < p.HighRisk {
		return out
	}
	if p.EarlyLead > 0 {
		out = append(out, PlannedReminder{Purpose: PurposeConfirm, Lead: p.EarlyLead})
	}
	if p.ExtraLead > 0 {
		out = append(out, PlannedReminder{Purpose: PurposeReminder, Lead: p.ExtraLead})
	}
	return out
}

// RiskScorer predicts an appointment's no-show risk inside the
// transaction that books or moves it. ok is false when there is no model
// to score with.
type RiskScorer interface {
	NoShowRisk(ctx context.Context, q store.Queries, a store.Appointment) (risk float64, ok bool, err error)
}

// queueReminders writes the outbox rows of a booked appointment for its
// current time, with one delivery job each, and supersedes the pending
// rows of other times. When a reminder for another time was already sent,
// a corrected reminder goes out at once.
func (s *Service) queueReminders(ctx context.Context, tx store.Tx, a store.Appointment) error {
	if !s.cfg.Outbox {
		return nil
	}
	rows, err := tx.ListReminderMessages(ctx, store.ListReminderMessagesParams{AppointmentID: a.ID})
	if err != nil {
		return err
	}
	corrected := false
	for _, m := range rows {
		if m.StartsAt.Equal(a.StartsAt) {
			continue
		}
		switch m.Status {
		case store.ReminderPending:
			if err := s.supersede(ctx, tx, m); err != nil {
				return err
			}
		case store.ReminderSent:
			corrected = true
		}
	}
	if a.Status != store.AppointmentBooked {
		return nil
	}
	now := s.cfg.Now().UTC()
	var risk *float64
	if s.cfg.Risk != nil {
		r, ok, err := s.cfg.Risk.NoShowRisk(ctx, tx, a)
		if err != nil {
			return fmt.Errorf("appointment %d: no-show risk: %w", a.ID, err)
		}
		if ok {
			risk = &r
		}
	}
	plan := s.cfg.Policy.Plan(a, risk)
	slices.SortFunc(plan, func(x, y PlannedReminder) int { return int(y.Lead - x.Lead) })
	type due struct {
		PlannedReminder
		at time.Time
	}
	var dues []due
	for _, p := range plan {
		at := a.StartsAt.Add(-p.Lead)
		if at.After(now) {
			dues = append(dues, due{p, at})
		}
	}
	switch {
	case corrected:
		dues = append(dues, due{PlannedReminder{Purpose: PurposeCorrected}, now})
	case len(dues) == 0 && len(plan) > 0 && a.StartsAt.Sub(now) > time.Hour:
		// Booked inside every lead time: one reminder now, the closest one
		// (a confirmation request stays one).
		p := plan[len(plan)-1]
		for _, q := range plan {
			if q.Purpose == PurposeConfirm {
				p = q
			}
		}
		dues = append(dues, due{p, now})
	}
	for _, d := range dues {
		key := "reminder:" + strconv.FormatInt(a.ID, 10) + ":" + strconv.FormatInt(a.StartsAt.Unix(), 10) + ":" + d.Purpose + ":" +
			strconv.FormatInt(int64(d.Lead/time.Minute), 10)
		m, created, err := tx.CreateReminderMessage(ctx, store.CreateReminderMessageParams{AppointmentID: a.ID, PatientID: a.PatientID,
			Purpose: d.Purpose, DedupeKey: key, StartsAt: a.StartsAt, DueAt: d.at, Risk: risk})
		if err != nil {
			return err
		}
		if !created {
			continue
		}
		// A job request, not the job: the person booking holds no
		// privilege on River's tables; serve inserts the job.
		at := d.at
		if _, err := tx.CreateJobRequests(ctx, store.CreateJobRequestsParams{ClinicID: m.ClinicID, RequestedBy: s.cfg.Actor,
			Requests: []store.NewJobRequest{{Kind: DeliverReminderArgs{}.Kind(), Args: reminderRequestArgs(m.ID), ScheduledAt: &at}}}); err != nil {
			return fmt.Errorf("appointment %d: reminder job request: %w", a.ID, err)
		}
	}
	return nil
}

// supersedeAll marks the pending rows of an appointment that left the
// booked state superseded.
func (s *Service) supersedeAll(ctx context.Context, tx store.Tx, appointmentID int64) error {
	if !s.cfg.Outbox {
		return nil
	}
	rows, err := tx.ListReminderMessages(ctx, store.ListReminderMessagesParams{AppointmentID: appointmentID,
		Statuses: []string{store.ReminderPending}})
	if err != nil {
		return err
	}
	for _, m := range rows {
		if err := s.supersede(ctx, tx, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) supersede(ctx context.Context, tx store.Tx, m store.ReminderMessage) error {
	_, err := tx.UpdateReminderMessage(ctx, store.UpdateReminderMessageParams{ID: m.ID, Status: store.ReminderSuperseded,
		Channel: m.Channel, Attempts: m.Attempts, LastError: m.LastError, MessageID: m.MessageID, SentAt: m.SentAt, ConfirmedAt: m.ConfirmedAt})
	return err
}

// Confirm records that the patient confirmed an appointment (answered a
// confirmation request, or told the front desk): every sent confirmation
// request of it is marked confirmed, so it leaves the no-show worklist.
func (s *Service) Confirm(ctx context.Context, p ActionParams) (store.Appointment, error) {
	var out store.Appointment
	err := s.cfg.Store.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		a, err := tx.GetAppointment(ctx, store.Ref{ID: p.AppointmentID})
		if err != nil {
			return fmt.Errorf("appointment %d: %w", p.AppointmentID, err)
		}
		if a.Status != store.AppointmentBooked {
			return &TransitionError{AppointmentID: a.ID, Action: "confirm", Status: a.Status}
		}
		out = a
		rows, err := tx.ListReminderMessages(ctx, store.ListReminderMessagesParams{AppointmentID: a.ID})
		if err != nil {
			return err
		}
		now := s.cfg.Now().UTC()
		for _, m := range rows {
			if m.ConfirmedAt != nil || !m.StartsAt.Equal(a.StartsAt) {
				continue
			}
			if _, err := tx.UpdateReminderMessage(ctx, store.UpdateReminderMessageParams{ID: m.ID, Status: m.Status, Channel: m.Channel,
				Attempts: m.Attempts, LastError: m.LastError, MessageID: m.MessageID, SentAt: m.SentAt, ConfirmedAt: &now}); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, p.Actor, "appointment.confirm", a, nil)
	})
	return out, err
}

// WorkNoShowRisk is the worklist kind of an unconfirmed high-risk
// appointment: the front desk calls the patient, or overbooks the slot.
const WorkNoShowRisk = "no_show_risk"

// DefaultConfirmWindow is how far ahead FlagUnconfirmed looks.
const DefaultConfirmWindow = 48 * time.Hour

// FlagUnconfirmed raises one worklist item (WorkNoShowRisk) per booked
// appointment starting in (now, now+window] whose confirmation request
// went out and was not answered: a call-or-overbook candidate. It returns
// how many items it created (an appointment is flagged once per start
// time).
func (s *Service) FlagUnconfirmed(ctx context.Context, clinicID int64, now time.Time, window time.Duration) (int, error) {
	if window <= 0 {
		window = DefaultConfirmWindow
	}
	created := 0
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		created = 0
		rows, err := tx.ListReminderMessages(ctx, store.ListReminderMessagesParams{Purposes: []string{PurposeConfirm},
			Statuses: []string{store.ReminderSent, store.ReminderBounced, store.ReminderSkipped, store.ReminderFailed}})
		if err != nil {
			return err
		}
		for _, m := range rows {
			if m.ConfirmedAt != nil || !m.StartsAt.After(now) || m.StartsAt.After(now.Add(window)) {
				continue
			}
			a, err := tx.GetAppointment(ctx, store.Ref{ID: m.AppointmentID})
			if err != nil {
				return err
			}
			if a.Status != store.AppointmentBooked || !a.StartsAt.Equal(m.StartsAt) {
				continue
			}
			risk := 0.0
			if m.Risk != nil {
				risk = *m.Risk
			}
			details, err := json.Marshal(map[string]any{"starts_at": a.StartsAt, "risk": risk, "confirmation": m.Status,
				"action": "call the patient to confirm, or overbook the slot"})
			if err != nil {
				return err
			}
			apt, pid, due := a.ID, a.PatientID, a.StartsAt
			_, made, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: WorkNoShowRisk, Priority: int(risk * 100),
				AppointmentID: &apt, PatientID: &pid, DueAt: &due, Details: details,
				Title:     fmt.Sprintf("Unconfirmed appointment, no-show risk %.0f%%: call or overbook", risk*100),
				DedupeKey: "no_show_risk:" + strconv.FormatInt(a.ID, 10) + ":" + strconv.FormatInt(a.StartsAt.Unix(), 10)})
			if err != nil {
				return err
			}
			if made {
				created++
			}
		}
		return nil
	})
	return created, err
}

// reminderRequestArgs are a deliver_reminder request's arguments: the
// outbox row's ID (the clinic is the request's).
func reminderRequestArgs(id int64) json.RawMessage {
	return json.RawMessage(`{"reminder_id":` + strconv.FormatInt(id, 10) + `}`)
}
