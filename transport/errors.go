package transport

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package that falls in one of
// these classes wraps the sentinel, so callers test with errors.Is.
var (
	// ErrInvalidConfig: an Endpoint or Options value failed validation.
	ErrInvalidConfig = errors.New("transport: invalid configuration")
	// ErrHostKeyUnknown: the server presented a host key and nothing pins a key
	// for that host.
	ErrHostKeyUnknown = errors.New("transport: unknown host key")
	// ErrHostKeyMismatch: the server presented a host key different from the
	// pinned one (a changed key or a man in the middle).
	ErrHostKeyMismatch = errors.New("transport: host key mismatch")
	// ErrAuth: the server refused every authentication method offered, or the
	// credentials could not be read.
	ErrAuth = errors.New("transport: authentication failed")
	// ErrSizeMismatch: a transferred file does not have the expected size.
	ErrSizeMismatch = errors.New("transport: size mismatch")
	// ErrTimeout: an operation ran past its configured timeout.
	ErrTimeout = errors.New("transport: operation timed out")
	// ErrUnsafeName: a remote or local file name is empty, has a path
	// separator, or is "." or "..".
	ErrUnsafeName = errors.New("transport: unsafe file name")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("transport: client closed")
	// ErrTooLarge: an inbound file is larger than Options.MaxInboundSize.
	ErrTooLarge = errors.New("transport: file too large")
)

// FieldError reports one invalid configuration field. It wraps
// ErrInvalidConfig. Value is never a secret: secrets are referenced by file
// path or environment variable name, and those names are what is shown.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("transport: invalid configuration: %s: %s", e.Field, e.Reason)
}

func (e *FieldError) Unwrap() error { return ErrInvalidConfig }

// HostKeyError describes a refused host key. It wraps ErrHostKeyUnknown or
// ErrHostKeyMismatch.
type HostKeyError struct {
	// Host is the address dialed, host:port.
	Host string
	// Got is the SHA-256 fingerprint of the key the server presented.
	Got string
	// Want lists the pinned fingerprints (empty when the host is unknown).
	Want []string
	Err  error
}

func (e *HostKeyError) Error() string {
	if errors.Is(e.Err, ErrHostKeyUnknown) {
		return fmt.Sprintf("transport: refusing %s: host key %s is not pinned (add it to the known_hosts file or the payer's host key fingerprint)", e.Host, e.Got)
	}
	return fmt.Sprintf("transport: refusing %s: host key changed: server presented %s, pinned %s", e.Host, e.Got, strings.Join(e.Want, ", "))
}

func (e *HostKeyError) Unwrap() error { return e.Err }

// OpError is the error of one Client operation after its retries: the
// operation, the payer, the remote path, how many attempts were made and the
// last error.
type OpError struct {
	Op       string
	Payer    string
	Path     string
	Attempts int
	Err      error
}

func (e *OpError) Error() string {
	var b strings.Builder
	b.WriteString("transport: ")
	b.WriteString(e.Op)
	if e.Payer != "" {
		b.WriteString(" payer ")
		b.WriteString(e.Payer)
	}
	if e.Path != "" {
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *OpError) Unwrap() error { return e.Err }
