package edi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// ValidateOpts are the switches of Validate. The zero value is ready to use.
type ValidateOpts struct {
	// File names the input in error positions.
	File string
	// MaxErrors caps the errors kept per transaction set, group, interchange
	// and file; zero means DefaultMaxErrors. Errors over the cap are counted.
	MaxErrors int
	// MaxSegmentSize caps one segment's length; zero means
	// DefaultMaxSegmentSize.
	MaxSegmentSize int
	// UniqueSetControlNumbers flags an ST02 that repeats anywhere in the
	// file. By default only a repeat within one functional group is an error
	// (IK502 23), since many senders restart ST02 at 0001 in every group.
	UniqueSetControlNumbers bool
	// Check, when set, is called for every segment inside a transaction set,
	// ST and SE included, so a guide-level validator can run in the same
	// pass. It may add errors (with Level and Code) to set.Errors. seg is
	// valid only during the call.
	Check func(seg *Segment, pos Position, set *SetReport)
}

// ValidationReport is what Validate found in an input: every interchange, group and
// transaction set with its identifiers and counts, and the errors of each.
// It is what the 999 and TA1 generator (package edi/x999) works from.
type ValidationReport struct {
	File         string
	Segments     int // segments read
	Interchanges []*InterchangeReport
	// Errors are those outside any interchange, such as segments after an
	// IEA, and the error that stopped reading early.
	Errors ErrorList
	// Warnings are departures from the guides that real trading partners
	// send and that are read without harm, such as an ST03 that names the
	// base guide of GS08's addenda or trailing element separators. They do
	// not reject anything: Clean, ErrorCount and the 999 and TA1 ignore
	// them. Capped like Errors.
	Warnings ErrorList
}

// warn adds a warning at the current segment, element elem.
func (v *validator) warn(elem int, format string, args ...any) {
	p := v.rd.Position()
	p.Element = elem
	v.rep.Warnings.Add(&Error{Pos: p, Err: ErrImplementation, Msg: fmt.Sprintf(format, args...)})
}

// NamesBaseGuide reports whether implRef (an ST03) names the base guide of
// the addenda version (a GS08): 005010X222 for 005010X222A1. Senders that
// upgraded GS08 to the addenda and left ST03 alone write it; the addenda
// changed rules, not the transaction's identity.
func NamesBaseGuide(implRef, version string) bool {
	if len(implRef) < 7 || len(version) < len(implRef)+2 || version[:len(implRef)] != implRef {
		return false
	}
	rest := version[len(implRef):]
	return rest[0] == 'A' && AllDigits([]byte(rest[1:]))
}

// InterchangeReport describes one ISA/IEA interchange.
type InterchangeReport struct {
	Pos        Position // of the ISA
	Delimiters Delimiters

	AuthQualifier     string // ISA01
	SecurityQualifier string // ISA03
	SenderQualifier   string // ISA05
	SenderID          string // ISA06, blanks trimmed
	ReceiverQualifier string // ISA07
	ReceiverID        string // ISA08, blanks trimmed
	Date              string // ISA09, YYMMDD
	Time              string // ISA10, HHMM
	Version           string // ISA12, such as 00501
	ControlNumber     string // ISA13
	AckRequested      bool   // ISA14 is 1
	Usage             string // ISA15, P or T

	// GroupCount is IEA01 as sent, or -1 when the IEA is missing or IEA01
	// is not a number.
	GroupCount int
	Groups     []*GroupReport
	// Closed reports whether the IEA was seen.
	Closed bool
	// Errors are interchange-level errors; each carries a TA105 code.
	Errors ErrorList
}

// GroupReport describes one GS/GE functional group.
type GroupReport struct {
	Pos           Position // of the GS
	FunctionalID  string   // GS01, such as HC
	SenderCode    string   // GS02
	ReceiverCode  string   // GS03
	Date          string   // GS04, CCYYMMDD
	Time          string   // GS05
	ControlNumber string   // GS06
	Agency        string   // GS07
	Version       string   // GS08, such as 005010X222A1

	// SetCount is GE01 as sent, or -1 when the GE is missing or GE01 is not
	// a number.
	SetCount int
	Sets     []*SetReport
	Closed   bool
	// Errors are group-level errors; each carries an AK905 code.
	Errors ErrorList
}

