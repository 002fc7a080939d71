package claim

import (
	"reflect"
	"testing"
)

// guideClaim is a claim of kind that breaks no guide rule.
func guideClaim(kind Kind) *Claim {
	dos := NewDate(2026, 3, 2)
	c := &Claim{Kind: kind, PatientControlNumber: "PCN1", FrequencyCode: FrequencyOriginal, TotalChargeCents: 12500,
		BillingProvider: Provider{Organization: "CLINIC", NPI: "1234567893", TaxID: "123456789", TaxIDType: "EI",
			Address: &Address{Line1: "100 MAIN ST", City: "SPRINGFIELD", State: "PA", PostalCode: "190641234"}},
		Subscriber: Subscriber{PayerResponsibility: "P", ClaimFilingIndicator: "CI", MemberID: "W1", LastName: "DOE", FirstName: "JANE",
			Address: &Address{Line1: "1 ELM ST", City: "SPRINGFIELD", State: "PA", PostalCode: "19064"}, BirthDate: NewDate(1980, 4, 12), Gender: "F"},
		Payer:                   Payer{Name: "KEYSTONE", ID: "KHP01"},
		AssignmentParticipation: "A", ReleaseOfInformation: "Y", PlaceOfService: "11",
		Diagnoses: []Diagnosis{{Code: "E119"}},
		Lines: []ServiceLine{{ProcedureCode: "99213", ChargeCents: 12500, UnitType: "UN", Units: Units(1), DiagnosisPointers: []int{1},
			ServiceDate: dos}},
	}
	if kind == Institutional {
		c.PlaceOfService, c.FacilityType, c.PatientStatus = "", "13", "01"
		c.StatementFrom, c.StatementTo = dos, dos
		c.Lines[0].DiagnosisPointers = nil
		c.Lines[0].RevenueCode = "0510"
	}
	return c
}

