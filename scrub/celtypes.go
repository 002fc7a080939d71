package scrub

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
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
		if p.claimFields, err = p.fields(claimTypeName, claimGetters(p)); err != nil {
			return nil, err
		}
		if p.lineFields, err = p.fields(lineTypeName, lineGetters()); err != nil {
			return nil, err
		}
		env, err = cel.CustomTypeProvider(p)(env)
		if err != nil {
			return nil, err
		}
		return cel.CustomTypeAdapter(lineAdapter{p})(env)
	}
}

// lineAdapter is the type adapter of rule expressions: the native adapter,
// except that a *RuleLine (the variable `line`) becomes the same kind of
// value as an element of claim.lines, so the two compare alike.
type lineAdapter struct{ types *ruleTypes }

// NativeToValue implements types.Adapter.
func (a lineAdapter) NativeToValue(v any) ref.Val {
	if l, ok := v.(*RuleLine); ok {
		return lineValue{line: l, types: a.types}
	}
	return a.types.adapter.NativeToValue(v)
}

// fields wraps the native field types of typeName with the getters.
func (p *ruleTypes) fields(typeName string, getters map[string]func(any) (ref.Val, bool)) (map[string]*types.FieldType, error) {
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
		nativeGet := native.GetFrom
		out[name] = &types.FieldType{
			Type:  native.Type,
			IsSet: native.IsSet,
			GetFrom: func(obj any) (any, error) {
				if v, ok := get(obj); ok {
					return v, nil
				}
				return nativeGet(obj)
			},
		}
	}
	for name := range getters {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("scrub: rule environment: getter for unknown field %s.%s", typeName, name)
		}
	}
	return out, nil
}

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

// claimField makes a getter of a RuleClaim field.
func claimField(get func(v *RuleClaim) ref.Val) func(any) (ref.Val, bool) {
	return func(obj any) (ref.Val, bool) {
		if v, ok := obj.(*RuleClaim); ok {
			return get(v), true
		}
		return nil, false
	}
}

// lineField makes a getter of a RuleLine field; it reads lines bound as
// `line` (*RuleLine) and elements of claim.lines (lineValue).
func lineField(get func(l *RuleLine) ref.Val) func(any) (ref.Val, bool) {
	return func(obj any) (ref.Val, bool) {
		if l, ok := obj.(*RuleLine); ok {
			return get(l), true
		}
		return nil, false
	}
}

func claimString(field func(v *RuleClaim) string) func(any) (ref.Val, bool) {
	return claimField(func(v *RuleClaim) ref.Val { return types.String(field(v)) })
}

func claimInt(field func(v *RuleClaim) int64) func(any) (ref.Val, bool) {
	return claimField(func(v *RuleClaim) ref.Val { return types.Int(field(v)) })
}

func claimStrings(field func(v *RuleClaim) *[]string) func(any) (ref.Val, bool) {
	return claimField(func(v *RuleClaim) ref.Val { return stringList{field(v)} })
}

func lineString(field func(l *RuleLine) string) func(any) (ref.Val, bool) {
	return lineField(func(l *RuleLine) ref.Val { return types.String(field(l)) })
}

func lineInt(field func(l *RuleLine) int64) func(any) (ref.Val, bool) {
	return lineField(func(l *RuleLine) ref.Val { return types.Int(field(l)) })
}

// claimGetters are the direct getters of RuleClaim's fields by CEL name.
func claimGetters(p *ruleTypes) map[string]func(any) (ref.Val, bool) {
	return map[string]func(any) (ref.Val, bool){
		"id":                         claimString(func(v *RuleClaim) string { return v.ID }),
		"kind":                       claimString(func(v *RuleClaim) string { return v.Kind }),
		"patient_control_number":     claimString(func(v *RuleClaim) string { return v.PatientControlNumber }),
		"total_charge_cents":         claimInt(func(v *RuleClaim) int64 { return v.TotalChargeCents }),
		"place_of_service":           claimString(func(v *RuleClaim) string { return v.PlaceOfService }),
		"facility_type":              claimString(func(v *RuleClaim) string { return v.FacilityType }),
		"frequency_code":             claimString(func(v *RuleClaim) string { return v.FrequencyCode }),
		"payer_id":                   claimString(func(v *RuleClaim) string { return v.PayerID }),
		"payer_name":                 claimString(func(v *RuleClaim) string { return v.PayerName }),
		"payer_responsibility":       claimString(func(v *RuleClaim) string { return v.PayerResponsibility }),
		"claim_filing_indicator":     claimString(func(v *RuleClaim) string { return v.ClaimFilingIndicator }),
		"group_number":               claimString(func(v *RuleClaim) string { return v.GroupNumber }),
		"member_id":                  claimString(func(v *RuleClaim) string { return v.MemberID }),
		"prior_authorization":        claimString(func(v *RuleClaim) string { return v.PriorAuthorization }),
		"referral_number":            claimString(func(v *RuleClaim) string { return v.ReferralNumber }),
		"payer_claim_control_number": claimString(func(v *RuleClaim) string { return v.PayerClaimControlNumber }),
		"delay_reason":               claimString(func(v *RuleClaim) string { return v.DelayReason }),
		"accident_state":             claimString(func(v *RuleClaim) string { return v.AccidentState }),
		"related_causes":             claimStrings(func(v *RuleClaim) *[]string { return &v.RelatedCauses }),
		"admission_type":             claimString(func(v *RuleClaim) string { return v.AdmissionType }),
		"patient_status":             claimString(func(v *RuleClaim) string { return v.PatientStatus }),

		"patient_is_subscriber": claimField(func(v *RuleClaim) ref.Val { return types.Bool(v.PatientIsSubscriber) }),
		"patient_last_name":     claimString(func(v *RuleClaim) string { return v.PatientLastName }),
		"patient_first_name":    claimString(func(v *RuleClaim) string { return v.PatientFirstName }),
		"patient_birth_date":    claimString(func(v *RuleClaim) string { return v.PatientBirthDate }),
		"patient_gender":        claimString(func(v *RuleClaim) string { return v.PatientGender }),
		"patient_state":         claimString(func(v *RuleClaim) string { return v.PatientState }),
		"patient_age":           claimInt(func(v *RuleClaim) int64 { return v.PatientAge }),

		"billing_npi":          claimString(func(v *RuleClaim) string { return v.BillingNPI }),
		"billing_taxonomy":     claimString(func(v *RuleClaim) string { return v.BillingTaxonomy }),
		"billing_tax_id":       claimString(func(v *RuleClaim) string { return v.BillingTaxID }),
		"billing_state":        claimString(func(v *RuleClaim) string { return v.BillingState }),
		"billing_postal_code":  claimString(func(v *RuleClaim) string { return v.BillingPostalCode }),
		"rendering_npi":        claimString(func(v *RuleClaim) string { return v.RenderingNPI }),
		"rendering_taxonomy":   claimString(func(v *RuleClaim) string { return v.RenderingTaxonomy }),
		"referring_npi":        claimString(func(v *RuleClaim) string { return v.ReferringNPI }),
		"attending_npi":        claimString(func(v *RuleClaim) string { return v.AttendingNPI }),
		"service_facility_npi": claimString(func(v *RuleClaim) string { return v.ServiceFacilityNPI }),

		"service_from": claimString(func(v *RuleClaim) string { return v.ServiceFrom }),
		"service_to":   claimString(func(v *RuleClaim) string { return v.ServiceTo }),
		"today":        claimString(func(v *RuleClaim) string { return v.Today }),

		"diagnoses":         claimStrings(func(v *RuleClaim) *[]string { return &v.Diagnoses }),
		"other_payer_count": claimInt(func(v *RuleClaim) int64 { return v.OtherPayers }),
		"lines":             claimField(func(v *RuleClaim) ref.Val { return &lineList{lines: v.Lines, types: p} }),
		"procedure_codes":   claimStrings(func(v *RuleClaim) *[]string { return &v.ProcedureCodes }),
	}
}

