package x837

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unsafe"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
)

// Decoder reads 837P and 837I transactions claim by claim:
//
//	d := x837.NewDecoder(r)
//	for d.Next() {
//		c, env := d.Claim(), d.Envelope()
//		...
//	}
//	if err := d.Err(); err != nil { ... }
//
// Segments and loops the claim model does not hold are skipped, so files
// from other senders decode. A claim in which an element cannot be read (a
// bad amount, date or quantity) is not returned; its errors, positioned
// with file, control numbers, segment and element, are collected with the
// envelope errors (counts and control numbers) up to MaxErrors, and Err
// returns them all. Reading stops at the first syntax error the segment
// reader reports, since nothing after it can be trusted.
type Decoder struct {
	// File names the input in error positions. Set it before the first Next.
	File string
	// MaxErrors caps the collected errors; zero means edi.DefaultMaxErrors.
	MaxErrors int
	// ReuseClaim lets the decoder reuse the Claim that Claim returns, with
	// every slice and pointer in it, for the claim after, as ReuseRecord
	// does for encoding/csv: a claim is then valid only until the next call
	// to Next, and decoding allocates next to nothing. The strings in it
	// stay valid. Set it before the first Next, and leave it unset to keep
	// the claims.
	ReuseClaim bool

	r       *edi.Reader
	started bool
	done    bool
	errs    edi.ErrorList

	env             Envelope // of the segments being read
	curEnv          Envelope // of the claim returned
	kind            claim.Kind
	inSet           bool
	setOK           bool // ST named an 837 this decoder reads
	isaOpen, gsOpen bool
	stControl       []byte // ST02 of the open set
	subLevel        bool   // a subscriber level (HL 22) is open
	sets            int    // sets in the open group
	groups          int    // groups in the open interchange

	// The hierarchy levels in effect.
	billing   claim.Provider
	payTo     *claim.Address
	sub       claim.Subscriber
	payer     claim.Payer
	patient   *claim.Patient
	hlPatient bool // the current HL is a patient level (23)

	cur     *claim.Claim
	pending *claim.Claim
	bad     bool // the pending claim has errors

	loop     loop
	addr     **claim.Address // where N3 starts an address
	facility *claim.Facility // where N3 and N4 go in 2310C/2310E
	prov     *claim.Provider // target of PRV
	person   personRef       // target of DMG
	other    *claim.OtherPayer
	line     *claim.ServiceLine
	adj      *claim.LineAdjudication
	arena    []byte
	codes    edi.StringCache // of strings carved from arena
	dates    [1 << dateBits]dateEntry
	diagKind []claim.DiagnosisKind

	mem      decodeSlabs // of claims unless ReuseClaim
	envDirty bool        // env changed since it was copied to curEnv

	// With ReuseClaim, two claims and the memory they point to, used in
	// turn: the claim Next returns is complete only when the next one's
	// CLM has been read into the other.
	reused    [2]claim.Claim
	reusedMem [2]decodeSlabs
	turn      int

	// The storage of the levels' patient and addresses (billing, pay-to,
	// subscriber, payer, patient), which claims get copies of.
	levelPatient claim.Patient
	levelAddr    [5]claim.Address
}

// claimMem returns the slabs of the pending claim's memory.
func (d *Decoder) claimMem() *decodeSlabs {
	if d.ReuseClaim {
		return &d.reusedMem[d.turn]
	}
	return &d.mem
}

// decodeSlabs are the blocks decoded claims are carved from (see carve).
type decodeSlabs struct {
	claims     []claim.Claim
	addrs      []claim.Address
	provs      []claim.Provider
	patients   []claim.Patient
	facilities []claim.Facility
	drugs      []claim.Drug
	strs       []string
	ints       []int
	cents      []int64
	adjs       []claim.Adjustment
	lineAdjs   []claim.LineAdjudication
	// Only runs (openRun), never carve: a claim's lines, diagnoses and
	// other payers grow in place at the end of these.
	lines  []claim.ServiceLine
	diags  []claim.Diagnosis
	others []claim.OtherPayer
}

// presize gives the slabs of a claim that is reused claim after claim
// (ReuseClaim) first blocks of the size of one large claim, not of many
// claims; a claim that needs more moves its slab to a full block (see
// carve), which it then keeps.
func (m *decodeSlabs) presize() {
	m.addrs = make([]claim.Address, 0, 8)
	m.provs = make([]claim.Provider, 0, 8)
	m.patients = make([]claim.Patient, 0, 1)
	m.facilities = make([]claim.Facility, 0, 1)
	m.drugs = make([]claim.Drug, 0, 8)
	m.strs = make([]string, 0, 32)
	m.ints = make([]int, 0, 64)
	m.cents = make([]int64, 0, 4)
	m.adjs = make([]claim.Adjustment, 0, 16)
	m.lineAdjs = make([]claim.LineAdjudication, 0, 8)
	m.lines = make([]claim.ServiceLine, 0, 24)
	m.diags = make([]claim.Diagnosis, 0, 24)
	m.others = make([]claim.OtherPayer, 0, 4)
}

// reset makes all of m's memory available again, zeroed.
func (m *decodeSlabs) reset() {
	reuse(&m.claims)
	reuse(&m.addrs)
	reuse(&m.provs)
	reuse(&m.patients)
	reuse(&m.facilities)
	reuse(&m.drugs)
	reuse(&m.strs)
	reuse(&m.ints)
	reuse(&m.cents)
	reuse(&m.adjs)
	reuse(&m.lineAdjs)
	// A claim's lines, diagnoses and other payers are appended whole,
	// so their slabs need no zeroing.
	m.lines = m.lines[:0]
	m.diags = m.diags[:0]
	m.others = m.others[:0]
}

type personRef struct {
	birth  *claim.Date
	gender *string
}

// loop is the loop the last segment belongs to, as far as the decoder
// follows loops.
type loop int

