package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/demo"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/rules"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

// newLoadtestCmd runs the whole chain on a generated practice network of
// the size asked and checks what the crash test checks.
func newLoadtestCmd(env *Env) *cobra.Command {
	o := loadtestOptions{}
	workerProcess := false
	c := &cobra.Command{
		Use:   "loadtest",
		Short: "Run the pipeline end to end on N generated claims and check its invariants",
		Long: "loadtest creates a practice network of the size asked (clinics, providers, patients and coverages from\n" +
			"the demo's generator, ready encounters with charges over as many business days as needed), starts the\n" +
			"payer simulator and runs the whole chain through the River queue, worked by --processes processes of\n" +
			"--workers workers each (more than one process needs PostgreSQL): claims built and scrubbed, 837s\n" +
			"submitted over SFTP, 999s and 277CAs applied, 835s posted. It prints the seeding apart, one line per\n" +
			"stage (count, seconds, per second) and a last line, after checking that every claim went out in\n" +
			"exactly one 837 and was paid at most once, that the ledger balances per claim and in total, and that\n" +
			"every inbound file was applied once. It uses a new SQLite database in --dir unless --database names a\n" +
			"postgres:// URL (which must hold no clinic yet).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Claims < 1 || o.Clinics < 1 || o.Workers < 1 || o.Processes < 1 {
				return exitf(2, "loadtest: --claims, --clinics, --workers and --processes must be at least 1")
			}
			if o.ClaimsPer835 < 0 {
				return exitf(2, "loadtest: --claims-per-835 must be 0 (no cap) or more")
			}
			if o.Dir == "" {
				d, err := os.MkdirTemp("", "clearhouse-loadtest-")
				if err != nil {
					return exitf(1, "loadtest: %v", err)
				}
				o.Dir = d
			}
			if cmd.Flags().Changed("database") || env.Getenv("CLEARHOUSE_DATABASE") != "" {
				o.Database = env.Database
			}
			if o.Processes > 1 && !storedb.IsPostgres(o.Database) {
				return exitf(2, "loadtest: --processes above 1 needs a PostgreSQL --database")
			}
			o.Stdout = env.Stdout
			// The file store is the run's, in --dir unless --files-dir
			// names one, whichever the database; every worker process
			// opens the same one with the same keys.
			if env.Files.Dir == "" {
				env.Files.Dir = filepath.Join(o.Dir, filestore.DirName)
			}
			files, err := env.openFiles(o.Database)
			if err != nil {
				return err
			}
			o.Files, o.FileArgs = files, env.fileStoreArgs()
			if o.CPUProfile != "" {
				name := o.CPUProfile
				if workerProcess {
					name += "." + strconv.Itoa(os.Getpid())
				}
				stop, err := startCPUProfile(name)
				if err != nil {
					return exitf(1, "loadtest: %v", err)
				}
				defer stop()
			}
			if workerProcess {
				if err := runWorkerProcess(cmdContext(cmd), o, env.Stdin, env.Getenv); err != nil {
					return exitf(1, "loadtest worker process: %v", err)
				}
				return nil
			}
			if _, err := runLoadtest(cmdContext(cmd), o); err != nil {
				return exitf(1, "loadtest: %v", err)
			}
			return nil
		},
	}
	c.Flags().IntVar(&o.Claims, "claims", 10_000, "number of claims (ready encounters) to run end to end")
	c.Flags().IntVar(&o.Clinics, "clinics", 1, "number of clinics sharing the claims, each its own submitter and payee")
	c.Flags().IntVar(&o.Workers, "workers", 4, "River workers in the process")
	c.Flags().IntVar(&o.Processes, "processes", 1, "worker processes: on PostgreSQL each its own process, on SQLite this one (1 only)")
	c.Flags().BoolVar(&workerProcess, "worker-process", false, "work the queue of a run started with --processes until stdin closes")
	c.Flags().MarkHidden("worker-process")
	c.Flags().StringVar(&o.Dir, "dir", "", "working directory: SQLite database, payer simulator folders, inbox (default: a new temporary directory)")
	c.Flags().Uint64Var(&o.Seed, "seed", demo.DefaultSeed, "seed of the generated practice and the payers' decisions")
	c.Flags().DurationVar(&o.StageTimeout, "stage-timeout", 30*time.Minute, "how long one stage may take")
	c.Flags().StringVar(&o.CPUProfile, "cpu-profile", "", "write a CPU profile of the run to this file (and of each other worker process to FILE.PID)")
	c.Flags().IntVar(&o.ClaimsPer835, "claims-per-835", 2500, "most claim payments the payers put in one 835 file (each file its own payment); 0: one file per payer and payee")
	c.Flags().StringVar(&o.HeapProfile, "heap-profile", "", "write a heap profile of this process to this file after the last stage, before the checks")
	return c
}

