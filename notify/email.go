package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	mail "github.com/wneessen/go-mail"
)

// ErrBounced is wrapped by the errors of a permanent refusal: the mail
// server refused the recipient or the message for good (SMTP 5xx), or the
// SMS provider refused the number (HTTP 4xx). A bounced reminder is not
// tried again.
var ErrBounced = errors.New("notify: refused for good")

// EmailSender sends one e-mail and returns its message ID.
type EmailSender interface {
	SendEmail(ctx context.Context, to string, m Message) (messageID string, err error)
}

// SMTPConfig is how to reach the clinic's mail server.
type SMTPConfig struct {
	// Host and Port of the submission server. Port default 587.
	Host string
	Port int
	// Username and Password authenticate (SMTP AUTH PLAIN) when Username
	// is set; the password never appears in errors or logs.
	Username, Password string
	// From is the sender address. Required.
	From string
	// TLS is "starttls" (the default: required), "tls" (implicit TLS,
	// port 465) or "none" (a local relay or a test server only).
	TLS string
	// Timeout bounds one connection. Default 30s.
	Timeout time.Duration
}

// SMTPMailer sends e-mail over SMTP with go-mail.
type SMTPMailer struct {
	cfg SMTPConfig
}

// NewSMTPMailer validates cfg.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.TLS == "" {
		cfg.TLS = "starttls"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	var errs []error
	if cfg.Host == "" {
		errs = append(errs, errors.New("notify: SMTP host is required"))
	}
	if cfg.From == "" {
		errs = append(errs, errors.New("notify: SMTP from address is required"))
	}
	if cfg.TLS != "starttls" && cfg.TLS != "tls" && cfg.TLS != "none" {
		errs = append(errs, fmt.Errorf("notify: SMTP tls %q: want starttls, tls or none", cfg.TLS))
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		errs = append(errs, fmt.Errorf("notify: SMTP port %d", cfg.Port))
	}
	return &SMTPMailer{cfg: cfg}, errors.Join(errs...)
}

// SendEmail sends one plain-text message. A refusal for good wraps
// ErrBounced; any other error is temporary.
func (s *SMTPMailer) SendEmail(ctx context.Context, to string, m Message) (string, error) {
	msg := mail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return "", fmt.Errorf("notify: from address: %w", err)
	}
	if err := msg.To(to); err != nil {
		// An address that does not parse never will.
		return "", fmt.Errorf("%w: recipient address does not parse", ErrBounced)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	msg.SetMessageID()
	msg.SetDate()
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "tls":
		opts = append(opts, mail.WithSSL())
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	c, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return "", fmt.Errorf("notify: SMTP client: %w", err)
	}
	id := msg.GetMessageID()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return id, fmt.Errorf("%w: SMTP %d %s", ErrBounced, se.ErrorCode(), se.EnhancedStatusCode())
		}
		return id, fmt.Errorf("notify: SMTP %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return id, nil
}
