package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/scheduling"
)

// Defaults of the generated practice: what the issue asks of the demo at
// least (500 patients, 2,000 appointments over two weeks).
const (
	DefaultSeed         = 20260914
	DefaultPatients     = 520
	DefaultAppointments = 2000
)

// EnrollmentKey names the demo clinic in the fixture payers' enrollment
// lists (fixtures/payers/*.yaml).
const EnrollmentKey = "riverbend-family"

// The payers of the demo: the five fixture payers (package fixtures).
const (
	PayerMedicare  = "MCRJX"
	PayerMedicaid  = "MCDPA"
	PayerKeystone  = "KHP01"
	PayerSummit    = "SUMMT"
	PayerRiverside = "RVHSP"
)

// Payers lists the payer IDs of the demo in the order they are created.
func Payers() []string {
	return []string{PayerMedicare, PayerMedicaid, PayerKeystone, PayerSummit, PayerRiverside}
}

// Dataset is a generated practice: one clinic, its providers, patients and
// their coverages, the payers' member roster and two weeks of appointments
// with the visits they turn into. Everything in it is fictitious.
type Dataset struct {
	Seed     uint64
	Location *time.Location
	// Start is the Monday of the first week (midnight in Location).
	Start        time.Time
	Clinic       Clinic
	Providers    []Provider
	Patients     []Patient
	Roster       []paysim.Member
	Appointments []Appointment
}

// Clinic is the billing provider organization (Loop 2010AA).
type Clinic struct {
	Name        string
	NPI         string
	TaxID       string
	SubmitterID string
	Taxonomy    string
	Address     claim.Address
	Phone       string
}

// Provider is a rendering provider (Loop 2310B) and a calendar.
type Provider struct {
	NPI       string
	FirstName string
	LastName  string
	// Taxonomy is the NUCC provider taxonomy code (PRV03).
	Taxonomy  string
	Specialty string
	// MinAge and MaxAge bound the patients the provider sees (years).
	MinAge, MaxAge int
}

// Patient is a person of the practice with the coverages to bill.
type Patient struct {
	MRN       string
	FirstName string
	LastName  string
	BirthDate time.Time
	Sex       string
	Address   claim.Address
	Phone     string
	Coverages []Coverage
}

// Coverage is a patient's insurance with one payer. For a dependent the
// subscriber is the parent or spouse who holds the policy.
type Coverage struct {
	Payer       string
	MemberID    string
	GroupNumber string
	Priority    int
	// Relationship is SBR02/PAT01: 18 self, 19 child, 01 spouse.
	Relationship    string
	SubscriberFirst string
	SubscriberLast  string
	SubscriberBirth time.Time
	// Roster says how the payer knows the member: active, inactive
	// (terminated) or unknown (not on the payer's roster).
	Roster string
}

// Roster states of a coverage.
const (
	RosterActive   = "active"
	RosterInactive = "inactive"
	RosterUnknown  = "unknown"
)

// Appointment outcomes.
const (
	OutcomeCompleted = "completed"
	OutcomeNoShow    = "no_show"
	OutcomeCancelled = "cancelled"
)

// Appointment is one booking on a provider's calendar and what became of
// it. A cancelled slot is usually booked again by another patient.
type Appointment struct {
	Patient  int
	Provider int
	Start    time.Time
	Duration time.Duration
	Reason   string
	Outcome  string
	// Visit is the coding of a completed appointment.
	Visit *Visit
}

// Visit is the coding of a completed appointment: diagnoses in pointer
// order (Loop 2300 HI) and service lines (Loop 2400 SV1).
type Visit struct {
	Diagnoses []string
	Lines     []Line
	// Defect names the deliberate coding error of the visit, if any: the
	// scrubber is expected to catch it.
	Defect string
}

// Line is one service line.
type Line struct {
	Procedure string
	Modifiers []string
	Pointers  []int
	Units     int
}

// Deliberate coding errors, a small share of the visits.
const (
	DefectHeaderCode  = "header ICD-10-CM code"
	DefectPointer     = "diagnosis pointer past the last diagnosis"
	DefectModifier    = "invalid modifier"
	DefectNCCIMissing = "E/M with a procedure and no modifier 25"
)

