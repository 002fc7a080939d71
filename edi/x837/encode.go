package x837

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unsafe"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
)

// Encoder writes claims as 837 transactions to a stream. Create it with
// NewEncoder, call Encode for each claim and Close at the end; Close writes
// the trailers (SE, GE, IEA) and flushes.
//
// Consecutive claims with the same billing provider and pay-to address share
// one billing provider level (2000A); consecutive claims with the same
// subscriber, payer and patient-is-subscriber status share one subscriber
// level (2000B), and consecutive claims of the same dependent share one
// patient level (2000C). A claim of the other kind (837P after 837I or the
// reverse) starts a new functional group, since GS08 differs.
//
// A claim that fails validation is not written at all: Encode returns a
// *ClaimError naming every problem and the encoder goes on with the next
// claim. Write errors, and data elements that hold a delimiter, are sticky:
// the output is then unusable and every later call returns the error.
type Encoder struct {
	w   *edi.Writer
	env Envelope
	err error // sticky

	closed bool
	index  int // claims offered to Encode

	kind                        claim.Kind // kind of the open group
	inISA, inGS, inST           bool
	isa, gs, st                 int64
	next                        ControlNumbers
	setClaims, isaClaims, total int

	hl                   int
	hlBilling, hlSub     int
	haveBilling, haveSub bool
	havePatient          bool
	billing              billingKey
	sub                  subscriberKey
	patient              patientKey
	placements           []Placement
	scratch              [64]byte
	maxPerSet, maxPerISA int
	refFromSet           bool
	// unchecked skips claim validation; only tests set it, to push
	// real-world claims that break guide rules through a round trip.
	unchecked bool
}

// billingKey, subscriberKey and patientKey hold copies of what a shared HL
// level carries, so consecutive claims can be compared with ==.
type billingKey struct {
	p        claim.Provider
	addr     claim.Address
	payTo    claim.Address
	hasPayTo bool
}

type subscriberKey struct {
	s         claim.Subscriber
	addr      claim.Address
	payer     claim.Payer
	payerAddr claim.Address
	self      bool
}

type patientKey struct {
	p    claim.Patient
	addr claim.Address
}

func deref(a *claim.Address) claim.Address {
	if a == nil {
		return claim.Address{}
	}
	return *a
}

func makeBillingKey(c *claim.Claim) billingKey {
	k := billingKey{p: c.BillingProvider, addr: deref(c.BillingProvider.Address)}
	k.p.Address = nil
	if c.PayToAddress != nil {
		k.payTo, k.hasPayTo = *c.PayToAddress, true
	}
	return k
}

func makeSubscriberKey(c *claim.Claim) subscriberKey {
	k := subscriberKey{s: c.Subscriber, addr: deref(c.Subscriber.Address), payer: c.Payer,
		payerAddr: deref(c.Payer.Address), self: c.Patient == nil}
	k.s.Address, k.payer.Address = nil, nil
	return k
}

func makePatientKey(p *claim.Patient) patientKey {
	k := patientKey{p: *p, addr: deref(p.Address)}
	k.p.Address = nil
	return k
}

// NewEncoder returns an Encoder that writes to w. The envelope options are
// checked on the first Encode.
func NewEncoder(w io.Writer, env Envelope) *Encoder {
	d := env.Delimiters
	if d == (edi.Delimiters{}) {
		d = edi.DefaultDelimiters
	}
	if env.LineBreaks {
		w = &lineBreakWriter{w: w, term: d.Segment}
	}
	e := &Encoder{w: edi.NewWriter(w, d), env: env}
	e.next = env.Controls
	for _, p := range []*int64{&e.next.Interchange, &e.next.Group, &e.next.Set} {
		if *p == 0 {
			*p = 1
		}
	}
	e.maxPerSet = env.MaxClaimsPerSet
	if e.maxPerSet <= 0 {
		e.maxPerSet = DefaultMaxClaimsPerSet
	}
	e.maxPerISA = env.MaxClaimsPerInterchange
	e.refFromSet = env.Reference == ""
	if err := validateEnvelope(&env); err != nil {
		e.err = err
	}
	if err := e.w.Error(); err != nil && e.err == nil {
		e.err = fmt.Errorf("%w: delimiters: %w", ErrEnvelope, err)
	}
	return e
}

