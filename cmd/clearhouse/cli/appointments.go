package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/predict"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// schedulingFlags are the flags every scheduling command shares.
type schedulingFlags struct {
	clinic    int64
	tz        string
	payersDir string
}

func (f *schedulingFlags) register(c *cobra.Command) {
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	c.Flags().StringVar(&f.tz, "tz", "", "the clinic's time zone (IANA name) for times given and shown (default: $CLEARHOUSE_TZ, else the system's zone)")
}

// location is --tz, else $CLEARHOUSE_TZ, else the system's local zone.
func (f *schedulingFlags) location(env *Env) (*time.Location, error) {
	return clinicLocation(env, f.tz)
}

// clinicLocation is the clinics' time zone for every command that shows or
// reads clinic times (appointments, serve's nightly run): tz (--tz), else
// $CLEARHOUSE_TZ, else the system's local zone. The store keeps times in
// UTC and the clinic's zone is the operator's to say.
func clinicLocation(env *Env, tz string) (*time.Location, error) {
	name, flag := tz, "--tz"
	if name == "" {
		name, flag = env.Getenv("CLEARHOUSE_TZ"), "CLEARHOUSE_TZ"
	}
	if name == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, &ExitError{Code: 2, Err: fmt.Errorf("%s %q: not a known time zone", flag, name)}
	}
	return loc, nil
}

// open opens the store and builds the scheduling service, and settles
// --clinic (the only clinic when not given); close the store when done.
func (f *schedulingFlags) open(ctx context.Context, env *Env) (*scheduling.Service, store.Store, *time.Location, error) {
	loc, err := f.location(env)
	if err != nil {
		return nil, nil, nil, err
	}
	var reg *payers.Registry
	if f.payersDir != "" {
		reg, err = payers.LoadDir(f.payersDir)
	} else {
		reg, err = fixtures.Payers()
	}
	if err != nil {
		return nil, nil, nil, &ExitError{Code: 2, Err: err}
	}
	st, err := env.openStore(ctx, storedb.Options{})
	if err != nil {
		return nil, nil, nil, &ExitError{Code: 2, Err: err}
	}
	if f.clinic, err = clinicOrOnly(ctx, st, f.clinic); err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	// Bookings write the reminder outbox, scored by the clinic's no-show
	// model when one was trained; `serve --reminders` delivers it.
	svc, err := scheduling.New(scheduling.Config{Store: st, Payers: reg, Location: loc, Outbox: true, Actor: env.actorName(),
		Risk: predict.NoShowScorer{Location: loc}})
	if err != nil {
		st.Close()
		return nil, nil, nil, &ExitError{Code: 2, Err: err}
	}
	return svc, st, loc, nil
}

// appointmentID is the ID argument, or the older --id flag.
func appointmentID(args []string, flagID int64) (int64, error) {
	switch {
	case len(args) == 1 && flagID != 0:
		return 0, exitf(2, "give the appointment ID once: as the argument (--id is its older form)")
	case len(args) == 1:
		return parseID(args[0], "appointment")
	case flagID > 0:
		return flagID, nil
	}
	return 0, exitf(2, "no appointment: give its ID as the argument")
}

// idFlag registers the older --id form of the ID argument, hidden.
func idFlag(c *cobra.Command, p *int64) {
	c.Flags().Int64Var(p, "id", 0, "appointment ID (the older form of the ID argument)")
	_ = c.Flags().MarkHidden("id")
}

// people names a clinic's providers and patients for listings.
type people struct {
	providers map[int64]string
	patients  map[int64]string
}

// loadPeople reads the names of the clinic's providers and of the patients
// with the given IDs.
func loadPeople(ctx context.Context, st store.Store, clinicID int64, patientIDs []int64) (people, error) {
	p := people{providers: map[int64]string{}, patients: map[int64]string{}}
	prs, err := st.ListProviders(ctx, store.ListProvidersParams{ClinicID: clinicID})
	if err != nil {
		return p, err
	}
	for _, pr := range prs {
		p.providers[pr.ID] = personName(pr.LastName, pr.FirstName)
	}
	for _, id := range patientIDs {
		if _, ok := p.patients[id]; ok {
			continue
		}
		pt, err := st.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: id})
		if err != nil {
			return p, err
		}
		p.patients[id] = personName(pt.LastName, pt.FirstName)
	}
	return p, nil
}

// named is "name (#id)", or "#id" for a name not known.
func named(names map[int64]string, id int64) string {
	if n := names[id]; n != "" {
		return fmt.Sprintf("%s (#%d)", n, id)
	}
	return fmt.Sprintf("#%d", id)
}