// The demo runs on two weeks of business days inside the ICD-10-CM FY2026
// release (2025-10-01..2026-09-30): Monday 2026-09-14 to Friday 2026-09-25.
var (
	demoYear  = 2026
	demoMonth = time.September
	demoDay   = 14
)

// Slot length and working hours of the three calendars: a busy practice
// books ten-minute slots from 07:30 to 18:00 with a half-hour lunch.
const slotLength = 10 * time.Minute

var (
	morning   = [2]scheduling.Clock{scheduling.MustClock("07:30"), scheduling.MustClock("12:00")}
	afternoon = [2]scheduling.Clock{scheduling.MustClock("12:30"), scheduling.MustClock("18:00")}
)

// ProviderCalendar is the working week of every demo provider.
func ProviderCalendar() scheduling.Calendar {
	var c scheduling.Calendar
	c.SlotLength = slotLength
	for d := time.Monday; d <= time.Friday; d++ {
		c.Shifts = append(c.Shifts, scheduling.Shift{Weekday: d, Start: morning[0], End: morning[1]},
			scheduling.Shift{Weekday: d, Start: afternoon[0], End: afternoon[1]})
	}
	return c
}

// Generate builds the practice deterministically from seed: the same seed
// and sizes always give the same dataset. patients and appointments below
// the minimum of a plausible practice are raised to it (30 and 60).
func Generate(seed uint64, patients, appointments int) (*Dataset, error) {
	patients = max(patients, 30)
	appointments = max(appointments, 60)
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		// No tz database on the machine: the clinic keeps Eastern
		// daylight time, which holds for the whole of the demo weeks.
		loc = time.FixedZone("EDT", -4*3600)
	}
	g := &generator{
		r:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		d:    &Dataset{Seed: seed, Location: loc, Start: time.Date(demoYear, demoMonth, demoDay, 0, 0, 0, 0, loc)},
		used: make(map[string]bool),
	}
	g.clinic()
	g.providers()
	g.patients(patients)
	g.roster()
	if err := g.appointments(appointments); err != nil {
		return nil, err
	}
	g.retireePlans()
	return g.d, nil
}

type generator struct {
	r *rand.Rand
	d *Dataset
	// used keeps member IDs and NPIs unique.
	used map[string]bool
}

func (g *generator) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

