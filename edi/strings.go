package edi

import (
	"encoding/binary"
	"math/bits"
)

// StringCache shares the strings of element values that repeat in a file
// (codes and qualifiers, provider and payer names, addresses, identifiers),
// so a decoder converts each of them to a string once instead of once per
// segment. Values of up to 16 bytes sit in a two-way set-associative cache
// keyed by their bytes packed in two words, so two hot values that hash
// alike do not evict each other and a hit compares words, not memory;
// values of 17 to 64 bytes sit in a direct-mapped cache compared in full;
// longer ones are not cached. The zero value is ready to use. A StringCache
// is not safe for concurrent use; each decoder owns one.
type StringCache struct {
	short [1 << shortBits][2]cacheEntry
	long  [1 << longBits]string
}

// shortBits is log2 of the sets of values of up to 16 bytes, longBits of
// the slots for longer ones.
const (
	shortBits = 8
	longBits  = 6
)

// cacheEntry is one slot of the short-value cache: the bytes of a value of
// 1 to 16 bytes packed little-endian in two words, and its string (whose
// length tells the value's).
type cacheEntry struct {
	k1, k2 uint64
	s      string
}

// asciiChars holds the printable ASCII characters, each a one-byte value's
// string.
const asciiChars = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

// String returns b as a string, the same string as for an equal value
// before while it stays in the cache. A value that is not there is made by
// alloc (string(b) when alloc is nil) and cached, so alloc decides where
// the bytes of cached strings live.
func (c *StringCache) String(b []byte, alloc func([]byte) string) string {
	n := len(b)
	switch {
	case n == 0:
		return ""
	case n == 1 && b[0] >= ' ' && b[0] <= '~':
		return asciiChars[b[0]-' ' : b[0]-' '+1]
	case n > 16:
		return c.longString(b, alloc)
	}
	var k1, k2 uint64
	if n <= 8 && cap(b) >= 8 {
		// Most codes: one word, loaded in place.
		k1 = binary.LittleEndian.Uint64(b[:8]) & (^uint64(0) >> (64 - 8*n))
	} else {
		k1, k2 = packKey(b)
	}
	h := ((k1 ^ bits.RotateLeft64(k2, 29)) * 0x9e3779b97f4a7c15) >> (64 - shortBits)
	set := &c.short[h]
	if e := &set[0]; e.k1 == k1 && e.k2 == k2 && len(e.s) == n {
		return e.s
	}
	if e := &set[1]; e.k1 == k1 && e.k2 == k2 && len(e.s) == n {
		return e.s
	}
	set[1] = set[0]
	set[0] = cacheEntry{k1: k1, k2: k2, s: makeString(b, alloc)}
	return set[0].s
}

// longString is String for values of more than 16 bytes (organization
// names, facility names, notes): keyed by the first and last eight bytes and
// the length, compared in full, for values of up to 64 bytes.
func (c *StringCache) longString(b []byte, alloc func([]byte) string) string {
	n := len(b)
	if n > 64 {
		return makeString(b, alloc)
	}
	k := binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[n-8:]), 31) ^ uint64(n)
	e := &c.long[(k*0x9e3779b97f4a7c15)>>(64-longBits)]
	if *e == string(b) {
		return *e
	}
	*e = makeString(b, alloc)
	return *e
}

func makeString(b []byte, alloc func([]byte) string) string {
	if alloc == nil {
		return string(b)
	}
	return alloc(b)
}

// packKey packs the 1 to 16 bytes of b little-endian into two words, zero
// beyond len(b). Elements are slices of the reader's buffer, so there are
// usually 16 bytes of capacity to load whole words from; the bytes past the
// element are masked off. (String loads values of up to 8 bytes itself.)
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
