package edi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
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
	// bounds holds -1, then the offset just past each element, ID first:
	// element i is raw[bounds[i]+1 : bounds[i+1]]. The segment is split
	// once, when it is made, so element access is a bounds check and a
	// slice; a Reader reuses the memory for every segment.
	bounds []int32
}

// NewSegment wraps raw segment bytes (without terminator) that use d.
func NewSegment(raw []byte, d Delimiters) *Segment {
	s := &Segment{raw: raw, delim: d}
	s.splitElements()
	return s
}

// Raw is the segment's bytes without its terminator.
func (s *Segment) Raw() []byte { return s.raw }

// Delimiters are the separators of the segment's interchange.
func (s *Segment) Delimiters() Delimiters { return s.delim }

// ID is the segment identifier, such as "CLM".
func (s *Segment) ID() []byte {
	if len(s.bounds) < 2 {
		return s.raw // a zero Segment
	}
	return s.raw[:s.bounds[1]]
}

// Is reports whether the segment ID equals id.
func (s *Segment) Is(id string) bool {
	n := len(id)
	return len(s.raw) >= n && string(s.raw[:n]) == id && (len(s.raw) == n || s.raw[n] == s.delim.Element)
}

// splitElements builds bounds.
func (s *Segment) splitElements() {
	s.bounds = splitEnds(append(s.bounds[:0], -1), s.raw, s.delim.Element)
}

const (
	lsb  = 0x0101010101010101
	low7 = 0x7f7f7f7f7f7f7f7f
)

// zeroBytes has the high bit set in each byte of x that is zero, and only
// there (no borrow runs from one byte into the next).
func zeroBytes(x uint64) uint64 {
	return ^(((x & low7) + low7) | x | low7)
}

// splitEnds appends to ends the offset of each sep in raw, then len(raw):
// the offset just past each element, ID first. It has no cap on the number
// of elements. It scans eight bytes at a time: a word XORed with the
// separator repeated has a zero byte exactly where the separator is. The
// last partial word is loaded whole when raw's capacity allows it (a
// segment from a Reader is followed by at least its terminator), with the
// bytes past raw masked off.
func splitEnds(ends []int32, raw []byte, sep byte) []int32 {
	pat := lsb * uint64(sep)
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		m := zeroBytes(binary.LittleEndian.Uint64(raw[i:]) ^ pat)
		for m != 0 {
			ends = append(ends, int32(i+bits.TrailingZeros64(m)>>3))
			m &= m - 1
		}
	}
	if rest := len(raw) - i; rest > 0 {
		if cap(raw)-i >= 8 {
			m := zeroBytes(binary.LittleEndian.Uint64(raw[i:i+8]) ^ pat)
			m &= 1<<(8*rest) - 1
			for m != 0 {
				ends = append(ends, int32(i+bits.TrailingZeros64(m)>>3))
				m &= m - 1
			}
		} else {
			for ; i < len(raw); i++ {
				if raw[i] == sep {
					ends = append(ends, int32(i))
				}
			}
		}
	}
	return append(ends, int32(len(raw)))
}

// Len is the number of data elements present (the last non-empty or
// explicitly delimited one), not counting the ID.
func (s *Segment) Len() int { return max(len(s.bounds)-2, 0) }

// Element returns element i (1-based), or nil when the segment has fewer
// elements. Element(0) is the ID.
func (s *Segment) Element(i int) []byte {
	b := s.bounds
	if i < 0 || i+1 >= len(b) {
		return nil
	}
	return s.raw[b[i]+1 : b[i+1]]
}

// String returns element i as a string (allocates).
func (s *Segment) String(i int) string { return string(s.Element(i)) }

// Component returns component j (1-based) of composite element i, or nil.
func (s *Segment) Component(i, j int) []byte {
	return nthField(s.Element(i), s.delim.Component, j)
}

// Components splits composite element i into parts, as many as there are
// room for, in one pass over the element: given parts that are all nil
// (a fresh array), parts[j-1] is then what Component(i, j) returns. Parts
// past the composite's last are left as they are.
func (s *Segment) Components(i int, parts [][]byte) {
	b := s.Element(i)
	sep := s.delim.Component
	n, start := 0, 0
	for k := 0; k < len(b) && n < len(parts); k++ {
		if b[k] == sep {
			parts[n] = b[start:k]
			n++
			start = k + 1
		}
	}
	if n < len(parts) {
		parts[n] = b[start:]
	}
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

// nthField returns the n-th (1-based) sep-separated field of b. Composites
// are short, so a byte loop beats a call to search for each separator.
func nthField(b []byte, sep byte, n int) []byte {
	if n < 1 {
		return nil
	}
	start := 0
	for k := 1; ; k++ {
		end := start
		for end < len(b) && b[end] != sep {
			end++
		}
		if k == n {
			return b[start:end]
		}
		if end == len(b) {
			return nil
		}
		start = end + 1
	}
}

// Clone returns a copy of s that owns its bytes.
func (s *Segment) Clone() *Segment {
	return &Segment{raw: bytes.Clone(s.raw), delim: s.delim, bounds: slices.Clone(s.bounds)}
}

// Text is the segment with its terminator, for messages and printing.
func (s *Segment) Text() string {
	return string(s.raw) + string(s.delim.Segment)
}
