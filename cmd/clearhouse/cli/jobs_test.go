package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/worker"
)

// flakyArgs is a job kind of the test: it fails while broken is set.
type flakyArgs struct {
	Batch int `json:"batch"`
}

func (flakyArgs) Kind() string { return "cli_test_flaky" }

// runQueueUntil works the queue of st with the flaky worker until a job
// event of kind arrives for job id.
func runQueueUntil(t *testing.T, st store.Store, broken *atomic.Bool, id int64, want river.EventKind) {
	t.Helper()
	ws := river.NewWorkers()
	river.AddWorker(ws, river.WorkFunc(func(ctx context.Context, j *river.Job[flakyArgs]) error {
		if broken.Load() {
			return errors.New("payer drop unreachable")
		}
		return nil
	}))
	q, err := st.NewQueue(store.QueueConfig{Workers: ws, FetchPollInterval: 50 * time.Millisecond,
		Configure: func(c *river.Config) { c.FetchOnlyKnownKinds = true }})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := q.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	ctx := context.Background()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		if err := q.Stop(stopCtx); err != nil {
			t.Error(err)
		}
	}()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Job.ID == id && ev.Kind == want {
				return
			}
		case <-timeout:
			t.Fatalf("job %d: no %s event in 30 s", id, want)
		}
	}
}

// TestJobsCommands lists, shows, retries and cancels River jobs on both
// backends: a job discarded after its only attempt failed is retried by
// `jobs retry` and then completes.
func TestJobsCommands(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := seededDB(t, backend)
			ctx := context.Background()
			st, err := storedb.Open(ctx, db, storedb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			flaky, err := st.InsertJob(ctx, flakyArgs{Batch: 7}, &river.InsertOpts{MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			nightly, err := st.InsertJob(ctx, worker.NightlyArgs{ClinicID: 1}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			var broken atomic.Bool
			broken.Store(true)
			runQueueUntil(t, st, &broken, flaky.Job.ID, river.EventKindJobFailed)
			flakyID, nightlyID := strconv.FormatInt(flaky.Job.ID, 10), strconv.FormatInt(nightly.Job.ID, 10)

			cli := func(wantCode int, args ...string) string {
				t.Helper()
				code, out, errOut := run(t, append([]string{"--database", db}, args...)...)
				if code != wantCode {
					t.Fatalf("clearhouse %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, out, errOut)
				}
				return out + errOut
			}
			jobsJSON := func(args ...string) []jobView {
				t.Helper()
				var vs []jobView
				if err := json.Unmarshal([]byte(cli(0, append([]string{"jobs", "list", "-o", "json"}, args...)...)), &vs); err != nil {
					t.Fatal(err)
				}
				return vs
			}

			discarded := jobsJSON("--state", "discarded")
			if len(discarded) != 1 || discarded[0].ID != flaky.Job.ID || discarded[0].Kind != "cli_test_flaky" ||
				len(discarded[0].Errors) != 1 || discarded[0].Errors[0].Error != "payer drop unreachable" {
				t.Fatalf("discarded jobs: %+v", discarded)
			}
			if got := jobsJSON("--kind", "nightly", "--state", "scheduled"); len(got) != 1 || got[0].ID != nightly.Job.ID ||
				compactJSON(t, got[0].Args) != `{"clinic_id":1}` {
				t.Fatalf("scheduled nightly jobs: %+v", got)
			}
			if got := jobsJSON("--kind", "nightly", "--state", "discarded"); len(got) != 0 {
				t.Fatalf("discarded nightly jobs: %+v", got)
			}
			table := cli(0, "jobs", "list")
			for _, want := range []string{"ID  ", "cli_test_flaky", "discarded", "1/1", "payer drop unreachable", "nightly", "scheduled", "2 jobs"} {
				if !strings.Contains(table, want) {
					t.Errorf("jobs list lacks %q:\n%s", want, table)
				}
			}
			rows, err := csv.NewReader(strings.NewReader(cli(0, "jobs", "list", "--kind", "cli_test_flaky", "-o", "csv"))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[0][0] != "id" || rows[1][0] != flakyID || rows[1][2] != "discarded" || rows[1][10] != "payer drop unreachable" {
				t.Fatalf("jobs list -o csv: %q", rows)
			}
			show := cli(0, "jobs", "show", flakyID)
			for _, want := range []string{"kind          cli_test_flaky", "attempt       1 of 1", `{"batch":7}`, "attempt 1 at ", "payer drop unreachable"} {
				if !strings.Contains(show, want) {
					t.Errorf("jobs show lacks %q:\n%s", want, show)
				}
			}

			// The cause is fixed; the discarded job is retried and completes.
			if out := cli(0, "jobs", "retry", flakyID); out != "job "+flakyID+" (cli_test_flaky): discarded -> available\n" {
				t.Fatalf("jobs retry: %q", out)
			}
			broken.Store(false)
			runQueueUntil(t, st, &broken, flaky.Job.ID, river.EventKindJobCompleted)
			var v jobView
			if err := json.Unmarshal([]byte(cli(0, "jobs", "show", flakyID, "-o", "json")), &v); err != nil {
				t.Fatal(err)
			}
			if v.State != string(rivertype.JobStateCompleted) || v.Attempt != 2 || len(v.Errors) != 1 {
				t.Fatalf("retried job: %+v", v)
			}

			if out := cli(0, "jobs", "cancel", nightlyID); out != "job "+nightlyID+" (nightly): scheduled -> cancelled\n" {
				t.Fatalf("jobs cancel: %q", out)
			}
			if out := cli(0, "jobs", "cancel", flakyID); !strings.Contains(out, "completed -> completed (unchanged: the job had finished)") {
				t.Fatalf("jobs cancel of a completed job: %q", out)
			}
			if out := cli(1, "jobs", "show", "999999"); !strings.Contains(out, "job 999999: not found") {
				t.Fatalf("jobs show of a missing job: %q", out)
			}
			if out := cli(1, "jobs", "retry", "999999", nightlyID); !strings.Contains(out, "job 999999: not found") ||
				!strings.Contains(out, "cancelled -> available") {
				t.Fatalf("jobs retry of a missing and a cancelled job: %q", out)
			}
			cli(2, "jobs", "list", "--state", "lost")
			cli(2, "jobs", "list", "--limit", "0")
			cli(2, "jobs", "list", "-o", "xml")
			cli(2, "jobs", "retry", "x")
			cli(2, "jobs", "cancel")
		})
	}
}

func compactJSON(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
