package cli

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestPaysimServes(t *testing.T) {
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "authorized_keys")
	content := "# clinic keys\n" + string(ssh.MarshalAuthorizedKey(signer.PublicKey())) + "# end\n"
	if err := os.WriteFile(keys, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	code, out, errOut := run(t, "paysim", "--listen", "127.0.0.1:0", "--root", root,
		"--host-key", filepath.Join(dir, "host_key"), "--user", "clinic42:ACME", "--payer", "GLOBEX",
		"--authorized-keys", keys, "--serve-for", "100ms")
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"SFTP listening on 127.0.0.1:", "host key SHA256:", "known_hosts: [127.0.0.1]:", "paysim: stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, d := range []string{"ACME/inbound", "ACME/outbound", "ACME/archive", "GLOBEX/inbound"} {
		if st, err := os.Stat(filepath.Join(root, d)); err != nil || !st.IsDir() {
			t.Errorf("folder %s missing", d)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "host_key")); err != nil {
		t.Errorf("host key not saved: %v", err)
	}
}

func TestPaysimUsage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"paysim", "--user", "u:ACME", "--password-env", "NO_SUCH_VARIABLE_FOR_TEST"}, "no credentials"},
		{[]string{"paysim", "--authorized-keys", "/nonexistent/keys", "--user", "u"}, "authorized keys"},
	}
	for _, tc := range cases {
		code, _, errOut := run(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: code %d, stderr %q", tc.args, code, errOut)
		}
	}
}
