package fhir

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// A resource's logical ID is its clinic and row, "1-42": rows are the
// clinic's, and the clinic check needs no look-up.

// ID returns the logical ID of row id of clinic.
func ID(clinic, id int64) string {
	return strconv.FormatInt(clinic, 10) + "-" + strconv.FormatInt(id, 10)
}

// ParseID reads a logical ID made by ID.
func ParseID(s string) (clinic, id int64, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	c, err1 := strconv.ParseInt(a, 10, 64)
	i, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || c <= 0 || i <= 0 {
		return 0, 0, false
	}
	return c, i, true
}

func reference(typ string, clinic, id int64) fhir.Reference {
	return fhir.Reference{Reference: ptr(typ + "/" + ID(clinic, id))}
}

func coding(system, c string) fhir.CodeableConcept {
	return fhir.CodeableConcept{Coding: []fhir.Coding{{System: ptr(system), Code: ptr(c)}}}
}

func usd(c int64) *fhir.Money {
	v := json.Number(money.Cents(c).String())
	return &fhir.Money{Value: &v, Currency: ptr("USD")}
}

func dateString(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return ptr(t.Format(time.DateOnly))
}

func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func meta(updated time.Time) *fhir.Meta {
	return &fhir.Meta{LastUpdated: ptr(instant(updated))}
}

// Patient is a registered patient as a FHIR Patient.
func Patient(p store.Patient) fhir.Patient {
	out := fhir.Patient{Id: ptr(ID(p.ClinicID, p.ID)), Meta: meta(p.UpdatedAt),
		Identifier: []fhir.Identifier{{Type: ptr(coding(SystemV2_0203, "MR")), System: ptr(SystemMRN), Value: ptr(p.MRN)}},
		Active:     ptr(p.MergedInto == nil),
		Name:       []fhir.HumanName{{Use: ptr(fhir.NameUseOfficial), Family: ptr(p.LastName), Given: []string{p.FirstName}}},
		BirthDate:  dateString(p.BirthDate)}
	switch p.Sex {
	case "F":
		out.Gender = ptr(fhir.AdministrativeGenderFemale)
	case "M":
		out.Gender = ptr(fhir.AdministrativeGenderMale)
	case "U":
		out.Gender = ptr(fhir.AdministrativeGenderUnknown)
	}
	if p.AddressLine1 != "" {
		a := fhir.Address{Line: []string{p.AddressLine1}, City: ptr(p.City), State: ptr(p.State), PostalCode: ptr(p.PostalCode)}
		if p.AddressLine2 != "" {
			a.Line = append(a.Line, p.AddressLine2)
		}
		out.Address = []fhir.Address{a}
	}
	if p.Phone != "" {
		out.Telecom = append(out.Telecom, fhir.ContactPoint{System: ptr(fhir.ContactPointSystemPhone), Value: ptr(p.Phone)})
	}
	if p.Email != "" {
		out.Telecom = append(out.Telecom, fhir.ContactPoint{System: ptr(fhir.ContactPointSystemEmail), Value: ptr(p.Email)})
	}
	if p.MergedInto != nil {
		out.Link = []fhir.PatientLink{{Other: reference("Patient", p.ClinicID, *p.MergedInto), Type: fhir.LinkTypeReplacedBy}}
	}
	return out
}

var x12ToSubscriber = map[string]string{"18": "self", "01": "spouse", "19": "child", "53": "common"}

// CoverageStatus is a coverage's FHIR status on day: cancelled once its
// effective period has ended, active otherwise.
func CoverageStatus(c store.Coverage, day time.Time) fhir.FinancialResourceStatusCodes {
	if !c.EffectiveTo.IsZero() && c.EffectiveTo.Before(day) {
		return fhir.FinancialResourceStatusCodesCancelled
	}
	return fhir.FinancialResourceStatusCodesActive
}

