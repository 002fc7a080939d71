package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/predict"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/worker"
)

// newPredictCmd builds "clearhouse predict": the no-show and denial
// models' training and evaluation.
func newPredictCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "predict",
		Short: "No-show and denial models: train, evaluate, show the current version",
		Long: "Each clinic's no-show model is trained on its appointment history and its denial model on its\n" +
			"posted 835s, by the nightly run or here with --train. --evaluate fits on the earlier 80% of the\n" +
			"history and prints the AUC and the calibration by decile on the latest 20%, without storing a\n" +
			"version. Without either flag, the latest stored version and its evaluation are shown.",
	}
	c.AddCommand(newPredictKindCmd(env, "no-shows", store.ModelNoShow, "The no-show model: features from the appointment history"))
	c.AddCommand(newPredictKindCmd(env, "denials", store.ModelDenial, "The denial model: features from posted 835 history"))
	return c
}

func newPredictKindCmd(env *Env, name, kind, short string) *cobra.Command {
	var (
		clinic          int64
		evaluate, train bool
		tz, out         string
	)
	c := &cobra.Command{
		Use:   name,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&out, formatTable, formatJSON); err != nil {
				return err
			}
			if evaluate && train {
				return exitf(2, "--evaluate and --train: give one")
			}
			loc, err := clinicLocation(env, tz)
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			st, err := storedb.Open(ctx, env.Database, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer st.Close()
			cid, err := clinicOrOnly(ctx, st, clinic)
			if err != nil {
				return err
			}
			view := predictView{Clinic: cid, Kind: kind}
			if evaluate || train {
				o := predict.TrainOptions{Now: time.Now(), Location: loc, DryRun: evaluate}
				var t predict.Trained
				if kind == store.ModelNoShow {
					t, err = predict.TrainNoShow(ctx, st, cid, o)
				} else {
					reg, rerr := fixtures.Payers()
					if rerr != nil {
						return &ExitError{Code: 2, Err: rerr}
					}
					scrubber, serr := worker.NewScrubber(reg, nil)
					if serr != nil {
						return &ExitError{Code: 1, Err: serr}
					}
					t, err = predict.TrainDenialWithBaseline(ctx, st, cid, o, predict.ScrubBaseline(scrubber))
				}
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				view.Version, view.Evaluation, view.Model = t.Row.Version, t.Evaluation, t.Model
			} else {
				m, row, ok, err := predict.Latest(ctx, st, cid, kind)
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				if !ok {
					return exitf(1, "clinic %d has no %s model yet: train one with --train (the nightly run does too)", cid, name)
				}
				view.Version, view.Model = row.Version, m
				view.TrainedAt = row.TrainedAt.Format(time.RFC3339)
				if err := json.Unmarshal(row.Evaluation, &view.Evaluation); err != nil {
					return &ExitError{Code: 1, Err: err}
				}
			}
			if out == formatJSON {
				return writeJSON(env, view)
			}
			return view.table(env, loc)
		},
	}
	c.Flags().Int64Var(&clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	c.Flags().BoolVar(&evaluate, "evaluate", false, "fit on the earlier history and print AUC and calibration on the latest 20%, storing nothing")
	c.Flags().BoolVar(&train, "train", false, "train and store a new version (what the nightly run does)")
	c.Flags().StringVar(&tz, "tz", "", "the clinic's time zone (IANA name) for weekday and hour features (default: $CLEARHOUSE_TZ, else the system's zone)")
	outputFlag(c, &out, []string{formatTable, formatJSON}, "")
	return c
}

type predictView struct {
	Clinic     int64              `json:"clinic"`
	Kind       string             `json:"kind"`
	Version    int                `json:"version,omitempty"`
	TrainedAt  string             `json:"trained_at,omitempty"`
	Evaluation predict.Evaluation `json:"evaluation"`
	Model      *predict.Model     `json:"model,omitempty"`
}

func (v predictView) table(env *Env, loc *time.Location) error {
	ev := v.Evaluation
	w := env.Stdout
	version := "not stored (--evaluate)"
	if v.Version > 0 {
		version = fmt.Sprintf("version %d", v.Version)
	}
	fmt.Fprintf(w, "%s model, clinic %d, %s\n", v.Kind, v.Clinic, version)
	split := time.Unix(ev.SplitKey, 0).In(loc).Format(time.DateOnly)
	fmt.Fprintf(w, "trained on %d examples (event rate %.3f), held out the latest %d from %s (event rate %.3f)\n",
		ev.Train, ev.TrainRate, ev.Holdout, split, ev.HoldoutRate)
	fmt.Fprintf(w, "hold-out AUC %.3f", ev.AUC)
	if ev.BaselineAUC != nil {
		fmt.Fprintf(w, " (scrubber baseline %.3f)", *ev.BaselineAUC)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "DECILE\tN\tPREDICTED\tOBSERVED\t")
	for i, d := range ev.Deciles {
		fmt.Fprintf(tw, "%d\t%d\t%.3f\t%.3f\t\n", i+1, d.N, d.Predicted, d.Observed)
	}
	return tw.Flush()
}
