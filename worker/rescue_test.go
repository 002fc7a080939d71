package worker_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// rescueWithin is how soon a job of a killed worker must run again (issue
// 18): RescueAfter, River's rescuer interval (30 s), the first retry's
// backoff and River's scheduler interval (5 s) fit in it.
const rescueWithin = time.Minute

// rescueWindow is the longest River may take, with the pipeline's default
// timeouts, to run a killed worker's job again: RescueAfter, the rescuer's
// interval, the first retry's backoff and the scheduler's interval.
func rescueWindow(to worker.Timeouts) time.Duration {
	const rescuerInterval, schedulerInterval = 30 * time.Second, 5 * time.Second
	return to.RescueAfter + rescuerInterval + worker.RetryPolicy{}.Backoff(1, 1) + schedulerInterval
}

// TestTimeoutsRescueWithinAMinute checks the arithmetic of the default
// timeouts, which every job kind shares: a job's context ends before River
// may rescue it (so a job still alive is not run twice), a slice has at
// least half the timeout, and a killed worker's job is rescued, scheduled
// and fetched within a minute.
func TestTimeoutsRescueWithinAMinute(t *testing.T) {
	st := openSQLite(t, filepath.Join(t.TempDir(), "t.db"))
	for _, tc := range []struct {
		name        string
		job, rescue time.Duration
		wantErr     bool
	}{
		{name: "defaults"},
		{name: "longer job, default grace", job: 20 * time.Second},
		{name: "rescue before the timeout", job: 20 * time.Second, rescue: 10 * time.Second, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p, err := buildPipeline(st, simTarget{Addr: "127.0.0.1:1"}, pipelineOptions{jobTimeout: tc.job, rescueAfter: tc.rescue})
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			must(t, err)
			defer p.Close()
			to := p.Timeouts()
			if grace := to.RescueAfter - to.Job; grace < 5*time.Second {
				t.Errorf("a job's context ends %v before River may rescue it; want 5 s or more", grace)
			}
			if worst := rescueWindow(to); tc.job == 0 && worst > rescueWithin {
				t.Errorf("worst case rescue %v > %v", worst, rescueWithin)
			}
		})
	}
}

// rescueMargin is what the kill test allows beyond rescueWindow: the
// worker's start, River's leader election and fetch polling on a loaded
// machine. It is generous on purpose: the window itself is checked by
// TestTimeoutsRescueWithinAMinute; the kill test checks that River really
// does what the arithmetic says, not how fast a shared machine is.
const rescueMargin = 30 * time.Second

