package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// Store is what a Deliverer uses of the store. Both backends satisfy it.
type Store interface {
	GetClinic(ctx context.Context, p store.GetClinicParams) (store.Clinic, error)
	GetPatient(ctx context.Context, ref store.Ref) (store.Patient, error)
	GetProvider(ctx context.Context, ref store.Ref) (store.Provider, error)
	GetAppointment(ctx context.Context, ref store.Ref) (store.Appointment, error)
	GetReminderMessage(ctx context.Context, ref store.Ref) (store.ReminderMessage, error)
	UpdateReminderMessage(ctx context.Context, p store.UpdateReminderMessageParams) (store.ReminderMessage, error)
	GetReminderPreference(ctx context.Context, p store.GetReminderPreferenceParams) (store.ReminderPreference, error)
}

// Config configures a Deliverer.
type Config struct {
	// Store is required.
	Store Store
	// Email sends e-mail; nil leaves the channel off.
	Email EmailSender
	// SMS sends text messages; nil leaves the channel off.
	SMS SMSProvider
	// Template is the reminder text of clinics without one in Templates.
	// Default DefaultTemplate.
	Template *Template
	// Templates are the clinics' own templates by clinic ID.
	Templates map[int64]*Template
	// Location formats the appointment time for clinics without a time
	// zone of their own. Default UTC.
	Location *time.Location
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger gets one line per delivery: clinic, reminder and appointment
	// IDs, channel and outcome. Default: discard.
	Logger *slog.Logger
}

// Deliverer sends outbox rows.
type Deliverer struct {
	cfg Config
}

// New validates cfg, compiles the templates and returns a Deliverer.
func New(cfg Config) (*Deliverer, error) {
	if cfg.Store == nil {
		return nil, errors.New("notify: Config.Store is required")
	}
	if cfg.Template == nil {
		t := DefaultTemplate()
		cfg.Template = &t
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	errs := []error{cfg.Template.Compile()}
	for id, t := range cfg.Templates {
		if err := t.Compile(); err != nil {
			errs = append(errs, fmt.Errorf("clinic %d: %w", id, err))
		}
	}
	return &Deliverer{cfg: cfg}, errors.Join(errs...)
}

// Outcome is what Deliver did with a row.
type Outcome struct {
	Status  string
	Channel string
}

// Deliver sends one outbox row if it is still due: see the package
// comment. last says this is the job's last attempt, so a temporary
// failure marks the row failed instead of pending.
func (d *Deliverer) Deliver(ctx context.Context, clinicID, reminderID int64, last bool) (Outcome, error) {
	st := d.cfg.Store
	m, err := st.GetReminderMessage(ctx, store.Ref{ClinicID: clinicID, ID: reminderID})
	if err != nil {
		return Outcome{}, err
	}
	if m.Status != store.ReminderPending {
		return Outcome{Status: m.Status, Channel: m.Channel}, nil
	}
	a, err := st.GetAppointment(ctx, store.Ref{ClinicID: clinicID, ID: m.AppointmentID})
	if err != nil {
		return Outcome{}, err
	}
	if a.Status != store.AppointmentBooked || !a.StartsAt.Equal(m.StartsAt) {
		return d.record(ctx, m, store.ReminderSuperseded, "", "", "appointment changed")
	}
	pt, err := st.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: m.PatientID})
	if err != nil {
		return Outcome{}, err
	}
	pref, err := st.GetReminderPreference(ctx, store.GetReminderPreferenceParams{ClinicID: clinicID, PatientID: m.PatientID})
	switch {
	case errors.Is(err, store.ErrNotFound):
		pref = store.ReminderPreference{}
	case err != nil:
		return Outcome{}, err
	}
	if pref.OptedOut || pref.Channel == store.ChannelNone {
		return d.record(ctx, m, store.ReminderSkipped, store.ChannelNone, "", "patient opted out")
	}
	channel, to := d.route(pref.Channel, pt)
	if to == "" {
		return d.record(ctx, m, store.ReminderSkipped, channel, "", "no address on the "+cmpOr(channel, "preferred")+" channel")
	}
	clinic, err := st.GetClinic(ctx, store.GetClinicParams{ClinicID: clinicID})
	if err != nil {
		return Outcome{}, err
	}
	fields, err := d.fields(ctx, clinic, pt, a, m)
	if err != nil {
		return Outcome{}, err
	}
	tpl := d.cfg.Template
	if t, ok := d.cfg.Templates[clinicID]; ok {
		tpl = t
	}
	msg, err := tpl.Render(channel, fields)
	if err != nil {
		return Outcome{}, fmt.Errorf("clinic %d reminder %d: %w", clinicID, m.ID, err)
	}
	var id string
	if channel == store.ChannelSMS {
		id, err = d.cfg.SMS.SendSMS(ctx, to, msg.Body)
	} else {
		id, err = d.cfg.Email.SendEmail(ctx, to, msg)
	}
	m.Attempts++
	switch {
	case err == nil:
		return d.record(ctx, m, store.ReminderSent, channel, id, "")
	case errors.Is(err, ErrBounced):
		return d.record(ctx, m, store.ReminderBounced, channel, id, describe(err))
	}
	status := store.ReminderPending
	if last {
		status = store.ReminderFailed
	}
	if _, rerr := d.record(ctx, m, status, channel, id, describe(err)); rerr != nil {
		return Outcome{}, errors.Join(err, rerr)
	}
	return Outcome{Status: status, Channel: channel}, fmt.Errorf("clinic %d reminder %d: %w", clinicID, m.ID, err)
}

