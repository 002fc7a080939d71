package keyring_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/keyring"
)

func mustFieldCipher(t testing.TB, old ...*keyring.FieldKey) (*keyring.FieldCipher, *keyring.FieldKey) {
	t.Helper()
	dek, idx := make([]byte, 32), make([]byte, 32)
	rand.Read(dek)
	rand.Read(idx)
	k, err := keyring.NewFieldKey(dek)
	if err != nil {
		t.Fatal(err)
	}
	ik, err := keyring.NewIndexKey(idx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := keyring.NewFieldCipher(k, old, ik, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func TestFieldSealOpen(t *testing.T) {
	c, k := mustFieldCipher(t)
	for _, plain := range []string{"", "TURING", "1912-06-23", "élodie d'Aubigné", strings.Repeat("x", 5000)} {
		s, err := c.Seal("patients.last_name", plain)
		if err != nil {
			t.Fatal(err)
		}
		if plain == "" {
			if s != "" {
				t.Fatalf("empty sealed as %q", s)
			}
			continue
		}
		if !keyring.IsSealed(s) || strings.Contains(s, plain) {
			t.Fatalf("sealed %q as %q", plain, s)
		}
		if id, ok := keyring.SealedKeyID(s); !ok || id != k.ID() {
			t.Errorf("SealedKeyID = %v %v, want %v", id, ok, k.ID())
		}
		got, err := c.Open("patients.last_name", s)
		if err != nil || got != plain {
			t.Fatalf("Open = %q, %v; want %q", got, err, plain)
		}
		if _, err := c.Open("patients.first_name", s); !errors.Is(err, keyring.ErrFieldOpen) {
			t.Errorf("opening under another column: %v, want ErrFieldOpen", err)
		}
		if err != nil && strings.Contains(err.Error(), plain) {
			t.Errorf("error carries the value: %v", err)
		}
	}
	// As a JSON string: the same value, quoted.
	j, err := c.SealJSON("claims.document", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	var inner string
	if err := json.Unmarshal(j, &inner); err != nil || !keyring.IsSealed(inner) {
		t.Fatalf("SealJSON = %s (%v)", j, err)
	}
	if got, err := c.Open("claims.document", inner); err != nil || got != `{"a":1}` {
		t.Fatalf("open SealJSON: %q %v", got, err)
	}
	// A clear value (stored before encryption) reads as it is.
	if got, err := c.Open("patients.last_name", "HOPPER"); err != nil || got != "HOPPER" {
		t.Errorf("clear value: %q, %v", got, err)
	}
	// Two seals of one value differ (random nonces).
	a, _ := c.Seal("c", "same")
	b, _ := c.Seal("c", "same")
	if a == b {
		t.Error("two seals of one value are equal")
	}
	// Damage fails to open.
	bad := a[:len(a)-2] + "AA"
	if bad == a {
		bad = a[:len(a)-2] + "BB"
	}
	if _, err := c.Open("c", bad); !errors.Is(err, keyring.ErrFieldOpen) {
		t.Errorf("damaged value: %v", err)
	}
	if _, err := c.Open("c", keyring.FieldPrefix+"!!"); !errors.Is(err, keyring.ErrFieldOpen) {
		t.Errorf("malformed value: %v", err)
	}
}

func TestFieldRotationKeepsOldValuesReadable(t *testing.T) {
	old, oldKey := mustFieldCipher(t)
	s, _ := old.Seal("coverages.member_id", "1EG4TE5MK73")
	cur, _ := mustFieldCipher(t, oldKey)
	if got, err := cur.Open("coverages.member_id", s); err != nil || got != "1EG4TE5MK73" {
		t.Fatalf("old value under the new cipher: %q, %v", got, err)
	}
	if id, _ := keyring.SealedKeyID(s); id != oldKey.ID() {
		t.Errorf("old value names %v", id)
	}
	other, _ := mustFieldCipher(t)
	_, err := other.Open("coverages.member_id", s)
	if !errors.Is(err, keyring.ErrFieldOpen) || !strings.Contains(err.Error(), oldKey.ID().String()) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestIndexHash(t *testing.T) {
	c, _ := mustFieldCipher(t)
	h := c.Hash("coverages.member_id", "1EG4TE5MK73")
	if len(h) != 32 || h != c.Hash("coverages.member_id", "1EG4TE5MK73") {
		t.Fatalf("hash %q not stable", h)
	}
	if h == c.Hash("patients.mrn", "1EG4TE5MK73") || h == c.Hash("coverages.member_id", "1EG4TE5MK74") {
		t.Error("hash does not depend on domain and value")
	}
	if c.Hash("x", "") != "" {
		t.Error("empty value hashed")
	}
	other, _ := mustFieldCipher(t)
	if other.Hash("coverages.member_id", "1EG4TE5MK73") == h {
		t.Error("hash does not depend on the key")
	}
	if s := fmt.Sprintf("%v %#v %v", c.Current(), c.Current(), c.Index()); strings.Count(s, ":") != 3 {
		t.Errorf("keys print as %q", s)
	}
}

func BenchmarkFieldSeal(b *testing.B) {
	c, _ := mustFieldCipher(b)
	plain := bytes.Repeat([]byte("a"), 24)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SealBytes("patients.last_name", plain); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFieldOpen(b *testing.B) {
	c, _ := mustFieldCipher(b)
	s, _ := c.Seal("patients.last_name", strings.Repeat("a", 24))
	b.SetBytes(24)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Open("patients.last_name", s); err != nil {
			b.Fatal(err)
		}
	}
}