const (
	loopNone loop = iota
	loopHeader
	loop2000A
	loop2010AA
	loop2010AB
	loop2000B
	loop2010BA
	loop2010BB
	loop2000C
	loop2010CA
	loop2300
	loop2310
	loop2320
	loop2330A
	loop2330B
	loop2400
	loop2410
	loop2420
	loop2430
	loopSkip // a loop the model does not hold; its segments are skipped
)

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: edi.NewReader(r)}
}

// Claim returns the claim Next read. It is the caller's: the decoder does
// not touch it again, unless ReuseClaim is set, in which case it is valid
// until the next call to Next.
func (d *Decoder) Claim() *claim.Claim { return d.cur }

// Envelope returns the envelope of the claim Next read: ISA, GS and BHT
// values with the submitter and receiver, and in Controls the claim's
// interchange, group and transaction set control numbers.
func (d *Decoder) Envelope() Envelope { return d.curEnv }

// Err returns every error found so far (an *edi.ErrorList), or nil.
func (d *Decoder) Err() error {
	if d.errs.Len() == 0 {
		return nil
	}
	return &d.errs
}

// Next reads the next claim, reporting whether there is one.
func (d *Decoder) Next() bool {
	d.cur = nil
	if !d.started {
		d.started = true
		d.r.File = d.File
		d.errs.Max = d.MaxErrors
	}
	for !d.done {
		s, err := d.r.Next()
		if err != nil {
			d.done = true
			if err != io.EOF {
				d.addErr(err)
			} else if d.isaOpen {
				d.errorAt(edi.ErrEnvelope, 0, "input ends inside an interchange")
			}
			d.finish()
			return d.cur != nil
		}
		d.segment(s)
		if d.cur != nil {
			return true
		}
	}
	return false
}

func (d *Decoder) addErr(err error) {
	var e *edi.Error
	if errors.As(err, &e) {
		d.errs.Add(e)
		return
	}
	d.errs.Add(&edi.Error{Pos: d.r.Position(), Err: err})
}

// errorAt records an error at element elem (0 for the segment) of the
// current segment and marks the pending claim bad.
func (d *Decoder) errorAt(sentinel error, elem int, msg string) {
	p := d.r.Position()
	p.Element = elem
	if d.pending != nil {
		msg = "claim " + strconv.Quote(d.pending.PatientControlNumber) + ": " + msg
		d.bad = true
	}
	d.errs.Add(&edi.Error{Pos: p, Err: sentinel, Msg: msg})
}

// str copies b into the decoder's arena and returns it as a string. The
// arena is carved into strings and never written again where a string
// lies, so claims share chunks of it instead of allocating per element.
func (d *Decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		d.arena = make([]byte, 0, max(16<<10, len(b)))
	}
	n := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.String(&d.arena[n], len(b))
}

// code returns b as a string like str, but shares the string of a value
// that repeats (codes and qualifiers, provider and payer names, addresses,
// identifiers) through the decoder's cache, so repeated values take no
// arena memory.
func (d *Decoder) code(b []byte) string { return d.codes.String(b, d.str) }

// el returns element i as a string, through the cache (see code).
func (d *Decoder) el(s *edi.Segment, i int) string { return d.code(s.Element(i)) }

// comp returns component j of element i as a string, through the cache.
func (d *Decoder) comp(s *edi.Segment, i, j int) string { return d.code(s.Component(i, j)) }

// once returns element i as a string that does not go through the cache:
// for values that rarely repeat (patient control numbers, member IDs,
// claim references), which would only evict the values that do.
func (d *Decoder) once(s *edi.Segment, i int) string { return d.str(s.Element(i)) }

func (d *Decoder) amount(s *edi.Segment, i int, what string) int64 {
	b := s.Element(i)
	v, err := edi.ParseAmount(b)
	if err != nil {
		d.errorAt(edi.ErrSyntax, i, what+" "+strconv.Quote(string(b))+" is not a decimal amount")
	}
	return v
}

func (d *Decoder) amountBytes(b []byte, elem int, what string) int64 {
	v, err := edi.ParseAmount(b)
	if err != nil {
		d.errorAt(edi.ErrSyntax, elem, what+" "+strconv.Quote(string(b))+" is not a decimal amount")
	}
	return v
}

func (d *Decoder) quantity(b []byte, elem int, what string) claim.Quantity {
	if len(b) == 0 {
		return 0
	}
	q, err := claim.ParseQuantity(bstr(b))
	if err != nil {
		d.errorAt(edi.ErrSyntax, elem, what+" "+strconv.Quote(string(b))+" is not a decimal quantity")
	}
	return q
}

// parseDate reads CCYYMMDD.
func parseDate(b []byte) (claim.Date, bool) {
	y, m, day, ok := edi.ParseCCYYMMDD(b)
	return claim.Date{Year: y, Month: m, Day: day}, ok
}

// date reads a CCYYMMDD date. The dates of a batch repeat (service and
// adjudication dates), so the valid ones read last are kept in a small
// direct-mapped cache keyed by their eight bytes.
func (d *Decoder) date(b []byte, elem int, what string) claim.Date {
	if len(b) == 8 {
		k := binary.LittleEndian.Uint64(b)
		e := &d.dates[(k*0x9e3779b97f4a7c15)>>(64-dateBits)]
		if e.key == k {
			return e.date
		}
		if t, ok := parseDate(b); ok {
			*e = dateEntry{key: k, date: t}
			return t
		}
	}
	t, ok := parseDate(b)
	if !ok {
		d.errorAt(edi.ErrSyntax, elem, what+" "+strconv.Quote(string(b))+" is not a CCYYMMDD date")
	}
	return t
}

// dateBits is log2 of the slots of the decoder's date cache.
const dateBits = 4

// dateEntry is a slot of the date cache: a valid CCYYMMDD date's eight
// bytes, loaded as a word, and the date. A zero key matches no date.
type dateEntry struct {
	key  uint64
	date claim.Date
}

