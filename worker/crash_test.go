package worker_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the watch on PostgreSQL
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/store/storetest"
	"github.com/clearhouse/clearhouse/worker"
)

// Environment of the re-executed worker process of the crash test.
const (
	envCrashWorker = "CLEARHOUSE_CRASH_WORKER" // the database: a SQLite path or a postgres:// URL
	envCrashAddr   = "CLEARHOUSE_CRASH_ADDR"
	envCrashKey    = "CLEARHOUSE_CRASH_HOSTKEY"
	envCrashInbox  = "CLEARHOUSE_CRASH_INBOX"
	// EnvCrashClaims sizes the crash test (default 2000; make crash-test
	// runs 10000).
	envCrashClaims = "CLEARHOUSE_CRASH_CLAIMS"
	envCrashKills  = "CLEARHOUSE_CRASH_KILLS"
	// envCrashDefaults runs the worker with the pipeline's default
	// timeouts, slices and fetch interval, as serve does.
	envCrashDefaults = "CLEARHOUSE_CRASH_DEFAULTS"
	// envCrashBackend "postgres" runs the test on a fresh PostgreSQL
	// database (default SQLite); envCrashProcesses runs that many worker
	// processes at once, all killed together (make crash-test: 2 on
	// PostgreSQL).
	envCrashBackend   = "CLEARHOUSE_CRASH_BACKEND"
	envCrashProcesses = "CLEARHOUSE_CRASH_PROCESSES"
	// envKillGate names a file and envKillGateKind a job kind: the worker
	// runs the first attempt of a job of that kind to its end, writes the
	// file and then holds the job running (its work committed, River's
	// completion not recorded) until the process is killed.
	envKillGate     = "CLEARHOUSE_KILL_GATE"
	envKillGateKind = "CLEARHOUSE_KILL_GATE_KIND"
)

// Crash test timing: jobs are cut into short runs, so a stuck job (its
// worker killed) can be rescued soon.
const (
	crashJobTimeout  = 8 * time.Second
	crashRescueAfter = 9 * time.Second
)

func TestMain(m *testing.M) {
	if db := os.Getenv(envCrashWorker); db != "" {
		os.Exit(crashWorker(db))
	}
	os.Exit(m.Run())
}

// crashWorker runs the pipeline's queue until killed (or, on SIGTERM, stops
// it cleanly).
func crashWorker(db string) int {
	ctx := context.Background()
	st, err := storedb.Open(ctx, db, storedb.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		return 1
	}
	defer st.Close()
	opts := pipelineOptions{inbox: os.Getenv(envCrashInbox), jobTimeout: crashJobTimeout, rescueAfter: crashRescueAfter, maxClaims: 200, sliceSize: 100}
	defaults := os.Getenv(envCrashDefaults) != ""
	if defaults {
		opts = pipelineOptions{inbox: os.Getenv(envCrashInbox)}
	}
	_, p, err := buildPipeline(st, simTarget{Addr: os.Getenv(envCrashAddr), Fingerprint: os.Getenv(envCrashKey)}, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		return 1
	}
	defer p.Close()
	qc := p.QueueConfig(4)
	qc.PeriodicJobs = nil
	if gate := os.Getenv(envKillGate); gate != "" {
		qc.Configure = withKillGate(qc.Configure, gate, os.Getenv(envKillGateKind))
	}
	if !defaults {
		qc.FetchPollInterval = 50 * time.Millisecond
	}
	q, err := st.NewQueue(qc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		return 1
	}
	if err := q.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := q.Stop(stopCtx); err != nil {
		fmt.Fprintln(os.Stderr, "crash worker: stop:", err)
		return 1
	}
	return 0
}

