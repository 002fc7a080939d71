package scrub

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"

	"github.com/clearhouse/clearhouse/claim"
)

// ruleTypes is the type provider of rule expressions. It keeps the types,
// field names and field types that ext.NativeTypes derives from RuleClaim
// and RuleLine, so expressions type-check exactly as before, but reads the
// fields of a *RuleClaim or *RuleLine directly and returns ready-made CEL
// values instead of going through reflection for every field access. Any
// other operand, and every operation on the returned values that rules do
// not use in practice (conversion, equality of whole lists or objects,
// concatenation), falls back to the native provider's values, so the
// results are the same.
type ruleTypes struct {
	types.Provider
	adapter types.Adapter
	// claimFields and lineFields are the field types with direct getters.
	claimFields map[string]*types.FieldType
	lineFields  map[string]*types.FieldType
	// lineType is the CEL type of a RuleLine value.
	lineType ref.Type
}

// directFieldAccess returns the option that installs ruleTypes over the
// environment's native provider; it must follow ext.NativeTypes.
func directFieldAccess() cel.EnvOption {
	return func(env *cel.Env) (*cel.Env, error) {
		p := &ruleTypes{Provider: env.CELTypeProvider(), adapter: env.CELTypeAdapter()}
		p.lineType = p.adapter.NativeToValue(RuleLine{}).Type()
		var err error
		if p.claimFields, err = p.fields(claimTypeName, claimGetters()); err != nil {
			return nil, err
		}
		if p.lineFields, err = p.fields(lineTypeName, lineGetters()); err != nil {
			return nil, err
		}
		env, err = cel.CustomTypeProvider(p)(env)
		if err != nil {
			return nil, err
		}
		return cel.CustomTypeAdapter(viewAdapter{p})(env)
	}
}

// viewAdapter is the type adapter of rule expressions: the native adapter,
// except for the views bound to `claim` and `line`: the claim becomes the
// native object of its RuleClaim, as before views, and the line the same
// kind of value as an element of claim.lines, so the two compare alike.
type viewAdapter struct{ types *ruleTypes }

// NativeToValue implements types.Adapter.
func (a viewAdapter) NativeToValue(v any) ref.Val {
	switch v := v.(type) {
	case *ruleView:
		return a.types.adapter.NativeToValue(&v.claim)
	case *lineView:
		return lineValue{v}
	}
	return a.types.adapter.NativeToValue(v)
}

// fields wraps the native field types of typeName with the getters: each
// field gets a slot in the view's value cache, so a field is converted at
// most once per claim (per line for line fields). get reads the view (a
// *ruleView or *lineView) behind obj and reports false for any other
// operand, which the native getter then reads.
func (p *ruleTypes) fields(typeName string, getters map[string]func(obj any, slot int) (ref.Val, bool)) (map[string]*types.FieldType, error) {
	names, ok := p.Provider.FindStructFieldNames(typeName)
	if !ok {
		return nil, fmt.Errorf("scrub: rule environment: type %s not registered", typeName)
	}
	out := make(map[string]*types.FieldType, len(getters))
	for _, name := range names {
		get, ok := getters[name]
		if !ok {
			// Fields without a direct getter keep the native one.
			continue
		}
		native, ok := p.Provider.FindStructFieldType(typeName, name)
		if !ok {
			return nil, fmt.Errorf("scrub: rule environment: field %s.%s not registered", typeName, name)
		}
		out[name] = directField(native, get, len(out))
	}
	for _, name := range names {
		if _, ok := out[name]; ok {
			continue
		}
		native, ok := p.Provider.FindStructFieldType(typeName, name)
		if !ok {
			return nil, fmt.Errorf("scrub: rule environment: field %s.%s not registered", typeName, name)
		}
		out[name] = viewField(native)
	}
	for name := range getters {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("scrub: rule environment: getter for unknown field %s.%s", typeName, name)
		}
	}
	if len(out) > maxFieldSlots {
		return nil, fmt.Errorf("scrub: rule environment: %s has %d fields, the value cache %d", typeName, len(out), maxFieldSlots)
	}
	return out, nil
}

// directField is the native field with the direct getter get, caching in
// slot.
func directField(native *types.FieldType, get func(obj any, slot int) (ref.Val, bool), slot int) *types.FieldType {
	f := viewField(native)
	nativeGet := f.GetFrom
	f.GetFrom = func(obj any) (any, error) {
		if v, ok := get(obj, slot); ok {
			return v, nil
		}
		return nativeGet(obj)
	}
	return f
}

