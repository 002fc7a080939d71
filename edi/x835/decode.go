package x835

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
	"unsafe"

	"github.com/clearhouse/clearhouse/edi"
)

// Caps on collected errors, so a broken file cannot exhaust memory.
const (
	maxClaimErrors       = 100
	maxTransactionErrors = 1000
)

// Decoder reads the claim payments of 835 transactions one at a time:
//
//	d := x835.NewDecoder(r)
//	for d.Next() {
//		cp := d.Claim()
//		...
//	}
//	if err := d.Err(); err != nil { ... }
//
// The input may hold several interchanges, groups and 835 transaction sets;
// each claim points to its transaction's Remittance. A transaction's
// provider adjustments (PLB) and balance are known after its SE, so they are
// complete in Remittances (and ProviderAdjustments) once Next has moved past
// the transaction, and at the latest when Next returns false.
//
// Problems in the data (an amount that does not parse, a misplaced segment,
// amounts that do not balance) are collected as positioned *edi.Error values
// in ClaimPayment.Errors and Remittance.Errors, and decoding goes on. Err
// reports only what stops decoding: a syntax error of the reader, a
// transaction set that is not an 835, or input that ends inside a set.
type Decoder struct {
	// SkipBalancing turns the SNIP type 3 balance checks off. Set it before
	// the first Next.
	SkipBalancing bool

	r       *edi.Reader
	seg     *edi.Segment // the current segment; valid while pending
	pending bool
	err     error
	eofErr  error
	done    bool

	rem         *Remittance
	remittances []*Remittance
	inSet       bool
	party       *Party
	header      int64
	summary     *ProviderSummary
	sumPaid     int64
	reversalPCN string

	claim   ClaimPayment
	inClaim bool
	line    int // index of the open service line, or -1
	badData bool
	mia     InpatientAdjudication
	moa     OutpatientAdjudication

	// Sums kept while the claim is read, so finishing it takes no second
	// pass over its adjustments: the claim-level CAS total, each line's
	// CAS total, and whether any CAS has group CR.
	claimAdj   int64
	lineAdj    []int64
	correction bool
	names      uint8 // Loop 2100 names set in the claim, by name* bit

	codes edi.StringCache

	segs int // segments read
	// inInterchange is set from an ISA (or GS, GE) to its IEA.
	inInterchange bool
	clpSeg        int // segs at the open claim's CLP

	dates [16]dateEntry

	// arena holds the bytes of the open claim's strings (see str).
	arena []byte
}

// dateEntry is one slot of the decoder's date cache: a CCYYMMDD element
// packed in a word, and its parsed time.
type dateEntry struct {
	key uint64
	t   time.Time
}

// arenaChunk is the size of the blocks claim strings are carved from.
const arenaChunk = 4 << 10

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return NewDecoderReader(edi.NewReader(r))
}

// NewDecoderReader returns a Decoder over an edi.Reader, so the caller can
// set the reader's File name and segment cap first.
func NewDecoderReader(r *edi.Reader) *Decoder {
	return &Decoder{r: r, line: -1}
}

// Claim is the claim payment Next found. It is valid until the next call to
// Next; Clone keeps it.
func (d *Decoder) Claim() *ClaimPayment { return &d.claim }

// Remittance is the header of the current transaction set (or of the last
// one, after the end of input); nil before the first BPR.
func (d *Decoder) Remittance() *Remittance { return d.rem }

// Remittances are the transaction sets read so far, in order. A
// transaction's ProviderAdjustments and balance errors are complete once the
// decoder has passed its SE.
func (d *Decoder) Remittances() []*Remittance { return d.remittances }

// ProviderAdjustments are the PLB adjustments of the current (or last)
// transaction set.
func (d *Decoder) ProviderAdjustments() []ProviderAdjustment {
	if d.rem == nil {
		return nil
	}
	return d.rem.ProviderAdjustments
}

// Err is the error that stopped decoding, or nil at a clean end of input.
func (d *Decoder) Err() error { return d.err }

