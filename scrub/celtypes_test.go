package scrub

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/clearhouse/clearhouse/claim"
)

// nativeRuleEnv is the rule environment with reflection-only field access,
// the reference the direct getters are checked against.
func nativeRuleEnv(t *testing.T) *ruleEnv {
	t.Helper()
	ce, err := cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[RuleClaim](), reflect.TypeFor[RuleLine](), ext.ParseStructTags(true)),
		ext.Strings(),
		cel.CrossTypeNumericComparisons(true),
		cel.Variable("claim", cel.ObjectType(claimTypeName)),
	)
	if err != nil {
		t.Fatal(err)
	}
	le, err := ce.Extend(cel.Variable("line", cel.ObjectType(lineTypeName)))
	if err != nil {
		t.Fatal(err)
	}
	return &ruleEnv{claimEnv: ce, lineEnv: le}
}

// testView is a rule view with every field set, two lines.
func testView(e *ruleEnv) *ruleView {
	c := &claim.Claim{
		ID: "C1", Kind: claim.Professional, PatientControlNumber: "PCN1", TotalChargeCents: 17500,
		PlaceOfService: "11", FrequencyCode: "1", Payer: claim.Payer{ID: "SUMMT", Name: "SUMMIT"},
		Subscriber: claim.Subscriber{PayerResponsibility: "P", ClaimFilingIndicator: "CI", GroupNumber: "G1",
			MemberID: "SMT123456789", LastName: "DOE", FirstName: "JO", BirthDate: claim.NewDate(1980, 4, 12), Gender: "F",
			Address: &claim.Address{State: "PA"}},
		PriorAuthorization: "PA1", ReferralNumber: "R1", PayerClaimControlNumber: "F8", DelayReason: "1",
		AccidentState: "NJ", RelatedCauses: []string{"AA", "EM"},
		BillingProvider: claim.Provider{NPI: "1234567893", Taxonomy: "207Q00000X", TaxID: "123456789",
			Address: &claim.Address{State: "NY", PostalCode: "100011234"}},
		Rendering: &claim.Provider{NPI: "1234567893", Taxonomy: "207Q00000X"},
		Diagnoses: []claim.Diagnosis{{Code: "J069"}, {Code: "R509"}},
		Lines: []claim.ServiceLine{
			{ProcedureCode: "99213", Modifiers: []string{"25", "95"}, ChargeCents: 12500, Units: 1500, UnitType: "UN",
				ServiceDate: claim.NewDate(2026, 2, 16), DiagnosisPointers: []int{1, 2}},
			{ProcedureCode: "J1100", ChargeCents: 5000, Units: 1000, UnitType: "MJ", PlaceOfService: "02",
				ServiceDate: claim.NewDate(2026, 2, 16), ServiceDateEnd: claim.NewDate(2026, 2, 17),
				DiagnosisPointers: []int{3}, Drug: &claim.Drug{NDC: "12345678901"}},
		},
	}
	v := e.newView()
	v.fill(c, "SUMMT", claim.NewDate(2026, 3, 1))
	return v
}

func eval(t *testing.T, env *cel.Env, expr string, act any) ref.Val {
	t.Helper()
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		t.Fatalf("%s: %v", expr, iss.Err())
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	out, _, err := prg.Eval(act)
	if err != nil {
		return types.NewErr("%v", err)
	}
	return out
}

// same reports whether two results are the same CEL value: equal errors or
// equal native values of the same CEL type.
func same(a, b ref.Val) bool {
	if types.IsError(a) || types.IsError(b) {
		return types.IsError(a) && types.IsError(b) && a.(*types.Err).Error() == b.(*types.Err).Error()
	}
	if a.Type().TypeName() != b.Type().TypeName() {
		return false
	}
	na, errA := a.ConvertToNative(reflect.TypeFor[any]())
	nb, errB := b.ConvertToNative(reflect.TypeFor[any]())
	if errA != nil || errB != nil {
		return errA != nil && errB != nil
	}
	return reflect.DeepEqual(na, nb)
}