// dateRange reads RD8 CCYYMMDD-CCYYMMDD.
func (d *Decoder) dateRange(b []byte, elem int, what string) (from, to claim.Date) {
	i := bytes.IndexByte(b, '-')
	if i < 0 {
		d.errorAt(edi.ErrSyntax, elem, what+" "+strconv.Quote(string(b))+" is not a CCYYMMDD-CCYYMMDD range")
		return
	}
	return d.date(b[:i], elem, what), d.date(b[i+1:], elem, what)
}

// dtp reads the date of a DTP segment as a single date or a range.
func (d *Decoder) dtp(s *edi.Segment, what string) (from, to claim.Date) {
	switch string(s.Element(2)) {
	case "D8":
		return d.date(s.Element(3), 3, what), claim.Date{}
	case "RD8":
		return d.dateRange(s.Element(3), 3, what)
	case "DT":
		b := s.Element(3)
		if len(b) >= 8 {
			b = b[:8]
		}
		return d.date(b, 3, what), claim.Date{}
	}
	d.errorAt(edi.ErrImplementation, 2, what+" date format "+strconv.Quote(string(s.Element(2)))+" is not D8, RD8 or DT")
	return
}

func kindOf(version []byte) claim.Kind {
	switch {
	case bytes.HasPrefix(version, []byte("005010X222")):
		return claim.Professional
	case bytes.HasPrefix(version, []byte("005010X223")):
		return claim.Institutional
	}
	return ""
}

func (d *Decoder) finish() {
	c := d.pending
	if c == nil {
		return
	}
	d.pending = nil
	if d.bad {
		// The runs of a bad claim stay where they are, to be written
		// over by the next claim's.
		d.bad = false
		return
	}
	m := d.claimMem()
	c.Lines = closeRun(&m.lines, c.Lines)
	c.Diagnoses = closeRun(&m.diags, c.Diagnoses)
	c.OtherPayers = closeRun(&m.others, c.OtherPayers)
	// A diagnosis whose kind is the default for its position keeps the
	// empty kind, as the model documents.
	for i, k := range d.diagKind {
		def := claim.DiagnosisOther
		if i == 0 {
			def = claim.DiagnosisPrincipal
		}
		if k != def {
			c.Diagnoses[i].Kind = k
		}
	}
	d.cur = c
	if d.envDirty {
		d.curEnv = d.env
		d.envDirty = false
	}
}

func (d *Decoder) copyAddr(a *claim.Address) *claim.Address {
	if a == nil {
		return nil
	}
	b := one(&d.claimMem().addrs)
	*b = *a
	return b
}

// startClaim begins a claim from a CLM segment and the levels above it.
func (d *Decoder) startClaim(s *edi.Segment) {
	m := &d.mem
	var c *claim.Claim
	if d.ReuseClaim {
		d.turn ^= 1
		m = &d.reusedMem[d.turn]
		if m.lines == nil {
			m.presize()
		}
		m.reset()
		c = &d.reused[d.turn]
		*c = claim.Claim{}
	} else {
		c = one(&m.claims)
	}
	c.Kind = d.kind
	c.Lines = openRun(&m.lines, 8)
	c.Diagnoses = openRun(&m.diags, 12)
	c.OtherPayers = openRun(&m.others, 2)
	d.pending = c
	d.diagKind = d.diagKind[:0]
	c.BillingProvider = d.billing
	c.BillingProvider.Address = d.copyAddr(d.billing.Address)
	c.PayToAddress = d.copyAddr(d.payTo)
	c.Subscriber = d.sub
	c.Subscriber.Address = d.copyAddr(d.sub.Address)
	c.Payer = d.payer
	c.Payer.Address = d.copyAddr(d.payer.Address)
	if d.patient != nil && d.hlPatient {
		p := one(&m.patients)
		*p = *d.patient
		p.Address = d.copyAddr(p.Address)
		c.Patient = p
	}
	d.loop = loop2300
	d.line, d.other, d.adj = nil, nil, nil

	c.PatientControlNumber = d.once(s, 1)
	if c.PatientControlNumber == "" {
		d.errorAt(edi.ErrSyntax, 1, "CLM01 patient control number is missing")
	}
	c.TotalChargeCents = d.amount(s, 2, "CLM02 total charge")
	var clm05 [3][]byte // CLM05-1 place of service or facility type, CLM05-3 frequency
	s.Components(5, clm05[:])
	if d.kind == claim.Professional {
		c.PlaceOfService = d.code(clm05[0])
		c.ProviderSignature = string(s.Element(6)) == "Y"
		c.PatientSignatureSource = d.el(s, 10)
		var clm11 [4][]byte // CLM11-1 to -3 related causes, CLM11-4 state
		s.Components(11, clm11[:])
		var causes [3][]byte
		n := 0
		for _, v := range clm11[:3] {
			if len(v) > 0 {
				causes[n] = v
				n++
			}
		}
		if n > 0 {
			c.RelatedCauses = carve(&m.strs, n)
			for j := range n {
				c.RelatedCauses[j] = d.code(causes[j])
			}
		}
		c.AccidentState = d.code(clm11[3])
	} else {
		c.FacilityType = d.code(clm05[0])
	}
	c.FrequencyCode = d.code(clm05[2])
	c.AssignmentParticipation = d.el(s, 7)
	c.BenefitsAssigned = string(s.Element(8)) == "Y"
	c.ReleaseOfInformation = d.el(s, 9)
	c.DelayReason = d.el(s, 20)
}

