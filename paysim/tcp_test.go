package paysim

import (
	"bytes"
	"context"
	"net"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/clearhouse/clearhouse/edi/x270"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/transport"
)

// seenFiles is an in-memory transport.InboundRecorder.
type seenFiles struct {
	mu    sync.Mutex
	files map[string]bool
}

func (s *seenFiles) RecordInbound(_ context.Context, f transport.InboundFile) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := f.RemoteName + "\x00" + f.SHA256
	seen := s.files[key]
	s.files[key] = true
	return seen, nil
}

// TestOverSFTP drives the simulator the way the clearinghouse does: the
// transport client uploads an 837 and a 270 over SFTP on a loopback port
// and polls the responses, then, once the 835 is released, polls again.
func TestOverSFTP(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, "")
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ep := transport.Endpoint{
		PayerID:     simPayer,
		Host:        "127.0.0.1",
		Port:        s.Server().Addr().(*net.TCPAddr).Port,
		User:        "clearhouse",
		Auth:        transport.Auth{PasswordEnv: "PAYSIM_TEST_PASSWORD"},
		HostKey:     transport.HostKeyPin{Fingerprint: ssh.FingerprintSHA256(s.Server().HostKey())},
		UploadDir:   "/inbound",
		DownloadDir: "/outbound",
		ArchiveDir:  "/archive",
		Timeouts:    transport.Timeouts{Dial: 5 * time.Second, Operation: 10 * time.Second},
		Retry:       transport.RetryPolicy{MaxAttempts: 2, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond},
	}
	c, err := transport.New(ep, transport.Options{
		Recorder: &seenFiles{files: map[string]bool{}},
		InboxDir: t.TempDir(),
		Getenv: func(k string) string {
			if k == "PAYSIM_TEST_PASSWORD" {
				return "sim-password-1"
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })

	ctx := t.Context()
	if _, err := c.Upload(ctx, "claims-41.x12", bytes.NewReader(encode837(t, 41, loadClaims(t, allClaimFiles...)))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, "elig-301.x12", bytes.NewReader(encode270(t))); err != nil {
		t.Fatal(err)
	}
	got := pollFor(t, c, 3)
	for _, want := range []string{"claims-41.x12.999", "claims-41.x12.277ca", "elig-301.x12.271"} {
		if got[want] == nil {
			t.Fatalf("no %s among %v", want, keys(got))
		}
	}
	for name, b := range got {
		mustValid(t, name, b)
	}
	acks, err := x277.Decode(bytes.NewReader(got["claims-41.x12.277ca"]))
	if err != nil || len(acks) == 0 {
		t.Fatalf("277CA: %v", err)
	}
	resps, err := x270.DecodeResponses(bytes.NewReader(got["elig-301.x12.271"]))
	if err != nil || resps[0].Match("T1") == nil {
		t.Fatalf("271: %v", err)
	}

	if n, err := s.ReleaseDue(ctx, simClock.Add(100*time.Hour)); err != nil || n != 2 {
		t.Fatalf("release: %d, %v; want an 835 for each of two payees", n, err)
	}
	remits := pollFor(t, c, 2)
	paid := 0
	for name, b := range remits {
		mustValid(t, name, b)
		p, _ := decode835(t, b)
		paid += len(p)
	}
	if paid != len(acceptedClaims(acks)) {
		t.Fatalf("the 835s pay %d claims, the 277CA accepted %d", paid, len(acceptedClaims(acks)))
	}
}

// pollFor polls until n new files arrived (or ten seconds pass) and
// returns their contents by remote name.
func pollFor(t *testing.T, c *transport.Client, n int) map[string][]byte {
	t.Helper()
	got := map[string][]byte{}
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n {
		files, err := c.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f.LocalPath)
			if err != nil {
				t.Fatal(err)
			}
			got[f.RemoteName] = b
		}
		if len(got) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s, %d files of %d: %v", len(got), n, keys(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return got
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func acceptedClaims(acks []*x277.Acknowledgment) []string {
	var pcns []string
	for _, a := range acks {
		a.Claims(func(_ *x277.BillingProvider, c *x277.ClaimStatus) {
			if c.Accepted() {
				pcns = append(pcns, c.PatientControlNumber)
			}
		})
	}
	return pcns
}