// SetReport describes one ST/SE transaction set.
type SetReport struct {
	Pos           Position // of the ST
	ID            string   // ST01, such as 837
	ControlNumber string   // ST02
	ImplRef       string   // ST03, such as 005010X222A1
	GroupVersion  string   // GS08 of the enclosing group
	// Segments is the number of segments counted, ST and SE included.
	Segments int
	// DeclaredSegments is SE01 as sent, or -1 when the SE is missing or SE01
	// is not a number.
	DeclaredSegments int
	Closed           bool
	// Errors are the set's errors: set-level ones carry an IK502 code,
	// segment-level ones an IK304 code and element-level ones an IK403 code
	// (an element error implies IK304 8 for its segment, so it needs no
	// segment-level companion).
	Errors ErrorList
}

// Accepted reports whether the set has no errors.
func (s *SetReport) Accepted() bool { return s.Errors.Len() == 0 }

// Accepted reports whether the group and all its sets are free of errors.
func (g *GroupReport) Accepted() bool {
	if g.Errors.Len() > 0 {
		return false
	}
	for _, s := range g.Sets {
		if !s.Accepted() {
			return false
		}
	}
	return true
}

// Accepted reports whether the interchange has no interchange-level errors.
// Errors inside its groups are the 999's business, not the TA1's.
func (ic *InterchangeReport) Accepted() bool { return ic.Errors.Len() == 0 }

// NoteCode is the TA105 code of the interchange's first error, or "000".
func (ic *InterchangeReport) NoteCode() string {
	for _, e := range ic.Errors.Errs {
		if e.Code != "" {
			return e.Code
		}
	}
	return TA1NoError
}

// Clean reports whether the input has no errors at all.
func (r *ValidationReport) Clean() bool { return r.ErrorCount() == 0 }

// ErrorCount is the number of errors found at every level, kept or dropped.
func (r *ValidationReport) ErrorCount() int {
	n := r.Errors.Len()
	for _, ic := range r.Interchanges {
		n += ic.Errors.Len()
		for _, g := range ic.Groups {
			n += g.Errors.Len()
			for _, s := range g.Sets {
				n += s.Errors.Len()
			}
		}
	}
	return n
}

