package x999

import (
	"slices"
	"strings"

	"github.com/clearhouse/clearhouse/edi"
)

// maxCodes is how many syntax error codes IK5 (IK502-IK506) and AK9
// (AK905-AK909) hold.
const maxCodes = 5

// Generate builds the acknowledgments of every interchange in rep: a TA1
// from the interchange's envelope errors, and for each functional group a
// 999 with one AK2 loop per transaction set. A set's segment-level errors
// become IK3 segments (IK304), its element-level errors IK4 segments (IK403)
// under the IK3 of their segment (IK304 8 when the segment has no error of
// its own), and its set-level errors IK502 codes, with 5 added when any
// segment is in error. A set with any error is rejected (IK501 R); a group
// is accepted (AK901 A) when every set is, partially accepted (P) when some
// are, and rejected (R) when none is or the group itself is in error. A
// group of acknowledgments (GS01 FA) gets no 999.
func Generate(rep *edi.ValidationReport) []Acknowledgment {
	acks := make([]Acknowledgment, 0, len(rep.Interchanges))
	for _, ic := range rep.Interchanges {
		a := Acknowledgment{Interchange: ic, TA1: generateTA1(ic)}
		for _, g := range ic.Groups {
			if g.FunctionalID == "FA" {
				// Acknowledgments are not acknowledged: 005010X231A1
				// AK101 does not list FA.
				continue
			}
			a.Responses = append(a.Responses, GenerateGroup(g))
		}
		acks = append(acks, a)
	}
	return acks
}

func generateTA1(ic *edi.InterchangeReport) TA1 {
	t := TA1{ControlNumber: ic.ControlNumber, Date: ic.Date, Time: ic.Time, Ack: edi.TA1Accepted, NoteCode: ic.NoteCode()}
	if !ic.Accepted() {
		t.Ack = edi.TA1Rejected
	}
	return t
}

// GenerateGroup builds the 999 of one functional group.
func GenerateGroup(g *edi.GroupReport) FunctionalGroupResponse {
	r := FunctionalGroupResponse{
		FunctionalID:       echo(g.FunctionalID, 2, false),
		GroupControlNumber: echo(g.ControlNumber, 9, true),
		Version:            echo(g.Version, 12, false),
		Included:           g.SetCount,
		Received:           len(g.Sets),
	}
	if r.Included < 0 {
		r.Included = len(g.Sets)
	}
	for _, s := range g.Sets {
		sr := GenerateSet(s)
		if sr.Accepted() {
			r.Accepted++
		}
		r.Sets = append(r.Sets, sr)
	}
	for _, e := range g.Errors.Errs {
		r.Codes = addCode(r.Codes, e.Code)
	}
	if g.Errors.Len() > 0 && len(r.Codes) == 0 {
		r.Codes = []string{edi.AK9TrailerMissing}
	}
	switch {
	case len(r.Codes) > 0:
		r.Ack = edi.AckRejected
		r.Accepted = 0
	case r.Accepted == r.Received:
		r.Ack = edi.AckAccepted
	case r.Accepted == 0:
		r.Ack = edi.AckRejected
	default:
		r.Ack = edi.AckPartiallyAccepted
	}
	return r
}