// segment handles one segment.
func (d *Decoder) segment(s *edi.Segment) {
	id := segID(s.ID())
	if id == 0 {
		d.badID(s)
		return
	}
	if !d.inSet || !d.setOK {
		// Only the envelope segments count outside a set this decoder
		// reads.
		switch id {
		case idISA, idGS, idST, idSE, idGE, idIEA:
		default:
			return
		}
	}
	switch id {
	case idISA:
		d.finish()
		d.isa(s)
	case idGS:
		d.finish()
		d.gs(s)
	case idST:
		d.finish()
		d.st(s)
	case idSE:
		d.finish()
		d.se(s)
	case idGE:
		d.finish()
		d.ge(s)
	case idIEA:
		d.finish()
		d.iea(s)
	case idBHT:
		d.envDirty = true
		d.env.Reference = d.el(s, 3)
		d.env.TransactionType = d.el(s, 6)
		d.loop = loopHeader
	case idHL:
		d.finish()
		d.hl(s)
	case idCLM:
		d.finish()
		if !d.subLevel {
			d.errorAt(edi.ErrImplementation, 0, "CLM outside a subscriber or patient level")
		}
		d.startClaim(s)
	case idNM1:
		d.nm1(s)
	case idN3:
		if f := d.facility; f != nil {
			f.Address.Line1, f.Address.Line2 = d.el(s, 1), d.el(s, 2)
		} else if d.addr != nil {
			a := d.newAddr()
			a.Line1, a.Line2 = d.el(s, 1), d.el(s, 2)
			*d.addr = a
		}
	case idN4:
		if f := d.facility; f != nil {
			a := &f.Address
			a.City, a.State, a.PostalCode, a.Country = d.el(s, 1), d.el(s, 2), d.el(s, 3), d.el(s, 4)
			d.facility = nil
		} else if d.addr != nil {
			a := *d.addr
			if a == nil {
				a = d.newAddr()
				*d.addr = a
			}
			a.City, a.State, a.PostalCode, a.Country = d.el(s, 1), d.el(s, 2), d.el(s, 3), d.el(s, 4)
			d.addr = nil
		}
	case idPER:
		if d.loop == loopHeader {
			d.envDirty = true
			d.env.ContactName = d.el(s, 2)
			for i := 3; i+1 <= 8; i += 2 {
				switch string(s.Element(i)) {
				case "TE":
					d.env.ContactPhone = d.el(s, i+1)
				case "EM":
					d.env.ContactEmail = d.el(s, i+1)
				}
			}
		}
	case idPRV:
		if d.prov != nil {
			d.prov.Taxonomy = d.el(s, 3)
		}
	case idREF:
		d.ref(s)
	case idDMG:
		if d.person.birth != nil {
			if string(s.Element(1)) == "D8" {
				*d.person.birth = d.date(s.Element(2), 2, "DMG02 birth date")
			}
			*d.person.gender = d.el(s, 3)
		}
	case idSBR:
		d.sbr(s)
	case idPAT:
		if d.loop == loop2000C && d.patient != nil {
			d.patient.Relationship = d.el(s, 1)
		}
	default:
		if d.pending != nil {
			d.claimSegment(s, id)
		} else {
			d.badID(s)
		}
	}
}

// badID reports a segment the decoder skips because its ID is not an X12
// segment ID at all (such as C@M where CLM was meant): what follows it would
// otherwise be read into the wrong claim or loop without a word. A segment
// with a well-formed ID the model does not hold is skipped silently, as the
// type's doc says. The pending claim is marked bad.
func (d *Decoder) badID(s *edi.Segment) {
	if !d.inSet || !d.setOK || edi.ValidSegmentID(s.ID()) {
		return
	}
	d.errorAt(edi.ErrSyntax, 0, "segment ID "+strconv.Quote(string(s.ID()))+" is not 2 or 3 upper-case letters and digits: segment skipped")
}

func (d *Decoder) isa(s *edi.Segment) {
	if d.isaOpen {
		d.errorAt(edi.ErrEnvelope, 0, "ISA before the IEA of the previous interchange")
	}
	d.envDirty = true
	d.inSet = false
	d.isaOpen = true
	d.groups = 0
	e := &d.env
	*e = Envelope{Delimiters: d.r.Delimiters()}
	e.SenderQualifier = d.str(bytes.TrimSpace(s.Element(5)))
	e.SenderID = d.str(bytes.TrimSpace(s.Element(6)))
	e.ReceiverQualifier = d.str(bytes.TrimSpace(s.Element(7)))
	e.InterchangeReceiverID = d.str(bytes.TrimSpace(s.Element(8)))
	e.AckRequested = string(s.Element(14)) == "1"
	e.Usage = d.str(bytes.TrimSpace(s.Element(15)))
	n, err := edi.ParseInt(bytes.TrimSpace(s.Element(13)))
	if err != nil {
		d.errorAt(edi.ErrBadISA, 13, "ISA13 control number is not a number")
	}
	e.Controls = ControlNumbers{Interchange: n}
}

func (d *Decoder) iea(s *edi.Segment) {
	if !d.isaOpen {
		d.errorAt(edi.ErrEnvelope, 0, "IEA without ISA")
		return
	}
	d.isaOpen = false
	if n, err := edi.ParseInt(s.Element(1)); err != nil || int(n) != d.groups {
		d.errorAt(edi.ErrEnvelope, 1, "IEA01 says "+strconv.Quote(string(s.Element(1)))+" groups, the interchange has "+strconv.Itoa(d.groups))
	}
	if n, err := edi.ParseInt(s.Element(2)); err != nil || n != d.env.Controls.Interchange {
		d.errorAt(edi.ErrEnvelope, 2, "IEA02 does not match ISA13")
	}
}

func (d *Decoder) gs(s *edi.Segment) {
	if d.gsOpen {
		d.errorAt(edi.ErrEnvelope, 0, "GS before the GE of the previous group")
	}
	d.envDirty = true
	d.gsOpen = true
	d.groups++
	d.sets = 0
	e := &d.env
	e.ApplicationSender = d.el(s, 2)
	e.ApplicationReceiver = d.el(s, 3)
	t, ok := parseDate(s.Element(4))
	if ok {
		hm, _ := edi.ParseInt(s.Element(5))
		if len(s.Element(5)) > 4 {
			hm, _ = edi.ParseInt(s.Element(5)[:4])
		}
		e.Time = time.Date(t.Year, t.Month, t.Day, int(hm/100)%24, int(hm%100)%60, 0, 0, time.UTC)
	}
	n, err := edi.ParseInt(s.Element(6))
	if err != nil {
		d.errorAt(edi.ErrEnvelope, 6, "GS06 control number is not a number")
	}
	e.Controls.Group = n
	d.kind = kindOf(s.Element(8))
}