// Coverage is a patient's coverage as a FHIR Coverage; the payer is named
// by its payer ID.
func Coverage(c store.Coverage, payer store.Payer, day time.Time) fhir.Coverage {
	rel := x12ToSubscriber[c.RelationshipCode]
	if rel == "" {
		rel = "other"
	}
	out := fhir.Coverage{Id: ptr(ID(c.ClinicID, c.ID)), Meta: meta(c.UpdatedAt), Status: CoverageStatus(c, day),
		SubscriberId: ptr(c.MemberID), Beneficiary: reference("Patient", c.ClinicID, c.PatientID),
		Relationship: ptr(coding(SystemSubscriber, rel)), Order: ptr(c.Priority),
		Payor: []fhir.Reference{{Identifier: &fhir.Identifier{Value: ptr(payer.PayerID)}, Display: ptr(payer.Name)}}}
	if !c.EffectiveFrom.IsZero() || !c.EffectiveTo.IsZero() {
		out.Period = &fhir.Period{Start: dateString(c.EffectiveFrom), End: dateString(c.EffectiveTo)}
	}
	if c.GroupNumber != "" {
		out.Class = []fhir.CoverageClass{{Type: coding("http://terminology.hl7.org/CodeSystem/coverage-class", "group"), Value: c.GroupNumber}}
	}
	if rel != "self" && c.SubscriberLast != "" {
		out.Subscriber = &fhir.Reference{Display: ptr(strings.TrimSpace(c.SubscriberFirst + " " + c.SubscriberLast))}
	}
	return out
}

var appointmentStatuses = map[string]fhir.AppointmentStatus{
	store.AppointmentBooked: fhir.AppointmentStatusBooked, store.AppointmentCheckedIn: fhir.AppointmentStatusCheckedIn,
	store.AppointmentCompleted: fhir.AppointmentStatusFulfilled, store.AppointmentNoShow: fhir.AppointmentStatusNoshow,
	store.AppointmentCancelled: fhir.AppointmentStatusCancelled,
}

// Appointment is an appointment as a FHIR Appointment; the provider is
// named by NPI.
func Appointment(a store.Appointment, prov store.Provider) fhir.Appointment {
	return fhir.Appointment{Id: ptr(ID(a.ClinicID, a.ID)), Meta: meta(a.UpdatedAt), Status: appointmentStatuses[a.Status],
		Description: nonEmpty(a.Reason), Start: ptr(instant(a.StartsAt)), End: ptr(instant(a.EndsAt)),
		Participant: []fhir.AppointmentParticipant{
			{Actor: ptr(reference("Patient", a.ClinicID, a.PatientID)), Status: fhir.ParticipationStatusAccepted},
			{Actor: &fhir.Reference{Identifier: &fhir.Identifier{System: ptr(SystemNPI), Value: ptr(prov.NPI)}, Display: ptr(providerName(prov))},
				Status: fhir.ParticipationStatusAccepted},
		}}
}

