package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

// Options configure Run.
type Options struct {
	Seed         uint64
	Patients     int
	Appointments int
	// Dir is the working directory: the SQLite database (unless Database
	// names one), the payer simulator's folders and the downloaded files.
	// Required; created when missing.
	Dir string
	// Database is a postgres:// URL or a SQLite path; empty means
	// <Dir>/clearhouse.db.
	Database string
	// Stdout receives the report; Stderr the progress bars.
	Stdout, Stderr io.Writer
	// Terminal redraws progress bars in place (stderr is a terminal).
	Terminal bool
	// Wall is the wall clock of elapsed times and waits; default time.Now.
	Wall func() time.Time
	// Logger receives the pipeline's log; default discards.
	Logger *slog.Logger
	// Timeout bounds each wait for the pipeline to settle; default 3 minutes.
	Timeout time.Duration
	// Files keeps the X12 files; default a plain file store in the
	// directory x12-files beside a SQLite database (in Dir).
	Files *filestore.Store
}

// Result is what a run did, for callers and tests.
type Result struct {
	Database string
	ClinicID int64
	Summary  *Summary
	// TryNext are the commands the run printed to try next.
	TryNext []string
}

// Timeline of the simulated clock (clinic time):
//
//	Fri 2026-09-11 16:00  the practice is loaded and both weeks are booked
//	Mon 09-14 .. Fri 09-18  week 1: patients check in and out, no-shows
//	Fri 09-18 22:00       night 1: week 1 billed (claims built, scrubbed,
//	                      submitted), 270s for week 2 (five business days);
//	                      999, 277CA and 271 answers collected and applied
//	Sun 09-20 09:00       a 276 to each payer that takes 276 about its
//	                      unpaid claims; the 277 answers applied
//	Mon 09-21 07:00       week 1's 835s released by the payers, collected
//	                      and posted
//	Mon 09-21 .. Fri 09-25  week 2's visits
//	Fri 09-25 22:00       night 2: week 2 billed, with the secondary claims
//	                      the week 1 remittances opened; 276s on Sunday
//	Mon 09-28 07:00       week 2's 835s released, collected and posted,
//	                      with the secondary claims' (which open the
//	                      tertiary claims, drafts for the next night)
//
// Payers answer 837s at once (999 and 277CA) and adjudicate 36 to 48
// hours after the 277CA.
const (
	adjudicationDelay  = 36 * time.Hour
	adjudicationJitter = 12 * time.Hour
	eligibilityDays    = 5
)

type runner struct {
	opts  Options
	ds    *Dataset
	clock *simClock
	st    store.Store
	reg   *payers.Registry
	codes *codes.Sets // loaded once, for registration and the pipeline
	bill  *billing.Service
	sched *scheduling.Service
	sim   *paysim.Simulator
	pipe  *worker.Pipeline
	queue store.Queue
	jobs  *jobWatch
	wired *worker.Wired
	simAt simulator

	clinic    store.Clinic
	providers []store.Provider
	patients  []store.Patient
	payerRows map[string]store.Payer
	prof      *billing.ClinicProfile
	apptIDs   []int64
	// expected counts the inbound files the payers owe us.
	expected int
}

// Run creates the practice, starts the payer simulator and runs two
// simulated nights of the pipeline through the River queue, then writes
// the KPIs, the top of the worklist and the commands to try next.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Dir == "" {
		return nil, errors.New("demo: a directory is required")
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Wall == nil {
		opts.Wall = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Minute
	}
	if opts.Database == "" {
		opts.Database = filepath.Join(opts.Dir, "clearhouse.db")
	}
	for _, d := range []string{opts.Dir, filepath.Join(opts.Dir, "inbox")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	began := opts.Wall()
	ds, err := Generate(opts.Seed, opts.Patients, opts.Appointments)
	if err != nil {
		return nil, err
	}
	r := &runner{opts: opts, ds: ds, clock: newSimClock(at(ds.Start.AddDate(0, 0, -3), 16, 0))}
	defer r.close()
	if err := r.open(ctx); err != nil {
		return nil, err
	}
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	if err := r.book(ctx); err != nil {
		return nil, err
	}
	if err := r.startPipeline(ctx); err != nil {
		return nil, err
	}
	for night := range 2 {
		monday := ds.Start.AddDate(0, 0, 7*night)
		if err := r.visits(ctx, night+1, monday, monday.AddDate(0, 0, 5)); err != nil {
			return nil, err
		}
		if err := r.night(ctx, night+1, at(monday.AddDate(0, 0, 4), 22, 0)); err != nil {
			return nil, err
		}
		// Sunday 09:00, 35 hours after the night: every accepted claim is
		// still waiting for its 835 (due 36 to 48 hours after its 277CA).
		if err := r.claimStatus(ctx, night+1, at(monday.AddDate(0, 0, 6), 9, 0)); err != nil {
			return nil, err
		}
		if err := r.remittances(ctx, night+1, at(monday.AddDate(0, 0, 7), 7, 0)); err != nil {
			return nil, err
		}
		if err := r.patientPayments(ctx, night+1); err != nil {
			return nil, err
		}
	}
	r.stopPipeline()
	sum, err := r.summary(ctx)
	if err != nil {
		return nil, err
	}
	// The predictions go before the report, whose last lines are the
	// commands to try next.
	if err := r.predictions(ctx); err != nil {
		return nil, err
	}
	next, err := r.report(ctx, sum)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(opts.Stderr, "demo finished in %v\n", opts.Wall().Sub(began).Round(100*time.Millisecond))
	return &Result{Database: opts.Database, ClinicID: r.clinic.ID, Summary: sum, TryNext: next}, nil
}

