package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
)

// Field encryption: single values (a database column of one row) sealed
// with AES-256-GCM under a field data key, and keyed hashes (HMAC-SHA-256)
// for the columns looked up by equality.
//
// A sealed value is text, so it fits the column it replaces:
//
//	FieldPrefix base64url(key ID (8) | nonce (12) | ciphertext | tag (16))
//
// The key ID names the field data key, so values sealed before a
// re-encryption stay readable while the keys that sealed them are kept.
// The column's name is the additional data: a value copied into another
// column fails to open.
//
// The index key (of the keyed hashes) is a key of its own, derived from a
// data key kept for that purpose only, so re-encrypting values under a new
// data key leaves every hash, and every look-up, as it was.

// FieldPrefix starts every sealed value. Clear values never start with it
// (a stored value that does and does not open is an error, not text).
const FieldPrefix = "chf1:"

// ErrFieldOpen: a sealed value failed to open (damaged, moved to another
// column, or sealed by a key not configured).
var ErrFieldOpen = errors.New("keyring: sealed value failed to open")

// FieldKey seals values under one field data key. It prints as its ID only.
type FieldKey struct {
	id   ID
	aead cipher.AEAD
}

// ID names the key: what sealed values carry.
func (k *FieldKey) ID() ID { return k.id }

// String is the key's ID.
func (k *FieldKey) String() string { return "field:" + k.id.String() }

// GoString hides the material from %#v as well.
func (k *FieldKey) GoString() string { return k.String() }