// GenerateSet builds the AK2 loop of one transaction set.
func GenerateSet(s *edi.SetReport) TransactionSetResponse {
	r := TransactionSetResponse{ID: echo(s.ID, 3, true), ControlNumber: echo(s.ControlNumber, 9, false),
		ImplRef: echo(s.ImplRef, 35, false), Ack: edi.AckAccepted}
	type segKey struct {
		pos int
		id  string
	}
	segIndex := map[segKey]int{} // set position and segment ID -> index in r.Segments
	segment := func(e *edi.Error) *SegmentError {
		k := segKey{e.Pos.SetSegment, e.Pos.SegmentID}
		i, ok := segIndex[k]
		if !ok {
			if len(r.Segments) >= maxSegmentErrors {
				return nil
			}
			i = len(r.Segments)
			segIndex[k] = i
			r.Segments = append(r.Segments, SegmentError{SegmentID: segmentID(e.Pos.SegmentID), Position: e.Pos.SetSegment,
				Loop: echo(e.Pos.Loop, 4, false)})
		}
		sg := &r.Segments[i]
		if sg.Trigger == nil && e.Trigger != nil && e.Trigger.SetSegment > 0 {
			sg.Trigger = &Trigger{SegmentID: segmentID(e.Trigger.SegmentID), Position: e.Trigger.SetSegment,
				Loop: echo(e.Trigger.Loop, 4, false), Element: e.Trigger.Element, Component: e.Trigger.Component}
		}
		if sg.Unit == "" && e.Unit != "" {
			sg.Unit, sg.UnitRef = echo(e.Unit, 35, false), echoValue(e.UnitRef, 35)
		}
		return sg
	}
	for _, e := range s.Errors.Errs {
		switch {
		case e.Level == edi.LevelSegment && e.Pos.SetSegment > 0:
			sg := segment(e)
			if sg == nil {
				break
			}
			if sg.Code == "" || sg.Code == edi.IK3ElementErrors {
				sg.Code = e.Code
			}
		case e.Level == edi.LevelElement && e.Pos.SetSegment > 0:
			sg := segment(e)
			if sg == nil {
				break
			}
			if sg.Code == "" {
				sg.Code = edi.IK3ElementErrors
			}
			if len(sg.Elements) >= maxElementErrors || e.Pos.Element < 1 || e.Pos.Element > 99 {
				break
			}
			ref := e.DataElement
			if len(ref) > 4 || !allDigits(ref) {
				ref = ""
			}
			sg.Elements = append(sg.Elements, ElementError{
				Position: e.Pos.Element, Component: e.Pos.Component, Repetition: e.Pos.Repetition, Code: e.Code,
				Reference: ref, Value: echoValue(e.Value, 99),
			})
		case e.Level == edi.LevelSet:
			r.Codes = addCode(r.Codes, e.Code)
		default:
			r.Codes = addCode(r.Codes, edi.IK5SegmentsInError)
		}
	}
	if s.Errors.Dropped > 0 || len(r.Segments) > 0 {
		r.Codes = addCode(r.Codes, edi.IK5SegmentsInError)
	}
	if len(r.Codes) > 0 {
		r.Ack = edi.AckRejected
	}
	slices.SortStableFunc(r.Segments, func(a, b SegmentError) int { return a.Position - b.Position })
	return r
}

// maxSegmentErrors and maxElementErrors cap the IK3 loops of a set and
// the IK4 loops of an IK3 (005010X231A1 Loop 2110 repeats at most 99 times;
// a 999 that lists thousands of segments helps nobody).
const (
	maxSegmentErrors = 999
	maxElementErrors = 99
)

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// echoValue prepares a bad value copied into IK404 or CTX01-2: printable
// ASCII without the 999's delimiters (* ^ : ~) and without leading or
// trailing blanks, cut to max.
func echoValue(v string, max int) string {
	b := make([]byte, 0, min(len(v), max))
	for i := 0; i < len(v) && len(b) < max; i++ {
		c := v[i]
		if c < 0x20 || c >= 0x7F {
			continue
		}
		switch c {
		case '*', '^', ':', '~':
			continue
		}
		b = append(b, c)
	}
	return strings.TrimSpace(string(b))
}

// echo prepares a value copied from the file being acknowledged (GS01,
// GS06, GS08, ST01-ST03 into AK1 and AK2) so the 999 stays valid whatever
// the input held: only upper-case letters, digits and the X12 basic
// special characters that are not delimiters are kept (digits only for
// numeric elements), cut to the element's maximum length.
func echo(v string, max int, digits bool) string {
	ok := true
	for i := 0; i < len(v) && ok; i++ {
		ok = echoByte(v[i], digits)
	}
	if ok && len(v) <= max {
		return v
	}
	b := make([]byte, 0, min(len(v), max))
	for i := 0; i < len(v) && len(b) < max; i++ {
		if echoByte(v[i], digits) {
			b = append(b, v[i])
		}
	}
	return string(b)
}

func echoByte(c byte, digits bool) bool {
	switch {
	case c >= '0' && c <= '9':
		return true
	case digits:
		return false
	case c >= 'A' && c <= 'Z', c == '.', c == '-', c == ' ':
		return true
	}
	return false
}

func addCode(codes []string, c string) []string {
	if c == "" || len(codes) >= maxCodes || slices.Contains(codes, c) {
		return codes
	}
	return append(codes, c)
}

// segmentID makes IK301 from the ID of a segment in error, which may itself
// be the error: IK301 is 2 or 3 letters and digits, so other bytes are
// dropped, the rest cut to 3 and padded with X to 2.
func segmentID(id string) string {
	b := make([]byte, 0, 3)
	for i := 0; i < len(id) && len(b) < 3; i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	for len(b) < 2 {
		b = append(b, 'X')
	}
	return string(b)
}
