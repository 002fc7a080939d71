package payers_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
)

func TestFixturePayers(t *testing.T) {
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	if reg.Len() != 5 {
		t.Fatalf("%d payers, want 5", reg.Len())
	}
	tests := []struct {
		id        string
		accepts   payers.Transaction
		rejects   payers.Transaction
		filing    string
		timely    int
		canSubmit string
	}{
		{"MCRJX", payers.Tx837P, payers.Tx837I, "MB", 365, "riverbend-family"},
		{"MCDPA", payers.Tx837I, "", "MC", 365, "riverside-hospital"},
		{"KHP01", payers.Tx270, "", "CI", 180, "anyone"},
		{"SUMMT", payers.Tx837P, payers.Tx837I, "CI", 90, "riverbend-family"},
		{"RVHSP", payers.Tx837I, payers.Tx837P, "BL", 180, "riverside-hospital"},
	}
	for _, tc := range tests {
		p, ok := reg.Get(tc.id)
		if !ok {
			t.Errorf("%s missing", tc.id)
			continue
		}
		if !p.Accepts(tc.accepts) || (tc.rejects != "" && p.Accepts(tc.rejects)) {
			t.Errorf("%s transactions %v", tc.id, p.Transactions)
		}
		if p.ClaimFilingIndicator != tc.filing || p.TimelyFilingDays != tc.timely {
			t.Errorf("%s: filing %s timely %d", tc.id, p.ClaimFilingIndicator, p.TimelyFilingDays)
		}
		if !p.CanSubmit(tc.canSubmit) {
			t.Errorf("%s: %s cannot submit", tc.id, tc.canSubmit)
		}
		if p.SFTP.Host != "127.0.0.1" || p.Envelope.SenderQualifier != "ZZ" {
			t.Errorf("%s: sftp %+v envelope %+v", tc.id, p.SFTP, p.Envelope)
		}
	}
	mcr, _ := reg.Get("MCRJX")
	if mcr.CanSubmit("lakeside-therapy") {
		t.Error("MCRJX: a pending clinic can submit")
	}
	if _, err := reg.Lookup("NOPE"); !errors.Is(err, payers.ErrUnknownPayer) {
		t.Errorf("Lookup(NOPE): %v", err)
	}
}

const good = `id: TEST1
name: Test Payer
transactions: [837P, 835]
enrollment:
  required: false
sftp:
  host: 127.0.0.1
  port: 22
  user: u
  host_key_fingerprint: SHA256:91ZZobDEewjZ9Vi45m3mIlXcCLBiVfRmC6hqQpFEANA
  outbound_path: /TEST1/inbound
  inbound_path: /TEST1/outbound
envelope:
  sender_qualifier: ZZ
  sender_id: ME
  receiver_qualifier: ZZ
  receiver_id: THEM
  gs_sender: ME
  gs_receiver: THEM
file_naming: "{payer}_{control}.x12"
usage: T
claim_filing_indicator: CI
timely_filing_days: 90
max_claims_per_file: 100
`

