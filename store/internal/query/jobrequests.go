package query

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/clearhouse/clearhouse/store"
)

const jobRequestCols = `id, clinic_id, kind, args, requested_by, requested_at, scheduled_at, state, job_id, taken_at, finished_at, error`

func scanJobRequest(r Row) (store.JobRequest, error) {
	var j store.JobRequest
	err := r.Scan(&j.ID, &j.ClinicID, &j.Kind, JSON(&j.Args), &j.RequestedBy, TS(&j.RequestedAt), NullTS(&j.ScheduledAt),
		&j.State, &j.JobID, NullTS(&j.TakenAt), NullTS(&j.FinishedAt), &j.Error)
	return j, err
}

// CreateJobRequests writes a clinic's requests in one statement. On
// PostgreSQL the requester is the connection's login role (session_user),
// which the row-level security policy also demands of hand-written rows.
func (q *Queries) CreateJobRequests(ctx context.Context, p store.CreateJobRequestsParams) ([]store.JobRequest, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	if len(p.Requests) == 0 {
		return nil, nil
	}
	if q.d == SQLite {
		if err := required("RequestedBy", p.RequestedBy); err != nil {
			return nil, err
		}
	}
	now := q.Now()
	var b builder
	b.add("INSERT INTO job_requests (clinic_id, kind, args, requested_by, requested_at, scheduled_at) VALUES ")
	for i, r := range p.Requests {
		if err := required(fmt.Sprintf("Requests[%d].Kind", i), r.Kind); err != nil {
			return nil, err
		}
		args, err := docArg(fmt.Sprintf("Requests[%d].Args", i), r.Args, "{}")
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.add(", ")
		}
		by := "session_user"
		if q.d == SQLite {
			by = b.arg(p.RequestedBy)
		}
		var at any
		if r.ScheduledAt != nil {
			at = *r.ScheduledAt
		}
		b.add("(" + b.arg(cid) + ", " + b.arg(r.Kind) + ", " + b.arg(string(args)) + ", " + by + ", " + b.arg(now) + ", " + b.arg(at) + ")")
	}
	b.add(" RETURNING " + jobRequestCols)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	out, err := collect(rows, err, scanJobRequest)
	if err != nil {
		return nil, fmt.Errorf("job requests: %w", err)
	}
	return out, nil
}

// GetJobRequest returns one request of the clinic.
func (q *Queries) GetJobRequest(ctx context.Context, ref store.Ref) (store.JobRequest, error) {
	cid, err := q.check(ref.ClinicID)
	if err != nil {
		return store.JobRequest{}, err
	}
	j, err := scanJobRequest(q.c.QueryRow(ctx, "SELECT "+jobRequestCols+" FROM job_requests WHERE clinic_id = $1 AND id = $2", cid, ref.ID))
	return j, wrap("job request", ref.ID, err)
}

// ListJobRequests lists the clinic's requests, newest first.
func (q *Queries) ListJobRequests(ctx context.Context, p store.ListJobRequestsParams) ([]store.JobRequest, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + jobRequestCols + " FROM job_requests")
	b.cond("clinic_id = ?", cid)
	if len(p.IDs) > 0 {
		b.cond("id IN (" + idList(p.IDs) + ")")
	}
	b.in("state", p.States)
	b.add(" ORDER BY id DESC")
	b.limit(p.Limit)
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanJobRequest)
}

// ClaimJobRequests selects up to limit pending requests of every clinic
// the connection may see, oldest first, locking them on PostgreSQL (SKIP
// LOCKED: another serve process takes the next ones). It runs outside a
// clinic-bound transaction: on PostgreSQL as serve's login, which the
// operator policy of job_requests lets see its clinics' rows.
func ClaimJobRequests(ctx context.Context, c Conn, d Dialect, limit int) ([]store.JobRequest, error) {
	lock := ""
	if d == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := c.Query(ctx, "SELECT "+jobRequestCols+" FROM job_requests WHERE state = $1 ORDER BY id LIMIT $2"+lock,
		store.JobRequestPending, limit)
	return collect(rows, err, scanJobRequest)
}

