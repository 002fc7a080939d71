// Package paysim is the payer simulator: a payer's EDI gateway to test the
// clearinghouse against. Its SFTP server (this file and sftp*.go) keeps, for
// each payer, an inbound folder the clearinghouse uploads to, an outbound
// folder the payer drops responses into and an archive folder, under one root
// directory:
//
//	<root>/<payer>/inbound
//	<root>/<payer>/outbound
//	<root>/<payer>/archive
//
// When a file is completely written into a payer's inbound folder (renamed
// there, or closed after writing under a final name) the server calls
// ServerConfig.OnArrival; responders read the file and answer with Drop.
package paysim

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Folder is one of a payer's folders.
type Folder string

// The folders of each payer.
const (
	Inbound  Folder = "inbound"  // the clearinghouse uploads claims and inquiries here
	Outbound Folder = "outbound" // the payer drops responses here
	Archive  Folder = "archive"  // the clearinghouse moves fetched responses here
)

// ErrInvalidConfig is wrapped by every ServerConfig validation error.
var ErrInvalidConfig = errors.New("paysim: invalid configuration")

// User is an account on the simulator's SFTP server. Each user has its own
// credentials: no two users may share a password or a key, so no credential
// opens more than one account.
type User struct {
	// Name is the SSH user name.
	Name string
	// Password, when set, allows password (and keyboard-interactive) login.
	Password string
	// AuthorizedKeys are the public keys allowed to log in as this user.
	AuthorizedKeys []ssh.PublicKey
	// Payer, when set, confines the user to <root>/<Payer>: the user sees
	// /inbound, /outbound and /archive. Without it the user sees the whole
	// root: /<payer>/inbound and so on.
	Payer string
}

// String describes u without its password.
func (u User) String() string {
	scope := "every payer"
	if u.Payer != "" {
		scope = "payer " + u.Payer
	}
	return fmt.Sprintf("user %s (%s, password set: %t, %d keys)", u.Name, scope, u.Password != "", len(u.AuthorizedKeys))
}

// LogValue logs u without its password.
func (u User) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", u.Name), slog.String("payer", u.Payer),
		slog.Bool("password", u.Password != ""), slog.Int("keys", len(u.AuthorizedKeys)))
}

// DefaultMaxFileSize is ServerConfig.MaxFileSize's default: 64 MiB.
const DefaultMaxFileSize = 64 << 20

// Arrival is a file completely written into a payer's inbound folder.
type Arrival struct {
	Payer string
	// Name is the file name inside the inbound folder.
	Name string
	// Path is the file's local path.
	Path string
	Size int64
	// User is the SSH user that wrote it.
	User string
	// Time is when the server saw it complete (ServerConfig.Now).
	Time time.Time
}

// ServerConfig configures a Server.
type ServerConfig struct {
	// Addr is the TCP listen address. Default "127.0.0.1:0" (any free port).
	Addr string
	// Root is the directory holding the payers' folders. Required.
	Root string
	// Payers are created with their folders at start; the payers of Users
	// are added automatically.
	Payers []string
	// Users are the accounts. At least one is required.
	Users []User

	// HostKey is the server's host key. When nil, HostKeyPath is loaded, or
	// generated (ed25519) and written there when the file does not exist;
	// when both are empty an ed25519 key is generated in memory.
	HostKey     ssh.Signer
	HostKeyPath string

	// HandshakeTimeout bounds a connection's SSH handshake. Default 10s.
	HandshakeTimeout time.Duration
	// ArrivalQueue is how many arrivals may wait for OnArrival before
	// writers block. Default 64.
	ArrivalQueue int
	// MaxFileSize is the largest file a client may write, in bytes. A write
	// reaching past it fails with a "file too large" status naming the
	// limit, and the file is removed; it is never an arrival. Files are
	// written to disk as they come, never held in memory. Default
	// DefaultMaxFileSize.
	MaxFileSize int64
	// LoginDelay slows password guessing. Defaults: see LoginDelay.
	LoginDelay LoginDelay
	// Wall is the wall clock of login delays, which stays real when Now
	// is a simulated clock. Default time.Now.
	Wall func() time.Time
	// Sleep waits out login delays, returning early when ctx ends.
	// Default: a timer.
	Sleep func(ctx context.Context, d time.Duration)

	// OnArrival is called for each Arrival, one at a time, from a goroutine
	// the server owns; ctx ends when the server stops. Optional.
	OnArrival func(ctx context.Context, a Arrival)

	// Logger receives connection and file events (never passwords).
	// Default: discard.
	Logger *slog.Logger
	// Now is the clock for arrival times. Default time.Now.
	Now func() time.Time
}

