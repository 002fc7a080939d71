package cli

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/clearhouse/clearhouse/paysim"
)

func TestPayersCheck(t *testing.T) {
	srv, err := paysim.NewServer(paysim.ServerConfig{Root: filepath.Join(t.TempDir(), "root"), Payers: []string{"KHP01"},
		Users: []paysim.User{{Name: "clearhouse", Password: "check-pw"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	port := fmt.Sprint(srv.Addr().(*net.TCPAddr).Port)
	pin := ssh.FingerprintSHA256(srv.HostKey())
	t.Setenv("CHECK_SFTP_PASSWORD", "check-pw")
	base := []string{"payers", "check", "KHP01", "--host", "127.0.0.1", "--port", port, "--sftp-password-env", "CHECK_SFTP_PASSWORD"}

	code, out, errOut := run(t, append(base, "--host-key-fingerprint", pin)...)
	if code != 0 || !strings.Contains(out, "connect") || !strings.Contains(out, pin) || strings.Contains(out, "FAILED") {
		t.Fatalf("check: %d %q %q", code, out, errOut)
	}
	if strings.Contains(out+errOut, "check-pw") {
		t.Fatal("the password is printed")
	}
	// The payer file's placeholder pin is not this server's key: refused at connect.
	code, out, _ = run(t, base...)
	if code != 1 || !strings.Contains(out, "connect  FAILED") {
		t.Fatalf("another host key: %d %q", code, out)
	}
	t.Setenv("CHECK_SFTP_PASSWORD", "wrong")
	code, out, _ = run(t, append(base, "--host-key-fingerprint", pin, "-o", "json")...)
	if code != 1 || !strings.Contains(out, `"ok": false`) || !strings.Contains(out, "refused the credentials") {
		t.Fatalf("wrong password: %d %q", code, out)
	}
	if code, _, errOut := run(t, "payers", "check", "NOSUCH"); code != 2 || !strings.Contains(errOut, "not in the payer registry") {
		t.Fatalf("unknown payer: %d %q", code, errOut)
	}
}
