package predict

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Features are one example's named feature values: a categorical feature
// is a name "weekday=Mon" with value 1, a numeric one "lead_days" with its
// value. Names absent are zero.
type Features map[string]float64

// Example is one labelled observation.
type Example struct {
	Features Features
	// Label is 1 for the event (a no-show, a denial), 0 otherwise.
	Label float64
	// Key orders examples in time for the hold-out split (Unix seconds of
	// the appointment or of the submission).
	Key int64
}

// Model is an L2-regularised logistic regression over named features:
//
//	P(event | x) = 1 / (1 + exp(-(b + sum_i w_i * (x_i - mean_i) / scale_i)))
//
// fitted by Newton's method (iteratively reweighted least squares) on the
// penalised log-likelihood  sum log p(y|x) - lambda/2 * |w|^2  (the
// intercept is not penalised). Numeric features are standardised with the
// training set's mean and standard deviation, one-hot features are left as
// they are. The fit has no randomness: the same examples give the same
// model, bit for bit.
type Model struct {
	Names   []string  `json:"names"`
	Weights []float64 `json:"weights"`
	Bias    float64   `json:"bias"`
	Mean    []float64 `json:"mean"`
	Scale   []float64 `json:"scale"`
	Lambda  float64   `json:"lambda"`
}

// FitOptions tune Fit.
type FitOptions struct {
	// Lambda is the L2 penalty. Default 1.
	Lambda float64
	// MinCount drops features seen in fewer training examples. Default 5.
	MinCount int
	// Iterations caps Newton steps. Default 50.
	Iterations int
}

// ErrNoData is returned when there is nothing to fit or evaluate on.
var ErrNoData = errors.New("predict: not enough labelled examples")

// Fit fits a model to examples.
func Fit(examples []Example, o FitOptions) (*Model, error) {
	if o.Lambda == 0 {
		o.Lambda = 1
	}
	if o.MinCount == 0 {
		o.MinCount = 5
	}
	if o.Iterations == 0 {
		o.Iterations = 50
	}
	pos := 0
	for _, e := range examples {
		if e.Label == 1 {
			pos++
		}
	}
	if len(examples) < 10 || pos == 0 || pos == len(examples) {
		return nil, fmt.Errorf("%w: %d examples, %d events", ErrNoData, len(examples), pos)
	}
	count := map[string]int{}
	for _, e := range examples {
		for k, v := range e.Features {
			if v != 0 {
				count[k]++
			}
		}
	}
	m := &Model{Lambda: o.Lambda}
	for k, c := range count {
		if c >= o.MinCount {
			m.Names = append(m.Names, k)
		}
	}
	slices.Sort(m.Names)
	d := len(m.Names)
	n := len(examples)
	m.Mean, m.Scale = make([]float64, d), make([]float64, d)
	raw := mat.NewDense(n, d, nil)
	for i, e := range examples {
		for j, name := range m.Names {
			raw.Set(i, j, e.Features[name])
		}
	}
	for j := range d {
		col := mat.Col(nil, j, raw)
		if isIndicator(col) {
			m.Scale[j] = 1
			continue
		}
		mean, sd := meanSD(col)
		m.Mean[j] = mean
		m.Scale[j] = sd
		if sd == 0 {
			m.Scale[j] = 1
		}
	}
	// Design matrix with a leading column of ones for the intercept.
	x := mat.NewDense(n, d+1, nil)
	y := make([]float64, n)
	for i, e := range examples {
		x.Set(i, 0, 1)
		for j := range d {
			x.Set(i, j+1, (raw.At(i, j)-m.Mean[j])/m.Scale[j])
		}
		y[i] = e.Label
	}
	beta := mat.NewVecDense(d+1, nil)
	// Start the intercept at the base rate's log-odds.
	rate := float64(pos) / float64(n)
	beta.SetVec(0, math.Log(rate/(1-rate)))
	p := make([]float64, n)
	for range o.Iterations {
		eta := mat.NewVecDense(n, nil)
		eta.MulVec(x, beta)
		grad := mat.NewVecDense(d+1, nil)
		hess := mat.NewSymDense(d+1, nil)
		xw := mat.NewDense(n, d+1, nil)
		for i := range n {
			p[i] = sigmoid(eta.AtVec(i))
			w := max(p[i]*(1-p[i]), 1e-9)
			for j := range d + 1 {
				xw.Set(i, j, x.At(i, j)*w)
			}
		}
		r := mat.NewVecDense(n, nil)
		for i := range n {
			r.SetVec(i, p[i]-y[i])
		}
		grad.MulVec(x.T(), r)
		var h mat.Dense
		h.Mul(x.T(), xw)
		for a := range d + 1 {
			for b := a; b < d+1; b++ {
				v := h.At(a, b)
				if a == b && a > 0 {
					v += o.Lambda
				}
				hess.SetSym(a, b, v)
			}
		}
		for j := 1; j < d+1; j++ {
			grad.SetVec(j, grad.AtVec(j)+o.Lambda*beta.AtVec(j))
		}
		var chol mat.Cholesky
		if ok := chol.Factorize(hess); !ok {
			return nil, errors.New("predict: the Hessian is not positive definite (features collinear); raise Lambda")
		}
		var step mat.VecDense
		if err := chol.SolveVecTo(&step, grad); err != nil {
			return nil, fmt.Errorf("predict: Newton step: %w", err)
		}
		beta.SubVec(beta, &step)
		if mat.Norm(&step, math.Inf(1)) < 1e-8 {
			break
		}
	}
	m.Bias = beta.AtVec(0)
	m.Weights = make([]float64, d)
	for j := range d {
		m.Weights[j] = beta.AtVec(j + 1)
	}
	return m, nil
}

// Score is the predicted probability of the event.
func (m *Model) Score(f Features) float64 {
	z := m.Bias
	for j, name := range m.Names {
		if v, ok := f[name]; ok {
			z += m.Weights[j] * (v - m.Mean[j]) / m.Scale[j]
		} else if m.Mean[j] != 0 {
			z += m.Weights[j] * (-m.Mean[j]) / m.Scale[j]
		}
	}
	return sigmoid(z)
}

// Reason is one feature's push on a score.
type Reason struct {
	Feature string `json:"feature"`
	// Contribution is its term in the log-odds: positive raises the risk.
	Contribution float64 `json:"contribution"`
}

// Reasons are the features that raise f's score the most, largest first,
// at most n.
func (m *Model) Reasons(f Features, n int) []Reason {
	var out []Reason
	for j, name := range m.Names {
		v, ok := f[name]
		if !ok || v == 0 {
			continue
		}
		c := m.Weights[j] * (v - m.Mean[j]) / m.Scale[j]
		if c > 0 {
			out = append(out, Reason{Feature: name, Contribution: c})
		}
	}
	slices.SortFunc(out, func(a, b Reason) int {
		if a.Contribution != b.Contribution {
			if a.Contribution > b.Contribution {
				return -1
			}
			return 1
		}
		if a.Feature < b.Feature {
			return -1
		}
		return 1
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

func isIndicator(col []float64) bool {
	for _, v := range col {
		if v != 0 && v != 1 {
			return false
		}
	}
	return true
}

func meanSD(col []float64) (float64, float64) {
	var s float64
	for _, v := range col {
		s += v
	}
	mean := s / float64(len(col))
	var ss float64
	for _, v := range col {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(col)))
}
