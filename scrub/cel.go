package scrub

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/clearhouse/clearhouse/claim"
)

// RuleClaim is the claim as rule expressions see it: the variable `claim`.
// It flattens the claim model into the fields payer rules test, named in
// snake_case. Dates are "YYYY-MM-DD" strings (they compare in date order),
// money is integer cents, units are whole units (rounded up).
type RuleClaim struct {
	ID                      string   `cel:"id"`
	Kind                    string   `cel:"kind"`                       // 837P or 837I
	PatientControlNumber    string   `cel:"patient_control_number"`     // CLM01
	TotalChargeCents        int64    `cel:"total_charge_cents"`         // CLM02
	PlaceOfService          string   `cel:"place_of_service"`           // CLM05-1 (837P)
	FacilityType            string   `cel:"facility_type"`              // CLM05-1 (837I)
	FrequencyCode           string   `cel:"frequency_code"`             // CLM05-3
	PayerID                 string   `cel:"payer_id"`                   // 2010BB NM109
	PayerName               string   `cel:"payer_name"`                 // 2010BB NM103
	PayerResponsibility     string   `cel:"payer_responsibility"`       // SBR01
	ClaimFilingIndicator    string   `cel:"claim_filing_indicator"`     // SBR09
	GroupNumber             string   `cel:"group_number"`               // SBR03
	MemberID                string   `cel:"member_id"`                  // 2010BA NM109
	PriorAuthorization      string   `cel:"prior_authorization"`        // REF*G1
	ReferralNumber          string   `cel:"referral_number"`            // REF*9F
	PayerClaimControlNumber string   `cel:"payer_claim_control_number"` // REF*F8
	DelayReason             string   `cel:"delay_reason"`               // CLM20
	AccidentState           string   `cel:"accident_state"`             // CLM11-4
	RelatedCauses           []string `cel:"related_causes"`             // CLM11-1..3
	AdmissionType           string   `cel:"admission_type"`             // CL101
	PatientStatus           string   `cel:"patient_status"`             // CL103

	PatientIsSubscriber bool   `cel:"patient_is_subscriber"`
	PatientLastName     string `cel:"patient_last_name"`
	PatientFirstName    string `cel:"patient_first_name"`
	PatientBirthDate    string `cel:"patient_birth_date"`
	PatientGender       string `cel:"patient_gender"`
	PatientState        string `cel:"patient_state"`
	// PatientAge is the patient's age in whole years on the first date of
	// service (-1 when the birth date or the service date is missing).
	PatientAge int64 `cel:"patient_age"`

	BillingNPI         string `cel:"billing_npi"`
	BillingTaxonomy    string `cel:"billing_taxonomy"`
	BillingTaxID       string `cel:"billing_tax_id"`
	BillingState       string `cel:"billing_state"`
	BillingPostalCode  string `cel:"billing_postal_code"`
	RenderingNPI       string `cel:"rendering_npi"`
	RenderingTaxonomy  string `cel:"rendering_taxonomy"`
	ReferringNPI       string `cel:"referring_npi"`
	AttendingNPI       string `cel:"attending_npi"`
	ServiceFacilityNPI string `cel:"service_facility_npi"`

	ServiceFrom string `cel:"service_from"` // first date of service
	ServiceTo   string `cel:"service_to"`   // last date of service
	// Today is the submission date (Options.Today).
	Today string `cel:"today"`

	Diagnoses      []string   `cel:"diagnoses"` // ICD-10-CM codes in HI order
	OtherPayers    int64      `cel:"other_payer_count"`
	Lines          []RuleLine `cel:"lines"`
	ProcedureCodes []string   `cel:"procedure_codes"` // every line's procedure code
}

// RuleLine is a service line as rule expressions see it: an element of
// claim.lines, and the variable `line` in rules with scope line.
type RuleLine struct {
	Number         int64    `cel:"number"` // 1-based, LX01
	Procedure      string   `cel:"procedure"`
	Modifiers      []string `cel:"modifiers"`
	RevenueCode    string   `cel:"revenue_code"`
	ChargeCents    int64    `cel:"charge_cents"`
	Units          int64    `cel:"units"`
	UnitsMilli     int64    `cel:"units_milli"` // thousandths of a unit, exact
	UnitType       string   `cel:"unit_type"`
	PlaceOfService string   `cel:"place_of_service"` // the line's, else the claim's
	ServiceDate    string   `cel:"service_date"`
	ServiceDateEnd string   `cel:"service_date_end"`
	Pointers       []int64  `cel:"diagnosis_pointers"`
	// Diagnoses are the codes the pointers point at.
	Diagnoses    []string `cel:"diagnoses"`
	NDC          string   `cel:"ndc"`
	RenderingNPI string   `cel:"rendering_npi"`
}