func (g *generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

func (g *generator) unique(next func() string) string {
	for {
		s := next()
		if !g.used[s] {
			g.used[s] = true
			return s
		}
	}
}

func (g *generator) npi() string {
	return g.unique(func() string {
		stem := "1" + g.digits(8)
		d, _ := claim.NPICheckDigit(stem)
		return stem + string(d)
	})
}

// town is the one fictitious town of the practice.
var town = struct{ City, State, ZIP string }{"ALDER FALLS", "PA", "17899"}

var streets = []string{"MAIN ST", "OAK AVE", "MAPLE ST", "RIVER RD", "CHURCH ST", "MILL RD", "HILLSIDE DR",
	"CEDAR LN", "WALNUT ST", "SCHOOL ST", "ORCHARD WAY", "BIRCH CT", "PARK AVE", "SPRING ST", "QUARRY RD"}

func (g *generator) address() claim.Address {
	return claim.Address{Line1: fmt.Sprintf("%d %s", 10+g.r.IntN(980), g.pick(streets)), City: town.City, State: town.State,
		PostalCode: town.ZIP + fmt.Sprintf("%04d", 1000+g.r.IntN(8000))}
}

// phone is a number in the 555-01XX range set aside for fiction.
func (g *generator) phone() string { return fmt.Sprintf("570555%04d", 100+g.r.IntN(100)) }

func (g *generator) clinic() {
	g.d.Clinic = Clinic{
		Name:        "RIVERBEND FAMILY MEDICINE",
		NPI:         g.npi(),
		TaxID:       "46" + g.digits(7),
		SubmitterID: "CLEARHOUSE",
		Taxonomy:    "261QP2300X", // NUCC: clinic/center, primary care
		Address:     claim.Address{Line1: "100 MAIN ST", City: town.City, State: town.State, PostalCode: town.ZIP + "2210"},
		Phone:       "5705550100",
	}
}

func (g *generator) providers() {
	// NUCC taxonomy codes: 207Q00000X family medicine, 207R00000X internal
	// medicine, 208000000X pediatrics.
	g.d.Providers = []Provider{
		{NPI: g.npi(), FirstName: "HELEN", LastName: "MARSH", Taxonomy: "207Q00000X", Specialty: "family medicine", MinAge: 0, MaxAge: 120},
		{NPI: g.npi(), FirstName: "VIKRAM", LastName: "OSEI", Taxonomy: "207R00000X", Specialty: "internal medicine", MinAge: 18, MaxAge: 120},
		{NPI: g.npi(), FirstName: "LUCIA", LastName: "BRANDT", Taxonomy: "208000000X", Specialty: "pediatrics", MinAge: 0, MaxAge: 17},
	}
}

var (
	femaleNames = []string{"MARY", "ANNA", "EMMA", "OLIVIA", "GRACE", "CLARA", "RUTH", "NORA", "IRIS", "JUNE", "MAE",
		"ELLA", "ROSE", "HAZEL", "LILA", "VERA", "ALICE", "DORA", "FAYE", "GWEN", "IVY", "JOAN", "LENA", "MIRA", "NELL", "PAIGE", "TESS", "WREN"}
	maleNames = []string{"JOHN", "OWEN", "LEO", "HENRY", "JACK", "SAMUEL", "ELI", "FELIX", "GUS", "HUGO", "IRA", "JONAH",
		"KARL", "LEVI", "MILES", "NOAH", "OSCAR", "PAUL", "REID", "SETH", "TOBIAS", "VICTOR", "WADE", "AMOS", "BRUNO", "CALEB", "DEAN", "EMMETT"}
	lastNames = []string{"ABERNATHY", "BALDWIN", "CARVER", "DALTON", "ELLISON", "FENWICK", "GARLAND", "HOLLOWAY", "IVERSEN",
		"JENNINGS", "KESSLER", "LANGLEY", "MERCER", "NORWOOD", "OAKLEY", "PRESCOTT", "QUINLAN", "RADCLIFFE", "SUMNER",
		"THORNTON", "UPTON", "VANCE", "WHITLOCK", "YARBROUGH", "ZELLER", "ASHFORD", "BRANNIGAN", "COLLIER", "DEVERS",
		"EASTWICK", "FAIRLEY", "GODWIN", "HARTLEY", "INGRAM", "KILBRIDE", "LOCKHART", "MAYFIELD", "NETTLES", "ORTON", "PEMBERTON"}
)

// mbiLetters are the letters a Medicare Beneficiary Identifier uses (no S,
// L, O, I, B, Z).
const mbiLetters = "ACDEFGHJKMNPQRTUVWXY"

// mbi makes an identifier in the MBI format: C A AN N A AN N A A N N.
func (g *generator) mbi() string {
	return g.unique(func() string {
		an := func() byte {
			if g.r.IntN(2) == 0 {
				return mbiLetters[g.r.IntN(len(mbiLetters))]
			}
			return byte('0' + g.r.IntN(10))
		}
		a := func() byte { return mbiLetters[g.r.IntN(len(mbiLetters))] }
		n := func() byte { return byte('0' + g.r.IntN(10)) }
		return string([]byte{byte('1' + g.r.IntN(9)), a(), an(), n(), a(), an(), n(), a(), a(), n(), n()})
	})
}

// memberID makes a member ID in the payer's format (rules/payers/*.yaml:
// Summit wants SMT and nine digits, Medicare an MBI).
func (g *generator) memberID(payer string) string {
	switch payer {
	case PayerMedicare:
		return g.mbi()
	case PayerSummit:
		return g.unique(func() string { return "SMT" + g.digits(9) })
	case PayerKeystone:
		return g.unique(func() string { return "KH" + g.digits(9) })
	case PayerMedicaid:
		return g.unique(func() string { return "7" + g.digits(9) })
	}
	return g.unique(func() string { return "RV" + g.digits(8) })
}

func groupNumber(payer string, r *rand.Rand) string {
	switch payer {
	case PayerKeystone:
		return fmt.Sprintf("KHG%03d", 100+r.IntN(12))
	case PayerSummit:
		return fmt.Sprintf("SUMGRP%d", 1+r.IntN(9))
	}
	return ""
}

// rosterState draws how the payer knows a member: about 2% terminated and
// 1% unknown, so eligibility problems and rejections show up.
func (g *generator) rosterState() string {
	switch x := g.r.Float64(); {
	case x < 0.02:
		return RosterInactive
	case x < 0.03:
		return RosterUnknown
	}
	return RosterActive
}

// asOf is the reference date of ages: the first demo day.
func (g *generator) age(birth time.Time) int {
	ref := g.d.Start
	age := ref.Year() - birth.Year()
	if ref.YearDay() < birth.YearDay() {
		age--
	}
	return age
}

func (g *generator) person(minAge, maxAge int) (first, last, sex string, birth time.Time) {
	sex = "F"
	first = g.pick(femaleNames)
	if g.r.IntN(2) == 0 {
		sex, first = "M", g.pick(maleNames)
	}
	years := minAge + g.r.IntN(maxAge-minAge+1)
	birth = time.Date(demoYear-years-1, time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), 0, 0, 0, 0, time.UTC)
	if g.age(birth) > maxAge {
		birth = birth.AddDate(1, 0, 0)
	}
	return first, g.pick(lastNames), sex, birth
}

