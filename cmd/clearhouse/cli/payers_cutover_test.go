package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// TestPayersCutover switches clinic 1's files to KHP01 to production and
// back on both backends: a biller may not; a failing connectivity check
// (another host key) changes nothing; a passing one switches, records the
// check and audits the change; back to test needs no check.
func TestPayersCutover(t *testing.T) {
	srv, err := paysim.NewServer(paysim.ServerConfig{Root: filepath.Join(t.TempDir(), "root"), Payers: []string{"KHP01"},
		Users: []paysim.User{{Name: "clearhouse", Password: "cut-pw"}}})
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
	conn := []string{"--host", "127.0.0.1", "--port", port, "--sftp-password-env", "CUT_SFTP_PASSWORD"}

	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			db := seededDB(t, backend)
			cli := func(login string, args ...string) (int, string) {
				t.Helper()
				var out, errb strings.Builder
				getenv := func(k string) string {
					if k == "CUT_SFTP_PASSWORD" {
						return "cut-pw"
					}
					return ""
				}
				root := NewRootCmd(&Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv, Login: login})
				root.SetArgs(append([]string{"--database", db}, args...))
				code := 0
				if err := root.Execute(); err != nil {
					code = 1
					var ee *ExitError
					if errors.As(err, &ee) {
						code = ee.Code
					}
					errb.WriteString(err.Error())
				}
				return code, out.String() + errb.String()
			}
			st, err := storedb.Open(ctx, db, storedb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			payer, err := st.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: 1, PayerID: "KHP01"})
			if err != nil {
				t.Fatal(err)
			}
			usage := func() string {
				t.Helper()
				u, err := store.UsageFor(ctx, st, 1, payer.ID, "(payer file)")
				if err != nil {
					t.Fatal(err)
				}
				return u
			}
			prod := append([]string{"payers", "cutover", "KHP01", "--to", "production", "--clinic", "1"}, conn...)

			if code, out := cli("lee", append(prod, "--host-key-fingerprint", pin)...); code != 3 {
				t.Fatalf("biller: exit %d %s", code, out)
			}
			// The payer file's placeholder pin is not this server's key.
			if code, out := cli("ana", prod...); code != 1 || !strings.Contains(out, "connect  FAILED") || !strings.Contains(out, "stays on ISA15 T") {
				t.Fatalf("failed check: exit %d %s", code, out)
			}
			if got := usage(); got != "(payer file)" {
				t.Fatalf("after a failed check the usage is %q", got)
			}
			if code, out := cli("ana", append(prod, "--host-key-fingerprint", pin)...); code != 0 || !strings.Contains(out, "clinic 1 payer KHP01: ISA15 T -> P") {
				t.Fatalf("cutover: exit %d %s", code, out)
			}
			u, err := st.GetPayerUsage(ctx, store.Ref{ClinicID: 1, ID: payer.ID})
			if err != nil || u.Usage != store.UsageProduction || u.CheckedAt == nil || u.ChangedBy != "ana" {
				t.Fatalf("stored usage %+v, %v", u, err)
			}
			if code, out := cli("ana", "payers", "cutover", "KHP01", "--to", "test"); code != 0 || !strings.Contains(out, "ISA15 P -> T") {
				t.Fatalf("back to test: exit %d %s", code, out)
			}
			if got := usage(); got != store.UsageTest {
				t.Fatalf("after going back the usage is %q", got)
			}
			if code, out := cli("ana", "payers", "cutover", "KHP01", "--to", "live"); code != 2 {
				t.Fatalf("bad --to: exit %d %s", code, out)
			}
			all, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: 1, EntityType: "payer"})
			if err != nil {
				t.Fatal(err)
			}
			var evs []store.AuditEvent
			for _, e := range all {
				if e.Action == "payer.cutover" {
					evs = append(evs, e)
				}
			}
			if len(evs) != 2 || !strings.Contains(string(evs[0].Details), `"to":"P"`) || !strings.Contains(string(evs[0].Details), "checkedAt") {
				t.Fatalf("audit events: %+v", evs)
			}
		})
	}
}
