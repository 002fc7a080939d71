package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/notify"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// sentMail records the addresses reminders were e-mailed to.
type sentMail struct{ to []string }

func (m *sentMail) SendEmail(_ context.Context, to string, _ notify.Message) (string, error) {
	m.to = append(m.to, to)
	return "<m" + itoa64(int64(len(m.to))) + "@test>", nil
}

var reminderNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func openReminderStore(t *testing.T, backend, db string) store.Store {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return reminderNow }
	var st store.Store
	var err error
	if backend == "sqlite" {
		st, err = sqlitestore.Open(ctx, sqlitestore.Config{Path: db, Now: now})
	} else {
		st, err = pgstore.Open(ctx, pgstore.Config{URL: db, Now: now, MaxConns: 2})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestPatientsReminders sets a patient's channel, opts them out and shows
// the preference; the opted-out patient's reminder, queued before the
// opt-out, is skipped at delivery while another patient's goes out.
func TestPatientsReminders(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "reminders.db")
			if backend == "postgres" {
				db = storetest.PostgresURL(t, "clearhouse_cli_reminders")
			}
			st := openReminderStore(t, backend, db)
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			addTestUsers(t, st)
			c, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "Riverbend Family Medicine", NPI: "1234567893", TaxID: "123456789"})
			if err != nil {
				t.Fatal(err)
			}
			dr, err := st.CreateProvider(ctx, store.CreateProviderParams{ClinicID: c.ID, NPI: "1659412344", LastName: "KIM"})
			if err != nil {
				t.Fatal(err)
			}
			patient := func(mrn, first, email string) store.Patient {
				p, err := st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: mrn, FirstName: first, LastName: "DOE",
					BirthDate: time.Date(1980, 4, 12, 0, 0, 0, 0, time.UTC), Sex: "F", Email: email, Phone: "5555550123"})
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			olga, sam := patient("MRN1", "OLGA", "olga@example.test"), patient("MRN2", "SAM", "sam@example.test")
			svc, err := scheduling.New(scheduling.Config{Store: st, Location: time.UTC, Now: func() time.Time { return reminderNow }, Outbox: true})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
			for i, p := range []store.Patient{olga, sam} {
				if _, err := svc.Book(ctx, scheduling.BookParams{ClinicID: c.ID, PatientID: p.ID, ProviderID: dr.ID,
					Start: start.Add(time.Duration(i) * time.Hour), Reason: "checkup"}); err != nil {
					t.Fatal(err)
				}
			}

			login := "sam"
			cli := func(args ...string) (int, string, string) {
				t.Helper()
				var out, errb strings.Builder
				root := NewRootCmd(&Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Login: login})
				root.SetArgs(append([]string{"--database", db}, args...))
				code := 0
				if err := root.Execute(); err != nil {
					code = 1
					if ee, ok := err.(*ExitError); ok {
						code = ee.Code
					}
					errb.WriteString(err.Error())
				}
				// Table output, its padding squeezed.
				return code, strings.Join(strings.Fields(out.String()), " "), errb.String()
			}
			show := func(ref string) reminderPrefView {
				t.Helper()
				code, out, errOut := cli("patients", "reminders", ref, "-o", "json")
				var v reminderPrefView
				if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Reminders == "" {
					t.Fatalf("show %s: %d %q %q", ref, code, out, errOut)
				}
				return v
			}

			if v := show("MRN1"); v.Channel != "auto" || v.OptedOut || v.UpdatedAt != nil {
				t.Fatalf("before any change: %+v", v)
			}
			code, out, errOut := cli("patients", "reminders", "MRN1", "--channel", "sms")
			if code != 0 || !strings.Contains(out, "channel: sms") || !strings.Contains(out, "opted out: no") {
				t.Fatalf("--channel sms: %d %q %q", code, out, errOut)
			}
			code, out, errOut = cli("patients", "reminders", itoa64(olga.ID), "--opt-out", "--clinic", itoa64(c.ID))
			if code != 0 || !strings.Contains(out, "channel: sms") || !strings.Contains(out, "opted out: yes") {
				t.Fatalf("--opt-out: %d %q %q", code, out, errOut)
			}
			if v := show("MRN1"); v.Channel != "sms" || !v.OptedOut || v.UpdatedAt == nil || v.PatientID != olga.ID {
				t.Fatalf("after the opt-out: %+v", v)
			}
			for _, bad := range [][]string{{"--channel", "fax"}, {"--opt-out", "--opt-in"}} {
				if code, _, errOut := cli(append([]string{"patients", "reminders", "MRN1"}, bad...)...); code != 2 {
					t.Errorf("%v: exit %d %q, want 2", bad, code, errOut)
				}
			}
			if code, _, errOut := cli("patients", "reminders", "MRN9"); code != 1 || !strings.Contains(errOut, "MRN9") {
				t.Errorf("unknown patient: exit %d %q", code, errOut)
			}
			if v := show("MRN1"); v.Channel != "sms" || !v.OptedOut {
				t.Fatalf("refused changes changed the preference: %+v", v)
			}

			// An operator may neither read nor change it.
			login = "ana"
			for _, args := range [][]string{{"patients", "reminders", "MRN1"}, {"patients", "reminders", "MRN1", "--opt-in"}} {
				if code, _, errOut := cli(args...); code != ExitDenied {
					t.Errorf("operator %v: exit %d %q, want %d", args, code, errOut, ExitDenied)
				}
			}
			login = "sam"

			// Two changes, two audit events naming the patient.
			evs, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: c.ID, EntityType: "patient", EntityID: itoa64(olga.ID)})
			if err != nil {
				t.Fatal(err)
			}
			var changes []string
			for _, e := range evs {
				if e.Action == "patient.reminders" {
					changes = append(changes, string(e.Details))
				}
			}
			if len(changes) != 2 || !strings.Contains(changes[1], `"opted_out":true`) || !strings.Contains(changes[1], `"channel":"sms"`) {
				t.Fatalf("audit events %q", changes)
			}

			// Delivery: Olga's reminders, queued before she opted out,
			// are skipped; Sam's go out.
			mail := &sentMail{}
			d, err := notify.New(notify.Config{Store: st, Email: mail, Now: func() time.Time { return reminderNow }})
			if err != nil {
				t.Fatal(err)
			}
			ms, err := st.ListReminderMessages(ctx, store.ListReminderMessagesParams{ClinicID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != 4 {
				t.Fatalf("%d reminders queued, want 4 (72 h and 24 h for each)", len(ms))
			}
			for _, m := range ms {
				if m.Status != store.ReminderPending {
					t.Fatalf("reminder %d is %s before delivery", m.ID, m.Status)
				}
				out, err := d.Deliver(ctx, c.ID, m.ID, false)
				want := notify.Outcome{Status: store.ReminderSent, Channel: store.ChannelEmail}
				if m.PatientID == olga.ID {
					// Skipped for the opt-out (channel none), not for want
					// of an SMS provider (channel sms).
					want = notify.Outcome{Status: store.ReminderSkipped, Channel: store.ChannelNone}
				}
				if err != nil || out != want {
					t.Errorf("patient %d reminder %d: %+v %v, want %+v", m.PatientID, m.ID, out, err, want)
				}
				if got, _ := st.GetReminderMessage(ctx, store.Ref{ClinicID: c.ID, ID: m.ID}); m.PatientID == olga.ID && got.LastError != "patient opted out" {
					t.Errorf("reminder %d: %+v", m.ID, got)
				}
			}
			if len(mail.to) != 2 || mail.to[0] != "sam@example.test" || mail.to[1] != "sam@example.test" {
				t.Fatalf("sent to %q", mail.to)
			}

			// Opting back in keeps the channel.
			if code, out, errOut := cli("patients", "reminders", "MRN1", "--opt-in", "-o", "json"); code != 0 || !strings.Contains(out, `"opted_out": false, "reminders": "by sms"`) {
				t.Fatalf("--opt-in: %d %q %q", code, out, errOut)
			}
		})
	}
}
