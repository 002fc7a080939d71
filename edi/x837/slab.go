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
		s = block[T](n)
	}
	m := len(s)
	s = s[:m+n]
	*slab = s
	return s[m : m+n : m+n]
}

// block returns an empty slab of about slabChunk bytes with room for at
// least n values.
func block[T any](n int) []T {
	var zero T
	return make([]T, 0, max(n, slabChunk/int(max(unsafe.Sizeof(zero), 1))))
}

// one returns a pointer to a zero T carved from the slab.
func one[T any](slab *[]T) *T { return &carve(slab, 1)[0] }

// openRun returns an empty slice at the end of the slab whose capacity is
// the slab's spare room, at least minRoom. A value that grows element by
// element while it is decoded (a claim's lines) is appended to the run in
// place and taken into the slab by closeRun; if it outgrows the room, append
// moves it to an array of its own, which closeRun keeps as it is.
func openRun[T any](slab *[]T, minRoom int) []T {
	s := *slab
	if cap(s)-len(s) < minRoom {
		s = block[T](minRoom)
		*slab = s
	}
	return s[len(s):]
}

// closeRun ends a run opened by openRun: it returns the run capped at its
// length, or nil when it is empty, and advances the slab past it when the
// run still lies there.
func closeRun[T any](slab *[]T, run []T) []T {
	if len(run) == 0 {
		return nil
	}
	s := *slab
	if len(s) < cap(s) && &s[:len(s)+1][len(s)] == &run[0] && len(run) <= cap(s)-len(s) {
		*slab = s[:len(s)+len(run)]
	}
	return run[:len(run):len(run)]
}

// reuse empties the slab and zeroes what it had handed out, to be handed
// out again.
func reuse[T any](slab *[]T) {
	if len(*slab) > 0 {
		clear(*slab)
		*slab = (*slab)[:0]
	}
}