func (d *Decoder) ge(s *edi.Segment) {
	if !d.gsOpen {
		d.errorAt(edi.ErrEnvelope, 0, "GE without GS")
		return
	}
	d.gsOpen = false
	if n, err := edi.ParseInt(s.Element(1)); err != nil || int(n) != d.sets {
		d.errorAt(edi.ErrEnvelope, 1, "GE01 says "+strconv.Quote(string(s.Element(1)))+" transaction sets, the group has "+strconv.Itoa(d.sets))
	}
	if n, err := edi.ParseInt(s.Element(2)); err != nil || n != d.env.Controls.Group {
		d.errorAt(edi.ErrEnvelope, 2, "GE02 does not match GS06")
	}
}

func (d *Decoder) st(s *edi.Segment) {
	if d.inSet {
		d.errorAt(edi.ErrEnvelope, 0, "ST before the SE of the previous transaction set")
	}
	d.envDirty = true
	d.inSet = true
	d.sets++
	d.setOK = false
	d.loop = loopNone
	d.resetLevels(loopNone)
	d.subLevel = false
	n, _ := edi.ParseInt(s.Element(2))
	d.env.Controls.Set = n
	d.stControl = append(d.stControl[:0], s.Element(2)...)
	if string(s.Element(1)) != "837" {
		d.errorAt(edi.ErrImplementation, 1, "transaction set "+strconv.Quote(string(s.Element(1)))+" is not an 837")
		return
	}
	k := kindOf(s.Element(3))
	if k == "" {
		k = d.kind
	}
	if k == "" {
		d.errorAt(edi.ErrImplementation, 3, "implementation guide "+strconv.Quote(string(s.Element(3)))+" is not 005010X222 (837P) or 005010X223 (837I)")
		return
	}
	d.kind = k
	d.setOK = true
}

func (d *Decoder) se(s *edi.Segment) {
	if !d.inSet {
		d.errorAt(edi.ErrEnvelope, 0, "SE without ST")
		return
	}
	d.inSet = false
	if n, err := edi.ParseInt(s.Element(1)); err != nil || int(n) != d.r.Position().SetSegment {
		d.errorAt(edi.ErrEnvelope, 1, "SE01 says "+strconv.Quote(string(s.Element(1)))+" segments, the transaction set has "+strconv.Itoa(d.r.Position().SetSegment))
	}
	if !bytes.Equal(s.Element(2), d.stControl) {
		d.errorAt(edi.ErrEnvelope, 2, "SE02 does not match ST02")
	}
}

// newAddr returns a zero address for d.addr. A level's address is the
// decoder's own (startClaim copies it into each claim); loop 2330B's is
// the claim's.
func (d *Decoder) newAddr() *claim.Address {
	var a *claim.Address
	switch d.addr {
	case &d.billing.Address:
		a = &d.levelAddr[0]
	case &d.payTo:
		a = &d.levelAddr[1]
	case &d.sub.Address:
		a = &d.levelAddr[2]
	case &d.payer.Address:
		a = &d.levelAddr[3]
	case &d.levelPatient.Address:
		a = &d.levelAddr[4]
	default:
		return one(&d.claimMem().addrs)
	}
	*a = claim.Address{}
	return a
}

func (d *Decoder) clearTargets() {
	d.addr, d.prov, d.person, d.facility = nil, nil, personRef{}, nil
}

// resetLevels forgets the hierarchy levels from level l down.
func (d *Decoder) resetLevels(l loop) {
	if l <= loop2000A {
		d.billing, d.payTo = claim.Provider{}, nil
	}
	if l <= loop2000B {
		d.sub, d.payer = claim.Subscriber{}, claim.Payer{}
	}
	d.patient = nil
	d.hlPatient = false
	d.clearTargets()
}

func (d *Decoder) hl(s *edi.Segment) {
	switch string(s.Element(3)) {
	case "20":
		d.resetLevels(loop2000A)
		d.subLevel = false
		d.loop = loop2000A
		d.prov = &d.billing
	case "22":
		d.resetLevels(loop2000B)
		d.subLevel = true
		d.loop = loop2000B
	case "23":
		d.resetLevels(loop2000C)
		d.levelPatient = claim.Patient{}
		d.patient = &d.levelPatient
		d.hlPatient = true
		d.loop = loop2000C
	default:
		d.errorAt(edi.ErrImplementation, 3, "HL03 level code "+strconv.Quote(string(s.Element(3)))+" is not 20, 22 or 23")
		d.loop = loopSkip
	}
}

func (d *Decoder) sbr(s *edi.Segment) {
	if d.pending == nil {
		if d.loop == loop2000B {
			d.sub.PayerResponsibility = d.el(s, 1)
			d.sub.GroupNumber = d.el(s, 3)
			d.sub.GroupName = d.el(s, 4)
			d.sub.ClaimFilingIndicator = d.el(s, 9)
		}
		return
	}
	// 2320 other subscriber information.
	c := d.pending
	c.OtherPayers = append(c.OtherPayers, claim.OtherPayer{
		PayerResponsibility:  d.el(s, 1),
		Relationship:         d.el(s, 2),
		GroupNumber:          d.el(s, 3),
		ClaimFilingIndicator: d.el(s, 9),
	})
	d.other = &c.OtherPayers[len(c.OtherPayers)-1]
	d.line, d.adj = nil, nil
	d.loop = loop2320
	d.clearTargets()
}

// name reads NM103-NM107 into a provider.
func (d *Decoder) providerName(s *edi.Segment, p *claim.Provider) {
	if string(s.Element(2)) == "2" {
		p.Organization = d.el(s, 3)
	} else {
		p.LastName = d.el(s, 3)
		p.FirstName = d.el(s, 4)
		p.MiddleName = d.el(s, 5)
		p.Suffix = d.el(s, 7)
	}
	if string(s.Element(8)) == "XX" {
		p.NPI = d.el(s, 9)
	}
}