// AllErrors returns the kept errors of every level in input order.
func (r *ValidationReport) AllErrors() []*Error {
	var out []*Error
	out = append(out, r.Errors.Errs...)
	for _, ic := range r.Interchanges {
		out = append(out, ic.Errors.Errs...)
		for _, g := range ic.Groups {
			out = append(out, g.Errors.Errs...)
			for _, s := range g.Sets {
				out = append(out, s.Errors.Errs...)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *Error) int {
		return a.Pos.Segment - b.Pos.Segment
	})
	return out
}

// Err returns the report's errors as an error, or nil when it is clean.
func (r *ValidationReport) Err() error {
	all := r.AllErrors()
	if len(all) == 0 && r.ErrorCount() == 0 {
		return nil
	}
	l := &ErrorList{Max: len(all) + 1, Errs: all, Dropped: r.ErrorCount() - len(all)}
	return l
}

// functionalIDs maps a transaction set ID to the GS01 functional identifier
// code its group must carry (X12 element 479).
var functionalIDs = map[string]string{
	"837": "HC", "835": "HP", "270": "HS", "271": "HB", "276": "HR",
	"277": "HN", "278": "HI", "820": "RA", "834": "BE", "999": "FA",
	"997": "FA", "824": "AG", "275": "PI",
}

// FunctionalID returns the GS01 code for transaction set id (such as HC for
// 837), or "" when the set is not one this package knows.
func FunctionalID(setID string) string { return functionalIDs[setID] }

// ISA code values (005010 interchange control structure).
func validAuthQualifier(v []byte) bool     { return string(v) == "00" || string(v) == "03" }
func validSecurityQualifier(v []byte) bool { return string(v) == "00" || string(v) == "01" }
func validIDQualifier(v []byte) bool {
	switch string(v) {
	case "01", "14", "20", "27", "28", "29", "30", "33", "ZZ":
		return true
	}
	return false
}

// isaWidths are the fixed widths of ISA01 to ISA16.
var isaWidths = [17]int{0, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1}

// isaNotes are the TA105 codes for a wrong ISA01 to ISA16.
var isaNotes = [17]string{"", TA1InvalidAuthQualifier, TA1InvalidAuthInfo, TA1InvalidSecurityQual, TA1InvalidSecurityInfo,
	TA1InvalidSenderQualifier, TA1InvalidSenderID, TA1InvalidReceiverQual, TA1InvalidReceiverID, TA1InvalidDate,
	TA1InvalidTime, TA1InvalidStandardsID, TA1InvalidVersion, TA1InvalidControlNumber, TA1InvalidAckRequested,
	TA1InvalidUsage, TA1InvalidComponentSep}

// validator is the state of one Validate walk.
type validator struct {
	opts   ValidateOpts
	rep    *ValidationReport
	rd     *Reader
	ic     *InterchangeReport
	grp    *GroupReport
	set    *SetReport
	isa13  map[string]Position
	gs06   map[string]Position
	st02   map[string]Position
	maxErr int
}

// Validate reads an X12 input to its end and checks its envelopes: the ISA's
// fixed lengths and code values, GS and ST identifiers, SE/GE/IEA counts and
// control numbers, ST03 against GS08, duplicate control numbers, segment ID
// syntax and missing trailers. It collects every error, capped per set, with
// its position and acknowledgment code.
//
// The error result is non-nil only when the input is not X12 (it does not
// start with a readable ISA, ErrNotX12 or ErrBadISA) or cannot be read; all
// other problems, including a damaged end of input, are in the ValidationReport.
func Validate(r io.Reader, opts ValidateOpts) (*ValidationReport, error) {
	v := &validator{
		opts:  opts,
		rep:   &ValidationReport{File: opts.File},
		rd:    NewReader(r),
		isa13: map[string]Position{},
		gs06:  map[string]Position{},
		st02:  map[string]Position{},
	}
	v.maxErr = opts.MaxErrors
	v.rep.Errors.Max = v.maxErr
	v.rep.Warnings.Max = v.maxErr
	v.rd.File = opts.File
	v.rd.MaxSegmentSize = opts.MaxSegmentSize
	for {
		seg, err := v.rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *Error
			if v.rep.Segments == 0 || !errors.As(err, &pe) || !isFormatError(err) {
				return v.rep, err
			}
			pe.Level, pe.Code = LevelInterchange, TA1PrematureEnd
			if errors.Is(err, ErrBadISA) || errors.Is(err, ErrNotX12) {
				pe.Code = TA1InvalidControlStruct
			}
			v.icErr(pe)
			v.endOfInput(pe.Pos, true)
			return v.rep, nil
		}
		v.rep.Segments++
		v.segment(seg)
	}
	v.endOfInput(v.rd.Position(), false)
	return v.rep, nil
}

// isFormatError reports whether err is about the bytes read rather than the
// reading itself.
func isFormatError(err error) bool {
	return errors.Is(err, ErrNotX12) || errors.Is(err, ErrBadISA) || errors.Is(err, ErrSegmentTooLong) || errors.Is(err, ErrUnterminated)
}

func (v *validator) newList() ErrorList { return ErrorList{Max: v.maxErr} }

// errAt builds an error at the current segment, element elem (0 for the
// segment itself).
func (v *validator) errAt(elem int, sentinel error, level Level, code, format string, args ...any) *Error {
	p := v.rd.Position()
	p.Element = elem
	return &Error{Pos: p, Err: sentinel, Msg: fmt.Sprintf(format, args...), Level: level, Code: code}
}

// icErr adds an interchange-level error, or a file-level one outside any
// interchange.
func (v *validator) icErr(e *Error) {
	if v.ic != nil && !v.ic.Closed {
		v.ic.Errors.Add(e)
		return
	}
	v.rep.Errors.Add(e)
}

