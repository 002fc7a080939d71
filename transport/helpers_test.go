package transport_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/transport/sftptest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

const (
	payer        = "ACME"
	userName     = "clearhouse"
	userPassword = "correct-horse-battery-staple-7731"
	passwordEnv  = "TEST_SFTP_PASSWORD"
)

// memRecorder is an in-memory transport.InboundRecorder.
type memRecorder struct {
	mu    sync.Mutex
	files map[string]transport.InboundFile
	calls int
	err   error
}

func newMemRecorder() *memRecorder {
	return &memRecorder{files: map[string]transport.InboundFile{}}
}

func (r *memRecorder) RecordInbound(_ context.Context, f transport.InboundFile) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.err != nil {
		return false, r.err
	}
	key := f.PayerID + "\x00" + f.RemoteName + "\x00" + strconv.FormatInt(f.Size, 10) + "\x00" + f.SHA256
	if _, ok := r.files[key]; ok {
		return true, nil
	}
	r.files[key] = f
	return false, nil
}

func (r *memRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.files)
}

// sim is a running payer simulator and a way to reach it.
type sim struct {
	*paysim.Server
	root     string
	hostKey  sftptest.Key
	userKey  sftptest.Key
	arrivals chan paysim.Arrival
}

// startSim starts the simulator on addr ("" for any port) over root ("" for
// a new directory) with host key hk, with the changes of mutate applied to
// its configuration.
func startSim(t testing.TB, addr, root string, hk sftptest.Key, userKey sftptest.Key, mutate ...func(*paysim.ServerConfig)) *sim {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	s := &sim{root: root, hostKey: hk, userKey: userKey, arrivals: make(chan paysim.Arrival, 64)}
	cfg := paysim.ServerConfig{
		Addr:    addr,
		Root:    root,
		HostKey: hk.Signer,
		Users: []paysim.User{{
			Name: userName, Password: userPassword, Payer: payer,
			AuthorizedKeys: []ssh.PublicKey{userKey.Public()},
		}},
		OnArrival: func(_ context.Context, a paysim.Arrival) { s.arrivals <- a },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := paysim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	s.Server = srv
	return s
}

func newSim(t testing.TB) *sim {
	t.Helper()
	return startSim(t, "", "", sftptest.NewKey(t), sftptest.NewKey(t))
}

// startSimWith starts a simulator with the changes of mutate applied to its
// configuration.
func startSimWith(t testing.TB, mutate ...func(*paysim.ServerConfig)) *sim {
	t.Helper()
	return startSim(t, "", "", sftptest.NewKey(t), sftptest.NewKey(t), mutate...)
}

func (s *sim) port() int { return s.Addr().(*net.TCPAddr).Port }

// endpoint returns a password endpoint for the simulator reached on port,
// pinned by fingerprint, with fast retries.
func (s *sim) endpoint(port int) transport.Endpoint {
	return transport.Endpoint{
		PayerID:     payer,
		Host:        "127.0.0.1",
		Port:        port,
		User:        userName,
		Auth:        transport.Auth{PasswordEnv: passwordEnv},
		HostKey:     transport.HostKeyPin{Fingerprint: ssh.FingerprintSHA256(s.hostKey.Public())},
		UploadDir:   "/inbound",
		DownloadDir: "/outbound",
		ArchiveDir:  "/archive",
		Timeouts:    transport.Timeouts{Dial: 5 * time.Second, Operation: 10 * time.Second},
		Retry:       transport.RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
	}
}

// waits records the backoffs a client asked for, without sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.d)
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// harness is a client and what it was made with.
type harness struct {
	client   *transport.Client
	recorder *memRecorder
	inbox    string
	waits    *waits
	log      *syncBuffer
}

func newClient(t testing.TB, ep transport.Endpoint, mutate ...func(*transport.Options)) *harness {
	t.Helper()
	h := &harness{recorder: newMemRecorder(), inbox: t.TempDir(), waits: &waits{}, log: &syncBuffer{}}
	opts := transport.Options{
		Logger:   slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Recorder: h.recorder,
		InboxDir: h.inbox,
		Getenv: func(k string) string {
			if k == passwordEnv {
				return userPassword
			}
			return ""
		},
		Sleep: h.waits.sleep,
		Rand:  rand.New(rand.NewPCG(1, 2)),
	}
	for _, m := range mutate {
		m(&opts)
	}
	c, err := transport.New(ep, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	h.client = c
	return h
}

func content(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte('A' + r.IntN(26))
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// files lists the names in dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func writeKnownHosts(t *testing.T, addr string, keys ...ssh.PublicKey) string {
	t.Helper()
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(knownhosts.Line([]string{knownhosts.Normalize(addr)}, k))
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