// viewField is the native field read from the RuleClaim or RuleLine of a
// view.
func viewField(native *types.FieldType) *types.FieldType {
	return &types.FieldType{
		Type:    native.Type,
		IsSet:   func(obj any) bool { return native.IsSet(viewTarget(obj)) },
		GetFrom: func(obj any) (any, error) { return native.GetFrom(viewTarget(obj)) },
	}
}

// viewTarget is the RuleClaim or RuleLine of a view, or obj itself.
func viewTarget(obj any) any {
	switch v := obj.(type) {
	case *ruleView:
		return &v.claim
	case *lineView:
		return v.line
	}
	return obj
}

// maxFieldSlots is the size of a view's value cache.
const maxFieldSlots = 48

// FindStructFieldType implements types.Provider.
func (p *ruleTypes) FindStructFieldType(structType, fieldName string) (*types.FieldType, bool) {
	var fields map[string]*types.FieldType
	switch structType {
	case claimTypeName:
		fields = p.claimFields
	case lineTypeName:
		fields = p.lineFields
	}
	if ft, ok := fields[fieldName]; ok {
		return ft, true
	}
	return p.Provider.FindStructFieldType(structType, fieldName)
}

// claimField makes a getter of a RuleClaim field, cached in the view.
func claimField(get func(c *RuleClaim) ref.Val) func(any, int) (ref.Val, bool) {
	return claimViewField(func(v *ruleView) ref.Val { return get(&v.claim) })
}

// claimViewField makes a getter of a value computed from the view, cached
// in the view.
func claimViewField(get func(v *ruleView) ref.Val) func(any, int) (ref.Val, bool) {
	return func(obj any, slot int) (ref.Val, bool) {
		v, ok := obj.(*ruleView)
		if !ok {
			return nil, false
		}
		if val := v.vals[slot]; val != nil {
			return val, true
		}
		val := get(v)
		v.vals[slot] = val
		return val, true
	}
}

// lineField makes a getter of a RuleLine field, cached in the line's view.
func lineField(get func(l *RuleLine) ref.Val) func(any, int) (ref.Val, bool) {
	return lineViewField(func(lv *lineView) ref.Val { return get(lv.line) })
}

// lineViewField makes a getter of a value computed from the line's view,
// cached in the line's view.
func lineViewField(get func(lv *lineView) ref.Val) func(any, int) (ref.Val, bool) {
	return func(obj any, slot int) (ref.Val, bool) {
		lv, ok := obj.(*lineView)
		if !ok {
			return nil, false
		}
		if val := lv.vals[slot]; val != nil {
			return val, true
		}
		val := get(lv)
		lv.vals[slot] = val
		return val, true
	}
}

func claimString(field func(c *RuleClaim) string) func(any, int) (ref.Val, bool) {
	return claimViewField(func(v *ruleView) ref.Val { return v.str(field(&v.claim)) })
}

func claimInt(field func(c *RuleClaim) int64) func(any, int) (ref.Val, bool) {
	return claimField(func(c *RuleClaim) ref.Val { return types.Int(field(c)) })
}

func claimStrings(field func(c *RuleClaim) *[]string) func(any, int) (ref.Val, bool) {
	return claimField(func(c *RuleClaim) ref.Val { return stringList{field(c)} })
}

func lineString(field func(l *RuleLine) string) func(any, int) (ref.Val, bool) {
	return lineViewField(func(lv *lineView) ref.Val { return lv.view.str(field(lv.line)) })
}

func lineInt(field func(l *RuleLine) int64) func(any, int) (ref.Val, bool) {
	return lineField(func(l *RuleLine) ref.Val { return types.Int(field(l)) })
}

// claimLines is the getter of claim.lines.
func claimLines(obj any, _ int) (ref.Val, bool) {
	v, ok := obj.(*ruleView)
	if !ok {
		return nil, false
	}
	return lineList{v}, true
}

