package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/worker"
)

// People's commands do not insert River jobs: they write a job request of
// their clinic, which serve turns into the job (worker.TakeJobRequests).
// jobs retry and cancel, operators' tools, stay on River directly: an
// operator's login works River's tables through the application role.

// jobRequestWaitInterval is how often --wait looks at a request.
var jobRequestWaitInterval = 500 * time.Millisecond

// requestableKinds are the kinds "jobs request" asks for; the others
// (process_inbound, deliver_reminder) are requested by the commands that
// need them.
var requestableKinds = []string{worker.NightlyArgs{}.Kind(), worker.SubmitPayerBatchArgs{}.Kind(),
	worker.ClaimStatusArgs{}.Kind(), worker.PatientPaymentsArgs{}.Kind()}

func newJobsRequestCmd(env *Env) *cobra.Command {
	var clinicFlag, payer int64
	var claims []int64
	var wait bool
	c := &cobra.Command{
		Use:   "request KIND [--clinic ID] [--payer ID] [--claim ID...] [--wait]",
		Short: "Ask serve for a job of your clinic now (nightly, submit_payer_batch, claim_status, patient_payments)",
		Long: "request writes a job request of the clinic (kind, IDs, who asked, when); serve turns it into the River\n" +
			"job within a second or two and records the job's ID on it, and the job's end when it ends. Nobody but\n" +
			"serve inserts jobs, so no person needs access to River's tables. It prints the request's ID; --wait\n" +
			"follows it to the job's end (exit 1 when the request is refused or the job is discarded or cancelled).\n" +
			"Kinds: " + strings.Join(requestableKinds, ", ") + " (submit_payer_batch needs --payer, the clinic's payer row;\n" +
			"claim_status with --payer and --claim asks about those claims, without them about every claim due).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := args[0]
			if !slices.Contains(requestableKinds, kind) {
				return exitf(2, "%q: want one of %s", kind, strings.Join(requestableKinds, ", "))
			}
			perm, _ := worker.RequestPermission(kind)
			if env.principal != nil {
				if err := env.principal.Check(perm); err != nil {
					return &ExitError{Code: ExitDenied, Err: err}
				}
			}
			reqArgs := map[string]any{}
			switch kind {
			case worker.SubmitPayerBatchArgs{}.Kind():
				if payer <= 0 {
					return exitf(2, "%s needs --payer ID (the clinic's payer row)", kind)
				}
				reqArgs["payer_id"] = payer
			case worker.ClaimStatusArgs{}.Kind():
				if (payer > 0) != (len(claims) > 0) {
					return exitf(2, "%s: give --payer and --claim together, or neither", kind)
				}
				if payer > 0 {
					reqArgs["payer_id"], reqArgs["claim_ids"] = payer, claims
				}
			default:
				if payer != 0 || len(claims) > 0 {
					return exitf(2, "%s takes no --payer or --claim", kind)
				}
			}
			ctx := cmdContext(cmd)
			st, err := env.openStore(ctx, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer st.Close()
			clinic, err := clinicOrOnly(ctx, st, clinicFlag)
			if err != nil {
				return err
			}
			reqs, err := st.CreateJobRequests(ctx, store.CreateJobRequestsParams{ClinicID: clinic, RequestedBy: env.actorName(),
				Requests: []store.NewJobRequest{{Kind: kind, Args: worker.RequestArgs(reqArgs)}}})
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			r := reqs[0]
			fmt.Fprintf(env.Stdout, "job request %d: %s for clinic %d, %s (serve turns it into the job)\n", r.ID, r.Kind, r.ClinicID, r.State)
			if !wait {
				return nil
			}
			return waitJobRequest(ctx, env, st, store.Ref{ClinicID: clinic, ID: r.ID})
		},
	}
	c.Flags().Int64Var(&clinicFlag, "clinic", 0, "clinic ID (default: the only clinic)")
	c.Flags().Int64Var(&payer, "payer", 0, "the clinic's payer row (submit_payer_batch, claim_status)")
	c.Flags().Int64SliceVar(&claims, "claim", nil, "claim IDs of --payer to ask about (claim_status)")
	c.Flags().BoolVar(&wait, "wait", false, "follow the request to its job's end")
	return c
}

// waitJobRequest follows a request until it is final, printing each state
// it reaches; a refused request or a job that did not complete exits 1.
func waitJobRequest(ctx context.Context, env *Env, st store.Store, ref store.Ref) error {
	last, announced := store.JobRequestPending, false
	for {
		r, err := st.GetJobRequest(ctx, ref)
		if err != nil {
			return &ExitError{Code: 1, Err: err}
		}
		// The job is named once, however far it got between two looks.
		if r.JobID != nil && !announced {
			announced = true
			fmt.Fprintf(env.Stdout, "job request %d: taken as job %d\n", r.ID, *r.JobID)
		}
		if r.State != last && r.State != store.JobRequestTaken {
			last = r.State
			if r.Error != "" {
				fmt.Fprintf(env.Stdout, "job request %d: %s: %s\n", r.ID, r.State, r.Error)
			} else {
				fmt.Fprintf(env.Stdout, "job request %d: %s\n", r.ID, r.State)
			}
		}
		if store.JobRequestFinal(r.State) {
			if r.State != store.JobRequestCompleted {
				return &ExitError{Code: 1, Err: fmt.Errorf("job request %d %s", r.ID, r.State)}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return &ExitError{Code: 1, Err: fmt.Errorf("job request %d: stopped waiting while %s", r.ID, r.State)}
		case <-time.After(jobRequestWaitInterval):
		}
	}
}

func newJobsRequestsCmd(env *Env) *cobra.Command {
	var clinicFlag int64
	var states []string
	var limit int
	c := &cobra.Command{
		Use:   "requests [--clinic ID] [--state STATE] [--limit N]",
		Short: "List the clinic's job requests, newest first: kind, IDs, who asked, state and job",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range states {
				if !slices.Contains(jobRequestStates, s) {
					return exitf(2, "--state %q: want one of %s", s, strings.Join(jobRequestStates, ", "))
				}
			}
			ctx := cmdContext(cmd)
			st, err := env.openStore(ctx, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer st.Close()
			clinic, err := clinicOrOnly(ctx, st, clinicFlag)
			if err != nil {
				return err
			}
			rs, err := st.ListJobRequests(ctx, store.ListJobRequestsParams{ClinicID: clinic, States: states, Limit: limit})
			if err != nil {
				var denied *access.DeniedError
				if errors.As(err, &denied) {
					return &ExitError{Code: ExitDenied, Err: err}
				}
				return &ExitError{Code: 1, Err: err}
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tARGS\tREQUESTED BY\tREQUESTED AT\tSTATE\tJOB\tERROR")
			for _, r := range rs {
				job := "-"
				if r.JobID != nil {
					job = fmt.Sprint(*r.JobID)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, requestArgs(r.Args), r.RequestedBy,
					r.RequestedAt.UTC().Format(time.RFC3339), r.State, job, r.Error)
			}
			return tw.Flush()
		},
	}
	c.Flags().Int64Var(&clinicFlag, "clinic", 0, "clinic ID (default: the only clinic)")
	c.Flags().StringSliceVar(&states, "state", nil, "only requests in these states: "+strings.Join(jobRequestStates, ", "))
	c.Flags().IntVar(&limit, "limit", 50, "at most this many requests")
	return c
}

var jobRequestStates = []string{store.JobRequestPending, store.JobRequestTaken, store.JobRequestRefused,
	store.JobRequestCompleted, store.JobRequestCancelled, store.JobRequestDiscarded}

// requestArgs is a request's arguments as compact JSON.
func requestArgs(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
