package transport_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/transport/sftptest"
	"golang.org/x/crypto/ssh"
)

func TestHostKeyPinning(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	other := sftptest.NewKey(t)
	addr := s.Addr().String()
	good := ssh.FingerprintSHA256(s.hostKey.Public())
	bad := ssh.FingerprintSHA256(other.Public())

	cases := []struct {
		name    string
		pin     func(t *testing.T) transport.HostKeyPin
		wantErr error
	}{
		{"fingerprint", func(*testing.T) transport.HostKeyPin { return transport.HostKeyPin{Fingerprint: good} }, nil},
		{"known_hosts", func(t *testing.T) transport.HostKeyPin {
			return transport.HostKeyPin{KnownHostsFile: writeKnownHosts(t, addr, s.hostKey.Public())}
		}, nil},
		{"known_hosts with an old and the current key", func(t *testing.T) transport.HostKeyPin {
			return transport.HostKeyPin{KnownHostsFile: writeKnownHosts(t, addr, other.Public(), s.hostKey.Public())}
		}, nil},
		{"changed key, fingerprint", func(*testing.T) transport.HostKeyPin { return transport.HostKeyPin{Fingerprint: bad} }, transport.ErrHostKeyMismatch},
		{"changed key, known_hosts", func(t *testing.T) transport.HostKeyPin {
			return transport.HostKeyPin{KnownHostsFile: writeKnownHosts(t, addr, other.Public())}
		}, transport.ErrHostKeyMismatch},
		{"unknown host", func(t *testing.T) transport.HostKeyPin {
			return transport.HostKeyPin{KnownHostsFile: writeKnownHosts(t, "[127.0.0.1]:1", s.hostKey.Public())}
		}, transport.ErrHostKeyUnknown},
		{"empty known_hosts", func(t *testing.T) transport.HostKeyPin {
			return transport.HostKeyPin{KnownHostsFile: writeKnownHosts(t, addr)}
		}, transport.ErrHostKeyUnknown},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ep := s.endpoint(s.port())
			ep.HostKey = tc.pin(t)
			h := newClient(t, ep)
			name := fmt.Sprintf("pin-%d.x12", i)
			_, err := h.client.Upload(t.Context(), name, bytes.NewReader([]byte("x")))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			var hke *transport.HostKeyError
			if !errors.As(err, &hke) || hke.Got != good {
				t.Fatalf("error %v does not name the presented key %s", err, good)
			}
			msg := err.Error()
			if !strings.Contains(msg, "refusing") || !strings.Contains(msg, good) {
				t.Fatalf("unclear message: %s", msg)
			}
			if errors.Is(tc.wantErr, transport.ErrHostKeyMismatch) && !strings.Contains(msg, bad) {
				t.Fatalf("mismatch message lacks the pinned fingerprint: %s", msg)
			}
			if h.waits.count() != 0 {
				t.Fatal("a refused host key was retried")
			}
			if _, err := os.Stat(filepath.Join(s.Dir(payer, "inbound"), name)); err == nil {
				t.Fatal("something was uploaded to an unverified server")
			}
		})
	}
}

func TestAuthMethods(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	dir := t.TempDir()
	plainKey := filepath.Join(dir, "id_plain")
	s.userKey.WritePrivate(t, plainKey, "")
	encKey := filepath.Join(dir, "id_enc")
	const passphrase = "open-sesame-4411"
	s.userKey.WritePrivate(t, encKey, passphrase)
	pwFile := filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte(userPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	passFile := filepath.Join(dir, "passphrase")
	if err := os.WriteFile(passFile, []byte(passphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PW":      userPassword,
		"KEY":     string(s.userKey.PEM(t, "")),
		"PASS":    passphrase,
		"BADPW":   "wrong-password-991",
		"BADPASS": "wrong-passphrase-992",
	}
	secrets := []string{userPassword, passphrase, "wrong-password-991", "wrong-passphrase-992", "PRIVATE KEY"}

	cases := []struct {
		name    string
		auth    transport.Auth
		wantErr error
	}{
		{"password from env", transport.Auth{PasswordEnv: "PW"}, nil},
		{"password from file", transport.Auth{PasswordFile: pwFile}, nil},
		{"key file", transport.Auth{PrivateKeyFile: plainKey}, nil},
		{"key from env", transport.Auth{PrivateKeyEnv: "KEY"}, nil},
		{"encrypted key, passphrase env", transport.Auth{PrivateKeyFile: encKey, PassphraseEnv: "PASS"}, nil},
		{"encrypted key, passphrase file", transport.Auth{PrivateKeyFile: encKey, PassphraseFile: passFile}, nil},
		{"wrong password", transport.Auth{PasswordEnv: "BADPW"}, transport.ErrAuth},
		{"unset variable", transport.Auth{PasswordEnv: "NOT_SET"}, transport.ErrAuth},
		{"missing file", transport.Auth{PasswordFile: filepath.Join(dir, "none")}, transport.ErrAuth},
		{"encrypted key, no passphrase", transport.Auth{PrivateKeyFile: encKey}, transport.ErrAuth},
		{"encrypted key, wrong passphrase", transport.Auth{PrivateKeyFile: encKey, PassphraseEnv: "BADPASS"}, transport.ErrAuth},
		{"not a key", transport.Auth{PrivateKeyFile: pwFile}, transport.ErrAuth},
		{"unknown key", transport.Auth{PrivateKeyEnv: "OTHERKEY"}, transport.ErrAuth},
	}
	env["OTHERKEY"] = string(sftptest.NewKey(t).PEM(t, ""))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ep := s.endpoint(s.port())
			ep.Auth = tc.auth
			h := newClient(t, ep, func(o *transport.Options) { o.Getenv = func(k string) string { return env[k] } })
			_, err := h.client.Upload(t.Context(), "x.x12", bytes.NewReader([]byte("x")))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				if h.waits.count() != 0 {
					t.Fatal("an authentication failure was retried")
				}
			}
			out := h.log.String()
			if err != nil {
				out += err.Error()
			}
			for _, secret := range secrets {
				if strings.Contains(out, secret) {
					t.Fatalf("secret %q appears in the error or the log:\n%s", secret, out)
				}
			}
		})
	}
}