func (d *Decoder) nm1(s *edi.Segment) {
	code := s.Element(1)
	d.clearTargets()
	c := d.pending
	if c == nil {
		switch string(code) {
		case "41":
			d.envDirty = true
			d.env.SubmitterName = d.el(s, 3)
			d.env.SubmitterID = d.el(s, 9)
			d.loop = loopHeader
		case "40":
			d.envDirty = true
			d.env.ReceiverName = d.el(s, 3)
			d.env.ReceiverID = d.el(s, 9)
			d.loop = loopHeader
		case "85":
			d.billing = claim.Provider{Taxonomy: d.billing.Taxonomy}
			d.providerName(s, &d.billing)
			d.addr, d.prov = &d.billing.Address, &d.billing
			d.loop = loop2010AA
		case "87":
			d.payTo = nil
			d.addr = &d.payTo
			d.loop = loop2010AB
		case "IL":
			sub := &d.sub
			sub.LastName, sub.FirstName, sub.MiddleName, sub.Suffix = d.el(s, 3), d.el(s, 4), d.el(s, 5), d.el(s, 7)
			sub.MemberID = d.once(s, 9)
			d.addr = &sub.Address
			d.person = personRef{&sub.BirthDate, &sub.Gender}
			d.loop = loop2010BA
		case "PR":
			d.payer.Name, d.payer.ID = d.el(s, 3), d.el(s, 9)
			d.addr = &d.payer.Address
			d.loop = loop2010BB
		case "QC":
			if d.patient == nil {
				d.levelPatient = claim.Patient{}
				d.patient = &d.levelPatient
			}
			p := d.patient
			p.LastName, p.FirstName, p.MiddleName, p.Suffix = d.el(s, 3), d.el(s, 4), d.el(s, 5), d.el(s, 7)
			d.addr = &p.Address
			d.person = personRef{&p.BirthDate, &p.Gender}
			d.loop = loop2010CA
		default:
			d.loop = loopSkip
		}
		return
	}
	// Inside a claim: 2310, 2330 and 2420 loops.
	prof := c.Kind == claim.Professional
	switch {
	case d.line != nil:
		if string(code) == "82" {
			p := one(&d.claimMem().provs)
			d.providerName(s, p)
			d.line.Rendering = p
			if prof {
				d.prov = p // 2420A PRV; 2420C on the 837I has none
			}
			d.loop = loop2420
			return
		}
		d.loop = loopSkip
	case d.other != nil:
		switch string(code) {
		case "IL":
			d.other.SubscriberLastName, d.other.SubscriberFirstName = d.el(s, 3), d.el(s, 4)
			d.other.SubscriberMemberID = d.once(s, 9)
			d.loop = loop2330A
		case "PR":
			d.other.Payer.Name, d.other.Payer.ID = d.el(s, 3), d.el(s, 9)
			d.addr = &d.other.Payer.Address
			d.loop = loop2330B
		default:
			d.loop = loopSkip
		}
	default:
		var slot **claim.Provider
		switch string(code) {
		case "DN":
			slot = &c.Referring
		case "82":
			slot = &c.Rendering
		case "DQ":
			if prof {
				slot = &c.Supervising
			}
		case "71":
			if !prof {
				slot = &c.Attending
			}
		case "72":
			if !prof {
				slot = &c.Operating
			}
		case "77":
			f := one(&d.claimMem().facilities)
			f.Name = d.el(s, 3)
			if string(s.Element(8)) == "XX" {
				f.NPI = d.el(s, 9)
			}
			c.ServiceFacility = f
			d.facility = f
			d.loop = loop2310
			return
		}
		if slot == nil {
			d.loop = loopSkip
			return
		}
		p := one(&d.claimMem().provs)
		d.providerName(s, p)
		*slot = p
		// PRV follows the rendering provider (837P 2310B) and the
		// attending provider (837I 2310A) only.
		if prof && string(code) == "82" || !prof && string(code) == "71" {
			d.prov = p
		}
		d.loop = loop2310
	}
}

func (d *Decoder) ref(s *edi.Segment) {
	q := s.Element(1)
	switch d.loop {
	case loop2010AA:
		if string(q) == "EI" || string(q) == "SY" {
			d.billing.TaxIDType = d.code(q)
			d.billing.TaxID = d.el(s, 2)
		}
	case loop2300:
		c := d.pending
		if c == nil {
			return // the claim ended at an envelope segment out of place
		}
		switch string(q) {
		case "9F":
			c.ReferralNumber = d.once(s, 2)
		case "G1":
			c.PriorAuthorization = d.once(s, 2)
		case "F8":
			c.PayerClaimControlNumber = d.once(s, 2)
		case "EA":
			c.MedicalRecordNumber = d.once(s, 2)
		}
	case loop2400:
		if string(q) == "6R" && d.line != nil {
			d.line.ControlNumber = d.el(s, 2)
		}
	}
}