// claimGetters are the direct getters of RuleClaim's fields by CEL name.
func claimGetters() map[string]func(any, int) (ref.Val, bool) {
	return map[string]func(any, int) (ref.Val, bool){
		"id":                         claimString(func(c *RuleClaim) string { return c.ID }),
		"kind":                       claimString(func(c *RuleClaim) string { return c.Kind }),
		"patient_control_number":     claimString(func(c *RuleClaim) string { return c.PatientControlNumber }),
		"total_charge_cents":         claimInt(func(c *RuleClaim) int64 { return c.TotalChargeCents }),
		"place_of_service":           claimString(func(c *RuleClaim) string { return c.PlaceOfService }),
		"facility_type":              claimString(func(c *RuleClaim) string { return c.FacilityType }),
		"frequency_code":             claimString(func(c *RuleClaim) string { return c.FrequencyCode }),
		"payer_id":                   claimString(func(c *RuleClaim) string { return c.PayerID }),
		"payer_name":                 claimString(func(c *RuleClaim) string { return c.PayerName }),
		"payer_responsibility":       claimString(func(c *RuleClaim) string { return c.PayerResponsibility }),
		"claim_filing_indicator":     claimString(func(c *RuleClaim) string { return c.ClaimFilingIndicator }),
		"group_number":               claimString(func(c *RuleClaim) string { return c.GroupNumber }),
		"member_id":                  claimString(func(c *RuleClaim) string { return c.MemberID }),
		"prior_authorization":        claimString(func(c *RuleClaim) string { return c.PriorAuthorization }),
		"referral_number":            claimString(func(c *RuleClaim) string { return c.ReferralNumber }),
		"payer_claim_control_number": claimString(func(c *RuleClaim) string { return c.PayerClaimControlNumber }),
		"delay_reason":               claimString(func(c *RuleClaim) string { return c.DelayReason }),
		"accident_state":             claimString(func(c *RuleClaim) string { return c.AccidentState }),
		"related_causes":             claimStrings(func(c *RuleClaim) *[]string { return &c.RelatedCauses }),
		"admission_type":             claimString(func(c *RuleClaim) string { return c.AdmissionType }),
		"patient_status":             claimString(func(c *RuleClaim) string { return c.PatientStatus }),

		"patient_is_subscriber": claimField(func(c *RuleClaim) ref.Val { return types.Bool(c.PatientIsSubscriber) }),
		"patient_last_name":     claimString(func(c *RuleClaim) string { return c.PatientLastName }),
		"patient_first_name":    claimString(func(c *RuleClaim) string { return c.PatientFirstName }),
		"patient_birth_date":    claimString(func(c *RuleClaim) string { return c.PatientBirthDate }),
		"patient_gender":        claimString(func(c *RuleClaim) string { return c.PatientGender }),
		"patient_state":         claimString(func(c *RuleClaim) string { return c.PatientState }),
		"patient_age":           claimInt(func(c *RuleClaim) int64 { return c.PatientAge }),

		"billing_npi":          claimString(func(c *RuleClaim) string { return c.BillingNPI }),
		"billing_taxonomy":     claimString(func(c *RuleClaim) string { return c.BillingTaxonomy }),
		"billing_tax_id":       claimString(func(c *RuleClaim) string { return c.BillingTaxID }),
		"billing_state":        claimString(func(c *RuleClaim) string { return c.BillingState }),
		"billing_postal_code":  claimString(func(c *RuleClaim) string { return c.BillingPostalCode }),
		"rendering_npi":        claimString(func(c *RuleClaim) string { return c.RenderingNPI }),
		"rendering_taxonomy":   claimString(func(c *RuleClaim) string { return c.RenderingTaxonomy }),
		"referring_npi":        claimString(func(c *RuleClaim) string { return c.ReferringNPI }),
		"attending_npi":        claimString(func(c *RuleClaim) string { return c.AttendingNPI }),
		"service_facility_npi": claimString(func(c *RuleClaim) string { return c.ServiceFacilityNPI }),

		"service_from": claimString(func(c *RuleClaim) string { return c.ServiceFrom }),
		"service_to":   claimString(func(c *RuleClaim) string { return c.ServiceTo }),
		"today":        claimString(func(c *RuleClaim) string { return c.Today }),

		"diagnoses":         claimStrings(func(c *RuleClaim) *[]string { return &c.Diagnoses }),
		"other_payer_count": claimInt(func(c *RuleClaim) int64 { return c.OtherPayers }),
		"lines":             claimLines,
		"procedure_codes":   claimStrings(func(c *RuleClaim) *[]string { return &c.ProcedureCodes }),
	}
}

