package predict

import (
	"math"
	"math/rand/v2"
	"time"
)

// NoShowSignal is the known signal of SimulateNoShows: the log-odds of a
// no-show is the sum of these terms and a per-patient propensity the
// model cannot see (normal, sd PatientSD). It is fixed here, before any
// policy or model is tuned against it.
var NoShowSignal = struct {
	Base, LeadDays, PriorAny, PriorEach, NewPatient float64
	Payer                                           map[string]float64
	Weekday                                         map[time.Weekday]float64
	EarlyHour                                       float64
	Age                                             map[string]float64
	Unreachable                                     float64
	PatientSD                                       float64
}{
	Base: -3.7, LeadDays: 0.45, PriorAny: 0.7, PriorEach: 0.2, NewPatient: 0.4,
	Payer:       map[string]float64{"MC": 0.6, "self": 0.4, "MB": -0.4},
	Weekday:     map[time.Weekday]float64{time.Monday: 0.3, time.Friday: 0.2},
	EarlyHour:   0.25,
	Age:         map[string]float64{"18-34": 0.5, "65+": -0.3},
	Unreachable: 0.9, PatientSD: 0.4,
}

// SimulatedVisit is a generated visit with the probability the generator
// drew its outcome from.
type SimulatedVisit struct {
	Visit
	// P is the true no-show probability (0 for cancellations).
	P float64
}

// SimulateNoShows generates a year of appointments from start for
// patients, each with visits appointments, deterministically from seed,
// with outcomes drawn from NoShowSignal.
func SimulateNoShows(seed uint64, patients, visits int, start time.Time) []SimulatedVisit {
	r := rand.New(rand.NewPCG(seed, 0x6e6f73686f77))
	payers := []string{"CI", "CI", "CI", "CI", "CI", "MB", "MB", "MC", "MC", "self"}
	var out []SimulatedVisit
	var id int64
	sig := NoShowSignal
	for p := int64(1); p <= int64(patients); p++ {
		birth := start.AddDate(-(1 + r.IntN(88)), -r.IntN(12), 0)
		payer := payers[r.IntN(len(payers))]
		u := r.NormFloat64() * sig.PatientSD
		unreachable := r.Float64() < 0.1
		var h History
		day := r.IntN(30)
		for range visits {
			id++
			day += 7 + r.IntN(50)
			at := time.Date(start.Year(), start.Month(), start.Day()+day, 8+r.IntN(9), 15*r.IntN(4), 0, 0, start.Location())
			for at.Weekday() == time.Saturday || at.Weekday() == time.Sunday {
				at = at.AddDate(0, 0, 1)
			}
			lead := math.Min(60, r.ExpFloat64()*14)
			v := Visit{AppointmentID: id, PatientID: p, StartsAt: at, BookedAt: at.Add(-time.Duration(lead * 24 * float64(time.Hour))),
				BirthDate: birth, PayerType: payer, Unreachable: unreachable}
			if r.Float64() < 0.08 {
				v.Status = statusCancelled
				h.Cancellations++
				out = append(out, SimulatedVisit{Visit: v})
				continue
			}
			f := NoShowFeatures(v, h, start.Location())
			z := sig.Base + sig.LeadDays*f["lead_days"] + sig.PriorAny*f["prior_no_show"] + sig.PriorEach*f["prior_no_shows"] +
				sig.NewPatient*f["new_patient"] + sig.Payer[payer] + sig.Weekday[at.Weekday()] + sig.EarlyHour*f["hour=early"] +
				sig.Age[ageBand(birth, at)] + u
			if unreachable {
				z += sig.Unreachable
			}
			pr := sigmoid(z)
			if r.Float64() < pr {
				v.Status = statusNoShow
				h.NoShows++
			} else {
				v.Status = statusCompleted
				h.Attended++
			}
			out = append(out, SimulatedVisit{Visit: v, P: pr})
		}
	}
	return out
}