// loadtestOptions configure runLoadtest.
type loadtestOptions struct {
	Claims, Clinics, Workers, Processes int
	Seed                                uint64
	// Dir holds the SQLite database (unless Database names one), the
	// payer simulator's folders and the inbox. Required.
	Dir      string
	Database string
	Stdout   io.Writer
	// StageTimeout bounds each stage; default 30 minutes.
	StageTimeout time.Duration
	// Command builds the command of another worker process (Processes
	// above 1) from its arguments; default this program.
	Command func(args []string) *exec.Cmd
	// Files keeps the run's X12 files; default a plain file store in
	// Dir/x12-files. FileArgs are the flags that open the same store (and
	// keys) in another worker process.
	Files    *filestore.Store
	FileArgs []string
	// CPUProfile, when set, is passed on to the other worker processes,
	// each writing its CPU profile to CPUProfile.PID.
	CPUProfile string
	// HeapProfile, when set, is where this process writes its heap
	// profile after the last stage.
	HeapProfile string
	// ClaimsPer835 caps the claim payments of one 835 file (the payer
	// simulator's MaxClaimsPer835).
	ClaimsPer835 int
}

// loadStage is one timed stage of a run.
type loadStage struct {
	Name    string
	Count   int
	Unit    string
	Seconds float64
}

// loadtestResult is what a run measured and found.
type loadtestResult struct {
	SeedSeconds float64
	Stages      []loadStage
	// Seconds is the stages' time, seeding excluded.
	Seconds float64
	// Claims built; Lost and Doubled are what the invariants found.
	Claims, Lost, Doubled int
	// Problems are the invariants that failed (at most 20 listed).
	Problems []string
	// PeakRSS is the peak resident set in bytes of this process (which
	// seeds, runs the payer simulator and checks, and on SQLite also works
	// the queue) and then of each worker process it started; 0 where the
	// system does not tell.
	PeakRSS []int64
	// InProcess is true when this process worked the queue (SQLite).
	InProcess bool
}

// Timeline of the loadtest's clock (clinic time): the encounters' dates of
// service are business days from Monday 2026-06-01 to Friday 2026-09-25,
// inside the ICD-10-CM FY2026 release the embedded code sets hold (as the
// demo's are) and within the shortest timely filing limit of the fixture
// payers (180 days). The
// nightly run is that Friday at 22:00; the 835s are released 49 hours later
// (the simulator adjudicates 36 to 48 hours after its 277CA).
var (
	loadLastDay    = time.Date(2026, time.September, 25, 0, 0, 0, 0, time.UTC)
	loadFirstDay   = time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	loadReleaseLag = 49 * time.Hour
)

// loadClock is the run's settable clock; it never goes back.
type loadClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *loadClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *loadClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

type loadtest struct {
	o       loadtestOptions
	clock   *loadClock
	ds      *demo.Dataset
	st      store.Store
	reg     *payers.Registry
	prof    *billing.ClinicProfile
	bill    *billing.Service
	sim     *paysim.Simulator
	pipe    *worker.Pipeline
	queue   store.Queue
	clinics []store.Clinic
	// expected counts the inbound files the payers owe.
	expected int
	// children are the other worker processes; childRSS the peak
	// resident set of those that exited.
	children []*child
	childRSS []int64
}

type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// done is closed when the process has exited, err then its exit.
	done chan struct{}
	err  error
}

// childGone reports a worker process that exited while the run waits on
// it: the stages cannot finish without it.
func (lt *loadtest) childGone() error {
	for _, c := range lt.children {
		select {
		case <-c.done:
			return fmt.Errorf("worker process %d exited during the run: %v", c.cmd.Process.Pid, c.err)
		default:
		}
	}
	return nil
}

func runLoadtest(ctx context.Context, o loadtestOptions) (*loadtestResult, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.StageTimeout <= 0 {
		o.StageTimeout = 30 * time.Minute
	}
	if o.Database == "" {
		o.Database = filepath.Join(o.Dir, "clearhouse.db")
	}
	if o.Processes > 1 && !storedb.IsPostgres(o.Database) {
		return nil, errors.New("--processes above 1 needs a PostgreSQL --database")
	}
	if o.Files == nil {
		files, err := filestore.Open(filestore.Config{Dir: filepath.Join(o.Dir, filestore.DirName)})
		if err != nil {
			return nil, err
		}
		o.Files = files
		o.FileArgs = []string{"--files-dir", files.Dir()}
	}
	if o.Command == nil {
		o.Command = func(args []string) *exec.Cmd {
			exe, err := os.Executable()
			if err != nil {
				exe = os.Args[0]
			}
			return exec.Command(exe, args...)
		}
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "inbox"), 0o755); err != nil {
		return nil, err
	}
	lt := &loadtest{o: o, clock: &loadClock{t: loadLastDay.Add(22 * time.Hour)}}
	defer lt.close()
	res := &loadtestResult{Claims: o.Claims}

	began := time.Now()
	seeded, err := lt.seed(ctx)
	if err != nil {
		return nil, err
	}
	res.SeedSeconds = time.Since(began).Seconds()
	fmt.Fprintf(o.Stdout, "seeding (not timed): %s in %.1f s\n", seeded, res.SeedSeconds)
	if err := lt.start(ctx); err != nil {
		return nil, err
	}
	for _, stage := range []func(context.Context) (loadStage, error){lt.build, lt.scrub, lt.submit, lt.acknowledge, lt.post} {
		t0 := time.Now()
		s, err := stage(ctx)
		if err != nil {
			return nil, err
		}
		s.Seconds = time.Since(t0).Seconds()
		res.Stages = append(res.Stages, s)
		res.Seconds += s.Seconds
		fmt.Fprintf(o.Stdout, "%-32s %8d %-15s %7.1f s %9.0f %s/s\n", s.Name, s.Count, s.Unit, s.Seconds, float64(s.Count)/s.Seconds, s.Unit)
	}
	if o.HeapProfile != "" {
		if err := writeHeapProfile(o.HeapProfile); err != nil {
			return nil, err
		}
	}
	lt.stopQueue()
	if err := lt.stopChildren(); err != nil {
		return nil, err
	}
	if err := lt.check(ctx, res); err != nil {
		return nil, err
	}
	res.PeakRSS, res.InProcess = append([]int64{peakRSS()}, lt.childRSS...), lt.inProcess()
	fmt.Fprintf(o.Stdout, "peak RSS: %s\n", describeRSS(res.PeakRSS, res.InProcess))
	if len(res.Problems) > 0 {
		for _, p := range res.Problems {
			fmt.Fprintf(o.Stdout, "invariant: %s\n", p)
		}
		return res, fmt.Errorf("%d claims: %d lost, %d doubled, %d invariants failed", o.Claims, res.Lost, res.Doubled, len(res.Problems))
	}
	fmt.Fprintf(o.Stdout, "loadtest: %d claims end to end in %.1f s (%.0f claims/s), ledger balanced, 0 lost, 0 doubled\n",
		o.Claims, res.Seconds, float64(o.Claims)/res.Seconds)
	return res, nil
}