// schedulingError maps a scheduling error to an exit status: 1 for refusals
// (overlap, illegal transition, bad file), 2 otherwise.
func schedulingError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	for _, e := range []error{scheduling.ErrDoubleBooked, scheduling.ErrIllegalTransition, scheduling.ErrOutsideHours,
		scheduling.ErrImport, scheduling.ErrCoverage, scheduling.ErrInvalid, store.ErrNotFound} {
		if errors.Is(err, e) {
			return &ExitError{Code: 1, Err: err}
		}
	}
	return &ExitError{Code: 2, Err: err}
}

func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// newAppointmentsCmd builds "clearhouse appointments".
func newAppointmentsCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "appointments",
		Short: "Book and manage appointments",
	}
	cmd.AddCommand(newApptBookCmd(env), newApptListCmd(env), newApptRescheduleCmd(env),
		newApptActionCmd(env, "cancel", "Cancel a booked appointment"),
		newApptActionCmd(env, "checkin", "Check a patient in and show the expected patient responsibility"),
		newApptActionCmd(env, "checkout", "Check a patient out and close the encounter for billing"),
		newApptActionCmd(env, "noshow", "Record that the patient did not come"),
		newApptActionCmd(env, "confirm", "Record that the patient confirmed (takes the appointment off the no-show worklist)"),
		newApptImportCmd(env))
	return cmd
}

const timeLayout = "2006-01-02 15:04"

func printAppointment(env *Env, a store.Appointment, loc *time.Location) {
	cov := "-"
	if a.CoverageID != nil {
		cov = fmt.Sprint(*a.CoverageID)
	}
	fmt.Fprintf(env.Stdout, "appointment %d: %s %s-%s %s provider %d patient %d coverage %s %q\n", a.ID, a.Status,
		a.StartsAt.In(loc).Format(timeLayout), a.EndsAt.In(loc).Format("15:04"), a.StartsAt.In(loc).Format("MST"), a.ProviderID, a.PatientID, cov, a.Reason)
}

// parseAt reads an --at flag, a clinic-local date and time.
func parseAt(at string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(timeLayout, at, loc)
	if err != nil {
		return time.Time{}, &ExitError{Code: 2, Err: fmt.Errorf("--at %q: want YYYY-MM-DD HH:MM", at)}
	}
	return t, nil
}

func newApptBookCmd(env *Env) *cobra.Command {
	var f schedulingFlags
	var patient, provider, coverage int64
	var at, reason string
	var minutes int
	var anyHours bool
	c := &cobra.Command{
		Use:   "book",
		Short: "Book an appointment (refused when the provider is already booked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmdContext(cmd)
			svc, st, loc, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			start, err := parseAt(at, loc)
			if err != nil {
				return err
			}
			p := scheduling.BookParams{ClinicID: f.clinic, PatientID: patient, ProviderID: provider, Start: start,
				Duration: time.Duration(minutes) * time.Minute, Reason: reason, AllowOutsideHours: anyHours, Actor: env.actorName()}
			if coverage != 0 {
				p.CoverageID = &coverage
			}
			a, err := svc.Book(ctx, p)
			if err != nil {
				return schedulingError(err)
			}
			printAppointment(env, a, loc)
			return nil
		},
	}
	f.register(c)
	c.Flags().Int64Var(&patient, "patient", 0, "patient ID")
	c.Flags().Int64Var(&provider, "provider", 0, "provider ID")
	c.Flags().Int64Var(&coverage, "coverage", 0, "coverage ID (default: the patient's primary coverage)")
	c.Flags().StringVar(&at, "at", "", `start, "YYYY-MM-DD HH:MM" in --tz`)
	c.Flags().IntVar(&minutes, "minutes", 0, "length in minutes (default: the provider's slot length)")
	c.Flags().StringVar(&reason, "reason", "", "reason for the visit")
	c.Flags().BoolVar(&anyHours, "outside-hours", false, "allow a time outside the provider's working hours")
	return c
}