// at is the day's hh:mm in the day's location.
func at(day time.Time, hh, mm int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, day.Location())
}

func (r *runner) open(ctx context.Context) error {
	p := r.bar("database "+storedb.Describe(r.opts.Database), "steps", 2)
	st, err := storedb.Open(ctx, r.opts.Database, storedb.Options{Now: r.clock.Now, Create: true, Files: r.opts.Files})
	if err != nil {
		return fmt.Errorf("open %s: %w", storedb.Describe(r.opts.Database), err)
	}
	r.st = st
	p.Set(1)
	if _, err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	clinics, err := st.ListClinics(ctx)
	if err != nil {
		return err
	}
	if len(clinics) > 0 {
		return fmt.Errorf("demo: database %s already holds clinics; give the demo a new directory or database", storedb.Describe(r.opts.Database))
	}
	p.Set(2)
	p.Finish("")
	return nil
}

func (r *runner) close() {
	r.stopPipeline()
	if r.wired != nil {
		r.wired.Close()
	}
	if r.sim != nil {
		r.sim.Close()
	}
	if r.st != nil {
		r.st.Close()
	}
}

// enrollment is the demo clinic's enrollment with a payer: enrolled for
// every transaction the payer exchanges.
func enrollment(p *payers.Payer) store.Enrollment {
	e := store.Enrollment{Claims: store.EnrollmentNone, Remittance: store.EnrollmentNone, Eligibility: store.EnrollmentNone}
	if p.Accepts(payers.Tx837P) || p.Accepts(payers.Tx837I) {
		e.Claims = store.EnrollmentEnrolled
	}
	if p.Accepts(payers.Tx835) {
		e.Remittance = store.EnrollmentEnrolled
	}
	if p.Accepts(payers.Tx270) {
		e.Eligibility = store.EnrollmentEnrolled
	}
	return e
}

