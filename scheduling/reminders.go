package scheduling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// WorkReminder is the worklist kind of reminder outbox rows. They are
// created resolved ("sent"), so they never show as open work.
const WorkReminder = "appointment_reminder"

// Reminder is one message to a patient about an appointment.
type Reminder struct {
	ClinicID      int64
	AppointmentID int64
	PatientID     int64
	ProviderID    int64
	StartsAt      time.Time
	// Lead is how long before the appointment the reminder is due.
	Lead  time.Duration
	DueAt time.Time
	// Phone is the patient's phone number, for senders that text or call.
	Phone string
	// Text is the message, the same for the same appointment and lead.
	Text string
	// Key is unique per appointment, start time and lead: a rescheduled
	// appointment is reminded again.
	Key string
}

// Sender delivers reminders (text message, e-mail, ...). Send is called at
// most once per reminder key unless it fails: an error leaves the reminder
// unsent, to be tried again on the next run.
type Sender interface {
	Send(ctx context.Context, r Reminder) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, r Reminder) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, r Reminder) error { return f(ctx, r) }

// LogSender is the default Sender: it only logs the reminder (appointment,
// lead and due time; never the text or phone number, which name the
// patient). The message itself is in the outbox row SendReminders writes.
type LogSender struct{ Logger *slog.Logger }

// Send logs r.
func (l LogSender) Send(ctx context.Context, r Reminder) error {
	l.Logger.InfoContext(ctx, "appointment reminder queued", "clinic", r.ClinicID, "appointment", r.AppointmentID,
		"lead", r.Lead.String(), "due", r.DueAt.UTC().Format(time.RFC3339))
	return nil
}

// DueReminders lists the reminders whose due time (appointment start minus
// a lead time of Config.ReminderLeads) falls in (now - ReminderCatchUp,
// now], for booked appointments that have not started. Some may have been
// sent already; SendReminders skips those.
func (s *Service) DueReminders(ctx context.Context, clinicID int64, now time.Time) ([]Reminder, error) {
	if len(s.cfg.ReminderLeads) == 0 {
		return nil, nil
	}
	maxLead := s.cfg.ReminderLeads[0]
	for _, l := range s.cfg.ReminderLeads {
		maxLead = max(maxLead, l)
	}
	appts, err := s.cfg.Store.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: clinicID, From: now,
		To: now.Add(maxLead + 1), Statuses: []string{store.AppointmentBooked}})
	if err != nil {
		return nil, err
	}
	if len(appts) == 0 {
		return nil, nil
	}
	clinic, err := s.cfg.Store.GetClinic(ctx, store.GetClinicParams{ClinicID: clinicID})
	if err != nil {
		return nil, err
	}
	patients := map[int64]store.Patient{}
	providers := map[int64]store.Provider{}
	var out []Reminder
	for _, a := range appts {
		if !a.StartsAt.After(now) {
			continue
		}
		for _, lead := range s.cfg.ReminderLeads {
			due := a.StartsAt.Add(-lead)
			if due.After(now) || !due.After(now.Add(-s.cfg.ReminderCatchUp)) {
				continue
			}
			pt, ok := patients[a.PatientID]
			if !ok {
				if pt, err = s.cfg.Store.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: a.PatientID}); err != nil {
					return nil, err
				}
				patients[pt.ID] = pt
			}
			pr, ok := providers[a.ProviderID]
			if !ok {
				if pr, err = s.cfg.Store.GetProvider(ctx, store.Ref{ClinicID: clinicID, ID: a.ProviderID}); err != nil {
					return nil, err
				}
				providers[pr.ID] = pr
			}
			out = append(out, Reminder{ClinicID: clinicID, AppointmentID: a.ID, PatientID: a.PatientID, ProviderID: a.ProviderID,
				StartsAt: a.StartsAt, Lead: lead, DueAt: due, Phone: pt.Phone, Text: s.reminderText(clinic, pt, pr, a),
				Key: "reminder:" + strconv.FormatInt(a.ID, 10) + ":" + strconv.FormatInt(a.StartsAt.Unix(), 10) + ":" + strconv.FormatInt(int64(lead/time.Minute), 10)})
		}
	}
	return out, nil
}