func (v *validator) segment(seg *Segment) {
	id := seg.ID()
	switch {
	case seg.Is("ISA"):
		v.isa(seg)
		return
	case seg.Is("IEA"):
		v.iea(seg)
		return
	case seg.Is("GS"):
		v.gs(seg)
		return
	case seg.Is("GE"):
		v.ge(seg)
		return
	case seg.Is("ST"):
		v.st(seg)
		return
	}
	if v.set == nil {
		switch {
		case v.grp == nil && v.ic != nil && !v.ic.Closed && len(v.ic.Groups) == 0 && seg.Is("TA1"):
			// TA1 interchange acknowledgments sit between ISA and the
			// first GS.
			v.ta1(seg)
		case seg.Is("SE"):
			v.icErr(v.errAt(0, ErrEnvelope, LevelInterchange, TA1InvalidControlStruct, "SE outside a transaction set"))
		case v.grp != nil:
			v.icErr(v.errAt(0, ErrEnvelope, LevelInterchange, TA1InvalidContent, "segment %q between transaction sets", printable(id)))
		default:
			v.icErr(v.errAt(0, ErrEnvelope, LevelInterchange, TA1InvalidControlStruct, "segment %q outside a functional group", printable(id)))
		}
		return
	}
	v.set.Segments++
	v.segmentSyntax(seg, id)
	if seg.Is("SE") {
		v.se(seg)
	} else if v.opts.Check != nil {
		v.opts.Check(seg, v.rd.Position(), v.set)
	}
}

// segmentSyntax checks a segment inside a set against the X12 syntax rules
// that need no guide: the segment ID and the character set.
func (v *validator) segmentSyntax(seg *Segment, id []byte) {
	if !ValidSegmentID(id) {
		v.set.Errors.Add(v.errAt(0, ErrSyntax, LevelSegment, IK3UnrecognizedSegment, "segment ID %q is not 2 or 3 upper-case letters and digits", printable(id)))
		return
	}
	raw := seg.Raw()
	if n := len(raw); n > 0 && raw[n-1] == seg.Delimiters().Element {
		v.warn(seg.Len(), "trailing element separator (X12 syntax leaves trailing empty elements out)")
	}
	for i, c := range raw {
		if c < 0x20 || c == 0x7F {
			// Locate the element for the IK4.
			elem := bytes.Count(raw[:i], []byte{seg.Delimiters().Element})
			v.set.Errors.Add(v.errAt(elem, ErrSyntax, LevelElement, IK4InvalidCharacter, "control character 0x%02X", c))
			return
		}
	}
}

// ValidSegmentID reports whether id is 2 or 3 upper-case letters and digits,
// starting with a letter (X12.6 segment identifier syntax).
func ValidSegmentID(id []byte) bool {
	if len(id) < 2 || len(id) > 3 || id[0] < 'A' || id[0] > 'Z' {
		return false
	}
	for _, c := range id[1:] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// printable quotes at most 20 bytes of b for a message.
func printable(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "..."
	}
	return string(b)
}

// closeSet ends an open transaction set whose SE is missing.
func (v *validator) closeSet(what string) {
	if v.set == nil {
		return
	}
	v.set.Errors.Add(v.errAt(0, ErrEnvelope, LevelSet, IK5TrailerMissing, "transaction set %s has no SE before %s", v.set.ControlNumber, what))
	v.set = nil
}

// closeGroup ends an open group whose GE is missing.
func (v *validator) closeGroup(what string) {
	v.closeSet(what)
	if v.grp == nil {
		return
	}
	v.grp.Errors.Add(v.errAt(0, ErrEnvelope, LevelGroup, AK9TrailerMissing, "functional group %s has no GE before %s", v.grp.ControlNumber, what))
	v.grp = nil
}