func validateEnvelope(env *Envelope) error {
	var missing []string
	for _, f := range []struct{ v, name string }{
		{env.SubmitterName, "SubmitterName (1000A NM103)"}, {env.SubmitterID, "SubmitterID (1000A NM109)"},
		{env.ContactName, "ContactName (1000A PER02)"},
		{env.ReceiverName, "ReceiverName (1000B NM103)"}, {env.ReceiverID, "ReceiverID (1000B NM109)"},
		{env.SenderID, "SenderID (ISA06)"}, {env.InterchangeReceiverID, "InterchangeReceiverID (ISA08)"},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if env.ContactPhone == "" && env.ContactEmail == "" {
		missing = append(missing, "ContactPhone or ContactEmail (1000A PER04)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %v", ErrEnvelope, missing)
	}
	if env.Usage != "P" && env.Usage != "T" {
		return fmt.Errorf("%w: Usage (ISA15) must be P or T, got %q", ErrEnvelope, env.Usage)
	}
	if env.Time.IsZero() {
		return fmt.Errorf("%w: Time is required (ISA09, GS04, BHT04)", ErrEnvelope)
	}
	if t := env.TransactionType; t != "" && t != "CH" && t != "RP" {
		return fmt.Errorf("%w: TransactionType (BHT06) must be CH or RP, got %q", ErrEnvelope, t)
	}
	if len(env.SenderID) > 15 || len(env.InterchangeReceiverID) > 15 {
		return fmt.Errorf("%w: ISA06 and ISA08 hold at most 15 characters", ErrEnvelope)
	}
	if env.MaxClaimsPerSet < 0 || env.MaxClaimsPerInterchange < 0 {
		return fmt.Errorf("%w: claim limits must not be negative", ErrEnvelope)
	}
	return nil
}

// EncodeBatch writes claims to w as one or more interchanges and returns
// where each claim went. It stops at the first invalid claim, before
// writing anything of it; the output is then incomplete and must not be
// sent.
func EncodeBatch(w io.Writer, env Envelope, claims []claim.Claim) ([]Placement, error) {
	if len(claims) == 0 {
		return nil, fmt.Errorf("%w: no claims to encode", ErrEnvelope)
	}
	e := NewEncoder(w, env)
	e.placements = make([]Placement, 0, len(claims))
	for i := range claims {
		if err := e.Encode(&claims[i]); err != nil {
			return e.Placements(), err
		}
	}
	if err := e.Close(); err != nil {
		return e.Placements(), err
	}
	return e.Placements(), nil
}

// Placements lists where each claim written so far went, in input order.
func (e *Encoder) Placements() []Placement { return e.placements }

// Err returns the encoder's sticky error, if any.
func (e *Encoder) Err() error {
	if e.err != nil {
		return e.err
	}
	return e.w.Error()
}

// Encode validates c and writes it. A *ClaimError leaves the output as it
// was; any other error is sticky.
func (e *Encoder) Encode(c *claim.Claim) error {
	if e.closed {
		return ErrClosed
	}
	if err := e.Err(); err != nil {
		return err
	}
	idx := e.index
	e.index++
	if probs := validate(c); len(probs) > 0 && !e.unchecked {
		return &ClaimError{PatientControlNumber: c.PatientControlNumber, Index: idx, Problems: probs}
	}
	if err := e.envelope(c.Kind); err != nil {
		e.err = err
		return err
	}
	e.levels(c)
	e.writeClaim(c)
	e.setClaims++
	e.isaClaims++
	e.total++
	e.placements = append(e.placements, Placement{PatientControlNumber: c.PatientControlNumber, ClaimID: c.ID,
		Interchange: e.isa, Group: e.gs, Set: e.st})
	if err := e.w.Error(); err != nil {
		e.err = fmt.Errorf("x837: claim %q: %w", c.PatientControlNumber, err)
		return e.err
	}
	return nil
}

// Close writes the open envelopes' trailers and flushes. Closing an encoder
// that wrote no claim writes nothing.
func (e *Encoder) Close() error {
	if e.closed {
		return e.Err()
	}
	e.closed = true
	if e.err != nil {
		return e.err
	}
	e.endInterchange()
	if err := e.w.Flush(); err != nil {
		e.err = err
	}
	return e.err
}

func (e *Encoder) alloc(level ControlLevel) (int64, error) {
	if e.next.Next != nil {
		n, err := e.next.Next(level)
		if err != nil {
			return 0, fmt.Errorf("x837: allocating a control number: %w", err)
		}
		if n < 1 || n > 999999999 {
			return 0, fmt.Errorf("%w: allocated control number %d is outside 1..999999999", ErrEnvelope, n)
		}
		return n, nil
	}
	var p *int64
	switch level {
	case ControlInterchange:
		p = &e.next.Interchange
	case ControlGroup:
		p = &e.next.Group
	default:
		p = &e.next.Set
	}
	n := *p
	if n < 1 || n > 999999999 {
		return 0, fmt.Errorf("%w: control number %d is outside 1..999999999", ErrEnvelope, n)
	}
	*p = n + 1
	return n, nil
}

func (e *Encoder) endSet() {
	if e.inST {
		e.w.EndSet()
		e.inST = false
	}
}

func (e *Encoder) endGroup() {
	e.endSet()
	if e.inGS {
		e.w.EndGroup()
		e.inGS = false
	}
}

func (e *Encoder) endInterchange() {
	e.endGroup()
	if e.inISA {
		e.w.EndInterchange()
		e.inISA = false
	}
}

// envelope opens or rolls over the interchange, group and set so the next
// claim of kind k fits.
func (e *Encoder) envelope(k claim.Kind) error {
	if e.inISA && e.maxPerISA > 0 && e.isaClaims >= e.maxPerISA {
		e.endInterchange()
	}
	if e.inGS && e.kind != k {
		e.endGroup()
	}
	if e.inST && e.setClaims >= e.maxPerSet {
		e.endSet()
	}
	env := &e.env
	if !e.inISA {
		n, err := e.alloc(ControlInterchange)
		if err != nil {
			return err
		}
		e.isa = n
		e.w.BeginInterchange(edi.ISAHeader{
			SenderQualifier: env.SenderQualifier, SenderID: env.SenderID,
			ReceiverQualifier: env.ReceiverQualifier, ReceiverID: env.InterchangeReceiverID,
			Time: env.Time, ControlNumber: n, AckRequested: env.AckRequested, Usage: env.Usage,
		})
		e.inISA = true
		e.isaClaims = 0
	}
	if !e.inGS {
		n, err := e.alloc(ControlGroup)
		if err != nil {
			return err
		}
		e.gs = n
		e.kind = k
		e.w.BeginGroup(edi.GSHeader{FunctionalID: "HC",
			SenderCode: orDefault(env.ApplicationSender, env.SenderID), ReceiverCode: orDefault(env.ApplicationReceiver, env.InterchangeReceiverID),
			Time: env.Time, ControlNumber: n, Version: Version(k)})
		e.inGS = true
	}
	if !e.inST {
		n, err := e.alloc(ControlSet)
		if err != nil {
			return err
		}
		e.st = n
		e.beginSet(k)
	}
	return e.w.Error()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// bstr views b as a string without copying. The writer copies every value
// it is given before returning, so a scratch buffer can be reused at once.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (e *Encoder) amount(cents int64) string {
	return bstr(edi.AppendAmount(e.scratch[:0], cents))
}

func (e *Encoder) quantity(q claim.Quantity) string {
	return bstr(q.AppendText(e.scratch[:0]))
}

// elemQuantity writes a quantity element. Whole quantities, most of them,
// are written as integers, the same text claim.Quantity.AppendText gives.
func (e *Encoder) elemQuantity(q claim.Quantity) {
	if q%1000 == 0 {
		e.w.ElemInt(int64(q / 1000))
		return
	}
	e.w.Elem(e.quantity(q))
}

func appendDate(b []byte, d claim.Date) []byte {
	y, m, day := d.Year, int(d.Month), d.Day
	return append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10),
		byte('0'+m/10), byte('0'+m%10), byte('0'+day/10), byte('0'+day%10))
}