func (lt *loadtest) close() {
	lt.stopQueue()
	lt.stopChildren()
	if lt.pipe != nil {
		lt.pipe.Close()
	}
	if lt.sim != nil {
		lt.sim.Close()
	}
	if lt.st != nil {
		lt.st.Close()
	}
}

func (lt *loadtest) stopQueue() {
	if lt.queue == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lt.queue.Stop(ctx)
	lt.queue = nil
}

// visit is one completed visit of the generated practice, reused as the
// coding of many encounters.
type visit struct {
	patient, provider int
	v                 *demo.Visit
}

// seed creates the clinics (each the demo's practice under its own name
// and submitter ID) and o.Claims ready encounters spread over them, up to
// visitsPerDay a clinic a business day, the latest on loadLastDay.
func (lt *loadtest) seed(ctx context.Context) (string, error) {
	o := lt.o
	st, err := storedb.Open(ctx, o.Database, storedb.Options{Now: lt.clock.Now, Create: true, Files: o.Files})
	if err != nil {
		return "", fmt.Errorf("open %s: %w", storedb.Describe(o.Database), err)
	}
	lt.st = st
	if _, err := st.Migrate(ctx); err != nil {
		return "", fmt.Errorf("migrate: %w", err)
	}
	if cs, err := st.ListClinics(ctx); err != nil {
		return "", err
	} else if len(cs) > 0 {
		return "", fmt.Errorf("database %s already holds clinics; give the loadtest a new one", storedb.Describe(o.Database))
	}
	if err := lt.practice(); err != nil {
		return "", err
	}
	perClinic := (o.Claims + o.Clinics - 1) / o.Clinics
	var visits []visit
	for _, a := range lt.ds.Appointments {
		if a.Visit != nil && a.Outcome == demo.OutcomeCompleted {
			visits = append(visits, visit{a.Patient, a.Provider, a.Visit})
		}
	}
	if len(visits) == 0 {
		return "", errors.New("the generated practice has no visits")
	}
	days := businessDays(loadFirstDay, loadLastDay)
	perDay := max((perClinic+len(days)-1)/len(days), 1)
	charges, patients := 0, 0
	for n := range o.Clinics {
		count := min(perClinic, o.Claims-n*perClinic)
		if count <= 0 {
			break
		}
		c, pats, provs, err := lt.seedClinic(ctx, n)
		if err != nil {
			return "", err
		}
		lt.clinics = append(lt.clinics, c)
		patients += len(pats)
		const chunk = 1000
		for lo := 0; lo < count; lo += chunk {
			err := st.InTx(ctx, c.ID, func(tx store.Tx) error {
				for k := lo; k < min(lo+chunk, count); k++ {
					vs := visits[k%len(visits)]
					day := days[len(days)-1-(k/perDay)%len(days)]
					enc, err := tx.CreateEncounter(ctx, store.CreateEncounterParams{PatientID: pats[vs.patient].ID, ProviderID: provs[vs.provider].ID,
						ServiceDate: day, PlaceOfService: "11", DiagnosisCodes: vs.v.Diagnoses, Status: store.EncounterReady})
					if err != nil {
						return err
					}
					for i, l := range vs.v.Lines {
						units := max(l.Units, 1)
						cents, ok := lt.prof.Fees.Price(l.Procedure, l.Modifiers, claim.Units(int64(units)))
						if !ok {
							return fmt.Errorf("%w: %s", billing.ErrNoPrice, l.Procedure)
						}
						if _, err := tx.CreateCharge(ctx, store.CreateChargeParams{EncounterID: enc.ID, LineNumber: i + 1, ProcedureCode: l.Procedure,
							Modifiers: l.Modifiers, DiagnosisPointers: l.Pointers, UnitsMilli: int64(units) * 1000, ChargeCents: cents,
							ServiceDate: day, PlaceOfService: "11"}); err != nil {
							return err
						}
						charges++
					}
				}
				return nil
			})
			if err != nil {
				return "", fmt.Errorf("clinic %d encounters: %w", c.ID, err)
			}
		}
	}
	return fmt.Sprintf("%d clinics, %d patients, %d ready encounters with %d charges over %d business days",
		len(lt.clinics), patients, o.Claims, charges, min(len(days), (perClinic+perDay-1)/perDay)), nil
}

