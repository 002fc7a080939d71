package edi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ISALength is the fixed length of an ISA segment including its terminator.
const ISALength = 106

// Default buffer sizes of a Reader.
const (
	DefaultBufferSize     = 64 << 10
	DefaultMaxSegmentSize = 1 << 20
)

// Reader reads the segments of X12 interchanges from a stream. It takes the
// delimiters from each ISA segment, so one input may hold several
// interchanges with different delimiters. What real trading partners put
// between segments is skipped: line breaks (CR, LF, CR LF, blank lines)
// after a terminator, spaces and tabs before a segment ID (indentation), and
// a UTF-8 byte-order mark and blanks before the first ISA. Anything else
// belongs to the next segment, where validation reports it with its
// position.
//
// Like bufio.Scanner, the Reader keeps one buffer: the Segment that Next
// returns is valid until the following call. Reading allocates nothing per
// segment once the buffer has grown to the input's longest segment.
type Reader struct {
	// File names the input in error positions.
	File string
	// MaxSegmentSize caps one segment's length (and so the buffer); zero
	// means DefaultMaxSegmentSize. Set it before the first Next.
	MaxSegmentSize int

	r     io.Reader
	buf   []byte
	start int // first unread byte in buf
	end   int // end of valid data in buf
	off   int64
	eof   bool
	err   error // sticky read error

	delim  Delimiters
	seen   bool // an ISA was read
	seg    Segment
	pos    Position
	segOff int64
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r}
}

// Delimiters are those of the current interchange.
func (r *Reader) Delimiters() Delimiters { return r.delim }

// Position is the position of the segment last returned by Next, with the
// control numbers of its enclosing envelopes.
func (r *Reader) Position() Position {
	p := r.pos
	if r.seg.raw != nil {
		p.SegmentID = segmentID(r.seg.ID())
	}
	return p
}

// segmentID returns id as a string, without allocating for the segment IDs
// of the transaction sets this engine reads (a switch on string(id) does not
// allocate).
func segmentID(id []byte) string {
	switch string(id) {
	case "ISA":
		return "ISA"
	case "IEA":
		return "IEA"
	case "GS":
		return "GS"
	case "GE":
		return "GE"
	case "ST":
		return "ST"
	case "SE":
		return "SE"
	case "BHT":
		return "BHT"
	case "HL":
		return "HL"
	case "NM1":
		return "NM1"
	case "N3":
		return "N3"
	case "N4":
		return "N4"
	case "REF":
		return "REF"
	case "PER":
		return "PER"
	case "PRV":
		return "PRV"
	case "SBR":
		return "SBR"
	case "PAT":
		return "PAT"
	case "DMG":
		return "DMG"
	case "CLM":
		return "CLM"
	case "DTP":
		return "DTP"
	case "DTM":
		return "DTM"
	case "HI":
		return "HI"
	case "LX":
		return "LX"
	case "SV1":
		return "SV1"
	case "SV2":
		return "SV2"
	case "CAS":
		return "CAS"
	case "AMT":
		return "AMT"
	case "QTY":
		return "QTY"
	case "CLP":
		return "CLP"
	case "SVC":
		return "SVC"
	case "LQ":
		return "LQ"
	case "PLB":
		return "PLB"
	case "BPR":
		return "BPR"
	case "TRN":
		return "TRN"
	case "N1":
		return "N1"
	case "MIA":
		return "MIA"
	case "MOA":
		return "MOA"
	case "TS3":
		return "TS3"
	case "STC":
		return "STC"
	case "EB":
		return "EB"
	case "EQ":
		return "EQ"
	case "AAA":
		return "AAA"
	case "MSG":
		return "MSG"
	case "INS":
		return "INS"
	case "LS":
		return "LS"
	case "LE":
		return "LE"
	case "SVD":
		return "SVD"
	case "OI":
		return "OI"
	case "LIN":
		return "LIN"
	case "CTP":
		return "CTP"
	case "NTE":
		return "NTE"
	case "CL1":
		return "CL1"
	case "AK1":
		return "AK1"
	case "AK2":
		return "AK2"
	case "IK3":
		return "IK3"
	case "IK4":
		return "IK4"
	case "IK5":
		return "IK5"
	case "AK9":
		return "AK9"
	case "TA1":
		return "TA1"
	}
	return string(id)
}

