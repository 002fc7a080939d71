package paysim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// TestSetstatRefused is the regression test of issue 14: a confined user's
// SETSTAT (chmod 0777) changed the real folder's mode. No user changes a
// mode or an owner; a confined user sets no times; the all-payers account
// sets a regular file's times only.
func TestSetstatRefused(t *testing.T) {
	t.Parallel()
	ts := setup(t)
	if err := ts.Drop("ACME", "r1.x12", []byte("one")); err != nil {
		t.Fatal(err)
	}
	acme := ts.client(t)
	admin, err := ts.dial(t, "admin", ssh.Password("admin-pw"))
	if err != nil {
		t.Fatal(err)
	}
	put(t, acme, "/outbound/mine.x12", []byte("abc"))

	modes := func() map[string]os.FileMode {
		m := map[string]os.FileMode{}
		for _, rel := range []string{".", "ACME", "ACME/inbound", "ACME/outbound", "ACME/archive", "ACME/outbound/r1.x12", "ACME/outbound/mine.x12"} {
			st, err := os.Stat(filepath.Join(ts.Root(), rel))
			if err != nil {
				t.Fatal(err)
			}
			m[rel] = st.Mode()
		}
		return m
	}
	before := modes()
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

	type op struct {
		name string
		c    *sftp.Client
		do   func(c *sftp.Client) error
	}
	refused := []op{
		{"acme chmod /", acme, func(c *sftp.Client) error { return c.Chmod("/", 0o777) }},
		{"acme chmod /inbound", acme, func(c *sftp.Client) error { return c.Chmod("/inbound", 0o777) }},
		{"acme chmod /outbound", acme, func(c *sftp.Client) error { return c.Chmod("/outbound", 0o700) }},
		{"acme chmod a file", acme, func(c *sftp.Client) error { return c.Chmod("/outbound/r1.x12", 0o777) }},
		{"acme chown a file", acme, func(c *sftp.Client) error { return c.Chown("/outbound/mine.x12", 0, 0) }},
		{"acme chown /inbound", acme, func(c *sftp.Client) error { return c.Chown("/inbound", 0, 0) }},
		{"acme utimes a file", acme, func(c *sftp.Client) error { return c.Chtimes("/outbound/r1.x12", old, old) }},
		{"acme utimes /archive", acme, func(c *sftp.Client) error { return c.Chtimes("/archive", old, old) }},
		{"acme truncate /inbound", acme, func(c *sftp.Client) error { return c.Truncate("/inbound", 0) }},
		{"acme fsetstat chmod", acme, func(c *sftp.Client) error {
			f, err := c.OpenFile("/outbound/mine.x12", os.O_RDWR)
			if err != nil {
				return fmt.Errorf("open: %w", err)
			}
			defer f.Close()
			return f.Chmod(0o777)
		}},
		{"acme fsetstat chown", acme, func(c *sftp.Client) error {
			f, err := c.OpenFile("/outbound/mine.x12", os.O_RDWR)
			if err != nil {
				return fmt.Errorf("open: %w", err)
			}
			defer f.Close()
			return f.Chown(0, 0)
		}},
		{"admin chmod /ACME/inbound", admin, func(c *sftp.Client) error { return c.Chmod("/ACME/inbound", 0o777) }},
		{"admin chmod /", admin, func(c *sftp.Client) error { return c.Chmod("/", 0o777) }},
		{"admin chmod a file", admin, func(c *sftp.Client) error { return c.Chmod("/ACME/outbound/r1.x12", 0o777) }},
		{"admin utimes /ACME", admin, func(c *sftp.Client) error { return c.Chtimes("/ACME", old, old) }},
		{"admin chown a file", admin, func(c *sftp.Client) error { return c.Chown("/ACME/outbound/r1.x12", 0, 0) }},
	}
	for _, o := range refused {
		t.Run(o.name, func(t *testing.T) {
			err := o.do(o.c)
			if !errors.Is(err, os.ErrPermission) {
				t.Fatalf("err %v, want permission denied", err)
			}
		})
	}
	if after := modes(); !mapsEqual(before, after) {
		t.Fatalf("modes changed:\nbefore %v\nafter  %v", before, after)
	}
	st, err := os.Stat(filepath.Join(ts.Dir("ACME", Outbound), "r1.x12"))
	if err != nil {
		t.Fatal(err)
	}
	if st.ModTime().Equal(old) {
		t.Fatal("a refused utimes changed the file's time")
	}

	// What stays allowed: truncating a file, and the all-payers account
	// setting a file's times.
	if err := acme.Truncate("/outbound/mine.x12", 1); err != nil {
		t.Fatalf("truncate: %v", err)
	}
	if err := admin.Chtimes("/ACME/outbound/r1.x12", old, old); err != nil {
		t.Fatalf("admin utimes: %v", err)
	}
	if st, err := os.Stat(filepath.Join(ts.Dir("ACME", Outbound), "r1.x12")); err != nil || !st.ModTime().Equal(old) {
		t.Fatalf("admin utimes not applied: %v %v", st.ModTime(), err)
	}
}