// load writes the clinic, providers, payers, patients and coverages.
func (r *runner) load(ctx context.Context) error {
	ds := r.ds
	reg, err := fixtures.Payers()
	if err != nil {
		return err
	}
	r.reg = reg
	p := r.bar("practice and patients", "patients", len(ds.Patients))
	c := ds.Clinic
	r.codes, err = codes.LoadEmbedded()
	if err != nil {
		return err
	}
	// The practice is registered as a new one would be, through the
	// checks and audit of the registration commands.
	regs, err := registration.New(registration.Config{Store: r.st, Payers: reg, Codes: r.codes, Now: r.clock.Now, Actor: "demo", Logger: r.opts.Logger})
	if err != nil {
		return err
	}
	practice := registration.Practice{Clinic: registration.ClinicInput{Name: c.Name, NPI: c.NPI, TaxID: c.TaxID, SubmitterID: c.SubmitterID,
		ClinicSettings: store.ClinicSettings{AddressLine1: c.Address.Line1, AddressLine2: c.Address.Line2, City: c.Address.City,
			State: c.Address.State, PostalCode: c.Address.PostalCode, TimeZone: ds.Location.String(), TaxonomyCode: c.Taxonomy,
			ContactName: "BILLING OFFICE", ContactPhone: c.Phone, Profile: string(ds.ProfileYAML())}}}
	for _, pr := range ds.Providers {
		practice.Providers = append(practice.Providers, registration.ProviderInput{NPI: pr.NPI, FirstName: pr.FirstName, LastName: pr.LastName,
			TaxonomyCode: pr.Taxonomy, Role: store.ProviderRendering, Active: true})
	}
	for _, id := range Payers() {
		rp, err := reg.Lookup(id)
		if err != nil {
			return err
		}
		practice.Payers = append(practice.Payers, registration.PayerInput{PayerID: rp.ID, Active: true, Enrollment: enrollment(rp)})
	}
	setup, err := regs.Setup(ctx, practice)
	if err != nil {
		return err
	}
	r.clinic, r.providers = setup.Clinic, setup.Providers
	cid := r.clinic.ID
	r.payerRows = make(map[string]store.Payer)
	for _, py := range setup.Payers {
		r.payerRows[py.PayerID] = py
	}
	const chunk = 100
	for lo := 0; lo < len(ds.Patients); lo += chunk {
		hi := min(lo+chunk, len(ds.Patients))
		batch := make([]registration.PatientRegistration, 0, hi-lo)
		for _, pt := range ds.Patients[lo:hi] {
			// Generated names and birth dates may repeat: the demo keeps
			// them as different people.
			pr := registration.PatientRegistration{Patient: registration.PatientInput{MRN: pt.MRN, FirstName: pt.FirstName, LastName: pt.LastName,
				BirthDate: pt.BirthDate, Sex: pt.Sex, AddressLine1: pt.Address.Line1, City: pt.Address.City, State: pt.Address.State,
				PostalCode: pt.Address.PostalCode, Phone: pt.Phone, AllowDuplicate: true}}
			for _, cv := range pt.Coverages {
				pr.Coverages = append(pr.Coverages, registration.CoverageInput{Payer: r.payerRows[cv.Payer].ID, MemberID: cv.MemberID,
					GroupNumber: cv.GroupNumber, Priority: cv.Priority, Relationship: cv.Relationship, SubscriberFirst: cv.SubscriberFirst,
					SubscriberLast: cv.SubscriberLast, SubscriberBirth: cv.SubscriberBirth,
					EffectiveFrom: time.Date(demoYear, time.January, 1, 0, 0, 0, 0, time.UTC)})
			}
			batch = append(batch, pr)
		}
		rows, err := regs.RegisterPatients(ctx, cid, batch)
		if err != nil {
			return err
		}
		r.patients = append(r.patients, rows...)
		p.Set(hi)
	}
	p.Finish("")

	r.prof, err = billing.ParseClinicProfile("demo-profile.yaml", ds.ProfileYAML())
	if err != nil {
		return err
	}
	return r.wire()
}

// simulator is where the payer simulator listens, for the pipeline's
// endpoints; startPipeline sets it before the queue starts.
type simulator struct {
	host     string
	port     int
	pin      transport.HostKeyPin
	password string
}

// passwordEnv names the simulator's SFTP password to the pipeline's
// transport, which reads it from the runner, not the environment.
const passwordEnv = "CLEARHOUSE_DEMO_SFTP_PASSWORD"

// wire builds the services, the pipeline and its queue with
// worker.Wire, as `clearhouse serve` does; the demo's differences are
// settings: its clock, its calendars, the simulator's endpoint and no
// periodic jobs (it runs the nights on its own clock).
func (r *runner) wire() error {
	cal := ProviderCalendar()
	cals := make(map[int64]scheduling.Calendar)
	for _, pr := range r.providers {
		cals[pr.ID] = cal
	}
	w, err := worker.Wire(worker.Wiring{
		Store:    r.st,
		Payers:   r.reg,
		Codes:    r.codes,
		Profiles: billing.StaticProfiles(map[int64]*billing.ClinicProfile{r.clinic.ID: r.prof}),
		Billing:  billing.Options{Actor: "demo", UnderpaymentToleranceCents: 100},
		Scheduling: scheduling.Config{DefaultCalendar: cal, Calendars: cals, NoReminders: true, ClinicName: r.ds.Clinic.Name,
			EnrollmentKey: func(store.Clinic) string { return EnrollmentKey }},
		Pipeline: worker.Config{
			Endpoint: func(py *payers.Payer) (transport.Endpoint, error) {
				// The fixture payers name port 2222 and a placeholder key:
				// the demo points them at the simulator it started and pins
				// its key.
				ep := worker.EndpointFor(py, transport.Auth{PasswordEnv: passwordEnv}, true)
				ep.Host, ep.Port, ep.HostKey = r.simAt.host, r.simAt.port, r.simAt.pin
				ep.Retry = transport.RetryPolicy{MaxAttempts: 3, InitialBackoff: 50 * time.Millisecond}
				return ep, nil
			},
			Transport: transport.Options{InboxDir: filepath.Join(r.opts.Dir, "inbox"), Logger: r.opts.Logger, Now: r.clock.Now,
				Getenv: func(name string) string {
					if name == passwordEnv {
						return r.simAt.password
					}
					return ""
				}},
			PollPayers:              Payers(),
			NoNightly:               true,
			EligibilityBusinessDays: eligibilityDays,
			Retry:                   worker.RetryPolicy{Base: 200 * time.Millisecond, Max: 2 * time.Second, MaxAttempts: 5},
		},
		Workers:           4,
		NoPeriodic:        true, // the demo drives the schedule on its own clock
		FetchPollInterval: 20 * time.Millisecond,
		Location:          r.ds.Location,
		Logger:            r.opts.Logger,
		Now:               r.clock.Now,
	})
	if err != nil {
		return err
	}
	r.wired, r.bill, r.sched, r.pipe, r.queue = w, w.Billing, w.Scheduling, w.Pipeline, w.Queue
	return nil
}

