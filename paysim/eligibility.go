package paysim

import (
	"bytes"
	"fmt"
	"slices"
	"sort"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x270"
)

// AAA reject reasons (X12 element 901) and follow-up actions (element 889)
// of 271 responses: 75 subscriber/insured not found, 67 patient not found;
// C please correct and resubmit.
const (
	aaaSubscriberNotFound = "75"
	aaaPatientNotFound    = "67"
	aaaCorrectResubmit    = "C"
)

// answerInquiries answers the 270 sets of the accepted interchanges with one
// 271 interchange each.
func (rc *responder) answerInquiries(content []byte, reports map[int64]*edi.InterchangeReport, accepted map[setKey]bool) ([][]byte, error) {
	ics := make([]*edi.InterchangeReport, 0, len(reports))
	for _, ic := range reports {
		ics = append(ics, ic)
	}
	sort.Slice(ics, func(i, j int) bool { return ics[i].Pos.Offset < ics[j].Pos.Offset })
	var out [][]byte
	for i, ic := range ics {
		isa := parseControl(ic.ControlNumber)
		sets := map[int64]bool{}
		for k := range accepted {
			if k.isa == isa {
				sets[k.st] = true
			}
		}
		if len(sets) == 0 {
			continue
		}
		// Each interchange is decoded alone, from its ISA to the next one,
		// so its 270s are told from those of other interchanges.
		start, end := ic.Pos.Offset, int64(len(content))
		if i+1 < len(ics) {
			end = ics[i+1].Pos.Offset
		}
		if start < 0 || start > end || end > int64(len(content)) {
			continue
		}
		reqs, err := x270.DecodeRequests(bytes.NewReader(content[start:end]))
		if err != nil {
			rc.sim.log.Warn("paysim 270 not decoded", "payer", rc.payer, "name", rc.name, "err", err)
		}
		var resps []*x270.Response
		for _, req := range reqs {
			if !sets[parseControl(req.ControlNumber)] || len(req.Inquiries) == 0 {
				continue
			}
			resps = append(resps, rc.eligibilityResponse(req))
		}
		if len(resps) == 0 {
			continue
		}
		isaHdr, gsHdr := rc.replyEnvelope(ic)
		var buf bytes.Buffer
		if err := x270.EncodeResponses(&buf, isaHdr, gsHdr, resps...); err != nil {
			return nil, fmt.Errorf("paysim: writing 271 for %s: %w", rc.name, err)
		}
		out = append(out, buf.Bytes())
	}
	return out, nil
}

// eligibilityResponse answers one 270 transaction.
func (rc *responder) eligibilityResponse(req *x270.Request) *x270.Response {
	resp := &x270.Response{
		ReferenceID: req.ReferenceID,
		Created:     rc.now,
		Source:      req.Source,
		Receiver:    req.Receiver,
	}
	if resp.ReferenceID == "" {
		resp.ReferenceID = req.ControlNumber
	}
	if resp.Source.Last == "" {
		resp.Source.Last = rc.profile.Name
	}
	if resp.Source.ID == "" {
		resp.Source.IDQualifier, resp.Source.ID = "PI", rc.profile.ID
	}
	for _, q := range req.Inquiries {
		resp.Summaries = append(resp.Summaries, rc.inquirySummary(q))
	}
	return resp
}