func mapsEqual(a, b map[string]os.FileMode) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestUploadSizeLimit is the regression test of issue 14's simulator
// upload: a write past MaxFileSize fails with an error naming the limit, the
// file is removed and never answered; a file at the limit is.
func TestUploadSizeLimit(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	ts := setup(t, func(c *ServerConfig) { c.MaxFileSize = limit })
	c := ts.client(t)

	put(t, c, "/inbound/at-limit.x12", bytes.Repeat([]byte("a"), limit))
	ts.wantArrival(t, "ACME", "at-limit.x12", limit)

	cases := []struct {
		name  string
		write func(f *sftp.File) error
	}{
		{"streamed past the limit", func(f *sftp.File) error {
			_, err := f.ReadFrom(bytes.NewReader(bytes.Repeat([]byte("b"), limit+1)))
			return err
		}},
		{"in small writes", func(f *sftp.File) error {
			chunk := bytes.Repeat([]byte("c"), 1000)
			for range limit/len(chunk) + 2 {
				if _, err := f.Write(chunk); err != nil {
					return err
				}
			}
			return nil
		}},
		{"one byte far out", func(f *sftp.File) error {
			_, err := f.WriteAt([]byte{'d'}, 1<<40)
			return err
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("big-%d.x12", i)
			f, err := c.OpenFile("/inbound/"+name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.write(f)
			f.Close()
			if err == nil || !strings.Contains(err.Error(), "file too large") || !strings.Contains(err.Error(), fmt.Sprint(limit)) {
				t.Fatalf("err %v, want file too large naming the limit %d", err, limit)
			}
			ts.noArrival(t)
			local := filepath.Join(ts.Dir("ACME", Inbound), name)
			if st, err := os.Stat(local); err == nil && st.Size() > limit {
				t.Fatalf("%s kept at %d bytes", name, st.Size())
			}
		})
	}
	// Nor may a file grow past the limit by truncation (a sparse file).
	put(t, c, "/outbound/small.x12", []byte("abc"))
	if err := c.Truncate("/outbound/small.x12", limit+1); err == nil || !strings.Contains(err.Error(), "file too large") {
		t.Fatalf("truncate past the limit: %v", err)
	}
	if st, err := os.Stat(filepath.Join(ts.Dir("ACME", Outbound), "small.x12")); err != nil || st.Size() != 3 {
		t.Fatalf("after a refused truncate: %v %v", st, err)
	}

	// The files refused while written are gone.
	for i := range 3 {
		if _, err := os.Stat(filepath.Join(ts.Dir("ACME", Inbound), fmt.Sprintf("big-%d.x12", i))); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("big-%d.x12 left on disk: %v", i, err)
		}
	}

	// A temporary upload that goes past the limit cannot be renamed into
	// place afterwards: it is gone.
	f, err := c.OpenFile("/inbound/.claims.x12.part", os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(make([]byte, limit+10))); err == nil {
		t.Fatal("write past the limit accepted")
	}
	f.Close()
	if err := c.PosixRename("/inbound/.claims.x12.part", "/inbound/claims.x12"); err == nil {
		t.Fatal("renamed a refused upload into place")
	}
	ts.noArrival(t)

	// A file put there by other means is not an arrival when over the limit.
	if err := os.WriteFile(filepath.Join(ts.Dir("ACME", Outbound), "huge.x12"), make([]byte, limit+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("/outbound/huge.x12", "/inbound/huge.x12"); err != nil {
		t.Fatal(err)
	}
	ts.noArrival(t)
	if log := ts.log.String(); !strings.Contains(log, "over the size limit") {
		t.Fatalf("refusals not logged:\n%s", log)
	}
}

// loginClock is the clock of the login delay tests: it moves only when the
// server sleeps, and records each sleep.
type loginClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *loginClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *loginClock) Sleep(_ context.Context, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
}

func (c *loginClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// take returns the sleeps since the last call.
func (c *loginClock) take() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.slept
	c.slept = nil
	return s
}

// dialFrom logs in from the local address from (an IP of the loopback net)
// and logs out at once.
func (ts *testServer) dialFrom(from, user string, auth ssh.AuthMethod) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", ts.Addr().String())
	if err != nil {
		return fmt.Errorf("dial from %s: %w", from, err)
	}
	defer nc.Close()
	conn, chans, reqs, err := ssh.NewClientConn(nc, ts.Addr().String(), &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.FixedHostKey(ts.HostKey()),
	})
	if err != nil {
		return err
	}
	ssh.NewClient(conn, chans, reqs).Close()
	return nil
}

