package predict_test

import (
	"math"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/predict"
)

func TestAUC(t *testing.T) {
	tests := []struct {
		name           string
		scores, labels []float64
		want           float64
	}{
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []float64{0, 0, 1, 1}, 1},
		{"reversed", []float64{0.9, 0.8, 0.2, 0.1}, []float64{0, 0, 1, 1}, 0},
		{"ties", []float64{0.5, 0.5, 0.5, 0.5}, []float64{0, 1, 0, 1}, 0.5},
		{"one inversion", []float64{0.1, 0.6, 0.5, 0.9}, []float64{0, 0, 1, 1}, 0.75},
		{"one class", []float64{0.1, 0.2}, []float64{1, 1}, 0.5},
	}
	for _, tt := range tests {
		if got := predict.AUC(tt.scores, tt.labels); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: AUC %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCalibrationDeciles(t *testing.T) {
	scores := make([]float64, 100)
	labels := make([]float64, 100)
	for i := range scores {
		scores[i] = float64(i) / 100
		if i%10 >= 5 {
			labels[i] = 1
		}
	}
	ds := predict.Calibration(scores, labels)
	if len(ds) != 10 || ds[0].N != 10 || math.Abs(ds[0].Predicted-0.045) > 1e-9 || ds[9].Observed != 0.5 {
		t.Fatalf("deciles %+v", ds)
	}
}

// simulated is the generator's data split as the model is evaluated,
// with the generator's own AUC on the hold-out.
func simulated(t *testing.T, seed uint64) (examples []predict.Example, bestAUC float64) {
	t.Helper()
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	sim := predict.SimulateNoShows(seed, 2500, 6, start)
	visits := make([]predict.Visit, len(sim))
	truth := map[int64]float64{}
	for i, s := range sim {
		visits[i] = s.Visit
		truth[s.StartsAt.Unix()*1_000_000+s.AppointmentID] = s.P
	}
	examples = predict.NoShowExamples(visits, time.UTC)
	// The generator's best: its true probabilities on the same hold-out.
	var hold []predict.Visit
	_, holdEx := predict.SplitByTime(examples, 0.2)
	split := holdEx[0].Key
	for _, s := range sim {
		if s.StartsAt.Unix() >= split && s.Status != "cancelled" {
			hold = append(hold, s.Visit)
		}
	}
	var scores, labels []float64
	for _, s := range sim {
		if s.StartsAt.Unix() >= split && s.Status != "cancelled" {
			scores = append(scores, s.P)
			l := 0.0
			if s.Status == "no_show" {
				l = 1
			}
			labels = append(labels, l)
		}
	}
	if len(hold) == 0 {
		t.Fatal("empty hold-out")
	}
	return examples, predict.AUC(scores, labels)
}

func TestNoShowModelLearnsTheSignal(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		examples, best := simulated(t, seed)
		m, ev, err := predict.TrainAndEvaluate(examples, 0.2, predict.FitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: %d train, %d hold-out (rate %.3f), AUC %.3f, generator's best %.3f", seed, ev.Train, ev.Holdout, ev.HoldoutRate, ev.AUC, best)
		if ev.AUC < 0.70 || best-ev.AUC > 0.05 {
			t.Errorf("seed %d: AUC %.3f, generator's best %.3f: want >= 0.70 and within 0.05", seed, ev.AUC, best)
		}
		// Calibrated: the top decile's predicted rate is within 0.08 (about 2.5
		// standard errors of a decile of this hold-out) of
		// what happened.
		top := ev.Deciles[len(ev.Deciles)-1]
		if math.Abs(top.Predicted-top.Observed) > 0.08 {
			t.Errorf("seed %d: top decile predicted %.3f, observed %.3f", seed, top.Predicted, top.Observed)
		}
		// The known signal's strongest terms have the right sign.
		w := map[string]float64{}
		for i, n := range m.Names {
			w[n] = m.Weights[i]
		}
		if w["unreachable"] <= 0 || w["prior_no_show"] <= 0 || w["payer=MC"] <= w["payer=MB"] {
			t.Errorf("seed %d: weights %v", seed, w)
		}
	}
}

func TestShuffledLabelsDoNotBeatChance(t *testing.T) {
	examples, _ := simulated(t, 3)
	_, ev, err := predict.TrainAndEvaluate(predict.ShuffleLabels(examples, 3), 0.2, predict.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The hold-out's standard error of an AUC of 0.5 is about 0.015 here.
	if ev.AUC > 0.55 {
		t.Fatalf("shuffled labels: AUC %.3f", ev.AUC)
	}
	t.Logf("shuffled labels: AUC %.3f", ev.AUC)
}

func TestFitIsDeterministic(t *testing.T) {
	examples, _ := simulated(t, 4)
	a, _, err := predict.TrainAndEvaluate(examples, 0.2, predict.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := predict.TrainAndEvaluate(examples, 0.2, predict.FitOptions{})
	if a.Bias != b.Bias || len(a.Weights) != len(b.Weights) {
		t.Fatal("two fits differ")
	}
	for i := range a.Weights {
		if a.Weights[i] != b.Weights[i] {
			t.Fatalf("weight %s: %v vs %v", a.Names[i], a.Weights[i], b.Weights[i])
		}
	}
}
