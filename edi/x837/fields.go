package x837

import (
	"encoding/binary"
	"math/bits"

	"github.com/clearhouse/clearhouse/edi"
)

// segment is one segment split into its elements in a single pass. It
// answers Element, Component and Len exactly as edi.Segment does, but splits
// eight bytes at a time instead of searching for each separator in turn, and
// its buffer of element ends is the decoder's, reused for every segment.
type segment struct {
	raw  []byte
	ends []int32 // offset just past each element, ID first
	comp byte
}

const (
	lsb = 0x0101010101010101
	low = 0x7f7f7f7f7f7f7f7f
)

// zeroBytes has the high bit set in each byte of x that is zero, and only
// there (no borrow runs from one byte into the next).
func zeroBytes(x uint64) uint64 {
	return ^(((x & low) + low) | x | low)
}

// split splits raw on the element separator sep.
func (s *segment) split(raw []byte, d edi.Delimiters) {
	s.raw, s.comp = raw, d.Component
	ends := s.ends[:0]
	pat := lsb * uint64(d.Element)
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		m := zeroBytes(binary.LittleEndian.Uint64(raw[i:]) ^ pat)
		for m != 0 {
			ends = append(ends, int32(i+bits.TrailingZeros64(m)>>3))
			m &= m - 1
		}
	}
	for ; i < len(raw); i++ {
		if raw[i] == d.Element {
			ends = append(ends, int32(i))
		}
	}
	s.ends = append(ends, int32(len(raw)))
}

// ID is the segment identifier.
func (s *segment) ID() []byte { return s.raw[:s.ends[0]] }

// Len is the number of data elements present, not counting the ID.
func (s *segment) Len() int { return len(s.ends) - 1 }

// Element returns element i (1-based), or nil when the segment has fewer.
func (s *segment) Element(i int) []byte {
	if i < 1 || i >= len(s.ends) {
		return nil
	}
	return s.raw[s.ends[i-1]+1 : s.ends[i]]
}

// Component returns component j (1-based) of composite element i, or nil.
func (s *segment) Component(i, j int) []byte {
	return component(s.Element(i), s.comp, j)
}

// component returns the j-th (1-based) sep-separated field of b, or nil.
func component(b []byte, sep byte, j int) []byte {
	if j < 1 {
		return nil
	}
	start := 0
	for k := 1; ; k++ {
		end := start
		for end < len(b) && b[end] != sep {
			end++
		}
		if k == j {
			return b[start:end]
		}
		if end == len(b) {
			return nil
		}
		start = end + 1
	}
}