// practice generates the practice every clinic copies, and loads the
// payer registry and the clinics' billing profile.
func (lt *loadtest) practice() error {
	perClinic := (lt.o.Claims + lt.o.Clinics - 1) / lt.o.Clinics
	var err error
	// A patient visits about once a month; the calendars of the demo's
	// two weeks give the visits' coding.
	if lt.ds, err = demo.Generate(lt.o.Seed, min(max(perClinic/8, 100), 5000), 1500); err != nil {
		return err
	}
	if lt.reg, err = fixtures.Payers(); err != nil {
		return err
	}
	lt.prof, err = billing.ParseClinicProfile("loadtest-profile.yaml", lt.ds.ProfileYAML())
	return err
}

// seedClinic creates clinic n: the demo practice's providers, payers,
// patients and coverages.
func (lt *loadtest) seedClinic(ctx context.Context, n int) (store.Clinic, []store.Patient, []store.Provider, error) {
	ds, st := lt.ds, lt.st
	name, submitter, npi := ds.Clinic.Name, ds.Clinic.SubmitterID, ds.Clinic.NPI
	if n > 0 {
		name = fmt.Sprintf("%s %d", name, n+1)
		suffix := strconv.Itoa(n + 1)
		submitter = submitter[:min(len(submitter), 15-len(suffix))] + suffix
		// Each clinic is its own payee (Loop 1000B N1*PE NPI), so a
		// payer's 835 pays one clinic: the NPI's stem with the clinic's
		// number in its last digits, and its check digit.
		stem := fmt.Sprintf("%s%04d", npi[:5], n)
		d, ok := claim.NPICheckDigit(stem)
		if !ok {
			return store.Clinic{}, nil, nil, fmt.Errorf("clinic %d: no NPI from %s", n+1, npi)
		}
		npi = stem + string(d)
	}
	c, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: name, NPI: npi, TaxID: ds.Clinic.TaxID, SubmitterID: submitter})
	if err != nil {
		return c, nil, nil, err
	}
	var provs []store.Provider
	var pats []store.Patient
	payerRows := make(map[string]store.Payer)
	err = st.InTx(ctx, c.ID, func(tx store.Tx) error {
		for _, pr := range ds.Providers {
			row, err := tx.CreateProvider(ctx, store.CreateProviderParams{NPI: pr.NPI, FirstName: pr.FirstName, LastName: pr.LastName, TaxonomyCode: pr.Taxonomy})
			if err != nil {
				return err
			}
			provs = append(provs, row)
		}
		for _, id := range demo.Payers() {
			rp, err := lt.reg.Lookup(id)
			if err != nil {
				return err
			}
			row, err := tx.CreatePayer(ctx, store.CreatePayerParams{PayerID: rp.ID, Name: rp.Name, ReceiverID: rp.Envelope.ReceiverID, ClaimFilingCode: rp.ClaimFilingIndicator})
			if err != nil {
				return err
			}
			payerRows[id] = row
		}
		for _, pt := range ds.Patients {
			row, err := tx.CreatePatient(ctx, store.CreatePatientParams{MRN: pt.MRN, FirstName: pt.FirstName, LastName: pt.LastName,
				BirthDate: pt.BirthDate, Sex: pt.Sex, AddressLine1: pt.Address.Line1, City: pt.Address.City, State: pt.Address.State,
				PostalCode: pt.Address.PostalCode, Phone: pt.Phone})
			if err != nil {
				return fmt.Errorf("patient %s: %w", pt.MRN, err)
			}
			for _, cv := range pt.Coverages {
				if _, err := tx.CreateCoverage(ctx, store.CreateCoverageParams{PatientID: row.ID, PayerID: payerRows[cv.Payer].ID,
					MemberID: cv.MemberID, GroupNumber: cv.GroupNumber, Priority: cv.Priority, RelationshipCode: cv.Relationship,
					SubscriberFirst: cv.SubscriberFirst, SubscriberLast: cv.SubscriberLast, SubscriberBirth: cv.SubscriberBirth,
					EffectiveFrom: time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
					return fmt.Errorf("patient %s coverage %s: %w", pt.MRN, cv.Payer, err)
				}
			}
			pats = append(pats, row)
		}
		return nil
	})
	return c, pats, provs, err
}