// Server is the simulator's SFTP server.
type Server struct {
	cfg      ServerConfig
	log      *slog.Logger
	sshCfg   *ssh.ServerConfig
	hostKey  ssh.Signer
	root     *os.Root
	rootPath string
	users    map[string]*User
	throttle *loginThrottle

	mu       sync.Mutex
	started  bool
	ln       net.Listener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	arrivals chan Arrival
	runCtx   context.Context

	closeRoot sync.Once
}

// NewServer validates cfg, loads or generates the host key and creates the
// payers' folders. It does not listen; call Start.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.ArrivalQueue == 0 {
		cfg.ArrivalQueue = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxFileSize == 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	cfg.LoginDelay = cfg.LoginDelay.withDefaults()
	if cfg.Wall == nil {
		cfg.Wall = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}

	hostKey := cfg.HostKey
	if hostKey == nil {
		var err error
		hostKey, err = loadOrCreateHostKey(cfg.HostKeyPath)
		if err != nil {
			return nil, err
		}
	}

	rootPath, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("paysim: root %s: %w", cfg.Root, err)
	}
	if err := os.MkdirAll(rootPath, 0o755); err != nil {
		return nil, fmt.Errorf("paysim: creating root: %w", err)
	}
	payers := append([]string(nil), cfg.Payers...)
	for _, u := range cfg.Users {
		if u.Payer != "" {
			payers = append(payers, u.Payer)
		}
	}
	for _, p := range payers {
		for _, f := range []Folder{Inbound, Outbound, Archive} {
			if err := os.MkdirAll(filepath.Join(rootPath, p, string(f)), 0o755); err != nil {
				return nil, fmt.Errorf("paysim: creating folders of payer %s: %w", p, err)
			}
		}
	}
	root, err := os.OpenRoot(rootPath)
	if err != nil {
		return nil, fmt.Errorf("paysim: opening root: %w", err)
	}

	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		hostKey:  hostKey,
		root:     root,
		rootPath: rootPath,
		users:    make(map[string]*User, len(cfg.Users)),
		throttle: newLoginThrottle(cfg.LoginDelay, cfg.Wall),
	}
	for i := range cfg.Users {
		s.users[cfg.Users[i].Name] = &cfg.Users[i]
	}
	s.sshCfg = &ssh.ServerConfig{
		PasswordCallback:            s.checkPassword,
		PublicKeyCallback:           s.checkPublicKey,
		KeyboardInteractiveCallback: s.checkKeyboardInteractive,
		AuthLogCallback:             s.authenticated,
		ServerVersion:               "SSH-2.0-ClearhousePayerSim",
		MaxAuthTries:                6,
	}
	s.sshCfg.AddHostKey(hostKey)
	return s, nil
}

func (cfg *ServerConfig) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...)))
	}
	if cfg.Root == "" {
		bad("Root is required")
	}
	if len(cfg.Users) == 0 {
		bad("at least one user is required")
	}
	for _, p := range cfg.Payers {
		if err := checkPayerName(p); err != nil {
			bad("payer %q: %v", p, err)
		}
	}
	names := map[string]bool{}
	for i, u := range cfg.Users {
		switch {
		case u.Name == "":
			bad("user %d has no name", i+1)
		case names[u.Name]:
			bad("user %s is listed twice", u.Name)
		}
		names[u.Name] = true
		if u.Password == "" && len(u.AuthorizedKeys) == 0 {
			bad("user %s has neither a password nor an authorized key", u.Name)
		}
		if u.Payer != "" {
			if err := checkPayerName(u.Payer); err != nil {
				bad("user %s: payer %q: %v", u.Name, u.Payer, err)
			}
		}
	}
	if cfg.HandshakeTimeout < 0 {
		bad("HandshakeTimeout is negative")
	}
	if cfg.ArrivalQueue < 0 {
		bad("ArrivalQueue is negative")
	}
	if cfg.MaxFileSize < 0 {
		bad("MaxFileSize is negative")
	}
	if d := cfg.LoginDelay; d.Initial < 0 || d.Max < d.Initial || d.Forget < 0 {
		bad("LoginDelay: want 0 <= Initial <= Max and Forget >= 0")
	}
	errs = append(errs, sharedCredentials(cfg.Users)...)
	return errors.Join(errs...)
}

