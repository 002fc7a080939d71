package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

// TestJobsRequestWait: on SQLite too a command writes a job request, which
// serve turns into the job; --wait follows it to the job's end.
func TestJobsRequestWait(t *testing.T) {
	ctx := context.Background()
	path, st, clinics := auditDB(t)
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	wired, err := worker.Wire(worker.Wiring{Store: st, Payers: reg, NoPeriodic: true,
		Pipeline: worker.Config{Endpoint: func(*payers.Payer) (transport.Endpoint, error) {
			return transport.Endpoint{}, errors.New("no SFTP in this test")
		}}})
	if err != nil {
		t.Fatal(err)
	}
	defer wired.Close()
	defer func(d time.Duration) { jobRequestWaitInterval = d }(jobRequestWaitInterval)
	jobRequestWaitInterval = 10 * time.Millisecond

	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := run(t, "--database", path, "jobs", "request", "nightly", "--clinic", fmt.Sprint(clinics[1].ID), "--wait")
		done <- result{code, out, errOut}
	}()
	// Serve's rounds: the request becomes a job, the job ends (no worker
	// runs here: it is marked completed), the request follows.
	var req store.JobRequest
	for req.JobID == nil {
		if _, err := wired.Pipeline.TakeJobRequests(ctx); err != nil {
			t.Fatal(err)
		}
		rs, err := st.ListJobRequests(ctx, store.ListJobRequestsParams{ClinicID: clinics[1].ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 1 {
			req = rs[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := st.DB().ExecContext(ctx, "UPDATE river_job SET state = 'completed', finalized_at = scheduled_at WHERE id = ?", *req.JobID); err != nil {
		t.Fatal(err)
	}
	if _, err := wired.Pipeline.TakeJobRequests(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	want := fmt.Sprintf("job request %d: nightly for clinic %d, pending (serve turns it into the job)\njob request %d: taken as job %d\njob request %d: completed\n",
		req.ID, clinics[1].ID, req.ID, *req.JobID, req.ID)
	if r.code != 0 || r.out != want {
		t.Errorf("jobs request --wait: exit %d\n%s%s\nwant\n%s", r.code, r.out, r.err, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"jobs", "request", "nightly_all"}, `"nightly_all": want one of nightly, submit_payer_batch, claim_status, patient_payments`},
		{[]string{"jobs", "request", "submit_payer_batch", "--clinic", "1"}, "needs --payer ID"},
		{[]string{"jobs", "requests", "--state", "done"}, `--state "done": want one of`},
	} {
		code, _, errOut := run(t, append([]string{"--database", path}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, errOut)
		}
	}
}