func TestCheckGuideRules(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		change func(c *Claim)
		want   []GuideFinding
	}{
		{"clean 837P", Professional, func(*Claim) {}, nil},
		{"clean 837I", Institutional, func(*Claim) {}, nil},
		{"foreign billing address", Professional, func(c *Claim) {
			c.BillingProvider.Address.Country, c.BillingProvider.Address.PostalCode = "CA", "K1A0B1"
		}, nil},
		{"ZIP with a sign", Professional, func(c *Claim) { c.BillingProvider.Address.PostalCode = "+19064123" }, []GuideFinding{
			{GuideBillingZIP, Location{"2010AA", "N4", "N403", 0}, `billing provider ZIP code must be the 9-digit ZIP+4, got "+19064123"`}}},
		{"PO box without dots", Professional, func(c *Claim) { c.BillingProvider.Address.Line1 = "pobox 7" }, []GuideFinding{
			{GuideBillingStreet, Location{"2010AA", "N3", "N301", 0}, "billing provider address must be a street address, not a post office box (use payToAddress)"}}},
		{"attending NPI on an 837I", Institutional, func(c *Claim) { c.Attending = &Provider{LastName: "DOC", NPI: "1234567890"} }, []GuideFinding{
			{GuideNPI, Location{"2310A", "NM1", "NM109", 0}, `attending provider NPI "1234567890" is not 10 digits with a valid check digit`}}},
		{"13 diagnoses on an 837I", Institutional, func(c *Claim) {
			for len(c.Diagnoses) < 13 {
				c.Diagnoses = append(c.Diagnoses, Diagnosis{Code: "I10", Kind: DiagnosisOther})
			}
		}, nil},
		{"51 lines on an 837I", Institutional, func(c *Claim) {
			for len(c.Lines) < 51 {
				c.Lines = append(c.Lines, c.Lines[0])
			}
			c.TotalChargeCents = c.LineChargeTotal()
		}, nil},
		{"1000 lines on an 837I", Institutional, func(c *Claim) {
			for len(c.Lines) < 1000 {
				c.Lines = append(c.Lines, c.Lines[0])
			}
			c.TotalChargeCents = c.LineChargeTotal()
		}, []GuideFinding{{GuideLineLimit, Location{"2400", "LX", "", 0}, "1000 service lines: an 837I holds at most 999"}}},
		{"modifiers on an 837I", Institutional, func(c *Claim) {
			c.Lines[0].ProcedureCode, c.Lines[0].Modifiers = "99213", []string{"a", "b", "c", "d", "e"}
		}, []GuideFinding{
			{GuideModifierLimit, Location{"2400", "SV2", "SV202-3", 1}, "5 procedure modifiers: a line holds at most 4"}}},
		{"11 other payers", Professional, func(c *Claim) {
			for i := range 11 {
				c.OtherPayers = append(c.OtherPayers, OtherPayer{PayerResponsibility: "S", Relationship: "18", ClaimFilingIndicator: "CI",
					ReleaseOfInformation: "Y", SubscriberLastName: "DOE", SubscriberMemberID: "M1", Payer: Payer{Name: "OTHER", ID: string(rune('A' + i))}})
			}
		}, []GuideFinding{{GuideOtherPayer, Location{"2320", "SBR", "SBR01", 0}, "at most 10 other payers (Loop 2320 repeats 10 times)"}}},
		{"tertiary 837I line adjudicated by revenue code", Institutional, func(c *Claim) {
			c.Subscriber.PayerResponsibility = "T"
			for _, r := range []string{"P", "S"} {
				c.OtherPayers = append(c.OtherPayers, OtherPayer{PayerResponsibility: r, Relationship: "18", ClaimFilingIndicator: "CI",
					ReleaseOfInformation: "Y", SubscriberLastName: "DOE", SubscriberMemberID: "M1", Payer: Payer{Name: "OTHER", ID: "P" + r}})
				c.Lines[0].Adjudications = append(c.Lines[0].Adjudications, LineAdjudication{PayerID: "P" + r, RevenueCode: "0510", Units: Units(1),
					Date: NewDate(2026, 3, 20)})
			}
			c.Lines[0].ProcedureCode = ""
		}, nil},
		{"837I line adjudication without revenue code", Institutional, func(c *Claim) {
			c.Subscriber.PayerResponsibility = "S"
			c.OtherPayers = []OtherPayer{{PayerResponsibility: "P", Relationship: "18", ClaimFilingIndicator: "CI",
				ReleaseOfInformation: "Y", SubscriberLastName: "DOE", SubscriberMemberID: "M1", Payer: Payer{Name: "OTHER", ID: "PP"}}}
			c.Lines[0].Adjudications = []LineAdjudication{{PayerID: "PP", ProcedureCode: "99213", Units: Units(1), Date: NewDate(2026, 3, 20)}}
		}, []GuideFinding{{GuideOtherPayer, Location{"2430", "SVD", "SVD04", 1}, "adjudicated revenue code is required"}}},
		{"16 line adjudications", Professional, func(c *Claim) {
			c.Subscriber.PayerResponsibility = "S"
			c.OtherPayers = []OtherPayer{{PayerResponsibility: "P", Relationship: "18", ClaimFilingIndicator: "CI",
				ReleaseOfInformation: "Y", SubscriberLastName: "DOE", SubscriberMemberID: "M1", Payer: Payer{Name: "OTHER", ID: "PP"}}}
			for range 16 {
				c.Lines[0].Adjudications = append(c.Lines[0].Adjudications, LineAdjudication{PayerID: "PP", ProcedureCode: "99213", Units: Units(1),
					Date: NewDate(2026, 3, 20)})
			}
		}, []GuideFinding{{GuideOtherPayer, Location{"2430", "SVD", "SVD01", 1}, "at most 15 line adjudications (Loop 2430 repeats 15 times)"}}},
		{"unknown kind", Kind("837D"), func(*Claim) {}, []GuideFinding{
			{GuideKind, Location{"ST", "ST", "ST03", 0}, `claim kind must be 837P or 837I, got "837D"`}}},
		{"line dates out of order", Professional, func(c *Claim) { c.Lines[0].ServiceDateEnd = NewDate(2026, 3, 1) }, []GuideFinding{
			{GuideDateOrder, Location{"2400", "DTP", "DTP03", 1}, "service dates end before they start"}}},
		{"dependent without demographics", Professional, func(c *Claim) { c.Patient = &Patient{Relationship: "19", LastName: "DOE"} }, []GuideFinding{
			{GuidePatient, Location{"2010CA", "N3", "", 0}, "patient address is required"},
			{GuidePatient, Location{"2010CA", "DMG", "DMG02", 0}, "patient birth date is required"},
			{GuidePatient, Location{"2010CA", "DMG", "DMG03", 0}, "patient gender must be F, M or U"}}},
		{"negative total", Professional, func(c *Claim) { c.TotalChargeCents = -150 }, []GuideFinding{
			{GuideClaim, Location{"2300", "CLM", "CLM02", 0}, "total charge must not be negative"},
			{GuideTotalCharge, Location{"2300", "CLM", "CLM02", 0}, "total charge -1.50 does not equal the sum of the line charges, 125.00"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := guideClaim(tt.kind)
			tt.change(c)
			if got := CheckGuideRules(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLocationString(t *testing.T) {
	for loc, want := range map[Location]string{
		{"2300", "CLM", "CLM02", 0}:   "2300 CLM CLM02",
		{"2400", "SV1", "SV107-1", 2}: "2400 SV1 SV107-1 (line 2)",
		{"2300", "HI", "", 0}:         "2300 HI",
		{"ST", "", "", 0}:             "ST",
		{"2420A", "NM1", "NM109", 12}: "2420A NM1 NM109 (line 12)",
	} {
		if got := loc.String(); got != want {
			t.Errorf("%#v: %q, want %q", loc, got, want)
		}
	}
}

func BenchmarkCheckGuideRules(b *testing.B) {
	c := guideClaim(Professional)
	b.ReportAllocs()
	for b.Loop() {
		if fs := CheckGuideRules(c); fs != nil {
			b.Fatal(fs)
		}
	}
}