func (v *validator) endOfInput(pos Position, early bool) {
	what := "the end of input"
	if early {
		what = "reading stopped"
	}
	v.closeGroup(what)
	if v.ic != nil && !v.ic.Closed {
		if !early {
			e := &Error{Pos: pos, Err: ErrEnvelope, Msg: "interchange " + v.ic.ControlNumber + " has no IEA", Level: LevelInterchange, Code: TA1PrematureEnd}
			e.Pos.SegmentID = ""
			v.ic.Errors.Add(e)
		}
		v.ic.Closed = true
	}
	v.ic = nil
}

func (v *validator) isa(seg *Segment) {
	if v.ic != nil && !v.ic.Closed {
		v.closeGroup("the next ISA")
		v.ic.Errors.Add(v.errAt(0, ErrEnvelope, LevelInterchange, TA1PrematureEnd, "interchange %s has no IEA before the next ISA", v.ic.ControlNumber))
		v.ic.Closed = true
	}
	ic := &InterchangeReport{Pos: v.rd.Position(), Delimiters: seg.Delimiters(), GroupCount: -1, Errors: v.newList()}
	v.rep.Interchanges = append(v.rep.Interchanges, ic)
	v.ic = ic
	el := func(i int) []byte { return seg.Element(i) }
	ic.AuthQualifier = string(el(1))
	ic.SecurityQualifier = string(el(3))
	ic.SenderQualifier = string(el(5))
	ic.SenderID = string(bytes.TrimRight(el(6), " "))
	ic.ReceiverQualifier = string(el(7))
	ic.ReceiverID = string(bytes.TrimRight(el(8), " "))
	ic.Date = string(el(9))
	ic.Time = string(el(10))
	ic.Version = string(el(12))
	ic.ControlNumber = string(el(13))
	ic.AckRequested = string(el(14)) == "1"
	ic.Usage = string(el(15))

	add := func(i int, format string, args ...any) {
		ic.Errors.Add(v.errAt(i, ErrBadISA, LevelInterchange, isaNotes[i], format, args...))
	}
	if seg.Len() != 16 {
		ic.Errors.Add(v.errAt(0, ErrBadISA, LevelInterchange, TA1InvalidControlStruct, "ISA has %d elements, want 16", seg.Len()))
	}
	for i := 1; i <= 16 && i <= seg.Len(); i++ {
		if n := len(el(i)); n != isaWidths[i] {
			add(i, "ISA%02d is %d characters, want %d", i, n, isaWidths[i])
		}
	}
	check := func(i int, ok bool, what string) {
		if i <= seg.Len() && len(el(i)) == isaWidths[i] && !ok {
			add(i, "ISA%02d %q is not %s", i, el(i), what)
		}
	}
	check(1, validAuthQualifier(el(1)), "00 or 03")
	check(3, validSecurityQualifier(el(3)), "00 or 01")
	check(5, validIDQualifier(el(5)), "an interchange ID qualifier (01, 14, 20, 27, 28, 29, 30, 33, ZZ)")
	check(6, len(bytes.TrimSpace(el(6))) > 0, "a sender ID")
	check(7, validIDQualifier(el(7)), "an interchange ID qualifier (01, 14, 20, 27, 28, 29, 30, 33, ZZ)")
	check(8, len(bytes.TrimSpace(el(8))) > 0, "a receiver ID")
	check(9, validYYMMDD(el(9)), "a YYMMDD date")
	check(10, validHHMM(el(10)), "an HHMM time")
	check(12, string(el(12)) == "00501", "00501")
	check(13, AllDigits(el(13)), "nine digits")
	check(14, string(el(14)) == "0" || string(el(14)) == "1", "0 or 1")
	check(15, string(el(15)) == "P" || string(el(15)) == "T", "P or T")
	if len(el(13)) == 9 && AllDigits(el(13)) {
		if prev, dup := v.isa13[ic.ControlNumber]; dup {
			ic.Errors.Add(v.errAt(13, ErrDuplicateControl, LevelInterchange, TA1DuplicateControlNumber,
				"ISA13 %s already used at segment %d", ic.ControlNumber, prev.Segment))
		} else {
			v.isa13[ic.ControlNumber] = v.rd.Position()
		}
	}
}

