package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/clearhouse/clearhouse/predict"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// Behaviour is how the simulated patients answer reminders: the
// attendance model the demo's reminder policies are compared on. Its
// parameters were fixed, and committed, before the predictive policy's
// threshold and lead times (scheduling.DefaultRiskPolicy) were set; the
// policy was not tuned against it afterwards.
//
// A patient's no-show log-odds before reminders is predict.NoShowSignal's
// (lead time, weekday, hour, age, payer type, earlier no-shows, new
// patient, unreachable, a personal propensity). Then:
//
//   - each reminder that reaches the patient (due after the booking; none
//     reach an unreachable patient) adds ReminderEffect, for at most
//     MaxReminders reminders;
//   - a confirmation request is answered with probability AnswerRate; an
//     answer adds ConfirmEffect;
//   - an unanswered request puts the appointment on the front desk's
//     worklist; the call reaches the patient with probability CallReach
//     and adds CallEffect.
type Behaviour struct {
	ReminderEffect float64
	MaxReminders   int
	AnswerRate     float64
	ConfirmEffect  float64
	CallReach      float64
	CallEffect     float64
}

// DefaultBehaviour is the committed behaviour model.
var DefaultBehaviour = Behaviour{ReminderEffect: -0.25, MaxReminders: 3, AnswerRate: 0.6, ConfirmEffect: -0.9,
	CallReach: 0.5, CallEffect: -0.5}

// PolicyComparison is what the demo prints about the reminder policies
// and the no-show model.
type PolicyComparison struct {
	// Weeks simulated: the model is trained on the first TrainWeeks under
	// fixed-time reminders; both policies then run the remaining weeks
	// with the same patients, bookings and random draws.
	Weeks, TrainWeeks int
	// Appointments in the compared weeks.
	Appointments int
	// NoShowFixed and NoShowPredictive are the compared weeks' no-show
	// rates with fixed-time reminders and with the predictive policy.
	NoShowFixed, NoShowPredictive float64
	// NoShowModel is the no-show model's time-based hold-out evaluation.
	NoShowModel predict.Evaluation
}

// simVisit is one simulated appointment with its random draws, shared by
// both policies.
type simVisit struct {
	predict.Visit
	patient int
	u       float64 // personal propensity
	draw    [3]float64
}

// ComparePolicies simulates weeks of the dataset's patients' appointments
// (deterministic from the dataset's seed), trains the no-show model on the
// first trainWeeks, and runs the rest with each policy.
func ComparePolicies(d *Dataset, weeks, trainWeeks int, b Behaviour) (PolicyComparison, error) {
	r := rand.New(rand.NewPCG(d.Seed, 0x72656d696e64))
	payerType := map[string]string{}
	var visits []simVisit
	var id int64
	for pi, p := range d.Patients {
		pt := "self"
		if len(p.Coverages) > 0 {
			pt = payerType[p.Coverages[0].Payer]
			if pt == "" {
				pt = []string{"CI", "CI", "MB", "MC"}[len(payerType)%4]
				payerType[p.Coverages[0].Payer] = pt
			}
		}
		u := r.NormFloat64() * predict.NoShowSignal.PatientSD
		unreachable := r.Float64() < 0.1
		for day := r.IntN(28); day < weeks*7; day += 21 + r.IntN(70) {
			id++
			at := time.Date(d.Start.Year(), d.Start.Month(), d.Start.Day()+day, 8+r.IntN(9), 15*r.IntN(4), 0, 0, d.Location)
			for at.Weekday() == time.Saturday || at.Weekday() == time.Sunday {
				at = at.AddDate(0, 0, 1)
			}
			lead := math.Min(60, r.ExpFloat64()*14)
			v := simVisit{Visit: predict.Visit{AppointmentID: id, PatientID: int64(pi + 1), StartsAt: at,
				BookedAt: at.Add(-time.Duration(lead * 24 * float64(time.Hour))), BirthDate: p.BirthDate, PayerType: pt,
				Unreachable: unreachable}, patient: pi, u: u}
			for k := range v.draw {
				v.draw[k] = r.Float64()
			}
			visits = append(visits, v)
		}
	}
	sortVisits(visits)
	split := d.Start.AddDate(0, 0, 7*trainWeeks)
	fixed := scheduling.FixedLeads(scheduling.DefaultReminderLeads())
	hist := map[int64]*predict.History{}
	var past []predict.Visit
	var rest []simVisit
	for _, v := range visits {
		if !v.StartsAt.Before(split) {
			rest = append(rest, v)
			continue
		}
		v.Status = b.outcome(v, hist, fixed, nil, d.Location)
		past = append(past, v.Visit)
	}
	model, ev, err := predict.TrainAndEvaluate(predict.NoShowExamples(past, d.Location), 0.2, predict.FitOptions{})
	if err != nil {
		return PolicyComparison{}, err
	}
	out := PolicyComparison{Weeks: weeks, TrainWeeks: trainWeeks, NoShowModel: ev, Appointments: len(rest)}
	risky := scheduling.DefaultRiskPolicy(scheduling.DefaultReminderLeads())
	for i, pol := range []scheduling.ReminderPolicy{fixed, risky} {
		h := map[int64]*predict.History{}
		for k, v := range hist {
			c := *v
			h[k] = &c
		}
		var m *predict.Model
		if i == 1 {
			m = model
		}
		noShows := 0
		for _, v := range rest {
			if b.outcome(v, h, pol, m, d.Location) == store.AppointmentNoShow {
				noShows++
			}
		}
		rate := float64(noShows) / float64(max(1, len(rest)))
		if i == 0 {
			out.NoShowFixed = rate
		} else {
			out.NoShowPredictive = rate
		}
	}
	return out, nil
}