// Next advances to the next claim payment and reports whether there is one.
func (d *Decoder) Next() bool {
	if d.err != nil || d.done {
		return false
	}
	if d.eofErr != nil {
		d.err = d.eofErr
		return false
	}
	for {
		if d.pending {
			d.pending = false
		} else {
			s, err := d.r.Next()
			if err == io.EOF {
				d.done = true
				if d.inSet {
					d.eofErr = d.errorf(edi.ErrEnvelope, 0, "input ends inside transaction set %s", d.rem.ControlNumber)
					d.done = false
				} else if d.inInterchange {
					// An ISA with no IEA: the file was cut, and what
					// followed it is not here (issue 14).
					d.eofErr = d.errorf(edi.ErrEnvelope, 0, "input ends inside an interchange: IEA is missing")
					d.done = false
				}
				if d.inClaim {
					d.finishClaim()
					return true
				}
				if d.eofErr != nil {
					d.err = d.eofErr
				}
				return false
			}
			if err != nil {
				d.err = err
				if d.inClaim {
					d.finishClaim()
					return true
				}
				return false
			}
			d.seg = s
			d.segs++
		}
		seg := d.seg
		if d.inClaim && endsClaim(seg) {
			d.finishClaim()
			d.pending = true
			return true
		}
		d.handle(seg)
		if d.err != nil {
			return false
		}
	}
}

// endsClaim reports whether seg closes an open Loop 2100.
func endsClaim(s *edi.Segment) bool {
	switch string(s.ID()) {
	case "CLP", "LX", "TS3", "TS2", "PLB", "SE", "ST", "GS", "GE", "ISA", "IEA":
		return true
	}
	return false
}

// errorf builds a positioned error at the current segment.
func (d *Decoder) errorf(sentinel error, elem int, format string, args ...any) *edi.Error {
	p := d.r.Position()
	p.Element = elem
	return &edi.Error{Pos: p, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
}

// report files a non-fatal problem with the open claim or the transaction.
func (d *Decoder) report(e *edi.Error) {
	if d.inClaim {
		if len(d.claim.Errors) < maxClaimErrors {
			d.claim.Errors = append(d.claim.Errors, e)
		}
		return
	}
	if d.rem != nil && len(d.rem.Errors) < maxTransactionErrors {
		d.rem.Errors = append(d.rem.Errors, e)
	}
}

// code returns b as a string, sharing the string of values that repeat
// (group and reason codes, qualifiers, provider names and identifiers)
// through the decoder's cache.
func (d *Decoder) code(b []byte) string { return d.codes.String(b, nil) }

func (d *Decoder) amount(s *edi.Segment, i int, required bool) int64 {
	b := s.Element(i)
	if len(b) == 0 {
		if required {
			d.badData = true
			d.report(d.errorf(edi.ErrSyntax, i, "required amount is missing"))
		}
		return 0
	}
	v, err := edi.ParseAmount(b)
	if err != nil {
		d.badData = true
		d.report(d.errorf(edi.ErrSyntax, i, "%q is not a decimal amount", b))
		return 0
	}
	return v
}

func (d *Decoder) date(s *edi.Segment, i int) time.Time {
	b := s.Element(i)
	if len(b) == 0 {
		return time.Time{}
	}
	// Remittances repeat a few dates (received, service, payment) many
	// times: keep recent ones in a small direct-mapped cache. A zero key
	// cannot be a valid date, so an empty slot never matches.
	var e *dateEntry
	if len(b) == 8 {
		k := binary.LittleEndian.Uint64(b)
		e = &d.dates[(k*0x9e3779b97f4a7c15)>>60]
		if e.key == k {
			return e.t
		}
	}
	v, err := edi.ParseDate(b)
	if err != nil {
		d.report(d.errorf(edi.ErrSyntax, i, "%q is not a CCYYMMDD date", b))
		return time.Time{}
	}
	if e != nil {
		*e = dateEntry{key: binary.LittleEndian.Uint64(b), t: v}
	}
	return v
}

// str returns b as a string whose bytes are carved from the decoder's
// arena, so a claim's identifiers and names cost no allocation each. Bytes
// of the arena are never written again once a string lies on them; a
// string kept beyond the claim (through Clone, say) keeps its block of
// arenaChunk bytes alive. Header values (Remittance, Party) do not use it,
// so the remittances a decoder keeps do not hold blocks.
func (d *Decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		if len(b) > arenaChunk/4 {
			return string(b)
		}
		d.arena = make([]byte, 0, arenaChunk)
	}
	n := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.String(&d.arena[n], len(b))
}

func (d *Decoder) integer(s *edi.Segment, i int) int64 {
	b := s.Element(i)
	if len(b) == 0 {
		return 0
	}
	v, err := edi.ParseInt(b)
	if err != nil {
		d.report(d.errorf(edi.ErrSyntax, i, "%q is not a whole number", b))
		return 0
	}
	return v
}

