package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/notify"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// smsGateway is an HTTP SMS provider started by the test: numbers ending
// 0000 are refused for good.
type smsGateway struct {
	mu   sync.Mutex
	sent []map[string]string
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]string
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || r.Header.Get("Authorization") != "Bearer s3cret" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if strings.HasSuffix(m["to"], "0000") {
		http.Error(w, "invalid number", http.StatusUnprocessableEntity)
		return
	}
	g.mu.Lock()
	g.sent = append(g.sent, m)
	n := len(g.sent)
	g.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]string{"id": "sms-" + string(rune('0'+n))})
}

type deliveryFixture struct {
	st     store.Store
	svc    *scheduling.Service
	clinic store.Clinic
	dr     store.Provider
	mb     *mailbox
	sms    *smsGateway
	d      *notify.Deliverer
}

func newDeliveryFixture(t *testing.T, st store.Store, tpl *notify.Template) *deliveryFixture {
	t.Helper()
	ctx := context.Background()
	f := &deliveryFixture{st: st, mb: startMailbox(t), sms: &smsGateway{}}
	var err error
	f.clinic, err = st.CreateClinic(ctx, store.CreateClinicParams{Name: "Riverbend Family Medicine", NPI: "1234567893",
		TaxID: "12-3456789", SubmitterID: "CLEARHOUSE", ClinicSettings: store.ClinicSettings{ContactPhone: "555-555-0199"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.dr, err = st.CreateProvider(ctx, store.CreateProviderParams{ClinicID: f.clinic.ID, NPI: "1659412344", FirstName: "Ana", LastName: "KIM"}); err != nil {
		t.Fatal(err)
	}
	if f.svc, err = scheduling.New(scheduling.Config{Store: st, Location: est, Now: clock, Outbox: true}); err != nil {
		t.Fatal(err)
	}
	mailer, err := notify.NewSMTPMailer(notify.SMTPConfig{Host: f.mb.Addr, Port: f.mb.Port, TLS: "none", From: "reminders@riverbend.example"})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(f.sms)
	t.Cleanup(gw.Close)
	sms, err := notify.NewHTTPSMS(notify.HTTPSMSConfig{URL: gw.URL, Token: "s3cret", From: "+15555550199"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := notify.Config{Store: st, Email: mailer, SMS: sms, Location: est, Now: clock}
	if tpl != nil {
		cfg.Templates = map[int64]*notify.Template{f.clinic.ID: tpl}
	}
	if f.d, err = notify.New(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *deliveryFixture) patient(t *testing.T, mrn, first, email, phone string) store.Patient {
	t.Helper()
	p, err := f.st.CreatePatient(context.Background(), store.CreatePatientParams{ClinicID: f.clinic.ID, MRN: mrn, FirstName: first,
		LastName: "DOE", BirthDate: time.Date(1980, 4, 12, 0, 0, 0, 0, time.UTC), Email: email, Phone: phone})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *deliveryFixture) book(t *testing.T, p store.Patient, start time.Time) store.Appointment {
	t.Helper()
	a, err := f.svc.Book(context.Background(), scheduling.BookParams{ClinicID: f.clinic.ID, PatientID: p.ID, ProviderID: f.dr.ID, Start: start, Reason: "diabetes follow-up"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *deliveryFixture) outbox(t *testing.T, a store.Appointment) []store.ReminderMessage {
	t.Helper()
	ms, err := f.st.ListReminderMessages(context.Background(), store.ListReminderMessagesParams{ClinicID: f.clinic.ID, AppointmentID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func (f *deliveryFixture) deliver(t *testing.T, m store.ReminderMessage) (notify.Outcome, error) {
	t.Helper()
	return f.d.Deliver(context.Background(), f.clinic.ID, m.ID, false)
}

func TestDeliverEndToEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newDeliveryFixture(t, st, nil)
		jane := f.patient(t, "MRN1", "JANE", "jane@example.test", "5555550100")
		a := f.book(t, jane, time.Date(2026, 3, 6, 9, 30, 0, 0, est))

		// Booking wrote the outbox: 72h and 24h reminders, pending.
		rows := f.outbox(t, a)
		if len(rows) != 2 || rows[0].DueAt != a.StartsAt.Add(-72*time.Hour) || rows[1].DueAt != a.StartsAt.Add(-24*time.Hour) ||
			rows[0].Status != store.ReminderPending || rows[0].Purpose != scheduling.PurposeReminder {
			t.Fatalf("outbox after booking: %+v", rows)
		}

		// The 72h reminder goes out and is read back from the server.
		out, err := f.deliver(t, rows[0])
		if err != nil || out.Status != store.ReminderSent || out.Channel != store.ChannelEmail {
			t.Fatalf("deliver: %+v %v", out, err)
		}
		msgs := f.mb.Messages()
		if len(msgs) != 1 || msgs[0].To[0] != "jane@example.test" || msgs[0].From != "reminders@riverbend.example" {
			t.Fatalf("received %+v", msgs)
		}
		body := msgs[0].Text()
		for _, want := range []string{"Subject: Appointment reminder from Riverbend Family Medicine", "Friday, March 6 at 9:30 AM", "555-555-0199"} {
			if !strings.Contains(body, want) {
				t.Errorf("message lacks %q:\n%s", want, body)
			}
		}
		// The default template carries no PHI.
		for _, phi := range []string{"Jane", "JANE", "Kim", "diabetes"} {
			if strings.Contains(body, phi) {
				t.Errorf("message carries %q:\n%s", phi, body)
			}
		}
		sent, _ := st.GetReminderMessage(ctx, store.Ref{ClinicID: f.clinic.ID, ID: rows[0].ID})
		if sent.Status != store.ReminderSent || sent.SentAt == nil || sent.Attempts != 1 || sent.MessageID == "" ||
			!strings.Contains(body, sent.MessageID) {
			t.Fatalf("sent row %+v", sent)
		}
		// Once: delivering the row again sends nothing.
		if out, err := f.deliver(t, rows[0]); err != nil || out.Status != store.ReminderSent || len(f.mb.Messages()) != 1 {
			t.Fatalf("second delivery: %+v %v, %d messages", out, err, len(f.mb.Messages()))
		}

		// A change of time supersedes the pending 24h reminder and sends a
		// corrected one at once, then reminders for the new time.
		if _, err := f.svc.Reschedule(ctx, scheduling.RescheduleParams{ClinicID: f.clinic.ID, AppointmentID: a.ID,
			Start: time.Date(2026, 3, 6, 11, 0, 0, 0, est)}); err != nil {
			t.Fatal(err)
		}
		rows = f.outbox(t, a)
		byPurpose := map[string][]store.ReminderMessage{}
		for _, m := range rows {
			byPurpose[m.Status+"/"+m.Purpose] = append(byPurpose[m.Status+"/"+m.Purpose], m)
		}
		if len(byPurpose["superseded/reminder"]) != 1 || len(byPurpose["pending/corrected"]) != 1 || len(byPurpose["pending/reminder"]) != 2 ||
			len(byPurpose["sent/reminder"]) != 1 {
			t.Fatalf("outbox after the move: %+v", rows)
		}
		corr := byPurpose["pending/corrected"][0]
		if !corr.DueAt.Equal(testNow) {
			t.Errorf("corrected reminder due %v, want now", corr.DueAt)
		}
		if out, err := f.deliver(t, corr); err != nil || out.Status != store.ReminderSent {
			t.Fatalf("corrected: %+v %v", out, err)
		}
		msgs = f.mb.Messages()
		if len(msgs) != 2 || !strings.Contains(msgs[1].Text(), "Friday, March 6 at 11:00 AM") || !strings.Contains(msgs[1].Text(), "has changed") {
			t.Fatalf("corrected message: %+v", msgs)
		}
		// The superseded row is not sent even if its job runs.
		if out, err := f.deliver(t, byPurpose["superseded/reminder"][0]); err != nil || out.Status != store.ReminderSuperseded || len(f.mb.Messages()) != 2 {
			t.Fatalf("superseded: %+v %v", out, err)
		}

		// A cancellation supersedes what is pending.
		if _, err := f.svc.Cancel(ctx, scheduling.ActionParams{ClinicID: f.clinic.ID, AppointmentID: a.ID}); err != nil {
			t.Fatal(err)
		}
		for _, m := range f.outbox(t, a) {
			if m.Status == store.ReminderPending {
				t.Errorf("pending after cancel: %+v", m)
			}
		}
	})
}

func TestDeliverBounceOptOutRetrySMS(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newDeliveryFixture(t, st, nil)
		start := time.Date(2026, 3, 9, 10, 0, 0, 0, est)
		first := func(p store.Patient, at time.Time) store.ReminderMessage {
			t.Helper()
			return f.outbox(t, f.book(t, p, at))[0]
		}

		// A recipient refused for good: bounced, not retried, no mail.
		bounce := first(f.patient(t, "MRN2", "BO", "bounce@example.test", ""), start)
		out, err := f.deliver(t, bounce)
		if err != nil || out.Status != store.ReminderBounced {
			t.Fatalf("bounce: %+v %v", out, err)
		}
		got, _ := st.GetReminderMessage(ctx, store.Ref{ClinicID: f.clinic.ID, ID: bounce.ID})
		if got.Status != store.ReminderBounced || !strings.Contains(got.LastError, "550") || strings.Contains(got.LastError, "bounce@") {
			t.Fatalf("bounced row %+v", got)
		}

		// An opt-out is honoured whatever the channel.
		olga := f.patient(t, "MRN3", "OLGA", "olga@example.test", "5555550111")
		if _, err := st.SetReminderPreference(ctx, store.SetReminderPreferenceParams{ClinicID: f.clinic.ID, PatientID: olga.ID,
			Channel: store.ChannelEmail, OptedOut: true}); err != nil {
			t.Fatal(err)
		}
		if out, err := f.deliver(t, first(olga, start.Add(30*time.Minute))); err != nil || out.Status != store.ReminderSkipped {
			t.Fatalf("opt-out: %+v %v", out, err)
		}

		// A temporary refusal is recorded and returned (River retries);
		// the retry goes out.
		busy := first(f.patient(t, "MRN4", "BUSY", "busy@example.test", ""), start.Add(time.Hour))
		if out, err := f.deliver(t, busy); err == nil || out.Status != store.ReminderPending {
			t.Fatalf("temporary: %+v %v", out, err)
		}
		got, _ = st.GetReminderMessage(ctx, store.Ref{ClinicID: f.clinic.ID, ID: busy.ID})
		if got.Attempts != 1 || !strings.Contains(got.LastError, "451") {
			t.Fatalf("after a temporary failure: %+v", got)
		}
		if out, err := f.deliver(t, busy); err != nil || out.Status != store.ReminderSent {
			t.Fatalf("retry: %+v %v", out, err)
		}
		got, _ = st.GetReminderMessage(ctx, store.Ref{ClinicID: f.clinic.ID, ID: busy.ID})
		if got.Attempts != 2 || got.LastError != "" {
			t.Fatalf("after the retry: %+v", got)
		}
		if n := len(f.mb.Messages()); n != 1 {
			t.Fatalf("%d messages, want 1 (the retried one)", n)
		}

		// The channel preference: SMS through the HTTP provider.
		sam := f.patient(t, "MRN5", "SAM", "sam@example.test", "5555550123")
		if _, err := st.SetReminderPreference(ctx, store.SetReminderPreferenceParams{ClinicID: f.clinic.ID, PatientID: sam.ID, Channel: store.ChannelSMS}); err != nil {
			t.Fatal(err)
		}
		if out, err := f.deliver(t, first(sam, start.Add(90*time.Minute))); err != nil || out.Status != store.ReminderSent || out.Channel != store.ChannelSMS {
			t.Fatalf("sms: %+v %v", out, err)
		}
		if len(f.sms.sent) != 1 || f.sms.sent[0]["to"] != "5555550123" || !strings.Contains(f.sms.sent[0]["body"], "Monday, March 9 at 11:30 AM") {
			t.Fatalf("sms sent %+v", f.sms.sent)
		}
		// A number the provider refuses bounces.
		nil0 := f.patient(t, "MRN6", "NIL", "", "5555550000")
		if out, err := f.deliver(t, first(nil0, start.Add(2*time.Hour))); err != nil || out.Status != store.ReminderBounced {
			t.Fatalf("sms bounce: %+v %v", out, err)
		}
		if n := len(f.mb.Messages()); n != 1 {
			t.Fatalf("%d e-mails", n)
		}
	})
}

func TestTemplatePHI(t *testing.T) {
	t.Run("allowed fields only", func(t *testing.T) {
		tpl := notify.Template{Allow: []string{notify.FieldClinic, notify.FieldWhen}, Subject: "x", Email: "{{.Clinic}} {{.Provider}}", SMS: "y"}
		if err := tpl.Compile(); !errors.Is(err, notify.ErrTemplate) {
			t.Fatalf("a field outside allow compiled: %v", err)
		}
		tpl = notify.Template{Allow: []string{"SSN"}, Subject: "x", Email: "y", SMS: "z"}
		if err := tpl.Compile(); !errors.Is(err, notify.ErrTemplate) {
			t.Fatalf("an unknown field compiled: %v", err)
		}
	})
	eachBackend(t, func(t *testing.T, st store.Store) {
		tpl := &notify.Template{Allow: []string{notify.FieldFirstName, notify.FieldClinic, notify.FieldWhen, notify.FieldProvider},
			Subject: "Reminder", Email: "Hello {{.FirstName}}, {{.Provider}} sees you {{.When}} at {{.Clinic}}.", SMS: "{{.FirstName}}: {{.When}}"}
		f := newDeliveryFixture(t, st, tpl)
		jane := f.patient(t, "MRN1", "JANE", "jane@example.test", "")
		if _, err := f.deliver(t, f.outbox(t, f.book(t, jane, time.Date(2026, 3, 6, 9, 30, 0, 0, est)))[0]); err != nil {
			t.Fatal(err)
		}
		body := f.mb.Messages()[0].Text()
		if !strings.Contains(body, "Hello Jane, Dr. Kim sees you Friday, March 6 at 9:30 AM at Riverbend Family Medicine.") || strings.Contains(body, "diabetes") {
			t.Fatalf("message:\n%s", body)
		}
	})
}

// TestDeliverReadsPreferenceWhenDue: the preference is read when each
// reminder is delivered, not when it is queued, so an opt-out given after
// the booking stops the reminders already in the outbox, and opting back
// in lets the later ones go.
func TestDeliverReadsPreferenceWhenDue(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newDeliveryFixture(t, st, nil)
		pat := f.patient(t, "MRN7", "LATE", "late@example.test", "5555550177")
		ms := f.outbox(t, f.book(t, pat, time.Date(2026, 3, 9, 10, 0, 0, 0, est)))
		if len(ms) < 2 {
			t.Fatalf("%d reminders queued, want 2 or more", len(ms))
		}
		set := func(channel string, optedOut bool) {
			t.Helper()
			if _, err := st.SetReminderPreference(ctx, store.SetReminderPreferenceParams{ClinicID: f.clinic.ID, PatientID: pat.ID,
				Channel: channel, OptedOut: optedOut}); err != nil {
				t.Fatal(err)
			}
		}
		set("", true) // no channel preference, opted out
		if out, err := f.deliver(t, ms[0]); err != nil || out.Status != store.ReminderSkipped || out.Channel != store.ChannelNone {
			t.Fatalf("after the opt-out: %+v %v", out, err)
		}
		set(store.ChannelSMS, false)
		if out, err := f.deliver(t, ms[1]); err != nil || out.Status != store.ReminderSent || out.Channel != store.ChannelSMS {
			t.Fatalf("after opting back in by SMS: %+v %v", out, err)
		}
		if len(f.mb.Messages()) != 0 || len(f.sms.sent) != 1 {
			t.Fatalf("%d e-mails, %d texts; want 0 and 1", len(f.mb.Messages()), len(f.sms.sent))
		}
	})
}
