package demo

import (
	"time"

	"github.com/clearhouse/clearhouse/clock"
)

// simClock is the simulated clock every service of a demo run reads: the
// run sets it to each moment of the timeline (an appointment's start, the
// night's batch, the next morning's remittances); it never goes back.
type simClock = clock.Settable

func newSimClock(t time.Time) *simClock { return clock.NewForward(t) }
