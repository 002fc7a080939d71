// Package x835 reads and writes the 835 health care claim payment/advice
// (ASC X12 005010X221A1). The Decoder walks a file one claim payment at a
// time, so a file of any size is read in constant memory, and checks that the
// amounts balance (SNIP type 3). The Encoder writes complete interchanges; the
// payer simulator produces its remittances with it.
package x835

import (
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// Implementation guide identifiers written in GS08 and ST03, and the
// functional identifier code (GS01) of an 835 group.
const (
	Version      = "005010X221A1"
	FunctionalID = "HP"
)

// Remittance is the header of one 835 transaction set: the payment (BPR),
// its trace (TRN), the payer (Loop 1000A) and payee (Loop 1000B). Provider
// adjustments (PLB) and transaction-level errors are complete once the
// decoder has passed the transaction's SE.
type Remittance struct {
	Interchange   string // ISA13 of the enclosing interchange
	Group         string // GS06 of the enclosing group
	ControlNumber string // ST02

	HandlingCode           string      // BPR01: C payment with remittance, H notification only, I information only, P prenotification, U split, X separate
	TotalPaidCents         int64       // BPR02: total actual provider payment
	CreditDebit            string      // BPR03: C credit, D debit
	PaymentMethod          string      // BPR04: ACH, BOP, CHK, FWT, NON
	PaymentFormat          string      // BPR05: CCP, CTX (ACH only)
	SenderBank             BankAccount // BPR06-BPR09: the payer's bank
	OriginatorID           string      // BPR10: payer identifier (1 followed by the TIN)
	OriginatorSupplemental string      // BPR11
	ReceiverBank           BankAccount // BPR12-BPR15: the payee's bank
	PaymentDate            time.Time   // BPR16: check issue or EFT effective date

	TraceType         string // TRN01, 1 current transaction trace numbers
	TraceNumber       string // TRN02: check or EFT trace number
	TraceOriginator   string // TRN03: payer identifier
	TraceSupplemental string // TRN04: originating company supplemental code

	Currency       string    // CUR02, when not USD
	ReceiverID     string    // REF*EV: receiver identification
	VersionID      string    // REF*F2: version identification
	ProductionDate time.Time // DTM*405: production date

	Payer Party // Loop 1000A (N1*PR)
	Payee Party // Loop 1000B (N1*PE)

	// ProviderAdjustments are the PLB adjustments, one per reason (a PLB
	// segment carries up to six).
	ProviderAdjustments []ProviderAdjustment
	// Errors are positioned problems of the transaction outside any claim:
	// header values that do not parse, unexpected segments, and the
	// transaction balance (BPR02 against the claims and PLB).
	Errors []*edi.Error

	// Position is that of the ST segment.
	Position edi.Position
	// Complete is set when the decoder has read the transaction's SE: its
	// provider adjustments and balance errors are then final.
	Complete bool
}

// BankAccount is a depository financial institution and account in BPR.
type BankAccount struct {
	DFIQualifier     string // 01 ABA routing number, 04 Canadian bank branch and institution number
	DFINumber        string
	AccountQualifier string // DA demand deposit, SG savings
	AccountNumber    string
}

// Party is a payer or payee (Loops 1000A and 1000B): N1, N3, N4, REF, PER, RDM.
type Party struct {
	EntityCode  string // N101: PR payer, PE payee
	Name        string // N102
	IDQualifier string // N103: XV CMS plan ID, XX NPI, FI TIN, PI payer ID
	ID          string // N104
	Address     Address
	References  []Reference // REF: 2U payer ID, EO, HI, NF; payee PQ, TJ, 0B, D3
	Contacts    []Contact   // PER: CX business, BL technical, IC web site
	// RemittanceDelivery is RDM (Loop 1000B): delivery method and address.
	RemittanceDelivery []string
}

// Address is N3 and N4.
type Address struct {
	Line1, Line2 string // N301, N302
	City         string // N401
	State        string // N402
	PostalCode   string // N403
	Country      string // N404
	Subdivision  string // N407
}

// IsZero reports whether no address was given.
func (a Address) IsZero() bool { return a == Address{} }

// Reference is a REF segment: a qualifier and an identifier.
type Reference struct {
	Qualifier string // REF01
	Value     string // REF02
}

// Contact is a PER segment.
type Contact struct {
	Function string // PER01: CX, BL, IC
	Name     string // PER02
	// Numbers are the PER03/04, PER05/06 and PER07/08 pairs: qualifier (TE,
	// EM, FX, UR, EX) and number.
	Numbers []ContactNumber
}

// ContactNumber is one communication number of a PER segment.
type ContactNumber struct {
	Qualifier string
	Number    string
}

// DateRef is a DTM segment: a qualifier and a date.
type DateRef struct {
	Qualifier string // DTM01: 232 statement from, 233 statement to, 036 coverage expiration, 050 received, 150/151 service period, 472 service date
	Date      time.Time
}

// Amount is an AMT segment.
type Amount struct {
	Qualifier   string // AMT01: claim AU, D8, DY, F5, I, NL, T, T2, ZK-ZN; line B6 allowed, KH, T, T2, ZK-ZO
	AmountCents int64
}

// Quantity is a QTY segment. The value is the X12 decimal as sent.
type Quantity struct {
	Qualifier string // QTY01
	Value     string // QTY02
}

// Adjustment is one reason of a CAS segment (a CAS carries up to six).
type Adjustment struct {
	Group       string // CAS01: CO, CR, OA, PI, PR
	Reason      string // claim adjustment reason code (CARC)
	AmountCents int64
	Quantity    string // units adjusted, the X12 decimal as sent; empty when absent
}

// Adjustment group codes (CAS01).
const (
	GroupContractual    = "CO"
	GroupCorrection     = "CR"
	GroupOther          = "OA"
	GroupPayerInitiated = "PI"
	GroupPatient        = "PR"
)

// Claim status codes (CLP02) with a meaning the decoder acts on.
const (
	StatusPrimary   = "1"
	StatusSecondary = "2"
	StatusTertiary  = "3"
	StatusDenied    = "4"
	StatusReversal  = "22"
)

// Name is an NM1 segment of Loop 2100.
type Name struct {
	EntityCode  string // NM101: QC patient, IL insured, 74 corrected patient, 82 rendering provider, TT crossover carrier, PR corrected priority payer, GB other subscriber
	EntityType  string // NM102: 1 person, 2 non-person
	Last        string // NM103, or the organization name
	First       string // NM104
	Middle      string // NM105
	Suffix      string // NM107
	IDQualifier string // NM108: MI member ID, HN, II, C, 34, XX NPI, FI, BS, ...
	ID          string // NM109
}

// IsZero reports whether the name is absent.
func (n Name) IsZero() bool { return n == Name{} }

// ElementAmount is a monetary amount at a numbered position of a segment,
// such as MIA04 (claim DRG amount) or MOA02 (HCPCS payable amount).
type ElementAmount struct {
	Element     int
	AmountCents int64
}

// InpatientAdjudication is MIA (Loop 2100). Counts are X12 decimals as sent.
type InpatientAdjudication struct {
	CoveredDays             string // MIA01
	LifetimePsychiatricDays string // MIA03
	CostReportDays          string // MIA15
	// Amounts are the monetary elements present: MIA02, 04, 06-14, 16-19, 24.
	Amounts []ElementAmount
	// RemarkCodes are MIA05 and MIA20-MIA23 (RARC), in order.
	RemarkCodes []string
}

// OutpatientAdjudication is MOA (Loop 2100).
type OutpatientAdjudication struct {
	ReimbursementRate string // MOA01, a decimal percentage as sent
	// Amounts are MOA02 (HCPCS payable), MOA08 (ESRD payment) and MOA09
	// (non-payable professional component), when present.
	Amounts []ElementAmount
	// RemarkCodes are MOA03-MOA07 (RARC), in order.
	RemarkCodes []string
}

// Amount returns the amount at element position i and whether it is present.
func (m *InpatientAdjudication) Amount(i int) (int64, bool) { return findAmount(m.Amounts, i) }

// Amount returns the amount at element position i and whether it is present.
func (m *OutpatientAdjudication) Amount(i int) (int64, bool) { return findAmount(m.Amounts, i) }

func findAmount(as []ElementAmount, i int) (int64, bool) {
	for _, a := range as {
		if a.Element == i {
			return a.AmountCents, true
		}
	}
	return 0, false
}

// ProviderSummary is TS3 (Loop 2000), the provider summary of an LX group
// (institutional claims).
type ProviderSummary struct {
	ProviderID       string    // TS301
	FacilityCode     string    // TS302
	FiscalPeriodEnd  time.Time // TS303
	ClaimCount       int64     // TS304
	TotalChargeCents int64     // TS305
}

// ClaimKind tells an original adjudication from a reversal or a correction.
type ClaimKind int

// Kinds of claim payment.
const (
	// Original is a first adjudication.
	Original ClaimKind = iota
	// Reversal takes back an earlier payment: CLP02 22, amounts negated.
	Reversal
	// Correction replaces a reversed adjudication: it follows a reversal
	// of the same patient control number in the transaction, or it carries
	// CR (corrections and reversals) group adjustments.
	Correction
)

func (k ClaimKind) String() string {
	switch k {
	case Reversal:
		return "reversal"
	case Correction:
		return "correction"
	}
	return "original"
}

// ClaimPayment is one claim of an 835 (Loop 2100 and its Loop 2110 service
// lines). A ClaimPayment the Decoder returns is valid until the next call to
// Next; Clone keeps one.
type ClaimPayment struct {
	// Remittance is the transaction the claim belongs to.
	Remittance *Remittance
	// HeaderNumber is LX01 of the claim's header group (Loop 2000).
	HeaderNumber int64
	// ProviderSummary is the group's TS3, or nil.
	ProviderSummary *ProviderSummary

	PatientControlNumber       string // CLP01
	Status                     string // CLP02: 1, 2, 3 processed as primary/secondary/tertiary, 4 denied, 19-23
	ChargeCents                int64  // CLP03
	PaidCents                  int64  // CLP04
	PatientResponsibilityCents int64  // CLP05 (zero when absent)
	FilingIndicator            string // CLP06: 12 PPO, 13 POS, 14 EPO, 15 indemnity, 16 HMO Medicare risk, 17 DMO, AM, CH, DS, HM, LM, MA, MB, MC, OF, TV, VA, WC, ZZ
	PayerClaimControlNumber    string // CLP07
	FacilityType               string // CLP08: place of service or bill type code
	Frequency                  string // CLP09: claim frequency type code
	DRGCode                    string // CLP11
	DRGWeight                  string // CLP12, decimal as sent
	DischargeFraction          string // CLP13, decimal as sent

	Kind ClaimKind

	Adjustments []Adjustment // claim-level CAS

	Patient           Name // NM1*QC
	Insured           Name // NM1*IL
	CorrectedPatient  Name // NM1*74
	RenderingProvider Name // NM1*82
	CrossoverCarrier  Name // NM1*TT
	PriorityPayer     Name // NM1*PR (corrected priority payer)
	OtherSubscriber   Name // NM1*GB

	Inpatient  *InpatientAdjudication  // MIA
	Outpatient *OutpatientAdjudication // MOA

	References []Reference // REF: other claim identifiers and rendering provider identifiers
	Dates      []DateRef   // DTM: 232, 233, 036, 050
	Contacts   []Contact   // PER*CX
	Amounts    []Amount    // AMT
	Quantities []Quantity  // QTY

	ServiceLines []ServicePayment

	// Errors are this claim's positioned problems: elements that do not
	// parse (edi.ErrSyntax), misplaced segments (edi.ErrImplementation)
	// and line or claim amounts that do not balance (edi.ErrBalance).
	Errors []*edi.Error

	// Position is that of the CLP segment.
	Position edi.Position
}

// Procedure is a composite medical procedure identifier (SVC01, SVC06).
type Procedure struct {
	Qualifier   string // AD, ER, HC, HP, IV, N4, NU, WK
	Code        string
	Modifiers   [4]string
	Description string // component 7
}

// IsZero reports whether the procedure is absent.
func (p Procedure) IsZero() bool { return p == Procedure{} }

// Remark is an LQ segment: a remark code with its list.
type Remark struct {
	Qualifier string // LQ01: HE claim payment remark codes (RARC), RX NCPDP reject/payment codes
	Code      string // LQ02
}

// ServicePayment is one service line (Loop 2110).
type ServicePayment struct {
	Procedure   Procedure // SVC01
	ChargeCents int64     // SVC02
	PaidCents   int64     // SVC03
	RevenueCode string    // SVC04: NUBC revenue code
	Units       string    // SVC05: units of service paid, decimal as sent; empty means 1
	// OriginalProcedure is SVC06, present when the payer adjudicated a
	// different procedure than the one billed.
	OriginalProcedure Procedure
	OriginalUnits     string // SVC07

	Dates       []DateRef    // DTM: 472 service date, 150/151 period
	Adjustments []Adjustment // line CAS
	References  []Reference  // REF: 6R line item control number, 1S, APC, BB, E9, G1, G3, LU, RB, 0K, provider identifiers
	Amounts     []Amount     // AMT: B6 allowed, KH, T, T2, ZK-ZO
	Quantities  []Quantity   // QTY
	Remarks     []Remark     // LQ

	// Position is that of the SVC segment (its byte offset is not kept:
	// zero).
	Position edi.Position
}

// ProviderAdjustment is one adjustment of a PLB segment.
type ProviderAdjustment struct {
	ProviderID      string    // PLB01
	FiscalPeriodEnd time.Time // PLB02: last day of the provider's fiscal year
	// Reason is the adjustment reason code (PLB03-1): L6 interest owed,
	// WO overpayment recovery, FB forwarding balance, 72 authorized return,
	// 50 late charge, 51 interest penalty, 90 early payment allowance, AH
	// origination fee, AM applied to borrower's account, AP acceleration of
	// benefits, B2 rebate, B3 recovery allowance, BD bad debt, BN bonus, C5
	// temporary allowance, CR capitation interest, CS adjustment, CT
	// capitation payment, CV capital passthrough, CW CRNA passthrough, DM
	// direct medical education passthrough, E3 withholding, FC fund
	// allocation, GO graduate medical education passthrough, HM hemophilia
	// clotting factor supplement, IP incentive premium payment, IR IRS
	// withholding, IS interim settlement, J1 nonreimbursable, L3 penalty, LE
	// levy, LS lump sum, OA organ acquisition passthrough, OB offset for
	// affiliated providers, PI periodic interim payment, PL payment final,
	// RA retro-activity adjustment, RE return on equity, SL student loan
	// repayment, TL third party liability, WU unspecified recovery.
	// (Code list: X12 element 426 as used by 005010X221A1; summarized from
	// https://www.stedi.com/docs/healthcare/professional-claims-code-lists.)
	Reason    string
	Reference string // PLB03-2: such as the payer claim control number the adjustment concerns
	// AmountCents is positive when it reduces the payment (a recovery) and
	// negative when it increases it (interest, a refund).
	AmountCents int64
	// Position is that of the PLB segment.
	Position edi.Position
}

// Provider adjustment reason codes (PLB03-1) the issue calls out.
const (
	ReasonInterest            = "L6"
	ReasonOverpaymentRecovery = "WO"
	ReasonForwardingBalance   = "FB"
	ReasonAuthorizedReturn    = "72"
)

// Clone returns a deep copy of c that stays valid after the decoder moves on.
func (c *ClaimPayment) Clone() *ClaimPayment {
	n := *c
	n.Adjustments = append([]Adjustment(nil), c.Adjustments...)
	n.References = append([]Reference(nil), c.References...)
	n.Dates = append([]DateRef(nil), c.Dates...)
	n.Contacts = make([]Contact, len(c.Contacts))
	for i, p := range c.Contacts {
		p.Numbers = append([]ContactNumber(nil), p.Numbers...)
		n.Contacts[i] = p
	}
	n.Amounts = append([]Amount(nil), c.Amounts...)
	n.Quantities = append([]Quantity(nil), c.Quantities...)
	n.Errors = append([]*edi.Error(nil), c.Errors...)
	if c.Inpatient != nil {
		m := *c.Inpatient
		m.Amounts = append([]ElementAmount(nil), m.Amounts...)
		m.RemarkCodes = append([]string(nil), m.RemarkCodes...)
		n.Inpatient = &m
	}
	if c.Outpatient != nil {
		m := *c.Outpatient
		m.Amounts = append([]ElementAmount(nil), m.Amounts...)
		m.RemarkCodes = append([]string(nil), m.RemarkCodes...)
		n.Outpatient = &m
	}
	if c.ProviderSummary != nil {
		s := *c.ProviderSummary
		n.ProviderSummary = &s
	}
	n.ServiceLines = make([]ServicePayment, len(c.ServiceLines))
	for i, l := range c.ServiceLines {
		l.Dates = append([]DateRef(nil), l.Dates...)
		l.Adjustments = append([]Adjustment(nil), l.Adjustments...)
		l.References = append([]Reference(nil), l.References...)
		l.Amounts = append([]Amount(nil), l.Amounts...)
		l.Quantities = append([]Quantity(nil), l.Quantities...)
		l.Remarks = append([]Remark(nil), l.Remarks...)
		n.ServiceLines[i] = l
	}
	return &n
}

// AdjustmentTotal is the sum of the claim-level adjustments.
func (c *ClaimPayment) AdjustmentTotal() int64 { return sumAdjustments(c.Adjustments) }

// AdjustmentTotal is the sum of the line's adjustments.
func (l *ServicePayment) AdjustmentTotal() int64 { return sumAdjustments(l.Adjustments) }

func sumAdjustments(as []Adjustment) int64 {
	var t int64
	for _, a := range as {
		t += a.AmountCents
	}
	return t
}

// Date returns the first date with qualifier q.
func (c *ClaimPayment) Date(q string) (time.Time, bool) { return findDate(c.Dates, q) }

// Date returns the first date with qualifier q.
func (l *ServicePayment) Date(q string) (time.Time, bool) { return findDate(l.Dates, q) }

func findDate(ds []DateRef, q string) (time.Time, bool) {
	for _, d := range ds {
		if d.Qualifier == q {
			return d.Date, true
		}
	}
	return time.Time{}, false
}

// Reference returns the first REF value with qualifier q.
func (c *ClaimPayment) Reference(q string) string { return findRef(c.References, q) }

// Reference returns the first REF value with qualifier q.
func (l *ServicePayment) Reference(q string) string { return findRef(l.References, q) }

func findRef(rs []Reference, q string) string {
	for _, r := range rs {
		if r.Qualifier == q {
			return r.Value
		}
	}
	return ""
}

// RemarkCodes lists the claim's remark codes (MIA and MOA) and its lines'
// LQ codes, in order, without repeats.
func (c *ClaimPayment) RemarkCodes() []string {
	var out []string
	add := func(code string) {
		for _, o := range out {
			if o == code {
				return
			}
		}
		out = append(out, code)
	}
	if c.Inpatient != nil {
		for _, r := range c.Inpatient.RemarkCodes {
			add(r)
		}
	}
	if c.Outpatient != nil {
		for _, r := range c.Outpatient.RemarkCodes {
			add(r)
		}
	}
	for _, l := range c.ServiceLines {
		for _, r := range l.Remarks {
			add(r.Code)
		}
	}
	return out
}
