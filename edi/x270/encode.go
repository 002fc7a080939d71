package x270

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

func bad(format string, args ...any) error {
	return &edi.Error{Err: edi.ErrImplementation, Msg: fmt.Sprintf(format, args...)}
}

// checkText refuses control characters in any string of v: they are outside
// the X12 character sets (and one of them stands for the repetition
// separator while encoding).
func checkText(v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] == 0x7f {
				return &edi.Error{Err: edi.ErrSyntax, Msg: fmt.Sprintf("value %q holds a control character", s)}
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkText(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				if err := checkText(v.Field(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := checkText(v.Index(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func isCode(s string) bool {
	if s == "" || len(s) > 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// envelopeWriter returns the edi.Writer the encoders write with.
func envelopeWriter(w io.Writer) *edi.Writer {
	return edi.NewWriter(w, edi.DefaultDelimiters)
}

// EncodeRequests writes 270 transaction sets, one per request (a batch of
// inquiries to one payer), as one interchange and functional group (GS01
// HS, GS08 005010X279A1), numbered 0001 upwards. It checks the guide's
// required values and that trace numbers are unique first, and writes
// nothing when they fail.
func EncodeRequests(w io.Writer, isa edi.ISAHeader, gs edi.GSHeader, reqs ...*Request) error {
	seen := map[string]bool{}
	for _, r := range reqs {
		if err := checkRequest(r, seen); err != nil {
			return err
		}
	}
	gs.FunctionalID, gs.Version = FunctionalID270, Version
	ew := envelopeWriter(w)
	ew.BeginInterchange(isa)
	ew.BeginGroup(gs)
	for i, r := range reqs {
		writeRequest(ew, r, int64(i+1))
	}
	ew.EndGroup()
	ew.EndInterchange()
	return ew.Flush()
}

func checkRequest(r *Request, seen map[string]bool) error {
	if err := checkText(reflect.ValueOf(r).Elem()); err != nil {
		return err
	}
	switch {
	case r.ReferenceID == "" || r.Created.IsZero():
		return bad("BHT03 reference and BHT04 date are required")
	case r.Source.Last == "" || r.Source.ID == "":
		return bad("information source (payer) name and identifier are required (Loop 2100A)")
	case r.Receiver.Last == "" || r.Receiver.IDQualifier != "XX" || r.Receiver.ID == "":
		return bad("information receiver name and NPI (NM108 XX) are required (Loop 2100B)")
	case len(r.Inquiries) == 0:
		return bad("a 270 needs at least one inquiry")
	}
	for _, q := range r.Inquiries {
		switch {
		case q.TraceNumber == "" || q.TraceOriginator == "":
			return bad("inquiry for %s: TRN02 trace number and TRN03 originator are required", q.Subscriber.Last)
		case seen[q.TraceNumber]:
			return bad("trace number %q is used by two inquiries", q.TraceNumber)
		case q.Subscriber.Last == "" || q.Subscriber.MemberID == "":
			return bad("inquiry %s: subscriber last name and member ID are required", q.TraceNumber)
		case q.ServiceDate.IsZero():
			return bad("inquiry %s: date of service DTP*291 is required", q.TraceNumber)
		case q.Dependent != nil && (q.Dependent.Last == "" || q.Dependent.First == "" || q.Dependent.BirthDate.IsZero()):
			return bad("inquiry %s: dependent last and first name and birth date are required", q.TraceNumber)
		}
		seen[q.TraceNumber] = true
		for _, st := range q.ServiceTypes {
			if !isCode(st) {
				return bad("inquiry %s: service type %q is not a code", q.TraceNumber, st)
			}
		}
	}
	return nil
}

func writeBHT(w *edi.Writer, purpose, ref string, t time.Time) {
	t = t.UTC()
	w.Begin("BHT")
	w.Elems("0022", purpose, ref)
	w.ElemDate(t)
	w.Elem(t.Format("1504"))
	w.End()
}

// hlCounter numbers HL segments.
type hlCounter struct {
	w *edi.Writer
	n int
}

func (h *hlCounter) next(parent int, code string, children bool) int {
	h.n++
	p := ""
	if parent > 0 {
		p = strconv.Itoa(parent)
	}
	c := "0"
	if children {
		c = "1"
	}
	h.w.Segment("HL", strconv.Itoa(h.n), p, code, c)
	return h.n
}

func writeNM1(w *edi.Writer, e Entity, code, typ string) {
	w.Segment("NM1", orDefault(e.EntityCode, code), orDefault(e.EntityType, typ), e.Last, e.First, e.Middle, "", e.Suffix, e.IDQualifier, e.ID)
}

func writePersonNM1(w *edi.Writer, p *Person, code string) {
	q := ""
	if p.MemberID != "" {
		q = "MI"
	}
	w.Segment("NM1", code, "1", p.Last, p.First, p.Middle, "", p.Suffix, q, p.MemberID)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func writeDMG(w *edi.Writer, p *Person) {
	if p.BirthDate.IsZero() && p.Gender == "" {
		return
	}
	w.Begin("DMG")
	w.Elem("D8")
	w.ElemDate(p.BirthDate)
	w.Elem(p.Gender)
	w.End()
}

func writeDTP(w *edi.Writer, q string, from, to time.Time) {
	if !to.IsZero() && !to.Equal(from) {
		w.Segment("DTP", q, "RD8", string(edi.AppendDate(nil, from))+"-"+string(edi.AppendDate(nil, to)))
		return
	}
	w.Segment("DTP", q, "D8", string(edi.AppendDate(nil, from)))
}

func writeRefs(w *edi.Writer, refs []Reference) {
	for _, r := range refs {
		w.Segment("REF", r.Qualifier, r.Value, r.Description)
	}
}

func writeRequest(w *edi.Writer, r *Request, control int64) {
	w.BeginSet("270", control, Version)
	writeBHT(w, "13", r.ReferenceID, r.Created)
	h := hlCounter{w: w}
	src := h.next(0, "20", true)
	writeNM1(w, r.Source, "PR", "2")
	rcv := h.next(src, "21", true)
	writeNM1(w, r.Receiver, "1P", "2")
	for _, q := range r.Inquiries {
		types := q.ServiceTypes
		if len(types) == 0 {
			types = []string{DefaultServiceType}
		}
		tail := func() {
			writeDTP(w, "291", q.ServiceDate, q.ServiceDateEnd)
			w.Begin("EQ")
			w.ElemRepeated(types...)
			w.End()
		}
		sub := h.next(rcv, "22", q.Dependent != nil)
		if q.Dependent == nil {
			w.Segment("TRN", "1", q.TraceNumber, q.TraceOriginator)
		}
		writePersonNM1(w, &q.Subscriber, "IL")
		writeRefs(w, q.Subscriber.References)
		writeDMG(w, &q.Subscriber)
		if q.Dependent == nil {
			tail()
			continue
		}
		h.next(sub, "23", false)
		w.Segment("TRN", "1", q.TraceNumber, q.TraceOriginator)
		dep := *q.Dependent
		dep.MemberID = ""
		writePersonNM1(w, &dep, "03")
		writeRefs(w, q.Dependent.References)
		writeDMG(w, q.Dependent)
		tail()
	}
	w.EndSet()
}

// EncodeResponses writes 271 transaction sets as one interchange and
// functional group (GS01 HB, GS08 005010X279A1), numbered 0001 upwards.
// Each summary is written as a subscriber loop (2000C), with a dependent
// loop (2000D) when it has a Dependent; its TRN*2 echoes the inquiry's
// trace number. Loop 2100A and 2100B errors come from the response's
// SourceErrors and ReceiverErrors; a summary's errors are written in the
// loop their Loop field names (2100C when empty, or 2100D for a
// dependent).
func EncodeResponses(w io.Writer, isa edi.ISAHeader, gs edi.GSHeader, resps ...*Response) error {
	for _, r := range resps {
		if err := checkResponse(r); err != nil {
			return err
		}
	}
	gs.FunctionalID, gs.Version = FunctionalID271, Version
	ew := envelopeWriter(w)
	ew.BeginInterchange(isa)
	ew.BeginGroup(gs)
	for i, r := range resps {
		writeResponse(ew, r, int64(i+1))
	}
	ew.EndGroup()
	ew.EndInterchange()
	return ew.Flush()
}

func checkResponse(r *Response) error {
	if err := checkText(reflect.ValueOf(r).Elem()); err != nil {
		return err
	}
	switch {
	case r.ReferenceID == "" || r.Created.IsZero():
		return bad("BHT03 reference and BHT04 date are required")
	case r.Source.Last == "" || r.Source.ID == "":
		return bad("information source name and identifier are required (Loop 2100A)")
	}
	if len(r.SourceErrors) > 0 {
		return checkAAA(r.SourceErrors)
	}
	if r.Receiver.Last == "" || r.Receiver.ID == "" {
		return bad("information receiver name and identifier are required (Loop 2100B)")
	}
	if len(r.ReceiverErrors) > 0 {
		return checkAAA(r.ReceiverErrors)
	}
	for _, s := range r.Summaries {
		if s.TraceNumber == "" || s.TraceOriginator == "" {
			return bad("summary for %s: the inquiry's TRN02 and TRN03 are required", s.Subscriber.Last)
		}
		if s.Subscriber.Last == "" {
			return bad("summary %s: subscriber name is required", s.TraceNumber)
		}
		if s.PayerTraceNumber != "" && s.PayerTraceOriginator == "" {
			return bad("summary %s: the payer's TRN*1 needs TRN03", s.TraceNumber)
		}
		if err := checkAAA(s.Errors); err != nil {
			return err
		}
		if len(s.Benefits) == 0 && len(s.Errors) == 0 {
			return bad("summary %s: an EB (or an AAA rejecting the request) is required", s.TraceNumber)
		}
		for _, b := range s.Benefits {
			if b.Code == "" {
				return bad("summary %s: EB01 is required", s.TraceNumber)
			}
			for _, st := range b.ServiceTypes {
				if !isCode(st) {
					return bad("summary %s: service type %q is not a code", s.TraceNumber, st)
				}
			}
			if err := checkAAA(b.Errors); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkAAA(es []RequestError) error {
	for _, e := range es {
		if (e.Valid != "Y" && e.Valid != "N") || e.Reason == "" || e.FollowUp == "" {
			return bad("AAA needs AAA01 Y or N, a reject reason and a follow-up action")
		}
	}
	return nil
}

func writeAAA(w *edi.Writer, es []RequestError, loops ...string) {
	for _, e := range es {
		match := false
		for _, l := range loops {
			if e.Loop == l {
				match = true
			}
		}
		if match {
			w.Segment("AAA", e.Valid, "", e.Reason, e.FollowUp)
		}
	}
}

func writeAddress(w *edi.Writer, a Address) {
	if a.Line1 != "" {
		w.Segment("N3", a.Line1, a.Line2)
	}
	if a.City != "" {
		w.Segment("N4", a.City, a.State, a.PostalCode)
	}
}

func writeResponse(w *edi.Writer, r *Response, control int64) {
	w.BeginSet("271", control, Version)
	writeBHT(w, "11", r.ReferenceID, r.Created)
	h := hlCounter{w: w}
	rejectAll := len(r.SourceErrors) > 0
	src := h.next(0, "20", !rejectAll)
	writeNM1(w, r.Source, "PR", "2")
	for _, e := range r.SourceErrors {
		w.Segment("AAA", e.Valid, "", e.Reason, e.FollowUp)
	}
	if !rejectAll {
		rcv := h.next(src, "21", len(r.ReceiverErrors) == 0 && len(r.Summaries) > 0)
		writeNM1(w, r.Receiver, "1P", "2")
		for _, e := range r.ReceiverErrors {
			w.Segment("AAA", e.Valid, "", e.Reason, e.FollowUp)
		}
		if len(r.ReceiverErrors) == 0 {
			for i := range r.Summaries {
				writeSummary(w, &h, rcv, &r.Summaries[i])
			}
		}
	}
	w.EndSet()
}

func writeSummary(w *edi.Writer, h *hlCounter, rcv int, s *Summary) {
	dep := s.Dependent != nil
	sub := h.next(rcv, "22", dep)
	if !dep {
		w.Segment("TRN", "2", s.TraceNumber, s.TraceOriginator)
		if s.PayerTraceNumber != "" {
			w.Segment("TRN", "1", s.PayerTraceNumber, s.PayerTraceOriginator)
		}
	}
	writePersonNM1(w, &s.Subscriber, "IL")
	writeRefs(w, s.Subscriber.References)
	writeAddress(w, s.Subscriber.Address)
	loops := []string{"2100C"}
	if !dep {
		loops = append(loops, "")
	}
	writeAAA(w, s.Errors, loops...)
	writeDMG(w, &s.Subscriber)
	if s.Subscriber.Relationship != "" {
		// INS at 2100C says the subscriber's identifying data changed
		// (X279: INS03 001 change, INS04 25 identifying data elements).
		w.Segment("INS", "Y", s.Subscriber.Relationship, "001", "25")
	}
	if !dep {
		writeDetails(w, s)
		return
	}
	h.next(sub, "23", false)
	w.Segment("TRN", "2", s.TraceNumber, s.TraceOriginator)
	if s.PayerTraceNumber != "" {
		w.Segment("TRN", "1", s.PayerTraceNumber, s.PayerTraceOriginator)
	}
	d := *s.Dependent
	d.MemberID = ""
	writePersonNM1(w, &d, "03")
	writeRefs(w, s.Dependent.References)
	writeAddress(w, s.Dependent.Address)
	writeAAA(w, s.Errors, "2100D", "")
	writeDMG(w, s.Dependent)
	if s.Dependent.Relationship != "" {
		w.Segment("INS", "N", s.Dependent.Relationship)
	}
	writeDetails(w, s)
}

// writeDetails writes the patient's dates and the EB loops (2110C/2110D
// with 2120C/2120D).
func writeDetails(w *edi.Writer, s *Summary) {
	for _, d := range s.Dates {
		writeDTP(w, d.Qualifier, d.From, d.To)
	}
	for _, b := range s.Benefits {
		w.Begin("EB")
		w.Elems(b.Code, b.CoverageLevel)
		w.ElemRepeated(b.ServiceTypes...)
		w.Elems(b.InsuranceType, b.PlanDescription, b.TimePeriod)
		if b.HasAmount {
			w.ElemAmount(b.AmountCents)
		} else {
			w.Elem("")
		}
		if b.HasPercent {
			w.Elem(formatPercent(b.PercentBasisPoints))
		} else {
			w.Elem("")
		}
		w.Elems(b.QuantityQualifier, b.Quantity, b.AuthorizationRequired, b.InPlanNetwork)
		if b.ProcedureCode != "" {
			w.Composite()
			w.Comp(b.ProcedureQualifier)
			w.Comp(b.ProcedureCode)
		}
		w.End()
		writeRefs(w, b.References)
		for _, d := range b.Dates {
			writeDTP(w, d.Qualifier, d.From, d.To)
		}
		for _, e := range b.Errors {
			w.Segment("AAA", e.Valid, "", e.Reason, e.FollowUp)
		}
		for _, m := range b.Messages {
			w.Segment("MSG", m)
		}
		if len(b.RelatedEntities) > 0 {
			w.Segment("LS", "2120")
			for _, e := range b.RelatedEntities {
				writeNM1(w, e.Entity, "PR", "2")
				writeAddress(w, e.Address)
				for _, c := range e.Contacts {
					w.Begin("PER")
					w.Elems(c.Function, c.Name)
					for _, n := range c.Numbers {
						w.Elems(n.Qualifier, n.Number)
					}
					w.End()
				}
				if e.Taxonomy != "" {
					w.Segment("PRV", "PE", "PXC", e.Taxonomy)
				}
			}
			w.Segment("LE", "2120")
		}
	}
}