// handle applies one segment outside the claim-closing check.
func (d *Decoder) handle(s *edi.Segment) {
	id := s.ID()
	switch string(id) {
	case "ISA", "GS", "GE", "IEA":
		if d.inSet {
			d.endSet(false)
			d.err = d.errorf(edi.ErrEnvelope, 0, "%s inside transaction set %s: SE is missing", id, d.rem.ControlNumber)
		}
		d.inInterchange = string(id) != "IEA"
		return
	case "ST":
		d.beginSet(s)
		return
	}
	if !d.inSet {
		d.err = d.errorf(edi.ErrEnvelope, 0, "segment %s outside a transaction set", id)
		return
	}
	switch string(id) {
	case "SE":
		d.endSet(true)
	case "BPR":
		d.bpr(s)
	case "TRN":
		r := d.rem
		r.TraceType = d.code(s.Element(1))
		r.TraceNumber = string(s.Element(2))
		r.TraceOriginator = string(s.Element(3))
		r.TraceSupplemental = string(s.Element(4))
	case "CUR":
		d.rem.Currency = d.code(s.Element(2))
	case "REF":
		ref := Reference{Qualifier: d.code(s.Element(1))}
		if d.inClaim {
			ref.Value = d.str(s.Element(2))
		} else {
			ref.Value = string(s.Element(2))
		}
		switch {
		case d.inClaim && d.line >= 0:
			l := &d.claim.ServiceLines[d.line]
			l.References = append(l.References, ref)
		case d.inClaim:
			d.claim.References = append(d.claim.References, ref)
		case d.party != nil:
			d.party.References = append(d.party.References, ref)
		case ref.Qualifier == "EV":
			d.rem.ReceiverID = ref.Value
		case ref.Qualifier == "F2":
			d.rem.VersionID = ref.Value
		default:
			d.report(d.errorf(edi.ErrImplementation, 1, "header REF qualifier %q is not EV or F2", ref.Qualifier))
		}
	case "DTM":
		dt := DateRef{Qualifier: d.code(s.Element(1)), Date: d.date(s, 2)}
		switch {
		case d.inClaim && d.line >= 0:
			l := &d.claim.ServiceLines[d.line]
			l.Dates = append(l.Dates, dt)
		case d.inClaim:
			d.claim.Dates = append(d.claim.Dates, dt)
		case dt.Qualifier == "405":
			d.rem.ProductionDate = dt.Date
		default:
			d.report(d.errorf(edi.ErrImplementation, 1, "header DTM qualifier %q is not 405", dt.Qualifier))
		}
	case "N1":
		switch string(s.Element(1)) {
		case "PR":
			d.party = &d.rem.Payer
		case "PE":
			d.party = &d.rem.Payee
		default:
			d.party = nil
			d.report(d.errorf(edi.ErrImplementation, 1, "N1 entity %q is neither PR payer nor PE payee", s.Element(1)))
			return
		}
		p := d.party
		p.EntityCode = d.code(s.Element(1))
		p.Name = string(s.Element(2))
		p.IDQualifier = d.code(s.Element(3))
		p.ID = string(s.Element(4))
	case "N3", "N4", "RDM":
		if d.party == nil {
			d.report(d.errorf(edi.ErrImplementation, 0, "%s outside a payer or payee loop", id))
			return
		}
		a := &d.party.Address
		switch string(id) {
		case "N3":
			a.Line1, a.Line2 = string(s.Element(1)), string(s.Element(2))
		case "N4":
			a.City, a.State, a.PostalCode = string(s.Element(1)), string(s.Element(2)), string(s.Element(3))
			a.Country, a.Subdivision = string(s.Element(4)), string(s.Element(7))
		default:
			for i := 1; i <= s.Len(); i++ {
				d.party.RemittanceDelivery = append(d.party.RemittanceDelivery, string(s.Element(i)))
			}
		}
	case "PER":
		str := func(b []byte) string { return string(b) }
		if d.inClaim {
			str = d.str
		}
		c := Contact{Function: d.code(s.Element(1)), Name: str(s.Element(2))}
		for i := 3; i+1 <= 8; i += 2 {
			if q := s.Element(i); len(q) > 0 {
				c.Numbers = append(c.Numbers, ContactNumber{Qualifier: d.code(q), Number: str(s.Element(i + 1))})
			}
		}
		switch {
		case d.inClaim:
			d.claim.Contacts = append(d.claim.Contacts, c)
		case d.party != nil:
			d.party.Contacts = append(d.party.Contacts, c)
		default:
			d.report(d.errorf(edi.ErrImplementation, 0, "PER outside a payer or claim loop"))
		}
	case "LX":
		d.party = nil
		d.header = d.integer(s, 1)
		d.summary = nil
	case "TS3":
		d.summary = &ProviderSummary{
			ProviderID:       string(s.Element(1)),
			FacilityCode:     d.code(s.Element(2)),
			FiscalPeriodEnd:  d.date(s, 3),
			ClaimCount:       d.integer(s, 4),
			TotalChargeCents: d.amount(s, 5, false),
		}
	case "TS2":
		// Medicare-specific provider supplemental summary; carried by no
		// field of the model.
	case "CLP":
		d.party = nil
		d.beginClaim(s)
	case "CAS":
		d.cas(s)
	case "NM1":
		d.nm1(s)
	case "MIA":
		d.miaSeg(s)
	case "MOA":
		d.moaSeg(s)
	case "AMT":
		a := Amount{Qualifier: d.code(s.Element(1)), AmountCents: d.amount(s, 2, true)}
		switch {
		case d.inClaim && d.line >= 0:
			l := &d.claim.ServiceLines[d.line]
			l.Amounts = append(l.Amounts, a)
		case d.inClaim:
			d.claim.Amounts = append(d.claim.Amounts, a)
		default:
			d.report(d.errorf(edi.ErrImplementation, 0, "AMT outside a claim"))
		}
	case "QTY":
		q := Quantity{Qualifier: d.code(s.Element(1)), Value: d.code(s.Element(2))}
		switch {
		case d.inClaim && d.line >= 0:
			l := &d.claim.ServiceLines[d.line]
			l.Quantities = append(l.Quantities, q)
		case d.inClaim:
			d.claim.Quantities = append(d.claim.Quantities, q)
		default:
			d.report(d.errorf(edi.ErrImplementation, 0, "QTY outside a claim"))
		}
	case "SVC":
		d.svc(s)
	case "LQ":
		if !d.inClaim || d.line < 0 {
			d.report(d.errorf(edi.ErrImplementation, 0, "LQ outside a service line"))
			return
		}
		l := &d.claim.ServiceLines[d.line]
		l.Remarks = append(l.Remarks, Remark{Qualifier: d.code(s.Element(1)), Code: d.code(s.Element(2))})
	case "PLB":
		d.plb(s)
	default:
		d.report(d.errorf(edi.ErrImplementation, 0, "segment %s is not part of an 835", id))
	}
}