// lineGetters are the direct getters of RuleLine's fields by CEL name;
// diagnosis_pointers keeps the native getter.
func lineGetters() map[string]func(any, int) (ref.Val, bool) {
	return map[string]func(any, int) (ref.Val, bool){
		"number":           lineInt(func(l *RuleLine) int64 { return l.Number }),
		"procedure":        lineString(func(l *RuleLine) string { return l.Procedure }),
		"modifiers":        lineField(func(l *RuleLine) ref.Val { return stringList{&l.Modifiers} }),
		"revenue_code":     lineString(func(l *RuleLine) string { return l.RevenueCode }),
		"charge_cents":     lineInt(func(l *RuleLine) int64 { return l.ChargeCents }),
		"units":            lineInt(func(l *RuleLine) int64 { return l.Units }),
		"units_milli":      lineInt(func(l *RuleLine) int64 { return l.UnitsMilli }),
		"unit_type":        lineString(func(l *RuleLine) string { return l.UnitType }),
		"place_of_service": lineString(func(l *RuleLine) string { return l.PlaceOfService }),
		"service_date":     lineString(func(l *RuleLine) string { return l.ServiceDate }),
		"service_date_end": lineString(func(l *RuleLine) string { return l.ServiceDateEnd }),
		"diagnoses":        lineField(func(l *RuleLine) ref.Val { return stringList{&l.Diagnoses} }),
		"ndc":              lineString(func(l *RuleLine) string { return l.NDC }),
		"rendering_npi":    lineString(func(l *RuleLine) string { return l.RenderingNPI }),
	}
}

// stringList is a list(string) field of a rule view, read in place. It
// points at the field so that it fits in an interface without an
// allocation.
type stringList struct{ s *[]string }

// native is the list as the native provider makes it, for the operations
// without a fast path.
func (l stringList) native() traits.Lister {
	return types.NewStringList(types.DefaultTypeAdapter, *l.s)
}

func (l stringList) Add(other ref.Val) ref.Val { return l.native().Add(nativeOperand(other)) }

func (l stringList) Contains(elem ref.Val) ref.Val {
	s, ok := elem.(types.String)
	if !ok {
		return l.native().Contains(elem)
	}
	for _, e := range *l.s {
		if e == string(s) {
			return types.True
		}
	}
	return types.False
}

func (l stringList) Get(index ref.Val) ref.Val {
	if i, ok := index.(types.Int); ok && i >= 0 && int64(i) < int64(len(*l.s)) {
		return types.String((*l.s)[i])
	}
	return l.native().Get(index)
}

func (l stringList) Iterator() traits.Iterator { return &stringIterator{s: *l.s} }
func (l stringList) Size() ref.Val             { return types.Int(len(*l.s)) }
func (l stringList) ConvertToNative(t reflect.Type) (any, error) {
	return l.native().ConvertToNative(t)
}
func (l stringList) ConvertToType(t ref.Type) ref.Val { return l.native().ConvertToType(t) }
func (l stringList) Equal(other ref.Val) ref.Val      { return l.native().Equal(nativeOperand(other)) }
func (l stringList) Type() ref.Type                   { return types.ListType }
func (l stringList) Value() any                       { return *l.s }

// iteratorVal is the ref.Val part of the iterators: an iterator is not a
// value expressions can use.
type iteratorVal struct{}

func (iteratorVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("type conversion on iterators not supported")
}
func (iteratorVal) ConvertToType(ref.Type) ref.Val { return types.NewErr("no such overload") }
func (iteratorVal) Equal(ref.Val) ref.Val          { return types.NewErr("no such overload") }
func (iteratorVal) Type() ref.Type                 { return types.IteratorType }
func (iteratorVal) Value() any                     { return nil }

type stringIterator struct {
	iteratorVal
	s []string
	i int
}

func (it *stringIterator) HasNext() ref.Val { return types.Bool(it.i < len(it.s)) }

func (it *stringIterator) Next() ref.Val {
	if it.i >= len(it.s) {
		return nil
	}
	v := types.String(it.s[it.i])
	it.i++
	return v
}

// lineList is claim.lines, read in place through the claim's view.
type lineList struct{ v *ruleView }

func (l lineList) native() traits.Lister {
	return l.v.types.adapter.NativeToValue(l.v.claim.Lines).(traits.Lister)
}

func (l lineList) Add(other ref.Val) ref.Val        { return l.native().Add(nativeOperand(other)) }
func (l lineList) Contains(elem ref.Val) ref.Val    { return l.native().Contains(nativeOperand(elem)) }
func (l lineList) Iterator() traits.Iterator        { return &lineIterator{v: l.v} }
func (l lineList) Size() ref.Val                    { return types.Int(len(l.v.lines)) }
func (l lineList) ConvertToType(t ref.Type) ref.Val { return l.native().ConvertToType(t) }
func (l lineList) Equal(other ref.Val) ref.Val      { return l.native().Equal(nativeOperand(other)) }
func (l lineList) Type() ref.Type                   { return types.ListType }
func (l lineList) Value() any                       { return l.v.claim.Lines }
func (l lineList) ConvertToNative(t reflect.Type) (any, error) {
	return l.native().ConvertToNative(t)
}

