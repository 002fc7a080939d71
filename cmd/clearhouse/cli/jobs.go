package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// jobStore is what the jobs commands need of a store: River's job list,
// retry and cancel on its database.
type jobStore interface {
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

var (
	_ jobStore = (*pgstore.Store)(nil)
	_ jobStore = (*sqlitestore.Store)(nil)
)

// jobStates are the River job states --state takes.
func jobStates() []string {
	var out []string
	for _, s := range rivertype.JobStates() {
		out = append(out, string(s))
	}
	return out
}

// newJobsCmd builds "clearhouse jobs".
func newJobsCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "jobs",
		Short: "The pipeline's River jobs: list them, show one with its errors, retry or cancel one; request one of your clinic",
		Long: "Every step of the pipeline runs as a River job in the database (nightly, submit_payer_batch,\n" +
			"poll_inbound, process_inbound, claim_status, ...). A job that failed every attempt is discarded;\n" +
			"after the cause is fixed, jobs retry runs it again. serve shows the same queue in River UI at /riverui.\n" +
			"People do not insert jobs: jobs request writes a request of their clinic that serve turns into the job\n" +
			"(jobs requests lists them); list, show, retry and cancel are the operator's, on River directly.",
	}
	c.AddCommand(newJobsListCmd(env), newJobsShowCmd(env), newJobsActionCmd(env, "retry"), newJobsActionCmd(env, "cancel"),
		newJobsRequestCmd(env), newJobsRequestsCmd(env))
	return c
}

// openJobStore opens the database for the jobs commands.
func openJobStore(ctx context.Context, env *Env) (store.Store, jobStore, error) {
	st, err := storedb.Open(ctx, env.Database, storedb.Options{})
	if err != nil {
		return nil, nil, &ExitError{Code: 2, Err: err}
	}
	js, ok := st.(jobStore)
	if !ok {
		st.Close()
		return nil, nil, exitf(2, "%s: this store has no job queue", storedb.Describe(env.Database))
	}
	return st, js, nil
}

// jobView is a River job as JSON.
type jobView struct {
	ID          int64             `json:"id"`
	Kind        string            `json:"kind"`
	State       string            `json:"state"`
	Queue       string            `json:"queue"`
	Attempt     int               `json:"attempt"`
	MaxAttempts int               `json:"maxAttempts"`
	Args        json.RawMessage   `json:"args"`
	CreatedAt   time.Time         `json:"createdAt"`
	ScheduledAt time.Time         `json:"scheduledAt"`
	AttemptedAt *time.Time        `json:"attemptedAt,omitempty"`
	FinalizedAt *time.Time        `json:"finalizedAt,omitempty"`
	AttemptedBy []string          `json:"attemptedBy,omitempty"`
	Errors      []jobAttemptError `json:"errors,omitempty"`
}

type jobAttemptError struct {
	At      time.Time `json:"at"`
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
}

