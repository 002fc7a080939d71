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

// split splits raw on the element separator sep. The last partial word is
// loaded whole when raw's capacity allows it (a segment from the reader is
// followed by at least its terminator), with the bytes past raw masked off.
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
				if raw[i] == d.Element {
					ends = append(ends, int32(i))
				}
			}
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

// components splits composite b on sep into parts, as many as there are
// room for, and leaves the parts past the composite's last nil: parts[j-1]
// is what component(b, sep, j) returns, in one pass over b.
func components(b []byte, sep byte, parts [][]byte) {
	n, start := 0, 0
	for i := 0; i < len(b) && n < len(parts); i++ {
		if b[i] == sep {
			parts[n] = b[start:i]
			n++
			start = i + 1
		}
	}
	if n < len(parts) {
		parts[n] = b[start:]
	}
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

// internEntry is one slot of the decoder's string cache: the bytes of a
// value of 1 to 16 bytes packed little-endian in two words, and its string
// (whose length tells the value's).
type internEntry struct {
	k1, k2 uint64
	s      string
}

// internBits is log2 of the sets in the decoder's cache of strings of up
// to 16 bytes, longBits of the slots in its cache of longer ones.
const (
	internBits = 8
	longBits   = 6
)

// internCache is a two-way set-associative cache of short strings, so two
// hot values that hash alike do not evict each other on every claim.
type internCache [1 << internBits][2]internEntry

// packKey packs the 1 to 16 bytes of b little-endian into two words, zero
// beyond len(b). Elements are slices of the reader's buffer, so there are
// usually 16 bytes of capacity to load whole words from; the bytes past the
// element are masked off.
func packKey(b []byte) (k1, k2 uint64) {
	n := len(b)
	if cap(b) < 16 {
		for i := n - 1; i >= 8; i-- {
			k2 = k2<<8 | uint64(b[i])
		}
		for i := min(n, 8) - 1; i >= 0; i-- {
			k1 = k1<<8 | uint64(b[i])
		}
		return k1, k2
	}
	w := b[:16]
	k1 = binary.LittleEndian.Uint64(w)
	k2 = binary.LittleEndian.Uint64(w[8:])
	if n < 8 {
		return k1 & (1<<(8*n) - 1), 0
	}
	return k1, k2 & (^uint64(0) >> (8 * (16 - n)))
}

// segID packs a segment ID of one to three bytes with its length into an
// integer for the decoder's dispatch; longer IDs, which no segment the
// decoder reads has, give 0.
func segID(id []byte) uint32 {
	switch len(id) {
	case 2:
		return 2<<24 | uint32(id[0]) | uint32(id[1])<<8
	case 3:
		return 3<<24 | uint32(id[0]) | uint32(id[1])<<8 | uint32(id[2])<<16
	case 1:
		return 1<<24 | uint32(id[0])
	}
	return 0
}

// The IDs of the segments the decoder reads, as segID packs them.
const (
	idISA = 3<<24 | 'I' | 'S'<<8 | 'A'<<16
	idIEA = 3<<24 | 'I' | 'E'<<8 | 'A'<<16
	idGS  = 2<<24 | 'G' | 'S'<<8
	idGE  = 2<<24 | 'G' | 'E'<<8
	idST  = 2<<24 | 'S' | 'T'<<8
	idSE  = 2<<24 | 'S' | 'E'<<8
	idBHT = 3<<24 | 'B' | 'H'<<8 | 'T'<<16
	idHL  = 2<<24 | 'H' | 'L'<<8
	idCLM = 3<<24 | 'C' | 'L'<<8 | 'M'<<16
	idNM1 = 3<<24 | 'N' | 'M'<<8 | '1'<<16
	idN3  = 2<<24 | 'N' | '3'<<8
	idN4  = 2<<24 | 'N' | '4'<<8
	idPER = 3<<24 | 'P' | 'E'<<8 | 'R'<<16
	idPRV = 3<<24 | 'P' | 'R'<<8 | 'V'<<16
	idREF = 3<<24 | 'R' | 'E'<<8 | 'F'<<16
	idDMG = 3<<24 | 'D' | 'M'<<8 | 'G'<<16
	idSBR = 3<<24 | 'S' | 'B'<<8 | 'R'<<16
	idPAT = 3<<24 | 'P' | 'A'<<8 | 'T'<<16
	idDTP = 3<<24 | 'D' | 'T'<<8 | 'P'<<16
	idCL1 = 3<<24 | 'C' | 'L'<<8 | '1'<<16
	idNTE = 3<<24 | 'N' | 'T'<<8 | 'E'<<16
	idHI  = 2<<24 | 'H' | 'I'<<8
	idCAS = 3<<24 | 'C' | 'A'<<8 | 'S'<<16
	idAMT = 3<<24 | 'A' | 'M'<<8 | 'T'<<16
	idOI  = 2<<24 | 'O' | 'I'<<8
	idLX  = 2<<24 | 'L' | 'X'<<8
	idSV1 = 3<<24 | 'S' | 'V'<<8 | '1'<<16
	idSV2 = 3<<24 | 'S' | 'V'<<8 | '2'<<16
	idLIN = 3<<24 | 'L' | 'I'<<8 | 'N'<<16
	idCTP = 3<<24 | 'C' | 'T'<<8 | 'P'<<16
	idSVD = 3<<24 | 'S' | 'V'<<8 | 'D'<<16
)
