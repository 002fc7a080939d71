package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/riverqueue/river"
)

// The states of a job request. A request is pending until serve takes it:
// taken (with the River job it became) or refused (with the reason); a
// taken request ends as its job ends.
const (
	JobRequestPending   = "pending"
	JobRequestTaken     = "taken"
	JobRequestRefused   = "refused"
	JobRequestCompleted = "completed"
	JobRequestCancelled = "cancelled"
	JobRequestDiscarded = "discarded"
)

// JobRequestFinal reports whether a request in state will change no more.
func JobRequestFinal(state string) bool {
	switch state {
	case JobRequestRefused, JobRequestCompleted, JobRequestCancelled, JobRequestDiscarded:
		return true
	}
	return false
}

// JobRequest is a person's request for a River job in one clinic: people's
// commands write requests (a clinic-scoped row, under row-level security
// on PostgreSQL) and serve turns them into jobs, so no person needs the
// River tables, which have no clinic. Args carry IDs only, never PHI.
type JobRequest struct {
	ID       int64
	ClinicID int64
	// Kind names the job (worker.RequestKinds); Args its arguments
	// besides the clinic, as JSON.
	Kind string
	Args json.RawMessage
	// RequestedBy is the requester's login: on PostgreSQL the
	// connection's login role (session_user), whatever the caller says.
	RequestedBy string
	RequestedAt time.Time
	// ScheduledAt, when set, is when the job is to run.
	ScheduledAt *time.Time
	State       string
	// JobID is the River job the request became (taken and after).
	JobID      *int64
	TakenAt    *time.Time
	FinishedAt *time.Time
	// Error is why a request was refused, or the last error of a job
	// discarded.
	Error string
}

// NewJobRequest is one request to create.
type NewJobRequest struct {
	Kind        string
	Args        json.RawMessage
	ScheduledAt *time.Time
}

// CreateJobRequestsParams writes requests of one clinic in one statement.
// RequestedBy is recorded on SQLite; PostgreSQL records the connection's
// login role instead.
type CreateJobRequestsParams struct {
	ClinicID    int64
	RequestedBy string
	Requests    []NewJobRequest
}

// ListJobRequestsParams lists a clinic's requests, newest first.
type ListJobRequestsParams struct {
	ClinicID int64
	// IDs, States narrow the list when set.
	IDs    []int64
	States []string
	Limit  int
}

// JobRequestJob is what serve makes of one request: the River job to
// insert, or (Job.Args nil) the reason it is refused.
type JobRequestJob struct {
	Job     river.InsertManyParams
	Refused string
}

// TakeJobRequestsParams claims pending requests of every clinic the
// connection serves.
type TakeJobRequestsParams struct {
	// Limit is how many requests one call claims (one transaction);
	// default 500.
	Limit int
	// Jobs maps the claimed requests to their jobs, one per request in
	// order.
	Jobs func(ctx context.Context, reqs []JobRequest) ([]JobRequestJob, error)
}

// JobRequestQueue is serve's side of the job requests.
type JobRequestQueue interface {
	// TakeJobRequests claims up to Limit pending requests (FOR UPDATE SKIP
	// LOCKED on PostgreSQL, so several serve processes share them), inserts
	// their River jobs with one batch insert and marks them taken with
	// their job IDs (or refused), all in one transaction. It returns the
	// requests as they were marked.
	TakeJobRequests(ctx context.Context, p TakeJobRequestsParams) ([]JobRequest, error)
	// SyncJobRequests marks taken requests whose job has ended with the
	// job's final state, in one statement, and returns how many.
	SyncJobRequests(ctx context.Context) (int, error)
}