// ta1 checks a TA1's elements (X12 I12, I08, I09, I17, I18): a TA1 that
// cannot be read must not be applied as if it said something.
func (v *validator) ta1(seg *Segment) {
	add := func(i int, format string, args ...any) {
		v.ic.Errors.Add(v.errAt(i, ErrSyntax, LevelInterchange, TA1InvalidContent, format, args...))
	}
	if seg.Len() != 5 {
		add(0, "TA1 has %d elements, want 5", seg.Len())
	}
	for i, c := range seg.Raw() {
		if c < 0x20 || c == 0x7F {
			add(bytes.Count(seg.Raw()[:i], []byte{seg.Delimiters().Element}), "control character 0x%02X", c)
			return
		}
	}
	el := seg.Element
	if b := el(1); len(b) != 9 || !AllDigits(b) {
		add(1, "TA101 %q is not a nine-digit interchange control number", printable(b))
	}
	if b := el(2); len(b) != 6 || !validYYMMDD(b) {
		add(2, "TA102 %q is not a YYMMDD date", printable(b))
	}
	if b := el(3); len(b) != 4 || !validHHMM(b) {
		add(3, "TA103 %q is not an HHMM time", printable(b))
	}
	switch string(el(4)) {
	case TA1Accepted, TA1AcceptedWithErrors, TA1Rejected:
	default:
		add(4, "TA104 %q is not A, E or R", printable(el(4)))
	}
	if b := el(5); len(b) != 3 || !AllDigits(b) || string(b) > "031" {
		add(5, "TA105 %q is not an interchange note code (000 to 031)", printable(b))
	}
}

func (v *validator) iea(seg *Segment) {
	ic := v.ic
	if ic == nil || ic.Closed {
		v.rep.Errors.Add(v.errAt(0, ErrEnvelope, LevelInterchange, TA1InvalidControlStruct, "IEA without an ISA"))
		return
	}
	v.closeGroup("the IEA")
	if n, ok := parseCount(seg.Element(1)); ok {
		ic.GroupCount = n
		if n != len(ic.Groups) {
			ic.Errors.Add(v.errAt(1, ErrEnvelope, LevelInterchange, TA1InvalidGroupCount,
				"IEA01 says %d functional groups, the interchange has %d", n, len(ic.Groups)))
		}
	} else {
		ic.Errors.Add(v.errAt(1, ErrEnvelope, LevelInterchange, TA1InvalidGroupCount, "IEA01 %q is not a count", printable(seg.Element(1))))
	}
	if got := seg.Element(2); string(got) != ic.ControlNumber {
		ic.Errors.Add(v.errAt(2, ErrEnvelope, LevelInterchange, TA1ControlNumberMismatch,
			"IEA02 %q does not match ISA13 %q", printable(got), ic.ControlNumber))
	}
	ic.Closed = true
	v.ic = nil
}