// sharedCredentials reports every password and key given to more than one
// user, naming the users (and a key's fingerprint), never the password.
func sharedCredentials(users []User) []error {
	var errs []error
	passwords := map[string]string{} // password -> first user
	keys := map[string]string{}      // marshaled key -> first user
	for _, u := range users {
		if u.Password != "" {
			if first, ok := passwords[u.Password]; ok && first != u.Name {
				errs = append(errs, fmt.Errorf("%w: users %s and %s share a password: each user needs its own", ErrInvalidConfig, first, u.Name))
			} else if !ok {
				passwords[u.Password] = u.Name
			}
		}
		for _, k := range u.AuthorizedKeys {
			if k == nil {
				errs = append(errs, fmt.Errorf("%w: user %s has a nil authorized key", ErrInvalidConfig, u.Name))
				continue
			}
			m := string(k.Marshal())
			if first, ok := keys[m]; ok && first != u.Name {
				errs = append(errs, fmt.Errorf("%w: users %s and %s share the key %s: each user needs its own", ErrInvalidConfig, first, u.Name, ssh.FingerprintSHA256(k)))
			} else if !ok {
				keys[m] = u.Name
			}
		}
	}
	return errs
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// checkPayerName accepts a payer ID usable as one directory name: letters,
// digits, '.', '_' and '-', not starting with '.'.
func checkPayerName(p string) error {
	if p == "" || strings.HasPrefix(p, ".") || len(p) > 80 {
		return errors.New("must be 1-80 characters, not starting with '.'")
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return errors.New("may hold only letters, digits, '.', '_' and '-'")
		}
	}
	return nil
}

// loadOrCreateHostKey loads the private key at path, or generates an
// ed25519 key and writes it there (mode 0600) when the file does not exist.
// An empty path generates a key in memory.
func loadOrCreateHostKey(path string) (ssh.Signer, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err == nil {
			signer, err := ssh.ParsePrivateKey(b)
			if err != nil {
				return nil, fmt.Errorf("paysim: host key %s is not an unencrypted private key: %w", path, err)
			}
			return signer, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("paysim: reading host key: %w", err)
		}
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("paysim: generating host key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("paysim: generating host key: %w", err)
	}
	if path != "" {
		block, err := ssh.MarshalPrivateKey(priv, "clearhouse paysim host key")
		if err != nil {
			return nil, fmt.Errorf("paysim: encoding host key: %w", err)
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return nil, fmt.Errorf("paysim: writing host key: %w", err)
		}
	}
	return signer, nil
}

// HostKey returns the server's public host key, to pin in clients.
func (s *Server) HostKey() ssh.PublicKey { return s.hostKey.PublicKey() }

// Root returns the absolute root directory.
func (s *Server) Root() string { return s.rootPath }

// Dir returns the local path of a payer's folder.
func (s *Server) Dir(payer string, f Folder) string {
	return filepath.Join(s.rootPath, payer, string(f))
}