// TestKilledWorkerJobRetried SIGKILLs a worker process (the pipeline's
// default timeouts, as serve runs it) in the middle of a long job and starts
// another, as an operator's supervisor would: the new worker's River
// rescuer must put the job back and run it again within the rescue window
// of the kill, the job must finish, and nothing may be done twice. The
// jobs are the nightly run (3000 encounters billed and scrubbed in slices),
// killed with its work committed and its completion not yet recorded, and
// process_inbound, killed while it posts one 835 of about 2800 claim
// payments (in chunks of billing.PostChunkSize).
//
// When the job ran again is read from River's own record (the attempt's
// attempted_at), not from when the test noticed; it must be within
// rescueWindow plus rescueMargin of the kill.
func TestKilledWorkerJobRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for River's rescuer (about 50 s a case)")
	}
	for _, tc := range []struct {
		name string
		// prepare sets the clinic up and inserts the job to kill; started
		// reports that the job is far enough in to kill it.
		prepare func(t *testing.T, k *killCase) int64
		started func(t *testing.T, k *killCase) bool
		check   func(t *testing.T, k *killCase)
	}{
		{
			name: "nightly",
			prepare: func(t *testing.T, k *killCase) int64 {
				importVisits(t, k.svc, k.pr, killVisits)
				// The nightly run bills 3000 encounters in well under a
				// second on a quiet machine, faster than a poll can see it
				// run: the worker holds its first attempt once the work is
				// committed, before River records it completed, the worst
				// place for a kill (a rerun must not bill anything twice).
				k.gate, k.gateKind = filepath.Join(k.dir, "nightly-gate"), worker.NightlyArgs{}.Kind()
				k.startWorker()
				res, err := k.st.InsertJob(context.Background(), worker.NightlyArgs{ClinicID: k.pr.clinic.ID}, nil)
				must(t, err)
				return res.Job.ID
			},
			started: func(t *testing.T, k *killCase) bool {
				_, err := os.Stat(k.gate)
				return err == nil
			},
			check: func(t *testing.T, k *killCase) {
				ctx := context.Background()
				claims := allClaims(t, k.st, k.pr.clinic.ID)
				if len(claims) != killVisits {
					t.Errorf("%d claims for %d encounters", len(claims), killVisits)
				}
				if encs, err := k.st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: k.pr.clinic.ID, Statuses: []string{store.EncounterReady}}); err != nil || len(encs) != 0 {
					t.Errorf("%d encounters left unbilled (%v)", len(encs), err)
				}
				if drafts := allClaims(t, k.st, k.pr.clinic.ID, claim.StatusDraft); len(drafts) != 0 {
					t.Errorf("%d drafts left unscrubbed", len(drafts))
				}
			},
		},
		{
			name: "process_inbound 835",
			prepare: func(t *testing.T, k *killCase) int64 {
				ctx := context.Background()
				importVisits(t, k.svc, k.pr, killVisits)
				// Bill, submit and acknowledge in this process, then stop.
				q := runQueue(t, k.st, k.p)
				_, err := k.st.InsertJob(ctx, worker.NightlyArgs{ClinicID: k.pr.clinic.ID}, nil)
				must(t, err)
				deadline := time.Now().Add(4 * time.Minute)
				for len(allClaims(t, k.st, k.pr.clinic.ID, claim.StatusAccepted, claim.StatusRejected)) < killVisits {
					if time.Now().After(deadline) {
						describe(t, k.st, k.pr.clinic.ID)
						t.Fatal("claims not acknowledged in 4 minutes")
					}
					_, err := k.st.InsertJob(ctx, worker.PollInboundArgs{Payer: "KHP01"}, nil)
					must(t, err)
					time.Sleep(200 * time.Millisecond)
				}
				stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				must(t, q.Stop(stopCtx))
				cancel()
				// One 835 paying every accepted claim.
				n, err := k.sim.ReleaseDue(ctx, time.Now().Add(time.Hour))
				must(t, err)
				if n != 1 {
					t.Fatalf("%d 835 files released, want 1", n)
				}
				var before int64
				must(t, k.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM river_job`).Scan(&before))
				// The worker posts the file's chunks back to back, taking
				// SQLite's write lock again as soon as it commits one, so
				// the test cannot step in between chunks: the worker holds
				// the job's first attempt once every chunk is committed,
				// before River records it completed, and the kill lands
				// there (a rerun must post nothing twice). Kills between
				// chunks are the crash test's (make crash-test).
				k.gate, k.gateKind = filepath.Join(k.dir, "835-gate"), worker.ProcessInboundArgs{}.Kind()
				k.startWorker()
				_, err = k.st.InsertJob(ctx, worker.PollInboundArgs{Payer: "KHP01"}, nil)
				must(t, err)
				var id int64
				for id == 0 {
					if time.Now().After(deadline) {
						t.Fatal("the 835 was not recorded")
					}
					must(t, k.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM river_job WHERE kind = ? AND id > ?`,
						worker.ProcessInboundArgs{}.Kind(), before).Scan(&id))
					time.Sleep(20 * time.Millisecond)
				}
				return id
			},
			started: func(t *testing.T, k *killCase) bool {
				_, err := os.Stat(k.gate)
				return err == nil
			},
			check: func(t *testing.T, k *killCase) {
				rems, err := k.st.ListRemittances(context.Background(), store.ListRemittancesParams{ClinicID: k.pr.clinic.ID})
				must(t, err)
				if len(rems) != 1 || rems[0].PostedAt == nil {
					t.Errorf("remittances %+v, want one posted", rems)
				}
				// Each claim paid once, the ledger balanced per claim and in
				// total, every response processed once.
				checkInvariants(t, k.st, k.sim, k.pr.clinic.ID, killVisits)
				checkInboundOnce(t, k.st, k.sim, k.pr.clinic.ID)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKillCase(t)
			id := tc.prepare(t, k)
			ctx := context.Background()
			deadline := time.Now().Add(2 * time.Minute)
			for js := k.job(id); js.State != rivertype.JobStateRunning || !tc.started(t, k); js = k.job(id) {
				if time.Now().After(deadline) || js.State == rivertype.JobStateCompleted {
					k.stopWorker(syscall.SIGKILL)
					t.Fatalf("job %d is %s (attempt %d) and not yet far enough in to be killed", id, js.State, js.Attempt)
				}
				time.Sleep(10 * time.Millisecond)
			}
			// Hold SQLite's write lock from here to the kill, so the job
			// cannot finish in between on a fast machine: its next write
			// (a slice, a chunk or River's completion) waits for the lock.
			lock, err := k.db.Conn(ctx)
			must(t, err)
			_, err = lock.ExecContext(ctx, "BEGIN IMMEDIATE")
			must(t, err)
			// The store has one connection, this one now: read the job's
			// state through it.
			var state string
			must(t, lock.QueryRowContext(ctx, "SELECT state FROM river_job WHERE id = ?", id).Scan(&state))
			if state != string(rivertype.JobStateRunning) {
				k.stopWorker(syscall.SIGKILL)
				t.Fatalf("job %d is %s before the kill", id, state)
			}
			k.stopWorker(syscall.SIGKILL)
			killed := time.Now()
			_, err = lock.ExecContext(ctx, "ROLLBACK")
			must(t, err)
			must(t, lock.Close())
			if js := k.job(id); js.State != rivertype.JobStateRunning || js.Attempt != 1 {
				t.Fatalf("after the kill the job is %s (attempt %d); want running, attempt 1 (the kill landed mid-job)", js.State, js.Attempt)
			}
			t.Logf("killed mid-job: %s", k.progress(ctx))

			k.startWorker()
			defer k.stopWorker(syscall.SIGTERM)
			// The run after the rescue, as River recorded its start.
			var retriedAt time.Time
			for retriedAt.IsZero() {
				js := k.job(id)
				if js.Attempt >= 2 && (js.State == rivertype.JobStateRunning || js.State == rivertype.JobStateCompleted) && js.AttemptedAt != nil {
					retriedAt = *js.AttemptedAt
				}
				if time.Since(killed) > 2*(rescueWindow(k.to)+rescueMargin) {
					t.Fatalf("job %d not retried %v after the kill: %s attempt %d", id, time.Since(killed), js.State, js.Attempt)
				}
				time.Sleep(50 * time.Millisecond)
			}
			retried := retriedAt.Sub(killed)
			t.Logf("job ran again %v after the kill (River's attempted_at); window %v + margin %v", retried.Round(100*time.Millisecond),
				rescueWindow(k.to), rescueMargin)
			if retried > rescueWindow(k.to)+rescueMargin {
				t.Errorf("job ran again %v after the kill; want within the rescue window %v + %v", retried.Round(time.Second), rescueWindow(k.to), rescueMargin)
			}
			for js := k.job(id); js.State != rivertype.JobStateCompleted; js = k.job(id) {
				if time.Since(killed) > 4*time.Minute {
					t.Fatalf("job %d did not complete: %s attempt %d %v", id, js.State, js.Attempt, js.Errors)
				}
				time.Sleep(100 * time.Millisecond)
			}
			// Rescued once (the kill) and never while it ran again.
			rescues := 0
			for _, e := range k.job(id).Errors {
				if strings.Contains(e.Error, "Stuck job rescued") {
					rescues++
				}
			}
			if rescues != 1 {
				t.Errorf("job errors: %v; want one rescue", k.job(id).Errors)
			}
			tc.check(t, k)
		})
	}
}

