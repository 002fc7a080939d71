package realtime

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// DefaultTimeout bounds one exchange: CORE asks a real-time response within
// 20 seconds (Eligibility & Benefits Infrastructure Rule, response time).
const DefaultTimeout = 20 * time.Second

// Client sends requests to one endpoint.
type Client struct {
	// URL is the endpoint's address.
	URL string
	// SenderID and ReceiverID go into every envelope.
	SenderID, ReceiverID string
	// UserName and Password authenticate the sender (CORE's
	// username/password submitter authentication).
	UserName, Password string
	// Timeout bounds the whole exchange; default DefaultTimeout.
	Timeout time.Duration
	// HTTP is the HTTP client; default one with Timeout.
	HTTP *http.Client
	// Now stamps envelopes; default time.Now.
	Now func() time.Time
}

// ErrTimeout is wrapped when the receiver does not answer within the timeout.
var ErrTimeout = errors.New("no answer")

// ResponseError is a response whose ErrorCode is not Success.
type ResponseError struct {
	Code, Message string
	Response      Envelope
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("the receiver answered %s: %s", e.Code, e.Message)
}

// Exchange sends payload as payloadType and returns the response envelope.
// A response with an ErrorCode other than Success is returned with a
// *ResponseError; no answer within the timeout is ErrTimeout.
func (c *Client) Exchange(ctx context.Context, payloadType string, payload []byte) (Envelope, error) {
	timeout := cmp.Or(c.Timeout, DefaultTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	req := Envelope{PayloadType: payloadType, ProcessingMode: ProcessingModeRealTime, PayloadID: NewPayloadID(),
		TimeStamp: now(), SenderID: c.SenderID, ReceiverID: c.ReceiverID, RuleVersion: RuleVersion,
		UserName: c.UserName, Password: c.Password, Payload: payload}
	body, ct, err := req.Bytes()
	if err != nil {
		return Envelope{}, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return Envelope{}, fmt.Errorf("real-time endpoint %q: %w", c.URL, err)
	}
	hr.Header.Set("Content-Type", ct)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: timeout}
	}
	resp, err := hc.Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || isTimeout(err) {
			return Envelope{}, fmt.Errorf("%w from %s (%s) within %s", ErrTimeout, c.ReceiverID, c.URL, timeout)
		}
		return Envelope{}, fmt.Errorf("real-time endpoint %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return Envelope{}, &ResponseError{Code: ErrorUnauthorized, Message: "the receiver refused the user name or password"}
	}
	out, err := Read(resp.Body, resp.Header.Get("Content-Type"), false)
	if err != nil {
		if ctx.Err() != nil {
			return Envelope{}, fmt.Errorf("%w from %s (%s) within %s", ErrTimeout, c.ReceiverID, c.URL, timeout)
		}
		return out, fmt.Errorf("real-time response from %s (HTTP %d): %w", c.URL, resp.StatusCode, err)
	}
	if out.ErrorCode != ErrorSuccess {
		return out, &ResponseError{Code: out.ErrorCode, Message: out.ErrorMessage, Response: out}
	}
	if out.PayloadID != req.PayloadID {
		return out, fmt.Errorf("real-time response from %s: PayloadID %s does not answer request %s", c.URL, out.PayloadID, req.PayloadID)
	}
	return out, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
