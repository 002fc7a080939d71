package demo

import "slices"

// problem is a reason for a visit: its ICD-10-CM codes (FY2026, billable,
// without dots) and the services that go with it beyond the E/M visit.
type problem struct {
	reason    string
	diagnoses []string
	// extras are added lines, each with its diagnosis pointers; chance is
	// the share of visits that get them.
	extras []Line
	chance float64
	// minAge and maxAge bound who has it.
	minAge, maxAge int
	// procedure is true when an extra is a procedure the E/M must be
	// separated from with modifier 25 (NCCI).
	procedure bool
}

// problems are the practice's common reasons for a visit.
var problems = []problem{
	{reason: "sore throat", diagnoses: []string{"J020"}, extras: []Line{{Procedure: "87880", Modifiers: []string{"QW"}, Pointers: []int{1}}}, chance: 0.8, maxAge: 120},
	{reason: "cold symptoms", diagnoses: []string{"J069", "R509"}, extras: []Line{{Procedure: "87880", Modifiers: []string{"QW"}, Pointers: []int{1}}}, chance: 0.3, maxAge: 120},
	{reason: "cough", diagnoses: []string{"R051", "J069"}, maxAge: 120},
	{reason: "ear pain", diagnoses: []string{"H6690"}, maxAge: 17},
	{reason: "rash", diagnoses: []string{"L309"}, maxAge: 120},
	{reason: "asthma follow-up", diagnoses: []string{"J4520"}, maxAge: 120},
	{reason: "hypertension follow-up", diagnoses: []string{"I10"}, minAge: 30, maxAge: 120},
	{reason: "diabetes follow-up", diagnoses: []string{"E119", "I10"}, extras: []Line{{Procedure: "36415", Pointers: []int{1}}, {Procedure: "83036", Pointers: []int{1}}}, chance: 0.6, minAge: 30, maxAge: 120, procedure: true},
	{reason: "cholesterol check", diagnoses: []string{"E785"}, extras: []Line{{Procedure: "36415", Pointers: []int{1}}, {Procedure: "80061", Pointers: []int{1}}}, chance: 0.7, minAge: 30, maxAge: 120, procedure: true},
	{reason: "thyroid follow-up", diagnoses: []string{"E039"}, extras: []Line{{Procedure: "36415", Pointers: []int{1}}, {Procedure: "84443", Pointers: []int{1}}}, chance: 0.7, minAge: 18, maxAge: 120, procedure: true},
	{reason: "low back pain", diagnoses: []string{"M5450"}, minAge: 18, maxAge: 120},
	{reason: "knee pain", diagnoses: []string{"M1711"}, extras: []Line{{Procedure: "20610", Modifiers: []string{"RT"}, Pointers: []int{1}}}, chance: 0.5, minAge: 45, maxAge: 120, procedure: true},
	{reason: "urinary symptoms", diagnoses: []string{"N390", "R300"}, extras: []Line{{Procedure: "81002", Pointers: []int{1, 2}}}, chance: 0.9, minAge: 12, maxAge: 120},
	{reason: "heartburn", diagnoses: []string{"K219"}, minAge: 18, maxAge: 120},
	{reason: "anxiety", diagnoses: []string{"F419"}, minAge: 12, maxAge: 120},
	{reason: "allergies", diagnoses: []string{"J309"}, maxAge: 120},
	{reason: "chest pain", diagnoses: []string{"R079", "I10"}, extras: []Line{{Procedure: "93000", Pointers: []int{1}}}, chance: 0.8, minAge: 35, maxAge: 120, procedure: true},
	{reason: "insomnia", diagnoses: []string{"G4700"}, minAge: 18, maxAge: 120},
	{reason: "constipation", diagnoses: []string{"K5900"}, maxAge: 120},
}

// headerOf is the category (header) code of a billable code, which is not
// billable itself: the deliberate error the scrubber must catch.
var headerOf = map[string]string{"J020": "J02", "J069": "J06", "E119": "E11", "M5450": "M545", "I10": "I1", "E785": "E78", "K219": "K21"}

// badModifier is no CPT or HCPCS modifier.
const badModifier = "3X"

// wellChild is the preventive visit code by age (CPT 99391-99394).
func wellChild(age int) string {
	switch {
	case age < 1:
		return "99391"
	case age < 5:
		return "99392"
	case age < 12:
		return "99393"
	}
	return "99394"
}

