package transport

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// parseFingerprint checks an OpenSSH SHA-256 fingerprint ("SHA256:" and 43
// characters of unpadded base64) and returns it in canonical form.
func parseFingerprint(s string) (string, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "SHA256:")
	if !ok {
		return "", errors.New(`must start with "SHA256:" (OpenSSH's ssh-keygen -lf format)`)
	}
	rest = strings.TrimRight(rest, "=")
	sum, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(sum) != 32 {
		return "", errors.New("is not a base64 SHA-256 digest")
	}
	return "SHA256:" + rest, nil
}

// hostKeyPolicy is the host key check of one endpoint: the callback for
// ssh.ClientConfig and the algorithms to ask for.
type hostKeyPolicy struct {
	callback   ssh.HostKeyCallback
	algorithms []string
}

// newHostKeyPolicy builds the host key check pinned by pin for address
// (host:port). It never accepts an unknown key.
func newHostKeyPolicy(pin HostKeyPin, address string) (hostKeyPolicy, error) {
	if pin.Fingerprint != "" {
		want, err := parseFingerprint(pin.Fingerprint)
		if err != nil {
			return hostKeyPolicy{}, &FieldError{Field: "HostKey.Fingerprint", Reason: err.Error()}
		}
		cb := func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got := ssh.FingerprintSHA256(key)
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
				return nil
			}
			return &HostKeyError{Host: address, Got: got, Want: []string{want}, Err: ErrHostKeyMismatch}
		}
		return hostKeyPolicy{callback: cb, algorithms: pin.Algorithms}, nil
	}

	kh, err := knownhosts.New(pin.KnownHostsFile)
	if err != nil {
		return hostKeyPolicy{}, &FieldError{Field: "HostKey.KnownHostsFile", Reason: fmt.Sprintf("cannot be read: %v", err)}
	}
	cb := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := kh(hostname, remote, key)
		if err == nil {
			return nil
		}
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) {
			hke := &HostKeyError{Host: address, Got: ssh.FingerprintSHA256(key), Err: ErrHostKeyUnknown}
			for _, k := range ke.Want {
				hke.Want = append(hke.Want, ssh.FingerprintSHA256(k.Key))
			}
			if len(hke.Want) > 0 {
				hke.Err = ErrHostKeyMismatch
			}
			return hke
		}
		var re *knownhosts.RevokedError
		if errors.As(err, &re) {
			return &HostKeyError{Host: address, Got: ssh.FingerprintSHA256(key), Want: []string{"(key is marked @revoked)"}, Err: ErrHostKeyMismatch}
		}
		return fmt.Errorf("%w: %v", ErrHostKeyMismatch, err)
	}
	algs := pin.Algorithms
	if len(algs) == 0 {
		algs = knownAlgorithms(kh, address)
	}
	return hostKeyPolicy{callback: cb, algorithms: algs}, nil
}

// knownAlgorithms returns the host key algorithms of the keys kh lists for
// address, so the server is asked for a key type that is pinned rather than
// whatever it prefers. It asks kh about a throwaway key: the KeyError lists
// the keys known for the host.
func knownAlgorithms(kh ssh.HostKeyCallback, address string) []string {
	probe := probeKey{}
	tcp, err := net.ResolveTCPAddr("tcp", address)
	var remote net.Addr = &net.TCPAddr{}
	if err == nil {
		remote = tcp
	}
	var ke *knownhosts.KeyError
	if err := kh(address, remote, probe); !errors.As(err, &ke) {
		return nil
	}
	var algs []string
	seen := map[string]bool{}
	add := func(names ...string) {
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				algs = append(algs, n)
			}
		}
	}
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algs
}

// probeKey is a public key that matches nothing.
type probeKey struct{}

func (probeKey) Type() string                        { return "clearhouse-probe" }
func (probeKey) Marshal() []byte                     { return []byte("clearhouse-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe key") }
