// Package pgp encrypts the files sent to a payer over SFTP and decrypts
// the payer's responses (OpenPGP, RFC 4880 and RFC 9580, with
// github.com/ProtonMail/go-crypto), where a payer's companion guide asks
// for it.
//
// A Keys holds both sides of one trading partnership: the partner's public
// key (files are encrypted to it, and its signatures are checked) and our
// own private key (files from the partner are decrypted with it, and ours
// are signed with it). The clearinghouse holds the payer's public key and
// its own private key; the payer simulator holds the mirror image.
package pgp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Sentinel errors. A file that cannot be decrypted or whose signature does
// not verify wraps ErrDecrypt or ErrSignature; a key that cannot be loaded
// wraps ErrKey.
var (
	ErrKey       = errors.New("pgp: key")
	ErrDecrypt   = errors.New("pgp: the file cannot be decrypted")
	ErrSignature = errors.New("pgp: bad or missing signature")
)

// Config names the key files of one partnership.
type Config struct {
	// PartnerPublicKeyFile is the partner's public key (armored or
	// binary): what is sent is encrypted to it, and, with Sign, what is
	// received must be signed by it.
	PartnerPublicKeyFile string
	// PrivateKeyFile is our own private key (armored or binary): what is
	// received is decrypted with it, and, with Sign, what is sent is
	// signed with it.
	PrivateKeyFile string
	// Passphrase unlocks PrivateKeyFile when it is protected.
	Passphrase []byte
	// Sign signs what is sent and requires a good signature of the
	// partner on what is received.
	Sign bool
}

// Keys are a partnership's loaded keys.
type Keys struct {
	partner openpgp.EntityList
	ours    openpgp.EntityList
	sign    bool
	config  *packet.Config
}

// Load reads and checks the key files of cfg.
func Load(cfg Config) (*Keys, error) {
	if cfg.PartnerPublicKeyFile == "" || cfg.PrivateKeyFile == "" {
		return nil, fmt.Errorf("%w: both the partner's public key file and our private key file are required", ErrKey)
	}
	partner, err := readKeyFile(cfg.PartnerPublicKeyFile)
	if err != nil {
		return nil, err
	}
	ours, err := readKeyFile(cfg.PrivateKeyFile)
	if err != nil {
		return nil, err
	}
	for _, e := range ours {
		if e.PrivateKey == nil {
			return nil, fmt.Errorf("%w: %s holds no private key", ErrKey, cfg.PrivateKeyFile)
		}
		if err := e.DecryptPrivateKeys(cfg.Passphrase); err != nil {
			return nil, fmt.Errorf("%w: %s: unlocking the private key: %v", ErrKey, cfg.PrivateKeyFile, err)
		}
	}
	return &Keys{partner: partner, ours: ours, sign: cfg.Sign}, nil
}

// readKeyFile reads an armored or binary key ring.
func readKeyFile(path string) (openpgp.EntityList, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	var el openpgp.EntityList
	if isArmored(b) {
		el, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
	} else {
		el, err = openpgp.ReadKeyRing(bytes.NewReader(b))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKey, path, err)
	}
	if len(el) == 0 {
		return nil, fmt.Errorf("%w: %s holds no key", ErrKey, path)
	}
	return el, nil
}

func isArmored(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN PGP"))
}

// Signs reports whether files are signed and signatures required.
func (k *Keys) Signs() bool { return k.sign }

// Encrypt writes r to w encrypted to the partner's key (binary OpenPGP),
// signed with ours when the partnership signs. name is the literal data's
// file name.
func (k *Keys) Encrypt(w io.Writer, r io.Reader, name string) error {
	var signer *openpgp.Entity
	if k.sign {
		signer = k.ours[0]
	}
	pw, err := openpgp.Encrypt(w, k.partner, signer, &openpgp.FileHints{IsBinary: true, FileName: name}, k.config)
	if err != nil {
		return fmt.Errorf("pgp: encrypting %s: %w", name, err)
	}
	if _, err := io.Copy(pw, r); err != nil {
		pw.Close()
		return fmt.Errorf("pgp: encrypting %s: %w", name, err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("pgp: encrypting %s: %w", name, err)
	}
	return nil
}

// Decrypt writes the plaintext of the message in r (binary or armored) to
// w. A message not encrypted to our key, damaged, or (when the partnership
// signs) not signed by the partner or with a signature that does not
// verify is refused: the error wraps ErrDecrypt or ErrSignature, and what
// was written to w must be discarded.
func (k *Keys) Decrypt(w io.Writer, r io.Reader) error {
	br := bufio.NewReader(r)
	head, _ := br.Peek(64)
	var in io.Reader = br
	if isArmored(head) {
		block, err := armor.Decode(br)
		if err != nil {
			return fmt.Errorf("%w: armor: %v", ErrDecrypt, err)
		}
		in = block.Body
	}
	keyring := append(append(openpgp.EntityList{}, k.ours...), k.partner...)
	md, err := openpgp.ReadMessage(in, keyring, nil, k.config)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	if !md.IsEncrypted || md.DecryptedWith.Entity == nil {
		return fmt.Errorf("%w: the file is not encrypted to our key", ErrDecrypt)
	}
	if _, err := io.Copy(w, md.UnverifiedBody); err != nil {
		var se pgperrors.SignatureError
		if errors.As(err, &se) {
			return fmt.Errorf("%w: %v", ErrSignature, err)
		}
		return fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	if !k.sign {
		return nil
	}
	switch {
	case !md.IsSigned:
		return fmt.Errorf("%w: the file is not signed", ErrSignature)
	case md.SignedBy == nil || !k.isPartner(md.SignedBy.Entity):
		return fmt.Errorf("%w: signed by key %016X, not the partner's", ErrSignature, md.SignedByKeyId)
	case md.SignatureError != nil:
		return fmt.Errorf("%w: %v", ErrSignature, md.SignatureError)
	}
	return nil
}

// isPartner reports whether e is one of the partner's keys.
func (k *Keys) isPartner(e *openpgp.Entity) bool {
	if e == nil {
		return false
	}
	for _, p := range k.partner {
		if p.PrimaryKey.KeyId == e.PrimaryKey.KeyId {
			return true
		}
	}
	return false
}