func TestPGPFields(t *testing.T) {
	src := strings.Replace(good, "  inbound_path: /TEST1/outbound\n",
		"  inbound_path: /TEST1/outbound\n  pgp: {public_key_file: keys/test1.asc, private_key_file: keys/ours.key, passphrase_env: PGP_PASS, sign: true}\n", 1)
	reg, err := payers.Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := payers.PGP{PublicKeyFile: "keys/test1.asc", PrivateKeyFile: "keys/ours.key", PassphraseEnv: "PGP_PASS", Sign: true}
	if g := reg.SFTP.PGP; g == nil || *g != want {
		t.Fatalf("pgp %+v, want %+v", g, want)
	}
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     []string
		sentinel error
	}{
		{"port", "port: 22", "port: 70000", []string{"p.yaml:8: sftp.port \"70000\": invalid"}, payers.ErrInvalid},
		{"missing id", "id: TEST1", "id: ''", []string{"p.yaml:1: id: required"}, payers.ErrMissing},
		{"transaction", "[837P, 835]", "[837P, 999]", []string{"p.yaml:3: transactions[1] \"999\""}, payers.ErrInvalid},
		{"duplicate tx", "[837P, 835]", "[837P, 837P]", []string{"transactions[1] \"837P\": duplicate"}, payers.ErrDuplicate},
		{"fingerprint", "SHA256:91ZZ", "MD5:91ZZ", []string{"p.yaml:10: sftp.host_key_fingerprint"}, payers.ErrInvalid},
		{"qualifier", "sender_qualifier: ZZ", "sender_qualifier: QQ", []string{"p.yaml:14: envelope.sender_qualifier \"QQ\""}, payers.ErrInvalid},
		{"pattern", `"{payer}_{control}.x12"`, `"{payer}_{nope}.x12"`, []string{"unknown placeholder {nope}"}, payers.ErrInvalid},
		{"usage", "usage: T", "usage: X", []string{"p.yaml:21: usage \"X\""}, payers.ErrInvalid},
		{"filing", "indicator: CI", "indicator: XX", []string{"claim_filing_indicator \"XX\""}, payers.ErrInvalid},
		{"max claims", "per_file: 100", "per_file: 9000", []string{"max_claims_per_file \"9000\": invalid: want 1 to 5000"}, payers.ErrInvalid},
		{"several", "usage: T", "usage: X\ntimely_filing_days: 0", nil, nil},
		{"relative path", "outbound_path: /TEST1/inbound", "outbound_path: TEST1/inbound", []string{"sftp.outbound_path"}, payers.ErrInvalid},
		{"unknown field", "usage: T", "usage: T\ncolor: blue", []string{"field color not found"}, payers.ErrSyntax},
		{"status inquiry days", "usage: T", "usage: T\nstatus_inquiry_days: -3", []string{"status_inquiry_days \"-3\": invalid"}, payers.ErrInvalid},
		{"pgp without our key", "  inbound_path: /TEST1/outbound\n", "  inbound_path: /TEST1/outbound\n  pgp: {public_key_file: payer.asc}\n",
			[]string{"sftp.pgp.private_key_file: required"}, payers.ErrMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(good, tc.from, tc.to, 1)
			_, err := payers.Parse("p.yaml", []byte(src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("error %q does not wrap %v", err, tc.sentinel)
			}
		})
	}
	if _, err := payers.Parse("p.yaml", []byte(good)); err != nil {
		t.Fatalf("good: %v", err)
	}
}

// status_inquiry_days is optional: left out, unpaid claims are asked
// about after DefaultStatusInquiryDays; 276 is a transaction a payer may
// list.
func TestStatusInquiryDays(t *testing.T) {
	p, err := payers.Parse("p.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if p.StatusInquiryAfter() != payers.DefaultStatusInquiryDays || p.Accepts(payers.Tx276) {
		t.Fatalf("default: %d days, accepts 276 %v", p.StatusInquiryAfter(), p.Accepts(payers.Tx276))
	}
	src := strings.Replace(good, "[837P, 835]", "[837P, 835, 276]", 1) + "status_inquiry_days: 30\n"
	if p, err = payers.Parse("p.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if p.StatusInquiryAfter() != 30 || !p.Accepts(payers.Tx276) {
		t.Fatalf("set: %d days, accepts 276 %v", p.StatusInquiryAfter(), p.Accepts(payers.Tx276))
	}
}

func TestLoadDuplicateID(t *testing.T) {
	fsys := fstest.MapFS{
		"p/a.yaml": {Data: []byte(good)},
		"p/b.yaml": {Data: []byte(good)},
	}
	_, err := payers.Load(fsys, "p")
	if !errors.Is(err, payers.ErrDuplicate) || !strings.Contains(err.Error(), "p/b.yaml: id \"TEST1\": duplicate: also defined in p/a.yaml") {
		t.Fatalf("got %v", err)
	}
}

func ExampleRegistry_Get() {
	reg, err := fixtures.Payers()
	if err != nil {
		panic(err)
	}
	p, _ := reg.Get("SUMMT")
	fmt.Println(p.Name, p.TimelyFilingDays, p.Accepts(payers.Tx837I))
	fmt.Println(p.FileName(payers.FileNameParams{Transaction: payers.Tx837P, Date: "20260115", Time: "020000", Control: "000000001"}))
	// Output:
	// Summit Mutual Insurance 90 false
	// SUMMT20260115020000_000000001.837
}

// TestParseEmptyDocumentLine is the regression test for a document of only
// "---": its missing fields were reported at line 2 of a one-line file.
func TestParseEmptyDocumentLine(t *testing.T) {
	_, err := payers.Parse("p.yaml", []byte("---"))
	var fe *payers.FieldError
	if !errors.As(err, &fe) || fe.Line != 1 || !errors.Is(err, payers.ErrMissing) {
		t.Fatalf("%v, want missing fields at line 1", err)
	}
}
