package worker_test

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// rescueWithin is how soon a job of a killed worker must run again (issue
// 18): RescueAfter, River's rescuer interval (30 s), the first retry's
// backoff and River's scheduler interval (5 s) fit in it.
const rescueWithin = time.Minute

// TestTimeoutsRescueWithinAMinute checks the arithmetic of the default
// timeouts: a slice job's context ends before River may rescue it (so a
// job still alive is not run twice), a slice has at least half the
// timeout, and a killed worker's slice job is rescued, scheduled and
// fetched within a minute.
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
			const rescuerInterval, schedulerInterval = 30 * time.Second, 5 * time.Second
			firstRetry := worker.RetryPolicy{}.Backoff(1, 1)
			if grace := to.RescueAfter - to.Job; grace < 5*time.Second {
				t.Errorf("a job's context ends %v before River may rescue it; want 5 s or more", grace)
			}
			if to.Inbound < to.Job {
				t.Errorf("inbound timeout %v shorter than the job timeout %v", to.Inbound, to.Job)
			}
			if worst := to.RescueAfter + rescuerInterval + firstRetry + schedulerInterval; tc.job == 0 && worst > rescueWithin {
				t.Errorf("worst case rescue %v > %v", worst, rescueWithin)
			}
		})
	}
}

// TestKilledWorkerJobRetried SIGKILLs a worker process (the pipeline's
// default timeouts, as serve runs it) in the middle of a nightly run and
// starts another, as an operator's supervisor would: the new worker's
// River rescuer must put the job back and run it again within a minute of
// the kill, the job must finish, and every encounter must be billed once.
func TestKilledWorkerJobRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for River's rescuer (about 50 s)")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "rescue.db")
	must(t, os.Mkdir(filepath.Join(dir, "inbox"), 0o755))
	st := openSQLite(t, db)
	sim := simulator(t, filepath.Join(dir, "paysim"), 7)
	svc, _ := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: filepath.Join(dir, "inbox")})
	pr := newPractice(t, st, 50)
	const visits = 3000
	importVisits(t, svc, pr, visits)
	sqlDB := st.(interface{ DB() *sql.DB }).DB()

	target := targetOf(sim)
	testdata, err := filepath.Abs("testdata")
	must(t, err)
	startWorker := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashWorker+"="+db, envCrashAddr+"="+target.Addr, envCrashKey+"="+target.Fingerprint,
			envCrashInbox+"="+filepath.Join(dir, "inbox"), envCrashDefaults+"=1", "CLEARHOUSE_WORKER_TESTDATA="+testdata)
		cmd.Stderr = os.Stderr
		must(t, cmd.Start())
		return cmd
	}
	ctx := context.Background()
	res, err := st.InsertJob(ctx, worker.NightlyArgs{ClinicID: pr.clinic.ID}, nil)
	must(t, err)
	id := res.Job.ID
	type jobState struct {
		state   string
		attempt int
		errors  string
	}
	read := func() jobState {
		t.Helper()
		var js jobState
		var errs sql.NullString
		must(t, sqlDB.QueryRowContext(ctx, `SELECT state, attempt, json(errors) FROM river_job WHERE id = ?`, id).Scan(&js.state, &js.attempt, &errs))
		js.errors = errs.String
		return js
	}

	first := startWorker()
	deadline := time.Now().Add(time.Minute)
	for read().state != "running" {
		if time.Now().After(deadline) {
			first.Process.Kill()
			first.Wait()
			t.Fatal("the nightly job did not start in a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Mid-job: a slice or two in (some claims built, not all).
	time.Sleep(300 * time.Millisecond)
	must(t, first.Process.Signal(syscall.SIGKILL))
	first.Wait()
	killed := time.Now()
	if js := read(); js.state != "running" || js.attempt != 1 {
		t.Fatalf("after the kill the job is %s (attempt %d); want running, attempt 1 (the kill landed mid-job)", js.state, js.attempt)
	}
	built := len(allClaims(t, st, pr.clinic.ID))
	t.Logf("killed mid-job with %d of %d claims built", built, visits)

	second := startWorker()
	defer func() {
		second.Process.Signal(syscall.SIGTERM)
		second.Wait()
	}()
	var retried time.Duration
	for {
		js := read()
		if js.attempt >= 2 && js.state != "retryable" || js.state == "completed" {
			retried = time.Since(killed)
			break
		}
		if time.Since(killed) > 2*rescueWithin {
			t.Fatalf("job %d not retried %v after the kill: %+v", id, time.Since(killed), js)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("job retried %v after the kill", retried.Round(100*time.Millisecond))
	if retried > rescueWithin {
		t.Errorf("job retried %v after the kill; want within %v", retried.Round(time.Second), rescueWithin)
	}
	for js := read(); js.state != "completed"; js = read() {
		if time.Since(killed) > 4*time.Minute {
			t.Fatalf("job %d did not complete: %+v", id, js)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Rescued once (the kill) and never while it ran again.
	if js := read(); strings.Count(js.errors, "Stuck job rescued") != 1 {
		t.Errorf("job errors: %s; want one rescue", js.errors)
	}
	claims := allClaims(t, st, pr.clinic.ID)
	if len(claims) != visits {
		t.Errorf("%d claims for %d encounters", len(claims), visits)
	}
	if encs, err := st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: pr.clinic.ID, Statuses: []string{store.EncounterReady}}); err != nil || len(encs) != 0 {
		t.Errorf("%d encounters left unbilled (%v)", len(encs), err)
	}
	if drafts := allClaims(t, st, pr.clinic.ID, claim.StatusDraft); len(drafts) != 0 {
		t.Errorf("%d drafts left unscrubbed", len(drafts))
	}
}
