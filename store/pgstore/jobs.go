package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/query"
)

// The operator's view of the job queue: River's own job list, retry and
// cancel on this database (the `clearhouse jobs` commands) and River UI's
// endpoints (serve's /riverui). They go through the store's insert-only
// River client, so no worker needs to run.

// JobList lists River jobs.
func (s *Store) JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error) {
	return s.river.JobList(ctx, params)
}

// JobGet returns one River job.
func (s *Store) JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return s.river.JobGet(ctx, id)
}

// JobRetry makes a job available to run at once (a discarded, cancelled,
// completed or retryable one, or a scheduled one ahead of time).
func (s *Store) JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return s.river.JobRetry(ctx, id)
}

// JobCancel cancels a job that has not finished; a running one is asked to
// stop.
func (s *Store) JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return s.river.JobCancel(ctx, id)
}

// RiverUIEndpoints are River UI's API endpoints on this database.
func (s *Store) RiverUIEndpoints() uiendpoints.Bundle {
	return riverui.NewEndpoints(s.river, nil)
}

// CountJobs counts River jobs by kind and state.
func (s *Store) CountJobs(ctx context.Context) ([]store.JobCount, error) {
	rows, err := s.owner.Query(ctx, `SELECT kind, state, count(*) FROM river_job GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.JobCount
	for rows.Next() {
		var c store.JobCount
		if err := rows.Scan(&c.Kind, &c.State, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// jobRequestChunk bounds the requests one SyncJobRequests statement looks
// at.
const jobRequestChunk = 1000

// TakeJobRequests claims pending job requests in a transaction of the
// login's own (serve's operator login, whose policy on job_requests shows
// every clinic it serves; River's tables need it too) and inserts their
// jobs with River's batch insert in the same transaction.
func (s *Store) TakeJobRequests(ctx context.Context, p store.TakeJobRequestsParams) ([]store.JobRequest, error) {
	var out []store.JobRequest
	err := pgx.BeginFunc(ctx, s.owner, func(tx pgx.Tx) error {
		var err error
		out, err = query.TakeJobRequests(ctx, conn{tx}, query.Postgres, store.TruncateTime(s.now()), p,
			func(jobs []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
				return s.river.InsertManyTx(ctx, tx, jobs)
			})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", mapErr(err))
	}
	return out, nil
}

// SyncJobRequests gives taken requests the final state of their jobs.
func (s *Store) SyncJobRequests(ctx context.Context) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.owner, func(tx pgx.Tx) error {
		var err error
		n, err = query.SyncJobRequests(ctx, conn{tx}, query.Postgres, store.TruncateTime(s.now()), jobRequestChunk)
		return err
	})
	return n, err
}