// withKillGate adds to configure the worker middleware of envKillGate.
func withKillGate(configure func(*river.Config), gate, kind string) func(*river.Config) {
	return func(c *river.Config) {
		if configure != nil {
			configure(c)
		}
		c.Middleware = append(c.Middleware, river.WorkerMiddlewareFunc(func(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
			if job.Kind != kind || job.Attempt != 1 {
				return doInner(ctx)
			}
			err := doInner(ctx)
			if werr := os.WriteFile(gate, fmt.Appendf(nil, "job %d attempt 1 returned %v\n", job.ID, err), 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, "crash worker: kill gate:", werr)
				return err
			}
			select {} // until the test kills the process
		}))
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// What a kill interrupted, read from the jobs the database still records
// as running once the worker is dead: the nightly build and scrub, a submission (recording and
// uploading 837 files), a poll collecting responses waiting at the payer,
// an acknowledgment (TA1, 999, 277CA) being applied, or an 835 being posted.
const (
	phaseBuild  = "build/scrub"
	phaseSubmit = "submit/upload"
	phasePoll   = "poll/record"
	phaseAck    = "999/277CA"
	phasePost   = "835 posting"
	// A nightly run with nothing to build (it starts the submissions), a
	// poll with nothing waiting at the payer, and no job at all.
	phaseNightlyEmpty = "nightly (nothing to build)"
	phasePollEmpty    = "poll (nothing waiting)"
	phaseIdle         = "idle"
)

// crashPhases are the phases every run of the crash test must interrupt.
var crashPhases = []string{phaseBuild, phaseSubmit, phasePoll, phaseAck, phasePost}

// crashWatch is the test process's view of the worker: which jobs run now
// and how far the pipeline got, read from the database between kills.
type crashWatch struct {
	t        *testing.T
	st       store.Store
	db       *sql.DB
	sim      *paysim.Simulator
	clinicID int64
	fileType map[int64]string // inbound file ID to its type
	// postgres: db is a PostgreSQL connection (else SQLite).
	postgres bool
}

// sql adapts a statement written for SQLite to the watched database.
func (w *crashWatch) sql(s string) string {
	if !w.postgres {
		return s
	}
	s = strings.ReplaceAll(s, "json(args)", "args::text")
	return strings.ReplaceAll(s, "?", "$1")
}

// running returns the phases of the jobs running now, sorted.
func (w *crashWatch) running(ctx context.Context) []string {
	w.t.Helper()
	rows, err := w.db.QueryContext(ctx, w.sql(`SELECT kind, json(args) FROM river_job WHERE state = 'running'`))
	must(w.t, err)
	type job struct {
		kind string
		args []byte
	}
	var jobs []job
	for rows.Next() {
		var j job
		must(w.t, rows.Scan(&j.kind, &j.args))
		jobs = append(jobs, j)
	}
	must(w.t, rows.Err())
	must(w.t, rows.Close())
	seen := make(map[string]bool)
	for _, j := range jobs {
		switch j.kind {
		case worker.NightlyAllArgs{}.Kind(), worker.NightlyArgs{}.Kind():
			if w.buildWork(ctx) {
				seen[phaseBuild] = true
			} else {
				seen[phaseNightlyEmpty] = true
			}
		case worker.SubmitPayerBatchArgs{}.Kind():
			seen[phaseSubmit] = true
		case worker.PollInboundArgs{}.Kind():
			if w.waiting() > 0 {
				seen[phasePoll] = true
			} else {
				seen[phasePollEmpty] = true
			}
		case worker.ProcessInboundArgs{}.Kind():
			var a worker.ProcessInboundArgs
			must(w.t, json.Unmarshal(j.args, &a))
			ft, ok := w.fileType[a.InboundFileID]
			if !ok {
				f, err := w.st.GetInboundFile(ctx, store.Ref{ClinicID: a.ClinicID, ID: a.InboundFileID})
				must(w.t, err)
				ft = f.FileType
				w.fileType[a.InboundFileID] = ft
			}
			if ft == "835" {
				seen[phasePost] = true
			} else {
				seen[phaseAck] = true
			}
		default:
			seen[j.kind] = true
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// buildWork reports whether an encounter waits to be billed or a claim to
// be scrubbed.
func (w *crashWatch) buildWork(ctx context.Context) bool {
	w.t.Helper()
	encs, err := w.st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: w.clinicID, Statuses: []string{store.EncounterReady}, Limit: 1})
	must(w.t, err)
	if len(encs) > 0 {
		return true
	}
	cs, err := w.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: w.clinicID, Statuses: []claim.Status{claim.StatusDraft}, Limit: 1})
	must(w.t, err)
	return len(cs) > 0
}

