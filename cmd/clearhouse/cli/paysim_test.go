package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x837"
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

// TestPaysimAnswers starts the simulator over a root whose inbound folder
// already holds an 837 and a roster in CSV: it answers the 837 at start
// (999 and 277CA) and, with no adjudication delay, releases its 835 on the
// first tick.
func TestPaysimAnswers(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	inbound := filepath.Join(root, "KHP01", "inbound")
	if err := os.MkdirAll(inbound, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "claims", "office-visit.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c claim.Claim
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	// Dates of service a few days back from the real clock the command uses.
	dos := claim.DateOf(time.Now().UTC().AddDate(0, 0, -3))
	for i := range c.Lines {
		c.Lines[i].ServiceDate, c.Lines[i].ServiceDateEnd = dos, claim.Date{}
	}
	var in bytes.Buffer
	_, err = x837.EncodeBatch(&in, x837.Envelope{
		SubmitterName: "CLEARHOUSE BILLING", SubmitterID: "CLH0001", ContactName: "EDI DESK", ContactPhone: "2155550100",
		ReceiverName: "KEYSTONE HEALTH PLAN", ReceiverID: "KHP01", SenderID: "CLEARHOUSE", InterchangeReceiverID: "KEYSTONEHP",
		Usage: "T", Time: time.Now().UTC(), Controls: x837.ControlNumbers{Interchange: 5, Group: 5, Set: 1},
	}, []claim.Claim{c})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inbound, "claims-5.x12"), in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	roster := filepath.Join(dir, "roster.csv")
	csv := "member_id,last_name,first_name,birth_date,status,copay,coinsurance_percent\n" +
		c.Subscriber.MemberID + ",SAMPLE,PAT,1980-04-12,active,25.00,20\n"
	if err := os.WriteFile(roster, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_PAYSIM_PW", "pw-123")
	code, out, errOut := run(t, "paysim", "--listen", "127.0.0.1:0", "--root", root,
		"--host-key", filepath.Join(dir, "host_key"), "--user", "clinic:KHP01", "--password-env", "TEST_PAYSIM_PW",
		"--roster", roster, "--seed", "3", "--reject-rate", "0", "--deny-rate", "0", "--partial-rate", "0",
		"--adjudication-delay", "0s", "--release-interval", "20ms", "--serve-for", "400ms")
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, errOut)
	}
	if !strings.Contains(out, "0 claims await their 835") {
		t.Errorf("output:\n%s", out)
	}
	entries, err := os.ReadDir(filepath.Join(root, "KHP01", "outbound"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"claims-5.x12.999", "claims-5.x12.277ca", ".835"} {
		if !strings.Contains(got, want) {
			t.Errorf("outbound %s lacks %s", got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, ".paysim-state.json")); err != nil {
		t.Errorf("state file: %v", err)
	}
}

func TestPaysimBadFlags(t *testing.T) {
	t.Setenv("TEST_PAYSIM_PW", "pw-123")
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--deny-rate", "2"}, "Rates.Deny"},
		{[]string{"--roster", filepath.Join(dir, "none.csv")}, "roster"},
		{[]string{"--payment-method", "WIRE"}, "CHK or ACH"},
		{[]string{"--default-copay", "abc"}, "--default-copay"},
		{[]string{"--release-interval", "0s"}, "--release-interval"},
	}
	for _, tc := range cases {
		args := append([]string{"paysim", "--listen", "127.0.0.1:0", "--root", filepath.Join(dir, "root"),
			"--host-key", filepath.Join(dir, "hk"), "--user", "u:KHP01", "--password-env", "TEST_PAYSIM_PW"}, tc.args...)
		code, _, errOut := run(t, args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: code %d, stderr %q", tc.args, code, errOut)
		}
	}
}