// reset empties v for reuse, keeping its slices' storage.
func (v *RuleClaim) reset() {
	lines := v.Lines[:0]
	for i := range v.Lines {
		v.Lines[i] = RuleLine{Modifiers: v.Lines[i].Modifiers[:0], Pointers: v.Lines[i].Pointers[:0], Diagnoses: v.Lines[i].Diagnoses[:0]}
	}
	*v = RuleClaim{Diagnoses: v.Diagnoses[:0], Lines: lines, ProcedureCodes: v.ProcedureCodes[:0], RelatedCauses: v.RelatedCauses[:0]}
}

// dateStrings formats dates as claim.Date.String does, remembering the
// last few: a claim's lines mostly share their dates, and consecutive
// claims the submission date.
type dateStrings struct {
	dates [8]claim.Date
	strs  [8]string
	next  int
}

func (ds *dateStrings) format(d claim.Date) string {
	if d.IsZero() {
		return ""
	}
	for i := range ds.dates {
		if ds.dates[i] == d && ds.strs[i] != "" {
			return ds.strs[i]
		}
	}
	s := formatDate(d)
	ds.dates[ds.next], ds.strs[ds.next] = d, s
	ds.next = (ds.next + 1) % len(ds.dates)
	return s
}

// formatDate is d.String() without fmt.
func formatDate(d claim.Date) string {
	y, m, day := d.Year, int(d.Month), d.Day
	if y < 0 || y > 9999 || m < 0 || m > 99 || day < 0 || day > 99 {
		return d.String()
	}
	b := [10]byte{
		byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + day/10), byte('0' + day%10),
	}
	return string(b[:])
}

