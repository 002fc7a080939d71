package edi

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error the reader, writer and validators return wraps
// one of these, so callers can test with errors.Is.
var (
	// ErrNotX12 means the input does not start with an ISA segment.
	ErrNotX12 = errors.New("not an X12 interchange")
	// ErrBadISA means the ISA segment is malformed: wrong length, bad
	// delimiters or bad element values.
	ErrBadISA = errors.New("malformed ISA segment")
	// ErrSegmentTooLong means a segment is longer than the reader's cap.
	ErrSegmentTooLong = errors.New("segment exceeds the maximum length")
	// ErrUnterminated means the input ends inside a segment.
	ErrUnterminated = errors.New("input ends inside a segment")
	// ErrEnvelope means an interchange, group or transaction set envelope is
	// wrong: missing or unexpected envelope segments, bad counts or
	// mismatched control numbers.
	ErrEnvelope = errors.New("envelope error")
	// ErrDuplicateControl means a control number repeats within a file.
	ErrDuplicateControl = errors.New("duplicate control number")
	// ErrSyntax means a segment or element violates the X12 syntax rules:
	// bad segment ID, missing mandatory element, bad length or data type.
	ErrSyntax = errors.New("syntax error")
	// ErrDelimiterInData means a data element passed to the writer contains
	// one of the interchange's delimiters.
	ErrDelimiterInData = errors.New("data element contains a delimiter")
	// ErrImplementation means a transaction set violates its implementation
	// guide (SNIP type 2 and 4): loop order, required or situational segments,
	// code values.
	ErrImplementation = errors.New("implementation guide violation")
	// ErrBalance means amounts do not balance (SNIP type 3).
	ErrBalance = errors.New("amounts do not balance")
)

// Position locates a segment, and optionally one of its elements, in an input.
// Counts are 1-based; zero means unknown or not applicable.
type Position struct {
	File        string // file name, when known
	Interchange string // ISA13 interchange control number
	Group       string // GS06 group control number
	Set         string // ST02 transaction set control number
	Segment     int    // segment ordinal in the input
	SetSegment  int    // segment ordinal within the transaction set (ST is 1)
	Offset      int64  // byte offset of the segment's first byte
	Loop        string // implementation guide loop ID, such as 2300, when known
	SegmentID   string // segment ID, such as CLM
	Element     int    // element position, such as 2 for CLM02
	Component   int    // component position within a composite element
	Repetition  int    // repetition within a repeating element
}

// String formats p for a person reading an error message.
func (p Position) String() string {
	var b strings.Builder
	sep := func() {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
	}
	if p.File != "" {
		b.WriteString(p.File)
	}
	if p.Interchange != "" {
		sep()
		b.WriteString("ISA13 ")
		b.WriteString(p.Interchange)
	}
	if p.Group != "" {
		sep()
		b.WriteString("GS06 ")
		b.WriteString(p.Group)
	}
	if p.Set != "" {
		sep()
		b.WriteString("ST02 ")
		b.WriteString(p.Set)
	}
	if p.Segment > 0 {
		sep()
		b.WriteString("segment ")
		b.WriteString(strconv.Itoa(p.Segment))
		if p.SetSegment > 0 {
			b.WriteString(" (set position ")
			b.WriteString(strconv.Itoa(p.SetSegment))
			b.WriteString(")")
		}
	}
	if p.Loop != "" {
		sep()
		b.WriteString("loop ")
		b.WriteString(p.Loop)
	}
	if p.SegmentID != "" {
		sep()
		b.WriteString(p.SegmentID)
		if p.Element > 0 {
			if p.Element < 10 {
				b.WriteByte('0')
			}
			b.WriteString(strconv.Itoa(p.Element))
			if p.Component > 0 {
				b.WriteByte('-')
				b.WriteString(strconv.Itoa(p.Component))
			}
		}
	}
	return b.String()
}

// Error is an error at a position in an X12 input. It wraps one of the
// package's sentinel errors (or an I/O error).
//
// Level and Code say how the error is acknowledged to the sender; they are
// set by the validators and are empty for plain read and write errors.
type Error struct {
	Pos Position
	Err error  // sentinel or underlying error
	Msg string // detail for a person
	// Level is the acknowledgment level: a TA1 note, a 999 AK9, IK5, IK3
	// or IK4 code.
	Level Level
	// Code is the acknowledgment code at Level, such as "021" (TA105),
	// "5" (AK905), "4" (IK502), "8" (IK304) or "7" (IK403).
	Code string
	// DataElement is the X12 data element number of the element in error
	// (IK402), such as 1035, when known.
	DataElement string
	// Value is a copy of the bad element (IK404), when worth reporting.
	Value string
	// Unit names the business unit the error lies in, as a 999 CTX reports
	// it: Unit is the context name (such as CLM01) and UnitRef its value
	// (the claim's submitter identifier).
	Unit, UnitRef string
	// Trigger, for the error of a situational rule, is the segment and
	// element whose value makes the one in error required or not used (a
	// 999 CTX situational trigger); nil otherwise.
	Trigger *Position
}

func (e *Error) Error() string {
	pos := e.Pos.String()
	var b strings.Builder
	b.Grow(len(pos) + len(e.Msg) + 40)
	if pos != "" {
		b.WriteString(pos)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	if e.Msg != "" {
		if e.Err != nil {
			b.WriteString(": ")
		}
		b.WriteString(e.Msg)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorList collects the errors of one validation, capped at a maximum so a
// badly broken file cannot exhaust memory. It reports how many were dropped.
type ErrorList struct {
	Errs    []*Error
	Max     int // 0 means DefaultMaxErrors
	Dropped int
}

// DefaultMaxErrors caps an ErrorList whose Max is zero.
const DefaultMaxErrors = 1000

// Add appends e unless the cap is reached, in which case it counts it.
func (l *ErrorList) Add(e *Error) {
	max := l.Max
	if max == 0 {
		max = DefaultMaxErrors
	}
	if len(l.Errs) >= max {
		l.Dropped++
		return
	}
	l.Errs = append(l.Errs, e)
}

// Len is the number of errors found, kept or dropped.
func (l *ErrorList) Len() int { return len(l.Errs) + l.Dropped }

// Err returns the list as an error, or nil when it is empty.
func (l *ErrorList) Err() error {
	if l.Len() == 0 {
		return nil
	}
	return l
}

func (l *ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l.Errs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	if l.Dropped > 0 {
		b.WriteString("\n(")
		b.WriteString(strconv.Itoa(l.Dropped))
		b.WriteString(" more errors not shown)")
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As look at every collected error.
func (l *ErrorList) Unwrap() []error {
	out := make([]error, len(l.Errs))
	for i, e := range l.Errs {
		out[i] = e
	}
	return out
}