func (d *Decoder) beginSet(s *edi.Segment) {
	if d.inSet {
		d.endSet(false)
		d.err = d.errorf(edi.ErrEnvelope, 0, "ST inside transaction set %s: SE is missing", d.rem.ControlNumber)
		return
	}
	if string(s.Element(1)) != "835" {
		d.err = d.errorf(edi.ErrImplementation, 1, "transaction set %q is not an 835", s.Element(1))
		return
	}
	pos := d.r.Position()
	d.rem = &Remittance{
		Interchange:   pos.Interchange,
		Group:         pos.Group,
		ControlNumber: string(s.Element(2)),
		Position:      pos,
	}
	d.remittances = append(d.remittances, d.rem)
	if v := s.Element(3); len(v) > 0 && string(v) != Version && !edi.NamesBaseGuide(string(v), Version) {
		d.report(d.errorf(edi.ErrImplementation, 3, "ST03 %q is not %s", v, Version))
	}
	d.inSet = true
	d.party = nil
	d.header = 0
	d.summary = nil
	d.sumPaid = 0
	d.reversalPCN = ""
}

// endSet closes the transaction and checks its balance: BPR02 equals the
// sum of CLP04 minus the sum of the PLB adjustments (X221 section 1.10.2.1).
func (d *Decoder) endSet(seen bool) {
	d.inSet = false
	d.party = nil
	r := d.rem
	r.Complete = seen
	if !seen || d.SkipBalancing {
		return
	}
	var plb int64
	for _, a := range r.ProviderAdjustments {
		plb += a.AmountCents
	}
	total := r.TotalPaidCents
	if r.CreditDebit == "D" {
		total = -total
	}
	if want := d.sumPaid - plb; want != total {
		e := d.errorf(edi.ErrBalance, 0, "BPR02 total payment %s does not equal the claims' paid amounts %s minus provider adjustments %s (%s)",
			edi.FormatAmount(total), edi.FormatAmount(d.sumPaid), edi.FormatAmount(plb), edi.FormatAmount(want))
		if len(r.Errors) < maxTransactionErrors {
			r.Errors = append(r.Errors, e)
		}
	}
}