func (g *generator) patients(n int) {
	d := g.d
	for i := range n {
		var p Patient
		p.MRN = fmt.Sprintf("RB%06d", 1001+i)
		p.Phone = g.phone()
		x := g.r.Float64()
		switch {
		case x < 0.24: // a child
			p.FirstName, p.LastName, p.Sex, p.BirthDate = g.person(0, 17)
			p.Address = g.address()
			g.childCoverage(&p)
		case x < 0.80: // an adult under 65
			p.FirstName, p.LastName, p.Sex, p.BirthDate = g.person(18, 64)
			p.Address = g.address()
			y := g.r.Float64()
			payer := PayerKeystone
			switch {
			case y < 0.18:
				payer = PayerMedicaid
			case y < 0.58:
				payer = PayerSummit
			}
			g.selfCoverage(&p, payer, 1)
			// A few are also covered by a spouse's plan.
			if payer != PayerMedicaid && g.chance(0.04) {
				other := PayerSummit
				if payer == PayerSummit {
					other = PayerKeystone
				}
				spouse, _, _, birth := g.person(25, 64)
				p.Coverages = append(p.Coverages, Coverage{Payer: other, MemberID: g.memberID(other), GroupNumber: groupNumber(other, g.r),
					Priority: 2, Relationship: "01", SubscriberFirst: spouse, SubscriberLast: p.LastName, SubscriberBirth: birth, Roster: RosterActive})
			}
		default: // 65 and over: Medicare, some with Medicaid as secondary
			p.FirstName, p.LastName, p.Sex, p.BirthDate = g.person(65, 92)
			p.Address = g.address()
			g.selfCoverage(&p, PayerMedicare, 1)
			if g.chance(0.15) {
				g.selfCoverage(&p, PayerMedicaid, 2)
			}
		}
		d.Patients = append(d.Patients, p)
	}
}

func (g *generator) selfCoverage(p *Patient, payer string, priority int) {
	p.Coverages = append(p.Coverages, Coverage{Payer: payer, MemberID: g.memberID(payer), GroupNumber: groupNumber(payer, g.r),
		Priority: priority, Relationship: "18", SubscriberFirst: p.FirstName, SubscriberLast: p.LastName, SubscriberBirth: p.BirthDate,
		Roster: g.rosterState()})
}