// outcome draws v's outcome under policy (scored by m, nil for none) and
// adds it to the patient's history.
func (b Behaviour) outcome(v simVisit, hist map[int64]*predict.History, policy scheduling.ReminderPolicy, m *predict.Model, loc *time.Location) string {
	h := hist[v.PatientID]
	if h == nil {
		h = &predict.History{}
		hist[v.PatientID] = h
	}
	f := predict.NoShowFeatures(v.Visit, *h, loc)
	sig := predict.NoShowSignal
	z := sig.Base + sig.LeadDays*f["lead_days"] + sig.PriorAny*f["prior_no_show"] + sig.PriorEach*f["prior_no_shows"] +
		sig.NewPatient*f["new_patient"] + sig.Payer[v.PayerType] + sig.Weekday[v.StartsAt.In(loc).Weekday()] + sig.EarlyHour*f["hour=early"] + v.u
	for name, w := range sig.Age {
		z += w * f["age="+name]
	}
	if v.Unreachable {
		z += sig.Unreachable
	}
	var risk *float64
	if m != nil {
		s := m.Score(f)
		risk = &s
	}
	if !v.Unreachable {
		reached := 0
		for _, p := range policy.Plan(store.Appointment{StartsAt: v.StartsAt}, risk) {
			if v.StartsAt.Add(-p.Lead).Before(v.BookedAt) {
				continue
			}
			if p.Purpose == scheduling.PurposeConfirm {
				if v.draw[1] < b.AnswerRate {
					z += b.ConfirmEffect
				} else if v.draw[2] < b.CallReach {
					z += b.CallEffect
				}
				continue
			}
			if reached < b.MaxReminders {
				z += b.ReminderEffect
				reached++
			}
		}
	}
	if v.draw[0] < 1/(1+math.Exp(-z)) {
		h.NoShows++
		return store.AppointmentNoShow
	}
	h.Attended++
	return store.AppointmentCompleted
}

func sortVisits(vs []simVisit) {
	// Outcomes need time order (the history), with the appointment ID
	// breaking ties, so both policies see the same order.
	slices.SortFunc(vs, func(a, b simVisit) int {
		return cmp.Or(a.StartsAt.Compare(b.StartsAt), cmp.Compare(a.AppointmentID, b.AppointmentID))
	})
}

// predictions prints the reminder policies' no-show rates over a year of
// the practice's simulated appointments, and both models' hold-out AUC:
// the no-show model's on that year, the denial model's on the run's
// posted 835s against the scrubber on the same hold-out.
func (r *runner) predictions(ctx context.Context) error {
	w := r.opts.Stdout
	c, err := ComparePolicies(r.ds, 52, 39, DefaultBehaviour)
	if err != nil {
		return fmt.Errorf("demo: reminder policies: %w", err)
	}
	fmt.Fprintf(w, "Predictions (the practice's patients over %d simulated weeks, attendance by demo.DefaultBehaviour):\n", c.Weeks)
	fmt.Fprintf(w, "  no-show model: trained on weeks 1-%d, hold-out AUC %.3f (%d appointments held out)\n",
		c.TrainWeeks, c.NoShowModel.AUC, c.NoShowModel.Holdout)
	fmt.Fprintf(w, "  no-show rate, weeks %d-%d (%d appointments): fixed-time reminders %.1f%%, predictive policy %.1f%%\n",
		c.TrainWeeks+1, c.Weeks, c.Appointments, 100*c.NoShowFixed, 100*c.NoShowPredictive)
	t, err := predict.TrainDenialWithBaseline(ctx, r.st, r.clinic.ID, predict.TrainOptions{Now: r.clock.Now(), Location: r.ds.Location, DryRun: true},
		predict.ScrubBaseline(r.wired.Scrubber))
	switch {
	case errors.Is(err, predict.ErrNoData):
		fmt.Fprintf(w, "  denial model: not enough posted claims to train on (%v)\n", err)
	case err != nil:
		return fmt.Errorf("demo: denial model: %w", err)
	default:
		ev := t.Evaluation
		fmt.Fprintf(w, "  denial model: %d posted claims, hold-out AUC %.3f against the scrubber's %.3f (%d held out, %.0f%% denied)\n",
			ev.Train+ev.Holdout, ev.AUC, *ev.BaselineAUC, ev.Holdout, 100*ev.HoldoutRate)
	}
	fmt.Fprintln(w)
	return nil
}