func (d *Decoder) bpr(s *edi.Segment) {
	r := d.rem
	r.HandlingCode = d.code(s.Element(1))
	r.TotalPaidCents = d.amount(s, 2, true)
	r.CreditDebit = d.code(s.Element(3))
	r.PaymentMethod = d.code(s.Element(4))
	r.PaymentFormat = d.code(s.Element(5))
	r.SenderBank = BankAccount{d.code(s.Element(6)), string(s.Element(7)), d.code(s.Element(8)), string(s.Element(9))}
	r.OriginatorID = string(s.Element(10))
	r.OriginatorSupplemental = string(s.Element(11))
	r.ReceiverBank = BankAccount{d.code(s.Element(12)), string(s.Element(13)), d.code(s.Element(14)), string(s.Element(15))}
	r.PaymentDate = d.date(s, 16)
}

func (d *Decoder) beginClaim(s *edi.Segment) {
	c := &d.claim
	// Reset the claim field by field, keeping the slices' storage: every
	// CLP field is assigned below, and only the names the last claim set
	// are cleared, which spares clearing the whole 1.4 KB struct.
	c.Kind = 0
	c.Adjustments = c.Adjustments[:0]
	c.References = c.References[:0]
	c.Dates = c.Dates[:0]
	c.Contacts = c.Contacts[:0]
	c.Amounts = c.Amounts[:0]
	c.Quantities = c.Quantities[:0]
	c.ServiceLines = c.ServiceLines[:0]
	c.Errors = c.Errors[:0]
	c.Inpatient, c.Outpatient = nil, nil
	if d.names != 0 {
		d.clearNames()
	}
	d.inClaim = true
	d.line = -1
	d.badData = false
	d.claimAdj, d.lineAdj, d.correction = 0, d.lineAdj[:0], false
	c.Remittance = d.rem
	c.HeaderNumber = d.header
	c.ProviderSummary = d.summary
	c.Position = d.r.Position()
	d.clpSeg = d.segs
	c.PatientControlNumber = d.str(s.Element(1))
	c.Status = d.code(s.Element(2))
	c.ChargeCents = d.amount(s, 3, true)
	c.PaidCents = d.amount(s, 4, true)
	c.PatientResponsibilityCents = d.amount(s, 5, false)
	c.FilingIndicator = d.code(s.Element(6))
	c.PayerClaimControlNumber = d.str(s.Element(7))
	c.FacilityType = d.code(s.Element(8))
	c.Frequency = d.code(s.Element(9))
	c.DRGCode = d.code(s.Element(11))
	c.DRGWeight = d.code(s.Element(12))
	c.DischargeFraction = d.code(s.Element(13))
	if d.header == 0 {
		d.report(d.errorf(edi.ErrImplementation, 0, "CLP without an LX header number (Loop 2000)"))
	}
}

// cas reads a CAS segment: a group code and up to six reason, amount and
// quantity triples (CAS02-CAS19).
func (d *Decoder) cas(s *edi.Segment) {
	if !d.inClaim {
		d.report(d.errorf(edi.ErrImplementation, 0, "CAS outside a claim"))
		return
	}
	dst, sum := &d.claim.Adjustments, &d.claimAdj
	if d.line >= 0 {
		dst, sum = &d.claim.ServiceLines[d.line].Adjustments, &d.lineAdj[d.line]
	}
	group := d.code(s.Element(1))
	if group == "" {
		d.badData = true
		d.report(d.errorf(edi.ErrSyntax, 1, "CAS01 group code is missing"))
	}
	if group == GroupCorrection {
		d.correction = true
	}
	n := 0
	for i := 2; i <= 17; i += 3 {
		reason := s.Element(i)
		if len(reason) == 0 {
			if len(s.Element(i+1)) > 0 {
				d.badData = true
				d.report(d.errorf(edi.ErrSyntax, i, "adjustment amount without a reason code"))
			}
			continue
		}
		n++
		amt := d.amount(s, i+1, true)
		*sum += amt
		*dst = append(*dst, Adjustment{
			Group:       group,
			Reason:      d.code(reason),
			AmountCents: amt,
			Quantity:    d.code(s.Element(i + 2)),
		})
	}
	if n == 0 {
		d.report(d.errorf(edi.ErrSyntax, 2, "CAS without a reason code"))
	}
}