func (v *validator) gs(seg *Segment) {
	if v.ic == nil || v.ic.Closed {
		v.rep.Errors.Add(v.errAt(0, ErrEnvelope, LevelInterchange, TA1InvalidControlStruct, "GS outside an interchange"))
		v.grp = nil
		return
	}
	v.closeGroup("the next GS")
	g := &GroupReport{
		Pos:           v.rd.Position(),
		FunctionalID:  seg.String(1),
		SenderCode:    seg.String(2),
		ReceiverCode:  seg.String(3),
		Date:          seg.String(4),
		Time:          seg.String(5),
		ControlNumber: seg.String(6),
		Agency:        seg.String(7),
		Version:       seg.String(8),
		SetCount:      -1,
		Errors:        v.newList(),
	}
	v.ic.Groups = append(v.ic.Groups, g)
	v.grp = g
	if !v.opts.UniqueSetControlNumbers {
		clear(v.st02)
	}
	bad := func(i int, format string, args ...any) {
		v.ic.Errors.Add(v.errAt(i, ErrEnvelope, LevelInterchange, TA1InvalidContent, format, args...))
	}
	if n := seg.Len(); n != 8 {
		bad(0, "GS has %d elements, want 8", n)
	}
	if n := len(g.FunctionalID); n != 2 {
		bad(1, "GS01 %q is not a two-letter functional identifier", printable(seg.Element(1)))
	}
	for i, s := range [...]string{g.SenderCode, g.ReceiverCode} {
		if n := len(s); n < 2 || n > 15 {
			bad(i+2, "GS%02d is %d characters, want 2 to 15", i+2, n)
		}
	}
	if _, err := ParseDate(seg.Element(4)); err != nil {
		bad(4, "GS04 %q is not a CCYYMMDD date", printable(seg.Element(4)))
	}
	if !validGSTime(seg.Element(5)) {
		bad(5, "GS05 %q is not an HHMM[SS[D[D]]] time", printable(seg.Element(5)))
	}
	if g.Agency != "X" {
		bad(7, "GS07 %q is not X", printable(seg.Element(7)))
	}
	if n := len(g.Version); n < 1 || n > 12 {
		bad(8, "GS08 %q is not a version", printable(seg.Element(8)))
	}
	if cn := seg.Element(6); len(cn) < 1 || len(cn) > 9 || !AllDigits(cn) {
		g.Errors.Add(v.errAt(6, ErrEnvelope, LevelGroup, AK9ControlNumberSyntax, "GS06 %q is not 1 to 9 digits", printable(cn)))
	} else if prev, dup := v.gs06[g.ControlNumber]; dup {
		g.Errors.Add(v.errAt(6, ErrDuplicateControl, LevelGroup, AK9ControlNumberNotUniq,
			"GS06 %s already used at segment %d", g.ControlNumber, prev.Segment))
	} else {
		v.gs06[g.ControlNumber] = v.rd.Position()
	}
}

func (v *validator) ge(seg *Segment) {
	g := v.grp
	if g == nil {
		v.icErr(v.errAt(0, ErrEnvelope, LevelInterchange, TA1InvalidControlStruct, "GE without a GS"))
		return
	}
	v.closeSet("the GE")
	if n, ok := parseCount(seg.Element(1)); ok {
		g.SetCount = n
		if n != len(g.Sets) {
			g.Errors.Add(v.errAt(1, ErrEnvelope, LevelGroup, AK9SetCountMismatch,
				"GE01 says %d transaction sets, the group has %d", n, len(g.Sets)))
		}
	} else {
		g.Errors.Add(v.errAt(1, ErrEnvelope, LevelGroup, AK9SetCountMismatch, "GE01 %q is not a count", printable(seg.Element(1))))
	}
	if got := seg.Element(2); string(got) != g.ControlNumber {
		g.Errors.Add(v.errAt(2, ErrEnvelope, LevelGroup, AK9ControlNumberMismatch,
			"GE02 %q does not match GS06 %q", printable(got), g.ControlNumber))
	}
	g.Closed = true
	v.grp = nil
}

