package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// SMSProvider sends one text message and returns the provider's message
// ID. A refusal for good (invalid or unreachable number, opted out at the
// carrier) wraps ErrBounced; any other error is temporary.
type SMSProvider interface {
	SendSMS(ctx context.Context, to, body string) (messageID string, err error)
}

// HTTPSMSConfig configures HTTPSMS.
type HTTPSMSConfig struct {
	// URL receives a POST per message. Required.
	URL string
	// Token is sent as "Authorization: Bearer <token>" when set; it never
	// appears in errors or logs.
	Token string
	// From is the sending number or sender ID.
	From string
	// Client defaults to an http.Client with a 30s timeout.
	Client *http.Client
}

// HTTPSMS is an SMS provider reached by a JSON POST, the shape most SMS
// gateways take:
//
//	POST URL  {"from": "...", "to": "+15555550100", "body": "..."}
//	2xx       {"id": "provider message id"}
//	4xx       the number or message is refused for good (bounce)
//	5xx, 429  try again later
type HTTPSMS struct {
	cfg HTTPSMSConfig
}

// NewHTTPSMS validates cfg.
func NewHTTPSMS(cfg HTTPSMSConfig) (*HTTPSMS, error) {
	if cfg.URL == "" {
		return nil, errors.New("notify: SMS provider URL is required")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &HTTPSMS{cfg: cfg}, nil
}

// SendSMS implements SMSProvider.
func (h *HTTPSMS) SendSMS(ctx context.Context, to, body string) (string, error) {
	payload, err := json.Marshal(map[string]string{"from": h.cfg.From, "to": to, "body": body})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(payload))
	if err != nil {
		return "", fmt.Errorf("notify: SMS provider request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.cfg.Token)
	}
	resp, err := h.cfg.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("notify: SMS provider: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", fmt.Errorf("notify: SMS provider: HTTP %d", resp.StatusCode)
	case resp.StatusCode >= 400:
		return "", fmt.Errorf("%w: SMS provider: HTTP %d", ErrBounced, resp.StatusCode)
	case resp.StatusCode >= 300:
		return "", fmt.Errorf("notify: SMS provider: HTTP %d", resp.StatusCode)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return "", fmt.Errorf("notify: SMS provider: answer is not JSON with an id: %w", err)
	}
	return out.ID, nil
}
