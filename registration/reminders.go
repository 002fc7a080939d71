package registration

import (
	"context"
	"errors"

	"github.com/clearhouse/clearhouse/store"
)

// ReminderChannels are the channels a patient may ask for; ChannelAuto
// (the empty string) leaves the choice to delivery: e-mail when the
// patient has an address, SMS otherwise.
var ReminderChannels = []string{store.ChannelEmail, store.ChannelSMS, store.ChannelNone}

// ChannelAuto is no channel preference.
const ChannelAuto = ""

// ReminderPreferenceChange is a change of a patient's reminder
// preference; nil fields keep their values.
type ReminderPreferenceChange struct {
	Channel  *string
	OptedOut *bool
}

// ReminderPreference is a patient's reminder preference; a patient without
// a stored one has the zero preference (automatic channel, not opted out)
// with a zero UpdatedAt.
func (s *Service) ReminderPreference(ctx context.Context, clinicID, patientID int64) (store.ReminderPreference, error) {
	if _, err := s.cfg.Store.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: patientID}); err != nil {
		return store.ReminderPreference{}, err
	}
	p, err := s.cfg.Store.GetReminderPreference(ctx, store.GetReminderPreferenceParams{ClinicID: clinicID, PatientID: patientID})
	if errors.Is(err, store.ErrNotFound) {
		return store.ReminderPreference{ClinicID: clinicID, PatientID: patientID}, nil
	}
	return p, err
}

// SetReminderPreference changes a patient's reminder channel or opt-out
// and writes a "patient.reminders" audit event in the same transaction.
// Delivery reads the preference when each reminder is due, so an opt-out
// stops the patient's pending reminders too.
func (s *Service) SetReminderPreference(ctx context.Context, clinicID, patientID int64, ch ReminderPreferenceChange) (store.ReminderPreference, error) {
	if ch.Channel != nil && *ch.Channel != ChannelAuto {
		ok := false
		for _, c := range ReminderChannels {
			ok = ok || *ch.Channel == c
		}
		if !ok {
			var e errs
			e.add("channel", *ch.Channel, "want email, sms or none")
			return store.ReminderPreference{}, e.err()
		}
	}
	var p store.ReminderPreference
	err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		if _, err := tx.GetPatient(ctx, store.Ref{ID: patientID}); err != nil {
			return err
		}
		cur, err := tx.GetReminderPreference(ctx, store.GetReminderPreferenceParams{PatientID: patientID})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		next := store.SetReminderPreferenceParams{PatientID: patientID, Channel: cur.Channel, OptedOut: cur.OptedOut}
		if ch.Channel != nil {
			next.Channel = *ch.Channel
		}
		if ch.OptedOut != nil {
			next.OptedOut = *ch.OptedOut
		}
		if p, err = tx.SetReminderPreference(ctx, next); err != nil {
			return err
		}
		return s.audit(ctx, tx, "patient.reminders", "patient", patientID, map[string]any{
			"channel": channelName(p.Channel), "opted_out": p.OptedOut,
			"was": map[string]any{"channel": channelName(cur.Channel), "opted_out": cur.OptedOut}})
	})
	return p, err
}

// channelName is a channel as shown: "auto" for no preference.
func channelName(c string) string {
	if c == ChannelAuto {
		return "auto"
	}
	return c
}
