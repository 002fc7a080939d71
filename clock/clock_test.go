package clock

import (
	"sync"
	"testing"
	"time"
)

func TestSettable(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	later, earlier := t0.Add(time.Hour), t0.Add(-time.Hour)
	for _, tc := range []struct {
		name  string
		c     *Settable
		steps []time.Time
		want  time.Time
	}{
		{"set", New(t0), nil, t0},
		{"set later", New(t0), []time.Time{later}, later},
		{"set earlier", New(t0), []time.Time{later, earlier}, earlier},
		{"forward later", NewForward(t0), []time.Time{later}, later},
		{"forward never goes back", NewForward(t0), []time.Time{later, earlier}, later},
		{"forward same time", NewForward(t0), []time.Time{t0}, t0},
	} {
		for _, s := range tc.steps {
			tc.c.Set(s)
		}
		if got := tc.c.Now(); !got.Equal(tc.want) {
			t.Errorf("%s: Now() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSettableConcurrent(t *testing.T) {
	c := NewForward(time.Unix(0, 0))
	var wg sync.WaitGroup
	for i := 1; i <= 8; i++ {
		wg.Go(func() {
			c.Set(time.Unix(int64(i), 0))
			_ = c.Now()
		})
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(time.Unix(8, 0)) {
		t.Errorf("Now() = %v, want the latest", got)
	}
}