// claimSegment handles the segments of loops 2300 to 2430 not shared with
// the levels above.
func (d *Decoder) claimSegment(s *edi.Segment, id uint32) {
	c := d.pending
	switch id {
	case idDTP:
		d.claimDTP(s)
	case idCL1:
		if d.loop == loop2300 && c.Kind == claim.Institutional {
			c.AdmissionType, c.AdmissionSource, c.PatientStatus = d.el(s, 1), d.el(s, 2), d.el(s, 3)
		}
	case idNTE:
		if d.loop == loop2300 && c.Note == "" {
			c.Note = d.el(s, 2)
		}
	case idHI:
		if d.loop == loop2300 {
			d.hi(s)
		}
	case idCAS:
		switch {
		case d.loop == loop2320 && d.other != nil:
			d.other.Adjustments = d.cas(s, d.other.Adjustments)
		case d.loop == loop2430 && d.adj != nil:
			d.adj.Adjustments = d.cas(s, d.adj.Adjustments)
		}
	case idAMT:
		if d.loop == loop2320 && d.other != nil {
			switch string(s.Element(1)) {
			case "D":
				d.other.PaidCents = d.amount(s, 2, "AMT02 payer paid amount")
				d.other.PaidKnown = true
			case "EAF":
				v := one(&d.claimMem().cents)
				*v = d.amount(s, 2, "AMT02 remaining patient liability")
				d.other.RemainingPatientLiabilityCents = v
			}
		}
	case idOI:
		if d.loop == loop2320 && d.other != nil {
			d.other.BenefitsAssigned = string(s.Element(3)) == "Y"
			d.other.ReleaseOfInformation = d.el(s, 6)
		}
	case idLX:
		c.Lines = append(c.Lines, claim.ServiceLine{})
		d.line = &c.Lines[len(c.Lines)-1]
		d.other, d.adj = nil, nil
		d.loop = loop2400
		d.clearTargets()
	case idSV1:
		if d.line != nil && d.loop == loop2400 && c.Kind == claim.Professional {
			d.sv1(s)
		}
	case idSV2:
		if d.line != nil && d.loop == loop2400 && c.Kind == claim.Institutional {
			d.sv2(s)
		}
	case idLIN:
		if d.line != nil && (d.loop == loop2400 || d.loop == loop2410) {
			d.loop = loop2410
			if string(s.Element(2)) == "N4" {
				dr := one(&d.claimMem().drugs)
				dr.NDC = d.el(s, 3)
				d.line.Drug = dr
			}
		}
	case idCTP:
		if d.loop == loop2410 && d.line.Drug != nil {
			d.line.Drug.Quantity = d.quantity(s.Element(4), 4, "CTP04 drug quantity")
			d.line.Drug.UnitType = d.comp(s, 5, 1)
		}
	case idSVD:
		if d.line != nil {
			d.svd(s)
		}
	default:
		d.badID(s)
	}
}

func (d *Decoder) claimDTP(s *edi.Segment) {
	c := d.pending
	q := string(s.Element(1))
	switch d.loop {
	case loop2300:
		prof := c.Kind == claim.Professional
		switch q {
		// Each kind reads only the dates its guide has.
		case "431":
			if prof {
				c.OnsetDate, _ = d.dtp(s, "onset date")
			}
		case "454":
			if prof {
				c.InitialTreatmentDate, _ = d.dtp(s, "initial treatment date")
			}
		case "439":
			if prof {
				c.AccidentDate, _ = d.dtp(s, "accident date")
			}
		case "435":
			c.AdmissionDate, _ = d.dtp(s, "admission date")
			if b := s.Element(3); !prof && string(s.Element(2)) == "DT" && len(b) == 12 {
				c.AdmissionHour = d.code(b[8:])
			}
		case "096":
			switch {
			case prof:
				c.DischargeDate, _ = d.dtp(s, "discharge date")
			case string(s.Element(2)) == "TM":
				c.DischargeHour = d.el(s, 3)
			}
		case "434":
			if prof {
				break
			}
			c.StatementFrom, c.StatementTo = d.dtp(s, "statement dates")
			if c.StatementTo.IsZero() {
				c.StatementTo = c.StatementFrom
			}
		}
	case loop2330B:
		if q == "573" && d.other != nil {
			d.other.AdjudicationDate, _ = d.dtp(s, "adjudication date")
		}
	case loop2400:
		if q == "472" && d.line != nil {
			d.line.ServiceDate, d.line.ServiceDateEnd = d.dtp(s, "service date")
		}
	case loop2430:
		if q == "573" && d.adj != nil {
			d.adj.Date, _ = d.dtp(s, "line adjudication date")
		}
	}
}

// hiKinds maps HI qualifiers (ICD-10 and the older ICD-9 ones) to diagnosis
// kinds.
func hiKind(q []byte) (claim.DiagnosisKind, bool) {
	switch string(q) {
	case "ABK", "BK":
		return claim.DiagnosisPrincipal, true
	case "ABF", "BF":
		return claim.DiagnosisOther, true
	case "ABJ", "BJ":
		return claim.DiagnosisAdmitting, true
	case "APR", "PR":
		return claim.DiagnosisReason, true
	case "ABN", "BN":
		return claim.DiagnosisExternal, true
	}
	return "", false
}

func (d *Decoder) hi(s *edi.Segment) {
	c := d.pending
	prof := c.Kind == claim.Professional
	n := s.Len()
	for i := 1; i <= n; i++ {
		e := s.Element(i)
		if len(e) == 0 {
			continue
		}
		var qc [2][]byte // HI0x-1 qualifier, HI0x-2 code
		s.Components(i, qc[:])
		q, code := qc[0], qc[1]
		if k, ok := hiKind(q); ok {
			if prof {
				// 837P: ABK then ABF, the order gives the kind; other
				// qualifiers (anesthesia, ICD-9 E codes) are not held.
				if k != claim.DiagnosisPrincipal && k != claim.DiagnosisOther {
					continue
				}
				k = claim.DiagnosisOther
				if len(c.Diagnoses) == 0 {
					k = claim.DiagnosisPrincipal
				}
			}
			dg := claim.Diagnosis{Code: d.code(code)}
			// HI0x-9 present on admission: 837I principal, external
			// cause and other diagnoses only.
			if !prof && k != claim.DiagnosisAdmitting && k != claim.DiagnosisReason {
				dg.PresentOnAdmission = d.comp(s, i, 9)
			}
			c.Diagnoses = append(c.Diagnoses, dg)
			d.diagKind = append(d.diagKind, k)
			continue
		}
		if prof {
			continue
		}
		switch string(q) {
		case "BBR", "BBQ", "BR", "BQ":
			p := claim.Procedure{Code: d.code(code), Principal: q[len(q)-1] == 'R'}
			if string(s.Component(i, 3)) == "D8" && len(s.Component(i, 4)) > 0 {
				p.Date = d.date(s.Component(i, 4), i, "procedure date")
			}
			c.Procedures = append(c.Procedures, p)
		case "BI":
			o := claim.OccurrenceSpan{Code: d.code(code)}
			if r := s.Component(i, 4); len(r) > 0 {
				o.From, o.To = d.dateRange(r, i, "occurrence span dates")
			}
			c.OccurrenceSpans = append(c.OccurrenceSpans, o)
		case "BH":
			o := claim.Occurrence{Code: d.code(code)}
			if b := s.Component(i, 4); len(b) > 0 {
				o.Date = d.date(b, i, "occurrence date")
			}
			c.Occurrences = append(c.Occurrences, o)
		case "BE":
			v := claim.ValueCode{Code: d.code(code)}
			if a := s.Component(i, 5); len(a) > 0 {
				v.AmountCents = d.amountBytes(a, i, "value code amount")
			}
			c.Values = append(c.Values, v)
		case "BG":
			c.Conditions = append(c.Conditions, d.code(code))
		}
	}
}