// submitting reports whether a submission job waits or runs.
func (w *crashWatch) submitting(ctx context.Context) bool {
	w.t.Helper()
	var n int
	must(w.t, w.db.QueryRowContext(ctx, w.sql(`SELECT count(*) FROM river_job WHERE kind = ? AND state IN ('available', 'running', 'scheduled', 'retryable', 'pending')`),
		worker.SubmitPayerBatchArgs{}.Kind()).Scan(&n))
	return n > 0
}

// waiting counts the responses waiting in the payer's outbound folder.
func (w *crashWatch) waiting() int {
	entries, err := os.ReadDir(w.sim.Server().Dir("KHP01", paysim.Outbound))
	must(w.t, err)
	n := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n
}

// progress says how far the pipeline got.
func (w *crashWatch) progress(ctx context.Context) string {
	w.t.Helper()
	var built, submitted, final int
	for _, c := range allClaims(w.t, w.st, w.clinicID) {
		built++
		switch c.Status {
		case claim.StatusDraft, claim.StatusReady:
		default:
			submitted++
		}
		if slices.Contains(finalStatuses, c.Status) {
			final++
		}
	}
	files, err := w.st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: w.clinicID})
	must(w.t, err)
	processed := 0
	for _, f := range files {
		if f.State == store.InboundProcessed {
			processed++
		}
	}
	rems, err := w.st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: w.clinicID})
	must(w.t, err)
	ics, err := w.st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: w.clinicID})
	must(w.t, err)
	pending := 0
	for _, ic := range ics {
		if ic.Status == store.InterchangeCreated || ic.Status == store.InterchangeUploading || ic.Status == store.InterchangeFailed {
			pending++
		}
	}
	return fmt.Sprintf("claims %d built, %d submitted, %d final; %d files recorded, %d not uploaded; inbound %d recorded, %d processed; %d payments posted",
		built, submitted, final, len(ics), pending, len(files), processed, len(rems))
}

// rescue does at once what River does for a dead worker after its timeouts
// (the leader's lease running out, then the rescuer's next run after
// RescueAfter): the killed process's leadership is dropped and its running
// jobs are made available again. Only the test knows the process is dead;
// without this each kill would stall its phase for tens of seconds. It
// returns how many jobs it put back.
func (w *crashWatch) rescue(ctx context.Context) int64 {
	w.t.Helper()
	_, err := w.db.ExecContext(ctx, `DELETE FROM river_leader`)
	must(w.t, err)
	res, err := w.db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	must(w.t, err)
	n, err := res.RowsAffected()
	must(w.t, err)
	return n
}

// crashDriver does what the schedule and the practice would: it imports
// the encounters in waves (the next once the last is submitted), runs the
// nightly batch, polls the payer and has it release its due 835s.
type crashDriver struct {
	t           *testing.T
	st          store.Store
	watch       *crashWatch
	svc         *billing.Service
	sim         *paysim.Simulator
	pr          practice
	claims      int
	waves       int
	imported    int
	lastNudge   time.Time
	lastRelease time.Time
}

func (d *crashDriver) nudge(ctx context.Context) {
	d.t.Helper()
	now := time.Now()
	if now.Sub(d.lastNudge) < 150*time.Millisecond {
		return
	}
	d.lastNudge = now
	if d.imported < d.claims && d.waveSubmitted(ctx) {
		n := min(d.claims-d.imported, (d.claims+d.waves-1)/d.waves)
		importWave(d.t, d.svc, d.pr, d.imported, n)
		d.imported += n
	}
	if now.Sub(d.lastRelease) >= time.Second {
		// Due in an hour: everything adjudicated so far.
		_, err := d.sim.ReleaseDue(ctx, now.Add(time.Hour))
		must(d.t, err)
		d.lastRelease = now
	}
	// The nightly batch runs while encounters or drafts wait for it, or
	// ready claims for the submission job it starts.
	if d.watch.buildWork(ctx) || !d.waveSubmitted(ctx) && !d.watch.submitting(ctx) {
		_, err := d.st.InsertJob(ctx, worker.NightlyArgs{ClinicID: d.pr.clinic.ID}, nil)
		must(d.t, err)
	}
	_, err := d.st.InsertJob(ctx, worker.PollInboundArgs{Payer: "KHP01"}, nil)
	must(d.t, err)
}

