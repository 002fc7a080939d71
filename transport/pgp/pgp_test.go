package pgp_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/clearhouse/clearhouse/transport/pgp"
)

// writeKey generates a key pair and writes its public half (armored) and
// its private half (binary) to dir; passphrase, when set, protects the
// private half.
func writeKey(t *testing.T, dir, name string, passphrase []byte) (pub, priv string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "test", name+"@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pb bytes.Buffer
	aw, err := armor.Encode(&pb, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(aw); err != nil {
		t.Fatal(err)
	}
	aw.Close()
	if passphrase != nil {
		if err := e.EncryptPrivateKeys(passphrase, nil); err != nil {
			t.Fatal(err)
		}
	}
	var sb bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&sb, nil); err != nil {
		t.Fatal(err)
	}
	pub, priv = filepath.Join(dir, name+".pub.asc"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(pub, pb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(priv, sb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	chPub, chPriv := writeKey(t, dir, "clearhouse", []byte("s3cret"))
	payPub, payPriv := writeKey(t, dir, "payer", nil)
	_, otherPriv := writeKey(t, dir, "other", nil)
	load := func(cfg pgp.Config) *pgp.Keys {
		t.Helper()
		k, err := pgp.Load(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	plain := []byte("ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*KEYSTONEHP     *~")
	us := load(pgp.Config{PartnerPublicKeyFile: payPub, PrivateKeyFile: chPriv, Passphrase: []byte("s3cret"), Sign: true})
	payer := load(pgp.Config{PartnerPublicKeyFile: chPub, PrivateKeyFile: payPriv, Sign: true})
	// The payer's view with someone else's private key: it cannot read ours.
	stranger := load(pgp.Config{PartnerPublicKeyFile: chPub, PrivateKeyFile: otherPriv, Sign: true})
	// A forger holding our public key and its own private key signs files
	// "from the payer".
	forger := load(pgp.Config{PartnerPublicKeyFile: chPub, PrivateKeyFile: otherPriv, Sign: true})
	unsignedPayer := load(pgp.Config{PartnerPublicKeyFile: chPub, PrivateKeyFile: payPriv})

	encrypt := func(k *pgp.Keys) []byte {
		t.Helper()
		var b bytes.Buffer
		if err := k.Encrypt(&b, bytes.NewReader(plain), "f.x12"); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b.Bytes(), []byte("CLEARHOUSE")) {
			t.Fatal("the plaintext shows through")
		}
		return b.Bytes()
	}
	armored := func(b []byte) []byte {
		var out bytes.Buffer
		w, _ := armor.Encode(&out, "PGP MESSAGE", nil)
		w.Write(b)
		w.Close()
		return out.Bytes()
	}
	for _, tc := range []struct {
		name    string
		from    *pgp.Keys
		to      *pgp.Keys
		mangle  func([]byte) []byte
		wantErr error
	}{
		{name: "ours to the payer", from: us, to: payer},
		{name: "the payer's to us", from: payer, to: us},
		{name: "armored", from: payer, to: us, mangle: armored},
		{name: "not for this key", from: us, to: stranger, wantErr: pgp.ErrDecrypt},
		{name: "signed by another key", from: forger, to: us, wantErr: pgp.ErrSignature},
		{name: "not signed", from: unsignedPayer, to: us, wantErr: pgp.ErrSignature},
		{name: "not PGP", from: payer, to: us, mangle: func([]byte) []byte { return plain }, wantErr: pgp.ErrDecrypt},
		{name: "cut short", from: payer, to: us, mangle: func(b []byte) []byte { return b[:len(b)/2] }, wantErr: pgp.ErrDecrypt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := encrypt(tc.from)
			if tc.mangle != nil {
				ct = tc.mangle(ct)
			}
			var got bytes.Buffer
			err := tc.to.Decrypt(&got, bytes.NewReader(ct))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), plain) {
				t.Fatalf("decrypted %q", got.Bytes())
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	pub, priv := writeKey(t, dir, "k", []byte("pw"))
	for _, cfg := range []pgp.Config{
		{PartnerPublicKeyFile: pub},
		{PartnerPublicKeyFile: filepath.Join(dir, "missing"), PrivateKeyFile: priv, Passphrase: []byte("pw")},
		{PartnerPublicKeyFile: pub, PrivateKeyFile: pub},
		{PartnerPublicKeyFile: pub, PrivateKeyFile: priv, Passphrase: []byte("wrong")},
	} {
		if _, err := pgp.Load(cfg); !errors.Is(err, pgp.ErrKey) {
			t.Errorf("%+v: %v, want ErrKey", cfg, err)
		}
	}
}
