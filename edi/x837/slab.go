package x837

import "unsafe"

// slabChunk is the size in bytes of the blocks a slab hands out values from.
const slabChunk = 8 << 10

// carve returns n zero values of T carved from the slab, with capacity n so
// an append to the result never writes into its neighbours. Decoded claims
// come from shared blocks this way instead of allocating each struct and
// slice on its own; a block stays alive while any claim uses part of it.
func carve[T any](slab *[]T, n int) []T {
	s := *slab
	if cap(s)-len(s) < n {
		var zero T
		s = make([]T, 0, max(n, slabChunk/int(max(unsafe.Sizeof(zero), 1))))
	}
	m := len(s)
	s = s[:m+n]
	*slab = s
	return s[m : m+n : m+n]
}

// one returns a pointer to a zero T carved from the slab.
func one[T any](slab *[]T) *T { return &carve(slab, 1)[0] }

// keep copies the scratch values into a slice carved from the slab and
// clears the scratch, or returns nil when there are none.
func keep[T any](slab *[]T, scratch []T) []T {
	if len(scratch) == 0 {
		return nil
	}
	out := carve(slab, len(scratch))
	copy(out, scratch)
	clear(scratch)
	return out
}