// waveSubmitted reports whether no encounter waits to be billed and no
// claim to be submitted.
func (d *crashDriver) waveSubmitted(ctx context.Context) bool {
	d.t.Helper()
	encs, err := d.st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: d.pr.clinic.ID, Statuses: []string{store.EncounterReady}, Limit: 1})
	must(d.t, err)
	if len(encs) > 0 {
		return false
	}
	cs, err := d.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: d.pr.clinic.ID, Statuses: []claim.Status{claim.StatusDraft, claim.StatusReady}, Limit: 1})
	must(d.t, err)
	return len(cs) == 0
}

// importWave imports n ready encounters numbered from first (an office
// visit and a rapid strep test each).
func importWave(t testing.TB, svc *billing.Service, pr practice, first, n int) {
	t.Helper()
	dos := time.Now().UTC().AddDate(0, 0, -5).Format("2006-01-02")
	var b strings.Builder
	b.WriteString("encounter,mrn,provider_npi,service_date,diagnoses,procedure,modifiers,pointers,charge\n")
	for i := first; i < first+n; i++ {
		mrn := pr.patients[i%len(pr.patients)].MRN
		fmt.Fprintf(&b, "e%d,%s,%s,%s,J069|R509,99213,,1|2,%d.00\n", i, mrn, pr.provider.NPI, dos, 100+i%50)
		fmt.Fprintf(&b, "e%d,%s,%s,%s,J069|R509,87880,QW,1,\n", i, mrn, pr.provider.NPI, dos)
	}
	_, err := svc.ImportCharges(context.Background(), pr.clinic.ID, fmt.Sprintf("visits-%d.csv", first), strings.NewReader(b.String()))
	must(t, err)
}

