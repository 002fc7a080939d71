// Package clock is the settable clock that simulations and tests inject
// where the code takes a Now func (store, billing, scheduling, worker): the
// demo's simulated timeline and the report fixtures' seeded history read it,
// so rows get the times of the events they stand for.
package clock

import (
	"sync"
	"time"
)

// Settable is a clock that reads the time it was last set to. It is safe
// for concurrent use.
type Settable struct {
	mu      sync.Mutex
	t       time.Time
	forward bool
}

// New returns a clock at t that Set moves to any time, earlier or later.
func New(t time.Time) *Settable { return &Settable{t: t} }

// NewForward returns a clock at t that never goes back: Set to an earlier
// time leaves it where it is, as a simulated timeline whose steps may
// overlap expects.
func NewForward(t time.Time) *Settable { return &Settable{t: t, forward: true} }

// Now returns the clock's time.
func (c *Settable) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t (a forward-only clock only when t is later).
func (c *Settable) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.forward || t.After(c.t) {
		c.t = t
	}
}