// date formats d as CCYYMMDD, or "" for the zero Date (which validation
// keeps out where a date is required).
func (e *Encoder) date(d claim.Date) string {
	if d.IsZero() {
		return ""
	}
	return bstr(appendDate(e.scratch[:0], d))
}

// dateRange formats an RD8 range, or "" when a date is missing.
func (e *Encoder) dateRange(from, to claim.Date) string {
	if from.IsZero() || to.IsZero() {
		return ""
	}
	b := appendDate(e.scratch[:0], from)
	b = append(b, '-')
	return bstr(appendDate(b, to))
}

// beginSet writes ST, BHT and the submitter and receiver loops.
func (e *Encoder) beginSet(k claim.Kind) {
	w, env := e.w, &e.env
	w.BeginSet("837", e.st, Version(k))
	e.inST = true
	e.setClaims = 0
	e.hl = 0
	e.haveBilling, e.haveSub, e.havePatient = false, false, false

	// BHT: 0019 information source/receiver hierarchy, 00 original.
	w.Begin("BHT")
	w.Elem("0019")
	w.Elem("00")
	if e.refFromSet {
		w.ElemInt(e.st)
	} else {
		w.Elem(env.Reference)
	}
	w.ElemDate(env.Time)
	t := env.Time.UTC()
	hm := t.Hour()*100 + t.Minute()
	b := e.scratch[:0]
	b = append(b, byte('0'+hm/1000), byte('0'+hm/100%10), byte('0'+hm/10%10), byte('0'+hm%10))
	w.Elem(bstr(b))
	w.Elem(orDefault(env.TransactionType, "CH"))
	w.End()

	// 1000A submitter: NM1*41 (always a non-person entity here) and PER*IC.
	w.Segment("NM1", "41", "2", env.SubmitterName, "", "", "", "", "46", env.SubmitterID)
	w.Begin("PER")
	w.Elem("IC")
	w.Elem(env.ContactName)
	if env.ContactPhone != "" {
		w.Elem("TE")
		w.Elem(env.ContactPhone)
		if env.ContactEmail != "" {
			w.Elem("EM")
			w.Elem(env.ContactEmail)
		}
	} else {
		w.Elem("EM")
		w.Elem(env.ContactEmail)
	}
	w.End()
	// 1000B receiver.
	w.Segment("NM1", "40", "2", env.ReceiverName, "", "", "", "", "46", env.ReceiverID)
}

