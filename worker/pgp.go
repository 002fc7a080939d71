package worker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/transport/pgp"
)

// pgpKeys returns the OpenPGP keys of a payer whose payer file asks for
// encryption (sftp.pgp), loaded on first use, or nil for a payer that
// does not encrypt. A key that cannot be loaded is an error of the
// configuration: the job fails and the file stays where it is.
func (p *Pipeline) pgpKeys(payerID string) (*pgp.Keys, error) {
	py, ok := p.cfg.Payers.Get(payerID)
	if !ok || py.SFTP.PGP == nil {
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.pgp[payerID]; ok {
		return k, nil
	}
	g := py.SFTP.PGP
	getenv := p.cfg.Transport.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var pass []byte
	if g.PassphraseEnv != "" {
		pass = []byte(getenv(g.PassphraseEnv))
	}
	k, err := pgp.Load(pgp.Config{PartnerPublicKeyFile: g.PublicKeyFile, PrivateKeyFile: g.PrivateKeyFile, Passphrase: pass, Sign: g.Sign})
	if err != nil {
		return nil, fmt.Errorf("payer %s: %w", payerID, err)
	}
	if p.pgp == nil {
		p.pgp = make(map[string]*pgp.Keys)
	}
	p.pgp[payerID] = k
	return k, nil
}

// encryptedBody is an outbound file as a payer that encrypts receives it:
// encrypted to its key (and signed with ours). An outbound file is one 837
// of at most max_claims_per_file claims, or one 270 or 276 batch, so it is
// held in memory to be rewound for a retried upload.
func encryptedBody(keys *pgp.Keys, body io.Reader, name string) (*bytes.Reader, error) {
	var buf bytes.Buffer
	if err := keys.Encrypt(&buf, body, name); err != nil {
		return nil, err
	}
	return bytes.NewReader(buf.Bytes()), nil
}

// uploadInterchange uploads a recorded outbound file to the payer,
// encrypted (and signed) first for a payer that asks for it; the file store
// keeps the X12 as written.
func (p *Pipeline) uploadInterchange(ctx context.Context, client *transport.Client, payerID string, ic store.Interchange) (transport.Uploaded, error) {
	keys, err := p.pgpKeys(payerID)
	if err != nil {
		return transport.Uploaded{}, err
	}
	body, err := p.openInterchange(ctx, ic)
	if err != nil {
		return transport.Uploaded{}, err
	}
	defer body.Close()
	var sent io.ReadSeeker = body
	if keys != nil {
		if sent, err = encryptedBody(keys, body, ic.FileName); err != nil {
			return transport.Uploaded{}, fmt.Errorf("interchange %d: %w", ic.ID, err)
		}
	}
	return client.Upload(ctx, ic.FileName, sent)
}