// businessDays lists the weekdays in [from, to].
func businessDays(from, to time.Time) []time.Time {
	var out []time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

// simTarget is how the workers reach the payer simulator.
type simTarget struct {
	Host        string
	Port        int
	Fingerprint string
	Password    string
}

// Environment of a child worker process (--processes): the simulator's
// address and host key, and the SFTP password.
const (
	envLoadtestSFTP     = "CLEARHOUSE_LOADTEST_SFTP"
	envLoadtestHostKey  = "CLEARHOUSE_LOADTEST_HOSTKEY"
	envLoadtestPassword = "CLEARHOUSE_LOADTEST_SFTP_PASSWORD"
)

// start starts the payer simulator on a loopback port and the River queue
// working the pipeline against it, as the demo does, then the other
// worker processes.
func (lt *loadtest) start(ctx context.Context) error {
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	password := hex.EncodeToString(pw)
	var simProfiles []paysim.PayerProfile
	for _, id := range demo.Payers() {
		rp, _ := lt.reg.Get(id)
		simProfiles = append(simProfiles, paysim.PayerProfile{ID: id, Name: rp.Name, InterchangeQualifier: rp.Envelope.ReceiverQualifier,
			InterchangeID: rp.Envelope.ReceiverID, ApplicationID: rp.Envelope.GSReceiver, TimelyFilingDays: rp.TimelyFilingDays,
			FeeSchedule: &paysim.FeeSchedule{Allowed: map[string]int64{}, DefaultPercent: 70}})
	}
	var err error
	lt.sim, err = paysim.NewSimulator(paysim.Config{
		Server:               paysim.ServerConfig{Addr: "127.0.0.1:0", Root: filepath.Join(lt.o.Dir, "paysim"), Payers: demo.Payers(), Users: []paysim.User{{Name: "clearhouse", Password: password}}},
		Payers:               simProfiles,
		Registry:             lt.reg,
		Roster:               lt.ds.Roster,
		RejectUnknownMembers: true,
		Seed:                 lt.ds.Seed,
		Rates:                paysim.Rates{Reject: 0.01, Deny: 0.05, Partial: 0.08},
		AdjudicationDelay:    36 * time.Hour,
		AdjudicationJitter:   12 * time.Hour,
		MaxClaimsPer835:      lt.o.ClaimsPer835,
		Logger:               slog.New(slog.DiscardHandler),
		Now:                  lt.clock.Now,
	})
	if err != nil {
		return err
	}
	if err := lt.sim.Start(ctx); err != nil {
		return err
	}
	host, portText, err := net.SplitHostPort(lt.sim.Server().Addr().String())
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return err
	}
	target := simTarget{Host: host, Port: port, Fingerprint: ssh.FingerprintSHA256(lt.sim.Server().HostKey()), Password: password}
	children := lt.o.Processes
	if lt.inProcess() {
		if err := lt.work(ctx, target); err != nil {
			return err
		}
		children--
	}
	for range children {
		if err := lt.spawn(target); err != nil {
			return err
		}
	}
	return nil
}

// inProcess reports whether this process works the queue itself: on
// SQLite, whose database one process writes at a time. On PostgreSQL every
// worker process is a child, as serve processes are, and this one only
// seeds, plays the payers and checks, so each worker's memory is its own.
func (lt *loadtest) inProcess() bool { return !storedb.IsPostgres(lt.o.Database) }

// work starts this process's queue: the billing service and the pipeline
// over lt.st for lt.clinics, against the simulator at target.
func (lt *loadtest) work(ctx context.Context, target simTarget) error {
	sets, err := codes.LoadEmbedded()
	if err != nil {
		return err
	}
	files, err := scrub.LoadRuleFiles(rules.Files())
	if err != nil {
		return err
	}
	scr, err := scrub.New(scrub.Config{Codes: sets, Payers: lt.reg, RuleFiles: files})
	if err != nil {
		return err
	}
	profiles := make(map[int64]*billing.ClinicProfile)
	for _, c := range lt.clinics {
		profiles[c.ID] = lt.prof
	}
	logger := slog.New(slog.DiscardHandler)
	lt.bill, err = billing.New(lt.st, billing.Options{Now: lt.clock.Now, Logger: logger, Scrubber: scr, Payers: lt.reg,
		Profiles: billing.StaticProfiles(profiles), Actor: "loadtest", UnderpaymentToleranceCents: 100})
	if err != nil {
		return err
	}
	pin := transport.HostKeyPin{Fingerprint: target.Fingerprint}
	lt.pipe, err = worker.New(worker.Config{
		Store: lt.st, Billing: lt.bill, Payers: lt.reg,
		Endpoint: func(py *payers.Payer) (transport.Endpoint, error) {
			ep := worker.EndpointFor(py, transport.Auth{PasswordEnv: envLoadtestPassword}, true)
			ep.Host, ep.Port, ep.HostKey = target.Host, target.Port, pin
			ep.Retry = transport.RetryPolicy{MaxAttempts: 3, InitialBackoff: 50 * time.Millisecond}
			return ep, nil
		},
		Transport: transport.Options{InboxDir: filepath.Join(lt.o.Dir, "inbox"), Logger: logger, Now: lt.clock.Now,
			Getenv: func(name string) string {
				if name == envLoadtestPassword {
					return target.Password
				}
				return ""
			}},
		PollPayers: demo.Payers(),
		NoNightly:  true,
		// A payer's 835 of a day carries tens of thousands of claims at
		// volume, posted in one job run: a run may take as long as a
		// stage.
		JobTimeout: lt.o.StageTimeout,
		Retry:      worker.RetryPolicy{Base: 200 * time.Millisecond, Max: 2 * time.Second, MaxAttempts: 10},
		// The run applies every acknowledgment before the payers send
		// their 835s.
		RemittanceDelay: worker.NoRemittanceDelay,
		Logger:          logger,
		Now:             lt.clock.Now,
	})
	if err != nil {
		return err
	}
	qc := lt.pipe.QueueConfig(lt.o.Workers)
	qc.PeriodicJobs = nil // the run drives the schedule on its own clock
	qc.FetchPollInterval = 50 * time.Millisecond
	qc.Logger = logger
	if lt.queue, err = lt.st.NewQueue(qc); err != nil {
		return err
	}
	return lt.queue.Start(context.WithoutCancel(ctx))
}

