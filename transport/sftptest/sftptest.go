// Package sftptest holds test fixtures for SFTP code: ed25519 keys, a TCP
// proxy that cuts connections after a number of bytes, and a harness that
// runs Debian's OpenSSH server (/usr/sbin/sshd) on a loopback port.
package sftptest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Key is an ed25519 key pair for tests.
type Key struct {
	Private ed25519.PrivateKey
	Signer  ssh.Signer
}

// Public returns the SSH public key.
func (k Key) Public() ssh.PublicKey { return k.Signer.PublicKey() }

// NewKey generates an ed25519 key.
func NewKey(t testing.TB) Key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return Key{Private: priv, Signer: signer}
}

// PEM returns the private key in OpenSSH format, encrypted when passphrase
// is not empty.
func (k Key) PEM(t testing.TB, passphrase string) []byte {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(k.Private, "sftptest")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(k.Private, "sftptest", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block)
}

// WritePrivate writes the private key (see PEM) to path with mode 0600.
func (k Key) WritePrivate(t testing.TB, path, passphrase string) {
	t.Helper()
	if err := os.WriteFile(path, k.PEM(t, passphrase), 0o600); err != nil {
		t.Fatal(err)
	}
}

// AuthorizedKey returns the public key as an authorized_keys line.
func (k Key) AuthorizedKey() []byte { return ssh.MarshalAuthorizedKey(k.Public()) }
