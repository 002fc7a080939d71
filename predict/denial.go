package predict

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
)

// DenialFeatures are the features of a claim before submission:
//
//	payer=ID             the payer (Loop 2010BB NM109)
//	proc=CODE            each line's procedure code (SV101-2)
//	mod=XX               each modifier
//	dx=A00               each diagnosis's category (the ICD-10-CM code's first three characters)
//	pos=NN               the place of service (CLM05-1)
//	provider=NPI         the rendering provider, else the billing provider
//	prior_auth           1 when REF*G1 carries a prior authorization number
//	no_prior_auth_proc=CODE  a procedure billed without prior authorization
//	days_to_submit       log(1 + days from the first date of service to submission)
//	lines                number of service lines
func DenialFeatures(c *claim.Claim, payerID string, submitted time.Time) Features {
	f := Features{"payer=" + payerID: 1, "lines": float64(len(c.Lines))}
	if c.PriorAuthorization != "" {
		f["prior_auth"] = 1
	}
	for _, l := range c.Lines {
		f["proc="+l.ProcedureCode] = 1
		if c.PriorAuthorization == "" {
			f["no_prior_auth_proc="+l.ProcedureCode] = 1
		}
		for _, m := range l.Modifiers {
			f["mod="+m] = 1
		}
	}
	for _, d := range c.Diagnoses {
		if len(d.Code) >= 3 {
			f["dx="+d.Code[:3]] = 1
		}
	}
	pos := c.PlaceOfService
	if pos == "" {
		pos = c.FacilityType
	}
	f["pos="+pos] = 1
	if c.Rendering != nil && c.Rendering.NPI != "" {
		f["provider="+c.Rendering.NPI] = 1
	} else {
		f["provider="+c.BillingProvider.NPI] = 1
	}
	from, _ := c.ServiceSpan()
	if !from.IsZero() && !submitted.IsZero() {
		days := submitted.Sub(from.Time()).Hours() / 24
		f["days_to_submit"] = logDays(days)
	}
	return f
}

func logDays(d float64) float64 {
	if d < 0 {
		d = 0
	}
	return math.Log1p(d)
}

// Adjudicated statuses: a claim in one of them has an 835 outcome.
var adjudicated = []claim.Status{claim.StatusPaid, claim.StatusPartiallyPaid, claim.StatusDenied, claim.StatusClosed}

// ClaimStore is what the denial model reads and writes.
type ClaimStore interface {
	ListClaims(ctx context.Context, p store.ListClaimsParams) ([]store.Claim, error)
	ListPayers(ctx context.Context, p store.ListPayersParams) ([]store.Payer, error)
	CreatePredictionModel(ctx context.Context, p store.CreatePredictionModelParams) (store.PredictionModel, error)
	LatestPredictionModel(ctx context.Context, p store.LatestPredictionModelParams) (store.PredictionModel, error)
}

// DenialExample is an adjudicated claim as the denial model sees it.
type DenialExample struct {
	Claim   *claim.Claim
	PayerID string
	Example Example
}

// LoadDenialExamples reads a clinic's adjudicated original claims: the
// label is 1 for a claim denied whole (status denied), and the claim's
// creation stands for its submission (claims are built and sent by the
// same nightly run).
func LoadDenialExamples(ctx context.Context, st ClaimStore, clinicID int64) ([]DenialExample, error) {
	payers, err := st.ListPayers(ctx, store.ListPayersParams{ClinicID: clinicID})
	if err != nil {
		return nil, err
	}
	ids := map[int64]string{}
	for _, p := range payers {
		ids[p.ID] = p.PayerID
	}
	var out []DenialExample
	for after := int64(0); ; {
		cs, err := st.ListClaims(ctx, store.ListClaimsParams{ClinicID: clinicID, Statuses: adjudicated, AfterID: after, Limit: 2000})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			after = c.ID
			if c.FrequencyCode != "" && c.FrequencyCode != claim.FrequencyOriginal {
				continue
			}
			var doc claim.Claim
			if err := json.Unmarshal(c.Document, &doc); err != nil {
				return nil, fmt.Errorf("claim %d: document: %w", c.ID, err)
			}
			label := 0.0
			if c.Status == claim.StatusDenied {
				label = 1
			}
			out = append(out, DenialExample{Claim: &doc, PayerID: ids[c.PayerID],
				Example: Example{Features: DenialFeatures(&doc, ids[c.PayerID], c.CreatedAt), Label: label, Key: c.CreatedAt.Unix()}})
		}
		if len(cs) < 2000 {
			return out, nil
		}
	}
}

