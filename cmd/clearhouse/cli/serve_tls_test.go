package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// and returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "clearhouse test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// TestServeTLS: with --tls-cert and --tls-key serve answers HTTPS only,
// /healthz, /riverui and /fhir/r4 alike, to a client that trusts the
// certificate; TLS 1.1 and plain HTTP are refused.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	var stdout, stderr syncBuffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string {
		if k == "SERVE_TLS_TEST_PASSWORD" {
			return "not-used"
		}
		return ""
	}}
	root := NewRootCmd(env)
	root.SetArgs([]string{"--database", filepath.Join(t.TempDir(), "tls.db"), "serve", "--migrate", "--profile", "testdata/charges/profile.yaml",
		"--listen", "127.0.0.1:0", "--sftp-password-env", "SERVE_TLS_TEST_PASSWORD", "--no-poll", "--no-nightly", "--shutdown-timeout", "2s",
		"--log-format", "text", "--tokens", serveTokens(t), "--tls-cert", certFile, "--tls-key", keyFile})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == ""; {
		if m := servingAddr.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended before serving: exit %d: %v\nstderr:\n%s", exitCode(err), err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start; stderr:\n%s", stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "addr=https://"+addr) {
		t.Errorf("serving line does not say https:\n%s", stderr.String())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/healthz", "", http.StatusOK},
		{"/riverui", "ola-0123456789abcdef", http.StatusOK},
		{"/riverui", "bo-0123456789abcdef", http.StatusForbidden},
		{"/fhir/r4/metadata", "bo-0123456789abcdef", http.StatusOK},
		{"/fhir/r4/metadata", "", http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s over TLS: %v", tc.path, err)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
			t.Errorf("%s: %d (TLS %+v), want %d over TLS 1.2+", tc.path, resp.StatusCode, resp.TLS != nil, tc.want)
		}
	}
	// TLS 1.1 is refused at the handshake.
	old, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	if err == nil {
		old.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}
	// Plain HTTP gets no answer of the API.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200")
		}
	}
	cancel()
	select {
	case err := <-done:
		if c := exitCode(err); c != 0 {
			t.Fatalf("serve exit %d: %v\nstderr:\n%s", c, err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServePlainHTTPOffLoopback: without a certificate serve refuses a
// non-loopback --listen address unless --insecure-http is given, and then
// warns; --tls-cert wants --tls-key.
func TestServePlainHTTPOffLoopback(t *testing.T) {
	t.Setenv("SERVE_PLAIN_TEST_PASSWORD", "x")
	certFile, _, _ := selfSigned(t)
	base := func(listen string, extra ...string) []string {
		return append([]string{"--database", filepath.Join(t.TempDir(), "p.db"), "serve", "--migrate", "--profile", "testdata/charges/profile.yaml",
			"--listen", listen, "--sftp-password-env", "SERVE_PLAIN_TEST_PASSWORD", "--no-poll", "--serve-for", "200ms", "--log-format", "text"}, extra...)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"every interface", base("0.0.0.0:0"), 2, "--listen 0.0.0.0:0 is not a loopback address"},
		{"empty host", base(":0"), 2, "is not a loopback address"},
		{"cert without key", base("127.0.0.1:0", "--tls-cert", certFile), 2, "--tls-cert and --tls-key: give both, or neither"},
		{"insecure", base("0.0.0.0:0", "--insecure-http"), 0, "serving plain HTTP on a non-loopback address"},
		{"loopback", base("127.0.0.1:0"), 0, "msg=serving"},
		{"localhost", base("localhost:0"), 0, "msg=serving"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, errOut)
			}
			if tc.name == "loopback" && strings.Contains(errOut, "plain HTTP") {
				t.Errorf("warned on loopback:\n%s", errOut)
			}
		})
	}
}