// levels writes the HL levels (2000A, 2000B, 2000C) the claim needs.
func (e *Encoder) levels(c *claim.Claim) {
	w := e.w
	// The keys are built on the stack and stored only when they change:
	// storing strings into the heap-allocated encoder costs write barriers
	// while the collector runs.
	if bk := makeBillingKey(c); !e.haveBilling || bk != e.billing {
		e.hl++
		e.hlBilling = e.hl
		e.billing, e.haveBilling = bk, true
		e.haveSub, e.havePatient = false, false
		// 2000A billing provider level.
		w.Begin("HL")
		w.ElemInt(int64(e.hl))
		w.Elem("")
		w.Elem("20")
		w.Elem("1")
		w.End()
		bp := &c.BillingProvider
		if bp.Taxonomy != "" {
			w.Segment("PRV", "BI", "PXC", bp.Taxonomy)
		}
		// 2010AA billing provider name.
		e.nm1("85", bp)
		e.address(bp.Address)
		w.Segment("REF", bp.TaxIDType, bp.TaxID)
		// 2010AB pay-to address.
		if c.PayToAddress != nil {
			w.Segment("NM1", "87", "2")
			e.address(c.PayToAddress)
		}
	}
	if sk := makeSubscriberKey(c); !e.haveSub || sk != e.sub {
		e.hl++
		e.hlSub = e.hl
		e.sub, e.haveSub = sk, true
		e.havePatient = false
		// 2000B subscriber level; HL04 says whether 2000C levels follow.
		w.Begin("HL")
		w.ElemInt(int64(e.hl))
		w.ElemInt(int64(e.hlBilling))
		w.Elem("22")
		if c.Patient == nil {
			w.Elem("0")
		} else {
			w.Elem("1")
		}
		w.End()
		s := &c.Subscriber
		w.Begin("SBR")
		w.Elem(s.PayerResponsibility)
		if c.Patient == nil {
			w.Elem("18")
		} else {
			w.Elem("")
		}
		w.Elem(s.GroupNumber)
		w.Elem(s.GroupName)
		w.Elems("", "", "", "")
		w.Elem(s.ClaimFilingIndicator)
		w.End()
		// 2010BA subscriber name; address and demographics only when the
		// subscriber is the patient.
		e.personName("IL", s.LastName, s.FirstName, s.MiddleName, s.Suffix, "MI", s.MemberID)
		if c.Patient == nil {
			e.address(s.Address)
			e.dmg(s.BirthDate, s.Gender)
		}
		// 2010BB payer name.
		w.Segment("NM1", "PR", "2", c.Payer.Name, "", "", "", "", "PI", c.Payer.ID)
		if c.Payer.Address != nil {
			e.address(c.Payer.Address)
		}
	}
	if p := c.Patient; p != nil {
		pk := makePatientKey(p)
		if !e.havePatient || pk != e.patient {
			e.hl++
			e.patient, e.havePatient = pk, true
			// 2000C patient level.
			w.Begin("HL")
			w.ElemInt(int64(e.hl))
			w.ElemInt(int64(e.hlSub))
			w.Elem("23")
			w.Elem("0")
			w.End()
			w.Segment("PAT", p.Relationship)
			// 2010CA patient name.
			e.personName("QC", p.LastName, p.FirstName, p.MiddleName, p.Suffix, "", "")
			e.address(p.Address)
			e.dmg(p.BirthDate, p.Gender)
		}
	}
}

