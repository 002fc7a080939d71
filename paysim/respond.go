package paysim

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x999"
)

// responder answers one received file for one payer. It works on a copy of
// the simulator's state (st) that the simulator keeps only when every
// response is written.
type responder struct {
	sim     *Simulator
	st      *simState
	payer   string
	profile PayerProfile
	name    string
	now     time.Time
}

// setKey identifies a transaction set: ISA13, GS06 and ST02 as numbers.
type setKey struct{ isa, gs, st int64 }

func parseControl(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// answer validates the file's envelopes and answers each interchange.
func (rc *responder) answer(ctx context.Context, content []byte) ([]responseFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep, err := edi.Validate(bytes.NewReader(content), edi.ValidateOpts{File: rc.name})
	if err != nil {
		// Not X12: there is no ISA to address a TA1 to.
		rc.sim.log.Warn("paysim input is not X12; not answered", "payer", rc.payer, "name", rc.name, "err", err)
		return nil, nil
	}
	var ta1s, acks, claimAcks, eligibility, statuses [][]byte
	claimSets := map[setKey]bool{}
	inquirySets := map[setKey]bool{}
	statusSets := map[setKey]bool{}
	reports := map[int64]*edi.InterchangeReport{}
	for _, ack := range x999.Generate(rep) {
		ic := ack.Interchange
		if !answerable(ic) {
			// Without the sender's ID and a well-formed ISA13, ISA09 and
			// ISA10 no valid TA1 can be addressed or written.
			rc.sim.log.Warn("paysim interchange cannot be answered", "payer", rc.payer, "name", rc.name,
				"isa13", ic.ControlNumber, "err", ic.Errors.Err())
			continue
		}
		if !ic.Accepted() {
			// Interchange-level errors: a TA1 rejects the whole interchange;
			// nothing in it is processed.
			b, err := rc.encodeTA1(ic, ack.TA1)
			if err != nil {
				return nil, err
			}
			ta1s = append(ta1s, b)
			continue
		}
		var ta1 []x999.TA1
		if ack.TA1Needed() {
			ta1 = append(ta1, ack.TA1)
		}
		isaNum := parseControl(ic.ControlNumber)
		needs999 := false
		responses := make([]x999.FunctionalGroupResponse, 0, len(ack.Responses))
		for gi, g := range ic.Groups {
			resp := ack.Responses[gi]
			switch g.FunctionalID {
			case "HC":
				needs999 = true
			case "HS", "HR":
				needs999 = needs999 || !g.Accepted()
			default:
				// A functional group this payer does not take: AK9 code 1,
				// every set IK5 code 1 (not supported).
				needs999 = true
				resp = unsupportedGroup(resp)
			}
			responses = append(responses, resp)
			for si, set := range g.Sets {
				if si >= len(resp.Sets) || !resp.Sets[si].Accepted() || resp.Ack == edi.AckRejected {
					continue
				}
				k := setKey{isaNum, parseControl(g.ControlNumber), parseControl(set.ControlNumber)}
				switch {
				case g.FunctionalID == "HC" && set.ID == "837":
					claimSets[k] = true
				case g.FunctionalID == "HS" && set.ID == "270":
					inquirySets[k] = true
				case g.FunctionalID == "HR" && set.ID == "276":
					statusSets[k] = true
				}
			}
		}
		if needs999 || len(ta1) > 0 {
			if !needs999 {
				responses = nil
			}
			b, err := rc.encode999(ic, ta1, responses)
			if err != nil {
				return nil, err
			}
			acks = append(acks, b)
		}
		reports[isaNum] = ic
	}
	if len(claimSets) > 0 {
		parts, err := rc.answerClaims(content, reports, claimSets)
		if err != nil {
			return nil, err
		}
		claimAcks = parts
	}
	if len(inquirySets) > 0 {
		parts, err := rc.answerInquiries(content, reports, inquirySets)
		if err != nil {
			return nil, err
		}
		eligibility = parts
	}
	if len(statusSets) > 0 {
		parts, err := rc.answerStatus(content, reports, statusSets)
		if err != nil {
			return nil, err
		}
		statuses = parts
	}
	var out []responseFile
	add := func(ext string, parts [][]byte) {
		parts = rc.keepValid(ext, parts)
		if len(parts) > 0 {
			out = append(out, responseFile{name: responseName(rc.name, ext), content: concat(parts)})
		}
	}
	add("ta1", ta1s)
	add("999", acks)
	add("277ca", claimAcks)
	add("271", eligibility)
	add("277", statuses)
	return out, nil
}

// keepValid drops, with a log entry, any response interchange that does
// not pass envelope and syntax validation, such as a 999 echoing a control
// character the input held where an identifier belongs: the simulator
// sends nothing rather than something invalid.
func (rc *responder) keepValid(ext string, parts [][]byte) [][]byte {
	kept := parts[:0]
	for _, b := range parts {
		rep, err := edi.Validate(bytes.NewReader(b), edi.ValidateOpts{File: responseName(rc.name, ext)})
		if err == nil && rep.Clean() {
			kept = append(kept, b)
			continue
		}
		if err == nil {
			err = rep.Err()
		}
		rc.sim.log.Warn("paysim response withheld: not valid", "payer", rc.payer, "name", rc.name, "response", ext, "err", err)
	}
	return kept
}

// answerable reports whether a reply can be addressed to interchange ic:
// its sender ID and the ISA13, ISA09 and ISA10 a TA1 copies are present and
// well formed.
func answerable(ic *edi.InterchangeReport) bool {
	return ic.SenderID != "" && isDigits(ic.ControlNumber, 9) && isDigits(ic.Date, 6) && isDigits(ic.Time, 4)
}

// unsupportedGroup turns a group's 999 into a rejection: functional group
// not supported (AK905 1), each set not supported (IK502 1).
func unsupportedGroup(r x999.FunctionalGroupResponse) x999.FunctionalGroupResponse {
	r.Ack, r.Accepted, r.Codes = edi.AckRejected, 0, []string{edi.AK9GroupNotSupported}
	sets := make([]x999.TransactionSetResponse, len(r.Sets))
	for i, s := range r.Sets {
		s.Ack, s.Codes, s.Segments = edi.AckRejected, []string{edi.IK5NotSupported}, nil
		sets[i] = s
	}
	r.Sets = sets
	return r
}

// encodeTA1 writes an interchange holding only the TA1 of ic.
func (rc *responder) encodeTA1(ic *edi.InterchangeReport, t x999.TA1) ([]byte, error) {
	return rc.encode999(ic, []x999.TA1{t}, nil)
}

// encode999 writes an acknowledgment interchange back to ic's sender.
func (rc *responder) encode999(ic *edi.InterchangeReport, ta1s []x999.TA1, responses []x999.FunctionalGroupResponse) ([]byte, error) {
	isa, gs := rc.replyEnvelope(ic)
	var buf bytes.Buffer
	w := edi.NewWriter(&buf, edi.DefaultDelimiters)
	if err := x999.Encode(w, x999.Envelope{ISA: isa, GS: gs}, ta1s, responses); err != nil {
		return nil, fmt.Errorf("paysim: writing 999 for %s: %w", rc.name, err)
	}
	return buf.Bytes(), nil
}
