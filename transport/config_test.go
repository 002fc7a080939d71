package transport_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/transport"
)

func validEndpoint() transport.Endpoint {
	return transport.Endpoint{
		PayerID:     "ACME",
		Host:        "sftp.acme.example",
		User:        "clinic42",
		Auth:        transport.Auth{PasswordEnv: "ACME_SFTP_PASSWORD"},
		HostKey:     transport.HostKeyPin{Fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"},
		UploadDir:   "/inbound",
		DownloadDir: "/outbound",
	}
}

func TestEndpointValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*transport.Endpoint)
		want   []string // substrings, each in the error; none means valid
	}{
		{"valid", func(*transport.Endpoint) {}, nil},
		{"valid with key and known_hosts", func(e *transport.Endpoint) {
			e.Auth = transport.Auth{PrivateKeyFile: "/etc/clearhouse/acme_ed25519", PassphraseEnv: "ACME_KEY_PASSPHRASE"}
			e.HostKey = transport.HostKeyPin{KnownHostsFile: "/etc/clearhouse/known_hosts"}
			e.ArchiveDir = "/outbound/archive"
		}, nil},
		{"empty", func(e *transport.Endpoint) { *e = transport.Endpoint{} }, []string{
			"PayerID: is required", "Host: is required", "User: is required", "Auth: set one of",
			"HostKey: set KnownHostsFile or Fingerprint", "UploadDir: is required", "DownloadDir: is required",
		}},
		{"bad port", func(e *transport.Endpoint) { e.Port = 70000 }, []string{"Port: 70000 is outside"}},
		{"bad host", func(e *transport.Endpoint) { e.Host = "a b" }, []string{"Host:"}},
		{"two passwords", func(e *transport.Endpoint) { e.Auth.PasswordFile = "/run/secrets/pw" }, []string{"only one of PasswordEnv and PasswordFile"}},
		{"password and key", func(e *transport.Endpoint) { e.Auth.PrivateKeyFile = "/k" }, []string{"not both"}},
		{"two keys", func(e *transport.Endpoint) {
			e.Auth = transport.Auth{PrivateKeyFile: "/k", PrivateKeyEnv: "K"}
		}, []string{"only one of PrivateKeyFile and PrivateKeyEnv"}},
		{"passphrase without key", func(e *transport.Endpoint) { e.Auth.PassphraseEnv = "P" }, []string{"no private key"}},
		{"two pins", func(e *transport.Endpoint) { e.HostKey.KnownHostsFile = "/kh" }, []string{"only one of KnownHostsFile and Fingerprint"}},
		{"md5 fingerprint", func(e *transport.Endpoint) {
			e.HostKey.Fingerprint = "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48"
		}, []string{`must start with "SHA256:"`}},
		{"short fingerprint", func(e *transport.Endpoint) { e.HostKey.Fingerprint = "SHA256:abc" }, []string{"not a base64 SHA-256"}},
		{"archive is download dir", func(e *transport.Endpoint) { e.ArchiveDir = "/outbound/" }, []string{"ArchiveDir: must differ"}},
		{"negative timeout", func(e *transport.Endpoint) { e.Timeouts.Dial = -time.Second }, []string{"Timeouts.Dial: is negative"}},
		{"retry", func(e *transport.Endpoint) {
			e.Retry = transport.RetryPolicy{MaxAttempts: -1, InitialBackoff: time.Second, MaxBackoff: time.Millisecond, Multiplier: 0.5, Jitter: 2}
		}, []string{"MaxAttempts: is negative", "MaxBackoff: is smaller", "Multiplier: must be at least 1", "Jitter: must be within"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := validEndpoint()
			tc.mutate(&e)
			err := e.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, transport.ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			var fe *transport.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v holds no FieldError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestNewRejectsInvalid(t *testing.T) {
	t.Parallel()
	e := validEndpoint()
	e.HostKey = transport.HostKeyPin{KnownHostsFile: "/nonexistent/known_hosts"}
	if _, err := transport.New(e, transport.Options{}); !errors.Is(err, transport.ErrInvalidConfig) || !strings.Contains(err.Error(), "known_hosts") {
		t.Fatalf("unreadable known_hosts: %v", err)
	}
	e = validEndpoint()
	if _, err := transport.New(e, transport.Options{InboxDir: t.TempDir()}); !errors.Is(err, transport.ErrInvalidConfig) {
		t.Fatalf("InboxDir without Recorder: %v", err)
	}
	if _, err := transport.New(e, transport.Options{InboxDir: "/nonexistent", Recorder: newMemRecorder()}); !errors.Is(err, transport.ErrInvalidConfig) {
		t.Fatalf("missing InboxDir: %v", err)
	}
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	e := validEndpoint().WithDefaults()
	if e.Port != 22 || e.Timeouts.Dial != transport.DefaultDialTimeout || e.Retry.MaxAttempts != transport.DefaultMaxAttempts ||
		e.Retry.Multiplier != 2 || e.Retry.Jitter != transport.DefaultJitter {
		t.Fatalf("defaults %+v", e)
	}
	if e.Address() != "sftp.acme.example:22" {
		t.Fatalf("address %s", e.Address())
	}
}
