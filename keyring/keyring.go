// Package keyring holds the keys that protect Clearhouse's file store at
// rest: the key-encryption keys (KEKs) an operator provides, and the escrow
// key that keeps a second copy of every data key.
//
// Every stored file is encrypted under a data key of its own (AES-256-GCM,
// see package filestore). The data key is kept in the file's header twice:
//
//   - wrapped by the primary KEK (AES-256-GCM, a symmetric key of 32 random
//     bytes the operator provides in a file or an environment variable), and
//   - when an escrow key is configured, sealed to the escrow public key
//     (X25519, HKDF-SHA256, AES-256-GCM). Its private half is kept offline
//     by a custodian; with it, every file can be read even if every KEK is
//     lost.
//
// A key is named by its ID: the first 8 bytes of a SHA-256 over the key (a
// KEK) or the public key (escrow), printed as 16 hex digits. Headers record
// the IDs, so a ring that also holds the previous KEKs reads files written
// before a rotation; rotation (filestore.Store.Rewrap) wraps each data key
// again under the new primary KEK.
//
// No key material reaches an error message or a log: keys print as their
// IDs, and parse errors say what is wrong with the text, never the text.
package keyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Sentinel errors.
var (
	// ErrBadKey: the text is not a key of the expected kind.
	ErrBadKey = errors.New("keyring: not a valid key")
	// ErrNoKey: no key of the ring unwraps the data key (the KEK that
	// wrapped it is not configured and no escrow private key is given).
	ErrNoKey = errors.New("keyring: no configured key can unwrap the data key")
	// ErrNoPrimary: the ring has no primary KEK, so it cannot wrap.
	ErrNoPrimary = errors.New("keyring: no primary key-encryption key configured")
	// ErrUnwrap: a wrapped data key failed authentication (damaged header,
	// or the slot was not made by the key its ID names).
	ErrUnwrap = errors.New("keyring: wrapped data key failed authentication")
)

// Sizes of the header slots that carry a data key.
const (
	// DataKeySize is the size of a data key: AES-256.
	DataKeySize = 32
	// IDSize is the size of a key ID in a slot.
	IDSize = 8
	// wrappedSize is nonce + sealed data key + GCM tag.
	wrappedSize = 12 + DataKeySize + 16
	// SlotSize is the size of a data key wrapped by a KEK: key ID, nonce,
	// sealed key and tag.
	SlotSize = IDSize + wrappedSize
	// EscrowSlotSize is the size of a data key sealed to the escrow key:
	// escrow key ID, ephemeral X25519 public key, nonce, sealed key, tag.
	EscrowSlotSize = IDSize + 32 + wrappedSize
)

// Text prefixes of the escrow key halves; a KEK is bare base64.
const (
	escrowPublicPrefix  = "clearhouse-escrow-public:"
	escrowPrivatePrefix = "clearhouse-escrow-private:"
)

// ID names a key: 8 bytes of a SHA-256, printed in hex.
type ID [IDSize]byte

// String is the ID in hex.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports an empty slot.
func (id ID) IsZero() bool { return id == ID{} }

func idOf(domain string, material []byte) ID {
	h := sha256.New()
	h.Write([]byte(domain))
	h.Write(material)
	var id ID
	copy(id[:], h.Sum(nil))
	return id
}

// Key is a key-encryption key. It prints as its ID only.
type Key struct {
	id   ID
	aead cipher.AEAD
}

// ID is the key's ID.
func (k *Key) ID() ID { return k.id }

// String is the key's ID, so a Key logged by mistake shows no material.
func (k *Key) String() string { return "kek:" + k.id.String() }

// GoString hides the material from %#v as well.
func (k *Key) GoString() string { return k.String() }

// GenerateKey makes a new KEK from rnd (crypto/rand when nil) and returns
// it with its text form (base64), which the operator stores.
func GenerateKey(rnd io.Reader) (*Key, string, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	raw := make([]byte, 32)
	if _, err := io.ReadFull(rnd, raw); err != nil {
		return nil, "", fmt.Errorf("keyring: generating a key: %w", err)
	}
	k, err := newKey(raw)
	return k, base64.StdEncoding.EncodeToString(raw), err
}

