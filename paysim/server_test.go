package paysim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

const testPassword = "sim-password-1"

// testServer is a started Server and what a test needs to reach it.
type testServer struct {
	*Server
	arrivals chan Arrival
	userKey  ssh.Signer
	log      *lockedBuffer
}

// lockedBuffer collects log output from the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newKey(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// setup starts a server with payers ACME and GLOBEX, a user "acme" bound to
// ACME (password and key) and an unbound user "admin", with the changes of
// mutate applied to its configuration.
func setup(t *testing.T, mutate ...func(*ServerConfig)) *testServer {
	t.Helper()
	ts := &testServer{arrivals: make(chan Arrival, 16), userKey: newKey(t), log: &lockedBuffer{}}
	cfg := ServerConfig{
		Root:   t.TempDir(),
		Payers: []string{"GLOBEX"},
		Users: []User{
			{Name: "acme", Password: testPassword, AuthorizedKeys: []ssh.PublicKey{ts.userKey.PublicKey()}, Payer: "ACME"},
			{Name: "admin", Password: "admin-pw"},
		},
		OnArrival: func(_ context.Context, a Arrival) { ts.arrivals <- a },
		Logger:    slog.New(slog.NewTextHandler(ts.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts.Server = srv
	return ts
}

func (ts *testServer) dial(t *testing.T, user string, auth ssh.AuthMethod) (*sftp.Client, error) {
	t.Helper()
	conn, err := ssh.Dial("tcp", ts.Addr().String(), &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.FixedHostKey(ts.HostKey()),
		Timeout:         5 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c, nil
}

func (ts *testServer) client(t *testing.T) *sftp.Client {
	t.Helper()
	c, err := ts.dial(t, "acme", ssh.Password(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func put(t *testing.T, c *sftp.Client, name string, content []byte) {
	t.Helper()
	f, err := c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	if _, err := f.Write(content); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

func (ts *testServer) wantArrival(t *testing.T, payer, name string, size int64) {
	t.Helper()
	select {
	case a := <-ts.arrivals:
		if a.Payer != payer || a.Name != name || a.Size != size || a.User == "" {
			t.Fatalf("arrival %+v, want payer %s name %s size %d", a, payer, name, size)
		}
		if want := filepath.Join(ts.Dir(payer, Inbound), name); a.Path != want {
			t.Fatalf("arrival path %s, want %s", a.Path, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no arrival for %s/%s", payer, name)
	}
}

func (ts *testServer) noArrival(t *testing.T) {
	t.Helper()
	select {
	case a := <-ts.arrivals:
		t.Fatalf("unexpected arrival %+v", a)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestArrivalAfterRename(t *testing.T) {
	t.Parallel()
	ts := setup(t)
	c := ts.client(t)
	content := []byte("ISA*00*...~")

	put(t, c, "/inbound/.claims.x12.part", content)
	ts.noArrival(t)
	if err := c.PosixRename("/inbound/.claims.x12.part", "/inbound/claims.x12"); err != nil {
		t.Fatal(err)
	}
	ts.wantArrival(t, "ACME", "claims.x12", int64(len(content)))

	// A plain SFTP v3 rename refuses to replace a file.
	put(t, c, "/inbound/second.tmp", content)
	if err := c.Rename("/inbound/second.tmp", "/inbound/claims.x12"); err == nil {
		t.Fatal("rename over an existing file succeeded")
	}
	if err := c.Rename("/inbound/second.tmp", "/inbound/second.x12"); err != nil {
		t.Fatal(err)
	}
	ts.wantArrival(t, "ACME", "second.x12", int64(len(content)))
	ts.noArrival(t)
}

func TestArrivalAfterDirectWrite(t *testing.T) {
	t.Parallel()
	ts := setup(t)
	c := ts.client(t)
	put(t, c, "/inbound/direct.x12", []byte("abc"))
	ts.wantArrival(t, "ACME", "direct.x12", 3)
	// Files written elsewhere are not arrivals.
	put(t, c, "/outbound/not-inbound.x12", []byte("abc"))
	ts.noArrival(t)

	admin, err := ts.dial(t, "admin", ssh.Password("admin-pw"))
	if err != nil {
		t.Fatal(err)
	}
	put(t, admin, "/GLOBEX/inbound/g.x12", []byte("abcd"))
	ts.wantArrival(t, "GLOBEX", "g.x12", 4)
}

func TestPathsConfined(t *testing.T) {
	t.Parallel()
	ts := setup(t)
	c := ts.client(t)
	outside := filepath.Join(filepath.Dir(ts.Root()), "outside-secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(outside) })
	// A link inside the root that points out of it.
	if err := os.Symlink(outside, filepath.Join(ts.Dir("ACME", Outbound), "escape")); err != nil {
		t.Fatal(err)
	}

	for _, p := range []string{
		"../../outside-secret", "/../../outside-secret", "../GLOBEX/inbound", "/outbound/escape",
		"/outbound/../../GLOBEX/outbound", "inbound/../../../outside-secret",
	} {
		t.Run(p, func(t *testing.T) {
			if f, err := c.Open(p); err == nil {
				b, _ := io.ReadAll(f)
				f.Close()
				if bytes.Contains(b, []byte("secret")) {
					t.Fatalf("read %q outside the root", p)
				}
			}
			if _, err := c.ReadDir(p); err == nil && strings.Contains(p, "GLOBEX") {
				t.Fatalf("listed another payer's folder through %q", p)
			}
		})
	}
	// Writing through ".." lands inside the user's own directory or fails.
	if f, err := c.Create("/../../../escaped"); err == nil {
		f.Close()
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(ts.Root()), "escaped")); err == nil {
		t.Fatal("a write escaped the root")
	}
	if err := c.Symlink("/etc/passwd", "/outbound/link"); err == nil {
		t.Fatal("symlink creation allowed")
	}
	for _, p := range []string{"/inbound", "/outbound", "/"} {
		if err := c.RemoveDirectory(p); err == nil {
			t.Fatalf("removing %s allowed", p)
		}
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	ts := setup(t, func(c *ServerConfig) { c.LoginDelay = LoginDelay{Initial: time.Millisecond, Max: 2 * time.Millisecond} })
	cases := []struct {
		name string
		user string
		auth ssh.AuthMethod
		ok   bool
	}{
		{"password", "acme", ssh.Password(testPassword), true},
		{"key", "acme", ssh.PublicKeys(ts.userKey), true},
		{"wrong password", "acme", ssh.Password("nope-wrong-4471"), false},
		{"unknown key", "acme", ssh.PublicKeys(newKey(t)), false},
		{"unknown user", "mallory", ssh.Password(testPassword), false},
		{"admin has no key", "admin", ssh.PublicKeys(ts.userKey), false},
		// Regression (issue 14): one password or key opened every account.
		{"acme's password is not admin's", "admin", ssh.Password(testPassword), false},
		{"admin's password is not acme's", "acme", ssh.Password("admin-pw"), false},
		{"admin", "admin", ssh.Password("admin-pw"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ts.dial(t, tc.user, tc.auth)
			if (err == nil) != tc.ok {
				t.Fatalf("dial: %v, want ok=%v", err, tc.ok)
			}
		})
	}
	log := ts.log.String()
	if !strings.Contains(log, "password refused") {
		t.Fatalf("refusals not logged:\n%s", log)
	}
	for _, secret := range []string{"nope-wrong-4471", testPassword} {
		if strings.Contains(log, secret) {
			t.Fatalf("password %q in the server log", secret)
		}
	}
}

func TestListStatRemove(t *testing.T) {
	t.Parallel()
	ts := setup(t)
	if err := ts.Drop("ACME", "r1.x12", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := ts.Drop("ACME", "r2.x12", []byte("three")); err != nil {
		t.Fatal(err)
	}
	c := ts.client(t)
	entries, err := c.ReadDir("/outbound")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "r1.x12,r2.x12" {
		t.Fatalf("listing %v", names)
	}
	st, err := c.Stat("/outbound/r2.x12")
	if err != nil || st.Size() != 5 {
		t.Fatalf("stat: %v %v", st, err)
	}
	if err := c.Rename("/outbound/r1.x12", "/archive/r1.x12"); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove("/outbound/r2.x12"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat("/outbound/r2.x12"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stat removed file: %v", err)
	}
	if err := c.Mkdir("/archive/2026"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveDirectory("/archive/2026"); err != nil {
		t.Fatal(err)
	}
	if err := c.Truncate("/archive/r1.x12", 1); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(ts.Dir("ACME", Archive), "r1.x12")); string(b) != "o" {
		t.Fatalf("after truncate: %q", b)
	}
}

func TestCloseStopsConnections(t *testing.T) {
	t.Parallel()
	ts := setup(t)
	c := ts.client(t)
	done := make(chan struct{})
	go func() { ts.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := c.ReadDir("/"); err == nil {
		t.Fatal("connection still served after Close")
	}
	if err := ts.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestContextStopsServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := NewServer(ServerConfig{Root: t.TempDir(), Users: []User{{Name: "u", Password: "p", Payer: "P"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err == nil {
		t.Fatal("second Start succeeded")
	}
	cancel()
	waited := make(chan struct{})
	go func() { srv.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop with its context")
	}
	srv.Close()
}

func TestHostKeyPersisted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "host_key")
	cfg := ServerConfig{Root: dir, HostKeyPath: path, Users: []User{{Name: "u", Password: "p"}}}
	a, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !bytes.Equal(a.HostKey().Marshal(), b.HostKey().Marshal()) {
		t.Fatal("host key not reloaded from HostKeyPath")
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("host key file: %v %v", st, err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewServer(cfg); err == nil {
		t.Fatal("garbage host key accepted")
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	key := newKey(t).PublicKey()
	cases := []struct {
		name string
		cfg  ServerConfig
		want string
	}{
		{"no root", ServerConfig{Users: []User{{Name: "u", Password: "p"}}}, "Root is required"},
		{"no users", ServerConfig{Root: "x"}, "at least one user"},
		{"no credentials", ServerConfig{Root: "x", Users: []User{{Name: "u"}}}, "neither a password nor an authorized key"},
		{"duplicate user", ServerConfig{Root: "x", Users: []User{{Name: "u", Password: "p"}, {Name: "u", AuthorizedKeys: []ssh.PublicKey{key}}}}, "listed twice"},
		{"bad payer", ServerConfig{Root: "x", Payers: []string{"../etc"}, Users: []User{{Name: "u", Password: "p"}}}, `payer "../etc"`},
		{"bad user payer", ServerConfig{Root: "x", Users: []User{{Name: "u", Password: "p", Payer: "a/b"}}}, `payer "a/b"`},
		{"shared password", ServerConfig{Root: "x", Users: []User{{Name: "u", Password: "sim-password-9", Payer: "A"}, {Name: "admin", Password: "sim-password-9"}}}, "users u and admin share a password"},
		{"shared key", ServerConfig{Root: "x", Users: []User{{Name: "u", AuthorizedKeys: []ssh.PublicKey{key}}, {Name: "v", Password: "p", AuthorizedKeys: []ssh.PublicKey{key}}}}, "users u and v share the key SHA256:"},
		{"negative size limit", ServerConfig{Root: "x", MaxFileSize: -1, Users: []User{{Name: "u", Password: "p"}}}, "MaxFileSize"},
		{"login delay", ServerConfig{Root: "x", LoginDelay: LoginDelay{Initial: time.Second, Max: time.Millisecond}, Users: []User{{Name: "u", Password: "p"}}}, "LoginDelay"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewServer(tc.cfg)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "sim-password") {
				t.Fatal("password in error")
			}
		})
	}
}

func TestDropRefusesUnsafeNames(t *testing.T) {
	t.Parallel()
	ts := setup(t)
	for _, name := range []string{"", ".", "..", "../x", "a/b"} {
		if err := ts.Drop("ACME", name, nil); err == nil {
			t.Errorf("Drop(%q) succeeded", name)
		}
	}
	if err := ts.Drop("../ACME", "x", nil); err == nil {
		t.Error("Drop to payer ../ACME succeeded")
	}
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/", "..", "/../..", "inbound/../../x", "a/./b//c", "/\x00", "../../../../etc/passwd"} {
		f.Add(s)
	}
	h := &fsHandler{user: &User{Name: "u", Payer: "ACME"}}
	f.Fuzz(func(t *testing.T, p string) {
		rel, err := h.resolve(p)
		if err != nil {
			return
		}
		if rel != "ACME" && !strings.HasPrefix(rel, "ACME/") {
			t.Fatalf("resolve(%q) = %q escapes the payer directory", p, rel)
		}
		if strings.Contains("/"+rel+"/", "/../") {
			t.Fatalf("resolve(%q) = %q has ..", p, rel)
		}
	})
}