// Addr returns the address the server listens on, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Start listens on the configured address and serves until ctx ends or
// Close is called. It returns once the listener is up.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("paysim: server already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("paysim: listening on %s: %w", s.cfg.Addr, err)
	}
	s.started = true
	s.ln = ln
	runCtx, cancel := context.WithCancel(ctx)
	s.runCtx = runCtx
	s.cancel = cancel
	s.arrivals = make(chan Arrival, s.cfg.ArrivalQueue)

	// The listener closes when the server stops, which ends the accept loop;
	// every connection closes with it (see serveConn).
	stop := context.AfterFunc(runCtx, func() { ln.Close() })
	s.wg.Go(func() {
		defer stop()
		s.acceptLoop(runCtx, ln)
	})
	if s.cfg.OnArrival != nil {
		s.wg.Go(func() { s.dispatch(runCtx) })
	}
	s.log.Info("paysim sftp listening", "addr", ln.Addr().String(), "root", s.rootPath,
		"host_key", ssh.FingerprintSHA256(s.hostKey.PublicKey()))
	return nil
}

// Close stops the server: no new connections, open ones closed, every
// goroutine finished; then Drop no longer works. It is safe to call more
// than once.
func (s *Server) Close() error {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
	var err error
	s.closeRoot.Do(func() { err = s.root.Close() })
	return err
}

// Wait blocks until the server has stopped (Close was called or the
// context given to Start ended) and every goroutine has finished.
func (s *Server) Wait() {
	s.mu.Lock()
	ctx := s.runCtx
	s.mu.Unlock()
	if ctx != nil {
		<-ctx.Done()
	}
	s.wg.Wait()
}

func (s *Server) acceptLoop(ctx context.Context, ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("paysim accept failed; server stopping", "err", err)
			}
			return
		}
		s.wg.Go(func() { s.serveConn(ctx, nc) })
	}
}

// dispatch calls OnArrival for each queued arrival, one at a time.
func (s *Server) dispatch(ctx context.Context) {
	for {
		select {
		case a := <-s.arrivals:
			s.cfg.OnArrival(ctx, a)
		case <-ctx.Done():
			return
		}
	}
}

// arrived queues an arrival; it blocks while the queue is full.
func (s *Server) arrived(ctx context.Context, a Arrival) {
	s.log.Info("paysim inbound file", "payer", a.Payer, "name", a.Name, "size", a.Size, "user", a.User)
	if s.cfg.OnArrival == nil {
		return
	}
	select {
	case s.arrivals <- a:
	case <-ctx.Done():
	}
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()

	nc.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	conn, chans, reqs, err := ssh.NewServerConn(nc, s.sshCfg)
	if err != nil {
		s.log.Info("paysim ssh handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
		return
	}
	nc.SetDeadline(time.Time{})
	defer conn.Close()
	user := s.users[conn.User()]
	log := s.log.With("user", conn.User(), "remote", nc.RemoteAddr().String())
	log.Debug("paysim ssh login")

	s.wg.Go(func() { ssh.DiscardRequests(reqs) })
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only session channels are served")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			log.Info("paysim channel accept failed", "err", err)
			continue
		}
		s.wg.Go(func() { s.serveSession(ctx, log, user, ch, chReqs) })
	}
}

// serveSession answers a session channel's requests: the "sftp" subsystem
// is served, everything else (shells, commands) refused.
func (s *Server) serveSession(ctx context.Context, log *slog.Logger, user *User, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	started := false
	for req := range reqs {
		ok := false
		if req.Type == "subsystem" && !started && subsystemName(req.Payload) == "sftp" {
			ok, started = true, true
			s.wg.Go(func() {
				err := s.serveSFTP(ctx, user, ch)
				status := uint32(0)
				if err != nil {
					log.Info("paysim sftp session ended", "err", err)
					status = 1
				}
				ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
				ch.Close()
			})
		}
		if req.WantReply {
			req.Reply(ok, nil)
		}
	}
}

// subsystemName decodes the payload of a "subsystem" request (RFC 4254 6.5).
func subsystemName(payload []byte) string {
	var p struct{ Name string }
	if err := ssh.Unmarshal(payload, &p); err != nil {
		return ""
	}
	return p.Name
}