// fill copies the claim into v; dates come from ds.
func (v *RuleClaim) fill(c *claim.Claim, payerID string, today claim.Date, ds *dateStrings) {
	dateString := ds.format
	v.ID = c.ID
	v.Kind = string(c.Kind)
	v.PatientControlNumber = c.PatientControlNumber
	v.TotalChargeCents = c.TotalChargeCents
	v.PlaceOfService = c.PlaceOfService
	v.FacilityType = c.FacilityType
	v.FrequencyCode = c.FrequencyCode
	v.PayerID = payerID
	v.PayerName = c.Payer.Name
	s := &c.Subscriber
	v.PayerResponsibility = s.PayerResponsibility
	v.ClaimFilingIndicator = s.ClaimFilingIndicator
	v.GroupNumber = s.GroupNumber
	v.MemberID = s.MemberID
	v.PriorAuthorization = c.PriorAuthorization
	v.ReferralNumber = c.ReferralNumber
	v.PayerClaimControlNumber = c.PayerClaimControlNumber
	v.DelayReason = c.DelayReason
	v.AccidentState = c.AccidentState
	v.RelatedCauses = append(v.RelatedCauses, c.RelatedCauses...)
	v.AdmissionType = c.AdmissionType
	v.PatientStatus = c.PatientStatus

	v.PatientIsSubscriber = c.Patient == nil
	v.PatientLastName, v.PatientFirstName = c.PatientName()
	birth := c.PatientBirthDate()
	v.PatientBirthDate = dateString(birth)
	addr := s.Address
	v.PatientGender = s.Gender
	if c.Patient != nil {
		v.PatientGender = c.Patient.Gender
		addr = c.Patient.Address
	}
	if addr != nil {
		v.PatientState = addr.State
	}
	b := &c.BillingProvider
	v.BillingNPI, v.BillingTaxonomy, v.BillingTaxID = b.NPI, b.Taxonomy, b.TaxID
	if b.Address != nil {
		v.BillingState, v.BillingPostalCode = b.Address.State, b.Address.PostalCode
	}
	if c.Rendering != nil {
		v.RenderingNPI, v.RenderingTaxonomy = c.Rendering.NPI, c.Rendering.Taxonomy
	}
	if c.Referring != nil {
		v.ReferringNPI = c.Referring.NPI
	}
	if c.Attending != nil {
		v.AttendingNPI = c.Attending.NPI
	}
	if c.ServiceFacility != nil {
		v.ServiceFacilityNPI = c.ServiceFacility.NPI
	}
	from, to := c.ServiceSpan()
	v.ServiceFrom, v.ServiceTo = dateString(from), dateString(to)
	v.Today = dateString(today)
	v.PatientAge = -1
	if !birth.IsZero() && !from.IsZero() {
		age := from.Year - birth.Year
		if from.Month < birth.Month || from.Month == birth.Month && from.Day < birth.Day {
			age--
		}
		v.PatientAge = int64(age)
	}
	for i := range c.Diagnoses {
		v.Diagnoses = append(v.Diagnoses, c.Diagnoses[i].Code)
	}
	v.OtherPayers = int64(len(c.OtherPayers))
	if cap(v.Lines) < len(c.Lines) {
		v.Lines = append(v.Lines[:cap(v.Lines)], make([]RuleLine, len(c.Lines)-cap(v.Lines))...)
	}
	v.Lines = v.Lines[:len(c.Lines)]
	for i := range c.Lines {
		l := &c.Lines[i]
		rl := &v.Lines[i]
		rl.Number = int64(i + 1)
		rl.Procedure = l.ProcedureCode
		rl.Modifiers = append(rl.Modifiers[:0], l.Modifiers...)
		rl.RevenueCode = l.RevenueCode
		rl.ChargeCents = l.ChargeCents
		rl.UnitsMilli = int64(l.Units)
		rl.Units = (int64(l.Units) + 999) / 1000
		rl.UnitType = l.UnitType
		rl.PlaceOfService = l.PlaceOfService
		if rl.PlaceOfService == "" {
			rl.PlaceOfService = c.PlaceOfService
		}
		rl.ServiceDate = dateString(l.ServiceDate)
		rl.ServiceDateEnd = dateString(l.ServiceDateEnd)
		if rl.ServiceDateEnd == "" {
			rl.ServiceDateEnd = rl.ServiceDate
		}
		rl.Pointers = rl.Pointers[:0]
		rl.Diagnoses = rl.Diagnoses[:0]
		for _, p := range l.DiagnosisPointers {
			rl.Pointers = append(rl.Pointers, int64(p))
			if p >= 1 && p <= len(c.Diagnoses) {
				rl.Diagnoses = append(rl.Diagnoses, c.Diagnoses[p-1].Code)
			}
		}
		if l.Drug != nil {
			rl.NDC = l.Drug.NDC
		}
		if l.Rendering != nil {
			rl.RenderingNPI = l.Rendering.NPI
		}
		v.ProcedureCodes = append(v.ProcedureCodes, l.ProcedureCode)
	}
}

// ruleEnv is the CEL environment of rule expressions: the variables claim
// (RuleClaim) and, for line rules, line (RuleLine).
type ruleEnv struct {
	claimEnv *cel.Env
	lineEnv  *cel.Env
	types    *ruleTypes
}

const (
	claimTypeName = "scrub.RuleClaim"
	lineTypeName  = "scrub.RuleLine"
)

func newRuleEnv() (*ruleEnv, error) {
	base := []cel.EnvOption{
		ext.NativeTypes(reflect.TypeFor[RuleClaim](), reflect.TypeFor[RuleLine](), ext.ParseStructTags(true)),
		directFieldAccess(),
		ext.Strings(),
		cel.CrossTypeNumericComparisons(true),
		cel.Variable("claim", cel.ObjectType(claimTypeName)),
	}
	ce, err := cel.NewEnv(base...)
	if err != nil {
		return nil, fmt.Errorf("scrub: rule environment: %w", err)
	}
	le, err := ce.Extend(cel.Variable("line", cel.ObjectType(lineTypeName)))
	if err != nil {
		return nil, fmt.Errorf("scrub: rule environment: %w", err)
	}
	rt, ok := ce.CELTypeProvider().(*ruleTypes)
	if !ok {
		return nil, fmt.Errorf("scrub: rule environment: type provider %T", ce.CELTypeProvider())
	}
	return &ruleEnv{claimEnv: ce, lineEnv: le, types: rt}, nil
}

// compiledRule is a rule with its program.
type compiledRule struct {
	rule *Rule
	file *RuleFile
	prg  cel.Program
}

