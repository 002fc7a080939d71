package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
)

// reminderPrefView is a patient's reminder preference as -o json shows it.
type reminderPrefView struct {
	PatientID int64   `json:"patient_id"`
	MRN       string  `json:"mrn"`
	Channel   string  `json:"channel"`
	OptedOut  bool    `json:"opted_out"`
	Reminders string  `json:"reminders"`
	UpdatedAt *string `json:"updated_at"`
}

func viewReminderPref(p store.Patient, r store.ReminderPreference) reminderPrefView {
	v := reminderPrefView{PatientID: p.ID, MRN: p.MRN, Channel: r.Channel, OptedOut: r.OptedOut}
	if v.Channel == registration.ChannelAuto {
		v.Channel = "auto"
	}
	switch {
	case r.OptedOut:
		v.Reminders = "none: the patient opted out"
	case r.Channel == store.ChannelNone:
		v.Reminders = "none: the patient asked for none"
	case r.Channel == registration.ChannelAuto:
		v.Reminders = "e-mail when the patient has an address, else SMS"
	default:
		v.Reminders = "by " + r.Channel
	}
	if !r.UpdatedAt.IsZero() {
		s := r.UpdatedAt.UTC().Format(time.RFC3339)
		v.UpdatedAt = &s
	}
	return v
}

func newPatientsRemindersCmd(env *Env) *cobra.Command {
	var f regFlags
	var channel string
	var optOut, optIn bool
	c := &cobra.Command{
		Use:   "reminders ID|MRN",
		Short: "Show a patient's appointment reminder preference; with --channel, --opt-out or --opt-in, change it",
		Long: "Show a patient's appointment reminder preference; with --channel, --opt-out or --opt-in, change it.\n" +
			"Each reminder reads the preference when it is due, so an opt-out also stops the patient's pending\n" +
			"reminders (they are recorded skipped). Changes are written to the audit log.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			if optOut && optIn {
				return exitf(2, "--opt-out and --opt-in: give one")
			}
			var ch registration.ReminderPreferenceChange
			if cmd.Flags().Changed("channel") {
				v := channel
				switch v {
				case "auto":
					v = registration.ChannelAuto
				case store.ChannelEmail, store.ChannelSMS, store.ChannelNone:
				default:
					return exitf(2, "--channel %q: want email, sms, none or auto", channel)
				}
				ch.Channel = &v
			}
			if optOut || optIn {
				ch.OptedOut = &optOut
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			p, err := patientRef(ctx, s.st, s.clinic, args[0])
			if err != nil {
				return regError(err)
			}
			var r store.ReminderPreference
			if ch.Channel == nil && ch.OptedOut == nil {
				if r, err = s.svc.ReminderPreference(ctx, s.clinic, p.ID); err != nil {
					return regError(err)
				}
				if err := env.auditReads(ctx, s.st, cmd, s.clinic, "patient", []int64{p.ID}); err != nil {
					return err
				}
			} else if r, err = s.svc.SetReminderPreference(ctx, s.clinic, p.ID, ch); err != nil {
				return regError(err)
			}
			v := viewReminderPref(p, r)
			updated := "never set"
			if v.UpdatedAt != nil {
				updated = *v.UpdatedAt
			}
			fields := []field{{"patient", itoa64(p.ID)}, {"mrn", p.MRN}, {"channel", v.Channel},
				{"opted out", map[bool]string{true: "yes", false: "no"}[v.OptedOut]}, {"reminders", v.Reminders}, {"updated", updated}}
			return writeRecord(env.Stdout, f.output, fields, v)
		},
	}
	c.Flags().StringVar(&channel, "channel", "", "the channel reminders go by: email, sms, none (no reminders), or auto (e-mail when the patient has an address, else SMS)")
	c.Flags().BoolVar(&optOut, "opt-out", false, "the patient opts out: no reminders, pending ones included")
	c.Flags().BoolVar(&optIn, "opt-in", false, "the patient opts back in to reminders")
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}