func (l lineList) Get(index ref.Val) ref.Val {
	if i, ok := index.(types.Int); ok && i >= 0 && int64(i) < int64(len(l.v.lines)) {
		return lineValue{&l.v.lines[i]}
	}
	return l.native().Get(index)
}

type lineIterator struct {
	iteratorVal
	v *ruleView
	i int
}

func (it *lineIterator) HasNext() ref.Val { return types.Bool(it.i < len(it.v.lines)) }

func (it *lineIterator) Next() ref.Val {
	if it.i >= len(it.v.lines) {
		return nil
	}
	v := lineValue{&it.v.lines[it.i]}
	it.i++
	return v
}

// lineValue is a service line: the variable `line` or an element of
// claim.lines. Field selection reads the line's view through Value; the
// other operations use the native object.
type lineValue struct{ lv *lineView }

func (v lineValue) native() ref.Val { return v.lv.view.types.adapter.NativeToValue(*v.lv.line) }

// nativeOperand turns the values of this file into the native values for
// the native operations.
func nativeOperand(v ref.Val) ref.Val {
	switch v := v.(type) {
	case lineValue:
		return v.native()
	case lineList:
		return v.native()
	case stringList:
		return v.native()
	}
	return v
}

func (v lineValue) ConvertToNative(t reflect.Type) (any, error) { return v.native().ConvertToNative(t) }
func (v lineValue) ConvertToType(t ref.Type) ref.Val            { return v.native().ConvertToType(t) }
func (v lineValue) Equal(other ref.Val) ref.Val                 { return v.native().Equal(nativeOperand(other)) }
func (v lineValue) Type() ref.Type                              { return v.lv.view.types.lineType }
func (v lineValue) Value() any                                  { return v.lv }

// ruleView is the claim as rule expressions read it: the RuleClaim and the
// CEL values of its fields, converted on first use. It is pooled and
// reused; an evaluation binds `claim` to it (and `line` to one of its
// lines).
type ruleView struct {
	claim RuleClaim
	types *ruleTypes
	vals  [maxFieldSlots]ref.Val
	lines []lineView
	dates dateStrings
	// act is the activation of the view's evaluations, frame the
	// execution frame that binds it (made at the first evaluation).
	act   activation
	frame *interpreter.ExecutionFrame
	// interned are CEL values of short strings, kept from claim to claim.
	interned map[string]ref.Val
	// lineHits holds the line rules' findings of a claim until they are
	// put in rule order (see runRules).
	lineHits []lineHit
}

// lineView is a service line of a ruleView.
type lineView struct {
	line *RuleLine
	view *ruleView
	vals [maxFieldSlots]ref.Val
}

// maxInterned bounds ruleView.interned; maxInternedLen is the longest
// string interned.
const (
	maxInterned    = 512
	maxInternedLen = 8
)

// str is s as a CEL string. Short strings (codes: procedure, place of
// service, unit type, state...) repeat from claim to claim, so their values
// are kept across the claims the view serves.
func (v *ruleView) str(s string) ref.Val {
	if len(s) > maxInternedLen {
		return types.String(s)
	}
	if val, ok := v.interned[s]; ok {
		return val
	}
	if v.interned == nil || len(v.interned) >= maxInterned {
		v.interned = make(map[string]ref.Val, maxInterned)
	}
	val := types.String(s)
	v.interned[s] = val
	return val
}

// fill sets the view to the claim.
func (v *ruleView) fill(c *claim.Claim, payerID string, today claim.Date) {
	v.claim.fill(c, payerID, today, &v.dates)
	n := len(v.claim.Lines)
	if cap(v.lines) < n {
		v.lines = make([]lineView, n)
	}
	v.lines = v.lines[:n]
	for i := range v.lines {
		v.lines[i] = lineView{line: &v.claim.Lines[i], view: v}
	}
}

// reset empties the view for reuse.
func (v *ruleView) reset() {
	v.claim.reset()
	clear(v.vals[:])
	clear(v.lines)
	v.act = activation{}
	v.lines = v.lines[:0]
}