func (d *Decoder) cas(s *edi.Segment, adj []claim.Adjustment) []claim.Adjustment {
	g := d.el(s, 1)
	if adj == nil {
		n := 0
		for i := 2; i+1 <= 19 && len(s.Element(i)) > 0; i += 3 {
			n++
		}
		if n > 0 {
			adj = carve(&d.claimMem().adjs, n)[:0]
		}
	}
	for i := 2; i+1 <= 19; i += 3 {
		r := s.Element(i)
		if len(r) == 0 {
			break
		}
		a := claim.Adjustment{Group: g, Reason: d.code(r), AmountCents: d.amount(s, i+1, "CAS adjustment amount")}
		a.Quantity = d.quantity(s.Element(i+2), i+2, "CAS adjustment quantity")
		if len(adj) == cap(adj) {
			// A further CAS: move to room for it and the rest of this one.
			more := carve(&d.claimMem().adjs, len(adj)+(19-i)/3)[:len(adj)]
			copy(more, adj)
			adj = more
		}
		adj = append(adj, a)
	}
	return adj
}

func (d *Decoder) procedure(s *edi.Segment, i int, l *claim.ServiceLine) {
	var parts [6][]byte // qualifier, code, four modifiers
	s.Components(i, parts[:])
	q := parts[0]
	if string(q) != "HC" {
		l.ProcedureQualifier = d.code(q)
	}
	l.ProcedureCode = d.code(parts[1])
	var mods [4][]byte
	n := 0
	for _, m := range parts[2:] {
		if len(m) > 0 {
			mods[n] = m
			n++
		}
	}
	if n > 0 {
		l.Modifiers = carve(&d.claimMem().strs, n)
		for j := range n {
			l.Modifiers[j] = d.code(mods[j])
		}
	}
	if l.ProcedureCode == "" && (len(q) > 0 || len(l.Modifiers) > 0) {
		d.errorAt(edi.ErrSyntax, i, "procedure qualifier "+strconv.Quote(string(q))+" or modifiers without a procedure code (is the component separator right?)")
	}
}

func (d *Decoder) sv1(s *edi.Segment) {
	l := d.line
	l.Modifiers, l.DiagnosisPointers = nil, nil // a repeated SV1 replaces the first
	d.procedure(s, 1, l)
	l.ChargeCents = d.amount(s, 2, "SV102 line charge")
	l.UnitType = d.el(s, 3)
	l.Units = d.quantity(s.Element(4), 4, "SV104 units")
	// SV105 is sent only when it differs from CLM05-1.
	if pos := s.Element(5); string(pos) != d.pending.PlaceOfService {
		l.PlaceOfService = d.code(pos)
	}
	var ptrs [4]int
	np := 0
	var sv107 [4][]byte
	s.Components(7, sv107[:])
	for _, p := range sv107 {
		if len(p) == 0 {
			break
		}
		n, err := edi.ParseInt(p)
		if err != nil || n < 1 || n > 12 {
			d.errorAt(edi.ErrSyntax, 7, "SV107 diagnosis pointer "+strconv.Quote(string(p))+" is not 1 to 12")
			continue
		}
		ptrs[np] = int(n)
		np++
	}
	if np > 0 {
		l.DiagnosisPointers = carve(&d.claimMem().ints, np)
		copy(l.DiagnosisPointers, ptrs[:np])
	}
}

func (d *Decoder) sv2(s *edi.Segment) {
	l := d.line
	l.Modifiers = nil // a repeated SV2 replaces the first
	l.RevenueCode = d.el(s, 1)
	if len(s.Element(2)) > 0 {
		d.procedure(s, 2, l)
	}
	l.ChargeCents = d.amount(s, 3, "SV203 line charge")
	l.UnitType = d.el(s, 4)
	l.Units = d.quantity(s.Element(5), 5, "SV205 units")
}

func (d *Decoder) svd(s *edi.Segment) {
	l := d.line
	a := claim.LineAdjudication{PayerID: d.el(s, 1), PaidCents: d.amount(s, 2, "SVD02 paid amount")}
	var tmp claim.ServiceLine
	d.procedure(s, 3, &tmp)
	a.ProcedureCode, a.Modifiers = tmp.ProcedureCode, tmp.Modifiers
	if d.pending.Kind == claim.Institutional {
		a.RevenueCode = d.el(s, 4) // SVD04 is not used on the 837P
	}
	a.Units = d.quantity(s.Element(5), 5, "SVD05 paid units")
	if l.Adjudications == nil {
		l.Adjudications = carve(&d.claimMem().lineAdjs, 1)[:0]
	}
	l.Adjudications = append(l.Adjudications, a)
	d.adj = &l.Adjudications[len(l.Adjudications)-1]
	d.loop = loop2430
	d.clearTargets()
}

// String describes the decoder's position, for debugging.
func (d *Decoder) String() string { return fmt.Sprintf("x837.Decoder at %v", d.r.Position()) }