// book books both weeks; a cancelled appointment is cancelled right away
// and its slot booked again.
func (r *runner) book(ctx context.Context) error {
	p := r.bar("appointments booked", "appointments", len(r.ds.Appointments))
	cid := r.clinic.ID
	r.apptIDs = make([]int64, len(r.ds.Appointments))
	cancelled := 0
	for i, a := range r.ds.Appointments {
		row, err := r.sched.Book(ctx, scheduling.BookParams{ClinicID: cid, PatientID: r.patients[a.Patient].ID, ProviderID: r.providers[a.Provider].ID,
			Start: a.Start, Duration: a.Duration, Reason: a.Reason, Actor: "front desk"})
		if err != nil {
			return fmt.Errorf("book appointment %d: %w", i+1, err)
		}
		r.apptIDs[i] = row.ID
		if a.Outcome == OutcomeCancelled {
			if _, err := r.sched.Cancel(ctx, scheduling.ActionParams{ClinicID: cid, AppointmentID: row.ID, Actor: "front desk", Note: "patient called to cancel"}); err != nil {
				return fmt.Errorf("cancel appointment %d: %w", i+1, err)
			}
			cancelled++
		}
		p.Set(i + 1)
	}
	p.Finish(fmt.Sprintf("(%d cancelled and rebooked)", cancelled))
	return nil
}

// visits plays the appointments in [from, to): check-in, the charges the
// provider enters during the visit, check-out; or a no-show.
func (r *runner) visits(ctx context.Context, week int, from, to time.Time) error {
	var idx []int
	for i, a := range r.ds.Appointments {
		if !a.Start.Before(from) && a.Start.Before(to) && a.Outcome != OutcomeCancelled {
			idx = append(idx, i)
		}
	}
	p := r.bar(fmt.Sprintf("week %d visits", week), "appointments", len(idx))
	cid := r.clinic.ID
	noShows, copays := 0, 0
	for n, i := range idx {
		a := r.ds.Appointments[i]
		id := r.apptIDs[i]
		r.clock.Set(a.Start)
		if a.Outcome == OutcomeNoShow {
			r.clock.Set(a.Start.Add(15 * time.Minute))
			if _, err := r.sched.NoShow(ctx, scheduling.ActionParams{ClinicID: cid, AppointmentID: id, Actor: "front desk"}); err != nil {
				return fmt.Errorf("no-show %d: %w", id, err)
			}
			noShows++
			p.Set(n + 1)
			continue
		}
		in, err := r.sched.CheckIn(ctx, scheduling.CheckInParams{ClinicID: cid, AppointmentID: id, Actor: "front desk"})
		if err != nil {
			return fmt.Errorf("check in %d: %w", id, err)
		}
		if rsp := in.Responsibility; rsp != nil && rsp.HasCopay && rsp.CopayCents > 0 {
			// The front desk takes the copay the 271 named; it waits on
			// account until the payer's 835 leaves the visit's share to
			// the patient.
			method := store.PaymentCash
			if n%3 == 1 {
				method = store.PaymentCheck
			}
			if _, err := r.wired.Payments.Add(ctx, payments.AddParams{ClinicID: cid, PatientID: in.Appointment.PatientID,
				AmountCents: rsp.CopayCents, Method: method, AppointmentID: &id, Actor: "front desk"}); err != nil {
				return fmt.Errorf("copay of appointment %d: %w", id, err)
			}
			copays++
		}
		if err := r.chargeVisit(ctx, in.Appointment, a.Visit); err != nil {
			return fmt.Errorf("charges of appointment %d: %w", id, err)
		}
		r.clock.Set(a.Start.Add(a.Duration))
		if _, err := r.sched.CheckOut(ctx, scheduling.CheckOutParams{ClinicID: cid, AppointmentID: id, Actor: "front desk"}); err != nil {
			return fmt.Errorf("check out %d: %w", id, err)
		}
		p.Set(n + 1)
	}
	p.Finish(fmt.Sprintf("(%d no-shows, %d copays taken)", noShows, copays))
	return nil
}

