package transport

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Options are the runtime dependencies of a Client. The zero value works for
// uploads; Poll also needs Recorder and InboxDir.
type Options struct {
	// Logger receives operational events (never credentials). Default: discard.
	Logger *slog.Logger
	// Metrics receives transfer counts, failures and latencies. Default: a
	// private unregistered set.
	Metrics *Metrics
	// Recorder records each downloaded file before it is acknowledged.
	Recorder InboundRecorder
	// InboxDir is the local directory downloaded files are written to.
	InboxDir string
	// MaxInboundSize is the largest file Poll downloads, in bytes. A larger
	// file is neither downloaded nor recorded nor acknowledged: it stays on
	// the server and Poll reports it with ErrTooLarge, naming the file and
	// the limit. Downloads stream to InboxDir in any case; the limit keeps
	// what the rest of the system reads bounded. Default
	// DefaultMaxInboundSize.
	MaxInboundSize int64

	// Getenv reads credentials named by environment variable. Default os.Getenv.
	Getenv func(string) string
	// Now is the clock for received times and latencies. Default time.Now.
	Now func() time.Time
	// Sleep waits between retries; it returns early with ctx's error.
	// Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand randomizes backoff jitter and temporary names. Default: seeded from
	// crypto/rand. A Client uses it from one goroutine at a time.
	Rand *rand.Rand
	// DialContext opens the TCP connection. Default: net.Dialer.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
}

// DefaultMaxInboundSize is Options.MaxInboundSize's default: 64 MiB.
const DefaultMaxInboundSize = 64 << 20

// Client exchanges files with one payer's SFTP server. It keeps one SSH
// connection open between operations and reconnects when it drops.
// Operations on one Client run one at a time; a Client is safe for concurrent
// use.
type Client struct {
	ep      Endpoint
	opts    Options
	log     *slog.Logger
	metrics *Metrics

	opMu sync.Mutex // serializes operations; guards remembered and staleTemps

	// remembered holds the files acknowledged without an archive folder,
	// by name, so they are not downloaded again on every poll.
	remembered map[string]remoteStamp
	// staleTemps are temporary upload names left by failed attempts, removed
	// once a connection is up again.
	staleTemps []string

	mu     sync.Mutex // guards conn and closed
	conn   *session
	closed bool
}

// session is one SSH connection with its SFTP client.
type session struct {
	ssh         *ssh.Client
	sftp        *sftp.Client
	posixRename bool
	// hostKey is the key the server showed (and the pin accepted).
	hostKey   ssh.PublicKey
	closeOnce sync.Once
}

func (s *session) close() {
	s.closeOnce.Do(func() {
		// The network connection first: closing the SFTP client waits for
		// its reader, which only a closed connection unblocks when the
		// server has stopped answering.
		s.ssh.Close()
		s.sftp.Close()
	})
}

// New returns a Client for ep. It validates ep (after defaults) and checks
// that the host key pin can be read; it does not connect.
func New(ep Endpoint, opts Options) (*Client, error) {
	ep = ep.WithDefaults()
	if err := ep.Validate(); err != nil {
		return nil, err
	}
	if (opts.Recorder == nil) != (opts.InboxDir == "") {
		return nil, &FieldError{Field: "Options", Reason: "Recorder and InboxDir go together: set both to poll, or neither"}
	}
	if opts.MaxInboundSize < 0 {
		return nil, &FieldError{Field: "Options.MaxInboundSize", Reason: fmt.Sprintf("%d is negative", opts.MaxInboundSize)}
	}
	if opts.MaxInboundSize == 0 {
		opts.MaxInboundSize = DefaultMaxInboundSize
	}
	if opts.InboxDir != "" {
		st, err := os.Stat(opts.InboxDir)
		if err != nil || !st.IsDir() {
			return nil, &FieldError{Field: "Options.InboxDir", Reason: fmt.Sprintf("%s is not a directory", opts.InboxDir)}
		}
	}
	if _, err := newHostKeyPolicy(ep.HostKey, ep.Address()); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		m, err := NewMetrics(nil)
		if err != nil {
			return nil, err
		}
		opts.Metrics = m
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Rand == nil {
		var seed [16]byte
		crand.Read(seed[:])
		opts.Rand = rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	}
	if opts.DialContext == nil {
		var d net.Dialer
		opts.DialContext = d.DialContext
	}
	return &Client{
		ep:         ep,
		opts:       opts,
		log:        opts.Logger.With("payer", ep.PayerID, "server", ep.Address()),
		metrics:    opts.Metrics,
		remembered: make(map[string]remoteStamp),
	}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Endpoint returns the endpoint with defaults applied.
func (c *Client) Endpoint() Endpoint { return c.ep }

// Close closes the connection. An operation in flight fails with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn != nil {
		c.conn.close()
		c.conn = nil
	}
	return nil
}

