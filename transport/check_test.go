package transport_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/transport/sftptest"
	"golang.org/x/crypto/ssh"
)

func TestCheck(t *testing.T) {
	s := newSim(t)
	if err := os.WriteFile(filepath.Join(s.Dir(payer, "outbound"), "waiting.999"), []byte("ISA"), 0o600); err != nil {
		t.Fatal(err)
	}
	ep := s.endpoint(s.port())
	rep := newClient(t, ep).client.Check(context.Background())
	if !rep.OK() || len(rep.Steps) != 4 {
		t.Fatalf("check: %+v", rep)
	}
	if want := ssh.FingerprintSHA256(s.hostKey.Public()); !strings.Contains(rep.Steps[0].Detail, want) {
		t.Errorf("connect step %q does not name the host key %s", rep.Steps[0].Detail, want)
	}
	if !strings.Contains(rep.Steps[2].Detail, "1 files waiting") {
		t.Errorf("download step: %q", rep.Steps[2].Detail)
	}
	entries, err := os.ReadDir(s.Dir(payer, "inbound"))
	if err != nil || len(entries) != 0 {
		t.Fatalf("the probe was left in the upload folder: %v %v", entries, err)
	}

	tests := []struct {
		name, step string
		edit       func(*transport.Endpoint)
	}{
		{"another host key pinned", "connect", func(ep *transport.Endpoint) {
			ep.HostKey.Fingerprint = ssh.FingerprintSHA256(sftptest.NewKey(t).Public())
		}},
		{"no such upload folder", "upload folder", func(ep *transport.Endpoint) { ep.UploadDir = "/nowhere" }},
		{"no such archive folder", "archive folder", func(ep *transport.Endpoint) { ep.ArchiveDir = "/attic" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := s.endpoint(s.port())
			tt.edit(&ep)
			rep := newClient(t, ep).client.Check(context.Background())
			if rep.OK() {
				t.Fatalf("check passed: %+v", rep)
			}
			failed := ""
			for _, st := range rep.Steps {
				if !st.OK {
					failed = st.Name
					break
				}
			}
			if failed != tt.step {
				t.Fatalf("first failed step %q, want %q: %+v", failed, tt.step, rep.Steps)
			}
		})
	}
}
