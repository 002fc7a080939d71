package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/store"
)

// requestJob is the job the suite makes of a request; its queue is worked
// by nobody.
type requestJob struct {
	ClinicID int64 `json:"clinic_id"`
	N        int64 `json:"n"`
}

func (requestJob) Kind() string { return "storetest_request" }

// testJobRequests writes requests in two clinics, takes them into River
// jobs in one call (one refused), and follows a job's end back to its
// request; a clinic never sees the other's requests.
func testJobRequests(t *testing.T, h Harness) {
	ctx := context.Background()
	a, b := newFixture(t, h), newFixture(t, h)
	s := a.s
	later := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	made, err := s.CreateJobRequests(ctx, store.CreateJobRequestsParams{ClinicID: a.clinic.ID, RequestedBy: "ana",
		Requests: []store.NewJobRequest{{Kind: "storetest_request", Args: json.RawMessage(`{"n": 1}`)},
			{Kind: "storetest_request", Args: json.RawMessage(`{"n": 2}`), ScheduledAt: &later},
			{Kind: "storetest_unknown"}}})
	must(t, err)
	eq(t, "created", len(made), 3)
	eq(t, "state", made[0].State, store.JobRequestPending)
	eq(t, "scheduled", made[1].ScheduledAt != nil && made[1].ScheduledAt.Equal(later), true)
	other, err := s.CreateJobRequests(ctx, store.CreateJobRequestsParams{ClinicID: b.clinic.ID, RequestedBy: "bo",
		Requests: []store.NewJobRequest{{Kind: "storetest_request", Args: json.RawMessage(`{"n": 3}`)}}})
	must(t, err)
	_, err = s.CreateJobRequests(ctx, store.CreateJobRequestsParams{ClinicID: a.clinic.ID, RequestedBy: "ana",
		Requests: []store.NewJobRequest{{Kind: ""}}})
	wantErr(t, err, store.ErrInvalid)

	// A clinic sees its own requests only.
	_, err = s.GetJobRequest(ctx, store.Ref{ClinicID: a.clinic.ID, ID: other[0].ID})
	wantErr(t, err, store.ErrNotFound)
	listed, err := s.ListJobRequests(ctx, store.ListJobRequestsParams{ClinicID: a.clinic.ID})
	must(t, err)
	eq(t, "clinic a's requests", len(listed), 3)

	mine := map[int64]bool{made[0].ID: true, made[1].ID: true, made[2].ID: true, other[0].ID: true}
	var taken []store.JobRequest
	for {
		got, err := s.TakeJobRequests(ctx, store.TakeJobRequestsParams{Limit: 2, Jobs: func(_ context.Context, reqs []store.JobRequest) ([]store.JobRequestJob, error) {
			out := make([]store.JobRequestJob, len(reqs))
			for i, r := range reqs {
				if r.Kind != "storetest_request" {
					out[i].Refused = "unknown kind " + r.Kind
					continue
				}
				var args requestJob
				if err := json.Unmarshal(r.Args, &args); err != nil {
					return nil, err
				}
				args.ClinicID = r.ClinicID
				out[i].Job = river.InsertManyParams{Args: args, InsertOpts: &river.InsertOpts{Queue: "storetest_requests", ScheduledAt: ptrTime(r.ScheduledAt)}}
			}
			return out, nil
		}})
		must(t, err)
		if len(got) == 0 {
			break
		}
		for _, r := range got {
			if mine[r.ID] {
				taken = append(taken, r)
			}
		}
	}
	eq(t, "taken", len(taken), 4)
	states := map[int64]store.JobRequest{}
	for _, r := range taken {
		states[r.ID] = r
	}
	eq(t, "refused", [2]string{states[made[2].ID].State, states[made[2].ID].Error}, [2]string{store.JobRequestRefused, "unknown kind storetest_unknown"})
	got, err := s.GetJobRequest(ctx, store.Ref{ClinicID: a.clinic.ID, ID: made[0].ID})
	must(t, err)
	if got.State != store.JobRequestTaken || got.JobID == nil || got.TakenAt == nil {
		t.Fatalf("taken request: %+v", got)
	}
	job := *got.JobID
	eq(t, "job args", h.QueryInt(t, "SELECT count(*) FROM river_job WHERE id = $1 AND kind = 'storetest_request' AND queue = 'storetest_requests'", job), int64(1))
	if n := h.QueryInt(t, "SELECT count(*) FROM river_job WHERE id = $1 AND state = 'scheduled'", *states[made[1].ID].JobID); n != 1 {
		t.Errorf("scheduled request's job not scheduled at %v", later)
	}

	// The job's end reaches the request.
	n, err := s.SyncJobRequests(ctx)
	must(t, err)
	eq(t, "synced before any job ended", n, 0)
	h.Exec(t, "UPDATE river_job SET state = 'completed', finalized_at = scheduled_at WHERE id = $1", job)
	n, err = s.SyncJobRequests(ctx)
	must(t, err)
	eq(t, "synced", n, 1)
	got, err = s.GetJobRequest(ctx, store.Ref{ClinicID: a.clinic.ID, ID: made[0].ID})
	must(t, err)
	eq(t, "ended", fmt.Sprint(got.State, " ", got.FinishedAt != nil), "completed true")
	done, err := s.ListJobRequests(ctx, store.ListJobRequestsParams{ClinicID: a.clinic.ID, States: []string{store.JobRequestCompleted}})
	must(t, err)
	eq(t, "listed by state", len(done), 1)
}

func ptrTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
