package paysim

import "strconv"

// A draw is a pseudo-random number fixed by the seed and what it decides
// about: a purpose ("reject", "deny", ...), the payer, the claim's patient
// control number and a line number. Decisions hash these instead of
// consuming a random stream, so the order in which claims arrive changes
// none of them.
type draw struct {
	seed uint64
}

// value returns the 64-bit draw for the parts: FNV-1a over the parts with
// separators, finished with the splitmix64 mixer for an even spread.
func (d draw) value(parts ...string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < 8; i++ {
		h ^= (d.seed >> (8 * i)) & 0xff
		h *= prime
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= prime
		}
		h ^= 0xff
		h *= prime
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// chance reports whether the draw falls under rate basis points (of 10000).
func (d draw) chance(rateBP uint64, parts ...string) bool {
	return rateBP > 0 && d.value(parts...)%10000 < rateBP
}

// pick returns a draw in [0, n).
func (d draw) pick(n int, parts ...string) int {
	if n <= 1 {
		return 0
	}
	return int(d.value(parts...) % uint64(n))
}

// digits returns n decimal digits drawn from the parts.
func (d draw) digits(n int, parts ...string) string {
	v := d.value(parts...)
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		if v == 0 {
			v = d.value(append(parts, strconv.Itoa(i))...)
		}
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b)
}