// visit codes a completed appointment: a problem visit (E/M level weighted
// toward 99213-99214, new patients 99202-99204), a well-child visit, an
// annual wellness visit for Medicare patients, or a flu shot; a few per
// hundred carry a deliberate coding error.
func (g *generator) visit(patient, provider int, first bool) (*Visit, string) {
	p := g.d.Patients[patient]
	age := g.age(p.BirthDate)
	primary := p.Coverages[0].Payer
	v := &Visit{}
	switch x := g.r.Float64(); {
	case age < 18 && x < 0.22:
		v.Diagnoses = []string{"Z00129"}
		v.Lines = []Line{{Procedure: wellChild(age), Pointers: []int{1}}}
		if g.chance(0.5) {
			v.Diagnoses = append(v.Diagnoses, "Z23")
			v.Lines = append(v.Lines, Line{Procedure: "90471", Pointers: []int{2}}, Line{Procedure: "90686", Pointers: []int{2}})
		}
		return g.defect(v), "well-child visit"
	case primary == PayerMedicare && x < 0.12:
		v.Diagnoses = []string{"Z0000"}
		v.Lines = []Line{{Procedure: "G0439", Pointers: []int{1}}}
		return g.defect(v), "annual wellness visit"
	case age >= 18 && x < 0.05:
		v.Diagnoses = []string{"Z23"}
		v.Lines = []Line{{Procedure: "90471", Pointers: []int{1}}, {Procedure: "90686", Pointers: []int{1}}}
		return g.defect(v), "flu shot"
	}
	var pool []problem
	for _, pr := range problems {
		if age >= pr.minAge && age <= pr.maxAge {
			pool = append(pool, pr)
		}
	}
	pr := pool[g.r.IntN(len(pool))]
	v.Diagnoses = slices.Clone(pr.diagnoses)
	em := Line{Procedure: g.emLevel(first), Pointers: make([]int, len(pr.diagnoses))}
	for i := range em.Pointers {
		em.Pointers[i] = i + 1
	}
	v.Lines = []Line{em}
	if len(pr.extras) > 0 && g.chance(pr.chance) {
		for _, l := range pr.extras {
			l.Modifiers = slices.Clone(l.Modifiers)
			l.Pointers = slices.Clone(l.Pointers)
			v.Lines = append(v.Lines, l)
		}
		if pr.procedure {
			v.Lines[0].Modifiers = []string{"25"}
		}
	}
	return g.defect(v), pr.reason
}

// emLevel draws an office visit level.
func (g *generator) emLevel(first bool) string {
	x := g.r.Float64()
	if first && g.chance(0.25) {
		switch {
		case x < 0.3:
			return "99202"
		case x < 0.8:
			return "99203"
		}
		return "99204"
	}
	switch {
	case x < 0.1:
		return "99212"
	case x < 0.6:
		return "99213"
	case x < 0.92:
		return "99214"
	}
	return "99215"
}

// defect puts a deliberate coding error into about 4% of the visits.
func (g *generator) defect(v *Visit) *Visit {
	if !g.chance(0.04) {
		return v
	}
	switch g.r.IntN(4) {
	case 0:
		if h, ok := headerOf[v.Diagnoses[0]]; ok {
			v.Diagnoses[0] = h
			v.Defect = DefectHeaderCode
			return v
		}
		fallthrough
	case 1:
		last := len(v.Lines) - 1
		v.Lines[last].Pointers = append(v.Lines[last].Pointers, len(v.Diagnoses)+1)
		v.Defect = DefectPointer
	case 2:
		v.Lines[0].Modifiers = append(v.Lines[0].Modifiers, badModifier)
		v.Defect = DefectModifier
	default:
		// The sample NCCI pairs of the embedded edit file put 99213 with
		// 36415 and 20610 with 99213 (codes/data/ncci_ptp_*).
		if v.Lines[0].Procedure == "99213" && slices.ContainsFunc(v.Lines[1:], func(l Line) bool { return l.Procedure == "36415" || l.Procedure == "20610" }) {
			v.Lines[0].Modifiers = nil
			v.Defect = DefectNCCIMissing
			return v
		}
		v.Lines[0].Modifiers = append(v.Lines[0].Modifiers, badModifier)
		v.Defect = DefectModifier
	}
	return v
}