// killVisits is how many encounters the kill test bills.
const killVisits = 3000

// killCase is one case of TestKilledWorkerJobRetried: a SQLite database,
// the simulator and the worker processes run on them.
type killCase struct {
	t      *testing.T
	dir    string
	dbPath string
	st     store.Store
	db     *sql.DB
	sim    *paysim.Simulator
	svc    *billing.Service
	p      *worker.Pipeline
	pr     practice
	to     worker.Timeouts
	worker *exec.Cmd
	// gate and gateKind, when set, are the worker's envKillGate and
	// envKillGateKind.
	gate, gateKind string
}

func newKillCase(t *testing.T) *killCase {
	k := &killCase{t: t, dir: t.TempDir()}
	k.dbPath = filepath.Join(k.dir, "rescue.db")
	must(t, os.Mkdir(filepath.Join(k.dir, "inbox"), 0o755))
	k.st = openSQLite(t, k.dbPath)
	k.db = k.st.(interface{ DB() *sql.DB }).DB()
	k.sim = simulator(t, filepath.Join(k.dir, "paysim"), 7)
	k.svc, k.p = newPipeline(t, k.st, targetOf(k.sim), pipelineOptions{inbox: filepath.Join(k.dir, "inbox")})
	_, defaults := newPipeline(t, k.st, targetOf(k.sim), pipelineOptions{})
	k.to = defaults.Timeouts()
	k.pr = newPractice(t, k.st, 50)
	return k
}

// startWorker starts a worker process with the pipeline's default timeouts.
func (k *killCase) startWorker() {
	k.t.Helper()
	target := targetOf(k.sim)
	testdata, err := filepath.Abs("testdata")
	must(k.t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCrashWorker+"="+k.dbPath, envCrashAddr+"="+target.Addr, envCrashKey+"="+target.Fingerprint,
		envCrashInbox+"="+filepath.Join(k.dir, "inbox"), envCrashDefaults+"=1", "CLEARHOUSE_WORKER_TESTDATA="+testdata)
	if k.gate != "" {
		cmd.Env = append(cmd.Env, envKillGate+"="+k.gate, envKillGateKind+"="+k.gateKind)
	}
	cmd.Stderr = os.Stderr
	must(k.t, cmd.Start())
	k.worker = cmd
}

// stopWorker signals the worker process and waits for it.
func (k *killCase) stopWorker(sig syscall.Signal) {
	if k.worker == nil {
		return
	}
	k.worker.Process.Signal(sig)
	k.worker.Wait()
	k.worker = nil
}

// job reads a job as River records it.
func (k *killCase) job(id int64) *rivertype.JobRow {
	k.t.Helper()
	j, err := k.st.(interface {
		JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	}).JobGet(context.Background(), id)
	must(k.t, err)
	return j
}

// progress says how far the clinic's claims got.
func (k *killCase) progress(ctx context.Context) string {
	byStatus := make(map[claim.Status]int)
	for _, c := range allClaims(k.t, k.st, k.pr.clinic.ID) {
		byStatus[c.Status]++
	}
	rems, err := k.st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: k.pr.clinic.ID})
	must(k.t, err)
	through := 0
	for _, r := range rems {
		through = max(through, r.PostedThrough)
	}
	return fmt.Sprintf("claims by status %v; %d remittances, posted through segment %d", byStatus, len(rems), through)
}
