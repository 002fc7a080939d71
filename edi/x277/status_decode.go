package x277

import (
	"io"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// DecodeStatus reads every X212 277 claim status response of r. Problems
// in the data are collected, positioned, in each response's Errors; the
// error return reports what stops decoding (a reader syntax error, a set
// that is not a 277, input that ends inside a set).
func DecodeStatus(r io.Reader) ([]*StatusResponse, error) {
	return DecodeStatusReader(edi.NewReader(r))
}

// DecodeStatusReader is DecodeStatus over an edi.Reader, whose File names
// the input in error positions.
func DecodeStatusReader(r *edi.Reader) ([]*StatusResponse, error) {
	d := statusDecoder{decoder: decoder{r: r}}
	inInterchange := false // from an ISA to its IEA
	for {
		s, err := r.Next()
		if err == io.EOF {
			if d.resp != nil {
				return d.resps, d.errorf(edi.ErrEnvelope, 0, "input ends inside transaction set %s", d.resp.ControlNumber)
			}
			if inInterchange {
				// An ISA-only file or one cut before its IEA (issue 14).
				return d.resps, d.errorf(edi.ErrEnvelope, 0, "input ends inside an interchange: IEA is missing")
			}
			return d.resps, nil
		}
		if err != nil {
			return d.resps, err
		}
		switch {
		case s.Is("ISA"):
			inInterchange = true
		case s.Is("IEA"):
			inInterchange = false
		}
		if err := d.segment(s); err != nil {
			return d.resps, err
		}
	}
}

// statusDecoder shares the 277CA decoder's element readers and error
// collection; it keeps its own open nodes for the X212 hierarchy.
type statusDecoder struct {
	decoder
	resps []*StatusResponse
	resp  *StatusResponse

	src   *StatusSource
	rcv   *StatusReceiver
	prov  *StatusProvider
	sub   *StatusSubscriber
	dep   *StatusDependent
	claim *StatusClaim
	sline *LineStatus
}

// stc reads an STC segment with the X212 claim-level adjudication
// elements: STC05 payment, STC06 adjudication date, STC08 check date and
// STC09 check or EFT number.
func (d *statusDecoder) stc(s *edi.Segment) Status {
	st := d.status(s)
	st.PaidCents = d.amount(s, 5)
	st.AdjudicatedDate = d.date(s, 6)
	st.CheckDate = d.date(s, 8)
	st.CheckNumber = s.String(9)
	return st
}

func (d *statusDecoder) segment(s *edi.Segment) error {
	id := string(s.ID())
	switch id {
	case "ISA", "GS", "GE", "IEA":
		if d.resp != nil {
			return d.errorf(edi.ErrEnvelope, 0, "%s inside transaction set %s: SE is missing", id, d.resp.ControlNumber)
		}
		return nil
	case "ST":
		if d.resp != nil {
			return d.errorf(edi.ErrEnvelope, 0, "ST inside transaction set %s: SE is missing", d.resp.ControlNumber)
		}
		if s.String(1) != "277" {
			return d.errorf(edi.ErrImplementation, 1, "transaction set %q is not a 277", s.Element(1))
		}
		pos := d.r.Position()
		d.resp = &StatusResponse{Interchange: pos.Interchange, Group: pos.Group, ControlNumber: s.String(2), Position: pos}
		d.resps = append(d.resps, d.resp)
		d.errs = &d.resp.Errors
		d.src, d.rcv, d.prov, d.sub, d.dep, d.claim, d.sline, d.level = nil, nil, nil, nil, nil, nil, nil, ""
		d.ids = map[string]string{}
		if v := s.String(3); v != "" && v != StatusVersion {
			d.report(edi.ErrImplementation, 3, "ST03 %q is not %s (a claim status response)", v, StatusVersion)
		}
		return nil
	}
	if d.resp == nil {
		return d.errorf(edi.ErrEnvelope, 0, "segment %s outside a transaction set", id)
	}
	r := d.resp
	switch id {
	case "SE":
		if r.Sources == nil {
			d.report(edi.ErrImplementation, 0, "transaction set has no information source (HL*20)")
		}
		d.resp, d.errs = nil, nil
	case "BHT":
		// BHT01 0010, BHT02 08 status, BHT06 DG response (X212 header).
		r.ReferenceID = s.String(3)
		r.Created = d.date(s, 4)
		if t := s.Element(5); len(t) >= 4 && !r.Created.IsZero() {
			h, m := int(t[0]-'0')*10+int(t[1]-'0'), int(t[2]-'0')*10+int(t[3]-'0')
			if h >= 0 && h < 24 && m >= 0 && m < 60 {
				r.Created = r.Created.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
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
		case "22":
			d.sub.Name = e
		case "23":
			d.dep.Name = e
		default:
			d.report(edi.ErrImplementation, 0, "NM1 before any HL")
		}
	case "PER":
		if d.level != "20" {
			d.report(edi.ErrImplementation, 0, "PER is used only in Loop 2100A")
		}
	case "TRN":
		v := s.String(2)
		switch d.level {
		case "21":
			d.rcv.TraceNumber = v
		case "19":
			d.prov.TraceNumber = v
		case "22", "23":
			// TRN opens Loop 2200D/2200E, which repeats.
			c := StatusClaim{TraceNumber: v, Position: d.r.Position()}
			if d.level == "22" {
				d.sub.Claims = append(d.sub.Claims, c)
				d.claim = &d.sub.Claims[len(d.sub.Claims)-1]
			} else {
				d.dep.Claims = append(d.dep.Claims, c)
				d.claim = &d.dep.Claims[len(d.dep.Claims)-1]
			}
			d.sline = nil
		default:
			d.report(edi.ErrImplementation, 0, "TRN is not used at this level")
		}
	case "STC":
		st := d.stc(s)
		switch {
		case d.level == "21":
			d.rcv.Statuses = append(d.rcv.Statuses, st)
		case d.level == "19":
			d.prov.Statuses = append(d.prov.Statuses, st)
		case d.claim != nil && d.sline != nil:
			d.sline.Statuses = append(d.sline.Statuses, st)
		case d.claim != nil:
			d.claim.Statuses = append(d.claim.Statuses, st)
		default:
			d.report(edi.ErrImplementation, 0, "STC is not used here (a claim status follows its TRN)")
		}
	case "REF":
		if d.claim == nil {
			d.report(edi.ErrImplementation, 0, "REF outside a claim (Loop 2200D/E)")
			return nil
		}
		q, v := s.String(1), s.String(2)
		if d.sline != nil {
			if q == "FJ" {
				d.sline.LineItemControlNumber = v
			} else {
				d.report(edi.ErrImplementation, 1, "REF qualifier %q is not used in a service line (2220D/E takes FJ)", q)
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
		case "VV":
			c.VoucherID = v
		case "D9":
			c.ClearinghouseTrace = v
		default:
			d.report(edi.ErrImplementation, 1, "REF qualifier %q is not used in Loop 2200D/E", q)
		}
	case "DTP":
		switch {
		case d.claim == nil || s.String(1) != "472":
			d.report(edi.ErrImplementation, 1, "DTP qualifier %q is not used here", s.Element(1))
		case d.sline != nil:
			d.sline.ServiceFrom, d.sline.ServiceTo = d.period(s)
		default:
			d.claim.ServiceFrom, d.claim.ServiceTo = d.period(s)
		}
	case "SVC":
		if d.claim == nil {
			d.report(edi.ErrImplementation, 0, "SVC outside a claim")
			return nil
		}
		l := LineStatus{
			Qualifier: string(s.Component(1, 1)), Procedure: string(s.Component(1, 2)),
			ChargeCents: d.amount(s, 2), PaidCents: d.amount(s, 3), RevenueCode: s.String(4), Units: s.String(7),
		}
		for k := range l.Modifiers {
			l.Modifiers[k] = string(s.Component(1, 3+k))
		}
		d.claim.Lines = append(d.claim.Lines, l)
		d.sline = &d.claim.Lines[len(d.claim.Lines)-1]
	default:
		d.report(edi.ErrImplementation, 0, "segment %s is not part of a claim status response", id)
	}
	return nil
}

// hl opens a level: 20 information source, 21 information receiver, 19
// service provider, 22 subscriber, 23 dependent. HL02 must name an open
// level of the right kind.
func (d *statusDecoder) hl(s *edi.Segment) {
	r := d.resp
	id, parent, code := s.String(1), s.String(2), s.String(3)
	pl, ok := statusParent(code)
	if !ok {
		d.report(edi.ErrImplementation, 3, "HL level %q is not used in a claim status response", code)
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
	d.claim, d.sline = nil, nil
	var parentOpen bool
	switch code {
	case "20":
		r.Sources = append(r.Sources, StatusSource{})
		d.src = &r.Sources[len(r.Sources)-1]
		d.rcv, d.prov, d.sub, d.dep = nil, nil, nil, nil
		parentOpen = true
	case "21":
		if parentOpen = d.src != nil; parentOpen {
			d.src.Receivers = append(d.src.Receivers, StatusReceiver{})
			d.rcv = &d.src.Receivers[len(d.src.Receivers)-1]
			d.prov, d.sub, d.dep = nil, nil, nil
		}
	case "19":
		if parentOpen = d.rcv != nil; parentOpen {
			d.rcv.Providers = append(d.rcv.Providers, StatusProvider{})
			d.prov = &d.rcv.Providers[len(d.rcv.Providers)-1]
			d.sub, d.dep = nil, nil
		}
	case "22":
		if parentOpen = d.prov != nil; parentOpen {
			d.prov.Subscribers = append(d.prov.Subscribers, StatusSubscriber{})
			d.sub = &d.prov.Subscribers[len(d.prov.Subscribers)-1]
			d.dep = nil
		}
	case "23":
		if parentOpen = d.sub != nil; parentOpen {
			d.sub.Dependents = append(d.sub.Dependents, StatusDependent{})
			d.dep = &d.sub.Dependents[len(d.sub.Dependents)-1]
		}
	}
	if !parentOpen {
		d.report(edi.ErrImplementation, 3, "level %s without its parent level %s", code, pl)
		d.level = ""
		return
	}
	d.level = code
}

// statusParent is the level a level's HL02 names: 21 under 20, 19 under 21, 22
// under 19, 23 under 22; 20 has none.
func statusParent(code string) (string, bool) {
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
