package x835

import (
	"encoding/binary"
	"math/bits"
)

// maxFields caps the elements a segment is split into; no 835 segment has
// more than 24 (MIA), so later ones are ignored.
const maxFields = 48

// fields is one segment split into its elements in a single pass, with no
// allocation: the decoder's hot path reads elements through it instead of
// edi.Segment's accessors.
type fields struct {
	raw  []byte
	ends [maxFields + 1]int32 // end offset of element i (0 is the ID)
	n    int                  // elements present, ID included
	comp byte
}

// split records the element boundaries of raw. It scans eight bytes at a
// time: a word XORed with the separator repeated has a zero byte exactly
// where the separator is, and the exact zero-byte test below marks those
// bytes with no false positives.
func (f *fields) split(raw []byte, elem, comp byte) {
	f.raw, f.comp = raw, comp
	const low7 = 0x7f7f7f7f7f7f7f7f
	pat := uint64(elem) * 0x0101010101010101
	n := 0
	i := 0
	for ; i+8 <= len(raw) && n < maxFields; i += 8 {
		v := binary.LittleEndian.Uint64(raw[i:]) ^ pat
		m := ^(((v & low7) + low7) | v | low7)
		for m != 0 && n < maxFields {
			f.ends[n] = int32(i + bits.TrailingZeros64(m)>>3)
			n++
			m &= m - 1
		}
	}
	for ; i < len(raw) && n < maxFields; i++ {
		if raw[i] == elem {
			f.ends[n] = int32(i)
			n++
		}
	}
	if n < maxFields {
		f.ends[n] = int32(len(raw))
		n++
	}
	f.n = n
}

// Element returns element i (1-based; 0 is the ID), or nil when absent.
func (f *fields) Element(i int) []byte {
	if i < 0 || i >= f.n {
		return nil
	}
	start := int32(0)
	if i > 0 {
		start = f.ends[i-1] + 1
	}
	return f.raw[start:f.ends[i]]
}

// ID is the segment identifier.
func (f *fields) ID() []byte { return f.Element(0) }

// Len is the number of data elements, not counting the ID.
func (f *fields) Len() int { return f.n - 1 }

// Component returns component j (1-based) of element i, or nil.
func (f *fields) Component(i, j int) []byte {
	b := f.Element(i)
	for k := 1; ; k++ {
		end := -1
		for x, c := range b {
			if c == f.comp {
				end = x
				break
			}
		}
		if k == j {
			if end < 0 {
				return b
			}
			return b[:end]
		}
		if end < 0 {
			return nil
		}
		b = b[end+1:]
	}
}
