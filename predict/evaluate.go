package predict

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
)

// AUC is the area under the ROC curve of scores against labels: the
// probability that a random event scores above a random non-event, ties
// counting one half (the Mann-Whitney U statistic). 0.5 is chance.
func AUC(scores, labels []float64) float64 {
	type pair struct{ s, y float64 }
	ps := make([]pair, len(scores))
	for i := range scores {
		ps[i] = pair{scores[i], labels[i]}
	}
	slices.SortStableFunc(ps, func(a, b pair) int { return cmp.Compare(a.s, b.s) })
	var pos, neg, rankSum float64
	for i := 0; i < len(ps); {
		j := i
		for j < len(ps) && ps[j].s == ps[i].s {
			j++
		}
		// Ranks i+1..j share their mean.
		mid := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			if ps[k].y == 1 {
				pos++
				rankSum += mid
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0.5
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// Decile is one tenth of the hold-out by predicted score, lowest first.
type Decile struct {
	N         int     `json:"n"`
	Predicted float64 `json:"predicted"`
	Observed  float64 `json:"observed"`
}

// Calibration splits examples into ten groups of (nearly) equal size by
// score and compares each group's mean predicted probability with its
// observed rate.
func Calibration(scores, labels []float64) []Decile {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	var out []Decile
	n := len(idx)
	for d := range 10 {
		lo, hi := d*n/10, (d+1)*n/10
		if hi == lo {
			continue
		}
		var dec Decile
		for _, i := range idx[lo:hi] {
			dec.N++
			dec.Predicted += scores[i]
			dec.Observed += labels[i]
		}
		dec.Predicted /= float64(dec.N)
		dec.Observed /= float64(dec.N)
		out = append(out, dec)
	}
	return out
}

// Evaluation is a model's record on a time-based hold-out.
type Evaluation struct {
	// Train and Holdout count the examples on each side of the split; the
	// hold-out is the latest HoldoutShare of them by Key.
	Train        int      `json:"train"`
	Holdout      int      `json:"holdout"`
	HoldoutShare float64  `json:"holdout_share"`
	SplitKey     int64    `json:"split_key"`
	TrainRate    float64  `json:"train_rate"`
	HoldoutRate  float64  `json:"holdout_rate"`
	AUC          float64  `json:"auc"`
	Deciles      []Decile `json:"deciles"`
	// BaselineAUC is a baseline's AUC on the same hold-out, when one was
	// given (the scrubber's verdict for the denial model).
	BaselineAUC *float64 `json:"baseline_auc,omitempty"`
}

// SplitByTime orders examples by Key and returns the earliest (1-share)
// for training and the rest as the hold-out.
func SplitByTime(examples []Example, share float64) (train, holdout []Example) {
	ex := slices.Clone(examples)
	slices.SortStableFunc(ex, func(a, b Example) int { return cmp.Compare(a.Key, b.Key) })
	cut := int(float64(len(ex)) * (1 - share))
	return ex[:cut], ex[cut:]
}

// TrainAndEvaluate fits a model on the earlier part of examples and
// evaluates it on the latest holdoutShare (default 0.2); the model
// returned is then refitted on every example, for scoring.
func TrainAndEvaluate(examples []Example, holdoutShare float64, o FitOptions) (*Model, Evaluation, error) {
	if holdoutShare <= 0 || holdoutShare >= 1 {
		holdoutShare = 0.2
	}
	train, hold := SplitByTime(examples, holdoutShare)
	m, err := Fit(train, o)
	if err != nil {
		return nil, Evaluation{}, err
	}
	if len(hold) == 0 {
		return nil, Evaluation{}, fmt.Errorf("%w: empty hold-out", ErrNoData)
	}
	ev := Evaluate(m, hold)
	ev.Train, ev.HoldoutShare, ev.SplitKey = len(train), holdoutShare, hold[0].Key
	ev.TrainRate = rate(train)
	full, err := Fit(examples, o)
	if err != nil {
		return nil, ev, err
	}
	return full, ev, nil
}

// Evaluate scores a hold-out.
func Evaluate(m *Model, hold []Example) Evaluation {
	scores, labels := make([]float64, len(hold)), make([]float64, len(hold))
	for i, e := range hold {
		scores[i], labels[i] = m.Score(e.Features), e.Label
	}
	return Evaluation{Holdout: len(hold), HoldoutRate: rate(hold), AUC: AUC(scores, labels), Deciles: Calibration(scores, labels)}
}

// ShuffleLabels returns examples with their labels permuted by a seeded
// generator: what a model can learn from them is noise.
func ShuffleLabels(examples []Example, seed uint64) []Example {
	out := slices.Clone(examples)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	labels := make([]float64, len(out))
	for i, e := range out {
		labels[i] = e.Label
	}
	r.Shuffle(len(labels), func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	for i := range out {
		out[i].Label = labels[i]
	}
	return out
}

func rate(ex []Example) float64 {
	if len(ex) == 0 {
		return 0
	}
	var s float64
	for _, e := range ex {
		s += e.Label
	}
	return s / float64(len(ex))
}
