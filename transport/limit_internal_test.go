package transport

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/transport/sftptest"
	"golang.org/x/crypto/ssh"
)

// listed is a directory entry as a listing reported it.
type listed struct {
	name string
	size int64
}

func (l listed) Name() string       { return l.name }
func (l listed) Size() int64        { return l.size }
func (l listed) Mode() fs.FileMode  { return 0o644 }
func (l listed) ModTime() time.Time { return time.Time{} }
func (l listed) IsDir() bool        { return false }
func (l listed) Sys() any           { return nil }

// TestFetchStopsAtLimit covers a file that grew past the limit after it was
// listed: the download stops one byte past the limit, nothing stays in the
// inbox and the error names the file and the limit.
func TestFetchStopsAtLimit(t *testing.T) {
	hostKey, userKey := sftptest.NewKey(t), sftptest.NewKey(t)
	srv, err := paysim.NewServer(paysim.ServerConfig{
		Root:    t.TempDir(),
		HostKey: hostKey.Signer,
		Users:   []paysim.User{{Name: "u", AuthorizedKeys: []ssh.PublicKey{userKey.Public()}, Payer: "P"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Drop("P", "grown.835", make([]byte, 10_000)); err != nil {
		t.Fatal(err)
	}
	inbox := t.TempDir()
	c, err := New(Endpoint{
		PayerID: "P", Host: "127.0.0.1", Port: srv.Addr().(*net.TCPAddr).Port,
		User: "u", Auth: Auth{PrivateKeyEnv: "K"},
		HostKey:   HostKeyPin{Fingerprint: ssh.FingerprintSHA256(hostKey.Public())},
		UploadDir: "/inbound", DownloadDir: "/outbound",
	}, Options{Getenv: func(string) string { return string(userKey.PEM(t, "")) }, MaxInboundSize: 1000,
		InboxDir: inbox, Recorder: nopRecorder{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.fetch(t.Context(), s, listed{"grown.835", 900})
	if !errors.Is(err, ErrTooLarge) || retryable(err) {
		t.Fatalf("err %v (retryable %v), want a permanent ErrTooLarge", err, retryable(err))
	}
	for _, want := range []string{"/outbound/grown.835", "limit of 1000 bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if entries, _ := os.ReadDir(inbox); len(entries) != 0 {
		t.Fatalf("inbox holds %v", entries)
	}
	if _, err := os.Stat(filepath.Join(srv.Dir("P", paysim.Outbound), "grown.835")); err != nil {
		t.Fatalf("the file left the server: %v", err)
	}
}

// nopRecorder records nothing.
type nopRecorder struct{}

func (nopRecorder) RecordInbound(context.Context, InboundFile) (bool, error) { return false, nil }
