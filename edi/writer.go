package edi

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"time"
)

// ISAHeader holds the values of an ISA segment. The writer pads each to its
// fixed width; ISA11 and ISA16 come from the writer's delimiters.
type ISAHeader struct {
	AuthQualifier     string // ISA01, "00" when empty
	AuthInfo          string // ISA02, 10 characters
	SecurityQualifier string // ISA03, "00" when empty
	SecurityInfo      string // ISA04, 10 characters
	SenderQualifier   string // ISA05, such as ZZ
	SenderID          string // ISA06, 15 characters
	ReceiverQualifier string // ISA07
	ReceiverID        string // ISA08, 15 characters
	Time              time.Time
	Version           string // ISA12, "00501" when empty
	ControlNumber     int64  // ISA13, 1 to 999999999
	AckRequested      bool   // ISA14
	Usage             string // ISA15, P production or T test; "P" when empty
}

// GSHeader holds the values of a GS segment.
type GSHeader struct {
	FunctionalID  string // GS01, such as HC for 837, HP for 835, HS for 270
	SenderCode    string // GS02
	ReceiverCode  string // GS03
	Time          time.Time
	ControlNumber int64  // GS06
	Agency        string // GS07, "X" when empty
	Version       string // GS08, such as 005010X222A1
}

// Writer writes X12 segments to a stream with a sticky error, like
// encoding/csv's Writer: check Flush's or Error's result at the end.
//
// It writes envelopes itself: BeginInterchange, BeginGroup and BeginSet write
// ISA, GS and ST; EndSet, EndGroup and EndInterchange write SE, GE and IEA
// with the counts and control numbers they must carry. Trailing empty
// elements and components are never written, and a data element that holds
// a delimiter is an error (ErrDelimiterInData).
//
// Segments are built in place in the output buffer, which goes to the
// underlying writer once it holds flushSize bytes of whole segments.
type Writer struct {
	out   io.Writer
	buf   []byte // whole segments not yet written, then the open one
	done  int    // length of buf up to the end of the last whole segment
	keep  int    // length of buf up to the open segment's last non-empty element
	comp  int    // length of buf up to the last non-empty component of the open composite
	cmp0  int    // length of buf where the open composite's data starts
	inCmp bool
	ncomp int // components written in the open composite
	nelem int
	idLen int // length of the open segment's identifier
	d     Delimiters
	// delims holds each delimiter repeated in all eight bytes of a word,
	// to find one eight bytes at a time (see delimiterAt).
	delims [4]uint64
	err    error
	// isDelim marks the delimiters, to check short values byte by byte.
	isDelim [256]bool

	isa     int64
	gs      int64
	st      string
	groups  int
	sets    int
	setSegs int
}