func (d *Decoder) nm1(s *edi.Segment) {
	if !d.inClaim || d.line >= 0 {
		d.report(d.errorf(edi.ErrImplementation, 0, "NM1 outside Loop 2100"))
		return
	}
	c := &d.claim
	// Provider and payer names repeat from claim to claim and share
	// strings through the cache; a patient's or insured's would only evict
	// the codes that do repeat, so they are carved from the arena.
	var n *Name
	var which uint
	shared := false
	switch string(s.Element(1)) {
	case "QC":
		n, which = &c.Patient, namePatient
	case "IL":
		n, which = &c.Insured, nameInsured
	case "74":
		n, which = &c.CorrectedPatient, nameCorrectedPatient
	case "82":
		n, which, shared = &c.RenderingProvider, nameRenderingProvider, true
	case "TT":
		n, which, shared = &c.CrossoverCarrier, nameCrossoverCarrier, true
	case "PR":
		n, which, shared = &c.PriorityPayer, namePriorityPayer, true
	case "GB":
		n, which = &c.OtherSubscriber, nameOtherSubscriber
	default:
		d.report(d.errorf(edi.ErrImplementation, 1, "NM1 entity %q is not used in Loop 2100", s.Element(1)))
		return
	}
	d.names |= 1 << which
	*n = Name{
		EntityCode:  d.code(s.Element(1)),
		EntityType:  d.code(s.Element(2)),
		Suffix:      d.code(s.Element(7)),
		IDQualifier: d.code(s.Element(8)),
	}
	if shared {
		n.Last, n.First, n.Middle, n.ID = d.code(s.Element(3)), d.code(s.Element(4)), d.code(s.Element(5)), d.code(s.Element(9))
	} else {
		n.Last, n.First, n.Middle, n.ID = d.str(s.Element(3)), d.str(s.Element(4)), d.str(s.Element(5)), d.str(s.Element(9))
	}
}

// Bits of Decoder.names: the Loop 2100 NM1 names the open claim has set.
const (
	namePatient = iota
	nameInsured
	nameCorrectedPatient
	nameRenderingProvider
	nameCrossoverCarrier
	namePriorityPayer
	nameOtherSubscriber
)

// clearNames zeroes the names the last claim set.
func (d *Decoder) clearNames() {
	c := &d.claim
	for _, k := range [...]struct {
		bit uint
		n   *Name
	}{
		{namePatient, &c.Patient}, {nameInsured, &c.Insured}, {nameCorrectedPatient, &c.CorrectedPatient},
		{nameRenderingProvider, &c.RenderingProvider}, {nameCrossoverCarrier, &c.CrossoverCarrier},
		{namePriorityPayer, &c.PriorityPayer}, {nameOtherSubscriber, &c.OtherSubscriber},
	} {
		if d.names&(1<<k.bit) != 0 {
			*k.n = Name{}
		}
	}
	d.names = 0
}

// MIA element kinds (X221 Loop 2100 MIA): counts, amounts and remark codes.
var (
	miaAmounts = [...]int{2, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 24}
	miaRemarks = [...]int{5, 20, 21, 22, 23}
	moaAmounts = [...]int{2, 8, 9}
	moaRemarks = [...]int{3, 4, 5, 6, 7}
)

func (d *Decoder) miaSeg(s *edi.Segment) {
	if !d.inClaim || d.line >= 0 {
		d.report(d.errorf(edi.ErrImplementation, 0, "MIA outside Loop 2100"))
		return
	}
	m := &d.mia
	*m = InpatientAdjudication{Amounts: m.Amounts[:0], RemarkCodes: m.RemarkCodes[:0]}
	m.CoveredDays = d.code(s.Element(1))
	m.LifetimePsychiatricDays = d.code(s.Element(3))
	m.CostReportDays = d.code(s.Element(15))
	for _, i := range miaAmounts {
		if len(s.Element(i)) > 0 {
			m.Amounts = append(m.Amounts, ElementAmount{i, d.amount(s, i, false)})
		}
	}
	for _, i := range miaRemarks {
		if b := s.Element(i); len(b) > 0 {
			m.RemarkCodes = append(m.RemarkCodes, d.code(b))
		}
	}
	d.claim.Inpatient = m
}