// nm1 writes a provider's NM1 with its NPI (NM108 XX).
func (e *Encoder) nm1(code string, p *claim.Provider) {
	w := e.w
	w.Begin("NM1")
	w.Elem(code)
	if p.IsPerson() {
		w.Elem("1")
		w.Elem(p.LastName)
		w.Elem(p.FirstName)
		w.Elem(p.MiddleName)
		w.Elem("")
		w.Elem(p.Suffix)
	} else {
		w.Elem("2")
		w.Elem(p.Organization)
		w.Elems("", "", "", "")
	}
	if p.NPI != "" {
		w.Elem("XX")
		w.Elem(p.NPI)
	}
	w.End()
}

func (e *Encoder) personName(code, last, first, middle, suffix, idQual, id string) {
	w := e.w
	w.Begin("NM1")
	w.Elem(code)
	w.Elem("1")
	w.Elem(last)
	w.Elem(first)
	w.Elem(middle)
	w.Elem("")
	w.Elem(suffix)
	if id != "" {
		w.Elem(idQual)
		w.Elem(id)
	}
	w.End()
}

// address writes N3 and N4.
func (e *Encoder) address(a *claim.Address) {
	if a == nil {
		return
	}
	w := e.w
	w.Begin("N3")
	w.Elem(a.Line1)
	w.Elem(a.Line2)
	w.End()
	w.Begin("N4")
	w.Elem(a.City)
	w.Elem(a.State)
	w.Elem(a.PostalCode)
	w.Elem(a.Country)
	w.End()
}

