package registration_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
)

func TestReminderPreference(t *testing.T) {
	svc, st, c := setup(t)
	ctx := context.Background()
	p, err := svc.AddPatient(ctx, c.ID, registration.PatientInput{MRN: "MRN-1", FirstName: "Grace", LastName: "Hopper", BirthDate: date(1950, 12, 9), Sex: "F"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	yes, no := true, false
	type want struct {
		channel  string
		optedOut bool
	}
	steps := []struct {
		name   string
		change registration.ReminderPreferenceChange
		want   want
		err    error
	}{
		{"opt out without a channel", registration.ReminderPreferenceChange{OptedOut: &yes}, want{"", true}, nil},
		{"channel keeps the opt-out", registration.ReminderPreferenceChange{Channel: str("sms")}, want{"sms", true}, nil},
		{"opt in keeps the channel", registration.ReminderPreferenceChange{OptedOut: &no}, want{"sms", false}, nil},
		{"unknown channel", registration.ReminderPreferenceChange{Channel: str("fax")}, want{"sms", false}, registration.ErrInput},
		{"back to automatic", registration.ReminderPreferenceChange{Channel: str(registration.ChannelAuto)}, want{"", false}, nil},
	}
	for _, s := range steps {
		_, err := svc.SetReminderPreference(ctx, c.ID, p.ID, s.change)
		if !errors.Is(err, s.err) || (err == nil) != (s.err == nil) {
			t.Fatalf("%s: error %v, want %v", s.name, err, s.err)
		}
		got, err := svc.ReminderPreference(ctx, c.ID, p.ID)
		if err != nil || (want{got.Channel, got.OptedOut}) != s.want {
			t.Fatalf("%s: %+v %v, want %+v", s.name, got, err, s.want)
		}
	}
	if _, err := svc.SetReminderPreference(ctx, c.ID, p.ID+100, registration.ReminderPreferenceChange{OptedOut: &yes}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown patient: %v", err)
	}
	if _, err := svc.ReminderPreference(ctx, c.ID, p.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown patient shown: %v", err)
	}
	evs, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == "patient.reminders" {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("%d patient.reminders audit events, want 4 (one per change made)", n)
	}
}