// childCoverage covers a child on Medicaid or on a parent's commercial
// policy: the parent, an adult patient with commercial coverage, is the
// subscriber (relationship 19) and the child shares the family's name and
// address.
func (g *generator) childCoverage(p *Patient) {
	if g.chance(0.5) {
		var parents []int
		for i, q := range g.d.Patients {
			if len(q.Coverages) > 0 && q.Coverages[0].Relationship == "18" &&
				(q.Coverages[0].Payer == PayerKeystone || q.Coverages[0].Payer == PayerSummit) && g.age(q.BirthDate) >= 22 && g.age(q.BirthDate) < 60 {
				parents = append(parents, i)
			}
		}
		if len(parents) > 0 {
			parent := g.d.Patients[parents[g.r.IntN(len(parents))]]
			pc := parent.Coverages[0]
			p.LastName, p.Address = parent.LastName, parent.Address
			p.Coverages = append(p.Coverages, Coverage{Payer: pc.Payer, MemberID: pc.MemberID, GroupNumber: pc.GroupNumber, Priority: 1,
				Relationship: "19", SubscriberFirst: pc.SubscriberFirst, SubscriberLast: pc.SubscriberLast, SubscriberBirth: pc.SubscriberBirth,
				Roster: pc.Roster})
			return
		}
	}
	g.selfCoverage(p, PayerMedicaid, 1)
}

// retireePlans gives some dual-eligible patients (Medicare primary,
// Medicaid secondary) an employer retiree plan as well: the retiree plan
// becomes the secondary payer and Medicaid, the payer of last resort, the
// tertiary, so the demo bills tertiary claims. It draws last, after the
// appointments, so the rest of the dataset is the same with or without it.
func (g *generator) retireePlans() {
	d := g.d
	for pi := range d.Patients {
		p := &d.Patients[pi]
		if len(p.Coverages) != 2 || p.Coverages[0].Payer != PayerMedicare || p.Coverages[1].Payer != PayerMedicaid || !g.chance(0.7) {
			continue
		}
		payer := PayerSummit
		if g.chance(0.4) {
			payer = PayerKeystone
		}
		retiree := Coverage{Payer: payer, MemberID: g.memberID(payer), GroupNumber: groupNumber(payer, g.r), Priority: 2, Relationship: "18",
			SubscriberFirst: p.FirstName, SubscriberLast: p.LastName, SubscriberBirth: p.BirthDate, Roster: RosterActive}
		p.Coverages[1].Priority = 3
		p.Coverages = []Coverage{p.Coverages[0], retiree, p.Coverages[1]}
		// Retiree plans share cost like the commercial ones (see roster),
		// with a deductible that is often not yet met.
		d.Roster = append(d.Roster, paysim.Member{Payer: payer, MemberID: retiree.MemberID, LastName: p.LastName, FirstName: p.FirstName,
			BirthDate: claim.DateOf(p.BirthDate), Gender: p.Sex, Active: true, Plan: retireePlan[payer], InsuranceType: "C1",
			GroupNumber: retiree.GroupNumber, CoverageBegin: claim.DateOf(time.Date(demoYear, time.January, 1, 0, 0, 0, 0, time.UTC)),
			CostSharing: paysim.CostSharing{CopayCents: 2500, CoinsurancePercent: 20, DeductibleRemainingCents: int64(1+g.r.IntN(4)) * 25000}})
	}
}

// retireePlan names the retiree plans (EB05).
var retireePlan = map[string]string{PayerKeystone: "KEYSTONE RETIREE PPO", PayerSummit: "SUMMIT RETIREE CHOICE"}

