// Package claim is the one canonical model of a health care claim. Billing
// builds it, the scrubber checks it, and edi/x837 writes it as an 837P
// (005010X222A1) or 837I (005010X223A2) and reads it back. Field comments
// name the 837 loop, segment and element each field maps to.
//
// Money is integer cents. Dates are calendar dates. Codes are kept as the
// code sets spell them, without dots (ICD-10-CM "E119", not "E11.9").
package claim

// Kind says which 837 a claim is.
type Kind string

// The claim kinds.
const (
	Professional  Kind = "837P" // 005010X222A1
	Institutional Kind = "837I" // 005010X223A2
)

// Frequency codes (CLM05-3): the claim's relation to earlier claims.
const (
	FrequencyOriginal    = "1"
	FrequencyReplacement = "7"
	FrequencyVoid        = "8"
)

// Claim is one claim: loop 2300 with its parties (2000A-2010CA) and service
// lines (2400).
type Claim struct {
	// ID is the engine's own identifier; it is not sent.
	ID   string `json:"id,omitempty"`
	Kind Kind   `json:"kind"`

	BillingProvider Provider   `json:"billingProvider"`        // 2010AA
	PayToAddress    *Address   `json:"payToAddress,omitempty"` // 2010AB, when payment goes elsewhere
	Subscriber      Subscriber `json:"subscriber"`             // 2000B SBR, 2010BA
	Payer           Payer      `json:"payer"`                  // 2010BB
	// Patient is set only when the patient is not the subscriber
	// (2000C/2010CA); otherwise the subscriber is the patient (SBR02 18).
	Patient *Patient `json:"patient,omitempty"`

	PatientControlNumber string `json:"patientControlNumber"` // CLM01
	TotalChargeCents     int64  `json:"totalChargeCents"`     // CLM02
	// PlaceOfService is CLM05-1 on professional claims (CMS POS code).
	PlaceOfService string `json:"placeOfService,omitempty"`
	// FacilityType is CLM05-1 on institutional claims: the first two digits
	// of the type of bill (facility type and bill classification, e.g. 13).
	FacilityType  string `json:"facilityType,omitempty"`
	FrequencyCode string `json:"frequencyCode"` // CLM05-3: 1, 7 or 8

	ProviderSignature       bool   `json:"providerSignature"`                 // CLM06 Y/N (837P)
	AssignmentParticipation string `json:"assignmentParticipation,omitempty"` // CLM07 A, B or C
	BenefitsAssigned        bool   `json:"benefitsAssigned"`                  // CLM08 Y/N
	ReleaseOfInformation    string `json:"releaseOfInformation,omitempty"`    // CLM09 I or Y
	PatientSignatureSource  string `json:"patientSignatureSource,omitempty"`  // CLM10 P (837P)
	// RelatedCauses are CLM11-1..3: AA auto accident, EM employment, OA
	// other accident.
	RelatedCauses []string `json:"relatedCauses,omitempty"`
	AccidentState string   `json:"accidentState,omitempty"` // CLM11-4
	DelayReason   string   `json:"delayReason,omitempty"`   // CLM20

	OnsetDate            Date `json:"onsetDate,omitzero"`            // DTP*431
	InitialTreatmentDate Date `json:"initialTreatmentDate,omitzero"` // DTP*454
	AccidentDate         Date `json:"accidentDate,omitzero"`         // DTP*439
	AdmissionDate        Date `json:"admissionDate,omitzero"`        // DTP*435
	// AdmissionHour is HHMM, written with the admission date on
	// institutional claims (DTP*435*DT).
	AdmissionHour string `json:"admissionHour,omitempty"`
	DischargeDate Date   `json:"dischargeDate,omitzero"` // DTP*096 (837P)
	// DischargeHour is HHMM (837I DTP*096*TM).
	DischargeHour string `json:"dischargeHour,omitempty"`
	StatementFrom Date   `json:"statementFrom,omitzero"` // 837I DTP*434 RD8
	StatementTo   Date   `json:"statementTo,omitzero"`

	// Institutional claim codes (837I CL1).
	AdmissionType   string `json:"admissionType,omitempty"`   // CL101
	AdmissionSource string `json:"admissionSource,omitempty"` // CL102
	PatientStatus   string `json:"patientStatus,omitempty"`   // CL103

	PriorAuthorization      string `json:"priorAuthorization,omitempty"`      // REF*G1
	ReferralNumber          string `json:"referralNumber,omitempty"`          // REF*9F
	PayerClaimControlNumber string `json:"payerClaimControlNumber,omitempty"` // REF*F8, for frequency 7 and 8
	MedicalRecordNumber     string `json:"medicalRecordNumber,omitempty"`     // REF*EA
	Note                    string `json:"note,omitempty"`                    // NTE*ADD (837P) / NTE*ADD (837I)

	// Diagnoses in HI order. On professional claims the first is the
	// principal (ABK) and up to eleven others (ABF) follow; line pointers
	// refer to this order, 1-based. Institutional claims use Kind on each.
	Diagnoses []Diagnosis `json:"diagnoses"`
	// Procedures are ICD-10-PCS procedures (837I HI BBR principal, BBQ other).
	Procedures      []Procedure      `json:"procedures,omitempty"`
	OccurrenceSpans []OccurrenceSpan `json:"occurrenceSpans,omitempty"` // 837I HI BI
	Occurrences     []Occurrence     `json:"occurrences,omitempty"`     // 837I HI BH
	Values          []ValueCode      `json:"values,omitempty"`          // 837I HI BE
	Conditions      []string         `json:"conditions,omitempty"`      // 837I HI BG

	Referring   *Provider `json:"referring,omitempty"`   // 837P 2310A, 837I 2310F
	Rendering   *Provider `json:"rendering,omitempty"`   // 837P 2310B, 837I 2310D
	Supervising *Provider `json:"supervising,omitempty"` // 837P 2310D
	Attending   *Provider `json:"attending,omitempty"`   // 837I 2310A
	Operating   *Provider `json:"operating,omitempty"`   // 837I 2310B
	// ServiceFacility is where service was rendered when it is not the
	// billing provider's address (837P 2310C, 837I 2310E).
	ServiceFacility *Facility `json:"serviceFacility,omitempty"`

	// OtherPayers are the other coverages for coordination of benefits
	// (2320, 2330A, 2330B), such as the primary payer on a secondary claim.
	OtherPayers []OtherPayer `json:"otherPayers,omitempty"`

	Lines []ServiceLine `json:"lines"` // 2400
}

