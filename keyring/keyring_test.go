package keyring_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/keyring"
)

func mustKey(t *testing.T) (*keyring.Key, string) {
	t.Helper()
	k, text, err := keyring.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k, text
}

func mustEscrow(t *testing.T) (*keyring.EscrowPublic, *keyring.EscrowPrivate, string) {
	t.Helper()
	pubText, privText, err := keyring.GenerateEscrow(nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keyring.ParseEscrowPublic(pubText)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := keyring.ParseEscrowPrivate(privText)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv, privText
}

func TestParseKeyRoundTrip(t *testing.T) {
	k, text := mustKey(t)
	again, err := keyring.ParseKey("  " + text + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != k.ID() {
		t.Errorf("ID %s, want %s", again.ID(), k.ID())
	}
	path := filepath.Join(t.TempDir(), "kek")
	if err := os.WriteFile(path, []byte(text+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := keyring.LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fromFile.ID() != k.ID() {
		t.Errorf("file ID %s, want %s", fromFile.ID(), k.ID())
	}
}

func TestParseKeyRefusesWithoutEchoing(t *testing.T) {
	secretish := "c2VjcmV0LWJ1dC10b28tc2hvcnQ="
	for _, text := range []string{"", "not base64 !!", secretish, strings.Repeat("A", 200)} {
		_, err := keyring.ParseKey(text)
		if !errors.Is(err, keyring.ErrBadKey) {
			t.Errorf("ParseKey(%q) = %v, want ErrBadKey", text, err)
		}
		if text != "" && strings.Contains(err.Error(), text) {
			t.Errorf("error %q echoes the key text", err)
		}
	}
	_, _, privText := mustEscrow(t)
	_, err := keyring.ParseEscrowPublic(privText)
	if !errors.Is(err, keyring.ErrBadKey) || strings.Contains(err.Error(), privText[len("clearhouse-escrow-private:"):]) {
		t.Errorf("private key read as public: %v", err)
	}
}

func TestKeysPrintAsIDs(t *testing.T) {
	k, text := mustKey(t)
	_, priv, privText := mustEscrow(t)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v", k, k, k), fmt.Sprint(priv), fmt.Sprintf("%#v", priv)} {
		if strings.Contains(s, text) || strings.Contains(s, privText[len("clearhouse-escrow-private:"):]) {
			t.Errorf("formatted key %q shows its material", s)
		}
	}
}

func TestWrapUnwrap(t *testing.T) {
	primary, _ := mustKey(t)
	old, _ := mustKey(t)
	other, _ := mustKey(t)
	pub, priv, _ := mustEscrow(t)
	_, otherPriv, _ := mustEscrow(t)

	writer := &keyring.Ring{Primary: old, Escrow: pub}
	dek, slots, err := writer.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	if slots.PrimaryID() != old.ID() || slots.EscrowID() != pub.ID() {
		t.Fatalf("slot IDs %s/%s", slots.PrimaryID(), slots.EscrowID())
	}
	tests := []struct {
		name    string
		ring    *keyring.Ring
		wantErr error
	}{
		{"the wrapping key", &keyring.Ring{Primary: old}, nil},
		{"rotated: old key kept as previous", &keyring.Ring{Primary: primary, Previous: []*keyring.Key{old}}, nil},
		{"primary lost, escrow private key given", &keyring.Ring{Primary: primary, EscrowPrivate: priv}, nil},
		{"read-only ring with only the escrow key", &keyring.Ring{EscrowPrivate: priv}, nil},
		{"primary lost, no escrow", &keyring.Ring{Primary: primary}, keyring.ErrNoKey},
		{"wrong escrow key", &keyring.Ring{Primary: other, EscrowPrivate: otherPriv}, keyring.ErrNoKey},
		{"no ring", nil, keyring.ErrNoKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.ring.Unwrap(slots)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Unwrap: %v, want %v", err, tc.wantErr)
			}
			if err == nil && string(got) != string(dek) {
				t.Fatal("unwrapped a different data key")
			}
		})
	}
}

func TestUnwrapDetectsDamage(t *testing.T) {
	k, _ := mustKey(t)
	pub, priv, _ := mustEscrow(t)
	r := &keyring.Ring{Primary: k, Escrow: pub, EscrowPrivate: priv}
	_, slots, err := r.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	bad := slots
	bad.Primary[keyring.SlotSize-1] ^= 1
	if _, err := r.Unwrap(bad); !errors.Is(err, keyring.ErrUnwrap) {
		t.Errorf("damaged primary slot: %v", err)
	}
	bad = slots
	bad.Escrow[keyring.EscrowSlotSize-1] ^= 1
	if _, err := (&keyring.Ring{EscrowPrivate: priv}).Unwrap(bad); !errors.Is(err, keyring.ErrUnwrap) {
		t.Errorf("damaged escrow slot: %v", err)
	}
}

func TestRewrap(t *testing.T) {
	old, _ := mustKey(t)
	next, _ := mustKey(t)
	pub, priv, _ := mustEscrow(t)
	dek, slots, err := (&keyring.Ring{Primary: old}).NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	rotated := &keyring.Ring{Primary: next, Previous: []*keyring.Key{old}, Escrow: pub}
	if rotated.Current(slots) {
		t.Fatal("old slots reported current")
	}
	again, err := rotated.Rewrap(slots)
	if err != nil {
		t.Fatal(err)
	}
	if !rotated.Current(again) || again.PrimaryID() != next.ID() || again.EscrowID() != pub.ID() {
		t.Fatalf("rewrapped slots %s/%s", again.PrimaryID(), again.EscrowID())
	}
	// The old key can go now; the new one and the escrow key both open it.
	for _, r := range []*keyring.Ring{{Primary: next}, {EscrowPrivate: priv}} {
		got, err := r.Unwrap(again)
		if err != nil || string(got) != string(dek) {
			t.Fatalf("after rewrap: %v", err)
		}
	}
	if _, err := (&keyring.Ring{Primary: old}).Unwrap(again); !errors.Is(err, keyring.ErrNoKey) {
		t.Errorf("old key still opens the rewrapped slot: %v", err)
	}
}