// ParseKey reads a KEK from its text: 32 bytes in base64 (standard or URL
// alphabet, padded or not), surrounding space ignored.
func ParseKey(text string) (*Key, error) {
	raw, err := decode64(strings.TrimSpace(text))
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("%w: a key-encryption key is 32 bytes in base64 (44 characters); generate one with `clearhouse keys generate`", ErrBadKey)
	}
	return newKey(raw)
}

// LoadKeyFile reads a KEK from a file holding its text. The file should
// be readable by its owner only.
func LoadKeyFile(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: reading key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func newKey(raw []byte) (*Key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return &Key{id: idOf("clearhouse/kek\x00", raw), aead: aead}, nil
}

func decode64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, ErrBadKey
}

// EscrowPublic is the public half of the escrow key: files seal a copy of
// their data key to it. It can sit on every server.
type EscrowPublic struct {
	id  ID
	pub *ecdh.PublicKey
}

// ID is the escrow key's ID (of its public half; both halves share it).
func (e *EscrowPublic) ID() ID { return e.id }

// String is the escrow key's ID.
func (e *EscrowPublic) String() string { return "escrow:" + e.id.String() }

// EscrowPrivate is the private half of the escrow key: it opens the
// escrowed copy of any data key. A custodian keeps it offline and brings it
// for a restore.
type EscrowPrivate struct {
	id   ID
	priv *ecdh.PrivateKey
}

// ID is the escrow key's ID.
func (e *EscrowPrivate) ID() ID { return e.id }

// String is the escrow key's ID, never the material.
func (e *EscrowPrivate) String() string { return "escrow-private:" + e.id.String() }

// GoString hides the material from %#v as well.
func (e *EscrowPrivate) GoString() string { return e.String() }

// Public is the public half.
func (e *EscrowPrivate) Public() *EscrowPublic {
	return &EscrowPublic{id: e.id, pub: e.priv.PublicKey()}
}

// GenerateEscrow makes a new escrow key pair from rnd (crypto/rand when
// nil) and returns the text of its public and private halves.
func GenerateEscrow(rnd io.Reader) (publicText, privateText string, err error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	priv, err := ecdh.X25519().GenerateKey(rnd)
	if err != nil {
		return "", "", fmt.Errorf("keyring: generating an escrow key: %w", err)
	}
	return escrowPublicPrefix + base64.StdEncoding.EncodeToString(priv.PublicKey().Bytes()),
		escrowPrivatePrefix + base64.StdEncoding.EncodeToString(priv.Bytes()), nil
}

// ParseEscrowPublic reads the public half of an escrow key.
func ParseEscrowPublic(text string) (*EscrowPublic, error) {
	s, ok := strings.CutPrefix(strings.TrimSpace(text), escrowPublicPrefix)
	raw, err := decode64(s)
	if !ok || err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("%w: an escrow public key reads %q followed by 32 bytes in base64", ErrBadKey, escrowPublicPrefix)
	}
	pub, err := ecdh.X25519().NewPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: escrow public key: %v", ErrBadKey, err)
	}
	return &EscrowPublic{id: idOf("clearhouse/escrow\x00", raw), pub: pub}, nil
}

// ParseEscrowPrivate reads the private half of an escrow key.
func ParseEscrowPrivate(text string) (*EscrowPrivate, error) {
	s, ok := strings.CutPrefix(strings.TrimSpace(text), escrowPrivatePrefix)
	raw, err := decode64(s)
	if !ok || err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("%w: an escrow private key reads %q followed by 32 bytes in base64", ErrBadKey, escrowPrivatePrefix)
	}
	priv, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: escrow private key: %v", ErrBadKey, err)
	}
	return &EscrowPrivate{id: idOf("clearhouse/escrow\x00", priv.PublicKey().Bytes()), priv: priv}, nil
}

