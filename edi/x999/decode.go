package x999

import (
	"fmt"
	"io"
	"strconv"

	"github.com/clearhouse/clearhouse/edi"
)

// File is what Decode found: the TA1 segments and the 999 transaction sets
// of every interchange read, in input order.
type File struct {
	TA1s      []TA1
	Responses []FunctionalGroupResponse
	// Errors are what Decode read past without failing: a segment that is
	// not part of a 999 (skipped), an AK2 response without its IK5, a 999
	// without its AK9 and input that ends inside a transaction set. Such a
	// 999 does not say what it seems to: an AK2 without IK5 or a group
	// without AK9 has no acknowledgment code, which is not acceptance.
	// Each carries its position and wraps edi.ErrSyntax or edi.ErrEnvelope.
	Errors []*edi.Error
}

// Decode reads 999s and TA1s from r to the end of input. Segments other
// than the ones a 999 uses inside a 999 are skipped and listed in
// File.Errors, as are a 999 without AK9 and an AK2 without IK5;
// transaction sets other than 999 are skipped whole. The error result is an
// *edi.Error with the position of the offending segment, wrapping
// edi.ErrSyntax for a misplaced segment or bad number, or the reader's
// error.
func Decode(r *edi.Reader) (*File, error) {
	f := &File{}
	var (
		resp   *FunctionalGroupResponse
		set    *TransactionSetResponse
		seg    *SegmentError
		in999  bool
		inSet  bool
		setErr = func(elem int, format string, args ...any) error {
			p := r.Position()
			p.Element = elem
			return &edi.Error{Pos: p, Err: edi.ErrSyntax, Msg: fmt.Sprintf(format, args...)}
		}
		// note records what was read past, capped.
		note = func(sentinel error, format string, args ...any) {
			if len(f.Errors) < edi.DefaultMaxErrors {
				f.Errors = append(f.Errors, &edi.Error{Pos: r.Position(), Err: sentinel, Msg: fmt.Sprintf(format, args...)})
			}
		}
		// closeSet notes an AK2 left without its IK5 and, at the SE or
		// the end of input, a 999 without its AK9.
		closeSet = func(end bool) {
			if set != nil {
				note(edi.ErrSyntax, "AK2 response to %s %s has no IK5: not acknowledged", set.ID, set.ControlNumber)
				set = nil
			}
			if end && resp != nil && resp.Ack == "" {
				note(edi.ErrSyntax, "999 %s has no AK9: group %s not acknowledged", resp.ControlNumber, resp.GroupControlNumber)
			}
		}
	)
	num := func(s *edi.Segment, i int) (int, error) {
		b := s.Element(i)
		if len(b) == 0 {
			return 0, nil
		}
		n, err := edi.ParseInt(b)
		if err != nil || n < 0 || n > 1<<31-1 {
			return 0, setErr(i, "%q is not a count", b)
		}
		return int(n), nil
	}
	codes := func(s *edi.Segment, from int) []string {
		var out []string
		for i := from; i <= s.Len() && i < from+maxCodes; i++ {
			if v := s.String(i); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	for {
		s, err := r.Next()
		if err == io.EOF {
			if in999 {
				closeSet(true)
				note(edi.ErrEnvelope, "input ends inside 999 %s (no SE)", resp.ControlNumber)
			}
			return f, nil
		}
		if err != nil {
			return f, err
		}
		switch {
		case s.Is("TA1"):
			f.TA1s = append(f.TA1s, TA1{ControlNumber: s.String(1), Date: s.String(2), Time: s.String(3), Ack: s.String(4), NoteCode: s.String(5)})
		case s.Is("ST"):
			inSet = true
			in999 = s.String(1) == "999"
			if in999 {
				f.Responses = append(f.Responses, FunctionalGroupResponse{ControlNumber: s.String(2)})
				resp = &f.Responses[len(f.Responses)-1]
				set, seg = nil, nil
			}
		case s.Is("SE"):
			if !inSet {
				return f, setErr(0, "SE outside a transaction set")
			}
			if in999 {
				closeSet(true)
			}
			inSet, in999, resp, set, seg = false, false, nil, nil, nil
		case !in999:
			// Envelope segments and other transaction sets.
		case s.Is("AK1"):
			resp.FunctionalID, resp.GroupControlNumber, resp.Version = s.String(1), s.String(2), s.String(3)
		case s.Is("AK2"):
			closeSet(false)
			resp.Sets = append(resp.Sets, TransactionSetResponse{ID: s.String(1), ControlNumber: s.String(2), ImplRef: s.String(3)})
			set, seg = &resp.Sets[len(resp.Sets)-1], nil
		case s.Is("IK3"):
			if set == nil {
				return f, setErr(0, "IK3 before AK2")
			}
			pos, err := num(s, 2)
			if err != nil {
				return f, err
			}
			set.Segments = append(set.Segments, SegmentError{SegmentID: s.String(1), Position: pos, Loop: s.String(3), Code: s.String(4)})
			seg = &set.Segments[len(set.Segments)-1]
		case s.Is("CTX"):
			// Loop 2100 CTX: the situational trigger or the business
			// unit of the segment in error.
			switch {
			case seg == nil || len(seg.Elements) > 0:
			case string(s.Component(1, 1)) == "SITUATIONAL TRIGGER":
				t := &Trigger{SegmentID: s.String(2), Loop: s.String(4)}
				t.Position, _ = strconv.Atoi(s.String(3))
				t.Element, _ = strconv.Atoi(string(s.Component(5, 1)))
				t.Component, _ = strconv.Atoi(string(s.Component(5, 2)))
				seg.Trigger = t
			default:
				seg.Unit, seg.UnitRef = string(s.Component(1, 1)), string(s.Component(1, 2))
			}
		case s.Is("IK4"):
			if seg == nil {
				return f, setErr(0, "IK4 before IK3")
			}
			e := ElementError{Reference: s.String(2), Code: s.String(3), Value: s.String(4)}
			for k, dst := range []*int{&e.Position, &e.Component, &e.Repetition} {
				b := s.Component(1, k+1)
				if len(b) == 0 {
					continue
				}
				n, err := strconv.Atoi(string(b))
				if err != nil || n < 0 {
					return f, setErr(1, "IK401-%d %q is not a position", k+1, b)
				}
				*dst = n
			}
			seg.Elements = append(seg.Elements, e)
		case s.Is("IK5"):
			if set == nil {
				return f, setErr(0, "IK5 before AK2")
			}
			set.Ack, set.Codes = s.String(1), codes(s, 2)
			set, seg = nil, nil
		case s.Is("AK9"):
			closeSet(false)
			resp.Ack, resp.Codes = s.String(1), codes(s, 5)
			for i, dst := range []*int{&resp.Included, &resp.Received, &resp.Accepted} {
				n, err := num(s, i+2)
				if err != nil {
					return f, err
				}
				*dst = n
			}
		default:
			note(edi.ErrSyntax, "segment %s is not part of a 999: skipped", printableID(s.ID()))
		}
	}
}

// printableID quotes a segment ID for a message (a hostile one may carry
// control bytes).
func printableID(id []byte) string {
	if len(id) > 8 {
		id = id[:8]
	}
	return strconv.Quote(string(id))
}
