package transport

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/transport/sftptest"
	"golang.org/x/crypto/ssh"
)

// TestRenameWithoutPosixRename covers servers without posix-rename@openssh.com:
// a plain SFTP v3 rename refuses to replace, so the target is removed first.
func TestRenameWithoutPosixRename(t *testing.T) {
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
	for name, body := range map[string]string{"old": "old", "new": "new"} {
		if err := os.WriteFile(filepath.Join(srv.Dir("P", paysim.Inbound), name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := New(Endpoint{
		PayerID: "P", Host: "127.0.0.1", Port: srv.Addr().(*net.TCPAddr).Port,
		User: "u", Auth: Auth{PrivateKeyEnv: "K"},
		HostKey:   HostKeyPin{Fingerprint: ssh.FingerprintSHA256(hostKey.Public())},
		UploadDir: "/inbound", DownloadDir: "/outbound",
	}, Options{Getenv: func(string) string { return string(userKey.PEM(t, "")) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.posixRename = false
	if err := c.rename(s, "/inbound/new", "/inbound/old"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(srv.Dir("P", paysim.Inbound), "old"))
	if err != nil || string(b) != "new" {
		t.Fatalf("target holds %q (%v)", b, err)
	}
	if err := c.rename(s, "/inbound/missing", "/inbound/other"); err == nil {
		t.Fatal("renaming a missing file succeeded")
	}
}