// LoadEscrowPublicFile and LoadEscrowPrivateFile read an escrow key half
// from a file.
func LoadEscrowPublicFile(path string) (*EscrowPublic, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: reading escrow key file: %w", err)
	}
	e, err := ParseEscrowPublic(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// LoadEscrowPrivateFile reads the private half of an escrow key from a file.
func LoadEscrowPrivateFile(path string) (*EscrowPrivate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: reading escrow key file: %w", err)
	}
	e, err := ParseEscrowPrivate(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// Ring is the set of keys a file store works with.
type Ring struct {
	// Primary wraps the data keys of new files (and of rewrapped ones).
	// A ring without one reads only.
	Primary *Key
	// Previous are older KEKs, kept so files wrapped before a rotation stay
	// readable until Rewrap has moved them to Primary.
	Previous []*Key
	// Escrow, when set, receives a sealed copy of every new data key.
	Escrow *EscrowPublic
	// EscrowPrivate, when set, opens escrowed copies: a restore after the
	// KEKs were lost.
	EscrowPrivate *EscrowPrivate
	// Rand is the source of data keys and nonces; crypto/rand when nil.
	Rand io.Reader
}

// Slots are the wrapped copies of one data key, as a file header keeps them.
type Slots struct {
	// Primary is the data key wrapped by a KEK (its ID first).
	Primary [SlotSize]byte
	// Escrow is the data key sealed to the escrow key; all zero when none.
	Escrow [EscrowSlotSize]byte
}

// PrimaryID is the ID of the KEK that wrapped the primary slot.
func (s *Slots) PrimaryID() ID { return ID(s.Primary[:IDSize]) }

// EscrowID is the ID of the escrow key of the escrow slot; zero when none.
func (s *Slots) EscrowID() ID { return ID(s.Escrow[:IDSize]) }

func (r *Ring) rand() io.Reader {
	if r.Rand != nil {
		return r.Rand
	}
	return rand.Reader
}

// CanWrap reports whether the ring can encrypt new files.
func (r *Ring) CanWrap() bool { return r != nil && r.Primary != nil }

// NewDataKey makes a data key and its slots.
func (r *Ring) NewDataKey() ([]byte, Slots, error) {
	if !r.CanWrap() {
		return nil, Slots{}, ErrNoPrimary
	}
	dek := make([]byte, DataKeySize)
	if _, err := io.ReadFull(r.rand(), dek); err != nil {
		return nil, Slots{}, fmt.Errorf("keyring: generating a data key: %w", err)
	}
	slots, err := r.wrap(dek)
	return dek, slots, err
}

func (r *Ring) wrap(dek []byte) (Slots, error) {
	var s Slots
	copy(s.Primary[:IDSize], r.Primary.id[:])
	if err := seal(r.rand(), r.Primary.aead, s.Primary[IDSize:], dek, r.Primary.id); err != nil {
		return s, err
	}
	if r.Escrow != nil {
		if err := r.sealEscrow(&s, dek); err != nil {
			return s, err
		}
	}
	return s, nil
}

// seal writes nonce | ciphertext | tag of dek into out.
func seal(rnd io.Reader, aead cipher.AEAD, out, dek []byte, id ID) error {
	nonce := out[:12]
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return fmt.Errorf("keyring: nonce: %w", err)
	}
	ct := aead.Seal(nil, nonce, dek, wrapAAD(id))
	copy(out[12:], ct)
	return nil
}

func open(aead cipher.AEAD, in []byte, id ID) ([]byte, error) {
	dek, err := aead.Open(nil, in[:12], in[12:], wrapAAD(id))
	if err != nil {
		return nil, fmt.Errorf("%w (key %s)", ErrUnwrap, id)
	}
	return dek, nil
}

func wrapAAD(id ID) []byte { return append([]byte("clearhouse/data-key\x00"), id[:]...) }

func escrowKEK(shared, ephemeral, recipient []byte) (cipher.AEAD, error) {
	salt := append(bytes.Clone(ephemeral), recipient...)
	k, err := hkdf.Key(sha256.New, shared, salt, "clearhouse/escrow-wrap", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (r *Ring) sealEscrow(s *Slots, dek []byte) error {
	eph, err := ecdh.X25519().GenerateKey(r.rand())
	if err != nil {
		return fmt.Errorf("keyring: escrow ephemeral key: %w", err)
	}
	shared, err := eph.ECDH(r.Escrow.pub)
	if err != nil {
		return fmt.Errorf("keyring: escrow agreement: %w", err)
	}
	aead, err := escrowKEK(shared, eph.PublicKey().Bytes(), r.Escrow.pub.Bytes())
	if err != nil {
		return fmt.Errorf("keyring: escrow wrap: %w", err)
	}
	copy(s.Escrow[:IDSize], r.Escrow.id[:])
	copy(s.Escrow[IDSize:IDSize+32], eph.PublicKey().Bytes())
	return seal(r.rand(), aead, s.Escrow[IDSize+32:], dek, r.Escrow.id)
}

func (r *Ring) kek(id ID) *Key {
	if r.Primary != nil && r.Primary.id == id {
		return r.Primary
	}
	for _, k := range r.Previous {
		if k.id == id {
			return k
		}
	}
	return nil
}

// Unwrap recovers a data key from its slots: through the KEK the primary
// slot names when the ring holds it, else through the escrow private key.
func (r *Ring) Unwrap(s Slots) ([]byte, error) {
	if r == nil {
		return nil, ErrNoKey
	}
	pid := s.PrimaryID()
	if k := r.kek(pid); k != nil {
		return open(k.aead, s.Primary[IDSize:], pid)
	}
	eid := s.EscrowID()
	if r.EscrowPrivate != nil && !eid.IsZero() && r.EscrowPrivate.id == eid {
		eph, err := ecdh.X25519().NewPublicKey(s.Escrow[IDSize : IDSize+32])
		if err != nil {
			return nil, fmt.Errorf("%w (escrow %s)", ErrUnwrap, eid)
		}
		shared, err := r.EscrowPrivate.priv.ECDH(eph)
		if err != nil {
			return nil, fmt.Errorf("%w (escrow %s)", ErrUnwrap, eid)
		}
		aead, err := escrowKEK(shared, eph.Bytes(), r.EscrowPrivate.priv.PublicKey().Bytes())
		if err != nil {
			return nil, fmt.Errorf("%w (escrow %s)", ErrUnwrap, eid)
		}
		return open(aead, s.Escrow[IDSize+32:], eid)
	}
	if eid.IsZero() {
		return nil, fmt.Errorf("%w: wrapped by key %s, which is not configured, and no escrow copy", ErrNoKey, pid)
	}
	return nil, fmt.Errorf("%w: wrapped by key %s, which is not configured; escrow copy under %s, whose private key is not given", ErrNoKey, pid, eid)
}

// Current reports whether slots are wrapped as the ring would wrap them
// now: by the primary KEK and, when the ring has an escrow key, sealed to it.
func (r *Ring) Current(s Slots) bool {
	if !r.CanWrap() || s.PrimaryID() != r.Primary.id {
		return false
	}
	if r.Escrow != nil && s.EscrowID() != r.Escrow.id {
		return false
	}
	return true
}

// Rewrap wraps the data key of s again under the primary KEK (and the
// escrow key, when configured): the step of a rotation.
func (r *Ring) Rewrap(s Slots) (Slots, error) {
	if !r.CanWrap() {
		return s, ErrNoPrimary
	}
	dek, err := r.Unwrap(s)
	if err != nil {
		return s, err
	}
	defer clear(dek)
	return r.wrap(dek)
}

// WrapDataKey wraps a given data key under the ring's keys.
func (r *Ring) WrapDataKey(dek []byte) (Slots, error) {
	if !r.CanWrap() {
		return Slots{}, ErrNoPrimary
	}
	if len(dek) != DataKeySize {
		return Slots{}, fmt.Errorf("%w: a data key is %d bytes", ErrBadKey, DataKeySize)
	}
	return r.wrap(dek)
}