// spawn starts one more worker process: this program's loadtest command in
// --worker-process mode, with the run's flags and the simulator in its
// environment. Closing its stdin stops it.
func (lt *loadtest) spawn(target simTarget) error {
	args := []string{"loadtest", "--worker-process", "--claims", strconv.Itoa(lt.o.Claims), "--clinics", strconv.Itoa(lt.o.Clinics),
		"--workers", strconv.Itoa(lt.o.Workers), "--seed", strconv.FormatUint(lt.o.Seed, 10), "--dir", lt.o.Dir, "--database", lt.o.Database}
	args = append(args, lt.o.FileArgs...)
	if lt.o.CPUProfile != "" {
		args = append(args, "--cpu-profile", lt.o.CPUProfile)
	}
	cmd := lt.o.Command(args)
	cmd.Env = append(cmd.Environ(), envLoadtestSFTP+"="+net.JoinHostPort(target.Host, strconv.Itoa(target.Port)),
		envLoadtestHostKey+"="+target.Fingerprint, envLoadtestPassword+"="+target.Password)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("worker process: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	lt.children = append(lt.children, c)
	return nil
}

// stopChildren closes the worker processes' stdin and waits for them.
func (lt *loadtest) stopChildren() error {
	var errs []error
	for _, c := range lt.children {
		c.stdin.Close()
		<-c.done
		if err := c.err; err != nil {
			errs = append(errs, fmt.Errorf("worker process %d: %w", c.cmd.Process.Pid, err))
		}
		lt.childRSS = append(lt.childRSS, exitedPeakRSS(c.cmd.ProcessState))
	}
	lt.children = nil
	return errors.Join(errs...)
}

// startCPUProfile writes a CPU profile of this process to name until stop
// is called.
func startCPUProfile(name string) (stop func(), err error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeHeapProfile writes this process's heap profile to name.
func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// describeRSS says the peak resident sets of a run's processes: this one
// first, then the worker processes it started.
func describeRSS(rss []int64, inProcess bool) string {
	mb := func(b int64) string {
		if b <= 0 {
			return "unknown"
		}
		return fmt.Sprintf("%d MB", (b+1<<19)>>20)
	}
	if inProcess {
		parts := []string{mb(rss[0]) + " this process (seeding, the payer simulator, its workers, the checks)"}
		for i, b := range rss[1:] {
			parts = append(parts, fmt.Sprintf("%s worker process %d", mb(b), i+2))
		}
		return strings.Join(parts, ", ")
	}
	var parts []string
	for i, b := range rss[1:] {
		parts = append(parts, fmt.Sprintf("%s worker process %d", mb(b), i+1))
	}
	parts = append(parts, mb(rss[0])+" this process (seeding, the payer simulator, the checks)")
	return strings.Join(parts, ", ")
}

// runWorkerProcess is a child of a run with --processes: it works the
// queue of the run's database against its simulator until stdin closes.
func runWorkerProcess(ctx context.Context, o loadtestOptions, stdin io.Reader, getenv func(string) string) error {
	host, portText, err := net.SplitHostPort(getenv(envLoadtestSFTP))
	if err != nil {
		return fmt.Errorf("%s: %w", envLoadtestSFTP, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("%s: %w", envLoadtestSFTP, err)
	}
	target := simTarget{Host: host, Port: port, Fingerprint: getenv(envLoadtestHostKey), Password: getenv(envLoadtestPassword)}
	lt := &loadtest{o: o, clock: &loadClock{t: loadLastDay.Add(22 * time.Hour)}}
	defer lt.close()
	if lt.st, err = storedb.Open(ctx, o.Database, storedb.Options{Now: lt.clock.Now, Files: o.Files}); err != nil {
		return err
	}
	if lt.clinics, err = lt.st.ListClinics(ctx); err != nil {
		return err
	}
	if err := lt.practice(); err != nil {
		return err
	}
	if err := lt.work(ctx, target); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, stdin)
	return err
}

// counts sums the claims and encounters of every clinic per status.
func (lt *loadtest) counts(ctx context.Context) (claims, encounters map[string]int, err error) {
	claims, encounters = make(map[string]int), make(map[string]int)
	// Encounters first: a chunk billed after they are counted only adds
	// claims, so no encounter is seen billed without its claim.
	for _, c := range lt.clinics {
		es, err := lt.st.CountEncountersByStatus(ctx, store.CountParams{ClinicID: c.ID})
		if err != nil {
			return nil, nil, err
		}
		for k, v := range es {
			encounters[k] += v
		}
		cs, err := lt.st.CountClaimsByStatus(ctx, store.CountParams{ClinicID: c.ID})
		if err != nil {
			return nil, nil, err
		}
		for k, v := range cs {
			claims[k] += v
		}
	}
	return claims, encounters, nil
}

// waitFor checks cond until it holds or the stage times out: every 100 ms
// at first, then less often, up to every second, since each check counts
// the clinics' claims and a run of 100,000 claims should not spend the
// database on watching itself.
func (lt *loadtest) waitFor(ctx context.Context, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(lt.o.StageTimeout)
	wait := 100 * time.Millisecond
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if err := lt.childGone(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not finish in %v", what, lt.o.StageTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*3/2, time.Second)
	}
}

// build runs the nightly job of every clinic and waits until no
// encounter is ready.
func (lt *loadtest) build(ctx context.Context) (loadStage, error) {
	jobs := make([]river.InsertManyParams, len(lt.clinics))
	for i, c := range lt.clinics {
		jobs[i] = river.InsertManyParams{Args: worker.NightlyArgs{ClinicID: c.ID}}
	}
	if _, err := lt.st.InsertJobs(ctx, jobs); err != nil {
		return loadStage{}, err
	}
	var claims map[string]int
	err := lt.waitFor(ctx, "claims built", func() (bool, error) {
		var encs map[string]int
		var err error
		claims, encs, err = lt.counts(ctx)
		return encs[store.EncounterReady] == 0, err
	})
	total := 0
	for _, n := range claims {
		total += n
	}
	return loadStage{Name: "claims built", Count: total, Unit: "claims"}, err
}

// scrub waits until the nightly job has scrubbed every draft.
func (lt *loadtest) scrub(ctx context.Context) (loadStage, error) {
	var claims map[string]int
	err := lt.waitFor(ctx, "claims scrubbed", func() (bool, error) {
		var err error
		claims, _, err = lt.counts(ctx)
		return claims[string(claim.StatusDraft)] == 0, err
	})
	total := 0
	for _, n := range claims {
		total += n
	}
	return loadStage{Name: "claims scrubbed", Count: total, Unit: "claims"}, err
}

// submit waits until no claim is ready and every interchange is uploaded.
func (lt *loadtest) submit(ctx context.Context) (loadStage, error) {
	sent := 0
	err := lt.waitFor(ctx, "837s submitted", func() (bool, error) {
		claims, _, err := lt.counts(ctx)
		if err != nil || claims[string(claim.StatusReady)] > 0 {
			return false, err
		}
		sent, lt.expected = 0, 0
		for _, c := range lt.clinics {
			ics, err := lt.st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: c.ID})
			if err != nil {
				return false, err
			}
			for _, ic := range ics {
				switch ic.Status {
				case store.InterchangeCreated, store.InterchangeUploading, store.InterchangeFailed:
					return false, nil
				}
				sent += ic.ClaimCount
				lt.expected += 2 // a 999 and a 277CA
			}
		}
		return true, nil
	})
	return loadStage{Name: "837s submitted", Count: sent, Unit: "claims"}, err
}

