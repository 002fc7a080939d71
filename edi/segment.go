package edi

import (
	"bytes"
	"fmt"
)

// Delimiters are the four separators an interchange declares in its ISA
// segment: the element separator (the byte after "ISA"), the repetition
// separator (ISA11, 005010 and later), the component element separator
// (ISA16) and the segment terminator (the byte after ISA16).
type Delimiters struct {
	Element    byte
	Repetition byte // zero when the interchange declares none
	Component  byte
	Segment    byte
}

// DefaultDelimiters are the separators most trading partners use: * ^ : ~.
var DefaultDelimiters = Delimiters{Element: '*', Repetition: '^', Component: ':', Segment: '~'}

// Validate reports whether the delimiters can delimit: all present, all
// distinct, ASCII, none a letter, digit or space, and only the segment terminator a
// line break.
func (d Delimiters) Validate() error {
	seps := [...]byte{d.Element, d.Component, d.Segment, d.Repetition}
	for i, c := range seps {
		if c == 0 {
			if i == 3 {
				continue // the repetition separator is optional
			}
			return fmt.Errorf("%w: a delimiter is missing", ErrBadISA)
		}
		if isAlnum(c) || c == ' ' {
			return fmt.Errorf("%w: delimiter %q is a letter, digit or space", ErrBadISA, c)
		}
		if c >= 0x80 {
			return fmt.Errorf("%w: delimiter 0x%02X is not ASCII", ErrBadISA, c)
		}
		if i != 2 && (c == '\r' || c == '\n') {
			// CR and LF may end segments (and are skipped after them),
			// but cannot separate what is inside one.
			return fmt.Errorf("%w: delimiter %q is a line break", ErrBadISA, c)
		}
		for _, o := range seps[i+1:] {
			if o == c {
				return fmt.Errorf("%w: delimiter %q is used twice", ErrBadISA, c)
			}
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// Segment is one X12 segment without its terminator. Elements are numbered
// from 1 as in the guides (CLM01 is Element(1)); Element(0) is the segment
// ID. A Segment returned by Reader.Next refers to the reader's buffer and is
// valid only until the next call; Clone keeps one.
type Segment struct {
	raw   []byte
	delim Delimiters
	// ends holds the offset just past each element, ID first; it is built on
	// the first element access and reused between segments.
	ends  []int32
	split bool
}

// NewSegment wraps raw segment bytes (without terminator) that use d.
func NewSegment(raw []byte, d Delimiters) *Segment {
	return &Segment{raw: raw, delim: d}
}

// Raw is the segment's bytes without its terminator.
func (s *Segment) Raw() []byte { return s.raw }

// Delimiters are the separators of the segment's interchange.
func (s *Segment) Delimiters() Delimiters { return s.delim }

// ID is the segment identifier, such as "CLM".
func (s *Segment) ID() []byte {
	if i := bytes.IndexByte(s.raw, s.delim.Element); i >= 0 {
		return s.raw[:i]
	}
	return s.raw
}

// Is reports whether the segment ID equals id.
func (s *Segment) Is(id string) bool {
	n := len(id)
	return len(s.raw) >= n && string(s.raw[:n]) == id && (len(s.raw) == n || s.raw[n] == s.delim.Element)
}

func (s *Segment) splitElements() {
	s.ends = s.ends[:0]
	raw := s.raw
	off := 0
	for {
		i := bytes.IndexByte(raw[off:], s.delim.Element)
		if i < 0 {
			s.ends = append(s.ends, int32(len(raw)))
			break
		}
		off += i
		s.ends = append(s.ends, int32(off))
		off++
	}
	s.split = true
}

// Len is the number of data elements present (the last non-empty or
// explicitly delimited one), not counting the ID.
func (s *Segment) Len() int {
	if !s.split {
		s.splitElements()
	}
	return len(s.ends) - 1
}

// Element returns element i (1-based), or nil when the segment has fewer
// elements. Element(0) is the ID.
func (s *Segment) Element(i int) []byte {
	if !s.split {
		s.splitElements()
	}
	if i < 0 || i >= len(s.ends) {
		return nil
	}
	start := 0
	if i > 0 {
		start = int(s.ends[i-1]) + 1
	}
	return s.raw[start:s.ends[i]]
}

// String returns element i as a string (allocates).
func (s *Segment) String(i int) string { return string(s.Element(i)) }

// Component returns component j (1-based) of composite element i, or nil.
func (s *Segment) Component(i, j int) []byte {
	return nthField(s.Element(i), s.delim.Component, j)
}

// Repetition returns repetition k (1-based) of element i, or nil. Without a
// repetition separator the element has one repetition.
func (s *Segment) Repetition(i, k int) []byte {
	e := s.Element(i)
	if s.delim.Repetition == 0 {
		if k == 1 {
			return e
		}
		return nil
	}
	return nthField(e, s.delim.Repetition, k)
}

// nthField returns the n-th (1-based) sep-separated field of b.
func nthField(b []byte, sep byte, n int) []byte {
	if n < 1 {
		return nil
	}
	for k := 1; ; k++ {
		i := bytes.IndexByte(b, sep)
		if k == n {
			if i < 0 {
				return b
			}
			return b[:i]
		}
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
}

// Clone returns a copy of s that owns its bytes.
func (s *Segment) Clone() *Segment {
	c := &Segment{raw: bytes.Clone(s.raw), delim: s.delim}
	return c
}

// Text is the segment with its terminator, for messages and printing.
func (s *Segment) Text() string {
	return string(s.raw) + string(s.delim.Segment)
}