// Address is an N3/N4 pair.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"` // N404, only outside the US
}

// Provider is a person or organization with an NPI: NM1 with its PRV, N3/N4
// and REF segments.
type Provider struct {
	// Organization is the name of a non-person entity (NM102 2, NM103);
	// when empty the provider is a person (NM102 1) named by LastName and
	// FirstName.
	Organization string   `json:"organization,omitempty"`
	LastName     string   `json:"lastName,omitempty"`
	FirstName    string   `json:"firstName,omitempty"`
	MiddleName   string   `json:"middleName,omitempty"`
	Suffix       string   `json:"suffix,omitempty"`
	NPI          string   `json:"npi,omitempty"`       // NM109 with NM108 XX
	Taxonomy     string   `json:"taxonomy,omitempty"`  // PRV03 (PXC)
	TaxID        string   `json:"taxId,omitempty"`     // REF*EI or REF*SY
	TaxIDType    string   `json:"taxIdType,omitempty"` // EI (employer ID) or SY (SSN)
	Address      *Address `json:"address,omitempty"`
}

// IsPerson reports whether the provider is an individual (NM102 1).
func (p *Provider) IsPerson() bool { return p.Organization == "" }

// Facility is a service location (837P 2310C, 837I 2310E).
type Facility struct {
	Name    string  `json:"name"`
	NPI     string  `json:"npi,omitempty"`
	Address Address `json:"address"`
}

// Payer is the destination payer (2010BB) or another payer (2330B).
type Payer struct {
	Name    string   `json:"name"`
	ID      string   `json:"id"` // NM109 with NM108 PI
	Address *Address `json:"address,omitempty"`
}

// Subscriber is the insured (2000B SBR and 2010BA).
type Subscriber struct {
	// PayerResponsibility is SBR01: P primary, S secondary, T tertiary.
	PayerResponsibility string `json:"payerResponsibility"`
	GroupNumber         string `json:"groupNumber,omitempty"` // SBR03
	GroupName           string `json:"groupName,omitempty"`   // SBR04
	// ClaimFilingIndicator is SBR09, such as MB (Medicare Part B), MC
	// (Medicaid), CI (commercial), BL, HM.
	ClaimFilingIndicator string   `json:"claimFilingIndicator"`
	MemberID             string   `json:"memberId"` // NM109 MI
	LastName             string   `json:"lastName"`
	FirstName            string   `json:"firstName,omitempty"`
	MiddleName           string   `json:"middleName,omitempty"`
	Suffix               string   `json:"suffix,omitempty"`
	Address              *Address `json:"address,omitempty"`
	BirthDate            Date     `json:"birthDate,omitzero"` // DMG02
	Gender               string   `json:"gender,omitempty"`   // DMG03 F, M or U
}