// acknowledge collects and applies the 999s and 277CAs.
func (lt *loadtest) acknowledge(ctx context.Context) (loadStage, error) {
	if err := lt.collect(ctx, "999s and 277CAs applied"); err != nil {
		return loadStage{}, err
	}
	claims, _, err := lt.counts(ctx)
	return loadStage{Name: "999s and 277CAs applied", Count: claims[string(claim.StatusAccepted)] + claims[string(claim.StatusRejected)], Unit: "claims"}, err
}

// post releases the 835s and posts them.
func (lt *loadtest) post(ctx context.Context) (loadStage, error) {
	t := lt.clock.Now().Add(loadReleaseLag)
	lt.clock.Set(t)
	files, err := lt.sim.ReleaseDue(ctx, t)
	if err != nil {
		return loadStage{}, err
	}
	lt.expected += files
	if err := lt.collect(ctx, "835s posted"); err != nil {
		return loadStage{}, err
	}
	paid := 0
	for _, c := range lt.clinics {
		for after := int64(0); ; {
			ps, err := lt.st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: c.ID, AfterID: after, Limit: 5000})
			if err != nil {
				return loadStage{}, err
			}
			paid += len(ps)
			if len(ps) < 5000 {
				break
			}
			after = ps[len(ps)-1].ID
		}
	}
	return loadStage{Name: "835s posted", Count: paid, Unit: "claim payments"}, nil
}

// collect polls every payer until all the files the payers owe are
// received and settled.
func (lt *loadtest) collect(ctx context.Context, what string) error {
	var lastPoll time.Time
	return lt.waitFor(ctx, what, func() (bool, error) {
		received, settled := 0, 0
		for _, c := range lt.clinics {
			fs, err := lt.st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: c.ID})
			if err != nil {
				return false, err
			}
			received += len(fs)
			for _, f := range fs {
				if f.State == store.InboundProcessed || f.State == store.InboundQuarantined {
					settled++
				}
			}
		}
		if settled >= lt.expected && settled == received {
			return true, nil
		}
		if received < lt.expected && time.Since(lastPoll) > 300*time.Millisecond {
			lastPoll = time.Now()
			var jobs []river.InsertManyParams
			for _, id := range demo.Payers() {
				jobs = append(jobs, river.InsertManyParams{Args: worker.PollInboundArgs{Payer: id}})
			}
			if _, err := lt.st.InsertJobs(ctx, jobs); err != nil {
				return false, err
			}
		}
		return false, nil
	})
}