// chargeVisit opens the appointment's encounter with its diagnoses and
// service lines, priced from the fee schedule; check-out closes it.
func (r *runner) chargeVisit(ctx context.Context, a store.Appointment, v *Visit) error {
	prof := r.prof
	day := store.TruncateDate(time.Date(a.StartsAt.In(r.ds.Location).Year(), a.StartsAt.In(r.ds.Location).Month(), a.StartsAt.In(r.ds.Location).Day(), 0, 0, 0, 0, time.UTC))
	return r.st.InTx(ctx, r.clinic.ID, func(tx store.Tx) error {
		apptID := a.ID
		enc, err := tx.CreateEncounter(ctx, store.CreateEncounterParams{PatientID: a.PatientID, ProviderID: a.ProviderID, AppointmentID: &apptID,
			CoverageID: a.CoverageID, ServiceDate: day, PlaceOfService: scheduling.DefaultPlaceOfService, DiagnosisCodes: v.Diagnoses, Status: store.EncounterOpen})
		if err != nil {
			return err
		}
		for i, l := range v.Lines {
			units := max(l.Units, 1)
			cents, ok := prof.Fees.Price(l.Procedure, l.Modifiers, claim.Units(int64(units)))
			if !ok {
				return fmt.Errorf("%w: %s", billing.ErrNoPrice, l.Procedure)
			}
			_, err := tx.CreateCharge(ctx, store.CreateChargeParams{EncounterID: enc.ID, LineNumber: i + 1, ProcedureCode: l.Procedure,
				Modifiers: l.Modifiers, DiagnosisPointers: l.Pointers, UnitsMilli: int64(units) * 1000, ChargeCents: cents, ServiceDate: day,
				PlaceOfService: scheduling.DefaultPlaceOfService})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// startPipeline starts the payer simulator on a loopback port and the
// River queue working the pipeline's jobs against it.
func (r *runner) startPipeline(ctx context.Context) error {
	p := r.bar("payer simulator and job queue", "steps", 2)
	password, err := randomPassword()
	if err != nil {
		return err
	}
	var profiles []paysim.PayerProfile
	for _, id := range Payers() {
		rp, _ := r.reg.Get(id)
		profiles = append(profiles, paysim.PayerProfile{ID: id, Name: rp.Name, InterchangeQualifier: rp.Envelope.ReceiverQualifier,
			InterchangeID: rp.Envelope.ReceiverID, ApplicationID: rp.Envelope.GSReceiver, TimelyFilingDays: rp.TimelyFilingDays,
			FeeSchedule: &paysim.FeeSchedule{Allowed: map[string]int64{}, DefaultPercent: allowedPercent[id]}})
	}
	r.sim, err = paysim.NewSimulator(paysim.Config{
		Server:               paysim.ServerConfig{Addr: "127.0.0.1:0", Root: filepath.Join(r.opts.Dir, "paysim"), Payers: Payers(), Users: []paysim.User{{Name: "clearhouse", Password: password}}},
		Payers:               profiles,
		Registry:             r.reg,
		Roster:               r.ds.Roster,
		RejectUnknownMembers: true,
		Seed:                 r.ds.Seed,
		Rates:                paysim.Rates{Reject: 0.01, Deny: 0.05, Partial: 0.08, DenialSignal: true},
		AdjudicationDelay:    adjudicationDelay,
		AdjudicationJitter:   adjudicationJitter,
		Logger:               r.opts.Logger,
		Now:                  r.clock.Now,
	})
	if err != nil {
		return err
	}
	if err := r.sim.Start(ctx); err != nil {
		return err
	}
	addr := r.sim.Server().Addr().String()
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return err
	}
	pin := transport.HostKeyPin{Fingerprint: ssh.FingerprintSHA256(r.sim.Server().HostKey())}
	r.simAt = simulator{host: host, port: port, pin: pin, password: password}
	p.Set(1)
	r.jobs = watchJobs(r.queue)
	if err := r.queue.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	p.Set(2)
	p.Finish("sftp://" + addr + " host key " + pin.Fingerprint)
	return nil
}

func randomPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (r *runner) stopPipeline() {
	if r.queue == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r.jobs != nil {
		// Started: stop it. A queue built but never started needs
		// nothing.
		r.queue.Stop(ctx)
		r.jobs.stop()
	}
	r.queue = nil
}