func viewJob(j *rivertype.JobRow) jobView {
	v := jobView{ID: j.ID, Kind: j.Kind, State: string(j.State), Queue: j.Queue, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		Args: json.RawMessage(jobArgs(j)), CreatedAt: j.CreatedAt.UTC(), ScheduledAt: j.ScheduledAt.UTC(),
		AttemptedAt: utcPtr(j.AttemptedAt), FinalizedAt: utcPtr(j.FinalizedAt), AttemptedBy: j.AttemptedBy}
	if len(v.Args) == 0 {
		v.Args = json.RawMessage("{}")
	}
	for _, e := range j.Errors {
		v.Errors = append(v.Errors, jobAttemptError{At: e.At.UTC(), Attempt: e.Attempt, Error: e.Error})
	}
	return v
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// jobArgs is a job's arguments as compact JSON (PostgreSQL's jsonb puts
// spaces in, SQLite keeps what was inserted).
func jobArgs(j *rivertype.JobRow) string {
	var b bytes.Buffer
	if err := json.Compact(&b, j.EncodedArgs); err != nil {
		return string(j.EncodedArgs)
	}
	return b.String()
}

// lastError is a job's latest attempt error, "" when none.
func lastError(j *rivertype.JobRow) string {
	if len(j.Errors) == 0 {
		return ""
	}
	return j.Errors[len(j.Errors)-1].Error
}

// jobWhen is the time that matters for a job's state: when it finished,
// when it started running, or when it is due.
func jobWhen(j *rivertype.JobRow) time.Time {
	switch {
	case j.FinalizedAt != nil:
		return j.FinalizedAt.UTC()
	case j.State == rivertype.JobStateRunning && j.AttemptedAt != nil:
		return j.AttemptedAt.UTC()
	}
	return j.ScheduledAt.UTC()
}

// jobsError maps an error of River to an exit status: 1 for a job not
// found and the rest.
func jobsError(id int64, err error) error {
	if errors.Is(err, rivertype.ErrNotFound) {
		return exitf(1, "job %d: not found", id)
	}
	return &ExitError{Code: 1, Err: fmt.Errorf("job %d: %w", id, err)}
}

func newJobsListCmd(env *Env) *cobra.Command {
	var (
		kinds, states []string
		limit         int
		out           string
	)
	c := &cobra.Command{
		Use:   "list [--kind KIND] [--state STATE]",
		Short: "List jobs, newest first, with their state, attempts and last error",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&out, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			if err := checkValues("state", states, jobStates()); err != nil {
				return err
			}
			if limit < 1 || limit > 10_000 {
				return exitf(2, "--limit %d: want 1 to 10000", limit)
			}
			ctx := cmdContext(cmd)
			st, js, err := openJobStore(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			params := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
			if len(kinds) > 0 {
				params = params.Kinds(kinds...)
			}
			if len(states) > 0 {
				ss := make([]rivertype.JobState, len(states))
				for i, s := range states {
					ss[i] = rivertype.JobState(s)
				}
				params = params.States(ss...)
			}
			res, err := js.JobList(ctx, params)
			if err != nil {
				return &ExitError{Code: 1, Err: fmt.Errorf("list jobs: %w", err)}
			}
			return writeJobs(env, out, res.Jobs)
		},
	}
	fl := c.Flags()
	fl.StringSliceVar(&kinds, "kind", nil, "only jobs of these kinds, e.g. nightly, process_inbound (repeatable or comma-separated)")
	fl.StringSliceVar(&states, "state", nil, "only jobs in these states: "+strings.Join(jobStates(), ", ")+" (repeatable or comma-separated)")
	fl.IntVar(&limit, "limit", 100, "show at most this many jobs (up to 10000)")
	outputFlag(c, &out, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func writeJobs(env *Env, out string, jobs []*rivertype.JobRow) error {
	switch out {
	case formatJSON:
		vs := make([]jobView, 0, len(jobs))
		for _, j := range jobs {
			vs = append(vs, viewJob(j))
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(vs)
	case formatCSV:
		w := csv.NewWriter(env.Stdout)
		_ = w.Write([]string{"id", "kind", "state", "queue", "attempt", "max_attempts", "created", "scheduled", "finalized", "args", "last_error"})
		for _, j := range jobs {
			fin := ""
			if j.FinalizedAt != nil {
				fin = j.FinalizedAt.UTC().Format(time.RFC3339)
			}
			_ = w.Write([]string{strconv.FormatInt(j.ID, 10), j.Kind, string(j.State), j.Queue, strconv.Itoa(j.Attempt), strconv.Itoa(j.MaxAttempts),
				j.CreatedAt.UTC().Format(time.RFC3339), j.ScheduledAt.UTC().Format(time.RFC3339), fin, jobArgs(j), lastError(j)})
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATE\tATTEMPT\tWHEN\tARGS\tLAST ERROR")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.ID, j.Kind, j.State, j.Attempt, j.MaxAttempts, jobWhen(j).Format(timeLayout),
			shorten(jobArgs(j), 50), orDash(shorten(lastError(j), 70)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(env.Stdout, "%s\n", plural(len(jobs), "job", "jobs"))
	return err
}

func newJobsShowCmd(env *Env) *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show one job: its arguments, times, attempts and every attempt's error",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&out, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			st, js, err := openJobStore(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			j, err := js.JobGet(ctx, id)
			if err != nil {
				return jobsError(id, err)
			}
			if out == formatJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(viewJob(j))
			}
			return writeJob(env, j)
		},
	}
	outputFlag(c, &out, []string{formatTable, formatJSON}, "")
	return c
}

func writeJob(env *Env, j *rivertype.JobRow) error {
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	tm := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	row("job", strconv.FormatInt(j.ID, 10))
	row("kind", j.Kind)
	row("state", string(j.State))
	row("queue", j.Queue)
	row("attempt", fmt.Sprintf("%d of %d", j.Attempt, j.MaxAttempts))
	row("args", jobArgs(j))
	row("created", j.CreatedAt.UTC().Format(time.RFC3339))
	row("scheduled", j.ScheduledAt.UTC().Format(time.RFC3339))
	row("attempted", tm(j.AttemptedAt))
	row("finalized", tm(j.FinalizedAt))
	if len(j.AttemptedBy) > 0 {
		row("attempted by", strings.Join(j.AttemptedBy, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(j.Errors) == 0 {
		return nil
	}
	fmt.Fprintln(env.Stdout, "errors:")
	for _, e := range j.Errors {
		fmt.Fprintf(env.Stdout, "  attempt %d at %s: %s\n", e.Attempt, e.At.UTC().Format(time.RFC3339), e.Error)
	}
	return nil
}

func parseJobID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, exitf(2, "job ID %q: want a positive number", s)
	}
	return id, nil
}

// newJobsActionCmd builds "jobs retry" and "jobs cancel".
func newJobsActionCmd(env *Env, action string) *cobra.Command {
	short := "Run jobs again at once: a discarded, cancelled or completed job, or a retryable or scheduled one ahead of its time"
	if action == "cancel" {
		short = "Cancel jobs that have not finished; a running job is asked to stop and is not retried"
	}
	return &cobra.Command{
		Use:   action + " ID...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids := make([]int64, len(args))
			for i, a := range args {
				id, err := parseJobID(a)
				if err != nil {
					return err
				}
				ids[i] = id
			}
			ctx := cmdContext(cmd)
			st, js, err := openJobStore(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			var errs []error
			for _, id := range ids {
				before, err := js.JobGet(ctx, id)
				if err != nil {
					errs = append(errs, jobsError(id, err))
					continue
				}
				var after *rivertype.JobRow
				if action == "cancel" {
					after, err = js.JobCancel(ctx, id)
				} else {
					after, err = js.JobRetry(ctx, id)
				}
				if err != nil {
					errs = append(errs, jobsError(id, err))
					continue
				}
				note := ""
				switch {
				case action == "retry" && after.State == before.State && before.State != rivertype.JobStateAvailable:
					note = " (unchanged: a running job is not retried)"
				case action == "cancel" && after.State == rivertype.JobStateRunning:
					note = " (asked to stop; it is cancelled when it returns)"
				case action == "cancel" && after.State == before.State && before.FinalizedAt != nil:
					note = " (unchanged: the job had finished)"
				}
				fmt.Fprintf(env.Stdout, "job %d (%s): %s -> %s%s\n", id, after.Kind, before.State, after.State, note)
			}
			if len(errs) > 0 {
				return &ExitError{Code: 1, Err: errors.Join(errs...)}
			}
			return nil
		},
	}
}
