package transport_test

import (
	"bytes"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/transport/sftptest"
	"golang.org/x/crypto/ssh"
)

// TestOpenSSHInterop runs the client against Debian's OpenSSH sshd with
// internal-sftp: upload (temporary name, size check, posix-rename), listing,
// download and rename to the archive, host key pinning both ways.
// It fails, never skips, when sshd is missing or the test is not root.
func TestOpenSSHInterop(t *testing.T) {
	t.Parallel()
	sshd := sftptest.StartOpenSSH(t)
	remote := filepath.Join(sshd.Dir, "sftp")
	for _, d := range []string{"inbound", "outbound", "archive"} {
		if err := os.MkdirAll(filepath.Join(remote, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ep := transport.Endpoint{
		PayerID:     "OPENSSH",
		Host:        sshd.Host,
		Port:        sshd.Port,
		User:        sshd.User,
		Auth:        transport.Auth{PrivateKeyFile: sshd.ClientKeyFile},
		HostKey:     transport.HostKeyPin{KnownHostsFile: sshd.KnownHostsFile},
		UploadDir:   path.Join(remote, "inbound"),
		DownloadDir: path.Join(remote, "outbound"),
		ArchiveDir:  path.Join(remote, "archive"),
		Timeouts:    transport.Timeouts{Dial: 5 * time.Second, Operation: 10 * time.Second},
		Retry:       transport.RetryPolicy{MaxAttempts: 2, InitialBackoff: 10 * time.Millisecond},
	}
	h := newClient(t, ep)
	ctx := t.Context()

	claims := content(300_000)
	up, err := h.client.Upload(ctx, "claims.x12", bytes.NewReader(claims))
	if err != nil {
		t.Fatalf("upload to OpenSSH: %v\nsshd log:\n%s", err, sshd.Log())
	}
	if up.SHA256 != sha(claims) {
		t.Fatalf("upload result %+v", up)
	}
	// Replacing an existing file goes through posix-rename@openssh.com.
	if _, err := h.client.Upload(ctx, "claims.x12", bytes.NewReader([]byte("v2"))); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(remote, "inbound", "claims.x12")); string(b) != "v2" {
		t.Fatalf("inbound content %q", b)
	}
	if got := files(t, filepath.Join(remote, "inbound")); !slices.Equal(got, []string{"claims.x12"}) {
		t.Fatalf("inbound holds %v", got)
	}

	remit := content(200_000)
	for name, b := range map[string][]byte{"remit.835": remit, "ack.999": []byte("999"), ".partial.835": []byte("x")} {
		if err := os.WriteFile(filepath.Join(remote, "outbound", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.client.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].RemoteName != "ack.999" || got[1].RemoteName != "remit.835" || got[1].SHA256 != sha(remit) {
		t.Fatalf("poll returned %+v", got)
	}
	if b, _ := os.ReadFile(got[1].LocalPath); !bytes.Equal(b, remit) {
		t.Fatal("downloaded content differs")
	}
	if out := files(t, filepath.Join(remote, "outbound")); !slices.Equal(out, []string{".partial.835"}) {
		t.Fatalf("outbound after poll: %v", out)
	}
	if arch := files(t, filepath.Join(remote, "archive")); !slices.Equal(arch, []string{"ack.999", "remit.835"}) {
		t.Fatalf("archive after poll: %v", arch)
	}
	// Offered again: recorded before, not returned, archived again.
	if err := os.WriteFile(filepath.Join(remote, "outbound", "ack.999"), []byte("999"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := h.client.Poll(ctx); err != nil || len(got) != 0 {
		t.Fatalf("repeated file: %v %+v", err, got)
	}

	t.Run("fingerprint pin", func(t *testing.T) {
		e := ep
		e.HostKey = transport.HostKeyPin{Fingerprint: sshd.Fingerprint()}
		c := newClient(t, e)
		if _, err := c.client.Upload(ctx, "fp.x12", bytes.NewReader([]byte("x"))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong host key", func(t *testing.T) {
		e := ep
		e.HostKey = transport.HostKeyPin{Fingerprint: ssh.FingerprintSHA256(sftptest.NewKey(t).Public())}
		c := newClient(t, e)
		_, err := c.client.Upload(ctx, "never.x12", bytes.NewReader([]byte("x")))
		if !errors.Is(err, transport.ErrHostKeyMismatch) {
			t.Fatalf("error %v, want ErrHostKeyMismatch", err)
		}
	})
	t.Run("unauthorized key", func(t *testing.T) {
		e := ep
		e.Auth = transport.Auth{PrivateKeyEnv: "OTHER_KEY"}
		other := string(sftptest.NewKey(t).PEM(t, ""))
		c := newClient(t, e, func(o *transport.Options) { o.Getenv = func(string) string { return other } })
		_, err := c.client.Upload(ctx, "never.x12", bytes.NewReader([]byte("x")))
		if !errors.Is(err, transport.ErrAuth) {
			t.Fatalf("error %v, want ErrAuth", err)
		}
	})
	if _, err := os.Stat(filepath.Join(remote, "inbound", "never.x12")); err == nil {
		t.Fatal("a refused client uploaded")
	}
}