// lineGetters are the direct getters of RuleLine's fields by CEL name;
// diagnosis_pointers keeps the native getter.
func lineGetters() map[string]func(any) (ref.Val, bool) {
	return map[string]func(any) (ref.Val, bool){
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

func (l stringList) Add(other ref.Val) ref.Val { return l.native().Add(stringOperand(other)) }

// stringOperand turns a stringList into the native list for the native
// operations.
func stringOperand(v ref.Val) ref.Val {
	if l, ok := v.(stringList); ok {
		return l.native()
	}
	return v
}

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
func (l stringList) Equal(other ref.Val) ref.Val      { return l.native().Equal(stringOperand(other)) }
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

// lineList is claim.lines, read in place.
type lineList struct {
	lines []RuleLine
	types *ruleTypes
}

func (l *lineList) native() traits.Lister {
	return l.types.adapter.NativeToValue(l.lines).(traits.Lister)
}

func (l *lineList) Add(other ref.Val) ref.Val        { return l.native().Add(lineOperand(other)) }
func (l *lineList) Contains(elem ref.Val) ref.Val    { return l.native().Contains(lineOperand(elem)) }
func (l *lineList) Iterator() traits.Iterator        { return &lineIterator{list: l} }
func (l *lineList) Size() ref.Val                    { return types.Int(len(l.lines)) }
func (l *lineList) ConvertToType(t ref.Type) ref.Val { return l.native().ConvertToType(t) }
func (l *lineList) Equal(other ref.Val) ref.Val      { return l.native().Equal(lineOperand(other)) }
func (l *lineList) Type() ref.Type                   { return types.ListType }
func (l *lineList) Value() any                       { return l.lines }
func (l *lineList) ConvertToNative(t reflect.Type) (any, error) {
	return l.native().ConvertToNative(t)
}

func (l *lineList) Get(index ref.Val) ref.Val {
	if i, ok := index.(types.Int); ok && i >= 0 && int64(i) < int64(len(l.lines)) {
		return lineValue{line: &l.lines[i], types: l.types}
	}
	return l.native().Get(index)
}

type lineIterator struct {
	iteratorVal
	list *lineList
	i    int
}

func (it *lineIterator) HasNext() ref.Val { return types.Bool(it.i < len(it.list.lines)) }

func (it *lineIterator) Next() ref.Val {
	if it.i >= len(it.list.lines) {
		return nil
	}
	v := lineValue{line: &it.list.lines[it.i], types: it.list.types}
	it.i++
	return v
}

// lineValue is an element of claim.lines. Field selection reads the line
// through Value; the other operations use the native object.
type lineValue struct {
	line  *RuleLine
	types *ruleTypes
}

func (v lineValue) native() ref.Val { return v.types.adapter.NativeToValue(*v.line) }

// lineOperand turns a lineValue or lineList into the native value for the
// native operations.
func lineOperand(v ref.Val) ref.Val {
	switch v := v.(type) {
	case lineValue:
		return v.native()
	case *lineList:
		return v.native()
	}
	return v
}

func (v lineValue) ConvertToNative(t reflect.Type) (any, error) { return v.native().ConvertToNative(t) }
func (v lineValue) ConvertToType(t ref.Type) ref.Val            { return v.native().ConvertToType(t) }
func (v lineValue) Equal(other ref.Val) ref.Val                 { return v.native().Equal(lineOperand(other)) }
func (v lineValue) Type() ref.Type                              { return v.types.lineType }
func (v lineValue) Value() any                                  { return v.line }
