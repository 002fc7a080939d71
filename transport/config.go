package transport

import (
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"
)

// Endpoint says how to reach one payer's SFTP drop. It holds no secrets:
// passwords, private keys and passphrases are named by file path or
// environment variable and read only when connecting.
type Endpoint struct {
	// PayerID identifies the payer in logs, metrics and inbound records.
	PayerID string
	// Host is the server's host name or IP address.
	Host string
	// Port is the server's TCP port; 0 means 22.
	Port int
	// User is the SSH user name.
	User string
	// Auth says where the credentials are.
	Auth Auth
	// HostKey pins the server's host key.
	HostKey HostKeyPin

	// UploadDir is the payer's inbound folder: claims and inquiries are
	// uploaded there.
	UploadDir string
	// DownloadDir is the payer's outbound folder: responses are polled there.
	DownloadDir string
	// ArchiveDir, when set, is where acknowledged files are moved after they
	// have been recorded. When empty the payer does not allow moving files and
	// acknowledged files are remembered instead.
	ArchiveDir string

	Timeouts Timeouts
	Retry    RetryPolicy
}

// Auth names the credentials of an Endpoint. Exactly one of the password
// sources or one of the private key sources is set.
type Auth struct {
	// PasswordEnv is the name of an environment variable holding the password.
	PasswordEnv string
	// PasswordFile is a file holding the password (trailing newline removed).
	PasswordFile string
	// PrivateKeyFile is a PEM or OpenSSH private key file.
	PrivateKeyFile string
	// PrivateKeyEnv is the name of an environment variable holding the key.
	PrivateKeyEnv string
	// PassphraseEnv names an environment variable holding the private key's
	// passphrase; PassphraseFile is a file holding it. Both optional.
	PassphraseEnv  string
	PassphraseFile string
}

// HostKeyPin pins the server's host key. Exactly one of KnownHostsFile and
// Fingerprint is set.
type HostKeyPin struct {
	// KnownHostsFile is an OpenSSH known_hosts file. For a port other than 22
	// the entry is written "[host]:port".
	KnownHostsFile string
	// Fingerprint is the SHA-256 fingerprint of the host key as OpenSSH prints
	// it: "SHA256:" followed by unpadded base64.
	Fingerprint string
	// Algorithms, when set, restricts the host key algorithms offered to the
	// server (e.g. "ssh-ed25519"). With a known_hosts file the algorithms of
	// the keys it lists for the host are used when this is empty.
	Algorithms []string
}

// Timeouts bound the network operations of a Client.
type Timeouts struct {
	// Dial bounds the TCP connection, the SSH handshake and the SFTP session
	// start. Default 15s.
	Dial time.Duration
	// Operation bounds one SFTP operation, including one whole file transfer.
	// Default 5m.
	Operation time.Duration
}

// RetryPolicy bounds the retries of an operation that failed for a reason
// that may pass (a dropped connection, a timeout, a size mismatch). Refused
// host keys, refused credentials and permission errors are not retried.
type RetryPolicy struct {
	// MaxAttempts counts the first try. Default 4.
	MaxAttempts int
	// InitialBackoff is the wait after the first failure. Default 500ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the wait. Default 30s.
	MaxBackoff time.Duration
	// Multiplier grows the wait after each failure. Default 2.
	Multiplier float64
	// Jitter is the fraction of each wait that is randomized, in [0,1]: a wait
	// w becomes a value in [w*(1-Jitter), w]. Default 0.2.
	Jitter float64
}

// Defaults for the zero values of Timeouts and RetryPolicy.
const (
	DefaultPort             = 22
	DefaultDialTimeout      = 15 * time.Second
	DefaultOperationTimeout = 5 * time.Minute
	DefaultMaxAttempts      = 4
	DefaultInitialBackoff   = 500 * time.Millisecond
	DefaultMaxBackoff       = 30 * time.Second
	DefaultMultiplier       = 2.0
	DefaultJitter           = 0.2
)