// route picks the channel and address: the patient's preference, else
// e-mail when the patient has an address and e-mail is on, else SMS.
func (d *Deliverer) route(pref string, pt store.Patient) (string, string) {
	switch pref {
	case store.ChannelEmail:
		if d.cfg.Email == nil {
			return store.ChannelEmail, ""
		}
		return store.ChannelEmail, pt.Email
	case store.ChannelSMS:
		if d.cfg.SMS == nil {
			return store.ChannelSMS, ""
		}
		return store.ChannelSMS, pt.Phone
	}
	if d.cfg.Email != nil && pt.Email != "" {
		return store.ChannelEmail, pt.Email
	}
	if d.cfg.SMS != nil && pt.Phone != "" {
		return store.ChannelSMS, pt.Phone
	}
	return "", ""
}

// fields are every template field; the template keeps those it allows.
func (d *Deliverer) fields(ctx context.Context, c store.Clinic, pt store.Patient, a store.Appointment, m store.ReminderMessage) (map[string]string, error) {
	loc := d.cfg.Location
	if c.TimeZone != "" {
		if l, err := time.LoadLocation(c.TimeZone); err == nil {
			loc = l
		}
	}
	action := "Please call us if you need to reschedule."
	switch m.Purpose {
	case scheduling.PurposeConfirm:
		action = "Please reply YES or call us to confirm you are coming."
	case scheduling.PurposeCorrected:
		action = "Your appointment time has changed; this is the new time. Please call us if it does not suit you."
	}
	if c.ContactPhone != "" {
		action += " Phone " + c.ContactPhone + "."
	}
	f := map[string]string{
		FieldClinic:      c.Name,
		FieldClinicPhone: c.ContactPhone,
		FieldWhen:        a.StartsAt.In(loc).Format("Monday, January 2 at 3:04 PM"),
		FieldAction:      action,
		FieldFirstName:   nameCase(pt.FirstName),
		FieldReason:      a.Reason,
	}
	pr, err := d.cfg.Store.GetProvider(ctx, store.Ref{ClinicID: c.ID, ID: a.ProviderID})
	if err != nil {
		return nil, err
	}
	if pr.LastName != "" {
		f[FieldProvider] = "Dr. " + nameCase(pr.LastName)
	} else {
		f[FieldProvider] = pr.OrganizationName
	}
	return f, nil
}

func (d *Deliverer) record(ctx context.Context, m store.ReminderMessage, status, channel, id, why string) (Outcome, error) {
	var sent *time.Time
	if status == store.ReminderSent {
		t := d.cfg.Now().UTC()
		sent = &t
	}
	_, err := d.cfg.Store.UpdateReminderMessage(ctx, store.UpdateReminderMessageParams{ClinicID: m.ClinicID, ID: m.ID, Status: status,
		Channel: channel, Attempts: m.Attempts, LastError: why, MessageID: id, SentAt: sent, ConfirmedAt: m.ConfirmedAt})
	if err != nil {
		return Outcome{}, err
	}
	d.cfg.Logger.InfoContext(ctx, "reminder", "clinic", m.ClinicID, "reminder", m.ID, "appointment", m.AppointmentID,
		"channel", channel, "status", status, "attempt", m.Attempts)
	return Outcome{Status: status, Channel: channel}, nil
}

// describe is an error as kept on the row: the SMTP reply code, not the
// server's text (which may echo the address).
func describe(err error) string {
	var se *mail.SendError
	if errors.As(err, &se) {
		return fmt.Sprintf("SMTP %d %s", se.ErrorCode(), se.EnhancedStatusCode())
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

func cmpOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// nameCase writes an all-capitals name as a name.
func nameCase(s string) string {
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