func (d *Decoder) moaSeg(s *edi.Segment) {
	if !d.inClaim || d.line >= 0 {
		d.report(d.errorf(edi.ErrImplementation, 0, "MOA outside Loop 2100"))
		return
	}
	m := &d.moa
	*m = OutpatientAdjudication{Amounts: m.Amounts[:0], RemarkCodes: m.RemarkCodes[:0]}
	m.ReimbursementRate = d.code(s.Element(1))
	for _, i := range moaAmounts {
		if len(s.Element(i)) > 0 {
			m.Amounts = append(m.Amounts, ElementAmount{i, d.amount(s, i, false)})
		}
	}
	for _, i := range moaRemarks {
		if b := s.Element(i); len(b) > 0 {
			m.RemarkCodes = append(m.RemarkCodes, d.code(b))
		}
	}
	d.claim.Outpatient = m
}

// procedure reads a composite medical procedure identifier (C003) into p
// in one pass over its components.
func (d *Decoder) procedure(s *edi.Segment, i int, p *Procedure) {
	var parts [7][]byte
	s.Components(i, parts[:])
	p.Qualifier = d.code(parts[0])
	p.Code = d.code(parts[1])
	p.Modifiers = [4]string{d.code(parts[2]), d.code(parts[3]), d.code(parts[4]), d.code(parts[5])}
	p.Description = d.str(parts[6])
}

func (d *Decoder) svc(s *edi.Segment) {
	if !d.inClaim {
		d.report(d.errorf(edi.ErrImplementation, 0, "SVC outside a claim"))
		return
	}
	c := &d.claim
	n := len(c.ServiceLines)
	if n < cap(c.ServiceLines) {
		// Reuse the line field by field: every SVC field is assigned
		// below and the lists keep their storage.
		c.ServiceLines = c.ServiceLines[:n+1]
		l := &c.ServiceLines[n]
		l.Dates = l.Dates[:0]
		l.Adjustments = l.Adjustments[:0]
		l.References = l.References[:0]
		l.Amounts = l.Amounts[:0]
		l.Quantities = l.Quantities[:0]
		l.Remarks = l.Remarks[:0]
	} else {
		c.ServiceLines = append(c.ServiceLines, ServicePayment{})
	}
	d.line = n
	d.lineAdj = append(d.lineAdj, 0)
	l := &c.ServiceLines[n]
	d.linePosition(&l.Position)
	d.procedure(s, 1, &l.Procedure)
	if l.Procedure.Code == "" {
		d.badData = true
		d.report(d.errorf(edi.ErrSyntax, 1, "SVC01 procedure code is missing"))
	}
	l.ChargeCents = d.amount(s, 2, true)
	l.PaidCents = d.amount(s, 3, true)
	l.RevenueCode = d.code(s.Element(4))
	l.Units = d.code(s.Element(5))
	if len(s.Element(6)) > 0 {
		d.procedure(s, 6, &l.OriginalProcedure)
	} else if !l.OriginalProcedure.IsZero() {
		l.OriginalProcedure = Procedure{}
	}
	l.OriginalUnits = d.code(s.Element(7))
}

// linePosition is the position of the current SVC, derived from the claim's
// CLP position and the segments read since, which saves building one per
// line. Its byte offset is left zero (unknown).
func (d *Decoder) linePosition(p *edi.Position) {
	*p = d.claim.Position
	delta := d.segs - d.clpSeg
	p.Segment += delta
	if p.SetSegment > 0 {
		p.SetSegment += delta
	}
	p.Offset = 0
	p.SegmentID = "SVC"
}

// plb reads a PLB segment: the provider, the fiscal period date and up to
// six adjustment identifier and amount pairs (PLB03/04 to PLB13/14).
func (d *Decoder) plb(s *edi.Segment) {
	r := d.rem
	provider := string(s.Element(1))
	period := d.date(s, 2)
	pos := d.r.Position()
	n := 0
	for i := 3; i <= 13; i += 2 {
		if len(s.Element(i)) == 0 {
			continue
		}
		n++
		r.ProviderAdjustments = append(r.ProviderAdjustments, ProviderAdjustment{
			ProviderID:      provider,
			FiscalPeriodEnd: period,
			Reason:          d.code(s.Component(i, 1)),
			Reference:       string(s.Component(i, 2)),
			AmountCents:     d.amount(s, i+1, true),
			Position:        pos,
		})
	}
	if n == 0 {
		d.report(d.errorf(edi.ErrSyntax, 3, "PLB without an adjustment"))
	}
}