func (e *Encoder) dmg(birth claim.Date, gender string) {
	if birth.IsZero() && gender == "" {
		return
	}
	w := e.w
	w.Begin("DMG")
	if birth.IsZero() {
		w.Elems("", "")
	} else {
		w.Elem("D8")
		w.Elem(e.date(birth))
	}
	w.Elem(gender)
	w.End()
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

func (e *Encoder) dtp(qual, format, v string) {
	if v == "" {
		return
	}
	w := e.w
	w.Begin("DTP")
	w.Elem(qual)
	w.Elem(format)
	w.Elem(v)
	w.End()
}

func (e *Encoder) dtpDate(qual string, d claim.Date) {
	if !d.IsZero() {
		e.dtp(qual, "D8", e.date(d))
	}
}

func (e *Encoder) ref(qual, v string) {
	if v != "" {
		e.w.Segment("REF", qual, v)
	}
}

// writeClaim writes loop 2300 with its 2310, 2320 and 2400 loops.
func (e *Encoder) writeClaim(c *claim.Claim) {
	w := e.w
	prof := c.Kind == claim.Professional

	// CLM
	w.Begin("CLM")
	w.Elem(c.PatientControlNumber)
	w.ElemAmount(c.TotalChargeCents)
	w.Elem("")
	w.Elem("")
	w.Composite()
	if prof {
		w.Comp(c.PlaceOfService)
		w.Comp("B")
	} else {
		w.Comp(c.FacilityType)
		w.Comp("A")
	}
	w.Comp(c.FrequencyCode)
	if prof {
		w.Elem(yn(c.ProviderSignature))
	} else {
		w.Elem("")
	}
	w.Elem(c.AssignmentParticipation)
	w.Elem(yn(c.BenefitsAssigned))
	w.Elem(c.ReleaseOfInformation)
	if prof {
		w.Elem(c.PatientSignatureSource)
		if len(c.RelatedCauses) > 0 {
			w.Composite()
			for i := 0; i < 3; i++ {
				if i < len(c.RelatedCauses) {
					w.Comp(c.RelatedCauses[i])
				} else {
					w.Comp("")
				}
			}
			w.Comp(c.AccidentState)
		} else {
			w.Elem("")
		}
	} else {
		w.Elems("", "")
	}
	if c.DelayReason != "" {
		w.Elems("", "", "", "", "", "", "", "")
		w.Elem(c.DelayReason) // CLM20
	}
	w.End()

	// DTP, in guide order.
	if prof {
		e.dtpDate("431", c.OnsetDate)
		e.dtpDate("454", c.InitialTreatmentDate)
		e.dtpDate("439", c.AccidentDate)
		e.dtpDate("435", c.AdmissionDate)
		e.dtpDate("096", c.DischargeDate)
	} else {
		if c.DischargeHour != "" {
			e.dtp("096", "TM", c.DischargeHour)
		}
		e.dtp("434", "RD8", e.dateRange(c.StatementFrom, c.StatementTo))
		if !c.AdmissionDate.IsZero() {
			if c.AdmissionHour != "" {
				b := appendDate(e.scratch[:0], c.AdmissionDate)
				b = append(b, c.AdmissionHour...)
				e.dtp("435", "DT", bstr(b))
			} else {
				e.dtp("435", "D8", e.date(c.AdmissionDate))
			}
		}
		// CL1 institutional claim code.
		w.Segment("CL1", c.AdmissionType, c.AdmissionSource, c.PatientStatus)
	}

	// REF, in guide order.
	e.ref("9F", c.ReferralNumber)
	e.ref("G1", c.PriorAuthorization)
	e.ref("F8", c.PayerClaimControlNumber)
	e.ref("EA", c.MedicalRecordNumber)
	if c.Note != "" {
		if prof {
			w.Segment("NTE", "ADD", c.Note)
		} else {
			w.Segment("NTE", "UPI", c.Note)
		}
	}

	if prof {
		// HI: principal (ABK) then up to eleven others (ABF), one segment.
		w.Begin("HI")
		for i := range c.Diagnoses {
			w.Composite()
			if i == 0 {
				w.Comp("ABK")
			} else {
				w.Comp("ABF")
			}
			w.Comp(c.Diagnoses[i].Code)
		}
		w.End()
	} else {
		e.institutionalHI(c)
	}

	// 2310 providers.
	if prof {
		if p := c.Referring; p != nil {
			e.nm1("DN", p) // 2310A
		}
		if p := c.Rendering; p != nil {
			e.nm1("82", p) // 2310B
			if p.Taxonomy != "" {
				w.Segment("PRV", "PE", "PXC", p.Taxonomy)
			}
		}
		e.facility(c.ServiceFacility) // 2310C
		if p := c.Supervising; p != nil {
			e.nm1("DQ", p) // 2310D
		}
	} else {
		if p := c.Attending; p != nil {
			e.nm1("71", p) // 2310A
			if p.Taxonomy != "" {
				w.Segment("PRV", "AT", "PXC", p.Taxonomy)
			}
		}
		if p := c.Operating; p != nil {
			e.nm1("72", p) // 2310B
		}
		if p := c.Rendering; p != nil {
			e.nm1("82", p) // 2310D
		}
		e.facility(c.ServiceFacility) // 2310E
		if p := c.Referring; p != nil {
			e.nm1("DN", p) // 2310F
		}
	}

	// 2320 other subscriber information with 2330A and 2330B.
	for i := range c.OtherPayers {
		e.otherPayer(&c.OtherPayers[i])
	}

	// 2400 service lines.
	for i := range c.Lines {
		e.line(c, i)
	}
}

func (e *Encoder) facility(f *claim.Facility) {
	if f == nil {
		return
	}
	w := e.w
	w.Begin("NM1")
	w.Elems("77", "2", f.Name, "", "", "", "")
	if f.NPI != "" {
		w.Elem("XX")
		w.Elem(f.NPI)
	}
	w.End()
	e.address(&f.Address)
}

// hiWriter writes HI segments of at most twelve composites.
type hiWriter struct {
	w *edi.Writer
	n int
}

func (h *hiWriter) next() {
	if h.n == 12 {
		h.w.End()
		h.n = 0
	}
	if h.n == 0 {
		h.w.Begin("HI")
	}
	h.n++
	h.w.Composite()
}

func (h *hiWriter) end() {
	if h.n > 0 {
		h.w.End()
		h.n = 0
	}
}

// institutionalDiagOrder is the order of the diagnosis HI segments in loop
// 2300 of 005010X223A2: principal, admitting, patient's reason for visit,
// external cause of injury, other.
var institutionalDiagOrder = [...]struct {
	kind claim.DiagnosisKind
	qual string
}{
	{claim.DiagnosisPrincipal, "ABK"}, {claim.DiagnosisAdmitting, "ABJ"}, {claim.DiagnosisReason, "APR"},
	{claim.DiagnosisExternal, "ABN"}, {claim.DiagnosisOther, "ABF"},
}

func (e *Encoder) institutionalHI(c *claim.Claim) {
	h := hiWriter{w: e.w}
	w := e.w
	for _, o := range institutionalDiagOrder {
		for i := range c.Diagnoses {
			if c.DiagnosisKindAt(i) != o.kind {
				continue
			}
			d := &c.Diagnoses[i]
			h.next()
			w.Comp(o.qual)
			w.Comp(d.Code)
			if d.PresentOnAdmission != "" && o.kind != claim.DiagnosisAdmitting && o.kind != claim.DiagnosisReason {
				for j := 3; j <= 8; j++ {
					w.Comp("")
				}
				w.Comp(d.PresentOnAdmission) // HI0x-9
			}
		}
		h.end()
	}
	for _, principal := range [...]bool{true, false} {
		for i := range c.Procedures {
			p := &c.Procedures[i]
			if p.Principal != principal {
				continue
			}
			h.next()
			if principal {
				w.Comp("BBR")
			} else {
				w.Comp("BBQ")
			}
			w.Comp(p.Code)
			if !p.Date.IsZero() {
				w.Comp("D8")
				w.Comp(e.date(p.Date))
			}
		}
		h.end()
	}
	for i := range c.OccurrenceSpans {
		o := &c.OccurrenceSpans[i]
		h.next()
		w.Comp("BI")
		w.Comp(o.Code)
		if r := e.dateRange(o.From, o.To); r != "" {
			w.Comp("RD8")
			w.Comp(r)
		}
	}
	h.end()
	for i := range c.Occurrences {
		o := &c.Occurrences[i]
		h.next()
		w.Comp("BH")
		w.Comp(o.Code)
		if !o.Date.IsZero() {
			w.Comp("D8")
			w.Comp(e.date(o.Date))
		}
	}
	h.end()
	for i := range c.Values {
		v := &c.Values[i]
		h.next()
		w.Comp("BE")
		w.Comp(v.Code)
		w.Comp("")
		w.Comp("")
		w.Comp(e.amount(v.AmountCents)) // HI0x-5
	}
	h.end()
	for _, code := range c.Conditions {
		h.next()
		w.Comp("BG")
		w.Comp(code)
	}
	h.end()
}

// cas writes adjustments as CAS segments: one per group code, in order of
// first appearance, each with up to six reason/amount/quantity triplets.
func (e *Encoder) cas(adj []claim.Adjustment) {
	w := e.w
outer:
	for i := range adj {
		g := adj[i].Group
		for j := 0; j < i; j++ {
			if adj[j].Group == g {
				continue outer
			}
		}
		n := 0
		w.Begin("CAS")
		w.Elem(g)
		for j := i; j < len(adj); j++ {
			a := &adj[j]
			if a.Group != g {
				continue
			}
			if n == 6 {
				w.End()
				w.Begin("CAS")
				w.Elem(g)
				n = 0
			}
			w.Elem(a.Reason)
			w.ElemAmount(a.AmountCents)
			if a.Quantity != 0 {
				e.elemQuantity(a.Quantity)
			} else {
				w.Elem("")
			}
			n++
		}
		w.End()
	}
}

func (e *Encoder) otherPayer(o *claim.OtherPayer) {
	w := e.w
	w.Begin("SBR")
	w.Elem(o.PayerResponsibility)
	w.Elem(o.Relationship)
	w.Elem(o.GroupNumber)
	w.Elems("", "", "", "", "")
	w.Elem(o.ClaimFilingIndicator)
	w.End()
	e.cas(o.Adjustments)
	if o.PaidKnown || o.PaidCents != 0 {
		w.Begin("AMT")
		w.Elem("D")
		w.ElemAmount(o.PaidCents)
		w.End()
	}
	if r := o.RemainingPatientLiabilityCents; r != nil {
		w.Begin("AMT")
		w.Elem("EAF")
		w.ElemAmount(*r)
		w.End()
	}
	w.Begin("OI")
	w.Elems("", "", yn(o.BenefitsAssigned), "", "", o.ReleaseOfInformation)
	w.End()
	// 2330A other subscriber name.
	w.Begin("NM1")
	w.Elems("IL", "1", o.SubscriberLastName, o.SubscriberFirstName, "", "", "", "MI", o.SubscriberMemberID)
	w.End()
	// 2330B other payer name.
	w.Segment("NM1", "PR", "2", o.Payer.Name, "", "", "", "", "PI", o.Payer.ID)
	e.address(o.Payer.Address)
	e.dtpDate("573", o.AdjudicationDate)
}

func (e *Encoder) procedure(qual, code string, mods []string) {
	w := e.w
	if code == "" && qual == "" && len(mods) == 0 {
		w.Elem("") // only without validation: nothing to write
		return
	}
	w.Composite()
	w.Comp(orDefault(qual, "HC"))
	w.Comp(code)
	for _, m := range mods {
		w.Comp(m)
	}
}

func (e *Encoder) line(c *claim.Claim, i int) {
	w := e.w
	l := &c.Lines[i]
	prof := c.Kind == claim.Professional
	w.Begin("LX")
	w.ElemInt(int64(i + 1))
	w.End()
	if prof {
		w.Begin("SV1")
		e.procedure(l.ProcedureQualifier, l.ProcedureCode, l.Modifiers)
		w.ElemAmount(l.ChargeCents)
		w.Elem(l.UnitType)
		e.elemQuantity(l.Units)
		if l.PlaceOfService != c.PlaceOfService {
			w.Elem(l.PlaceOfService)
		} else {
			w.Elem("")
		}
		w.Elem("")
		w.Composite()
		for _, p := range l.DiagnosisPointers {
			w.Comp(bstr(strconv.AppendInt(e.scratch[:0], int64(p), 10)))
		}
		w.End()
	} else {
		w.Begin("SV2")
		w.Elem(l.RevenueCode)
		if l.ProcedureCode != "" {
			e.procedure(l.ProcedureQualifier, l.ProcedureCode, l.Modifiers)
		} else {
			w.Elem("")
		}
		w.ElemAmount(l.ChargeCents)
		w.Elem(l.UnitType)
		e.elemQuantity(l.Units)
		w.End()
	}
	if !l.ServiceDate.IsZero() {
		if l.ServiceDateEnd.IsZero() {
			e.dtp("472", "D8", e.date(l.ServiceDate))
		} else {
			e.dtp("472", "RD8", e.dateRange(l.ServiceDate, l.ServiceDateEnd))
		}
	}
	e.ref("6R", l.ControlNumber)
	// 2410 drug identification.
	if d := l.Drug; d != nil {
		w.Segment("LIN", "", "N4", d.NDC)
		w.Begin("CTP")
		w.Elems("", "", "")
		e.elemQuantity(d.Quantity)
		w.Composite()
		w.Comp(d.UnitType)
		w.End()
	}
	// 2420A (837P) or 2420C (837I) rendering provider.
	if p := l.Rendering; p != nil {
		e.nm1("82", p)
		if prof && p.Taxonomy != "" {
			w.Segment("PRV", "PE", "PXC", p.Taxonomy)
		}
	}
	// 2430 line adjudication.
	for j := range l.Adjudications {
		a := &l.Adjudications[j]
		w.Begin("SVD")
		w.Elem(a.PayerID)
		w.ElemAmount(a.PaidCents)
		e.procedure("", a.ProcedureCode, a.Modifiers)
		if prof {
			w.Elem("")
		} else {
			w.Elem(a.RevenueCode)
		}
		e.elemQuantity(a.Units)
		w.End()
		e.cas(a.Adjustments)
		e.dtpDate("573", a.Date)
	}
}

// lineBreakWriter adds a line feed after each segment terminator.
type lineBreakWriter struct {
	w    io.Writer
	term byte
	buf  []byte
}

func (l *lineBreakWriter) Write(p []byte) (int, error) {
	n := len(p)
	b := l.buf[:0]
	for len(p) > 0 {
		i := bytes.IndexByte(p, l.term)
		if i < 0 {
			b = append(b, p...)
			break
		}
		b = append(b, p[:i+1]...)
		b = append(b, '\n')
		p = p[i+1:]
	}
	l.buf = b
	if _, err := l.w.Write(b); err != nil {
		return 0, err
	}
	return n, nil
}