func newApptListCmd(env *Env) *cobra.Command {
	var f schedulingFlags
	var from, to string
	var provider, patient int64
	c := &cobra.Command{
		Use:   "list",
		Short: "List appointments starting between two dates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmdContext(cmd)
			svc, st, loc, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			p := scheduling.ListParams{ClinicID: f.clinic, ProviderID: provider, PatientID: patient}
			if from != "" {
				if p.From, err = time.ParseInLocation(time.DateOnly, from, loc); err != nil {
					return &ExitError{Code: 2, Err: fmt.Errorf("--from %q: want YYYY-MM-DD", from)}
				}
			}
			if to != "" {
				if p.To, err = time.ParseInLocation(time.DateOnly, to, loc); err != nil {
					return &ExitError{Code: 2, Err: fmt.Errorf("--to %q: want YYYY-MM-DD", to)}
				}
				p.To = p.To.AddDate(0, 0, 1)
			}
			as, err := svc.List(ctx, p)
			if err != nil {
				return schedulingError(err)
			}
			ids := make([]int64, len(as))
			for i, a := range as {
				ids[i] = a.PatientID
			}
			names, err := loadPeople(ctx, st, f.clinic, ids)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			model, _, hasModel, err := predict.Latest(ctx, st, f.clinic, store.ModelNoShow)
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "ID\tSTART (%s)\tEND\tSTATUS\tRISK\tPROVIDER\tPATIENT\tREASON\n", loc)
			for _, a := range as {
				// The no-show risk of booked appointments, from the
				// latest model: "-" without one.
				risk := "-"
				if hasModel && a.Status == store.AppointmentBooked {
					feats, err := predict.AppointmentFeatures(ctx, st, a, loc)
					if err != nil {
						return &ExitError{Code: 1, Err: err}
					}
					risk = fmt.Sprintf("%.0f%%", 100*model.Score(feats))
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.StartsAt.In(loc).Format(timeLayout), a.EndsAt.In(loc).Format("15:04"),
					a.Status, risk, named(names.providers, a.ProviderID), named(names.patients, a.PatientID), a.Reason)
			}
			return tw.Flush()
		},
	}
	f.register(c)
	c.Flags().StringVar(&from, "from", "", "first day, YYYY-MM-DD")
	c.Flags().StringVar(&to, "to", "", "last day, YYYY-MM-DD (included)")
	c.Flags().Int64Var(&provider, "provider", 0, "only this provider")
	c.Flags().Int64Var(&patient, "patient", 0, "only this patient")
	return c
}

func newApptRescheduleCmd(env *Env) *cobra.Command {
	var f schedulingFlags
	var id, provider int64
	var at string
	var minutes int
	var anyHours bool
	c := &cobra.Command{
		Use:   "reschedule ID",
		Short: "Move a booked appointment to another time (or provider)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := appointmentID(args, id)
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			svc, st, loc, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			start, err := parseAt(at, loc)
			if err != nil {
				return err
			}
			a, err := svc.Reschedule(ctx, scheduling.RescheduleParams{ClinicID: f.clinic, AppointmentID: id, Start: start,
				Duration: time.Duration(minutes) * time.Minute, ProviderID: provider, AllowOutsideHours: anyHours, Actor: env.actorName()})
			if err != nil {
				return schedulingError(err)
			}
			printAppointment(env, a, loc)
			return nil
		},
	}
	f.register(c)
	idFlag(c, &id)
	c.Flags().Int64Var(&provider, "provider", 0, "move to this provider")
	c.Flags().StringVar(&at, "at", "", `new start, "YYYY-MM-DD HH:MM" in --tz`)
	c.Flags().IntVar(&minutes, "minutes", 0, "new length in minutes (default: unchanged)")
	c.Flags().BoolVar(&anyHours, "outside-hours", false, "allow a time outside the provider's working hours")
	return c
}

func newApptActionCmd(env *Env, name, short string) *cobra.Command {
	var f schedulingFlags
	var id int64
	var note, serviceType, pos string
	var diagnoses []string
	var rt realTimeFlags
	var maxAge time.Duration
	c := &cobra.Command{
		Use:   name + " ID",
		Short: short,
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := appointmentID(args, id)
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			svc, st, loc, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			act := scheduling.ActionParams{ClinicID: f.clinic, AppointmentID: id, Actor: env.actorName(), Note: note}
			switch name {
			case "cancel", "noshow", "confirm":
				do := svc.Cancel
				switch name {
				case "noshow":
					do = svc.NoShow
				case "confirm":
					do = svc.Confirm
				}
				a, err := do(ctx, act)
				if err != nil {
					return schedulingError(err)
				}
				printAppointment(env, a, loc)
			case "checkin":
				ci, err := svc.CheckIn(ctx, scheduling.CheckInParams{ClinicID: f.clinic, AppointmentID: id, ServiceType: serviceType, Actor: env.actorName(),
					Exchanger: rt.exchanger(env), MaxAge: maxAge})
				if err != nil {
					return schedulingError(err)
				}
				printAppointment(env, ci.Appointment, loc)
				switch {
				case ci.Refreshed:
					fmt.Fprintln(env.Stdout, "eligibility: the last 271 was too old; a fresh one was asked for in real time")
				case ci.Stale != "":
					fmt.Fprintf(env.Stderr, "warning: eligibility: %s\n", ci.Stale)
				}
				printResponsibility(env, ci.Responsibility)
			case "checkout":
				co, err := svc.CheckOut(ctx, scheduling.CheckOutParams{ClinicID: f.clinic, AppointmentID: id, PlaceOfService: pos,
					DiagnosisCodes: diagnoses, Actor: env.actorName()})
				if err != nil {
					return schedulingError(err)
				}
				printAppointment(env, co.Appointment, loc)
				fmt.Fprintf(env.Stdout, "encounter %d: %s, date of service %s, place of service %s\n", co.Encounter.ID, co.Encounter.Status,
					co.Encounter.ServiceDate.Format(time.DateOnly), co.Encounter.PlaceOfService)
			}
			return nil
		},
	}
	f.register(c)
	idFlag(c, &id)
	switch name {
	case "cancel", "noshow", "confirm":
		c.Flags().StringVar(&note, "note", "", "note kept in the audit log")
	case "checkin":
		c.Flags().StringVar(&serviceType, "service-type", "", "EB03 service type of the visit (default 98, office visit)")
		c.Flags().DurationVar(&maxAge, "max-age", scheduling.DefaultEligibilityMaxAge, "how old the coverage's last 271 may be before a fresh one is asked for in real time")
		rt.register(c)
	case "checkout":
		c.Flags().StringVar(&pos, "pos", "", "place of service code (default 11, office)")
		c.Flags().StringSliceVar(&diagnoses, "dx", nil, "ICD-10-CM diagnosis codes, in order")
	}
	return c
}