func ms(v ...int) []time.Duration {
	d := make([]time.Duration, len(v))
	for i, n := range v {
		d[i] = time.Duration(n) * time.Millisecond
	}
	return d
}

// TestLoginDelay is the regression test of issue 14: 500 wrong passwords at
// 340/s met no delay. Each failure is answered after a delay that doubles
// from 100ms to a cap, counted per user and per remote address, and reset
// by a successful login. The server's clock and sleep are the test's, so
// nothing here waits.
func TestLoginDelay(t *testing.T) {
	t.Parallel()
	clock := &loginClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	ts := setup(t, func(c *ServerConfig) {
		c.Wall = clock.Now
		c.Sleep = clock.Sleep
		c.LoginDelay = LoginDelay{Max: 2 * time.Second}
	})
	wrong := ssh.Password("wrong-guess-0042")

	steps := []struct {
		name  string
		from  string
		user  string
		auth  ssh.AuthMethod
		ok    bool
		slept []time.Duration
	}{
		{"1st failure", "127.0.0.1", "acme", wrong, false, ms(100)},
		{"2nd failure doubles", "127.0.0.1", "acme", wrong, false, ms(200)},
		{"3rd", "127.0.0.1", "acme", wrong, false, ms(400)},
		{"4th", "127.0.0.1", "acme", wrong, false, ms(800)},
		{"5th", "127.0.0.1", "acme", wrong, false, ms(1600)},
		{"capped", "127.0.0.1", "acme", wrong, false, ms(2000)},
		{"still capped", "127.0.0.1", "acme", wrong, false, ms(2000)},
		// The user's count follows it to another address.
		{"same user, other address", "127.0.0.2", "acme", wrong, false, ms(2000)},
		// The address's count covers every name tried from it, accounts or not.
		{"other user, same address", "127.0.0.1", "admin", wrong, false, ms(2000)},
		{"unknown user, same address", "127.0.0.1", "mallory", wrong, false, ms(2000)},
		// A good login is not delayed once the delay has passed, and resets
		// the user and the address.
		{"success", "127.0.0.1", "acme", ssh.Password(testPassword), true, nil},
		{"after success", "127.0.0.1", "acme", wrong, false, ms(100)},
		// 127.0.0.2 has one failure of its own; admin one of its own.
		{"admin from the second address", "127.0.0.2", "admin", wrong, false, ms(200)},
		{"key login resets too", "127.0.0.2", "acme", ssh.PublicKeys(ts.userKey), true, nil},
		{"after key login", "127.0.0.2", "mallory", wrong, false, ms(100)},
	}
	for _, st := range steps {
		err := ts.dialFrom(st.from, st.user, st.auth)
		if err != nil && strings.HasPrefix(err.Error(), "dial from") {
			t.Fatal(err)
		}
		if (err == nil) != st.ok {
			t.Fatalf("%s: login err %v, want ok=%v", st.name, err, st.ok)
		}
		if got := clock.take(); !slices.Equal(got, st.slept) {
			t.Fatalf("%s: slept %v, want %v", st.name, got, st.slept)
		}
	}

	// Failures long past are forgotten.
	clock.advance(DefaultLoginDelayForget + time.Minute)
	if err := ts.dialFrom("127.0.0.2", "admin", wrong); err == nil {
		t.Fatal("wrong password accepted")
	}
	if got := clock.take(); !slices.Equal(got, ms(100)) {
		t.Fatalf("after Forget: slept %v, want [100ms]", got)
	}

	// The log says who was refused and the delay, never the passwords
	// nor a name that is not an account.
	log := ts.log.String()
	if !strings.Contains(log, "delay=2s") {
		t.Errorf("delay not logged:\n%s", log)
	}
	for _, secret := range []string{"wrong-guess-0042", testPassword, "mallory"} {
		if strings.Contains(log, secret) {
			t.Errorf("%q in the server log", secret)
		}
	}
}