// NewFieldKey makes the field key of a data key (keyring.DataKeySize
// bytes, unwrapped from its slots).
func NewFieldKey(dek []byte) (*FieldKey, error) {
	if len(dek) != DataKeySize {
		return nil, fmt.Errorf("%w: a data key is %d bytes", ErrBadKey, DataKeySize)
	}
	k, err := hkdf.Key(sha256.New, dek, nil, "clearhouse/field-seal", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &FieldKey{id: FieldKeyID(dek), aead: aead}, nil
}

// FieldKeyID is the ID of a field data key.
func FieldKeyID(dek []byte) ID { return idOf("clearhouse/field-key\x00", dek) }

// IndexKey computes keyed hashes of values looked up by equality. It prints
// as its ID only.
type IndexKey struct {
	id   ID
	pool sync.Pool
}

// NewIndexKey makes the index key of a data key kept for hashing.
func NewIndexKey(dek []byte) (*IndexKey, error) {
	if len(dek) != DataKeySize {
		return nil, fmt.Errorf("%w: a data key is %d bytes", ErrBadKey, DataKeySize)
	}
	k, err := hkdf.Key(sha256.New, dek, nil, "clearhouse/field-index", 32)
	if err != nil {
		return nil, err
	}
	ik := &IndexKey{id: FieldKeyID(dek)}
	ik.pool.New = func() any { return hmac.New(sha256.New, k) }
	return ik, nil
}

// ID names the index key.
func (k *IndexKey) ID() ID { return k.id }

// String is the key's ID.
func (k *IndexKey) String() string { return "index:" + k.id.String() }

// GoString hides the material from %#v as well.
func (k *IndexKey) GoString() string { return k.String() }

// Hash is the keyed hash of value in a domain (a column: the same value in
// two columns hashes differently), as 32 hex digits (the first 16 bytes of
// HMAC-SHA-256). An empty value hashes to "".
func (k *IndexKey) Hash(domain, value string) string {
	if value == "" {
		return ""
	}
	m := k.pool.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	var sum [sha256.Size]byte
	out := m.Sum(sum[:0])
	k.pool.Put(m)
	return hex.EncodeToString(out[:16])
}

// FieldCipher seals new values under its current key and opens values
// sealed by any key it holds.
type FieldCipher struct {
	current *FieldKey
	keys    map[ID]*FieldKey
	index   *IndexKey
	rand    io.Reader
}

// NewFieldCipher builds a cipher: current seals, every key of keys (current
// included or not) opens, index hashes. rnd is the nonce source
// (crypto/rand when nil).
func NewFieldCipher(current *FieldKey, keys []*FieldKey, index *IndexKey, rnd io.Reader) (*FieldCipher, error) {
	if current == nil || index == nil {
		return nil, fmt.Errorf("%w: a field cipher needs a current key and an index key", ErrBadKey)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	c := &FieldCipher{current: current, keys: map[ID]*FieldKey{current.id: current}, index: index, rand: rnd}
	for _, k := range keys {
		c.keys[k.id] = k
	}
	return c, nil
}

// Current is the key that seals.
func (c *FieldCipher) Current() *FieldKey { return c.current }

// Index is the index key.
func (c *FieldCipher) Index() *IndexKey { return c.index }

// String names the keys.
func (c *FieldCipher) String() string {
	return "field cipher " + c.current.id.String() + ", index " + c.index.id.String()
}

// IsSealed reports whether a stored value is sealed.
func IsSealed(v string) bool { return strings.HasPrefix(v, FieldPrefix) }

// SealedKeyID is the ID of the key that sealed v (false when v is not a
// well-formed sealed value).
func SealedKeyID(v string) (ID, bool) {
	if !IsSealed(v) {
		return ID{}, false
	}
	s := v[len(FieldPrefix):]
	if len(s) < 16 {
		return ID{}, false
	}
	var head [12]byte // 16 base64 characters are 12 bytes
	if _, err := base64.RawURLEncoding.Decode(head[:], []byte(s[:16])); err != nil {
		return ID{}, false
	}
	return ID(head[:IDSize]), true
}

// Seal seals plain for column (the additional data). The empty string
// stays empty: an absent value says nothing.
func (c *FieldCipher) Seal(column, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	return c.SealBytes(column, []byte(plain))
}

// SealBytes seals plain for column; empty stays empty.
func (c *FieldCipher) SealBytes(column string, plain []byte) (string, error) {
	if len(plain) == 0 {
		return "", nil
	}
	out, err := c.seal(column, plain, "")
	return string(out), err
}

// SealJSON seals plain (a JSON document) for column and returns the sealed
// value as a JSON string, quotes included, for a JSON column; empty stays
// empty.
func (c *FieldCipher) SealJSON(column string, plain []byte) ([]byte, error) {
	if len(plain) == 0 {
		return nil, nil
	}
	return c.seal(column, plain, `"`)
}

// seal returns quote, the prefix, the sealed value in base64url and quote.
func (c *FieldCipher) seal(column string, plain []byte, quote string) ([]byte, error) {
	k := c.current
	n := IDSize + 12 + len(plain) + 16
	buf := make([]byte, IDSize+12, n)
	copy(buf, k.id[:])
	if _, err := io.ReadFull(c.rand, buf[IDSize:IDSize+12]); err != nil {
		return nil, fmt.Errorf("keyring: nonce: %w", err)
	}
	buf = k.aead.Seal(buf, buf[IDSize:IDSize+12], plain, []byte(column))
	head := len(quote) + len(FieldPrefix)
	out := make([]byte, head+base64.RawURLEncoding.EncodedLen(len(buf))+len(quote))
	copy(out, quote)
	copy(out[len(quote):], FieldPrefix)
	base64.RawURLEncoding.Encode(out[head:], buf)
	copy(out[len(out)-len(quote):], quote)
	return out, nil
}

// Open opens a value of column: a sealed value is decrypted, a clear one
// (stored before encryption was turned on) is returned as it is.
func (c *FieldCipher) Open(column, stored string) (string, error) {
	if !IsSealed(stored) {
		return stored, nil
	}
	b, err := c.OpenBytes(column, stored)
	return string(b), err
}

// OpenBytes opens a value like Open, as bytes.
func (c *FieldCipher) OpenBytes(column, stored string) ([]byte, error) {
	if !IsSealed(stored) {
		return []byte(stored), nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(stored[len(FieldPrefix):])
	if err != nil || len(raw) < IDSize+12+16 {
		return nil, fmt.Errorf("%w: column %s: not a well-formed sealed value", ErrFieldOpen, column)
	}
	id := ID(raw[:IDSize])
	k := c.keys[id]
	if k == nil {
		return nil, fmt.Errorf("%w: column %s: sealed by field key %s, which is not loaded (a process started before keys rotate --reencrypt must be restarted)", ErrFieldOpen, column, id)
	}
	plain, err := k.aead.Open(raw[IDSize+12:IDSize+12], raw[IDSize:IDSize+12], raw[IDSize+12:], []byte(column))
	if err != nil {
		return nil, fmt.Errorf("%w: column %s, field key %s", ErrFieldOpen, column, id)
	}
	return plain, nil
}

// Hash is the index key's hash of value for column.
func (c *FieldCipher) Hash(column, value string) string { return c.index.Hash(column, value) }