// TestCrashSafety runs the pipeline on thousands of claims against the
// payer simulator in a worker process that is SIGKILLed again and again,
// restarted each time, and then checks that every claim was submitted
// once, every response processed once, every payment posted once, the
// ledger balances and nothing was lost.
//
// The encounters arrive in waves, so building, submitting, polling,
// acknowledging and posting recur. The test watches the running jobs and
// kills the worker while one of a phase short of kills runs (after a
// random delay, so the kill lands anywhere in it), or after a random
// patience whatever runs; each phase must be hit at least once.
func TestCrashSafety(t *testing.T) {
	claims := envInt(envCrashClaims, 2000)
	kills := max(envInt(envCrashKills, 10), len(crashPhases))
	seed := uint64(time.Now().UnixNano())
	t.Logf("%d claims, %d kills, seed %d", claims, kills, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	processes := envInt(envCrashProcesses, 1)
	postgres := os.Getenv(envCrashBackend) == "postgres"
	t.Logf("%d worker processes on %s", processes, map[bool]string{false: "SQLite", true: "PostgreSQL"}[postgres])

	dir := t.TempDir()
	db := filepath.Join(dir, "crash.db")
	must(t, os.Mkdir(filepath.Join(dir, "inbox"), 0o755))
	var st store.Store
	var sqlDB *sql.DB
	if postgres {
		db = storetest.PostgresURL(t, "clearhouse_crash_test")
		var err error
		st, err = storedb.Open(context.Background(), db, storedb.Options{})
		must(t, err)
		t.Cleanup(func() { st.Close() })
		_, err = st.Migrate(context.Background())
		must(t, err)
		sqlDB, err = sql.Open("pgx", db)
		must(t, err)
		t.Cleanup(func() { sqlDB.Close() })
	} else {
		st = openSQLite(t, db)
		sqlDB = st.(interface{ DB() *sql.DB }).DB()
	}
	sim := simulator(t, filepath.Join(dir, "paysim"), seed)
	svc, _ := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: filepath.Join(dir, "inbox")})
	pr := newPractice(t, st, 50)
	watch := &crashWatch{t: t, st: st, db: sqlDB, sim: sim, clinicID: pr.clinic.ID, fileType: make(map[int64]string), postgres: postgres}
	drive := &crashDriver{t: t, st: st, watch: watch, svc: svc, sim: sim, pr: pr, claims: claims, waves: 4}

	target := targetOf(sim)
	testdata, err := filepath.Abs("testdata")
	must(t, err)
	startWorker := func() workers {
		var ws workers
		for range processes {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envCrashWorker+"="+db, envCrashAddr+"="+target.Addr, envCrashKey+"="+target.Fingerprint,
				envCrashInbox+"="+filepath.Join(dir, "inbox"), "CLEARHOUSE_WORKER_TESTDATA="+testdata)
			cmd.Stderr = os.Stderr
			must(t, cmd.Start())
			ws = append(ws, cmd)
		}
		return ws
	}
	ctx := context.Background()

	start := time.Now()
	hits := make(map[string]int)
	missed := func() []string {
		var out []string
		for _, p := range crashPhases {
			if hits[p] == 0 {
				out = append(out, p)
			}
		}
		return out
	}
	quota := (kills + len(crashPhases) - 1) / len(crashPhases)
	// At least kills kills, more (up to three times as many, idle ones
	// aside) until every phase was hit and the last wave arrived, so the
	// kills spread over the whole run, unless the pipeline finished first.
	for i := 0; ; i++ {
		drive.nudge(ctx)
		cmd := startWorker()
		born := time.Now()
		patience := time.Duration(1500+rng.IntN(2500)) * time.Millisecond
		wanted := false
		for {
			drive.nudge(ctx)
			now := watch.running(ctx)
			wanted = slices.ContainsFunc(now, func(p string) bool { return slices.Contains(crashPhases, p) && hits[p] < quota })
			// A phase that had its quota is killed again only once every
			// phase had its own: a slow machine (a long build with two
			// processes) would otherwise spend the kills on it.
			busy := slices.ContainsFunc(now, func(p string) bool { return slices.Contains(crashPhases, p) }) && len(missed()) == 0
			age := time.Since(born)
			if wanted || (age > patience && busy) || age > 3*patience {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		// A phase still short of its quota is killed at once: a short one
		// (an upload of a few claims) is over before a random delay ends.
		if !wanted {
			time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		}
		cmd.signal(t, syscall.SIGKILL)
		life := time.Since(born).Round(time.Millisecond)
		// What the kill interrupted: the jobs still recorded as running
		// (those working, and those done whose completion was not yet
		// written, which run again as well).
		hit := watch.running(ctx)
		if len(hit) == 0 {
			hit = []string{phaseIdle}
		}
		for _, p := range hit {
			hits[p]++
		}
		// Kills of an idle worker (on a loaded machine, processes still
		// starting) do not count towards the cap, up to ten times kills.
		last := i+1-hits[phaseIdle] >= 3*kills || i+1 >= 10*kills || i+1 >= kills && len(missed()) == 0 && drive.imported == claims ||
			drive.imported == claims && settled(t, st, sim, pr.clinic.ID, claims)
		rescued := "left to River's rescuer"
		if !last {
			// The last kill's jobs are left to River: its leader lease runs
			// out and its rescuer puts them back after RescueAfter.
			rescued = fmt.Sprintf("%d jobs put back", watch.rescue(ctx))
		}
		t.Logf("kill %d after %v hit %s (%s): %s", i+1, life, strings.Join(hit, " + "), rescued, watch.progress(ctx))
		if last {
			break
		}
	}
	t.Logf("kills by phase: %v", hits)
	if m := missed(); len(m) > 0 {
		t.Errorf("no kill hit %s", strings.Join(m, ", "))
	}

	cmd := startWorker()
	defer cmd.signal(t, syscall.SIGTERM)
	limit := 4 * time.Minute
	if claims > 5000 {
		limit = 20 * time.Minute
	}
	deadline := time.Now().Add(limit)
	for drive.imported < claims || !settled(t, st, sim, pr.clinic.ID, claims) {
		if time.Now().After(deadline) {
			describe(t, st, pr.clinic.ID)
			t.Fatalf("pipeline did not settle in %v after the last kill", limit)
		}
		drive.nudge(ctx)
		time.Sleep(150 * time.Millisecond)
	}
	t.Logf("settled %v after the first start", time.Since(start))
	checkInvariants(t, st, sim, pr.clinic.ID, claims)
	checkInboundOnce(t, st, sim, pr.clinic.ID)
}

// workers are the worker processes of one life of the crash test.
type workers []*exec.Cmd

// signal sends sig to every process (one that died already is left) and
// waits for them.
func (ws workers) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	for _, cmd := range ws {
		if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Error(err)
		}
	}
	for _, cmd := range ws {
		cmd.Wait()
	}
}