func printResponsibility(env *Env, r *scheduling.Responsibility) {
	w := env.Stdout
	if r == nil {
		fmt.Fprintln(w, "no coverage: self-pay")
		return
	}
	checked := "never"
	if r.CheckedAt != nil {
		checked = r.CheckedAt.UTC().Format(time.DateOnly)
	}
	fmt.Fprintf(w, "coverage %d: %s (checked %s) %s\n", r.CoverageID, r.Status, checked, r.Plan)
	show := func(label string, has bool, v string) {
		if !has {
			v = "not reported"
		}
		fmt.Fprintf(w, "  %-24s %s\n", label, v)
	}
	show("copay (service "+r.ServiceType+")", r.HasCopay, money.Cents(r.CopayCents).Dollars())
	show("coinsurance", r.HasCoinsurance, fmt.Sprintf("%d.%02d%%", r.CoinsuranceBasisPoints/100, r.CoinsuranceBasisPoints%100))
	show("deductible remaining", r.HasDeductibleRemaining, money.Cents(r.DeductibleRemainingCents).Dollars())
	show("out of pocket remaining", r.HasOutOfPocketRemaining, money.Cents(r.OutOfPocketRemainingCents).Dollars())
	if r.AuthorizationRequired {
		fmt.Fprintln(w, "  prior authorization required")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func newApptImportCmd(env *Env) *cobra.Command {
	var f schedulingFlags
	var anyHours bool
	var mapping string
	c := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Import appointments from a CSV file, all or nothing",
		Long: `Import books every appointment of a CSV file in one transaction. The first
line names the columns: patient_mrn, provider_npi, date (YYYY-MM-DD) and time
(HH:MM, in --tz) are required; duration_minutes, reason, and payer_id with
member_id are optional; status (booked, completed, checked_in, no_show,
cancelled) and booked_at import past appointments with their outcomes, the
history the no-show model learns from. --mapping FILE reads another system's
export: a YAML file naming the export's header for each column, translating
its status values and giving its date and time layouts. Every problem is
reported with its file, line and column, and then nothing is imported (exit
status 1).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmdContext(cmd)
			svc, st, loc, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			var m *scheduling.ImportMapping
			if mapping != "" {
				raw, err := os.ReadFile(mapping)
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				m = &scheduling.ImportMapping{}
				dec := yaml.NewDecoder(bytes.NewReader(raw))
				dec.KnownFields(true)
				if err := dec.Decode(m); err != nil {
					return exitf(2, "--mapping %s: %v", mapping, err)
				}
			}
			in, err := os.Open(args[0])
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer in.Close()
			as, err := svc.Import(ctx, scheduling.ImportParams{ClinicID: f.clinic, FileName: filepath.Base(args[0]), Input: in,
				AllowOutsideHours: anyHours, Actor: env.actorName(), Mapping: m})
			if err != nil {
				return schedulingError(err)
			}
			for _, a := range as {
				printAppointment(env, a, loc)
			}
			fmt.Fprintf(env.Stdout, "imported %s\n", plural(len(as), "appointment", "appointments"))
			return nil
		},
	}
	f.register(c)
	c.Flags().BoolVar(&anyHours, "outside-hours", false, "accept times outside the providers' working hours")
	c.Flags().StringVar(&mapping, "mapping", "", "mapping file (YAML) for another system's export: its header for each column, its status values, its date and time layouts")
	return c
}