// compile type-checks one rule's expression: it must be a bool.
func (e *ruleEnv) compile(f *RuleFile, r *Rule) (*compiledRule, error) {
	env := e.claimEnv
	if r.Scope == ScopeLine {
		env = e.lineEnv
	}
	ast, iss := env.Compile(r.When)
	if iss != nil && iss.Err() != nil {
		return nil, &RuleError{File: f.Name, Line: r.line, RuleID: r.ID, Err: fmt.Errorf("%w: when: %s", ErrRule, strings.TrimSpace(iss.Err().Error()))}
	}
	if !ast.OutputType().IsExactType(types.BoolType) {
		return nil, &RuleError{File: f.Name, Line: r.line, RuleID: r.ID, Err: fmt.Errorf("%w: when: the expression is %s, want bool", ErrRule, ast.OutputType())}
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, &RuleError{File: f.Name, Line: r.line, RuleID: r.ID, Err: fmt.Errorf("%w: %v", ErrRule, err)}
	}
	return &compiledRule{rule: r, file: f, prg: prg}, nil
}

func (e *ruleEnv) compileFile(f *RuleFile) ([]*compiledRule, error) {
	var (
		out  []*compiledRule
		errs []error
	)
	for i := range f.Rules {
		cr, err := e.compile(f, &f.Rules[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, cr)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return out, nil
}

// newView returns an empty view for the pool.
func (e *ruleEnv) newView() *ruleView { return &ruleView{types: e.types} }

// activation binds claim and line without a map, to the views that the
// type provider's getters read.
type activation struct {
	claim *ruleView
	line  *lineView
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "claim":
		return a.claim, true
	case "line":
		if a.line != nil {
			return a.line, true
		}
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// runRules evaluates the profile's rules over the claim's view. The
// findings come in rule order, a line rule's in line order.
//
// Line rules run line by line, all of a line's rules together, so a claim
// of many lines is walked once while each line's view is at hand, not once
// per rule; their findings are then put back in rule order.
func (k *checker) runRules(v *ruleView) {
	act := &v.act
	act.claim = v
	if v.frame == nil {
		// The view's frame binds its activation; passed to Eval it is used
		// as is, instead of a frame taken from and returned to cel-go's
		// pool at every evaluation.
		v.frame, _ = interpreter.NewExecutionFrame(act)
	}
	var input any = act
	if v.frame != nil {
		input = v.frame
	}
	hits := v.lineHits[:0]
	for i := range v.lines {
		act.line = &v.lines[i]
		for _, ri := range k.prof.lineRules {
			if f, ok := k.evalRule(k.prof.rules[ri], input, i+1); ok {
				hits = append(hits, lineHit{rule: ri, finding: f})
			}
		}
	}
	if len(hits) > 1 {
		slices.SortStableFunc(hits, func(a, b lineHit) int { return cmp.Compare(a.rule, b.rule) })
	}
	act.line = nil
	h := 0
	for ri, cr := range k.prof.rules {
		if cr.rule.Scope == ScopeLine {
			for ; h < len(hits) && hits[h].rule == ri; h++ {
				k.out = append(k.out, hits[h].finding)
			}
			continue
		}
		if f, ok := k.evalRule(cr, input, 0); ok {
			k.out = append(k.out, f)
		}
	}
	clear(hits)
	v.lineHits = hits[:0]
}

// lineHit is a finding of the line rule at index rule of the profile.
type lineHit struct {
	rule    int
	finding Finding
}

// evalRule evaluates one rule; input is the view's frame or activation. It
// returns the rule's finding, if it raises one.
func (k *checker) evalRule(cr *compiledRule, input any, line int) (Finding, bool) {
	r := cr.rule
	out, _, err := cr.prg.Eval(input)
	loc := r.Location
	loc.Line = line
	if err != nil {
		return Finding{ClaimID: k.claimID, PatientControlNumber: k.c.PatientControlNumber,
			RuleID: r.ID, SNIP: r.SNIP, Severity: Warn, Message: "rule could not be evaluated: " + err.Error(),
			Location: loc, Fix: "Correct the rule in " + cr.file.Name, Source: cr.file.Name}, true
	}
	if out != types.True {
		return Finding{}, false
	}
	return Finding{ClaimID: k.claimID, PatientControlNumber: k.c.PatientControlNumber,
		RuleID: r.ID, SNIP: r.SNIP, Severity: r.Severity, Message: r.Message,
		Location: loc, Fix: r.Fix, Source: cr.file.Name}, true
}
