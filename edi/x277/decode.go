package x277

import (
	"fmt"
	"io"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

const maxErrors = 1000

// Decode reads every 277CA transaction set of r. Problems in the data are
// collected, positioned, in each Acknowledgment's Errors; the error return
// reports what stops decoding (a reader syntax error, a set that is not a
// 277, input that ends inside a set).
func Decode(r io.Reader) ([]*Acknowledgment, error) {
	return DecodeReader(edi.NewReader(r))
}

// DecodeReader is Decode over an edi.Reader, whose File names the input in
// error positions.
func DecodeReader(r *edi.Reader) ([]*Acknowledgment, error) {
	d := decoder{r: r}
	inInterchange := false // from an ISA to its IEA
	for {
		s, err := r.Next()
		if err == io.EOF {
			if d.ack != nil {
				return d.acks, d.errorf(edi.ErrEnvelope, 0, "input ends inside transaction set %s", d.ack.ControlNumber)
			}
			if inInterchange {
				// An ISA-only file or one cut before its IEA (issue 14).
				return d.acks, d.errorf(edi.ErrEnvelope, 0, "input ends inside an interchange: IEA is missing")
			}
			return d.acks, nil
		}
		if err != nil {
			return d.acks, err
		}
		switch {
		case s.Is("ISA"):
			inInterchange = true
		case s.Is("IEA"):
			inInterchange = false
		}
		if err := d.segment(s); err != nil {
			return d.acks, err
		}
	}
}

type decoder struct {
	r    *edi.Reader
	acks []*Acknowledgment
	ack  *Acknowledgment

	// The open node of each level, and the HL IDs that name them.
	src   *InformationSource
	rcv   *InformationReceiver
	prov  *BillingProvider
	claim *ClaimStatus
	line  *LineStatus
	level string
	ids   map[string]string // HL01 -> level code

	// errs collects the open transaction set's errors (nil between sets).
	errs *[]*edi.Error
}

func (d *decoder) errorf(sentinel error, elem int, format string, args ...any) *edi.Error {
	p := d.r.Position()
	p.Element = elem
	return &edi.Error{Pos: p, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) report(sentinel error, elem int, format string, args ...any) {
	if d.errs != nil && len(*d.errs) < maxErrors {
		*d.errs = append(*d.errs, d.errorf(sentinel, elem, format, args...))
	}
}

func (d *decoder) amount(s *edi.Segment, i int) int64 {
	b := s.Element(i)
	if len(b) == 0 {
		return 0
	}
	v, err := edi.ParseAmount(b)
	if err != nil {
		d.report(edi.ErrSyntax, i, "%q is not a decimal amount", b)
	}
	return v
}

func (d *decoder) integer(s *edi.Segment, i int) int64 {
	b := s.Element(i)
	v, err := edi.ParseInt(b)
	if err != nil {
		// Quantities are R type: accept "1.0" when it is whole.
		if c, err2 := edi.ParseAmount(b); err2 == nil && c%100 == 0 {
			return c / 100
		}
		d.report(edi.ErrSyntax, i, "%q is not a whole quantity", b)
	}
	return v
}

func (d *decoder) date(s *edi.Segment, i int) time.Time {
	b := s.Element(i)
	if len(b) == 0 {
		return time.Time{}
	}
	t, err := edi.ParseDate(b)
	if err != nil {
		d.report(edi.ErrSyntax, i, "%q is not a CCYYMMDD date", b)
	}
	return t
}

// period reads a DTP date: D8 CCYYMMDD or RD8 CCYYMMDD-CCYYMMDD.
func (d *decoder) period(s *edi.Segment) (from, to time.Time) {
	v := s.Element(3)
	switch string(s.Element(2)) {
	case "D8":
		t, err := edi.ParseDate(v)
		if err != nil {
			d.report(edi.ErrSyntax, 3, "%q is not a CCYYMMDD date", v)
		}
		return t, t
	case "RD8":
		if len(v) == 17 && v[8] == '-' {
			f, err1 := edi.ParseDate(v[:8])
			t, err2 := edi.ParseDate(v[9:])
			if err1 == nil && err2 == nil {
				return f, t
			}
		}
		d.report(edi.ErrSyntax, 3, "%q is not a CCYYMMDD-CCYYMMDD range", v)
	default:
		d.report(edi.ErrImplementation, 2, "date format %q is not D8 or RD8", s.Element(2))
	}
	return
}

func entity(s *edi.Segment) Entity {
	return Entity{
		EntityCode: s.String(1), EntityType: s.String(2), Last: s.String(3), First: s.String(4),
		Middle: s.String(5), Suffix: s.String(7), IDQualifier: s.String(8), ID: s.String(9),
	}
}

// status reads an STC segment: STC01, STC10 and STC11 composites, date,
// action, amount and message.
func (d *decoder) status(s *edi.Segment) Status {
	st := Status{Date: d.date(s, 2), Action: s.String(3), AmountCents: d.amount(s, 4), Message: s.String(12)}
	for _, i := range [...]int{1, 10, 11} {
		if len(s.Element(i)) == 0 {
			continue
		}
		c := StatusCode{Category: string(s.Component(i, 1)), Code: string(s.Component(i, 2)),
			Entity: string(s.Component(i, 3)), CodeList: string(s.Component(i, 4))}
		if c.Category == "" || c.Code == "" {
			d.report(edi.ErrSyntax, i, "status composite needs a category and a status code")
		}
		st.Codes = append(st.Codes, c)
	}
	if len(st.Codes) == 0 {
		d.report(edi.ErrSyntax, 1, "STC01 is missing")
	}
	return st
}

func (d *decoder) segment(s *edi.Segment) error {
	id := string(s.ID())
	switch id {
	case "ISA", "GS", "GE", "IEA":
		if d.ack != nil {
			return d.errorf(edi.ErrEnvelope, 0, "%s inside transaction set %s: SE is missing", id, d.ack.ControlNumber)
		}
		return nil
	case "ST":
		if d.ack != nil {
			return d.errorf(edi.ErrEnvelope, 0, "ST inside transaction set %s: SE is missing", d.ack.ControlNumber)
		}
		if s.String(1) != "277" {
			return d.errorf(edi.ErrImplementation, 1, "transaction set %q is not a 277", s.Element(1))
		}
		pos := d.r.Position()
		d.ack = &Acknowledgment{Interchange: pos.Interchange, Group: pos.Group, ControlNumber: s.String(2), Position: pos}
		d.acks = append(d.acks, d.ack)
		d.errs = &d.ack.Errors
		d.src, d.rcv, d.prov, d.claim, d.line, d.level = nil, nil, nil, nil, nil, ""
		d.ids = map[string]string{}
		if v := s.String(3); v != "" && v != Version && !edi.NamesBaseGuide(v, Version) {
			d.report(edi.ErrImplementation, 3, "ST03 %q is not %s (a 277CA)", v, Version)
		}
		return nil
	}
	if d.ack == nil {
		return d.errorf(edi.ErrEnvelope, 0, "segment %s outside a transaction set", id)
	}
	a := d.ack
	switch id {
	case "SE":
		if a.Sources == nil {
			d.report(edi.ErrImplementation, 0, "transaction set has no information source (HL*20)")
		}
		d.ack, d.errs = nil, nil
	case "BHT":
		a.ReferenceID = s.String(3)
		a.Created = d.date(s, 4)
		if t := s.Element(5); len(t) >= 4 && !a.Created.IsZero() {
			h, m := int(t[0]-'0')*10+int(t[1]-'0'), int(t[2]-'0')*10+int(t[3]-'0')
			if h >= 0 && h < 24 && m >= 0 && m < 60 {
				a.Created = a.Created.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
			}
		}
	case "HL":
		d.hl(s)
	case "NM1":
		e := entity(s)
		switch d.level {
		case "20":
			d.src.Name = e
		case "21":
			d.rcv.Name = e
		case "19":
			d.prov.Name = e
		case "PT":
			d.claim.Patient = e
		default:
			d.report(edi.ErrImplementation, 0, "NM1 before any HL")
		}
	case "TRN":
		v := s.String(2)
		switch d.level {
		case "20":
			d.src.TraceNumber = v
		case "21":
			d.rcv.TraceNumber = v
		case "19":
			d.prov.TraceNumber = v
		case "PT":
			d.claim.PatientControlNumber = v
		default:
			d.report(edi.ErrImplementation, 0, "TRN before any HL")
		}
	case "DTP":
		switch {
		case d.level == "20" && s.String(1) == "050":
			d.src.ReceiptDate, _ = d.period(s)
		case d.level == "20" && s.String(1) == "009":
			d.src.ProcessDate, _ = d.period(s)
		case d.level == "PT" && d.line != nil && s.String(1) == "472":
			d.line.ServiceFrom, d.line.ServiceTo = d.period(s)
		case d.level == "PT" && s.String(1) == "472":
			d.claim.ServiceFrom, d.claim.ServiceTo = d.period(s)
		default:
			d.report(edi.ErrImplementation, 1, "DTP qualifier %q is not used here", s.Element(1))
		}
	case "STC":
		st := d.status(s)
		switch d.level {
		case "21":
			d.rcv.Statuses = append(d.rcv.Statuses, st)
		case "19":
			d.prov.Statuses = append(d.prov.Statuses, st)
		case "PT":
			if d.line != nil {
				d.line.Statuses = append(d.line.Statuses, st)
			} else {
				d.claim.Statuses = append(d.claim.Statuses, st)
			}
		default:
			d.report(edi.ErrImplementation, 0, "STC is not used at this level")
		}
	case "QTY", "AMT":
		var t *Totals
		switch d.level {
		case "21":
			t = &d.rcv.Totals
		case "19":
			t = &d.prov.Totals
		default:
			d.report(edi.ErrImplementation, 0, "%s is not used at this level", id)
			return nil
		}
		q := s.String(1)
		switch {
		case id == "QTY" && (q == "90" || q == "QA"):
			t.AcceptedQuantity = d.integer(s, 2)
		case id == "QTY" && (q == "AA" || q == "QC"):
			t.RejectedQuantity = d.integer(s, 2)
		case id == "AMT" && q == "YU":
			t.AcceptedAmountCents = d.amount(s, 2)
		case id == "AMT" && q == "YY":
			t.RejectedAmountCents = d.amount(s, 2)
		default:
			d.report(edi.ErrImplementation, 1, "%s qualifier %q is not used in a 277CA", id, q)
		}
	case "REF":
		q, v := s.String(1), s.String(2)
		switch {
		case d.level == "19":
			d.prov.References = append(d.prov.References, Reference{q, v})
		case d.level == "PT" && d.line != nil && q == "FJ":
			d.line.LineItemControlNumber = v
		case d.level == "PT" && d.line == nil && q == "1K":
			d.claim.PayerClaimControlNumber = v
		case d.level == "PT" && d.line == nil && q == "D9":
			d.claim.ClearinghouseTrace = v
		case d.level == "PT" && d.line == nil && q == "BLT":
			d.claim.BillType = v
		default:
			d.report(edi.ErrImplementation, 1, "REF qualifier %q is not used here", q)
		}
	case "SVC":
		if d.level != "PT" {
			d.report(edi.ErrImplementation, 0, "SVC outside a claim")
			return nil
		}
		l := LineStatus{
			Qualifier: string(s.Component(1, 1)), Procedure: string(s.Component(1, 2)),
			ChargeCents: d.amount(s, 2), RevenueCode: s.String(4), Units: s.String(7),
		}
		for k := range l.Modifiers {
			l.Modifiers[k] = string(s.Component(1, 3+k))
		}
		d.claim.Lines = append(d.claim.Lines, l)
		d.line = &d.claim.Lines[len(d.claim.Lines)-1]
	default:
		d.report(edi.ErrImplementation, 0, "segment %s is not part of a 277CA", id)
	}
	return nil
}

// hl opens a hierarchical level: 20 information source, 21 information
// receiver, 19 billing provider, PT patient (the claim). HL02 must name an
// open level of the right kind.
func (d *decoder) hl(s *edi.Segment) {
	a := d.ack
	id, parent, code := s.String(1), s.String(2), s.String(3)
	want := map[string]string{"20": "", "21": "20", "19": "21", "PT": "19"}
	pl, ok := want[code]
	if !ok {
		d.report(edi.ErrImplementation, 3, "HL level %q is not used in a 277CA", code)
		return
	}
	if _, dup := d.ids[id]; dup || id == "" {
		d.report(edi.ErrImplementation, 1, "HL ID %q is empty or repeated", id)
	}
	if got := d.ids[parent]; got != pl || (pl == "") != (parent == "") {
		d.report(edi.ErrImplementation, 2, "HL parent %q of a level %s is not a level %q", parent, code, pl)
	}
	d.ids[id] = code
	d.line = nil
	switch code {
	case "20":
		a.Sources = append(a.Sources, InformationSource{})
		d.src = &a.Sources[len(a.Sources)-1]
		d.rcv, d.prov, d.claim = nil, nil, nil
	case "21":
		if d.src == nil {
			d.report(edi.ErrImplementation, 3, "level 21 without a level 20")
			a.Sources = append(a.Sources, InformationSource{})
			d.src = &a.Sources[len(a.Sources)-1]
		}
		d.src.Receivers = append(d.src.Receivers, InformationReceiver{})
		d.rcv = &d.src.Receivers[len(d.src.Receivers)-1]
		d.prov, d.claim = nil, nil
	case "19":
		if d.rcv == nil {
			d.report(edi.ErrImplementation, 3, "level 19 without a level 21")
			d.level = ""
			return
		}
		d.rcv.Providers = append(d.rcv.Providers, BillingProvider{})
		d.prov = &d.rcv.Providers[len(d.rcv.Providers)-1]
		d.claim = nil
	case "PT":
		if d.prov == nil {
			d.report(edi.ErrImplementation, 3, "level PT without a level 19")
			d.level = ""
			return
		}
		d.prov.Claims = append(d.prov.Claims, ClaimStatus{Position: d.r.Position()})
		d.claim = &d.prov.Claims[len(d.prov.Claims)-1]
	}
	d.level = code
}