// TrainDenial trains the clinic's denial model on its posted 835 history,
// evaluates it on the time-based hold-out and stores it. Baseline, when
// set, scores hold-out claims the way the scrubber sees them (for
// instance its count of warning findings), and its AUC on the same
// hold-out is recorded beside the model's.
func TrainDenial(ctx context.Context, st ClaimStore, clinicID int64, o TrainOptions) (Trained, error) {
	return TrainDenialWithBaseline(ctx, st, clinicID, o, nil)
}

// TrainDenialWithBaseline is TrainDenial with a baseline scorer.
func TrainDenialWithBaseline(ctx context.Context, st ClaimStore, clinicID int64, o TrainOptions, baseline func(c *claim.Claim, payerID string) float64) (Trained, error) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	des, err := LoadDenialExamples(ctx, st, clinicID)
	if err != nil {
		return Trained{}, err
	}
	examples := make([]Example, len(des))
	for i, d := range des {
		examples[i] = d.Example
	}
	m, ev, err := TrainAndEvaluate(examples, o.HoldoutShare, o.Fit)
	if err != nil {
		return Trained{}, fmt.Errorf("clinic %d denial model: %w", clinicID, err)
	}
	if baseline != nil {
		var scores, labels []float64
		for _, d := range des {
			if d.Example.Key >= ev.SplitKey {
				scores = append(scores, baseline(d.Claim, d.PayerID))
				labels = append(labels, d.Example.Label)
			}
		}
		auc := AUC(scores, labels)
		ev.BaselineAUC = &auc
	}
	return saveDenial(ctx, st, clinicID, m, ev, o)
}

func saveDenial(ctx context.Context, st ClaimStore, clinicID int64, m *Model, ev Evaluation, o TrainOptions) (Trained, error) {
	return save(ctx, st, clinicID, store.ModelDenial, m, ev, o)
}

// DenialScorer scores claims with a denial model: the scrubber's
// DenialRisk hook (scrub.Options).
type DenialScorer struct {
	Model *Model
	// Submitted is the submission date the days-to-submit feature counts
	// to (today, at scrub time).
	Submitted time.Time
}

// Risk is the claim's predicted denial risk and the features that raise
// it the most.
func (d DenialScorer) Risk(c *claim.Claim, payerID string) (float64, []string, bool) {
	if d.Model == nil {
		return 0, nil, false
	}
	f := DenialFeatures(c, payerID, d.Submitted)
	var reasons []string
	for _, r := range d.Model.Reasons(f, 3) {
		reasons = append(reasons, r.Feature)
	}
	return d.Model.Score(f), reasons, true
}

// ScrubBaseline scores a claim the way the scrubber alone would flag it
// for denial: ten per reject-level finding, one per warning (the
// predicted-denial warning aside). It is the baseline the denial model is
// evaluated against on the same hold-out.
func ScrubBaseline(s *scrub.Scrubber) func(c *claim.Claim, payerID string) float64 {
	return func(c *claim.Claim, payerID string) float64 {
		var score float64
		for _, f := range s.Scrub(c, scrub.Options{PayerID: payerID}) {
			switch {
			case f.RuleID == scrub.RuleDenialRisk:
			case f.Severity == scrub.Reject:
				score += 10
			default:
				score++
			}
		}
		return score
	}
}