// inquirySummary answers one inquiry from the roster: not found (AAA 75 at
// the subscriber, or 67 at an unknown dependent), inactive (EB*6), or
// active (EB*1 with the plan's deductible, out-of-pocket, coinsurance and
// copay by service type).
func (rc *responder) inquirySummary(q x270.Inquiry) x270.Summary {
	s := x270.Summary{TraceNumber: q.TraceNumber, TraceOriginator: q.TraceOriginator, Subscriber: q.Subscriber}
	s.Subscriber.References, s.Subscriber.Address, s.Subscriber.Relationship = nil, x270.Address{}, ""
	if s.Subscriber.Last == "" {
		s.Subscriber.Last = "UNKNOWN"
	}
	m := rc.sim.roster.find(rc.payer, q.Subscriber.MemberID)
	if m == nil {
		s.Errors = []x270.RequestError{{Loop: "2100C", Valid: "N", Reason: aaaSubscriberNotFound, FollowUp: aaaCorrectResubmit}}
		return s
	}
	s.Subscriber = x270.Person{Last: m.LastName, First: m.FirstName, MemberID: m.MemberID, BirthDate: m.BirthDate.Time(), Gender: m.Gender}
	if m.BirthDate.IsZero() {
		s.Subscriber.BirthDate = q.Subscriber.BirthDate
	}
	if m.GroupNumber != "" {
		s.Subscriber.References = []x270.Reference{{Qualifier: "6P", Value: m.GroupNumber, Description: m.GroupName}}
	}
	if q.Dependent != nil {
		d := m.dependent(q.Dependent.Last, q.Dependent.First, claim.DateOf(q.Dependent.BirthDate))
		if d == nil {
			dep := *q.Dependent
			dep.References, dep.Address = nil, x270.Address{}
			s.Dependent = &dep
			s.Errors = []x270.RequestError{{Loop: "2100D", Valid: "N", Reason: aaaPatientNotFound, FollowUp: aaaCorrectResubmit}}
			return s
		}
		s.Dependent = &x270.Person{Last: d.LastName, First: d.FirstName, BirthDate: d.BirthDate.Time(), Gender: d.Gender, Relationship: d.Relationship}
	}
	if !m.CoverageBegin.IsZero() {
		s.Dates = append(s.Dates, x270.DateRef{Qualifier: "346", From: m.CoverageBegin.Time(), To: m.CoverageBegin.Time()})
	}
	if !m.CoverageEnd.IsZero() {
		s.Dates = append(s.Dates, x270.DateRef{Qualifier: "347", From: m.CoverageEnd.Time(), To: m.CoverageEnd.Time()})
	}
	dos := claim.DateOf(q.ServiceDate)
	if q.ServiceDate.IsZero() {
		dos = claim.DateOf(rc.now)
	}
	types := q.ServiceTypes
	if len(types) == 0 {
		types = []string{x270.DefaultServiceType}
	}
	if !m.covered(dos) {
		s.Benefits = []x270.Benefit{{Code: "6", CoverageLevel: "IND", ServiceTypes: []string{x270.DefaultServiceType}}}
		return s
	}
	level := "IND"
	if len(m.Dependents) > 0 {
		level = "FAM"
	}
	s.Benefits = append(s.Benefits, x270.Benefit{Code: "1", CoverageLevel: level, ServiceTypes: slices.Clone(types),
		InsuranceType: m.InsuranceType, PlanDescription: m.Plan})
	amount := func(code, period string, cents int64, st string) x270.Benefit {
		return x270.Benefit{Code: code, CoverageLevel: "IND", ServiceTypes: []string{st}, TimePeriod: period,
			AmountCents: cents, HasAmount: true, InPlanNetwork: "Y"}
	}
	plan := x270.DefaultServiceType
	if m.DeductibleCents > 0 {
		// EB06 23 calendar year, 29 remaining.
		s.Benefits = append(s.Benefits, amount("C", "23", m.DeductibleCents, plan), amount("C", "29", m.DeductibleRemainingCents, plan))
	}
	if m.OutOfPocketCents > 0 {
		s.Benefits = append(s.Benefits, amount("G", "23", m.OutOfPocketCents, plan), amount("G", "29", m.OutOfPocketRemainingCents, plan))
	}
	coins := func(st string) x270.Benefit {
		return x270.Benefit{Code: "A", CoverageLevel: "IND", ServiceTypes: []string{st},
			PercentBasisPoints: m.CoinsurancePercent * 100, HasPercent: true, InPlanNetwork: "Y"}
	}
	if m.CoinsurancePercent > 0 {
		s.Benefits = append(s.Benefits, coins(plan))
	}
	if m.CopayCents > 0 {
		// EB06 27 per visit; 98 professional (physician) visit - office.
		s.Benefits = append(s.Benefits, amount("B", "27", m.CopayCents, "98"))
	}
	for _, st := range types {
		if st == plan || st == "98" {
			continue
		}
		switch {
		case m.CopayCents > 0:
			s.Benefits = append(s.Benefits, amount("B", "27", m.CopayCents, st))
		case m.CoinsurancePercent > 0:
			s.Benefits = append(s.Benefits, coins(st))
		}
	}
	return s
}