// MarkJobRequests records what became of claimed requests, in one
// statement: taken with their job IDs, or refused with the reason.
func MarkJobRequests(ctx context.Context, c Conn, d Dialect, now time.Time, reqs []store.JobRequest) error {
	if len(reqs) == 0 {
		return nil
	}
	var b builder
	b.add("WITH v (id, state, job_id, error) AS (VALUES ")
	for i, r := range reqs {
		if i > 0 {
			b.add(", ")
		}
		var job any
		if r.JobID != nil {
			job = *r.JobID
		}
		if d == Postgres {
			b.add("(" + b.arg(r.ID) + "::bigint, " + b.arg(r.State) + "::text, " + b.arg(job) + "::bigint, " + b.arg(r.Error) + "::text)")
		} else {
			b.add("(" + b.arg(r.ID) + ", " + b.arg(r.State) + ", " + b.arg(job) + ", " + b.arg(r.Error) + ")")
		}
	}
	b.add(") UPDATE job_requests SET state = v.state, job_id = v.job_id, error = v.error, taken_at = " + b.arg(now) +
		" FROM v WHERE job_requests.id = v.id AND job_requests.state = " + b.arg(store.JobRequestPending))
	n, err := c.Exec(ctx, b.String(), b.args...)
	if err != nil {
		return fmt.Errorf("job requests: %w", err)
	}
	if n != int64(len(reqs)) {
		return fmt.Errorf("job requests: %d of %d marked", n, len(reqs))
	}
	return nil
}

// SyncJobRequests gives taken requests whose River job has ended the job's
// final state, the time it was noticed (now) and, for a discarded job, its last error; one
// statement for at most limit requests.
func SyncJobRequests(ctx context.Context, c Conn, d Dialect, now time.Time, limit int) (int, error) {
	lastError := "coalesce(j.errors[array_length(j.errors, 1)]->>'error', '')"
	if d == SQLite {
		lastError = "coalesce(json_extract(j.errors, '$[#-1].error'), '')"
	}
	sql := `UPDATE job_requests SET state = CAST(j.state AS text), finished_at = $3,
			error = CASE WHEN j.state = 'discarded' THEN ` + lastError + ` ELSE '' END
		FROM river_job j
		WHERE job_requests.id IN (SELECT id FROM job_requests WHERE state = $1 ORDER BY id LIMIT $2)
		  AND j.id = job_requests.job_id AND j.state IN ('completed', 'cancelled', 'discarded')`
	n, err := c.Exec(ctx, sql, store.JobRequestTaken, limit, now)
	if err != nil {
		return 0, fmt.Errorf("job requests: %w", err)
	}
	return int(n), nil
}

func (a Auto) CreateJobRequests(ctx context.Context, p store.CreateJobRequestsParams) ([]store.JobRequest, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.JobRequest, error) { return q.CreateJobRequests(ctx, p) })
}

func (a Auto) GetJobRequest(ctx context.Context, ref store.Ref) (store.JobRequest, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.JobRequest, error) { return q.GetJobRequest(ctx, ref) })
}

func (a Auto) ListJobRequests(ctx context.Context, p store.ListJobRequestsParams) ([]store.JobRequest, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.JobRequest, error) { return q.ListJobRequests(ctx, p) })
}

// TakeJobRequests is both backends' TakeJobRequests inside their
// transaction: claim a chunk, map it to jobs with p.Jobs, insert the jobs
// with insert (River's InsertManyTx on the same transaction) and mark the
// requests.
func TakeJobRequests(ctx context.Context, c Conn, d Dialect, now time.Time, p store.TakeJobRequestsParams,
	insert func([]river.InsertManyParams) ([]*rivertype.JobInsertResult, error)) ([]store.JobRequest, error) {
	if p.Jobs == nil {
		return nil, &store.FieldError{Field: "Jobs (required)", Err: store.ErrInvalid}
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 500
	}
	reqs, err := ClaimJobRequests(ctx, c, d, limit)
	if err != nil || len(reqs) == 0 {
		return nil, err
	}
	jobs, err := p.Jobs(ctx, reqs)
	if err != nil {
		return nil, err
	}
	if len(jobs) != len(reqs) {
		return nil, fmt.Errorf("job requests: %d jobs for %d requests", len(jobs), len(reqs))
	}
	var params []river.InsertManyParams
	index := make([]int, len(reqs))
	for i := range reqs {
		if jobs[i].Job.Args == nil {
			reqs[i].State, reqs[i].Error, index[i] = store.JobRequestRefused, jobs[i].Refused, -1
			if reqs[i].Error == "" {
				reqs[i].Error = "refused"
			}
			continue
		}
		index[i] = len(params)
		params = append(params, jobs[i].Job)
	}
	var res []*rivertype.JobInsertResult
	if len(params) > 0 {
		if res, err = insert(params); err != nil {
			return nil, fmt.Errorf("job requests: insert jobs: %w", err)
		}
	}
	for i := range reqs {
		reqs[i].TakenAt = &now
		if index[i] < 0 {
			continue
		}
		reqs[i].State = store.JobRequestTaken
		if r := res[index[i]]; r != nil && r.Job != nil {
			id := r.Job.ID
			reqs[i].JobID = &id
		}
	}
	if err := MarkJobRequests(ctx, c, d, now, reqs); err != nil {
		return nil, err
	}
	return reqs, nil
}
