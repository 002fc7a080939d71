package store

import (
	"encoding/json"
	"time"
)

// Reminder outbox statuses.
const (
	// ReminderPending: waiting for its due time or being retried.
	ReminderPending = "pending"
	// ReminderSent: handed to the mail server or SMS provider, which
	// accepted it.
	ReminderSent = "sent"
	// ReminderBounced: refused for good (unknown mailbox, invalid number).
	ReminderBounced = "bounced"
	// ReminderSkipped: not sent, by the patient's choice (opt-out, channel
	// none) or for want of an address on the chosen channel.
	ReminderSkipped = "skipped"
	// ReminderSuperseded: the appointment moved or was cancelled before
	// the reminder went out.
	ReminderSuperseded = "superseded"
	// ReminderFailed: every attempt failed with a temporary error.
	ReminderFailed = "failed"
)

// ReminderStatuses are the outbox statuses, in life-cycle order.
var ReminderStatuses = []string{ReminderPending, ReminderSent, ReminderBounced, ReminderSkipped, ReminderSuperseded, ReminderFailed}

// Reminder channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	// ChannelNone: the patient asked for no reminders on any channel.
	ChannelNone = "none"
)

// ReminderMessage is one outbox row: a message due to a patient about an
// appointment. It holds no message text: the text is rendered from the
// clinic's template when it is sent, so the outbox keeps no more of the
// patient's data than the appointment it points at.
type ReminderMessage struct {
	ID            int64
	ClinicID      int64
	AppointmentID int64
	PatientID     int64
	// Purpose is what the message is for: "reminder", "confirm" (a
	// reminder asking the patient to confirm), "corrected" (the first
	// reminder after a move), "cancelled".
	Purpose   string
	DedupeKey string
	// StartsAt is the appointment's start time the message announces.
	StartsAt time.Time
	DueAt    time.Time
	Status   string
	// Channel is the channel it went out on (set when sent or skipped).
	Channel string
	// Risk is the predicted no-show risk the reminder policy used, if any.
	Risk      *float64
	Attempts  int
	LastError string
	// MessageID is the mail server's or SMS provider's message ID.
	MessageID   string
	SentAt      *time.Time
	ConfirmedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CreateReminderMessageParams queues a message. An existing row with the
// same DedupeKey is returned instead (created false).
type CreateReminderMessageParams struct {
	ClinicID      int64
	AppointmentID int64
	PatientID     int64
	Purpose       string
	DedupeKey     string
	StartsAt      time.Time
	DueAt         time.Time
	Risk          *float64
}

// ListReminderMessagesParams filters the outbox; zero fields do not
// filter. Rows come in due order.
type ListReminderMessagesParams struct {
	ClinicID      int64
	AppointmentID int64
	PatientID     int64
	Statuses      []string
	Purposes      []string
	// DueFrom and DueTo bound DueAt: [DueFrom, DueTo).
	DueFrom, DueTo time.Time
	Limit          int
}

// UpdateReminderMessageParams sets a message's delivery state.
type UpdateReminderMessageParams struct {
	ClinicID    int64
	ID          int64
	Status      string
	Channel     string
	Attempts    int
	LastError   string
	MessageID   string
	SentAt      *time.Time
	ConfirmedAt *time.Time
}

// ReminderPreference is how a patient wants reminders.
type ReminderPreference struct {
	ClinicID  int64
	PatientID int64
	// Channel is ChannelEmail, ChannelSMS or ChannelNone.
	Channel   string
	OptedOut  bool
	UpdatedAt time.Time
}

// GetReminderPreferenceParams names a patient's preference.
type GetReminderPreferenceParams struct {
	ClinicID  int64
	PatientID int64
}

// SetReminderPreferenceParams records a patient's preference (insert or
// replace).
type SetReminderPreferenceParams struct {
	ClinicID  int64
	PatientID int64
	Channel   string
	OptedOut  bool
}

// Prediction model kinds.
const (
	ModelNoShow = "no_show"
	ModelDenial = "denial"
)

// PredictionModel is one trained version of a clinic's model.
type PredictionModel struct {
	ID       int64
	ClinicID int64
	Kind     string
	// Version counts up from 1 per clinic and kind.
	Version   int
	TrainedAt time.Time
	// Params are the fitted model (package predict's JSON).
	Params json.RawMessage
	// Evaluation is its hold-out evaluation (package predict's JSON).
	Evaluation json.RawMessage
}

// CreatePredictionModelParams stores a new version of a model; the store
// numbers it.
type CreatePredictionModelParams struct {
	ClinicID   int64
	Kind       string
	TrainedAt  time.Time
	Params     json.RawMessage
	Evaluation json.RawMessage
}

// LatestPredictionModelParams names a clinic's model kind.
type LatestPredictionModelParams struct {
	ClinicID int64
	Kind     string
}