func TestDirectFieldsMatchNative(t *testing.T) {
	direct, err := newRuleEnv()
	if err != nil {
		t.Fatal(err)
	}
	native := nativeRuleEnv(t)
	v := testView(direct)
	act := &activation{claim: v, line: &v.lines[1]}
	nativeAct := map[string]any{"claim": &v.claim, "line": &v.claim.Lines[1]}

	var exprs []string
	claimNames, _ := direct.claimEnv.CELTypeProvider().FindStructFieldNames(claimTypeName)
	for _, f := range claimNames {
		exprs = append(exprs, "claim."+f, "has(claim."+f+")")
	}
	lineNames, _ := direct.claimEnv.CELTypeProvider().FindStructFieldNames(lineTypeName)
	for _, f := range lineNames {
		exprs = append(exprs, "line."+f, "claim.lines[0]."+f, "claim.lines.map(l, l."+f+")", "has(line."+f+")")
	}
	exprs = append(exprs,
		`"AA" in claim.related_causes`, `"ZZ" in claim.related_causes`, `claim.diagnoses[1]`, `claim.diagnoses[2]`,
		`claim.diagnoses[-1]`, `claim.diagnoses[dyn(1u)]`, `claim.diagnoses + ["Z0000"]`, `claim.diagnoses == ["J069", "R509"]`,
		`claim.diagnoses.exists(d, d.startsWith("R"))`, `claim.procedure_codes.all(p, p.size() == 5)`,
		`claim.lines.size()`, `claim.lines[2]`, `claim.lines[0] == claim.lines[0]`, `claim.lines[0] == claim.lines[1]`,
		`claim.lines[0] in claim.lines`, `claim.lines + claim.lines`, `(claim.lines + claim.lines)[3].procedure`,
		`claim.lines.exists(l, l.modifiers.exists(m, m == "95"))`, `claim.lines.filter(l, l.units > 1).size()`,
		`claim.lines.all(l, l.number > 0)`, `claim.diagnoses == claim.diagnoses`, `claim.lines == claim.lines`,
		`claim.diagnoses + claim.procedure_codes`, `line.modifiers + line.diagnoses`, `line.modifiers.size() == 0`, `"95" in line.modifiers`,
		`line.diagnoses.exists(d, d.startsWith("Z00"))`, `claim.lines.map(l, l.diagnoses)`,
		`claim.lines.exists(l, l == line)`, `type(claim.lines[0]) == scrub.RuleLine`, `line == claim.lines[1]`, `claim.lines[1] == line`,
	)
	for _, expr := range exprs {
		env := direct.lineEnv
		eval(t, env, expr, act)
		// Twice: the second evaluation reads the cached values.
		d := eval(t, env, expr, act)
		n := eval(t, native.lineEnv, expr, nativeAct)
		if !same(d, n) {
			t.Errorf("%s: direct %v (%T), native %v (%T)", expr, d, d, n, n)
		}
	}
}

func TestFormatDate(t *testing.T) {
	var ds dateStrings
	for _, d := range []claim.Date{
		{}, claim.NewDate(2026, 2, 16), claim.NewDate(1, 1, 1), claim.NewDate(999, 12, 31), claim.NewDate(9999, 9, 9),
		{Year: 10000, Month: 1, Day: 1}, {Year: -5, Month: 3, Day: 4}, {Year: 2026, Month: 13, Day: 40},
		{Year: 2026, Month: 100, Day: 1}, claim.NewDate(2026, 2, 16),
	} {
		want := d.String()
		if got := ds.format(d); got != want {
			t.Errorf("%#v: got %q, want %q", d, got, want)
		}
	}
}

func TestInternedStrings(t *testing.T) {
	e, err := newRuleEnv()
	if err != nil {
		t.Fatal(err)
	}
	v := e.newView()
	for i := range 3 * maxInterned {
		for _, s := range []string{fmt.Sprintf("%05d", i), fmt.Sprintf("%012d", i), "99213", ""} {
			if got := v.str(s); got != types.String(s) {
				t.Fatalf("str(%q) = %v", s, got)
			}
		}
		if len(v.interned) > maxInterned {
			t.Fatalf("%d strings interned, at most %d", len(v.interned), maxInterned)
		}
	}
}