// Patient is a patient who is not the subscriber (2000C PAT and 2010CA).
type Patient struct {
	// Relationship is PAT01: 01 spouse, 19 child, 20 employee, 21 unknown,
	// 39 organ donor, 40 cadaver donor, 53 life partner, G8 other.
	Relationship string   `json:"relationship"`
	LastName     string   `json:"lastName"`
	FirstName    string   `json:"firstName,omitempty"`
	MiddleName   string   `json:"middleName,omitempty"`
	Suffix       string   `json:"suffix,omitempty"`
	Address      *Address `json:"address,omitempty"`
	BirthDate    Date     `json:"birthDate,omitzero"`
	Gender       string   `json:"gender,omitempty"`
}

// DiagnosisKind is the role of a diagnosis code on the claim (the HI code
// list qualifier).
type DiagnosisKind string

// The diagnosis kinds, with their ICD-10-CM HI qualifiers.
const (
	DiagnosisPrincipal DiagnosisKind = "principal" // ABK
	DiagnosisAdmitting DiagnosisKind = "admitting" // ABJ (837I)
	DiagnosisReason    DiagnosisKind = "reason"    // APR patient's reason for visit (837I)
	DiagnosisOther     DiagnosisKind = "other"     // ABF
	DiagnosisExternal  DiagnosisKind = "external"  // ABN external cause of injury (837I)
)

// Diagnosis is one ICD-10-CM code.
type Diagnosis struct {
	Code string        `json:"code"`
	Kind DiagnosisKind `json:"kind,omitempty"` // empty means principal for the first, other after
	// PresentOnAdmission is Y, N, U, W or 1 on inpatient claims (HI0x-9).
	PresentOnAdmission string `json:"presentOnAdmission,omitempty"`
}

// Procedure is an ICD-10-PCS procedure on an institutional claim.
type Procedure struct {
	Code      string `json:"code"`
	Date      Date   `json:"date"`
	Principal bool   `json:"principal,omitempty"`
}

// Occurrence is an occurrence code with its date (837I HI BH).
type Occurrence struct {
	Code string `json:"code"`
	Date Date   `json:"date"`
}

// OccurrenceSpan is an occurrence span code with its dates (837I HI BI).
type OccurrenceSpan struct {
	Code string `json:"code"`
	From Date   `json:"from"`
	To   Date   `json:"to"`
}

// ValueCode is a value code with its amount (837I HI BE).
type ValueCode struct {
	Code        string `json:"code"`
	AmountCents int64  `json:"amountCents"`
}

// ServiceLine is one 2400 loop: SV1 (837P) or SV2 (837I) with its dates,
// drug detail and line adjudications.
type ServiceLine struct {
	// ProcedureQualifier is SV101-1/SV202-1: HC (HCPCS and CPT) when empty.
	ProcedureQualifier string   `json:"procedureQualifier,omitempty"`
	ProcedureCode      string   `json:"procedureCode,omitempty"`
	Modifiers          []string `json:"modifiers,omitempty"` // up to four
	// RevenueCode is SV201 on institutional lines.
	RevenueCode string `json:"revenueCode,omitempty"`
	ChargeCents int64  `json:"chargeCents"`
	// UnitType is SV103/SV204: UN units or MJ minutes (837P), UN or DA days
	// (837I).
	UnitType string   `json:"unitType"`
	Units    Quantity `json:"units"`
	// PlaceOfService is SV105, when the line's differs from the claim's.
	PlaceOfService string `json:"placeOfService,omitempty"`
	// DiagnosisPointers are SV107: 1-based positions in Claim.Diagnoses,
	// at most four (837P).
	DiagnosisPointers []int     `json:"diagnosisPointers,omitempty"`
	ServiceDate       Date      `json:"serviceDate"`             // DTP*472
	ServiceDateEnd    Date      `json:"serviceDateEnd,omitzero"` // DTP*472 RD8 when a range
	ControlNumber     string    `json:"controlNumber,omitempty"` // REF*6R line item control number
	Drug              *Drug     `json:"drug,omitempty"`          // 2410
	Rendering         *Provider `json:"rendering,omitempty"`     // 2420A, when it differs from the claim's
	// Adjudications are other payers' line payments (2430).
	Adjudications []LineAdjudication `json:"adjudications,omitempty"`
}

// Drug is the national drug code detail of a line (2410 LIN and CTP).
type Drug struct {
	NDC string `json:"ndc"` // LIN03 with LIN02 N4, 11 digits
	// Quantity and UnitType are CTP04 and CTP05-1: F2 international unit,
	// GR gram, ME milligram, ML milliliter, UN unit.
	Quantity Quantity `json:"quantity"`
	UnitType string   `json:"unitType"`
}

