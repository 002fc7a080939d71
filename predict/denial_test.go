package predict_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/predict"
	"github.com/clearhouse/clearhouse/worker"
)

// simulatedClaims are claims varied from an office visit, denied with the
// payer simulator's learnable signal (paysim.DenialFactor) on a base rate
// of 6%, deterministically from seed.
func simulatedClaims(t *testing.T, seed uint64, n int) (claims []*claim.Claim, examples []predict.Example, truth []float64) {
	t.Helper()
	raw, err := os.ReadFile("testdata/office-visit.json")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 0xde41a1))
	em := []string{"99212", "99213", "99214", "99215"}
	other := []string{"87880", "36415", "70551", "72148", "97110", "20610", "93000"}
	dx := []string{"J069", "R509", "M545", "E119", "I10", "R0789", "M25561"}
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	for i := range n {
		var c claim.Claim
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		svc := start.AddDate(0, 0, i*365/n)
		c.Lines[0].ProcedureCode = em[r.IntN(len(em))]
		c.Lines[0].Modifiers = nil
		if r.Float64() < 0.3 {
			c.Lines[0].Modifiers = []string{"25"}
		}
		c.Lines[1].ProcedureCode = other[r.IntN(len(other))]
		c.Lines[1].Modifiers = nil
		for j := range c.Lines {
			c.Lines[j].ServiceDate = claim.DateOf(svc)
		}
		c.Diagnoses = []claim.Diagnosis{{Code: dx[r.IntN(len(dx))]}, {Code: "I10"}}
		if r.Float64() < 0.5 {
			c.PriorAuthorization = "AUTH" + svc.Format("0102")
		}
		late := int(r.ExpFloat64() * 8)
		submitted := svc.AddDate(0, 0, late)
		f, _ := paysim.DenialFactor(&c, late)
		p := math.Min(0.9, 0.06*f)
		label := 0.0
		if r.Float64() < p {
			label = 1
		}
		claims = append(claims, &c)
		truth = append(truth, p)
		examples = append(examples, predict.Example{Features: predict.DenialFeatures(&c, c.Payer.ID, submitted), Label: label, Key: submitted.Unix()})
	}
	return claims, examples, truth
}

// TestDenialModelBeatsTheScrubber trains on the earlier claims and
// compares the model with the scrubber's verdict on the same hold-out.
func TestDenialModelBeatsTheScrubber(t *testing.T) {
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	s, err := worker.NewScrubber(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	baseline := predict.ScrubBaseline(s)
	claims, examples, truth := simulatedClaims(t, 11, 6000)
	_, ev, err := predict.TrainAndEvaluate(examples, 0.2, predict.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var base, best, labels []float64
	for i, e := range examples {
		if e.Key >= ev.SplitKey {
			base = append(base, baseline(claims[i], claims[i].Payer.ID))
			best = append(best, truth[i])
			labels = append(labels, e.Label)
		}
	}
	baseAUC, bestAUC := predict.AUC(base, labels), predict.AUC(best, labels)
	t.Logf("hold-out %d (denial rate %.3f): model AUC %.3f, scrubber %.3f, generator's best %.3f", ev.Holdout, ev.HoldoutRate, ev.AUC, baseAUC, bestAUC)
	if ev.AUC < 0.65 || ev.AUC < baseAUC+0.1 || bestAUC-ev.AUC > 0.05 {
		t.Fatalf("model AUC %.3f, scrubber %.3f, best %.3f", ev.AUC, baseAUC, bestAUC)
	}
	// Shuffled labels teach nothing.
	_, sh, err := predict.TrainAndEvaluate(predict.ShuffleLabels(examples, 11), 0.2, predict.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sh.AUC > 0.56 {
		t.Fatalf("shuffled labels: AUC %.3f", sh.AUC)
	}
	// A claim missing its authorization names it as a top reason.
	m, err := predict.Fit(examples, predict.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := *claims[0]
	c.PriorAuthorization = ""
	c.Lines = append([]claim.ServiceLine(nil), c.Lines...)
	c.Lines[1].ProcedureCode = "70551"
	risk, reasons, _ := predict.DenialScorer{Model: m, Submitted: c.Lines[0].ServiceDate.Time()}.Risk(&c, c.Payer.ID)
	found := false
	for _, r := range reasons {
		found = found || r == "no_prior_auth_proc=70551"
	}
	if !found || risk < 0.15 {
		t.Fatalf("risk %.3f, reasons %v", risk, reasons)
	}
}