// checkPassword checks a password attempt, after waiting out the delay the
// user's and the address's earlier failures imposed; a refusal is answered
// after a delay that doubles with each failure in a row (LoginDelay).
func (s *Server) checkPassword(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	u := s.users[meta.User()]
	name := ""
	if u != nil {
		name = u.Name
	}
	addr := remoteHost(meta.RemoteAddr())
	if wait := s.throttle.pending(name, addr); wait > 0 {
		s.cfg.Sleep(s.runCtx, wait)
	}
	if u != nil && u.Password != "" && samePassword(u.Password, password) {
		return &ssh.Permissions{}, nil
	}
	delay := s.throttle.failed(name, addr)
	s.log.Info("paysim password refused", s.userAttr(meta.User()), "remote", meta.RemoteAddr().String(), "delay", delay)
	s.cfg.Sleep(s.runCtx, delay)
	return nil, errors.New("password refused")
}

// checkHTTPPassword checks the user name and password of a real-time
// request to payer, with the delays of checkPassword (keyed on the user and
// "http", not an address): the user must exist, have that password and
// either reach every payer or be confined to this one.
func (s *Server) checkHTTPPassword(ctx context.Context, name, password, payer string) bool {
	u := s.users[name]
	if u == nil {
		name = ""
	}
	if wait := s.throttle.pending(name, "http"); wait > 0 {
		s.cfg.Sleep(ctx, wait)
	}
	if u != nil && u.Password != "" && samePassword(u.Password, []byte(password)) && (u.Payer == "" || u.Payer == payer) {
		s.throttle.succeeded(name, "http")
		return true
	}
	delay := s.throttle.failed(name, "http")
	s.log.Info("paysim real-time password refused", s.userAttr(name), "delay", delay)
	s.cfg.Sleep(ctx, delay)
	return false
}

// authenticated is called after each authentication attempt; a login that
// succeeded (by password or by a key whose signature checked) resets the
// delays of its user and address before the client hears of it.
func (s *Server) authenticated(meta ssh.ConnMetadata, _ string, err error) {
	if err == nil {
		s.throttle.succeeded(meta.User(), remoteHost(meta.RemoteAddr()))
	}
}

// samePassword compares in constant time, whatever the lengths.
func samePassword(want string, got []byte) bool {
	a, b := sha256.Sum256([]byte(want)), sha256.Sum256(got)
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// userAttr logs a login's user name when it is an account. Other names are
// left out: a password typed into the user name field must not reach the
// log.
func (s *Server) userAttr(name string) slog.Attr {
	if s.users[name] == nil {
		return slog.String("user", "(not an account)")
	}
	return slog.String("user", name)
}

func (s *Server) checkKeyboardInteractive(meta ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	answers, err := challenge("", "", []string{"Password: "}, []bool{false})
	if err != nil || len(answers) != 1 {
		return nil, errors.New("keyboard-interactive refused")
	}
	return s.checkPassword(meta, []byte(answers[0]))
}

func (s *Server) checkPublicKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	if u := s.users[meta.User()]; u != nil {
		got := key.Marshal()
		for _, k := range u.AuthorizedKeys {
			if subtle.ConstantTimeCompare(k.Marshal(), got) == 1 {
				return &ssh.Permissions{}, nil
			}
		}
	}
	s.log.Info("paysim public key refused", s.userAttr(meta.User()), "remote", meta.RemoteAddr().String(),
		"key", ssh.FingerprintSHA256(key))
	return nil, errors.New("public key refused")
}

// Drop writes content into a payer's outbound folder as name, atomically
// (a hidden temporary file, then rename), the way a payer publishes a
// response.
func (s *Server) Drop(payer, name string, content []byte) error {
	if err := checkPayerName(payer); err != nil {
		return fmt.Errorf("paysim: payer %q: %w", payer, err)
	}
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("paysim: unsafe file name %q", name)
	}
	dir := filepath.Join(payer, string(Outbound))
	tmp := filepath.Join(dir, "."+name+".drop")
	if err := s.root.WriteFile(tmp, content, 0o644); err != nil {
		return fmt.Errorf("paysim: dropping %s for %s: %w", name, payer, err)
	}
	if err := s.root.Rename(tmp, filepath.Join(dir, name)); err != nil {
		s.root.Remove(tmp)
		return fmt.Errorf("paysim: dropping %s for %s: %w", name, payer, err)
	}
	return nil
}