// OtherPayer is another coverage of the patient (2320 with 2330A and 2330B).
type OtherPayer struct {
	PayerResponsibility  string `json:"payerResponsibility"` // SBR01
	Relationship         string `json:"relationship"`        // SBR02: 18 self, 01 spouse, 19 child, G8 other
	GroupNumber          string `json:"groupNumber,omitempty"`
	ClaimFilingIndicator string `json:"claimFilingIndicator"` // SBR09
	// Adjustments are the other payer's claim-level adjustments (2320 CAS).
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	PaidCents   int64        `json:"paidCents"` // AMT*D
	// PaidKnown says the paid amount was reported: AMT*D is written whenever
	// the other payer adjudicated the claim, even when it paid nothing.
	PaidKnown bool `json:"paidKnown,omitempty"`
	// RemainingPatientLiabilityCents is AMT*EAF when known.
	RemainingPatientLiabilityCents *int64 `json:"remainingPatientLiabilityCents,omitempty"`
	BenefitsAssigned               bool   `json:"benefitsAssigned"`     // OI03
	ReleaseOfInformation           string `json:"releaseOfInformation"` // OI06
	SubscriberLastName             string `json:"subscriberLastName"`   // 2330A NM103
	SubscriberFirstName            string `json:"subscriberFirstName,omitempty"`
	SubscriberMemberID             string `json:"subscriberMemberId"` // 2330A NM109
	Payer                          Payer  `json:"payer"`              // 2330B
	// AdjudicationDate is 2330B DTP*573, the date the other payer paid.
	AdjudicationDate Date `json:"adjudicationDate,omitzero"`
}

// Adjustment is one claim adjustment (a CAS group, reason and amount).
type Adjustment struct {
	// Group is CO contractual, PR patient responsibility, OA other, PI payer
	// initiated, CR correction and reversal.
	Group       string   `json:"group"`
	Reason      string   `json:"reason"` // CARC
	AmountCents int64    `json:"amountCents"`
	Quantity    Quantity `json:"quantity,omitempty"`
}

// LineAdjudication is another payer's adjudication of a line (2430 SVD, CAS,
// DTP*573).
type LineAdjudication struct {
	PayerID       string       `json:"payerId"` // SVD01, matches a 2330B NM109
	PaidCents     int64        `json:"paidCents"`
	ProcedureCode string       `json:"procedureCode,omitempty"`
	Modifiers     []string     `json:"modifiers,omitempty"`
	RevenueCode   string       `json:"revenueCode,omitempty"`
	Units         Quantity     `json:"units"`
	Adjustments   []Adjustment `json:"adjustments,omitempty"`
	Date          Date         `json:"date"`
}

// PayerOrder ranks a payer responsibility sequence code (SBR01, code list
// 1138) in the order payers bill: P primary 1, S secondary 2, T tertiary 3,
// then A to H (payers 4 to 11); U (unknown) and an empty code rank as
// primary.
func PayerOrder(code string) int {
	switch code {
	case "S":
		return 2
	case "T":
		return 3
	}
	if len(code) == 1 && code[0] >= 'A' && code[0] <= 'H' {
		return 4 + int(code[0]-'A')
	}
	return 1
}

// PatientIsSubscriber reports whether the subscriber is the patient.
func (c *Claim) PatientIsSubscriber() bool { return c.Patient == nil }

// LineChargeTotal is the sum of the line charges.
func (c *Claim) LineChargeTotal() int64 {
	var t int64
	for i := range c.Lines {
		t += c.Lines[i].ChargeCents
	}
	return t
}

// ServiceSpan returns the first and last dates of service over the lines (and
// the statement period of an institutional claim when it has no line dates).
func (c *Claim) ServiceSpan() (from, to Date) {
	for i := range c.Lines {
		l := &c.Lines[i]
		if l.ServiceDate.IsZero() {
			continue
		}
		end := l.ServiceDateEnd
		if end.IsZero() {
			end = l.ServiceDate
		}
		if from.IsZero() || l.ServiceDate.Before(from) {
			from = l.ServiceDate
		}
		if to.IsZero() || end.After(to) {
			to = end
		}
	}
	if from.IsZero() {
		from, to = c.StatementFrom, c.StatementTo
	}
	return from, to
}

// PatientName returns the patient's last and first names: the dependent's
// when there is one, else the subscriber's.
func (c *Claim) PatientName() (last, first string) {
	if c.Patient != nil {
		return c.Patient.LastName, c.Patient.FirstName
	}
	return c.Subscriber.LastName, c.Subscriber.FirstName
}

// PatientBirthDate is the patient's date of birth.
func (c *Claim) PatientBirthDate() Date {
	if c.Patient != nil {
		return c.Patient.BirthDate
	}
	return c.Subscriber.BirthDate
}

// DiagnosisKindAt returns the kind of the i-th (0-based) diagnosis, filling
// in the professional default: the first is principal, the rest other.
func (c *Claim) DiagnosisKindAt(i int) DiagnosisKind {
	if k := c.Diagnoses[i].Kind; k != "" {
		return k
	}
	if i == 0 {
		return DiagnosisPrincipal
	}
	return DiagnosisOther
}