// roster builds the payers' member rosters from the coverages: subscribers
// with their dependents; unknown members are left out.
func (g *generator) roster() {
	d := g.d
	type key struct{ payer, member string }
	index := make(map[key]int)
	plans := map[string]struct{ plan, kind string }{
		PayerMedicare: {"MEDICARE PART B", "MB"}, PayerMedicaid: {"MEDICAL ASSISTANCE", "MC"},
		PayerKeystone: {"KEYSTONE PPO", "C1"}, PayerSummit: {"SUMMIT CHOICE", "C1"},
	}
	for _, p := range d.Patients {
		for _, c := range p.Coverages {
			if c.Roster == RosterUnknown {
				continue
			}
			k := key{c.Payer, c.MemberID}
			i, ok := index[k]
			if !ok {
				copay, coins := int64(2500), int64(20)
				switch c.Payer {
				case PayerMedicaid:
					copay, coins = 0, 0
				case PayerMedicare:
					copay = 0
				}
				sub := paysim.Member{Payer: c.Payer, MemberID: c.MemberID, LastName: c.SubscriberLast, FirstName: c.SubscriberFirst,
					BirthDate: claim.DateOf(c.SubscriberBirth), Active: c.Roster == RosterActive, Plan: plans[c.Payer].plan,
					InsuranceType: plans[c.Payer].kind, GroupNumber: c.GroupNumber,
					CoverageBegin: claim.DateOf(time.Date(demoYear, time.January, 1, 0, 0, 0, 0, time.UTC)),
					CostSharing:   paysim.CostSharing{CopayCents: copay, CoinsurancePercent: coins, DeductibleRemainingCents: int64(g.r.IntN(4)) * 25000},
				}
				if c.Roster == RosterInactive {
					sub.CoverageEnd = claim.DateOf(time.Date(demoYear, time.June, 30, 0, 0, 0, 0, time.UTC))
				}
				if c.Relationship == "18" {
					sub.Gender = p.Sex
				}
				d.Roster = append(d.Roster, sub)
				i = len(d.Roster) - 1
				index[k] = i
			}
			if c.Relationship != "18" {
				d.Roster[i].Dependents = append(d.Roster[i].Dependents, paysim.Dependent{Relationship: c.Relationship,
					LastName: p.LastName, FirstName: p.FirstName, BirthDate: claim.DateOf(p.BirthDate), Gender: p.Sex})
			}
		}
	}
}

// appointments fills the three calendars over ten business days with n
// bookings: each slot holds one appointment, and when the book asks for
// more than there are slots, some slots hold a cancelled appointment and
// the one booked in its place.
func (g *generator) appointments(n int) error {
	d := g.d
	var days []time.Time
	for day := d.Start; len(days) < 10; day = day.AddDate(0, 0, 1) {
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days = append(days, day)
		}
	}
	type slot struct {
		provider int
		start    time.Time
	}
	var slots []slot
	for _, day := range days {
		for pi := range d.Providers {
			for _, shift := range [][2]scheduling.Clock{morning, afternoon} {
				for m := int(shift[0]); m+int(slotLength/time.Minute) <= int(shift[1]); m += int(slotLength / time.Minute) {
					slots = append(slots, slot{pi, day.Add(time.Duration(m) * time.Minute)})
				}
			}
		}
	}
	if n > 2*len(slots) {
		return fmt.Errorf("demo: %d appointments do not fit %d slots of three calendars over two weeks", n, len(slots))
	}
	// Patients each provider sees.
	seen := make([][]int, len(d.Providers))
	for pi, pr := range d.Providers {
		for i, p := range d.Patients {
			if a := g.age(p.BirthDate); a >= pr.MinAge && a <= pr.MaxAge {
				seen[pi] = append(seen[pi], i)
			}
		}
		if len(seen[pi]) == 0 {
			return fmt.Errorf("demo: no patient of the ages %s sees", pr.Specialty)
		}
	}
	visited := make(map[int]bool)
	remaining := n
	for si, s := range slots {
		left := len(slots) - si
		rows := 0
		switch {
		case remaining > left:
			// More bookings than slots: cancel and rebook this one with
			// the probability that spreads the surplus evenly.
			rows = 1
			if g.r.IntN(left) < remaining-left {
				rows = 2
			}
		case remaining > 0 && g.r.IntN(left) < remaining:
			rows = 1
			// Some patients cancel anyway and the slot is booked again.
			if remaining >= 2 && g.chance(0.05) {
				rows = 2
			}
		}
		for k := range rows {
			pool := seen[s.provider]
			pi := pool[g.r.IntN(len(pool))]
			a := Appointment{Patient: pi, Provider: s.provider, Start: s.start, Duration: slotLength}
			switch {
			case k == 0 && rows == 2:
				a.Outcome = OutcomeCancelled
			case g.chance(0.05):
				a.Outcome = OutcomeNoShow
			default:
				a.Outcome = OutcomeCompleted
			}
			a.Visit, a.Reason = g.visit(pi, s.provider, !visited[pi])
			if a.Outcome == OutcomeCompleted {
				visited[pi] = true
			} else {
				a.Visit = nil
			}
			d.Appointments = append(d.Appointments, a)
			remaining--
		}
	}
	slices.SortStableFunc(d.Appointments, func(a, b Appointment) int { return a.Start.Compare(b.Start) })
	return nil
}