const (
	// flushSize is how many buffered bytes make End pass them on.
	flushSize = 64 << 10
	// ones has a one in each byte; highs the high bit of each byte.
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// NewWriter returns a Writer that writes to w with delimiters d.
func NewWriter(w io.Writer, d Delimiters) *Writer {
	wr := &Writer{out: w, d: d, buf: make([]byte, 0, flushSize+4<<10)}
	rep := d.Repetition
	if rep == 0 {
		rep = d.Element // no repetition separator: nothing more to find
	}
	for i, c := range [...]byte{d.Element, d.Component, d.Segment, rep} {
		wr.delims[i] = ones * uint64(c)
		wr.isDelim[c] = true
	}
	if err := d.Validate(); err != nil {
		wr.err = err
	}
	return wr
}

// Delimiters are the writer's separators.
func (w *Writer) Delimiters() Delimiters { return w.d }

// Error reports the first error of any write so far.
func (w *Writer) Error() error { return w.err }

// Flush writes buffered data and returns the first error.
func (w *Writer) Flush() error {
	w.writeOut()
	return w.err
}

// writeOut passes the buffered whole segments to the underlying writer.
// After an error nothing more is written.
func (w *Writer) writeOut() {
	n := w.done
	if w.err == nil && n > 0 {
		m, err := w.out.Write(w.buf[:n])
		if err == nil && m < n {
			err = io.ErrShortWrite
		}
		w.fail(err)
	}
	w.buf = w.buf[:copy(w.buf, w.buf[n:])]
	w.keep -= n
	w.comp -= n
	w.cmp0 -= n
	w.done = 0
}

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Begin starts a segment with identifier id.
func (w *Writer) Begin(id string) {
	n := w.done
	if cap(w.buf)-n < len(id) {
		w.buf = w.buf[:n]
		w.room(len(id))
	}
	// Reslicing the field stores only its length (see put).
	w.buf = w.buf[:n+len(id)]
	copy(w.buf[n:], id)
	w.keep = len(w.buf)
	w.nelem = 0
	w.inCmp = false
	w.idLen = len(id)
}

func (w *Writer) closeComposite() {
	w.buf = w.buf[:w.comp]
	if w.comp > w.cmp0 {
		w.keep = w.comp
	}
	w.inCmp = false
}

// delimiterMask has the high bit set in the byte of x that holds one of
// the delimiters, and in no byte below the first that does (bytes above
// it may be marked too, since a borrow runs upward).
func (w *Writer) delimiterMask(x uint64) uint64 {
	a, b, c, d := x^w.delims[0], x^w.delims[1], x^w.delims[2], x^w.delims[3]
	return ((a - ones) &^ a) | ((b - ones) &^ b) | ((c - ones) &^ c) | ((d - ones) &^ d)
}

// delimiterAt returns the index of the first delimiter in buf[from:], or
// -1. It reads eight bytes at a time, the last word from the buffer's spare
// capacity when there is room, its extra bytes masked off.
func (w *Writer) delimiterAt(from int) int {
	b := w.buf
	i, n := from, len(b)
	for ; i+8 <= n; i += 8 {
		if m := w.delimiterMask(binary.LittleEndian.Uint64(b[i:])) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	if i == n {
		return -1
	}
	if i+8 <= cap(b) {
		m := w.delimiterMask(binary.LittleEndian.Uint64(b[i:i+8])) & highs & (1<<(8*uint(n-i)) - 1)
		if m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		return -1
	}
	for ; i < n; i++ {
		if w.delimiterMask(uint64(b[i]))&0x80 != 0 {
			return i
		}
	}
	return -1
}

// appendData copies v into the segment, failing on a delimiter.
func (w *Writer) appendData(v string) { w.put(v, 0, false) }

// put appends the delimiter sep (when withSep) and then v, in one step:
// one check for room, then, for the short values most are, each byte is
// checked against a table as it is copied; long values are copied whole
// and checked eight bytes at a time. A value that holds a delimiter fails
// the writer and is left out. It reports whether v was written and is not
// empty.
func (w *Writer) put(v string, sep byte, withSep bool) bool {
	n := len(w.buf)
	need := len(v) + 1
	if cap(w.buf)-n < need {
		w.room(need)
	}
	// Reslicing the field, not assigning it a new slice, stores only its
	// length.
	if withSep {
		w.buf = w.buf[:n+1]
		w.buf[n] = sep
		n++
	}
	if len(v) < 16 {
		b := w.buf[n : n+len(v)]
		for i := range len(b) {
			c := v[i]
			if w.isDelim[c] {
				w.delimiterError(v, i)
				return false
			}
			b[i] = c
		}
		w.buf = w.buf[:n+len(v)]
		return len(v) > 0
	}
	w.buf = w.buf[:n+len(v)]
	copy(w.buf[n:], v)
	if i := w.delimiterAt(n); i >= 0 {
		w.buf = w.buf[:n]
		w.delimiterError(v, i-n)
		return false
	}
	return true
}

// room makes room for n more bytes in buf.
func (w *Writer) room(n int) { w.buf = slices.Grow(w.buf, n) }

// sep appends a delimiter.
func (w *Writer) sep(c byte) {
	n := len(w.buf)
	if n == cap(w.buf) {
		w.room(1)
	}
	w.buf = w.buf[:n+1]
	w.buf[n] = c
}

// segmentID is the open segment's identifier, which starts it in buf.
func (w *Writer) segmentID() string { return string(w.buf[w.done : w.done+w.idLen]) }

func (w *Writer) delimiterError(v string, i int) {
	w.fail(&Error{Pos: Position{SegmentID: w.segmentID(), Element: w.nelem}, Err: ErrDelimiterInData,
		Msg: fmt.Sprintf("value %q holds delimiter %q", v, v[i])})
}

// Elem appends a simple data element.
func (w *Writer) Elem(v string) {
	if w.inCmp {
		w.closeComposite()
	}
	w.nelem++
	if v == "" {
		w.sep(w.d.Element) // an inner empty element, such as NM106
		return
	}
	if w.put(v, w.d.Element, true) {
		w.keep = len(w.buf)
	}
}

// ElemRepeated appends one element holding each value as a repetition,
// separated by the interchange's repetition separator (ISA11), such as EQ01
// or EB03 with several service type codes. Without a repetition separator
// more than one value is an error.
func (w *Writer) ElemRepeated(vs ...string) {
	if w.inCmp {
		w.closeComposite()
	}
	w.nelem++
	w.buf = append(w.buf, w.d.Element)
	if len(vs) > 1 && w.d.Repetition == 0 {
		w.fail(&Error{Pos: Position{SegmentID: w.segmentID(), Element: w.nelem}, Err: ErrDelimiterInData,
			Msg: "repeated values, but the interchange declares no repetition separator"})
		return
	}
	data := false
	for i, v := range vs {
		if i > 0 {
			w.buf = append(w.buf, w.d.Repetition)
		}
		w.appendData(v)
		data = data || v != ""
	}
	if data {
		w.keep = len(w.buf)
	}
}

// Elems appends several simple data elements.
func (w *Writer) Elems(vs ...string) {
	for _, v := range vs {
		w.Elem(v)
	}
}

// ElemInt appends an integer element.
func (w *Writer) ElemInt(n int64) {
	if w.inCmp {
		w.closeComposite()
	}
	w.nelem++
	b := w.numberAt()
	w.closeNumber(len(appendInt(b, n)))
}

// ElemAmount appends a monetary amount given in cents as an X12 decimal
// number without needless zeros: 12500 is "125", 12550 is "125.5", -5 is
// "-0.05".
func (w *Writer) ElemAmount(cents int64) {
	if w.inCmp {
		w.closeComposite()
	}
	w.nelem++
	b := w.numberAt()
	w.closeNumber(len(AppendAmount(b, cents)))
}

// ElemDate appends a date as CCYYMMDD; a zero time writes an empty element.
func (w *Writer) ElemDate(t time.Time) {
	if t.IsZero() {
		w.Elem("")
		return
	}
	if w.inCmp {
		w.closeComposite()
	}
	w.nelem++
	b := w.numberAt()
	w.closeNumber(len(AppendDate(b, t)))
}

// numberAt appends the element separator and returns an empty slice at
// the end of buf with room for any number, date or amount, to append one
// to in place; closeNumber then takes its n bytes into buf.
func (w *Writer) numberAt() []byte {
	w.sep(w.d.Element)
	n := len(w.buf)
	if cap(w.buf)-n < 24 {
		w.room(24)
	}
	return w.buf[n:n:cap(w.buf)]
}

func (w *Writer) closeNumber(n int) {
	w.buf = w.buf[:len(w.buf)+n]
	w.keep = len(w.buf)
}

// Composite starts a composite element; its components follow through Comp.
func (w *Writer) Composite() {
	if w.inCmp {
		w.closeComposite()
	}
	w.nelem++
	w.sep(w.d.Element)
	w.cmp0 = len(w.buf)
	w.comp = w.cmp0
	w.ncomp = 0
	w.inCmp = true
}

// Comp appends a component to the open composite element; trailing empty
// components are dropped when the composite closes.
func (w *Writer) Comp(v string) {
	if !w.inCmp {
		w.Composite()
	}
	sep := w.ncomp > 0
	w.ncomp++
	if w.put(v, w.d.Component, sep) {
		w.comp = len(w.buf)
	}
}

// End finishes the segment, dropping trailing empty elements.
func (w *Writer) End() {
	if w.inCmp {
		w.closeComposite()
	}
	n := w.keep
	if n == cap(w.buf) {
		w.buf = w.buf[:n]
		w.room(1)
	}
	w.buf = w.buf[:n+1]
	w.buf[n] = w.d.Segment
	w.done = n + 1
	w.setSegs++
	if w.done >= flushSize {
		w.writeOut()
	}
}

// Segment writes a whole segment of simple elements.
func (w *Writer) Segment(id string, elems ...string) {
	w.Begin(id)
	for _, e := range elems {
		w.Elem(e)
	}
	w.End()
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	b := make([]byte, n)
	copy(b, s)
	for i := len(s); i < n; i++ {
		b[i] = ' '
	}
	return string(b)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// BeginInterchange writes an ISA segment, each element at its fixed width.
func (w *Writer) BeginInterchange(h ISAHeader) {
	if h.ControlNumber < 1 || h.ControlNumber > 999999999 {
		w.fail(fmt.Errorf("%w: ISA13 control number %d is outside 1..999999999", ErrEnvelope, h.ControlNumber))
		return
	}
	for _, f := range [...]struct {
		name string
		v    string
		max  int
	}{{"ISA02", h.AuthInfo, 10}, {"ISA04", h.SecurityInfo, 10}, {"ISA06", h.SenderID, 15}, {"ISA08", h.ReceiverID, 15},
		{"ISA01", h.AuthQualifier, 2}, {"ISA03", h.SecurityQualifier, 2}, {"ISA05", h.SenderQualifier, 2},
		{"ISA07", h.ReceiverQualifier, 2}, {"ISA12", h.Version, 5}, {"ISA15", h.Usage, 1}} {
		if len(f.v) > f.max {
			w.fail(fmt.Errorf("%w: %s %q is longer than %d characters", ErrEnvelope, f.name, f.v, f.max))
			return
		}
	}
	rep := "U"
	if w.d.Repetition != 0 {
		rep = string(w.d.Repetition)
	}
	ack := "0"
	if h.AckRequested {
		ack = "1"
	}
	t := h.Time.UTC()
	w.isa = h.ControlNumber
	w.groups = 0
	w.Begin("ISA")
	// Fixed-width values are written whole, blanks included, so the ISA
	// keeps its 106 bytes.
	for _, v := range [...]string{
		pad(orDefault(h.AuthQualifier, "00"), 2), pad(h.AuthInfo, 10),
		pad(orDefault(h.SecurityQualifier, "00"), 2), pad(h.SecurityInfo, 10),
		pad(orDefault(h.SenderQualifier, "ZZ"), 2), pad(h.SenderID, 15),
		pad(orDefault(h.ReceiverQualifier, "ZZ"), 2), pad(h.ReceiverID, 15),
		t.Format("060102"), t.Format("1504"), "", pad(orDefault(h.Version, "00501"), 5),
		fmt.Sprintf("%09d", h.ControlNumber), ack, pad(orDefault(h.Usage, "P"), 1), "",
	} {
		w.nelem++
		w.buf = append(w.buf, w.d.Element)
		if w.nelem == 11 {
			w.buf = append(w.buf, rep...)
			continue
		}
		if w.nelem == 16 {
			w.buf = append(w.buf, w.d.Component)
			continue
		}
		w.appendData(v)
	}
	w.keep = len(w.buf)
	w.End()
}

// EndInterchange writes the IEA segment with the group count and ISA13.
func (w *Writer) EndInterchange() {
	w.Begin("IEA")
	w.ElemInt(int64(w.groups))
	w.Elem(fmt.Sprintf("%09d", w.isa))
	w.End()
}

// BeginGroup writes a GS segment.
func (w *Writer) BeginGroup(h GSHeader) {
	if h.ControlNumber < 1 || h.ControlNumber > 999999999 {
		w.fail(fmt.Errorf("%w: GS06 control number %d is outside 1..999999999", ErrEnvelope, h.ControlNumber))
		return
	}
	t := h.Time.UTC()
	w.gs = h.ControlNumber
	w.sets = 0
	w.groups++
	w.Begin("GS")
	w.Elem(h.FunctionalID)
	w.Elem(h.SenderCode)
	w.Elem(h.ReceiverCode)
	w.Elem(t.Format("20060102"))
	w.Elem(t.Format("1504"))
	w.ElemInt(h.ControlNumber)
	w.Elem(orDefault(h.Agency, "X"))
	w.Elem(h.Version)
	w.End()
}

// EndGroup writes the GE segment with the set count and GS06.
func (w *Writer) EndGroup() {
	w.Begin("GE")
	w.ElemInt(int64(w.sets))
	w.ElemInt(w.gs)
	w.End()
}

// BeginSet writes an ST segment. The control number is written with at least
// four digits (ST02 is AN 4-9); implRef is ST03, the guide's version.
func (w *Writer) BeginSet(id string, controlNumber int64, implRef string) {
	w.st = fmt.Sprintf("%04d", controlNumber)
	w.sets++
	w.Segment("ST", id, w.st, implRef)
	w.setSegs = 1
}

// EndSet writes the SE segment with the segment count (ST and SE included)
// and ST02.
func (w *Writer) EndSet() {
	w.Begin("SE")
	w.ElemInt(int64(w.setSegs + 1))
	w.Elem(w.st)
	w.End()
}

// SetSegments is the number of segments written in the open transaction set
// so far, ST included.
func (w *Writer) SetSegments() int { return w.setSegs }

// AppendAmount appends cents as an X12 decimal (R type) without needless
// zeros or a trailing point.
func AppendAmount(dst []byte, cents int64) []byte {
	if cents < 0 {
		dst = append(dst, '-')
		if cents == -cents { // math.MinInt64
			return append(dst, "92233720368547758.08"...)
		}
		cents = -cents
	}
	dst = appendInt(dst, cents/100)
	f := cents % 100
	switch {
	case f == 0:
	case f%10 == 0:
		dst = append(dst, '.', byte('0'+f/10))
	default:
		dst = append(dst, '.', byte('0'+f/10), byte('0'+f%10))
	}
	return dst
}

// FormatAmount formats cents as an X12 decimal.
func FormatAmount(cents int64) string {
	var b [24]byte
	return string(AppendAmount(b[:0], cents))
}

// AppendDate appends t as CCYYMMDD.
func AppendDate(dst []byte, t time.Time) []byte {
	y, m, d := t.Date()
	dst = append(dst, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	return append(dst, byte('0'+int(m)/10), byte('0'+int(m)%10), byte('0'+d/10), byte('0'+d%10))
}

// appendInt appends n in decimal; numbers below 10,000, which most counts,
// sequence numbers and whole amounts are, without a call.
func appendInt(dst []byte, n int64) []byte {
	switch {
	case n < 0 || n >= 10000:
		return strconv.AppendInt(dst, n, 10)
	case n < 10:
		return append(dst, byte('0'+n))
	case n < 100:
		return append(dst, byte('0'+n/10), byte('0'+n%10))
	case n < 1000:
		return append(dst, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
	}
	return append(dst, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}