// connect returns the open session, dialing when there is none.
func (c *Client) connect(ctx context.Context) (*session, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	if s := c.conn; s != nil {
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()

	start := c.opts.Now()
	s, err := c.dial(ctx)
	c.metrics.observe(c.ep.PayerID, OpDial, c.opts.Now().Sub(start))
	if err != nil {
		c.metrics.failed(c.ep.PayerID, OpDial)
		return nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		s.close()
		return nil, ErrClosed
	}
	c.conn = s
	c.log.Debug("sftp connected", "posix_rename", s.posixRename)
	return s, nil
}

// drop closes s and forgets it, so the next operation reconnects.
func (c *Client) drop(s *session) {
	s.close()
	c.mu.Lock()
	if c.conn == s {
		c.conn = nil
	}
	c.mu.Unlock()
}

func (c *Client) dial(ctx context.Context) (*session, error) {
	address := c.ep.Address()
	policy, err := newHostKeyPolicy(c.ep.HostKey, address)
	if err != nil {
		return nil, err
	}
	auth, err := authMethods(c.ep.Auth, c.opts.Getenv)
	if err != nil {
		return nil, err
	}

	dctx, cancel := context.WithTimeout(ctx, c.ep.Timeouts.Dial)
	defer cancel()
	timedOut := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if dctx.Err() != nil {
			return fmt.Errorf("%w: connecting to %s took longer than %v", ErrTimeout, address, c.ep.Timeouts.Dial)
		}
		return err
	}

	nc, err := c.opts.DialContext(dctx, "tcp", address)
	if err != nil {
		return nil, timedOut(err)
	}
	// Until the session is up, the deadline closes the connection.
	stop := context.AfterFunc(dctx, func() { nc.Close() })

	var hostKeyErr error
	var shown ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User: c.ep.User,
		Auth: auth,
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			shown = key
			hostKeyErr = policy.callback(host, remote, key)
			return hostKeyErr
		},
		HostKeyAlgorithms: policy.algorithms,
		ClientVersion:     "SSH-2.0-Clearhouse",
		Timeout:           c.ep.Timeouts.Dial,
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, address, cfg)
	if err != nil {
		stop()
		nc.Close()
		switch {
		case hostKeyErr != nil:
			c.log.Error("sftp host key refused", "err", hostKeyErr)
			return nil, hostKeyErr
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, fmt.Errorf("%w: %s refused the credentials of user %s", ErrAuth, address, c.ep.User)
		}
		return nil, timedOut(err)
	}
	sshClient := ssh.NewClient(sc, chans, reqs)
	sc2, err := sftp.NewClient(sshClient)
	if !stop() {
		sshClient.Close()
		if err == nil {
			sc2.Close()
		}
		return nil, timedOut(errors.New("connection closed during SFTP start"))
	}
	if err != nil {
		sshClient.Close()
		return nil, fmt.Errorf("starting the SFTP subsystem on %s: %w", address, err)
	}
	_, posix := sc2.HasExtension("posix-rename@openssh.com")
	return &session{ssh: sshClient, sftp: sc2, posixRename: posix, hostKey: shown}, nil
}