// fill reads more input, keeping buf[start:end] and growing the buffer when it
// is full. It returns false at end of input or on error.
func (r *Reader) fill() bool {
	if r.eof || r.err != nil {
		return false
	}
	if r.buf == nil {
		r.buf = make([]byte, min(DefaultBufferSize, r.maxSegment()+2))
	}
	if r.start > 0 {
		n := copy(r.buf, r.buf[r.start:r.end])
		r.end = n
		r.start = 0
	}
	if r.end == len(r.buf) {
		max := r.maxSegment()
		if len(r.buf) >= max+2 {
			return false
		}
		size := 2 * len(r.buf)
		if size > max+2 {
			size = max + 2
		}
		nb := make([]byte, size)
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			if err == io.EOF {
				r.eof = true
			} else {
				r.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.err = io.ErrNoProgress
	return false
}

func (r *Reader) errorf(sentinel error, format string, args ...any) *Error {
	p := r.pos
	p.File = r.File // also before the first segment (an input that is not X12)
	p.Segment++
	p.SetSegment = 0
	p.SegmentID = ""
	p.Offset = r.off
	return &Error{Pos: p, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
}

// skipSpace drops CR, LF, spaces and tabs between segments, and a UTF-8
// byte-order mark before the first ISA.
func (r *Reader) skipSpace() {
	if r.off == 0 && !r.seen {
		for r.end-r.start < 3 && r.fill() {
		}
		if bytes.HasPrefix(r.buf[r.start:r.end], []byte{0xEF, 0xBB, 0xBF}) {
			r.start += 3
			r.off += 3
		}
	}
	for {
		for r.start < r.end {
			c := r.buf[r.start]
			if !isBlank(c) {
				return
			}
			r.start++
			r.off++
		}
		if !r.fill() {
			return
		}
	}
}

// readISA takes the delimiters from the ISA segment at buf[start:] and
// returns the ISA's length without its terminator.
// The ISA is fixed-length (106 bytes), but some senders pad it wrongly, so the
// delimiters are found by counting sixteen element separators: the byte after
// the sixteenth is ISA16 and the next one the segment terminator.
func (r *Reader) readISA() (int, error) {
	for r.end-r.start < ISALength+2 && r.fill() {
	}
	b := r.buf[r.start:r.end]
	if len(b) < 4 || string(b[:3]) != "ISA" {
		return 0, r.errorf(ErrNotX12, "input does not start with ISA")
	}
	d := Delimiters{Element: b[3]}
	n := 0
	i := 3
	for ; i < len(b) && i < 4*ISALength; i++ {
		if b[i] == d.Element {
			n++
			if n == 16 {
				break
			}
		}
	}
	if n < 16 || i+2 >= len(b) {
		return 0, r.errorf(ErrBadISA, "ISA has fewer than 16 elements")
	}
	d.Component = b[i+1]
	d.Segment = b[i+2]
	// ISA11 is the repetition separator from 00501 on; earlier versions put a
	// standards identifier (U) there.
	if f := nthField(b[4:i+1], d.Element, 11); len(f) == 1 && !isAlnum(f[0]) && f[0] != ' ' {
		d.Repetition = f[0]
	}
	if err := d.Validate(); err != nil {
		return 0, r.errorf(ErrBadISA, "%v", err)
	}
	if bytes.IndexByte(b[:i+2], d.Segment) >= 0 {
		return 0, r.errorf(ErrBadISA, "segment terminator %q appears inside the ISA", d.Segment)
	}
	r.delim = d
	r.seen = true
	return i + 2, nil
}

// Next returns the next segment, or io.EOF after the last one. Errors are
// *Error values with the position where reading stopped; reading cannot go
// on after one.
func (r *Reader) Next() (*Segment, error) {
	if r.err != nil && r.start >= r.end {
		return nil, r.wrapIO()
	}
	// Line breaks and indentation between segments are the only things to
	// skip once the first ISA is read; test for them before calling out.
	if !r.seen || r.start >= r.end || isBlank(r.buf[r.start]) {
		r.skipSpace()
	}
	if r.start >= r.end {
		if r.err != nil {
			return nil, r.wrapIO()
		}
		if !r.seen {
			return nil, r.errorf(ErrNotX12, "input is empty")
		}
		return nil, io.EOF
	}
	// An ISA starts an interchange and may change the delimiters.
	for r.end-r.start < 4 && r.fill() {
	}
	if !r.seen || r.end-r.start >= 4 && r.buf[r.start] == 'I' && r.buf[r.start+1] == 'S' && r.buf[r.start+2] == 'A' && !isAlnum(r.buf[r.start+3]) {
		n, err := r.readISA()
		if err != nil {
			r.err = err
			r.start = r.end
			return nil, err
		}
		// The ISA is framed by its sixteen separators, not by searching
		// for the terminator.
		raw := r.buf[r.start : r.start+n]
		r.segOff = r.off
		r.off += int64(n + 1)
		r.start += n + 1
		return r.emit(raw)
	}
	term := r.delim.Segment
	scanned := 0
	for {
		if i := bytes.IndexByte(r.buf[r.start+scanned:r.end], term); i >= 0 {
			end := r.start + scanned + i
			if end-r.start > r.maxSegment() {
				e := r.errorf(ErrSegmentTooLong, "segment of %d bytes exceeds the cap of %d", end-r.start, r.maxSegment())
				r.err = e
				r.start = r.end
				return nil, e
			}
			raw := r.buf[r.start:end]
			if term == '\n' {
				// CR LF line ends with LF as the terminator.
				for len(raw) > 0 && raw[len(raw)-1] == '\r' {
					raw = raw[:len(raw)-1]
				}
			}
			r.segOff = r.off
			r.off += int64(end + 1 - r.start)
			r.start = end + 1
			return r.emit(raw)
		}
		// fill keeps buf[start:end] in front, so what was scanned stays
		// scanned.
		scanned = r.end - r.start
		if !r.fill() {
			if r.err != nil {
				return nil, r.wrapIO()
			}
			if r.eof {
				rest := bytes.TrimRight(r.buf[r.start:r.end], "\r\n \t")
				r.start = r.end
				if len(rest) == 0 {
					return nil, io.EOF
				}
				e := r.errorf(ErrUnterminated, "%d bytes after the last segment terminator %q", len(rest), term)
				r.err = e
				return nil, e
			}
			e := r.errorf(ErrSegmentTooLong, "no segment terminator %q within %d bytes", term, len(r.buf))
			r.err = e
			return nil, e
		}
	}
}

// isBlank reports whether c is skipped between segments: CR, LF, space or
// tab, none of which can start a segment ID.
func isBlank(c byte) bool { return c == '\r' || c == '\n' || c == ' ' || c == '\t' }

func (r *Reader) wrapIO() error {
	if r.err == nil {
		return io.EOF
	}
	var e *Error
	if errors.As(r.err, &e) {
		return r.err
	}
	return r.errorf(r.err, "reading input")
}

// emit sets up the returned segment and tracks the envelope context.
func (r *Reader) emit(raw []byte) (*Segment, error) {
	s := &r.seg
	s.raw = raw
	s.delim = r.delim
	s.splitElements()
	p := &r.pos
	p.File = r.File
	p.Segment++
	p.Offset = r.segOff
	p.Element, p.Component, p.Repetition = 0, 0, 0
	if p.SetSegment > 0 {
		p.SetSegment++
	}
	if len(raw) >= 2 {
		switch raw[0] {
		case 'I':
			if s.Is("ISA") {
				p.Interchange = string(bytes.TrimSpace(s.Element(13)))
				p.Group, p.Set, p.SetSegment = "", "", 0
			} else if s.Is("IEA") {
				p.Set, p.SetSegment = "", 0
			}
		case 'G':
			if s.Is("GS") {
				p.Group = string(s.Element(6))
				p.Set, p.SetSegment = "", 0
			} else if s.Is("GE") {
				p.Set, p.SetSegment = "", 0
			}
		case 'S':
			if s.Is("ST") {
				p.Set = string(s.Element(2))
				p.SetSegment = 1
			}
		}
	}
	return s, nil
}

func (r *Reader) maxSegment() int {
	if r.MaxSegmentSize > 0 {
		return r.MaxSegmentSize
	}
	return DefaultMaxSegmentSize
}