// reminderText is the message of a reminder.
func (s *Service) reminderText(c store.Clinic, pt store.Patient, pr store.Provider, a store.Appointment) string {
	var b strings.Builder
	b.WriteString("Hello ")
	b.WriteString(titleCase(pt.FirstName))
	b.WriteString(", this is a reminder of your appointment")
	if name := providerName(pr); name != "" {
		b.WriteString(" with ")
		b.WriteString(name)
	}
	clinic := c.Name
	if clinic == "" {
		clinic = s.cfg.ClinicName
	}
	if clinic != "" {
		b.WriteString(" at ")
		b.WriteString(clinic)
	}
	b.WriteString(" on ")
	b.WriteString(a.StartsAt.In(s.cfg.Location).Format("Monday, January 2 at 3:04 PM"))
	b.WriteString(". Please call us if you need to reschedule.")
	return b.String()
}

func providerName(p store.Provider) string {
	if p.LastName != "" {
		return "Dr. " + titleCase(p.LastName)
	}
	return p.OrganizationName
}

// titleCase writes an all-capitals name as a name ("O'NEIL" stays
// "O'neil"; names in mixed case are kept).
func titleCase(s string) string {
	if s != strings.ToUpper(s) {
		return s
	}
	b := []byte(strings.ToLower(s))
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == ' ' || c == '-'
	}
	return string(b)
}

// SendResult counts what SendReminders did.
type SendResult struct {
	Sent, AlreadySent, Failed int
}

// SendReminders sends the due reminders (DueReminders) that were not sent
// before. For each, one transaction writes its outbox row (worklist kind
// WorkReminder, keyed by Reminder.Key, with the message), checks that the
// appointment is still booked at that time, and calls sender; the row
// commits only if Send succeeds, so a reminder is sent once (a failed Send
// is tried again on the next run). A nil sender is a LogSender on the
// configured logger. Errors of individual sends are joined in the error
// returned after all reminders were tried.
func (s *Service) SendReminders(ctx context.Context, clinicID int64, now time.Time, sender Sender) (SendResult, error) {
	var res SendResult
	if sender == nil {
		sender = LogSender{Logger: s.cfg.Logger}
	}
	due, err := s.DueReminders(ctx, clinicID, now)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, r := range due {
		already := false
		err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
			a, err := tx.GetAppointment(ctx, store.Ref{ID: r.AppointmentID})
			if err != nil {
				return err
			}
			if a.Status != store.AppointmentBooked || !a.StartsAt.Equal(r.StartsAt) {
				already = true
				return nil
			}
			details, err := json.Marshal(map[string]any{"lead": r.Lead.String(), "due_at": r.DueAt, "starts_at": r.StartsAt,
				"text": r.Text, "channel": fmt.Sprintf("%T", sender)})
			if err != nil {
				return err
			}
			apt, pid, due := r.AppointmentID, r.PatientID, r.DueAt
			item, created, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: WorkReminder, Status: store.WorkResolved,
				AppointmentID: &apt, PatientID: &pid, Title: "Appointment reminder " + r.Lead.String() + " ahead", Details: details,
				DedupeKey: r.Key, DueAt: &due})
			if err != nil {
				return err
			}
			if !created {
				already = true
				return nil
			}
			sent := "sent"
			if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ID: item.ID, Resolution: &sent}); err != nil {
				return err
			}
			return sender.Send(ctx, r)
		})
		switch {
		case err != nil:
			res.Failed++
			errs = append(errs, fmt.Errorf("appointment %d reminder %v ahead: %w", r.AppointmentID, r.Lead, err))
		case already:
			res.AlreadySent++
		default:
			res.Sent++
		}
	}
	return res, errors.Join(errs...)
}
