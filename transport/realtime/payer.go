package realtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/payers"
)

// PayerExchanger sends real-time transactions to each payer's endpoint as
// its payer file names it (realtime: url, user, password_env).
type PayerExchanger struct {
	// Getenv reads the password variables; default none (every request
	// then fails with a clear message).
	Getenv func(string) string
	// URL, when set, replaces every payer's endpoint (one simulator, or a
	// test server).
	URL string
	// Timeout, when set, replaces the payers' timeouts.
	Timeout time.Duration
	// Now stamps envelopes; default time.Now.
	Now func() time.Time
}

// ErrNotConfigured is wrapped when a payer has no real-time endpoint or its
// password variable is empty.
var ErrNotConfigured = errors.New("real-time connection not configured")

// client builds the client of payer p.
func (x *PayerExchanger) client(p *payers.Payer) (*Client, error) {
	rt := p.RealTime
	u := cmp.Or(x.URL, rt.URL)
	if u == "" {
		return nil, fmt.Errorf("%w: payer %s has no realtime.url in %s", ErrNotConfigured, p.ID, cmp.Or(p.File, "its payer file"))
	}
	password := ""
	if x.Getenv != nil && rt.PasswordEnv != "" {
		password = x.Getenv(rt.PasswordEnv)
	}
	if rt.User == "" || password == "" {
		return nil, fmt.Errorf("%w: payer %s needs realtime.user and the password in $%s", ErrNotConfigured, p.ID, cmp.Or(rt.PasswordEnv, "(realtime.password_env)"))
	}
	timeout := x.Timeout
	if timeout == 0 && rt.TimeoutSeconds > 0 {
		timeout = time.Duration(rt.TimeoutSeconds) * time.Second
	}
	return &Client{URL: u, SenderID: strings.TrimSpace(p.Envelope.SenderID), ReceiverID: p.ID,
		UserName: rt.User, Password: password, Timeout: timeout, Now: x.Now}, nil
}

// Ready reports whether payer p can be reached: an endpoint, a user and a
// password are configured.
func (x *PayerExchanger) Ready(p *payers.Payer) error {
	_, err := x.client(p)
	return err
}

// Exchange270 sends a 270 to the payer and returns its 271. A 999 or TA1
// answer (the payer rejected the 270 itself) is an error naming it.
func (x *PayerExchanger) Exchange270(ctx context.Context, p *payers.Payer, x12 []byte) ([]byte, error) {
	c, err := x.client(p)
	if err != nil {
		return nil, err
	}
	resp, err := c.Exchange(ctx, Payload270, x12)
	if err != nil {
		return nil, err
	}
	switch resp.PayloadType {
	case Payload271:
		return resp.Payload, nil
	case Payload999, PayloadTA1:
		return nil, fmt.Errorf("payer %s rejected the 270: its answer is a %s (%d bytes)", p.ID, resp.PayloadType, len(resp.Payload))
	}
	return nil, fmt.Errorf("payer %s answered a 270 with payload type %q", p.ID, resp.PayloadType)
}