// checkInboundOnce checks that every response collected from the payer was
// recorded and processed exactly once and applied in full: each 999 set
// acknowledged once, each 277CA claim status recorded once, each 835
// payment posted once with every one of its claims, and no claim paid
// twice.
func checkInboundOnce(t testing.TB, st store.Store, sim *paysim.Simulator, clinicID int64) {
	t.Helper()
	ctx := context.Background()
	files, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: clinicID})
	must(t, err)
	byName := make(map[string]int)
	for _, f := range files {
		byName[f.FileName]++
	}
	// Everything the pipeline collected was recorded once.
	archived, err := os.ReadDir(sim.Server().Dir("KHP01", paysim.Archive))
	must(t, err)
	for _, e := range archived {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if n := byName[e.Name()]; n != 1 {
			t.Errorf("response %s recorded %d times", e.Name(), n)
		}
	}
	for name, n := range byName {
		if n != 1 {
			t.Errorf("inbound file %s recorded %d times", name, n)
		}
	}
	acked277 := make(map[int64]int)
	for _, listed := range files {
		f, err := st.GetInboundFile(ctx, store.Ref{ClinicID: clinicID, ID: listed.ID})
		must(t, err)
		// What the file holds: 999 sets (AK2), 277CA claims (TRN*2 of
		// Loop 2200D, under an HL of level PT) and
		// the claims (CLP) of each 835 payment (TRN*1).
		var sets, claims int
		perTrace := make(map[string]int)
		trace, level := "", ""
		r := edi.NewReader(bytes.NewReader(storetest.Content(t, st, f.ContentID)))
		for {
			s, err := r.Next()
			if err == io.EOF {
				break
			}
			must(t, err)
			switch {
			case s.Is("AK2"):
				sets++
			case s.Is("HL"):
				level = s.String(3)
			case s.Is("TRN") && s.String(1) == "2" && level == "PT":
				claims++
			case s.Is("TRN") && s.String(1) == "1" && f.FileType == "835":
				trace = s.String(2)
				perTrace[trace] += 0
			case s.Is("CLP"):
				perTrace[trace]++
			}
		}
		acks, err := st.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: clinicID, InboundFileID: f.ID})
		must(t, err)
		switch f.FileType {
		case store.Ack999:
			if len(acks) != sets {
				t.Errorf("999 %s: %d acknowledgments recorded for %d sets", f.FileName, len(acks), sets)
			}
		case store.Ack277CA:
			if len(acks) != claims {
				t.Errorf("277CA %s: %d acknowledgments recorded for %d claims", f.FileName, len(acks), claims)
			}
			for _, a := range acks {
				if a.ClaimID != nil {
					acked277[*a.ClaimID]++
				}
			}
		case "835":
			if len(acks) != 0 {
				t.Errorf("835 %s: %d acknowledgments recorded", f.FileName, len(acks))
			}
			rems, err := st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: clinicID, InboundFileID: f.ID})
			must(t, err)
			if len(rems) != len(perTrace) {
				t.Errorf("835 %s: %d payments posted of %d", f.FileName, len(rems), len(perTrace))
			}
			for _, rem := range rems {
				pays, err := st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: clinicID, RemittanceID: rem.ID})
				must(t, err)
				if want, ok := perTrace[rem.TraceNumber]; !ok || len(pays) != want {
					t.Errorf("835 %s payment %s: %d claims posted, the file has %d", f.FileName, rem.TraceNumber, len(pays), want)
				}
			}
		default:
			t.Errorf("inbound file %s of type %q", f.FileName, f.FileType)
		}
	}
	for _, c := range allClaims(t, st, clinicID) {
		if n := acked277[c.ID]; n != 1 {
			t.Errorf("claim %s: %d 277CA acknowledgments", c.PatientControlNumber, n)
		}
	}
	// No claim paid twice, matched or not.
	paid := make(map[string]int)
	for after := int64(0); ; {
		pays, err := st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: clinicID, AfterID: after, Limit: 1000})
		must(t, err)
		for _, p := range pays {
			paid[p.PatientControlNumber]++
		}
		if len(pays) < 1000 {
			break
		}
		after = pays[len(pays)-1].ID
	}
	for pcn, n := range paid {
		if n != 1 {
			t.Errorf("claim %s paid %d times", pcn, n)
		}
	}
}
