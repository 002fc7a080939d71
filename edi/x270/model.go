// Package x270 writes 270 eligibility inquiries and reads and writes 271
// eligibility responses (ASC X12 005010X279A1).
//
// A 270 asks one payer (the information source, HL 20) on behalf of a
// provider (the information receiver, HL 21) about subscribers (HL 22) and,
// when the patient is not the subscriber, their dependents (HL 23). Each
// inquiry carries a TRN trace number that the payer echoes in its 271, so
// every answer matches back to its question. A 271 decodes to one Summary
// per patient: coverage status, plan and group, dates and the benefits by
// service type.
package x270

import (
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// Implementation guide identifiers: GS08 and ST03, and the GS01 functional
// identifier codes of 270 and 271 groups.
const (
	Version         = "005010X279A1"
	FunctionalID270 = "HS"
	FunctionalID271 = "HB"
)

// DefaultServiceType is EQ01 when an inquiry names none: 30, health benefit
// plan coverage.
const DefaultServiceType = "30"

// Entity is an NM1 segment: a payer, provider or person.
type Entity struct {
	EntityCode  string // NM101: PR payer, 1P provider, IL subscriber, 03 dependent, P3 primary care provider, ...
	EntityType  string // NM102: 1 person, 2 non-person
	Last        string // NM103, or the organization name
	First       string // NM104
	Middle      string // NM105
	Suffix      string // NM107
	IDQualifier string // NM108: PI payer ID, XX NPI, MI member ID, ...
	ID          string // NM109
}

// Reference is a REF segment.
type Reference struct {
	Qualifier   string // REF01: 18 plan number, 6P group number, 1L, SY, EJ, ...
	Value       string // REF02
	Description string // REF03: such as the plan or group name
}

// DateRef is a DTP segment: a D8 date or an RD8 range (To equals From for
// a single date).
type DateRef struct {
	Qualifier string // DTP01: 291 plan, 346 plan begin, 347 plan end, 356/357 eligibility begin/end, 307 eligibility, 472 service, ...
	From, To  time.Time
}

// Person is a subscriber or dependent (Loops 2100C and 2100D).
type Person struct {
	Last, First, Middle, Suffix string
	// MemberID is NM109 with qualifier MI (the subscriber's; a dependent
	// usually has none).
	MemberID   string
	BirthDate  time.Time   // DMG02
	Gender     string      // DMG03: F, M, U
	References []Reference // REF: 6P group, 18 plan, SY, ...
	Address    Address     // N3, N4 (271)
	// Relationship is INS02 in a 271 (18 self, 01 spouse, 19 child, ...).
	Relationship string
}

// Address is N3 and N4.
type Address struct {
	Line1, Line2 string
	City, State  string
	PostalCode   string
}

// Inquiry is one eligibility question of a 270: one patient, the service
// types and the date of service.
type Inquiry struct {
	// TraceNumber is TRN02, unique per inquiry: the 271 echoes it.
	TraceNumber string
	// TraceOriginator is TRN03, the originator's company identifier: 1
	// followed by the EIN, or 9 followed by a DUNS or assigned number.
	TraceOriginator string
	Subscriber      Person // Loop 2100C
	// Dependent is Loop 2100D, present when the patient is not the
	// subscriber.
	Dependent *Person
	// ServiceTypes are EQ01 repetitions; empty means DefaultServiceType.
	ServiceTypes []string
	// ServiceDate is DTP*291; ServiceDateEnd makes it an RD8 range.
	ServiceDate, ServiceDateEnd time.Time
}

// Request is one 270 transaction set: a batch of inquiries to one payer for
// one provider.
type Request struct {
	ControlNumber string // ST02 (decoded)
	ReferenceID   string // BHT03: submitter's transaction identifier
	Created       time.Time
	Source        Entity // Loop 2100A, the payer (NM1*PR)
	Receiver      Entity // Loop 2100B, the provider (NM1*1P with NPI)
	Inquiries     []Inquiry
	// Errors are positioned problems found while decoding.
	Errors []*edi.Error
}

// RequestError is an AAA segment: the payer could not process the request
// at some level.
type RequestError struct {
	// Loop is where the AAA stood: 2100A, 2100B, 2100C, 2100D, 2110C or
	// 2110D.
	Loop     string
	Valid    string // AAA01: Y valid request, N invalid
	Reason   string // AAA03: reject reason code, such as 72 invalid member ID, 75 subscriber not found, 42 unable to respond now
	FollowUp string // AAA04: C correct and resubmit, N resubmission not allowed, R resubmit, W wait, X, Y
}

// Benefit is an EB segment with its Loop 2110 (and 2120) details.
type Benefit struct {
	// Code is EB01: 1-5 active coverage, 6-8 inactive, A coinsurance, B
	// copayment, C deductible, G out of pocket (stop loss), I non-covered,
	// L primary care provider, R other or additional payor, U contact
	// following entity, ... (element 1390, as listed at
	// https://stedi.com/edi/x12-005010/element/1390).
	Code            string
	CoverageLevel   string   // EB02: IND, FAM, EMP, ESP, CHD, ...
	ServiceTypes    []string // EB03 repetitions
	InsuranceType   string   // EB04: such as MB Medicare Part B, HM HMO, C1 commercial
	PlanDescription string   // EB05
	// TimePeriod is EB06: 23 calendar year, 29 remaining, 22 service year,
	// 24 year to date, 25 contract, 26 episode, 27 visit, 32 lifetime, 33
	// lifetime remaining, 36 admission, ...
	TimePeriod string
	// AmountCents is EB07 when HasAmount.
	AmountCents int64
	HasAmount   bool
	// PercentBasisPoints is EB08 in hundredths of a percent (.2 is 2000,
	// 20%), exact, when HasPercent.
	PercentBasisPoints int64
	HasPercent         bool
	QuantityQualifier  string // EB09
	Quantity           string // EB10, decimal as sent
	// AuthorizationRequired is EB11: Y, N or U unknown.
	AuthorizationRequired string
	// InPlanNetwork is EB12: Y in network, N out of network, W not
	// applicable (both).
	InPlanNetwork      string
	ProcedureQualifier string // EB13-1
	ProcedureCode      string // EB13-2

	Dates      []DateRef      // 2110 DTP
	References []Reference    // 2110 REF
	Errors     []RequestError // 2110 AAA
	Messages   []string       // 2110 MSG
	// RelatedEntities are the Loop 2120 benefit related entities between
	// LS and LE: another payer, a primary care provider, ...
	RelatedEntities []RelatedEntity
}

// RelatedEntity is Loop 2120: NM1, N3, N4, PER and PRV.
type RelatedEntity struct {
	Entity
	Address  Address
	Contacts []Contact
	Taxonomy string // PRV03
}

// Contact is a PER segment.
type Contact struct {
	Function string // PER01: IC information contact
	Name     string
	Numbers  []ContactNumber
}

// ContactNumber is one qualifier and number of a PER segment.
type ContactNumber struct {
	Qualifier string // TE, EM, FX, UR, EX
	Number    string
}

// CoverageStatus sums up a patient's eligibility.
type CoverageStatus string

// Coverage statuses.
const (
	CoverageActive   CoverageStatus = "active"
	CoverageInactive CoverageStatus = "inactive"
	// CoverageUnknown means no active or inactive EB was returned, as when
	// the request was rejected (AAA).
	CoverageUnknown CoverageStatus = "unknown"
)

// Summary is the answer to one inquiry: a 271's Loop 2000C, and 2000D when
// the patient is a dependent.
type Summary struct {
	// TraceNumber and TraceOriginator echo the 270's TRN02 and TRN03 (the
	// 271's TRN*2).
	TraceNumber     string
	TraceOriginator string
	// PayerTraceNumber and PayerTraceOriginator are a TRN*1 the payer
	// added, if any.
	PayerTraceNumber     string
	PayerTraceOriginator string
	Subscriber           Person
	Dependent            *Person

	Dates    []DateRef // 2100C/2100D DTP: 346 plan begin, 347 plan end, 356/357 eligibility, 291, 307, ...
	Benefits []Benefit // Loop 2110C/2110D EB
	// Errors are AAA segments of Loops 2100C, 2100D, 2110C and 2110D (and
	// of 2100A and 2100B, copied from the response for convenience).
	Errors []RequestError

	// Position is that of the patient's HL segment.
	Position edi.Position
}

// Response is one 271 transaction set.
type Response struct {
	Interchange    string
	Group          string
	ControlNumber  string // ST02
	ReferenceID    string // BHT03: echoes the 270's BHT03
	Created        time.Time
	Source         Entity         // 2100A
	SourceErrors   []RequestError // 2100A AAA
	Receiver       Entity         // 2100B
	ReceiverErrors []RequestError // 2100B AAA
	Summaries      []Summary
	// Errors are positioned problems found while decoding.
	Errors []*edi.Error
	// Position is that of the ST segment.
	Position edi.Position
}

// Patient is the dependent when there is one, else the subscriber.
func (s *Summary) Patient() *Person {
	if s.Dependent != nil {
		return s.Dependent
	}
	return &s.Subscriber
}

// Coverage is active when an EB01 of 1-5 was returned, inactive when one of
// 6-8 was (and none active), unknown otherwise.
func (s *Summary) Coverage() CoverageStatus {
	st := CoverageUnknown
	for _, b := range s.Benefits {
		switch b.Code {
		case "1", "2", "3", "4", "5":
			return CoverageActive
		case "6", "7", "8":
			st = CoverageInactive
		}
	}
	return st
}

// Plan is the plan description of the first coverage EB (EB05), or REF*18's
// description.
func (s *Summary) Plan() string {
	for _, b := range s.Benefits {
		switch b.Code {
		case "1", "2", "3", "4", "5", "6", "7", "8":
			if b.PlanDescription != "" {
				return b.PlanDescription
			}
		}
	}
	if r, ok := s.reference("18"); ok {
		if r.Description != "" {
			return r.Description
		}
		return r.Value
	}
	return ""
}

// GroupNumber is REF*6P of the patient (or subscriber), and its name.
func (s *Summary) GroupNumber() (number, name string) {
	r, _ := s.reference("6P")
	return r.Value, r.Description
}

func (s *Summary) reference(q string) (Reference, bool) {
	for _, p := range []*Person{s.Dependent, &s.Subscriber} {
		if p == nil {
			continue
		}
		for _, r := range p.References {
			if r.Qualifier == q {
				return r, true
			}
		}
	}
	return Reference{}, false
}

// CoverageDates are the plan (or eligibility) begin and end: DTP*346/347,
// else DTP*356/357, else an RD8 DTP*291 or 307.
func (s *Summary) CoverageDates() (begin, end time.Time) {
	for _, d := range s.Dates {
		switch d.Qualifier {
		case "346":
			begin = d.From
		case "347":
			end = d.From
		}
	}
	for _, d := range s.Dates {
		switch d.Qualifier {
		case "356":
			if begin.IsZero() {
				begin = d.From
			}
		case "357":
			if end.IsZero() {
				end = d.From
			}
		case "291", "307":
			if begin.IsZero() && !d.To.Equal(d.From) {
				begin, end = d.From, d.To
			}
		}
	}
	return begin, end
}

// ServiceBenefits are the cost-sharing benefits of one service type.
type ServiceBenefits struct {
	// ServiceType is the EB03 code; empty for benefits that name none (the
	// plan as a whole).
	ServiceType           string
	Copay                 []Benefit // EB01 B
	Coinsurance           []Benefit // EB01 A
	Deductible            []Benefit // EB01 C
	OutOfPocket           []Benefit // EB01 G
	AuthorizationRequired bool      // any EB11 Y
	NonCovered            bool      // EB01 I
}

// ByServiceType groups the summary's copay, coinsurance, deductible and
// out-of-pocket benefits by service type, in order of first appearance.
func (s *Summary) ByServiceType() []ServiceBenefits {
	var out []ServiceBenefits
	get := func(st string) *ServiceBenefits {
		for i := range out {
			if out[i].ServiceType == st {
				return &out[i]
			}
		}
		out = append(out, ServiceBenefits{ServiceType: st})
		return &out[len(out)-1]
	}
	for _, b := range s.Benefits {
		types := b.ServiceTypes
		if len(types) == 0 {
			types = []string{""}
		}
		for _, st := range types {
			switch b.Code {
			case "A", "B", "C", "G", "I":
			default:
				if b.AuthorizationRequired != "Y" {
					continue
				}
			}
			sb := get(st)
			switch b.Code {
			case "A":
				sb.Coinsurance = append(sb.Coinsurance, b)
			case "B":
				sb.Copay = append(sb.Copay, b)
			case "C":
				sb.Deductible = append(sb.Deductible, b)
			case "G":
				sb.OutOfPocket = append(sb.OutOfPocket, b)
			case "I":
				sb.NonCovered = true
			}
			if b.AuthorizationRequired == "Y" {
				sb.AuthorizationRequired = true
			}
		}
	}
	return out
}

// OtherPayers are the benefit related entities of EB01 R (other or
// additional payor) benefits: coordination of benefits information.
func (s *Summary) OtherPayers() []RelatedEntity {
	var out []RelatedEntity
	for _, b := range s.Benefits {
		if b.Code == "R" {
			out = append(out, b.RelatedEntities...)
		}
	}
	return out
}

// Messages are the MSG texts of all benefits, in order.
func (s *Summary) Messages() []string {
	var out []string
	for _, b := range s.Benefits {
		out = append(out, b.Messages...)
	}
	return out
}

// Match finds the summary that answers the inquiry with trace number trn.
func (r *Response) Match(trn string) *Summary {
	for i := range r.Summaries {
		if r.Summaries[i].TraceNumber == trn {
			return &r.Summaries[i]
		}
	}
	return nil
}