func providerName(p store.Provider) string {
	if p.OrganizationName != "" {
		return p.OrganizationName
	}
	return strings.TrimSpace(p.FirstName + " " + p.LastName)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ClaimStatus is the FHIR status of a claim: cancelled when voided or
// replaced, draft before it is ready to submit, active otherwise.
func ClaimStatus(s claim.Status) fhir.FinancialResourceStatusCodes {
	switch s {
	case claim.StatusVoided, claim.StatusReplaced:
		return fhir.FinancialResourceStatusCodesCancelled
	case claim.StatusDraft, claim.StatusScrubFailed:
		return fhir.FinancialResourceStatusCodesDraft
	}
	return fhir.FinancialResourceStatusCodesActive
}

func claimType(kind string) fhir.CodeableConcept {
	c := "professional"
	if kind == store.ClaimInstitutional {
		c = "institutional"
	}
	return coding("http://terminology.hl7.org/CodeSystem/claim-type", c)
}

func providerRef(p claim.Provider) fhir.Reference {
	name := p.Organization
	if name == "" {
		name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
	return fhir.Reference{Identifier: &fhir.Identifier{System: ptr(SystemNPI), Value: ptr(p.NPI)}, Display: nonEmpty(name)}
}

func payerRef(p store.Payer) fhir.Reference {
	return fhir.Reference{Identifier: &fhir.Identifier{Value: ptr(p.PayerID)}, Display: nonEmpty(p.Name)}
}

func procedureCoding(code string) fhir.CodeableConcept {
	sys := SystemCPT
	if code != "" && code[0] >= 'A' && code[0] <= 'Z' {
		sys = SystemHCPCS
	}
	return coding(sys, code)
}

func modifiers(ms []string) []fhir.CodeableConcept {
	var out []fhir.CodeableConcept
	for _, m := range ms {
		out = append(out, coding(SystemCPT, m))
	}
	return out
}

// dotted puts the dot back in an ICD-10-CM code (J069 -> J06.9).
func dotted(code string) string {
	if len(code) > 3 {
		return code[:3] + "." + code[3:]
	}
	return code
}

// Claim is a stored claim as a FHIR Claim: its parties, diagnoses and
// lines (with modifiers and diagnosis pointers) from the canonical claim.
func Claim(c store.Claim, doc *claim.Claim, payer store.Payer) fhir.Claim {
	out := fhir.Claim{Id: ptr(ID(c.ClinicID, c.ID)), Meta: meta(c.UpdatedAt), Status: ClaimStatus(c.Status), Type: claimType(c.Kind),
		Use: fhir.UseClaim, Patient: reference("Patient", c.ClinicID, c.PatientID), Created: instant(c.CreatedAt),
		Identifier: []fhir.Identifier{{System: ptr(SystemPCN), Value: ptr(c.PatientControlNumber)}},
		Insurer:    ptr(payerRef(payer)), Priority: coding("http://terminology.hl7.org/CodeSystem/processpriority", "normal"),
		BillablePeriod: &fhir.Period{Start: dateString(c.ServiceDateFrom), End: dateString(c.ServiceDateTo)},
		Total:          usd(c.TotalChargeCents)}
	if c.OriginalClaimID != nil {
		out.Related = []fhir.ClaimRelated{{Claim: ptr(reference("Claim", c.ClinicID, *c.OriginalClaimID)),
			Relationship: ptr(coding("http://terminology.hl7.org/CodeSystem/related-claim-relationship", "prior"))}}
	}
	if doc == nil {
		return out
	}
	out.Provider = providerRef(doc.BillingProvider)
	out.Insurance = []fhir.ClaimInsurance{{Sequence: 1, Focal: true, Coverage: fhir.Reference{
		Identifier: &fhir.Identifier{Type: ptr(coding(SystemV2_0203, "MB")), Value: ptr(doc.Subscriber.MemberID)}}}}
	if doc.Rendering != nil {
		out.CareTeam = []fhir.ClaimCareTeam{{Sequence: 1, Provider: providerRef(*doc.Rendering),
			Role: ptr(coding("http://terminology.hl7.org/CodeSystem/claimcareteamrole", "primary"))}}
	}
	for i, d := range doc.Diagnoses {
		out.Diagnosis = append(out.Diagnosis, fhir.ClaimDiagnosis{Sequence: i + 1, DiagnosisCodeableConcept: coding(SystemICD10CM, dotted(d.Code))})
	}
	for i, l := range doc.Lines {
		units := json.Number(l.Units.String())
		it := fhir.ClaimItem{Sequence: i + 1, ProductOrService: procedureCoding(l.ProcedureCode), Modifier: modifiers(l.Modifiers),
			DiagnosisSequence: l.DiagnosisPointers, Quantity: &fhir.Quantity{Value: &units}, Net: usd(l.ChargeCents)}
		if !l.ServiceDate.IsZero() {
			it.ServicedDate = ptr(l.ServiceDate.String())
		}
		if pos := firstOf(l.PlaceOfService, doc.PlaceOfService); pos != "" {
			it.LocationCodeableConcept = ptr(coding(SystemPOS, pos))
		}
		if doc.Rendering != nil {
			it.CareTeamSequence = []int{1}
		}
		out.Item = append(out.Item, it)
	}
	return out
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// ClaimResponse is a claim's status as the payer last answered it (999,
// 277CA or 277, and the claim's state): outcome queued while the payer has
// not adjudicated it, complete once paid or denied, error when rejected.
func ClaimResponse(c store.Claim, payer store.Payer, acks []store.Acknowledgment, history []store.ClaimStatusChange) fhir.ClaimResponse {
	out := fhir.ClaimResponse{Id: ptr(ID(c.ClinicID, c.ID)), Meta: meta(c.UpdatedAt), Status: fhir.FinancialResourceStatusCodesActive,
		Type: claimType(c.Kind), Use: fhir.UseClaim, Patient: reference("Patient", c.ClinicID, c.PatientID), Created: instant(c.UpdatedAt),
		Insurer: payerRef(payer), Request: ptr(reference("Claim", c.ClinicID, c.ID)),
		Identifier:  []fhir.Identifier{{System: ptr(SystemPCN), Value: ptr(c.PatientControlNumber)}},
		Disposition: ptr("claim " + string(c.Status))}
	if c.PayerClaimControlNumber != "" {
		out.Identifier = append(out.Identifier, fhir.Identifier{Type: ptr(coding("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType", "payerid")),
			Value: ptr(c.PayerClaimControlNumber)})
	}
	switch c.Status {
	case claim.StatusPaid, claim.StatusPartiallyPaid, claim.StatusDenied, claim.StatusClosed:
		out.Outcome = fhir.ClaimProcessingCodesComplete
	case claim.StatusRejected:
		out.Outcome = fhir.ClaimProcessingCodesError
	default:
		out.Outcome = fhir.ClaimProcessingCodesQueued
	}
	if len(history) > 0 {
		out.Created = instant(history[len(history)-1].At)
	}
	for _, a := range acks {
		if a.ClaimID == nil || *a.ClaimID != c.ID || a.Code == "" {
			continue
		}
		note := fhir.ClaimResponseProcessNote{Text: a.Kind + " " + a.Code + " " + acceptedWord(a.Accepted) + " " + instant(a.CreatedAt)}
		out.ProcessNote = append(out.ProcessNote, note)
		if !a.Accepted {
			out.Error = append(out.Error, fhir.ClaimResponseError{Code: coding(SystemClaimStat, a.Code)})
		}
	}
	return out
}

func acceptedWord(ok bool) string {
	if ok {
		return "accepted"
	}
	return "rejected"
}

// paymentDocument is the part of a claim payment's document the EOB shows
// (billing writes it; see billing.PostRemittance).
type paymentDocument struct {
	Kind    string `json:"kind"`
	Remarks []string
	Lines   []struct {
		ProcedureCode string                  `json:"procedureCode"`
		Modifiers     []string                `json:"modifiers"`
		ChargeCents   int64                   `json:"chargeCents"`
		PaidCents     int64                   `json:"paidCents"`
		Units         claim.Quantity          `json:"units"`
		Adjustments   []store.ClaimAdjustment `json:"adjustments"`
	} `json:"lines"`
	ServiceDate    string `json:"serviceDate"`
	ServiceThrough string `json:"serviceThrough"`
}

const systemAdjudication = "http://terminology.hl7.org/CodeSystem/adjudication"

func adjudications(charge, paid int64, adjs []store.ClaimAdjustment) []fhir.ExplanationOfBenefitItemAdjudication {
	out := []fhir.ExplanationOfBenefitItemAdjudication{
		{Category: coding(systemAdjudication, "submitted"), Amount: usd(charge)},
		{Category: coding(systemAdjudication, "benefit"), Amount: usd(paid)},
	}
	for _, a := range adjs {
		out = append(out, fhir.ExplanationOfBenefitItemAdjudication{
			Category: coding("https://x12.org/codes/claim-adjustment-group-codes", a.GroupCode),
			Reason:   ptr(coding(SystemCARC, a.ReasonCode)), Amount: usd(a.AmountCents)})
	}
	return out
}

// ExplanationOfBenefit is one 835 claim payment (Loop 2100 CLP with its
// CAS and service lines) as a FHIR ExplanationOfBenefit.
func ExplanationOfBenefit(cp store.ClaimPayment, rem store.Remittance, c *store.Claim, payer store.Payer) fhir.ExplanationOfBenefit {
	out := fhir.ExplanationOfBenefit{Id: ptr(ID(cp.ClinicID, cp.ID)), Meta: meta(cp.CreatedAt), Status: fhir.ExplanationOfBenefitStatusActive,
		Type: claimType(store.ClaimProfessional), Use: fhir.UseClaim, Created: instant(cp.CreatedAt), Insurer: payerRef(payer),
		Outcome: fhir.ClaimProcessingCodesComplete, Disposition: ptr("CLP02 " + cp.StatusCode),
		Identifier: []fhir.Identifier{{System: ptr(SystemPCN), Value: ptr(cp.PatientControlNumber)}},
		Provider:   fhir.Reference{Display: ptr("billing provider")},
		Payment: &fhir.ExplanationOfBenefitPayment{Amount: usd(cp.PaidCents), Date: dateString(rem.PaymentDate),
			Identifier: &fhir.Identifier{Value: ptr(rem.TraceNumber)}},
		Total: []fhir.ExplanationOfBenefitTotal{
			{Category: coding(systemAdjudication, "submitted"), Amount: *usd(cp.ChargeCents)},
			{Category: coding(systemAdjudication, "benefit"), Amount: *usd(cp.PaidCents)},
			{Category: coding("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication", "memberliability"), Amount: *usd(cp.PatientResponsibilityCents)},
		}}
	if cp.PayerClaimControlNumber != "" {
		out.Identifier = append(out.Identifier, fhir.Identifier{Type: ptr(coding("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType", "payerid")),
			Value: ptr(cp.PayerClaimControlNumber)})
	}
	// The coverage the payment answers is the claim's; R4 requires one
	// insurance entry.
	out.Insurance = []fhir.ExplanationOfBenefitInsurance{{Focal: true, Coverage: fhir.Reference{Display: ptr(payer.PayerID)}}}
	if c != nil {
		out.Patient = reference("Patient", c.ClinicID, c.PatientID)
		out.Claim = ptr(reference("Claim", c.ClinicID, c.ID))
		out.ClaimResponse = ptr(reference("ClaimResponse", c.ClinicID, c.ID))
		out.BillablePeriod = &fhir.Period{Start: dateString(c.ServiceDateFrom), End: dateString(c.ServiceDateTo)}
	} else {
		out.Patient = fhir.Reference{Display: ptr("unmatched claim payment " + cp.PatientControlNumber)}
	}
	var claimAdj []store.ClaimAdjustment
	for _, a := range cp.Adjustments {
		if a.ServiceLine == 0 {
			claimAdj = append(claimAdj, a)
		}
	}
	if len(claimAdj) > 0 {
		out.Adjudication = adjudications(cp.ChargeCents, cp.PaidCents, claimAdj)[2:]
	}
	var doc paymentDocument
	if len(cp.Document) > 0 && json.Unmarshal(cp.Document, &doc) == nil {
		for i, l := range doc.Lines {
			units := json.Number(l.Units.String())
			it := fhir.ExplanationOfBenefitItem{Sequence: i + 1, ProductOrService: procedureCoding(l.ProcedureCode), Modifier: modifiers(l.Modifiers),
				Quantity: &fhir.Quantity{Value: &units}, Net: usd(l.ChargeCents), Adjudication: adjudications(l.ChargeCents, l.PaidCents, l.Adjustments)}
			if doc.ServiceDate != "" {
				it.ServicedDate = ptr(doc.ServiceDate)
			}
			out.Item = append(out.Item, it)
		}
		for _, r := range doc.Remarks {
			out.ProcessNote = append(out.ProcessNote, fhir.ExplanationOfBenefitProcessNote{Text: ptr("RARC " + r)})
		}
	}
	return out
}

// CoverageEligibilityResponse is a coverage's last 271 answer (recorded
// by the eligibility run) as a FHIR CoverageEligibilityResponse; ok is
// false when the coverage has never been checked.
func CoverageEligibilityResponse(c store.Coverage, payer store.Payer) (fhir.CoverageEligibilityResponse, bool) {
	if c.EligibilityChecked == nil {
		return fhir.CoverageEligibilityResponse{}, false
	}
	var e scheduling.Eligibility
	_ = json.Unmarshal(c.Benefits, &e) // a coverage with no readable answer shows its status alone
	out := fhir.CoverageEligibilityResponse{Id: ptr(ID(c.ClinicID, c.ID)), Meta: meta(*c.EligibilityChecked), Status: fhir.FinancialResourceStatusCodesActive,
		Purpose: []fhir.EligibilityResponsePurpose{fhir.EligibilityResponsePurposeBenefits}, Patient: reference("Patient", c.ClinicID, c.PatientID),
		Created: instant(*c.EligibilityChecked), Request: fhir.Reference{Identifier: &fhir.Identifier{System: ptr("urn:clearhouse:270-trace-number"), Value: ptr(e.TraceNumber)}},
		Outcome: fhir.ClaimProcessingCodesComplete, Insurer: payerRef(payer), Disposition: ptr("271 " + c.EligibilityStatus)}
	if e.ServiceDate != "" {
		out.ServicedDate = ptr(e.ServiceDate)
	}
	if len(e.Errors) > 0 {
		out.Outcome = fhir.ClaimProcessingCodesError
		for _, r := range e.Errors {
			out.Error = append(out.Error, fhir.CoverageEligibilityResponseError{Code: coding("https://x12.org/codes/aaa-reject-reason", r.Reason)})
		}
	}
	ins := fhir.CoverageEligibilityResponseInsurance{Coverage: reference("Coverage", c.ClinicID, c.ID), Inforce: ptr(c.EligibilityStatus == store.EligibilityActive)}
	if e.CoverageBegin != "" || e.CoverageEnd != "" {
		ins.BenefitPeriod = &fhir.Period{Start: nonEmpty(e.CoverageBegin), End: nonEmpty(e.CoverageEnd)}
	}
	for _, s := range e.Services {
		it := fhir.CoverageEligibilityResponseInsuranceItem{Excluded: ptr(s.NonCovered), AuthorizationRequired: ptr(s.AuthorizationRequired),
			Unit: ptr(coding("http://terminology.hl7.org/CodeSystem/benefit-unit", "individual"))}
		if s.ServiceType != "" {
			it.Category = ptr(coding("https://x12.org/codes/service-type-codes", s.ServiceType))
		}
		switch s.Network {
		case "Y":
			it.Network = ptr(coding("http://terminology.hl7.org/CodeSystem/benefit-network", "in"))
		case "N":
			it.Network = ptr(coding("http://terminology.hl7.org/CodeSystem/benefit-network", "out"))
		}
		add := func(typ string, allowed, remaining *int64) {
			if allowed == nil && remaining == nil {
				return
			}
			b := fhir.CoverageEligibilityResponseInsuranceItemBenefit{Type: coding("http://terminology.hl7.org/CodeSystem/benefit-type", typ)}
			if allowed != nil {
				b.AllowedMoney = usd(*allowed)
			}
			if remaining != nil && allowed != nil {
				b.UsedMoney = usd(*allowed - *remaining)
			}
			it.Benefit = append(it.Benefit, b)
		}
		add("copay", s.CopayCents, nil)
		add("deductible", s.DeductibleCents, s.DeductibleRemainingCents)
		add("benefit", s.OutOfPocketCents, s.OutOfPocketRemainingCents)
		if s.CoinsuranceBasisPoints != nil {
			pct := fmt.Sprintf("%d.%02d", *s.CoinsuranceBasisPoints/100, *s.CoinsuranceBasisPoints%100)
			it.Benefit = append(it.Benefit, fhir.CoverageEligibilityResponseInsuranceItemBenefit{
				Type: coding("http://terminology.hl7.org/CodeSystem/benefit-type", "coinsurance"), AllowedString: ptr(pct + "%")})
		}
		ins.Item = append(ins.Item, it)
	}
	out.Insurance = []fhir.CoverageEligibilityResponseInsurance{ins}
	return out, true
}
