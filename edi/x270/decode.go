package x270

import (
	"fmt"
	"io"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

const maxErrors = 1000

// DecodeResponses reads every 271 transaction set of r. Problems in the
// data are collected, positioned, in each Response's Errors; the error
// return reports what stops decoding (a reader syntax error, a set that is
// not a 271, input that ends inside a set).
func DecodeResponses(r io.Reader) ([]*Response, error) {
	return DecodeResponsesReader(edi.NewReader(r))
}

// DecodeResponsesReader is DecodeResponses over an edi.Reader.
func DecodeResponsesReader(r *edi.Reader) ([]*Response, error) {
	d := &decoder{r: r, want: "271"}
	err := d.run()
	return d.resps, err
}

// DecodeRequests reads every 270 transaction set of r (the payer simulator
// answers them).
func DecodeRequests(r io.Reader) ([]*Request, error) {
	return DecodeRequestsReader(edi.NewReader(r))
}

// DecodeRequestsReader is DecodeRequests over an edi.Reader.
func DecodeRequestsReader(r *edi.Reader) ([]*Request, error) {
	d := &decoder{r: r, want: "270"}
	err := d.run()
	return d.reqs, err
}

// decoder walks the HL hierarchy shared by 270 and 271.
type decoder struct {
	r    *edi.Reader
	want string // "270" or "271"

	resps []*Response
	reqs  []*Request
	resp  *Response
	req   *Request
	inSet bool
	errs  *[]*edi.Error

	level      string // HL03 of the open level
	ids        map[string]string
	subscriber Person   // the open 2000C's subscriber, copied to dependents
	sum        *Summary // the open patient (271)
	inq        *Inquiry // the open patient (270)
	person     *Person  // the person NM1, REF, DMG, INS apply to
	subIdx     int      // index of the open 2000C summary or inquiry
	benefit    *Benefit
	entity     *RelatedEntity
	in2120     bool
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

func (d *decoder) run() error {
	inInterchange := false // from an ISA to its IEA
	for {
		s, err := d.r.Next()
		if err == io.EOF {
			if d.inSet {
				return d.errorf(edi.ErrEnvelope, 0, "input ends inside a transaction set")
			}
			if inInterchange {
				// An ISA-only file or one cut before its IEA (issue 14).
				return d.errorf(edi.ErrEnvelope, 0, "input ends inside an interchange: IEA is missing")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case s.Is("ISA"):
			inInterchange = true
		case s.Is("IEA"):
			inInterchange = false
		}
		if err := d.segment(s); err != nil {
			return err
		}
	}
}

func (d *decoder) date(b []byte, elem int) time.Time {
	if len(b) == 0 {
		return time.Time{}
	}
	t, err := edi.ParseDate(b)
	if err != nil {
		d.report(edi.ErrSyntax, elem, "%q is not a CCYYMMDD date", b)
	}
	return t
}

// dtp reads DTP: D8 or RD8.
func (d *decoder) dtp(s *edi.Segment) DateRef {
	dr := DateRef{Qualifier: s.String(1)}
	v := s.Element(3)
	switch string(s.Element(2)) {
	case "D8":
		dr.From = d.date(v, 3)
		dr.To = dr.From
	case "RD8":
		if len(v) == 17 && v[8] == '-' {
			dr.From, dr.To = d.date(v[:8], 3), d.date(v[9:], 3)
		} else {
			d.report(edi.ErrSyntax, 3, "%q is not a CCYYMMDD-CCYYMMDD range", v)
		}
	default:
		d.report(edi.ErrImplementation, 2, "date format %q is not D8 or RD8", s.Element(2))
	}
	return dr
}

func entity(s *edi.Segment) Entity {
	return Entity{EntityCode: s.String(1), EntityType: s.String(2), Last: s.String(3), First: s.String(4),
		Middle: s.String(5), Suffix: s.String(7), IDQualifier: s.String(8), ID: s.String(9)}
}

func (d *decoder) segment(s *edi.Segment) error {
	id := string(s.ID())
	switch id {
	case "ISA", "GS", "GE", "IEA":
		if d.inSet {
			return d.errorf(edi.ErrEnvelope, 0, "%s inside a transaction set: SE is missing", id)
		}
		return nil
	case "ST":
		if d.inSet {
			return d.errorf(edi.ErrEnvelope, 0, "ST inside a transaction set: SE is missing")
		}
		if s.String(1) != d.want {
			return d.errorf(edi.ErrImplementation, 1, "transaction set %q is not a %s", s.Element(1), d.want)
		}
		d.begin(s)
		return nil
	}
	if !d.inSet {
		return d.errorf(edi.ErrEnvelope, 0, "segment %s outside a transaction set", id)
	}
	switch id {
	case "SE":
		d.end()
	case "BHT":
		ref, t := s.String(3), d.date(s.Element(4), 4)
		if hm := s.Element(5); len(hm) >= 4 && !t.IsZero() {
			h, m := int(hm[0]-'0')*10+int(hm[1]-'0'), int(hm[2]-'0')*10+int(hm[3]-'0')
			if h >= 0 && h < 24 && m >= 0 && m < 60 {
				t = t.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
			}
		}
		if d.resp != nil {
			d.resp.ReferenceID, d.resp.Created = ref, t
		} else {
			d.req.ReferenceID, d.req.Created = ref, t
		}
	case "HL":
		d.hl(s)
	case "TRN":
		d.trn(s)
	case "NM1":
		d.nm1(s)
	case "REF":
		ref := Reference{Qualifier: s.String(1), Value: s.String(2), Description: s.String(3)}
		switch {
		case d.benefit != nil && !d.in2120:
			d.benefit.References = append(d.benefit.References, ref)
		case d.person != nil && d.benefit == nil:
			d.person.References = append(d.person.References, ref)
		case d.level == "21":
			// 2100B provider additional identifiers: not kept.
		default:
			d.report(edi.ErrImplementation, 1, "REF is not used here")
		}
	case "N3", "N4":
		var a *Address
		switch {
		case d.in2120 && d.entity != nil:
			a = &d.entity.Address
		case d.person != nil && d.benefit == nil:
			a = &d.person.Address
		case d.level == "21" || d.level == "20":
			return nil // provider or payer address: not kept
		default:
			d.report(edi.ErrImplementation, 0, "%s is not used here", id)
			return nil
		}
		if id == "N3" {
			a.Line1, a.Line2 = s.String(1), s.String(2)
		} else {
			a.City, a.State, a.PostalCode = s.String(1), s.String(2), s.String(3)
		}
	case "PER":
		if d.in2120 && d.entity != nil {
			c := Contact{Function: s.String(1), Name: s.String(2)}
			for i := 3; i <= 7; i += 2 {
				if q := s.String(i); q != "" {
					c.Numbers = append(c.Numbers, ContactNumber{q, s.String(i + 1)})
				}
			}
			d.entity.Contacts = append(d.entity.Contacts, c)
		}
	case "PRV":
		if d.in2120 && d.entity != nil {
			d.entity.Taxonomy = s.String(3)
		}
	case "AAA":
		d.aaa(s)
	case "DMG":
		if d.person == nil || d.benefit != nil {
			d.report(edi.ErrImplementation, 0, "DMG outside a subscriber or dependent loop")
			return nil
		}
		if q := s.String(1); q != "" && q != "D8" {
			d.report(edi.ErrImplementation, 1, "DMG01 %q is not D8", q)
		}
		d.person.BirthDate = d.date(s.Element(2), 2)
		d.person.Gender = s.String(3)
	case "INS":
		if d.person == nil || d.benefit != nil {
			d.report(edi.ErrImplementation, 0, "INS outside a subscriber or dependent loop")
			return nil
		}
		d.person.Relationship = s.String(2)
	case "DTP":
		dr := d.dtp(s)
		switch {
		case d.benefit != nil && !d.in2120:
			d.benefit.Dates = append(d.benefit.Dates, dr)
		case d.sum != nil:
			d.sum.Dates = append(d.sum.Dates, dr)
		case d.inq != nil && dr.Qualifier == "291":
			d.inq.ServiceDate, d.inq.ServiceDateEnd = dr.From, dr.To
			if dr.To.Equal(dr.From) {
				d.inq.ServiceDateEnd = time.Time{}
			}
		case d.inq != nil:
			// Other 270 dates (such as 307 eligibility) are not kept.
		default:
			d.report(edi.ErrImplementation, 0, "DTP outside a subscriber or dependent loop")
		}
	case "EQ":
		if d.inq == nil {
			d.report(edi.ErrImplementation, 0, "EQ outside an inquiry")
			return nil
		}
		d.inq.ServiceTypes = append(d.inq.ServiceTypes, repetitions(s, 1)...)
	case "EB":
		d.eb(s)
	case "MSG":
		if d.benefit == nil {
			d.report(edi.ErrImplementation, 0, "MSG outside an EB loop")
			return nil
		}
		d.benefit.Messages = append(d.benefit.Messages, s.String(1))
	case "LS":
		if d.benefit == nil {
			d.report(edi.ErrImplementation, 0, "LS outside an EB loop")
			return nil
		}
		d.in2120 = true
		d.entity = nil
	case "LE":
		if !d.in2120 {
			d.report(edi.ErrImplementation, 0, "LE without LS")
		}
		d.in2120 = false
		d.entity = nil
	case "HSD", "III", "HI", "MPI", "PRV2":
		// Situational segments the summary does not carry.
	default:
		d.report(edi.ErrImplementation, 0, "segment %s is not part of a %s", id, d.want)
	}
	return nil
}

func repetitions(s *edi.Segment, i int) []string {
	var out []string
	for k := 1; ; k++ {
		v := s.Repetition(i, k)
		if v == nil {
			return out
		}
		if len(v) > 0 {
			out = append(out, string(v))
		}
	}
}

func (d *decoder) begin(s *edi.Segment) {
	d.inSet = true
	pos := d.r.Position()
	d.resp, d.req = nil, nil
	if d.want == "271" {
		d.resp = &Response{Interchange: pos.Interchange, Group: pos.Group, ControlNumber: s.String(2), Position: pos}
		d.resps = append(d.resps, d.resp)
		d.errs = &d.resp.Errors
	} else {
		d.req = &Request{ControlNumber: s.String(2)}
		d.reqs = append(d.reqs, d.req)
		d.errs = &d.req.Errors
	}
	d.level, d.ids = "", map[string]string{}
	d.sum, d.inq, d.person, d.benefit, d.entity, d.in2120 = nil, nil, nil, nil, nil, false
	if v := s.String(3); v != "" && v != Version && !edi.NamesBaseGuide(v, Version) {
		d.report(edi.ErrImplementation, 3, "ST03 %q is not %s", v, Version)
	}
}

func (d *decoder) end() {
	d.inSet = false
	if r := d.resp; r != nil {
		for i := range r.Summaries {
			s := &r.Summaries[i]
			s.Errors = append(append(append([]RequestError(nil), r.SourceErrors...), r.ReceiverErrors...), s.Errors...)
			if s.TraceNumber == "" && len(s.Errors) == 0 {
				d.report(edi.ErrImplementation, 0, "patient loop at %s has no TRN*2 echoing the inquiry's trace number", s.Position)
			}
		}
	}
}

// hl opens a level: 20 information source, 21 information receiver, 22
// subscriber, 23 dependent.
func (d *decoder) hl(s *edi.Segment) {
	id, parent, code := s.String(1), s.String(2), s.String(3)
	parents := map[string]string{"20": "", "21": "20", "22": "21", "23": "22"}
	pl, ok := parents[code]
	if !ok {
		d.report(edi.ErrImplementation, 3, "HL level %q is not used in a %s", code, d.want)
		return
	}
	if _, dup := d.ids[id]; dup || id == "" {
		d.report(edi.ErrImplementation, 1, "HL ID %q is empty or repeated", id)
	}
	if got := d.ids[parent]; got != pl || (pl == "") != (parent == "") {
		d.report(edi.ErrImplementation, 2, "HL parent %q of a level %s is not a level %q", parent, code, pl)
	}
	d.ids[id] = code
	d.level = code
	d.benefit, d.entity, d.in2120, d.person = nil, nil, false, nil
	switch code {
	case "20", "21":
		d.sum, d.inq = nil, nil
	case "22":
		d.subscriber = Person{}
		if d.resp != nil {
			d.resp.Summaries = append(d.resp.Summaries, Summary{Position: d.r.Position()})
			d.subIdx = len(d.resp.Summaries) - 1
			d.sum = &d.resp.Summaries[d.subIdx]
			d.person = &d.sum.Subscriber
		} else {
			d.req.Inquiries = append(d.req.Inquiries, Inquiry{})
			d.subIdx = len(d.req.Inquiries) - 1
			d.inq = &d.req.Inquiries[d.subIdx]
			d.person = &d.inq.Subscriber
		}
	case "23":
		// The subscriber's own loop becomes the dependent's answer when it
		// carries nothing of its own; otherwise the dependent gets one.
		if d.resp != nil {
			if len(d.resp.Summaries) == 0 {
				d.report(edi.ErrImplementation, 3, "dependent level without a subscriber")
				d.resp.Summaries = append(d.resp.Summaries, Summary{})
			}
			last := &d.resp.Summaries[len(d.resp.Summaries)-1]
			if last.Dependent == nil && last.TraceNumber == "" && len(last.Benefits) == 0 && len(last.Errors) == 0 {
				d.subscriber = last.Subscriber
				d.sum = last
			} else {
				d.resp.Summaries = append(d.resp.Summaries, Summary{Subscriber: d.subscriber})
				d.sum = &d.resp.Summaries[len(d.resp.Summaries)-1]
			}
			d.sum.Position = d.r.Position()
			d.sum.Dependent = &Person{}
			d.person = d.sum.Dependent
		} else {
			if len(d.req.Inquiries) == 0 {
				d.report(edi.ErrImplementation, 3, "dependent level without a subscriber")
				d.req.Inquiries = append(d.req.Inquiries, Inquiry{})
			}
			last := &d.req.Inquiries[len(d.req.Inquiries)-1]
			if last.Dependent == nil && last.TraceNumber == "" && len(last.ServiceTypes) == 0 {
				d.subscriber = last.Subscriber
				d.inq = last
			} else {
				d.req.Inquiries = append(d.req.Inquiries, Inquiry{Subscriber: d.subscriber})
				d.inq = &d.req.Inquiries[len(d.req.Inquiries)-1]
			}
			d.inq.Dependent = &Person{}
			d.person = d.inq.Dependent
		}
	}
}

func (d *decoder) trn(s *edi.Segment) {
	typ, num, orig := s.String(1), s.String(2), s.String(3)
	switch {
	case d.sum != nil && typ == "2":
		d.sum.TraceNumber, d.sum.TraceOriginator = num, orig
	case d.sum != nil && typ == "1":
		d.sum.PayerTraceNumber, d.sum.PayerTraceOriginator = num, orig
	case d.inq != nil && typ == "1":
		d.inq.TraceNumber, d.inq.TraceOriginator = num, orig
	default:
		d.report(edi.ErrImplementation, 1, "TRN type %q is not used here", typ)
	}
}

func (d *decoder) nm1(s *edi.Segment) {
	e := entity(s)
	switch {
	case d.in2120:
		if d.benefit == nil {
			return
		}
		d.benefit.RelatedEntities = append(d.benefit.RelatedEntities, RelatedEntity{Entity: e})
		d.entity = &d.benefit.RelatedEntities[len(d.benefit.RelatedEntities)-1]
	case d.level == "20":
		if d.resp != nil {
			d.resp.Source = e
		} else {
			d.req.Source = e
		}
	case d.level == "21":
		if d.resp != nil {
			d.resp.Receiver = e
		} else {
			d.req.Receiver = e
		}
	case (d.level == "22" || d.level == "23") && d.person != nil && d.benefit == nil:
		p := d.person
		p.Last, p.First, p.Middle, p.Suffix = e.Last, e.First, e.Middle, e.Suffix
		if e.IDQualifier == "MI" || e.IDQualifier == "II" || d.level == "22" {
			p.MemberID = e.ID
		}
	default:
		d.report(edi.ErrImplementation, 0, "NM1 is not used here")
	}
}

// aaa reads a request validation segment and files it with its loop.
func (d *decoder) aaa(s *edi.Segment) {
	e := RequestError{Valid: s.String(1), Reason: s.String(3), FollowUp: s.String(4)}
	if e.Reason == "" {
		d.report(edi.ErrSyntax, 3, "AAA03 reject reason is missing")
	}
	if d.resp == nil {
		d.report(edi.ErrImplementation, 0, "AAA is not used in a 270")
		return
	}
	switch {
	case d.level == "20":
		e.Loop = "2100A"
		d.resp.SourceErrors = append(d.resp.SourceErrors, e)
	case d.level == "21":
		e.Loop = "2100B"
		d.resp.ReceiverErrors = append(d.resp.ReceiverErrors, e)
	case d.sum != nil && d.benefit != nil && !d.in2120:
		e.Loop = "2110C"
		if d.level == "23" {
			e.Loop = "2110D"
		}
		d.benefit.Errors = append(d.benefit.Errors, e)
		d.sum.Errors = append(d.sum.Errors, e)
	case d.sum != nil && d.benefit == nil:
		e.Loop = "2100C"
		if d.level == "23" {
			e.Loop = "2100D"
		}
		d.sum.Errors = append(d.sum.Errors, e)
	default:
		d.report(edi.ErrImplementation, 0, "AAA is not used here")
	}
}

// eb reads an EB segment, opening a Loop 2110.
func (d *decoder) eb(s *edi.Segment) {
	if d.sum == nil {
		d.report(edi.ErrImplementation, 0, "EB outside a subscriber or dependent loop")
		return
	}
	d.in2120, d.entity = false, nil
	b := Benefit{
		Code: s.String(1), CoverageLevel: s.String(2), ServiceTypes: repetitions(s, 3), InsuranceType: s.String(4),
		PlanDescription: s.String(5), TimePeriod: s.String(6), QuantityQualifier: s.String(9), Quantity: s.String(10),
		AuthorizationRequired: s.String(11), InPlanNetwork: s.String(12),
		ProcedureQualifier: string(s.Component(13, 1)), ProcedureCode: string(s.Component(13, 2)),
	}
	if b.Code == "" {
		d.report(edi.ErrSyntax, 1, "EB01 is missing")
	}
	if v := s.Element(7); len(v) > 0 {
		a, err := edi.ParseAmount(v)
		if err != nil {
			d.report(edi.ErrSyntax, 7, "%q is not a decimal amount", v)
		} else {
			b.AmountCents, b.HasAmount = a, true
		}
	}
	if v := s.Element(8); len(v) > 0 {
		p, ok := parsePercent(v)
		if !ok {
			d.report(edi.ErrSyntax, 8, "%q is not a decimal percentage", v)
		} else {
			b.PercentBasisPoints, b.HasPercent = p, true
		}
	}
	switch b.InPlanNetwork {
	case "", "Y", "N", "U", "W":
	default:
		d.report(edi.ErrImplementation, 12, "EB12 %q is not Y, N, U or W", b.InPlanNetwork)
	}
	d.sum.Benefits = append(d.sum.Benefits, b)
	d.benefit = &d.sum.Benefits[len(d.sum.Benefits)-1]
}

// parsePercent reads an EB08 decimal fraction (.2 is 20%) exactly into
// basis points (hundredths of a percent): up to four decimal places.
func parsePercent(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 12 {
		return 0, false
	}
	var whole, frac int64
	fd, i, digits := 0, 0, 0
	for ; i < len(b) && b[i] != '.'; i++ {
		if b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		whole = whole*10 + int64(b[i]-'0')
		digits++
	}
	if i < len(b) {
		for i++; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			if fd < 4 {
				frac = frac*10 + int64(c-'0')
				fd++
			} else if c != '0' {
				return 0, false
			}
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	for ; fd < 4; fd++ {
		frac *= 10
	}
	return whole*10000 + frac, true
}

// formatPercent writes basis points as an EB08 decimal fraction: 2000 is
// ".2", 10000 is "1", 1250 is ".125".
func formatPercent(bp int64) string {
	whole, frac := bp/10000, bp%10000
	s := ""
	if whole > 0 {
		s = fmt.Sprint(whole)
	}
	if frac == 0 {
		if s == "" {
			return "0"
		}
		return s
	}
	f := fmt.Sprintf("%04d", frac)
	for f[len(f)-1] == '0' {
		f = f[:len(f)-1]
	}
	return s + "." + f
}
