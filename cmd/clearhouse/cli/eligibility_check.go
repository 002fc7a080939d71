package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/transport/realtime"
)

// realTimeFlags are the flags of commands that may ask a payer in real time.
type realTimeFlags struct {
	url     string
	timeout time.Duration
}

func (f *realTimeFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.url, "realtime-url", "", "real-time endpoint for every payer, replacing the payer files' realtime.url (env CLEARHOUSE_REALTIME_URL)")
	c.Flags().DurationVar(&f.timeout, "timeout", 0, "how long to wait for the payer's answer (default: the payer file's, else 20s)")
}

func (f *realTimeFlags) exchanger(env *Env) *realtime.PayerExchanger {
	u := f.url
	if u == "" {
		u = env.Getenv("CLEARHOUSE_REALTIME_URL")
	}
	return &realtime.PayerExchanger{Getenv: env.Getenv, URL: u, Timeout: f.timeout}
}

type realTimeView struct {
	Payer         string        `json:"payer"`
	ControlNumber int64         `json:"control_number"`
	TraceNumber   string        `json:"trace_number"`
	ElapsedMS     int64         `json:"elapsed_ms"`
	CoverageID    int64         `json:"coverage_id"`
	Status        string        `json:"status"`
	WorkItems     int           `json:"work_items"`
	Summaries     []summaryView `json:"summaries"`
}

// newEligibilityCheckCmd builds "clearhouse eligibility check": one
// real-time 270 and its 271.
func newEligibilityCheckCmd(env *Env) *cobra.Command {
	var (
		f           schedulingFlags
		rt          realTimeFlags
		patient     int64
		coverage    int64
		serviceType string
		date        string
		format      string
	)
	cmd := &cobra.Command{
		Use:   "check --patient ID",
		Short: "Ask the payer about a patient's coverage now (real-time 270/271)",
		Long: "Sends one 270 for the patient's coverage (the primary in effect on --date, or --coverage) to the\n" +
			"payer's real-time endpoint over the CAQH CORE HTTP+MIME envelope and prints the benefits of its\n" +
			"271, which is applied to the coverage as a nightly answer is. The endpoint, user and password\n" +
			"variable come from the payer's file (realtime: url, user, password_env).\n" +
			"Exit status: 0 answered, 1 when the payer does not answer in time or rejects the 270, 2 on\n" +
			"bad arguments or configuration.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&format, formatTable, formatJSON); err != nil {
				return err
			}
			if patient <= 0 {
				return exitf(2, "--patient: give the patient's ID")
			}
			ctx := cmdContext(cmd)
			svc, st, loc, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			var day time.Time
			if date != "" {
				if day, err = time.ParseInLocation(time.DateOnly, date, loc); err != nil {
					return exitf(2, "--date %q: want YYYY-MM-DD", date)
				}
			}
			res, err := svc.CheckEligibilityNow(ctx, scheduling.RealTimeParams{ClinicID: f.clinic, PatientID: patient, CoverageID: coverage,
				ServiceType: serviceType, Date: day, Actor: "cli", Exchanger: rt.exchanger(env)})
			switch {
			case errors.Is(err, scheduling.ErrNotReachable):
				return &ExitError{Code: 2, Err: err}
			case errors.Is(err, scheduling.ErrNoAnswer):
				return &ExitError{Code: 1, Err: err}
			case err != nil:
				return schedulingError(err)
			}
			out := bufio.NewWriter(env.Stdout)
			defer out.Flush()
			if format == formatJSON {
				v := realTimeView{Payer: res.PayerID, ControlNumber: res.ControlNumber, TraceNumber: res.TraceNumber,
					ElapsedMS: res.Elapsed.Milliseconds(), CoverageID: res.Coverage.ID, Status: res.Coverage.EligibilityStatus,
					WorkItems: res.Applied.WorkItems, Summaries: []summaryView{}}
				for _, r := range res.Responses {
					for i := range r.Summaries {
						v.Summaries = append(v.Summaries, viewSummary(&r.Summaries[i]))
					}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			fmt.Fprintf(out, "real-time 270 %09d to %s answered in %d ms; coverage %d is %s", res.ControlNumber, res.PayerID,
				res.Elapsed.Milliseconds(), res.Coverage.ID, res.Coverage.EligibilityStatus)
			if res.Applied.WorkItems > 0 {
				fmt.Fprintf(out, " (%s raised)", plural(res.Applied.WorkItems, "worklist item", "worklist items"))
			}
			fmt.Fprintln(out)
			for _, r := range res.Responses {
				writeEligibilityTable(out, r)
			}
			return nil
		},
	}
	f.register(cmd)
	rt.register(cmd)
	cmd.Flags().Int64Var(&patient, "patient", 0, "patient ID")
	cmd.Flags().Int64Var(&coverage, "coverage", 0, "coverage ID (default: the patient's primary coverage in effect on --date)")
	cmd.Flags().StringVar(&serviceType, "service-type", "30", "EQ01 service type asked about (30: health benefit plan coverage)")
	cmd.Flags().StringVar(&date, "date", "", "date of service, YYYY-MM-DD (default today)")
	outputFlag(cmd, &format, []string{formatTable, formatJSON}, "")
	return cmd
}
