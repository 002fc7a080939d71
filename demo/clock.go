package demo

import (
	"sync"
	"time"
)

// simClock is the simulated clock every service of a demo run reads: the
// run sets it to each moment of the timeline (an appointment's start, the
// night's batch, the next morning's remittances).
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func newSimClock(t time.Time) *simClock { return &simClock{t: t} }

// Now returns the simulated time.
func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t; it never goes back.
func (c *simClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}
