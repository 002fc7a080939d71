package x276

import (
	"fmt"
	"io"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

const maxErrors = 1000

// Decode reads every 276 transaction set of r. Problems in the data are
// collected, positioned, in each Request's Errors; the error return
// reports what stops decoding (a reader syntax error, a set that is not a
// 276, input that ends inside a set).
func Decode(r io.Reader) ([]*Request, error) {
	return DecodeReader(edi.NewReader(r))
}

// DecodeReader is Decode over an edi.Reader, whose File names the input in
// error positions.
func DecodeReader(r *edi.Reader) ([]*Request, error) {
	d := decoder{r: r}
	for {
		s, err := r.Next()
		if err == io.EOF {
			if d.req != nil {
				return d.reqs, d.errorf(edi.ErrEnvelope, 0, "input ends inside transaction set %s", d.req.ControlNumber)
			}
			return d.reqs, nil
		}
		if err != nil {
			return d.reqs, err
		}
		if err := d.segment(s); err != nil {
			return d.reqs, err
		}
	}
}

type decoder struct {
	r    *edi.Reader
	reqs []*Request
	req  *Request

	src   *Source
	rcv   *Receiver
	prov  *Provider
	sub   *Subscriber
	dep   *Dependent
	claim *Claim
	line  *Line
	level string
	ids   map[string]string // HL01 -> level code
}

func (d *decoder) errorf(sentinel error, elem int, format string, args ...any) *edi.Error {
	p := d.r.Position()
	p.Element = elem
	return &edi.Error{Pos: p, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) report(sentinel error, elem int, format string, args ...any) {
	if d.req != nil && len(d.req.Errors) < maxErrors {
		d.req.Errors = append(d.req.Errors, d.errorf(sentinel, elem, format, args...))
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

func (d *decoder) date(b []byte, i int) time.Time {
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
		t := d.date(v, 3)
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

func (d *decoder) segment(s *edi.Segment) error {
	id := string(s.ID())
	switch id {
	case "ISA", "GS", "GE", "IEA":
		if d.req != nil {
			return d.errorf(edi.ErrEnvelope, 0, "%s inside transaction set %s: SE is missing", id, d.req.ControlNumber)
		}
		return nil
	case "ST":
		if d.req != nil {
			return d.errorf(edi.ErrEnvelope, 0, "ST inside transaction set %s: SE is missing", d.req.ControlNumber)
		}
		if s.String(1) != "276" {
			return d.errorf(edi.ErrImplementation, 1, "transaction set %q is not a 276", s.Element(1))
		}
		pos := d.r.Position()
		d.req = &Request{Interchange: pos.Interchange, Group: pos.Group, ControlNumber: s.String(2), Position: pos}
		d.reqs = append(d.reqs, d.req)
		d.src, d.rcv, d.prov, d.sub, d.dep, d.claim, d.line, d.level = nil, nil, nil, nil, nil, nil, nil, ""
		d.ids = map[string]string{}
		if v := s.String(3); v != "" && v != Version {
			d.report(edi.ErrImplementation, 3, "ST03 %q is not %s", v, Version)
		}
		return nil
	}
	if d.req == nil {
		return d.errorf(edi.ErrEnvelope, 0, "segment %s outside a transaction set", id)
	}
	r := d.req
	switch id {
	case "SE":
		if r.Sources == nil {
			d.report(edi.ErrImplementation, 0, "transaction set has no information source (HL*20)")
		}
		d.req = nil
	case "BHT":
		// BHT01 0010, BHT02 13 request (X212 276 header).
		r.ReferenceID = s.String(3)
		r.Created = d.date(s.Element(4), 4)
		if t := s.Element(5); len(t) >= 4 && !r.Created.IsZero() {
			h, m := int(t[0]-'0')*10+int(t[1]-'0'), int(t[2]-'0')*10+int(t[3]-'0')
			if h >= 0 && h < 24 && m >= 0 && m < 60 {
				r.Created = r.Created.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
			}
		}
	case "HL":
		d.hl(s)
	case "DMG":
		if s.String(1) != "D8" {
			d.report(edi.ErrImplementation, 1, "DMG01 %q is not D8", s.Element(1))
		}
		dm := Demographics{BirthDate: d.date(s.Element(2), 2), Gender: s.String(3)}
		switch {
		case d.level == "22" && d.claim == nil:
			d.sub.Demographics = dm
		case d.level == "23" && d.claim == nil:
			d.dep.Demographics = dm
		default:
			d.report(edi.ErrImplementation, 0, "DMG is used only in Loops 2000D and 2000E")
		}
	case "NM1":
		e := entity(s)
		switch d.level {
		case "20":
			d.src.Name = e
		case "21":
			d.rcv.Name = e
		case "19":
			d.prov.Name = e
		case "22":
			d.sub.Name = e
		case "23":
			d.dep.Name = e
		default:
			d.report(edi.ErrImplementation, 0, "NM1 before any HL")
		}
	case "TRN":
		// TRN*1 opens Loop 2200D/2200E, which repeats.
		c := Claim{TraceNumber: s.String(2), Position: d.r.Position()}
		switch d.level {
		case "22":
			d.sub.Claims = append(d.sub.Claims, c)
			d.claim = &d.sub.Claims[len(d.sub.Claims)-1]
		case "23":
			d.dep.Claims = append(d.dep.Claims, c)
			d.claim = &d.dep.Claims[len(d.dep.Claims)-1]
		default:
			d.report(edi.ErrImplementation, 0, "TRN is used only in Loops 2200D and 2200E")
			return nil
		}
		if s.String(1) != "1" {
			d.report(edi.ErrImplementation, 1, "TRN01 %q is not 1 (current transaction trace number)", s.Element(1))
		}
		d.line = nil
	case "REF":
		if d.claim == nil {
			d.report(edi.ErrImplementation, 0, "REF outside a claim (Loop 2200D/E)")
			return nil
		}
		q, v := s.String(1), s.String(2)
		if d.line != nil {
			if q == "FJ" {
				d.line.LineItemControlNumber = v
			} else {
				d.report(edi.ErrImplementation, 1, "REF qualifier %q is not used in a service line (2210D/E takes FJ)", q)
			}
			return nil
		}
		c := d.claim
		switch q {
		case "1K":
			c.PayerClaimControlNumber = v
		case "BLT":
			c.BillType = v
		case "EJ":
			c.PatientControlNumber = v
		case "XZ":
			c.PrescriptionNumber = v
		case "D9":
			c.ClearinghouseTrace = v
		case "LU", "6P", "EA", "VV":
			// Situational claim identifiers this package does not keep.
		default:
			d.report(edi.ErrImplementation, 1, "REF qualifier %q is not used in Loop 2200D/E", q)
		}
	case "AMT":
		if d.claim == nil || d.line != nil || s.String(1) != "T3" {
			d.report(edi.ErrImplementation, 1, "AMT*%s is not used here (Loop 2200D/E takes AMT*T3)", s.Element(1))
			return nil
		}
		d.claim.ChargeCents = d.amount(s, 2)
	case "DTP":
		switch {
		case d.claim == nil || s.String(1) != "472":
			d.report(edi.ErrImplementation, 1, "DTP qualifier %q is not used here", s.Element(1))
		case d.line != nil:
			d.line.ServiceFrom, d.line.ServiceTo = d.period(s)
		default:
			d.claim.ServiceFrom, d.claim.ServiceTo = d.period(s)
		}
	case "SVC":
		if d.claim == nil {
			d.report(edi.ErrImplementation, 0, "SVC outside a claim")
			return nil
		}
		l := Line{
			Qualifier: string(s.Component(1, 1)), Procedure: string(s.Component(1, 2)),
			ChargeCents: d.amount(s, 2), RevenueCode: s.String(4), Units: s.String(7),
		}
		for k := range l.Modifiers {
			l.Modifiers[k] = string(s.Component(1, 3+k))
		}
		if l.Qualifier == "" || l.Procedure == "" {
			d.report(edi.ErrSyntax, 1, "SVC01 needs a qualifier and a procedure code")
		}
		d.claim.Lines = append(d.claim.Lines, l)
		d.line = &d.claim.Lines[len(d.claim.Lines)-1]
	default:
		d.report(edi.ErrImplementation, 0, "segment %s is not part of a 276", id)
	}
	return nil
}

// hl opens a level: 20 information source, 21 information receiver, 19
// service provider, 22 subscriber, 23 dependent. HL02 must name an open
// level of the right kind.
func (d *decoder) hl(s *edi.Segment) {
	r := d.req
	id, parent, code := s.String(1), s.String(2), s.String(3)
	pl, ok := parentLevel(code)
	if !ok {
		d.report(edi.ErrImplementation, 3, "HL level %q is not used in a 276", code)
		d.level = ""
		return
	}
	if _, dup := d.ids[id]; dup || id == "" {
		d.report(edi.ErrImplementation, 1, "HL ID %q is empty or repeated", id)
	}
	if got := d.ids[parent]; got != pl || (pl == "") != (parent == "") {
		d.report(edi.ErrImplementation, 2, "HL parent %q of a level %s is not a level %q", parent, code, pl)
	}
	d.ids[id] = code
	d.claim, d.line = nil, nil
	open := true
	switch code {
	case "20":
		r.Sources = append(r.Sources, Source{})
		d.src = &r.Sources[len(r.Sources)-1]
		d.rcv, d.prov, d.sub, d.dep = nil, nil, nil, nil
	case "21":
		if open = d.src != nil; open {
			d.src.Receivers = append(d.src.Receivers, Receiver{})
			d.rcv = &d.src.Receivers[len(d.src.Receivers)-1]
			d.prov, d.sub, d.dep = nil, nil, nil
		}
	case "19":
		if open = d.rcv != nil; open {
			d.rcv.Providers = append(d.rcv.Providers, Provider{})
			d.prov = &d.rcv.Providers[len(d.rcv.Providers)-1]
			d.sub, d.dep = nil, nil
		}
	case "22":
		if open = d.prov != nil; open {
			d.prov.Subscribers = append(d.prov.Subscribers, Subscriber{})
			d.sub = &d.prov.Subscribers[len(d.prov.Subscribers)-1]
			d.dep = nil
		}
	case "23":
		if open = d.sub != nil; open {
			d.sub.Dependents = append(d.sub.Dependents, Dependent{})
			d.dep = &d.sub.Dependents[len(d.sub.Dependents)-1]
		}
	}
	if !open {
		d.report(edi.ErrImplementation, 3, "level %s without its parent level %s", code, pl)
		d.level = ""
		return
	}
	d.level = code
}

// parentLevel is the level a level's HL02 names: 21 under 20, 19 under 21, 22
// under 19, 23 under 22; 20 has none.
func parentLevel(code string) (string, bool) {
	switch code {
	case "20":
		return "", true
	case "21":
		return "20", true
	case "19":
		return "21", true
	case "22":
		return "19", true
	case "23":
		return "22", true
	}
	return "", false
}