// WithDefaults returns e with the zero values of Port, Timeouts and Retry
// replaced by the defaults.
func (e Endpoint) WithDefaults() Endpoint {
	if e.Port == 0 {
		e.Port = DefaultPort
	}
	if e.Timeouts.Dial == 0 {
		e.Timeouts.Dial = DefaultDialTimeout
	}
	if e.Timeouts.Operation == 0 {
		e.Timeouts.Operation = DefaultOperationTimeout
	}
	if e.Retry.MaxAttempts == 0 {
		e.Retry.MaxAttempts = DefaultMaxAttempts
	}
	if e.Retry.InitialBackoff == 0 {
		e.Retry.InitialBackoff = DefaultInitialBackoff
	}
	if e.Retry.MaxBackoff == 0 {
		e.Retry.MaxBackoff = DefaultMaxBackoff
	}
	if e.Retry.Multiplier == 0 {
		e.Retry.Multiplier = DefaultMultiplier
	}
	if e.Retry.Jitter == 0 {
		e.Retry.Jitter = DefaultJitter
	}
	return e
}

// Address is host:port.
func (e Endpoint) Address() string {
	port := e.Port
	if port == 0 {
		port = DefaultPort
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(port))
}

// Validate checks e (after defaults are applied, zero values are fine) and
// returns every problem found, each a *FieldError wrapping ErrInvalidConfig.
func (e Endpoint) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(e.PayerID) == "" {
		bad("PayerID", "is required")
	}
	if strings.TrimSpace(e.Host) == "" {
		bad("Host", "is required")
	} else if strings.ContainsAny(e.Host, " /\t\n") {
		bad("Host", "%q is not a host name or IP address", e.Host)
	}
	if e.Port < 0 || e.Port > 65535 {
		bad("Port", "%d is outside 1-65535", e.Port)
	}
	if strings.TrimSpace(e.User) == "" {
		bad("User", "is required")
	}

	a := e.Auth
	passwords := count(a.PasswordEnv, a.PasswordFile)
	keys := count(a.PrivateKeyFile, a.PrivateKeyEnv)
	switch {
	case passwords+keys == 0:
		bad("Auth", "set one of PasswordEnv, PasswordFile, PrivateKeyFile or PrivateKeyEnv")
	case passwords > 1:
		bad("Auth", "set only one of PasswordEnv and PasswordFile")
	case keys > 1:
		bad("Auth", "set only one of PrivateKeyFile and PrivateKeyEnv")
	case passwords == 1 && keys == 1:
		bad("Auth", "set either a password source or a private key source, not both")
	}
	if count(a.PassphraseEnv, a.PassphraseFile) > 1 {
		bad("Auth", "set only one of PassphraseEnv and PassphraseFile")
	}
	if keys == 0 && count(a.PassphraseEnv, a.PassphraseFile) > 0 {
		bad("Auth", "a passphrase is set but no private key")
	}

	h := e.HostKey
	switch count(h.KnownHostsFile, h.Fingerprint) {
	case 0:
		bad("HostKey", "set KnownHostsFile or Fingerprint: the host key must be pinned")
	case 2:
		bad("HostKey", "set only one of KnownHostsFile and Fingerprint")
	}
	if h.Fingerprint != "" {
		if _, err := parseFingerprint(h.Fingerprint); err != nil {
			bad("HostKey.Fingerprint", "%v", err)
		}
	}

	checkDir := func(field, dir string, required bool) {
		switch {
		case dir == "" && required:
			bad(field, "is required")
		case dir == "":
		case strings.ContainsRune(dir, 0):
			bad(field, "contains a NUL byte")
		}
	}
	checkDir("UploadDir", e.UploadDir, true)
	checkDir("DownloadDir", e.DownloadDir, true)
	checkDir("ArchiveDir", e.ArchiveDir, false)
	if e.ArchiveDir != "" && path.Clean(e.ArchiveDir) == path.Clean(e.DownloadDir) {
		bad("ArchiveDir", "must differ from DownloadDir")
	}

	if e.Timeouts.Dial < 0 {
		bad("Timeouts.Dial", "is negative")
	}
	if e.Timeouts.Operation < 0 {
		bad("Timeouts.Operation", "is negative")
	}
	r := e.Retry
	if r.MaxAttempts < 0 {
		bad("Retry.MaxAttempts", "is negative")
	}
	if r.InitialBackoff < 0 || r.MaxBackoff < 0 {
		bad("Retry", "backoffs must not be negative")
	}
	if r.InitialBackoff > 0 && r.MaxBackoff > 0 && r.MaxBackoff < r.InitialBackoff {
		bad("Retry.MaxBackoff", "is smaller than InitialBackoff")
	}
	if r.Multiplier != 0 && r.Multiplier < 1 {
		bad("Retry.Multiplier", "must be at least 1")
	}
	if r.Jitter < 0 || r.Jitter > 1 {
		bad("Retry.Jitter", "must be within [0,1]")
	}
	return errors.Join(errs...)
}

func count(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}