// check asserts the invariants of the crash test on every clinic: every
// claim that passed the scrub in exactly one 837 (in the store and at the
// payer) and in a final status, at most one payment per claim, the ledger
// balanced per claim and in total, every inbound file processed once and
// every payment (trace) posted once.
func (lt *loadtest) check(ctx context.Context, res *loadtestResult) error {
	problem := func(format string, args ...any) {
		if len(res.Problems) < 20 {
			res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
		}
	}
	received := make(map[string]int)
	for _, id := range demo.Payers() {
		dir := lt.sim.Server().Dir(id, paysim.Inbound)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			content, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			if err := eachCLM(bytes.NewReader(content), func(pcn string) { received[pcn]++ }); err != nil {
				return fmt.Errorf("payer %s file %s: %w", id, e.Name(), err)
			}
		}
	}
	final := map[claim.Status]bool{claim.StatusPaid: true, claim.StatusPartiallyPaid: true, claim.StatusDenied: true,
		claim.StatusRejected: true, claim.StatusScrubFailed: true}
	built := 0
	for _, c := range lt.clinics {
		carried := make(map[string]int)
		ics, err := lt.st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: c.ID})
		if err != nil {
			return err
		}
		for _, listed := range ics {
			ic, err := lt.st.GetInterchange(ctx, store.Ref{ClinicID: c.ID, ID: listed.ID})
			if err != nil {
				return err
			}
			body, err := lt.st.OpenContent(ctx, ic.ContentID)
			if err != nil {
				return fmt.Errorf("interchange %d: %w", ic.ID, err)
			}
			err = eachCLM(body, func(pcn string) { carried[pcn]++ })
			body.Close()
			if err != nil {
				return fmt.Errorf("interchange %d: %w", ic.ID, err)
			}
		}
		pays := make(map[int64]int)
		for after := int64(0); ; {
			ps, err := lt.st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: c.ID, AfterID: after, Limit: 5000})
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.ClaimID == nil {
					res.Lost++
					problem("clinic %d: payment %q matched no claim", c.ID, p.PatientControlNumber)
					continue
				}
				pays[*p.ClaimID]++
			}
			if len(ps) < 5000 {
				break
			}
			after = ps[len(ps)-1].ID
		}
		balances, err := lt.st.LedgerBalancesByClaim(ctx, store.CountParams{ClinicID: c.ID})
		if err != nil {
			return err
		}
		// The ledger per claim: the charge debited insurance A/R and
		// credited revenue; payments, adjustments and transfers only move
		// it between accounts. A transfer to a secondary claim moves
		// patient A/R of the primary to insurance A/R of the secondary, so
		// the lines of an encounter's claims (the primary and its
		// secondary) sum to zero.
		perClaim := make(map[int64]int64)
		for _, b := range balances {
			perClaim[b.ClaimID] += b.AmountCents
		}
		perEncounter := make(map[int64]int64)
		var encounters []int64
		seen := make(map[int64]bool)
		for after := int64(0); ; {
			cs, err := lt.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: c.ID, AfterID: after, Limit: 5000})
			if err != nil {
				return err
			}
			for _, cl := range cs {
				pcn := cl.PatientControlNumber
				if cl.EncounterID == nil {
					problem("claim %s has no encounter", pcn)
					continue
				}
				enc := *cl.EncounterID
				perEncounter[enc] += perClaim[cl.ID]
				// A secondary claim, built when its primary's 835 was
				// posted, waits as a draft for the next night.
				secondary := seen[enc]
				if !secondary {
					seen[enc] = true
					encounters = append(encounters, enc)
					built++
				}
				switch {
				case secondary && cl.Status != claim.StatusDraft:
					problem("secondary claim %s is %s", pcn, cl.Status)
				case !secondary && !final[cl.Status]:
					res.Lost++
					problem("claim %s is %s", pcn, cl.Status)
				}
				want := 1
				if secondary || cl.Status == claim.StatusScrubFailed {
					want = 0
				}
				for where, n := range map[string]int{"837s": carried[pcn], "files at the payer": received[pcn]} {
					switch {
					case n < want:
						res.Lost++
						problem("claim %s in %d %s", pcn, n, where)
					case n > want:
						res.Doubled++
						problem("claim %s in %d %s", pcn, n, where)
					}
				}
				if n := pays[cl.ID]; n > 1 {
					res.Doubled++
					problem("claim %s paid %d times", pcn, n)
				}
			}
			if len(cs) < 5000 {
				break
			}
			after = cs[len(cs)-1].ID
		}
		for _, enc := range encounters {
			if sum := perEncounter[enc]; sum != 0 {
				problem("encounter %d: ledger of its claims off by %d cents", enc, sum)
			}
		}
		total, err := lt.st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: c.ID})
		if err != nil {
			return err
		}
		if total != 0 {
			problem("clinic %d: ledger off by %d cents in total", c.ID, total)
		}
		files, err := lt.st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: c.ID})
		if err != nil {
			return err
		}
		names := make(map[string]int)
		for _, f := range files {
			names[f.FileName]++
			if names[f.FileName] > 1 {
				res.Doubled++
				problem("inbound file %s recorded %d times", f.FileName, names[f.FileName])
			}
			if f.State != store.InboundProcessed {
				problem("inbound file %s is %s: %s", f.FileName, f.State, f.Error)
			}
		}
		rems, err := lt.st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: c.ID})
		if err != nil {
			return err
		}
		traces := make(map[string]bool)
		for _, r := range rems {
			key := r.PayerIdentifier + "/" + r.TraceNumber
			if traces[key] {
				res.Doubled++
				problem("payment %s posted twice", key)
			}
			traces[key] = true
		}
	}
	if built != lt.o.Claims {
		res.Lost += max(lt.o.Claims-built, 0)
		problem("%d claims built of %d encounters", built, lt.o.Claims)
	}
	return nil
}

// eachCLM calls fn with the patient control number (CLM01) of every claim
// of an 837.
func eachCLM(content io.Reader, fn func(pcn string)) error {
	r := edi.NewReader(content)
	for {
		s, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if s.Is("CLM") {
			fn(s.String(1))
		}
	}
}
