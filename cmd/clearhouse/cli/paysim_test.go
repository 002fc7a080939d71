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
	"github.com/clearhouse/clearhouse/paysim"
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
	// The state is a snapshot and a journal beside it; answering a file
	// appends to the journal.
	if _, err := os.Stat(filepath.Join(root, ".paysim-state.json.journal")); err != nil {
		t.Errorf("state journal: %v", err)
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
		{[]string{"--max-file-size", "-1"}, "MaxFileSize"},
		{[]string{"--pgp", "KHP01"}, "PAYER=PAYER_PRIVATE_KEY,CLEARHOUSE_PUBLIC_KEY"},
		{[]string{"--pgp", "KHP01=" + filepath.Join(dir, "none.key") + "," + filepath.Join(dir, "none.pub")}, "--pgp KHP01: pgp: key"},
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

func TestPaysimUsersOwnCredentials(t *testing.T) {
	dir := t.TempDir()
	keyFile := func(name string) (string, ssh.Signer) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := ssh.NewSignerFromKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
			t.Fatal(err)
		}
		return path, signer
	}
	clinicKeys, _ := keyFile("clinic_keys")
	adminKeys, _ := keyFile("admin_keys")
	vars := map[string]string{
		"PW":           "only-user-pw",
		"PW_CLINIC_42": "clinic-pw",
		"PW_ADMIN":     "admin-pw",
		"ADMIN_PW":     "admin-own-pw",
	}
	getenv := func(k string) string { return vars[k] }

	type want struct{ name, payer, password string }
	cases := []struct {
		name            string
		users, pw, keys []string
		want            []want
		wantKeys        map[string]int
		wantErr         string
	}{
		{name: "one user, bare variable and file", users: []string{"clinic-42:ACME"}, pw: []string{"PW"}, keys: []string{clinicKeys},
			want: []want{{"clinic-42", "ACME", "only-user-pw"}}, wantKeys: map[string]int{"clinic-42": 1}},
		{name: "several users, bare variable per user", users: []string{"clinic-42:ACME", "admin"}, pw: []string{"PW"},
			want: []want{{"clinic-42", "ACME", "clinic-pw"}, {"admin", "", "admin-pw"}}},
		{name: "explicit variable and keys", users: []string{"clinic-42:ACME", "admin"}, pw: []string{"PW", "admin=ADMIN_PW"},
			keys: []string{"clinic-42=" + clinicKeys, "admin=" + adminKeys},
			want: []want{{"clinic-42", "ACME", "clinic-pw"}, {"admin", "", "admin-own-pw"}}, wantKeys: map[string]int{"clinic-42": 1, "admin": 1}},
		{name: "bare keys file with several users", users: []string{"clinic-42:ACME", "admin"}, pw: []string{"PW"}, keys: []string{clinicKeys},
			wantErr: "with several users give --authorized-keys NAME=FILE"},
		{name: "a user without credentials", users: []string{"clinic-42:ACME", "other"}, pw: []string{"PW"},
			wantErr: "no credentials for user other: set $PW_OTHER"},
		{name: "variable of an unknown user", users: []string{"clinic-42:ACME"}, pw: []string{"nobody=PW"},
			wantErr: "no --user nobody"},
		{name: "two bare variables", users: []string{"clinic-42:ACME"}, pw: []string{"PW", "PW_ADMIN"},
			wantErr: "one bare variable at most"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := paysimUsers(tc.users, tc.pw, tc.keys, getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d users, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if got[i].Name != w.name || got[i].Payer != w.payer || got[i].Password != w.password {
					t.Errorf("user %d: %s %s %q, want %+v", i, got[i].Name, got[i].Payer, got[i].Password, w)
				}
				if n := len(got[i].AuthorizedKeys); n != tc.wantKeys[w.name] {
					t.Errorf("user %s: %d keys, want %d", w.name, n, tc.wantKeys[w.name])
				}
			}
		})
	}
}

// TestPaysimOneCredentialOneUser is the command's regression test of issue
// 14: one password and one key logged in as every user, the all-payers one
// included. A password or keys file given to two users is refused, and each
// user logs in with its own credentials only, over loopback TCP.
func TestPaysimOneCredentialOneUser(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TEST_PAYSIM_SAME", "same-pw-123")
	code, _, errOut := run(t, "paysim", "--listen", "127.0.0.1:0", "--root", filepath.Join(dir, "root"),
		"--host-key", filepath.Join(dir, "hk"), "--user", "clinic:ACME", "--user", "admin",
		"--password-env", "clinic=TEST_PAYSIM_SAME", "--password-env", "admin=TEST_PAYSIM_SAME", "--serve-for", "10ms")
	if code != 2 || !strings.Contains(errOut, "share a password") || strings.Contains(errOut, "same-pw-123") {
		t.Fatalf("shared password: code %d, stderr %q", code, errOut)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if err := os.WriteFile(keys, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "paysim", "--listen", "127.0.0.1:0", "--root", filepath.Join(dir, "root"),
		"--host-key", filepath.Join(dir, "hk"), "--user", "clinic:ACME", "--user", "admin",
		"--authorized-keys", "clinic="+keys, "--authorized-keys", "admin="+keys, "--serve-for", "10ms")
	if code != 2 || !strings.Contains(errOut, "share the key") {
		t.Fatalf("shared key: code %d, stderr %q", code, errOut)
	}

	accounts, err := paysimUsers([]string{"clinic:ACME", "admin"}, []string{"TEST_PW"}, nil, func(k string) string {
		return map[string]string{"TEST_PW_CLINIC": "clinic-pw-1", "TEST_PW_ADMIN": "admin-pw-1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := paysim.NewServer(paysim.ServerConfig{Root: filepath.Join(dir, "root2"), Users: accounts,
		LoginDelay: paysim.LoginDelay{Initial: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	login := func(user, password string) error {
		c, err := ssh.Dial("tcp", srv.Addr().String(), &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(password)},
			HostKeyCallback: ssh.FixedHostKey(srv.HostKey()), Timeout: 5 * time.Second})
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, tc := range []struct {
		user, password string
		ok             bool
	}{
		{"clinic", "clinic-pw-1", true},
		{"admin", "admin-pw-1", true},
		{"admin", "clinic-pw-1", false},
		{"clinic", "admin-pw-1", false},
	} {
		if err := login(tc.user, tc.password); (err == nil) != tc.ok {
			t.Errorf("%s with %s: %v, want ok=%v", tc.user, tc.password, err, tc.ok)
		}
	}
}
