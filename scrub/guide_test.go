package scrub_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x837"
	"github.com/clearhouse/clearhouse/scrub"
)

func encoderEnvelope() x837.Envelope {
	return x837.Envelope{
		SubmitterName: "CLEARHOUSE BILLING", SubmitterID: "CLH0001",
		ContactName: "EDI DESK", ContactPhone: "2155550100",
		ReceiverName: "SUMMIT MUTUAL", ReceiverID: "SUMMT",
		SenderQualifier: "ZZ", SenderID: "CLEARHOUSE", ReceiverQualifier: "ZZ", InterchangeReceiverID: "SUMMT",
		Usage: "T", Time: time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC),
	}
}

// encodeProblems encodes c alone and returns the encoder's problems (nil when
// it was written).
func encodeProblems(t *testing.T, c *claim.Claim) []x837.FieldError {
	t.Helper()
	var out bytes.Buffer
	e := x837.NewEncoder(&out, encoderEnvelope())
	err := e.Encode(c)
	if err == nil {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		return nil
	}
	var ce *x837.ClaimError
	if !errors.As(err, &ce) {
		t.Fatalf("encode: %v is not a *x837.ClaimError", err)
	}
	return ce.Problems
}

// TestGuideRulesScrubberAndEncoderAgree breaks each guide rule of package
// claim and checks that the scrubber and the 837 encoder both refuse the
// claim with the rule's message at the rule's location, and that the
// scrubber reports it under its own edit (issue 19: a claim that passes the
// scrubber must not fail at encode time for these rules).
func TestGuideRulesScrubberAndEncoderAgree(t *testing.T) {
	s := scrubber(t)
	if fs := s.Scrub(officeVisit(t), scrub.Options{Today: today}); len(fs) != 0 {
		t.Fatalf("the base claim has findings: %v", fs)
	}
	if probs := encodeProblems(t, officeVisit(t)); len(probs) != 0 {
		t.Fatalf("the base claim does not encode: %v", probs)
	}
	tests := []struct {
		name   string
		rule   claim.GuideRule
		edit   string // the scrubber's edit
		loc    string
		change func(c *claim.Claim)
	}{
		{"no control number", claim.GuidePatientControlNumber, "REQ-PCN", "2300 CLM CLM01", func(c *claim.Claim) { c.PatientControlNumber = " " }},
		{"long control number", claim.GuidePatientControlNumber, "REQ-PCN", "2300 CLM CLM01", func(c *claim.Claim) { c.PatientControlNumber = strings.Repeat("P", 21) }},
		{"five-digit billing ZIP", claim.GuideBillingZIP, "REQ-BILLING", "2010AA N4 N403", func(c *claim.Claim) { c.BillingProvider.Address.PostalCode = "19064" }},
		{"billing ZIP with a dash", claim.GuideBillingZIP, "REQ-BILLING", "2010AA N4 N403", func(c *claim.Claim) { c.BillingProvider.Address.PostalCode = "19064-1234" }},
		{"billing PO box", claim.GuideBillingStreet, "REQ-BILLING", "2010AA N3 N301", func(c *claim.Claim) { c.BillingProvider.Address.Line1 = "P.O. Box 12" }},
		{"billing NPI check digit", claim.GuideNPI, "NPI-INVALID", "2010AA NM1 NM109", func(c *claim.Claim) { c.BillingProvider.NPI = "1234567890" }},
		{"rendering NPI length", claim.GuideNPI, "NPI-INVALID", "2310B NM1 NM109", func(c *claim.Claim) { c.Rendering.NPI = "12345" }},
		{"line rendering NPI", claim.GuideNPI, "NPI-INVALID", "2420A NM1 NM109 (line 2)", func(c *claim.Claim) {
			c.Lines[1].Rendering = &claim.Provider{LastName: "WELBY", NPI: "1987654320"}
		}},
		{"service facility NPI", claim.GuideNPI, "NPI-INVALID", "2310C NM1 NM109", func(c *claim.Claim) {
			c.ServiceFacility = &claim.Facility{Name: "ANNEX", NPI: "1987654320", Address: *c.BillingProvider.Address}
		}},
		{"no diagnosis", claim.GuideDiagnosisRequired, "DX-REQUIRED", "2300 HI HI01-2", func(c *claim.Claim) { c.Diagnoses = nil }},
		{"13 diagnoses", claim.GuideDiagnosisLimit, "LIMITS", "2300 HI", func(c *claim.Claim) {
			for len(c.Diagnoses) < 13 {
				c.Diagnoses = append(c.Diagnoses, c.Diagnoses[1])
			}
		}},
		{"no lines", claim.GuideLinesRequired, "REQ-LINES", "2400 LX", func(c *claim.Claim) { c.Lines, c.TotalChargeCents = nil, 0 }},
		{"51 lines", claim.GuideLineLimit, "LIMITS", "2400 LX", func(c *claim.Claim) {
			for len(c.Lines) < 51 {
				c.Lines = append(c.Lines, c.Lines[0])
				c.TotalChargeCents += c.Lines[0].ChargeCents
			}
		}},
		{"five modifiers", claim.GuideModifierLimit, "MOD-INVALID", "2400 SV1 SV101-3 (line 1)", func(c *claim.Claim) {
			c.Lines[0].Modifiers = []string{"25", "59", "76", "77", "91"}
		}},
		{"no pointer", claim.GuideDiagnosisPointer, "DX-POINTER", "2400 SV1 SV107-1 (line 1)", func(c *claim.Claim) { c.Lines[0].DiagnosisPointers = nil }},
		{"five pointers", claim.GuideDiagnosisPointer, "DX-POINTER", "2400 SV1 SV107 (line 2)", func(c *claim.Claim) { c.Lines[1].DiagnosisPointers = []int{1, 2, 1, 2, 1} }},
		{"pointer past the diagnoses", claim.GuideDiagnosisPointer, "DX-POINTER", "2400 SV1 SV107-2 (line 2)", func(c *claim.Claim) { c.Lines[1].DiagnosisPointers = []int{1, 3} }},
		{"pointer zero", claim.GuideDiagnosisPointer, "DX-POINTER", "2400 SV1 SV107-1 (line 1)", func(c *claim.Claim) { c.Lines[0].DiagnosisPointers = []int{0} }},
		{"CLM02 not the line sum", claim.GuideTotalCharge, "BAL-TOTAL", "2300 CLM CLM02", func(c *claim.Claim) { c.TotalChargeCents += 150 }},
		{"replacement without F8", claim.GuideReplacementReference, "FREQ-ORIGINAL-REF", "2300 REF REF02", func(c *claim.Claim) { c.FrequencyCode = claim.FrequencyReplacement }},
		{"void without F8", claim.GuideReplacementReference, "FREQ-ORIGINAL-REF", "2300 REF REF02", func(c *claim.Claim) { c.FrequencyCode = claim.FrequencyVoid }},
		{"unknown kind", claim.GuideKind, "GUIDE", "ST ST ST03", func(c *claim.Claim) { c.Kind = "837D" }},
		{"billing tax ID", claim.GuideBillingProvider, "REQ-BILLING", "2010AA REF REF02", func(c *claim.Claim) { c.BillingProvider.TaxID = "12-3456789" }},
		{"billing NPI missing", claim.GuideBillingProvider, "REQ-BILLING", "2010AA NM1 NM109", func(c *claim.Claim) { c.BillingProvider.NPI = "" }},
		{"payer responsibility", claim.GuideSubscriber, "REQ-SUBSCRIBER", "2000B SBR SBR01", func(c *claim.Claim) { c.Subscriber.PayerResponsibility = "X" }},
		{"member ID", claim.GuideSubscriberName, "DEMO-SUBSCRIBER", "2010BA NM1 NM109", func(c *claim.Claim) { c.Subscriber.MemberID = "" }},
		{"patient ZIP", claim.GuidePatient, "DEMO-PATIENT", "2010BA N4 N403", func(c *claim.Claim) { c.Subscriber.Address.PostalCode = "1906" }},
		{"payer ID", claim.GuidePayer, "REQ-PAYER", "2010BB NM1 NM109", func(c *claim.Claim) { c.Payer.ID = "" }},
		{"frequency", claim.GuideFrequency, "REQ-FREQUENCY", "2300 CLM CLM05-3", func(c *claim.Claim) { c.FrequencyCode = "X" }},
		{"place of service", claim.GuidePlaceOfService, "REQ-POS", "2300 CLM CLM05-1", func(c *claim.Claim) { c.PlaceOfService = "" }},
		{"assignment", claim.GuideClaim, "GUIDE", "2300 CLM CLM07", func(c *claim.Claim) { c.AssignmentParticipation = "Z" }},
		{"institutional field on an 837P", claim.GuideNotUsed, "GUIDE", "2300 CL1", func(c *claim.Claim) { c.PatientStatus = "01" }},
		{"line dates out of order", claim.GuideDateOrder, "DATE-ORDER", "2400 DTP DTP03 (line 1)", func(c *claim.Claim) {
			c.Lines[0].ServiceDateEnd = claim.NewDate(2026, 2, 1)
		}},
		{"empty diagnosis code", claim.GuideDiagnosis, "GUIDE", "2300 HI HI02-2", func(c *claim.Claim) { c.Diagnoses[1].Code = "" }},
		{"rendering provider address", claim.GuideProvider, "GUIDE", "2310B N3", func(c *claim.Claim) { c.Rendering.Address = c.BillingProvider.Address }},
		{"other payer without a name", claim.GuideOtherPayer, "GUIDE", "2330B NM1 NM103", func(c *claim.Claim) {
			c.OtherPayers = []claim.OtherPayer{{PayerResponsibility: "S", Relationship: "18", ClaimFilingIndicator: "CI", ReleaseOfInformation: "Y",
				SubscriberLastName: "SAMPLE", SubscriberMemberID: "M1", Payer: claim.Payer{ID: "OTHER1"}}}
		}},
		{"zero units", claim.GuideLine, "REQ-LINE", "2400 SV1 (line 2)", func(c *claim.Claim) { c.Lines[1].Units = 0 }},
		{"NDC", claim.GuideDrug, "GUIDE", "2410 LIN LIN03 (line 1)", func(c *claim.Claim) {
			c.Lines[0].Drug = &claim.Drug{NDC: "0002-1433", Quantity: claim.Units(1), UnitType: "UN"}
		}},
	}
	seen := map[claim.GuideRule]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := officeVisit(t)
			tt.change(c)
			var rule *claim.GuideFinding
			for _, f := range claim.CheckGuideRules(c) {
				if f.Rule == tt.rule && f.Location.String() == tt.loc {
					rule = &f
					break
				}
			}
			if rule == nil {
				t.Fatalf("no %s finding at %s in %+v", tt.rule, tt.loc, claim.CheckGuideRules(c))
			}
			seen[tt.rule] = true

			var scrubbed *scrub.Finding
			for _, f := range s.Scrub(c, scrub.Options{Today: today}) {
				if f.Message == rule.Message && f.Location == rule.Location {
					scrubbed = &f
					break
				}
			}
			if scrubbed == nil {
				t.Fatalf("the scrubber does not report %q at %s", rule.Message, rule.Location)
			}
			if scrubbed.RuleID != tt.edit || scrubbed.Severity != scrub.Reject {
				t.Errorf("the scrubber reports it as %s %v, want %s reject", scrubbed.RuleID, scrubbed.Severity, tt.edit)
			}

			found := false
			probs := encodeProblems(t, c)
			for _, p := range probs {
				if p.Msg == rule.Message && p.Location == rule.Location {
					found = true
				}
			}
			if !found {
				t.Errorf("the encoder does not refuse with %q at %s: %v", rule.Message, rule.Location, probs)
			}
			// Every other guide finding of the claim is in both too.
			all := claim.CheckGuideRules(c)
			if len(probs) != len(all) {
				t.Errorf("the encoder reports %d problems, the guide rules %d", len(probs), len(all))
			}
			fs := s.Scrub(c, scrub.Options{Today: today})
			for _, g := range all {
				n := 0
				for _, f := range fs {
					if f.Message == g.Message && f.Location == g.Location {
						n++
					}
				}
				if n != 1 {
					t.Errorf("the scrubber reports %s %q at %s %d times", g.Rule, g.Message, g.Location, n)
				}
			}
		})
	}
	for _, r := range []claim.GuideRule{claim.GuideKind, claim.GuideBillingProvider, claim.GuideBillingZIP, claim.GuideBillingStreet,
		claim.GuideSubscriber, claim.GuideSubscriberName, claim.GuidePatient, claim.GuidePayer, claim.GuidePatientControlNumber,
		claim.GuideTotalCharge, claim.GuideFrequency, claim.GuideReplacementReference, claim.GuidePlaceOfService, claim.GuideClaim,
		claim.GuideNotUsed, claim.GuideDateOrder, claim.GuideDiagnosisRequired, claim.GuideDiagnosisLimit, claim.GuideDiagnosis,
		claim.GuideProvider, claim.GuideNPI, claim.GuideOtherPayer, claim.GuideLinesRequired, claim.GuideLineLimit, claim.GuideLine,
		claim.GuideModifierLimit, claim.GuideDiagnosisPointer, claim.GuideDrug} {
		if !seen[r] {
			t.Errorf("no case breaks guide rule %s", r)
		}
	}
}