// TestLoginDelayWaitsOut checks that an attempt arriving while its user or
// address is still delayed (a second connection in parallel) waits out the
// rest before its password is checked.
func TestLoginDelayWaitsOut(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	th := newLoginThrottle(LoginDelay{}.withDefaults(), func() time.Time { return now })
	if d := th.pending("acme", "10.0.0.1"); d != 0 {
		t.Fatalf("pending before any failure: %v", d)
	}
	for i, want := range ms(100, 200, 400) {
		if d := th.failed("acme", "10.0.0.1"); d != want {
			t.Fatalf("failure %d: delay %v, want %v", i+1, d, want)
		}
	}
	now = now.Add(150 * time.Millisecond)
	cases := []struct {
		user, addr string
		want       time.Duration
	}{
		{"acme", "10.0.0.9", 250 * time.Millisecond}, // the user's delay
		{"", "10.0.0.1", 250 * time.Millisecond},     // the address's delay
		{"admin", "10.0.0.9", 0},
	}
	for _, tc := range cases {
		if d := th.pending(tc.user, tc.addr); d != tc.want {
			t.Errorf("pending(%q, %q) = %v, want %v", tc.user, tc.addr, d, tc.want)
		}
	}
	th.succeeded("acme", "10.0.0.1")
	if d := th.pending("acme", "10.0.0.1"); d != 0 {
		t.Fatalf("pending after success: %v", d)
	}
}

func TestLoginDelayBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	th := newLoginThrottle(LoginDelay{}.withDefaults(), func() time.Time { return now })
	for i := range maxTracked + 10 {
		th.failed("", fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&0xff, i&0xff))
	}
	if n := len(th.byAddr); n > maxTracked {
		t.Fatalf("%d addresses tracked, want at most %d", n, maxTracked)
	}
	if d := (LoginDelay{Initial: time.Millisecond, Max: time.Hour}).after(1 << 20); d != time.Hour {
		t.Fatalf("after many failures: %v", d)
	}
}

// TestLoginDelayStopsWithServer checks that a login waiting out its delay
// does not hold Close up.
func TestLoginDelayStopsWithServer(t *testing.T) {
	t.Parallel()
	ts := setup(t, func(c *ServerConfig) { c.LoginDelay = LoginDelay{Initial: time.Hour, Max: time.Hour} })
	refused := make(chan error, 1)
	go func() { refused <- ts.dialFrom("127.0.0.1", "acme", ssh.Password("wrong")) }()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(ts.log.String(), "password refused"); {
		if time.Now().After(deadline) {
			t.Fatal("the wrong password was not refused")
		}
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { ts.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a login delay")
	}
	if err := <-refused; err == nil {
		t.Fatal("login succeeded")
	}
}

// TestCredentialsNotShown checks that neither a user's description, nor a
// refused login's error on either side, shows a password.
func TestCredentialsNotShown(t *testing.T) {
	t.Parallel()
	ts := setup(t)
	u := User{Name: "acme", Password: testPassword, Payer: "ACME"}
	for _, s := range []string{u.String(), fmt.Sprint(u), fmt.Sprintf("%+v", []User{u}), fmt.Sprintf("%v", ServerConfig{Users: []User{u}})} {
		if strings.Contains(s, testPassword) {
			t.Errorf("password shown in %q", s)
		}
	}
	// A password typed as the user name stays out of the log too.
	err := ts.dialFrom("127.0.0.1", testPassword, ssh.Password(testPassword))
	if err == nil {
		t.Fatal("login as an unknown user succeeded")
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Errorf("client error shows the password: %v", err)
	}
	if err := ts.dialFrom("127.0.0.1", "acme", ssh.Password("wrong-pw-77")); err == nil || strings.Contains(err.Error(), "wrong-pw-77") {
		t.Errorf("client error %v", err)
	}
	if log := ts.log.String(); strings.Contains(log, testPassword) || strings.Contains(log, "wrong-pw-77") {
		t.Errorf("password in the server log:\n%s", log)
	}
}