// finishClaim classifies the claim and checks its balance (SNIP type 3):
// each line's charge minus its adjustments equals its payment, and the
// claim's charge minus claim and line adjustments equals the claim payment.
func (d *Decoder) finishClaim() {
	d.inClaim = false
	d.line = -1
	c := &d.claim
	d.sumPaid += c.PaidCents
	c.Kind = classify(c, d.reversalPCN, d.correction)
	if c.Kind == Reversal {
		d.reversalPCN = c.PatientControlNumber
	}
	if c.Patient.IsZero() {
		c.Errors = appendCapped(c.Errors, &edi.Error{Pos: c.Position, Err: edi.ErrImplementation, Msg: "Loop 2100 has no patient name (NM1*QC)"})
	}
	if d.SkipBalancing || d.badData {
		return
	}
	c.Errors = checkClaimSums(c, d.claimAdj, d.lineAdj, c.Errors)
}

func appendCapped(errs []*edi.Error, e *edi.Error) []*edi.Error {
	if len(errs) < maxClaimErrors {
		errs = append(errs, e)
	}
	return errs
}

// classify tells a reversal (CLP02 22, or a negative charge) and a
// correction (after a reversal of the same patient control number, or with
// CR group adjustments) from an original adjudication (X221 section
// 1.10.2.8, reversals and corrections).
// correction tells whether any claim or line CAS has group CR.
func classify(c *ClaimPayment, reversalPCN string, correction bool) ClaimKind {
	if c.Status == StatusReversal || c.ChargeCents < 0 {
		return Reversal
	}
	if correction || reversalPCN != "" && c.PatientControlNumber == reversalPCN {
		return Correction
	}
	return Original
}

// CheckBalance returns the balance errors of one claim payment (SNIP type
// 3): each service line's charge minus its adjustments equals its payment,
// and the claim's charge minus claim and line adjustments equals the claim
// payment. Each error wraps edi.ErrBalance and carries the position of its
// CLP or SVC segment.
func CheckBalance(c *ClaimPayment) []*edi.Error { return checkClaim(c, nil) }

func checkClaim(c *ClaimPayment, errs []*edi.Error) []*edi.Error {
	var lines [8]int64
	lineAdj := lines[:0]
	for i := range c.ServiceLines {
		lineAdj = append(lineAdj, c.ServiceLines[i].AdjustmentTotal())
	}
	return checkClaimSums(c, c.AdjustmentTotal(), lineAdj, errs)
}

// checkClaimSums is checkClaim with the claim's adjustment total and each
// line's already summed.
func checkClaimSums(c *ClaimPayment, claimAdj int64, lineAdjs []int64, errs []*edi.Error) []*edi.Error {
	var lineAdj int64
	for i := range c.ServiceLines {
		l := &c.ServiceLines[i]
		adj := lineAdjs[i]
		lineAdj += adj
		if l.ChargeCents-adj != l.PaidCents {
			p := l.Position
			p.Element = 3
			errs = appendCapped(errs, &edi.Error{Pos: p, Err: edi.ErrBalance, Msg: fmt.Sprintf(
				"service line %d (%s): charge %s minus adjustments %s is %s, not the paid amount %s",
				i+1, l.Procedure.Code, edi.FormatAmount(l.ChargeCents), edi.FormatAmount(adj),
				edi.FormatAmount(l.ChargeCents-adj), edi.FormatAmount(l.PaidCents))})
		}
	}
	if c.ChargeCents-claimAdj-lineAdj != c.PaidCents {
		p := c.Position
		p.Element = 4
		errs = appendCapped(errs, &edi.Error{Pos: p, Err: edi.ErrBalance, Msg: fmt.Sprintf(
			"claim %s: charge %s minus claim adjustments %s and line adjustments %s is %s, not the paid amount %s",
			c.PatientControlNumber, edi.FormatAmount(c.ChargeCents), edi.FormatAmount(claimAdj), edi.FormatAmount(lineAdj),
			edi.FormatAmount(c.ChargeCents-claimAdj-lineAdj), edi.FormatAmount(c.PaidCents))})
	}
	return errs
}