// TestGuideRulesBalanceError checks that the encoder still marks a CLM02
// that is not the line sum as a balancing error (SNIP 3).
func TestGuideRulesBalanceError(t *testing.T) {
	c := officeVisit(t)
	c.TotalChargeCents++
	var out bytes.Buffer
	err := x837.NewEncoder(&out, encoderEnvelope()).Encode(c)
	if !errors.Is(err, x837.ErrInvalidClaim) {
		t.Fatalf("err = %v", err)
	}
	var ce *x837.ClaimError
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || !ce.Problems[0].Balance {
		t.Fatalf("problems %+v", ce)
	}
}

// TestGuideRulesIgnoreOverrides checks that a rule file that switches an
// edit off or to a warning does not let a claim the encoder refuses pass:
// the guide rules reported under that edit stay rejects, while the edit's
// own checks follow the file.
func TestGuideRulesIgnoreOverrides(t *testing.T) {
	rf, err := scrub.ParseRuleFile("rules/common/lenient.yaml",
		[]byte("builtins:\n  off: [BAL-TOTAL]\n  severity:\n    REQ-BILLING: warn\n"))
	if err != nil {
		t.Fatal(err)
	}
	sets, err := fuzzCodes()
	if err != nil {
		t.Fatal(err)
	}
	s, err := scrub.New(scrub.Config{Codes: sets, RuleFiles: []*scrub.RuleFile{rf}})
	if err != nil {
		t.Fatal(err)
	}
	c := officeVisit(t)
	c.TotalChargeCents++
	c.BillingProvider.Address.PostalCode = "19064"
	want := map[string]bool{"BAL-TOTAL": false, "REQ-BILLING": false}
	for _, f := range s.Scrub(c, scrub.Options{Today: today}) {
		if _, ok := want[f.RuleID]; ok {
			want[f.RuleID] = true
			if f.Severity != scrub.Reject {
				t.Errorf("%s %q is a %v, want a reject", f.RuleID, f.Message, f.Severity)
			}
		}
	}
	for id, seen := range want {
		if !seen {
			t.Errorf("%s not reported", id)
		}
	}
	if probs := encodeProblems(t, c); len(probs) != 2 {
		t.Errorf("encoder problems %v", probs)
	}
}