// guard runs fn under the operation timeout: when ctx ends or the timeout
// passes, the connection is closed, which unblocks fn.
func (c *Client) guard(ctx context.Context, s *session, fn func() error) error {
	octx, cancel := context.WithTimeout(ctx, c.ep.Timeouts.Operation)
	defer cancel()
	stop := context.AfterFunc(octx, s.close)
	err := fn()
	if stop() {
		return err
	}
	c.drop(s)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w: no answer within %v", ErrTimeout, c.ep.Timeouts.Operation)
}

// retry runs attempt until it succeeds, fails permanently or the policy's
// attempts are spent, sleeping with backoff in between. It returns the
// number of attempts made.
func (c *Client) retry(ctx context.Context, op, target string, attempt func(ctx context.Context, s *session) error) (int, error) {
	for n := 1; ; n++ {
		start := c.opts.Now()
		s, err := c.connect(ctx)
		if err == nil {
			err = attempt(ctx, s)
			c.metrics.observe(c.ep.PayerID, op, c.opts.Now().Sub(start))
			if err == nil {
				return n, nil
			}
			c.metrics.failed(c.ep.PayerID, op)
			// A fresh connection for the next attempt: the failure may have
			// left this one half-dead.
			c.drop(s)
		}
		if c.isClosed() {
			err = ErrClosed
		}
		if !retryable(err) || n >= c.ep.Retry.MaxAttempts || ctx.Err() != nil {
			return n, &OpError{Op: op, Payer: c.ep.PayerID, Path: target, Attempts: n, Err: err}
		}
		wait := backoff(c.ep.Retry, n, c.opts.Rand.Float64())
		c.log.Warn("sftp operation failed, retrying", "op", op, "path", target, "attempt", n, "wait", wait, "err", err)
		if serr := c.opts.Sleep(ctx, wait); serr != nil {
			return n, &OpError{Op: op, Payer: c.ep.PayerID, Path: target, Attempts: n, Err: serr}
		}
	}
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// backoff is the wait after failed attempt n (1-based): InitialBackoff grown
// by Multiplier per attempt, capped at MaxBackoff, with the Jitter fraction
// randomized by u in [0,1).
func backoff(p RetryPolicy, n int, u float64) time.Duration {
	w := float64(p.InitialBackoff)
	for i := 1; i < n && w < float64(p.MaxBackoff); i++ {
		w *= p.Multiplier
	}
	w = min(w, float64(p.MaxBackoff))
	w -= w * p.Jitter * u
	return time.Duration(w)
}

// permanentError marks an error that retrying cannot fix (a local file
// problem, a refused recorder).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// retryable reports whether an attempt that failed with err may succeed
// when tried again.
func retryable(err error) bool {
	var pe permanentError
	var se *sftp.StatusError
	switch {
	case errors.As(err, &pe),
		errors.Is(err, ErrHostKeyUnknown), errors.Is(err, ErrHostKeyMismatch),
		errors.Is(err, ErrAuth), errors.Is(err, ErrInvalidConfig),
		errors.Is(err, ErrUnsafeName), errors.Is(err, ErrClosed),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist):
		return false
	case errors.As(err, &se):
		// SSH_FX_OP_UNSUPPORTED (8) will not change; SSH_FX_FAILURE and the
		// connection codes may.
		return se.FxCode() != sftp.ErrSSHFxOpUnsupported
	}
	return true
}

// checkName accepts a plain file name: not empty, no path separator, not
// "." or "..", no NUL or control characters.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\") {
		return fmt.Errorf("%w: %q", ErrUnsafeName, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q", ErrUnsafeName, name)
		}
	}
	return nil
}

// tempSuffix returns 8 random hex digits.
func (c *Client) tempSuffix() string {
	return fmt.Sprintf("%08x", c.opts.Rand.Uint32())
}