func (v *validator) st(seg *Segment) {
	if v.grp == nil {
		v.icErr(v.errAt(0, ErrEnvelope, LevelInterchange, TA1InvalidControlStruct, "ST outside a functional group"))
		return
	}
	v.closeSet("the next ST")
	s := &SetReport{
		Pos:              v.rd.Position(),
		ID:               seg.String(1),
		ControlNumber:    seg.String(2),
		ImplRef:          seg.String(3),
		GroupVersion:     v.grp.Version,
		Segments:         1,
		DeclaredSegments: -1,
		Errors:           v.newList(),
	}
	v.grp.Sets = append(v.grp.Sets, s)
	v.set = s
	g := v.grp
	if len(s.ID) != 3 || !AllDigits([]byte(s.ID)) {
		s.Errors.Add(v.errAt(1, ErrEnvelope, LevelSet, IK5InvalidSetID, "ST01 %q is not a transaction set identifier", printable(seg.Element(1))))
	} else if want := functionalIDs[s.ID]; want != "" && want != g.FunctionalID {
		s.Errors.Add(v.errAt(1, ErrEnvelope, LevelSet, IK5InvalidSetID,
			"ST01 %s belongs in a %s group, GS01 is %q", s.ID, want, g.FunctionalID))
	}
	if n := len(s.ControlNumber); n < 4 || n > 9 {
		s.Errors.Add(v.errAt(2, ErrEnvelope, LevelSet, IK5InvalidControlNumber, "ST02 %q is not 4 to 9 characters", printable(seg.Element(2))))
	} else if prev, dup := v.st02[s.ControlNumber]; dup {
		s.Errors.Add(v.errAt(2, ErrDuplicateControl, LevelSet, IK5ControlNumberNotUniq,
			"ST02 %s already used at segment %d", s.ControlNumber, prev.Segment))
	} else {
		v.st02[s.ControlNumber] = v.rd.Position()
	}
	// The HIPAA guides require ST03 and want it equal to GS08, except the
	// 835 (005010X221A1), whose ST03 is not used: real payers send none.
	// An ST03 naming the base guide of GS08's addenda is only a warning.
	switch {
	case s.ImplRef == "" && len(g.Version) > 6 && !implRefNotUsed[s.ID]:
		s.Errors.Add(v.errAt(3, ErrEnvelope, LevelElement, IK4RequiredMissing, "ST03 is required when GS08 names a guide (%s)", g.Version))
	case s.ImplRef != "" && s.ImplRef != g.Version && NamesBaseGuide(s.ImplRef, g.Version):
		v.warn(3, "ST03 %q names the base guide of GS08 %q", s.ImplRef, g.Version)
	case s.ImplRef != "" && s.ImplRef != g.Version:
		s.Errors.Add(v.errAt(3, ErrEnvelope, LevelElement, IK4InvalidCode, "ST03 %q does not match GS08 %q", printable(seg.Element(3)), g.Version))
	}
	if v.opts.Check != nil {
		v.opts.Check(seg, v.rd.Position(), s)
	}
}

// implRefNotUsed lists the transaction sets whose guide marks ST03 "not
// used" (835, 005010X221A1 ST03 usage N).
var implRefNotUsed = map[string]bool{"835": true}

func (v *validator) se(seg *Segment) {
	s := v.set
	if v.opts.Check != nil {
		v.opts.Check(seg, v.rd.Position(), s)
	}
	if n, ok := parseCount(seg.Element(1)); ok {
		s.DeclaredSegments = n
		if n != s.Segments {
			s.Errors.Add(v.errAt(1, ErrEnvelope, LevelSet, IK5SegmentCountMismatch,
				"SE01 says %d segments, the set has %d", n, s.Segments))
		}
	} else {
		s.Errors.Add(v.errAt(1, ErrEnvelope, LevelSet, IK5SegmentCountMismatch, "SE01 %q is not a count", printable(seg.Element(1))))
	}
	if got := seg.Element(2); string(got) != s.ControlNumber {
		s.Errors.Add(v.errAt(2, ErrEnvelope, LevelSet, IK5ControlNumberMismatch,
			"SE02 %q does not match ST02 %q", printable(got), s.ControlNumber))
	}
	s.Closed = true
	v.set = nil
}

// AllDigits reports whether b is one or more ASCII digits.
func AllDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseCount parses a non-negative count of at most nine digits.
func parseCount(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 || !AllDigits(b) {
		return 0, false
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil
}

func validYYMMDD(b []byte) bool {
	if len(b) != 6 || !AllDigits(b) {
		return false
	}
	_, err := ParseDate(append([]byte("20"), b...))
	return err == nil
}

func validHHMM(b []byte) bool {
	if len(b) < 4 || !AllDigits(b) {
		return false
	}
	h := int(b[0]-'0')*10 + int(b[1]-'0')
	m := int(b[2]-'0')*10 + int(b[3]-'0')
	return h < 24 && m < 60
}

// validGSTime accepts HHMM, HHMMSS, HHMMSSD and HHMMSSDD (X12 element 337).
func validGSTime(b []byte) bool {
	switch len(b) {
	case 4, 6, 7, 8:
	default:
		return false
	}
	if !validHHMM(b) {
		return false
	}
	return len(b) == 4 || int(b[4]-'0')*10+int(b[5]-'0') < 60
}
