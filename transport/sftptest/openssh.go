package sftptest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHDPath is where Debian's openssh-server installs the daemon.
const SSHDPath = "/usr/sbin/sshd"

// OpenSSH is a running sshd serving SFTP (internal-sftp) on a loopback port,
// with its own configuration, host key and authorized key. The login user
// is root, authenticated by ClientKey.
type OpenSSH struct {
	// Host and Port are where it listens.
	Host string
	Port int
	// Dir is its private directory (configuration, keys, log); tests may
	// create SFTP folders under it.
	Dir string
	// User is the login user ("root").
	User string
	// HostKey is the server's host key.
	HostKey Key
	// ClientKey is authorized to log in as User; ClientKeyFile holds it.
	ClientKey     Key
	ClientKeyFile string
	// KnownHostsFile pins HostKey for [Host]:Port.
	KnownHostsFile string

	cmd *exec.Cmd
	log *syncBuffer
}

// StartOpenSSH starts /usr/sbin/sshd -D -e -f <config> on a free loopback
// port and waits until it accepts connections. It stops at test cleanup.
// The test fails (never skips) when sshd is missing or when not running as
// root, which sshd needs for its privilege separation.
func StartOpenSSH(t testing.TB) *OpenSSH {
	t.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		t.Fatalf("OpenSSH interoperability test: %s is missing: install Debian's openssh-server package (make test does it through scripts/test-services.sh)", SSHDPath)
	}
	if os.Geteuid() != 0 {
		t.Fatalf("OpenSSH interoperability test: must run as root (sshd needs root for privilege separation); running as uid %d: run make test as root", os.Geteuid())
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("OpenSSH interoperability test: creating the privilege separation directory /run/sshd: %v", err)
	}

	dir := t.TempDir()
	// sshd refuses key files readable by others; the temp dir is 0700 already.
	s := &OpenSSH{Host: "127.0.0.1", Dir: dir, User: "root", HostKey: NewKey(t), ClientKey: NewKey(t)}
	hostKeyFile := filepath.Join(dir, "ssh_host_ed25519_key")
	s.HostKey.WritePrivate(t, hostKeyFile, "")
	s.ClientKeyFile = filepath.Join(dir, "client_ed25519")
	s.ClientKey.WritePrivate(t, s.ClientKeyFile, "")
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, s.ClientKey.AuthorizedKey(), 0o600); err != nil {
		t.Fatal(err)
	}

	s.Port = freePort(t)
	config := fmt.Sprintf(`Port %d
ListenAddress %s
HostKey %s
PidFile none
AuthorizedKeysFile %s
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
LogLevel VERBOSE
Subsystem sftp internal-sftp
`, s.Port, s.Host, hostKeyFile, authorized)
	configFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	s.KnownHostsFile = filepath.Join(dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, s.HostKey.Public())
	if err := os.WriteFile(s.KnownHostsFile, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	s.log = &syncBuffer{}
	s.cmd = exec.Command(SSHDPath, "-D", "-e", "-f", configFile)
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("OpenSSH interoperability test: starting %s: %v", SSHDPath, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("sshd log:\n%s", s.log.String())
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("OpenSSH interoperability test: sshd exited at start (%v):\n%s", err, s.log.String())
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("OpenSSH interoperability test: sshd did not accept connections on %s within 10s:\n%s", s.Addr(), s.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr is host:port.
func (s *OpenSSH) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Log returns what sshd has logged so far.
func (s *OpenSSH) Log() string { return s.log.String() }

// Fingerprint is the SHA-256 fingerprint of the host key.
func (s *OpenSSH) Fingerprint() string { return ssh.FingerprintSHA256(s.HostKey.Public()) }

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a bytes.Buffer safe for a writer and readers at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
