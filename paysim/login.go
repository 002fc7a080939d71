package paysim

import (
	"net"
	"sync"
	"time"
)

// LoginDelay slows password guessing: after a failed password login the
// server waits before answering, and a later password attempt for the same
// user or from the same remote address waits out what is left. The delay
// starts at Initial and doubles with each further failure, up to Max; a
// successful login resets it, and failures older than Forget are forgotten.
// Keys are not delayed: a key cannot be guessed, and clients offer several
// keys in turn as a matter of course.
type LoginDelay struct {
	// Initial is the delay after the first failure. Default 100ms.
	Initial time.Duration
	// Max caps the delay. Default 4s.
	Max time.Duration
	// Forget is how long a user or address is remembered after its last
	// failure. Default 15m.
	Forget time.Duration
}

// Defaults of LoginDelay.
const (
	DefaultLoginDelayInitial = 100 * time.Millisecond
	DefaultLoginDelayMax     = 4 * time.Second
	DefaultLoginDelayForget  = 15 * time.Minute
)

func (d LoginDelay) withDefaults() LoginDelay {
	if d.Initial == 0 {
		d.Initial = DefaultLoginDelayInitial
	}
	if d.Max == 0 {
		d.Max = DefaultLoginDelayMax
	}
	if d.Forget == 0 {
		d.Forget = DefaultLoginDelayForget
	}
	return d
}

// after returns the delay after n failures in a row (n >= 1).
func (d LoginDelay) after(n int) time.Duration {
	w := d.Initial
	for i := 1; i < n && w < d.Max; i++ {
		w *= 2
	}
	return min(w, d.Max)
}

// maxTracked bounds each map of a loginThrottle: past it, forgotten
// entries are pruned and, if that is not enough, arbitrary ones dropped, so
// a flood of addresses cannot grow the server's memory without end.
const maxTracked = 1 << 16

// failures is the record of one user or one remote address.
type failures struct {
	n     int       // failures in a row
	last  time.Time // time of the last one
	until time.Time // no password is checked before this
}

// loginThrottle counts failed password logins per user and per remote
// address.
type loginThrottle struct {
	cfg LoginDelay
	now func() time.Time

	mu     sync.Mutex
	byUser map[string]*failures
	byAddr map[string]*failures
}

func newLoginThrottle(cfg LoginDelay, now func() time.Time) *loginThrottle {
	return &loginThrottle{cfg: cfg, now: now, byUser: map[string]*failures{}, byAddr: map[string]*failures{}}
}

// remoteHost is the address a client connects from, without its port.
func remoteHost(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// pending returns how long a password attempt for user from addr must wait
// before it is checked. user is "" for a name that is not an account.
func (t *loginThrottle) pending(user, addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for _, f := range []*failures{t.byUser[user], t.byAddr[addr]} {
		if f != nil && f.until.After(now) {
			wait = max(wait, f.until.Sub(now))
		}
	}
	return wait
}

// failed records a failed password attempt and returns the delay before
// the refusal is answered: the longer of the user's and the address's.
func (t *loginThrottle) failed(user, addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var d time.Duration
	record := func(m map[string]*failures, key string) {
		f := m[key]
		if f == nil {
			if len(m) >= maxTracked {
				t.prune(m, now)
			}
			f = &failures{}
			m[key] = f
		} else if now.Sub(f.last) > t.cfg.Forget {
			f.n = 0
		}
		f.n++
		f.last = now
		delay := t.cfg.after(f.n)
		f.until = now.Add(delay)
		d = max(d, delay)
	}
	if user != "" {
		record(t.byUser, user)
	}
	record(t.byAddr, addr)
	return d
}

// succeeded forgets the failures of user and of addr.
func (t *loginThrottle) succeeded(user, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byUser, user)
	delete(t.byAddr, addr)
}

// prune drops the entries of m not failed within Forget and, while m is
// still full, arbitrary others. t.mu is held.
func (t *loginThrottle) prune(m map[string]*failures, now time.Time) {
	for k, f := range m {
		if now.Sub(f.last) > t.cfg.Forget {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < maxTracked {
			break
		}
		delete(m, k)
	}
}
