package worker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/worker"
)

// Environment of the re-executed worker process of the crash test.
const (
	envCrashWorker = "CLEARHOUSE_CRASH_WORKER" // the SQLite database path
	envCrashAddr   = "CLEARHOUSE_CRASH_ADDR"
	envCrashKey    = "CLEARHOUSE_CRASH_HOSTKEY"
	envCrashInbox  = "CLEARHOUSE_CRASH_INBOX"
	// EnvCrashClaims sizes the crash test (default 2000; make crash-test
	// runs 10000).
	envCrashClaims = "CLEARHOUSE_CRASH_CLAIMS"
	envCrashKills  = "CLEARHOUSE_CRASH_KILLS"
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
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: db})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		return 1
	}
	defer st.Close()
	_, p, err := buildPipeline(st, simTarget{Addr: os.Getenv(envCrashAddr), Fingerprint: os.Getenv(envCrashKey)},
		pipelineOptions{inbox: os.Getenv(envCrashInbox), jobTimeout: crashJobTimeout, rescueAfter: crashRescueAfter, maxClaims: 250, sliceSize: 100})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		return 1
	}
	defer p.Close()
	qc := p.QueueConfig(4)
	qc.PeriodicJobs = nil
	qc.FetchPollInterval = 50 * time.Millisecond
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

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestCrashSafety runs the pipeline on thousands of claims against the
// payer simulator in a worker process that is SIGKILLed at random moments,
// restarted each time, and then checks that every claim was submitted
// once, every payment posted once, the ledger balances and nothing was
// lost.
func TestCrashSafety(t *testing.T) {
	claims := envInt(envCrashClaims, 2000)
	kills := envInt(envCrashKills, 10)
	seed := uint64(time.Now().UnixNano())
	t.Logf("%d claims, %d kills, seed %d", claims, kills, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	dir := t.TempDir()
	db := filepath.Join(dir, "crash.db")
	must(t, os.Mkdir(filepath.Join(dir, "inbox"), 0o755))
	st := openSQLite(t, db)
	sim := simulator(t, filepath.Join(dir, "paysim"), seed)
	svc, _ := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: filepath.Join(dir, "inbox")})
	pr := newPractice(t, st, 50)
	start := time.Now()
	importVisits(t, svc, pr, claims)
	t.Logf("imported %d encounters in %v", claims, time.Since(start))

	target := targetOf(sim)
	testdata, err := filepath.Abs("testdata")
	must(t, err)
	startWorker := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashWorker+"="+db, envCrashAddr+"="+target.Addr, envCrashKey+"="+target.Fingerprint,
			envCrashInbox+"="+filepath.Join(dir, "inbox"), "CLEARHOUSE_WORKER_TESTDATA="+testdata)
		cmd.Stderr = os.Stderr
		must(t, cmd.Start())
		return cmd
	}
	ctx := context.Background()
	// nudge does what the schedule would: the nightly run, a poll, and the
	// payer releasing its due 835s.
	nudge := func() {
		_, err := sim.ReleaseDue(ctx, time.Now().Add(time.Hour))
		must(t, err)
		_, err = st.InsertJob(ctx, worker.NightlyArgs{ClinicID: pr.clinic.ID}, nil)
		must(t, err)
		_, err = st.InsertJob(ctx, worker.PollInboundArgs{Payer: "KHP01"}, nil)
		must(t, err)
	}

	start = time.Now()
	for i := range kills {
		cmd := startWorker()
		life := time.Duration(500+rng.IntN(5500)) * time.Millisecond
		for end := time.Now().Add(life); time.Now().Before(end); {
			nudge()
			time.Sleep(150 * time.Millisecond)
		}
		must(t, cmd.Process.Signal(syscall.SIGKILL))
		cmd.Wait()
		t.Logf("kill %d after %v: %d of %d claims final", i+1, life, len(allClaims(t, st, pr.clinic.ID, finalStatuses...)), claims)
	}
	cmd := startWorker()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	limit := 4 * time.Minute
	if claims > 5000 {
		limit = 20 * time.Minute
	}
	deadline := time.Now().Add(limit)
	for !settled(t, st, sim, pr.clinic.ID, claims) {
		if time.Now().After(deadline) {
			describe(t, st, pr.clinic.ID)
			t.Fatalf("pipeline did not settle in %v after the last kill", limit)
		}
		nudge()
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("settled %v after the first start", time.Since(start))
	checkInvariants(t, st, sim, pr.clinic.ID, claims)
}
