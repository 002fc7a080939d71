package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/stripe/stripe-go/v82"
)

// StripeConfig configures the Stripe processor.
type StripeConfig struct {
	// SecretKey is the account's API key (sk_test_... or sk_live_...).
	// It is never logged or put in an error.
	SecretKey string
	// URL overrides Stripe's API address (a test server); empty uses
	// Stripe's.
	URL string
	// HTTPClient overrides the HTTP client.
	HTTPClient *http.Client
}

// Stripe takes card payments with Stripe PaymentIntents (created and
// confirmed in one call, off-session for cards on file) and refunds with
// Stripe Refunds, through the official stripe-go client.
type Stripe struct {
	c *stripe.Client
}

// NewStripe returns a Stripe processor.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if cfg.SecretKey == "" {
		return nil, fmt.Errorf("%w: stripe needs a secret key", ErrInput)
	}
	retries := int64(2)
	bc := &stripe.BackendConfig{HTTPClient: cfg.HTTPClient, MaxNetworkRetries: &retries,
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}}
	if cfg.URL != "" {
		bc.URL = stripe.String(cfg.URL)
	}
	backends := &stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend, bc),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc), Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc)}
	return &Stripe{c: stripe.NewClient(cfg.SecretKey, stripe.WithBackends(backends))}, nil
}

// Name is "stripe".
func (*Stripe) Name() string { return "stripe" }

// Charge creates and confirms a PaymentIntent in USD.
func (s *Stripe) Charge(ctx context.Context, r ChargeRequest) (Charge, error) {
	p := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(r.AmountCents),
		Currency:           stripe.String(string(stripe.CurrencyUSD)),
		PaymentMethod:      stripe.String(r.PaymentMethodToken),
		PaymentMethodTypes: []*string{stripe.String("card")},
		Confirm:            stripe.Bool(true),
	}
	if r.CustomerToken != "" {
		p.Customer = stripe.String(r.CustomerToken)
		p.OffSession = stripe.Bool(true)
	}
	if r.Description != "" {
		p.Description = stripe.String(r.Description)
	}
	if r.IdempotencyKey != "" {
		p.SetIdempotencyKey(r.IdempotencyKey)
	}
	p.AddExpand("latest_charge")
	pi, err := s.c.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return Charge{}, stripeError("charge", err)
	}
	if pi.Status != stripe.PaymentIntentStatusSucceeded {
		return Charge{}, fmt.Errorf("%w: stripe payment %s is %s", ErrDeclined, pi.ID, pi.Status)
	}
	c := Charge{Processor: s.Name(), ID: pi.ID}
	if lc := pi.LatestCharge; lc != nil && lc.PaymentMethodDetails != nil && lc.PaymentMethodDetails.Card != nil {
		c.CardBrand = string(lc.PaymentMethodDetails.Card.Brand)
		c.CardLast4 = lc.PaymentMethodDetails.Card.Last4
	}
	return c, nil
}

// Refund refunds part or all of a PaymentIntent.
func (s *Stripe) Refund(ctx context.Context, r RefundRequest) (Refund, error) {
	p := &stripe.RefundCreateParams{PaymentIntent: stripe.String(r.PaymentID), Amount: stripe.Int64(r.AmountCents)}
	if r.IdempotencyKey != "" {
		p.SetIdempotencyKey(r.IdempotencyKey)
	}
	rf, err := s.c.V1Refunds.Create(ctx, p)
	if err != nil {
		return Refund{}, stripeError("refund", err)
	}
	if rf.Status == stripe.RefundStatusFailed || rf.Status == stripe.RefundStatusCanceled {
		return Refund{}, fmt.Errorf("%w: stripe refund %s is %s", ErrDeclined, rf.ID, rf.Status)
	}
	return Refund{ID: rf.ID}, nil
}

// stripeError keeps Stripe's error type, code and message (never the key),
// and marks card errors as declines.
func stripeError(op string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		if se.Type == stripe.ErrorTypeCard {
			return fmt.Errorf("%w: stripe %s: %s (%s)", ErrDeclined, op, se.Msg, se.Code)
		}
		return fmt.Errorf("payments: stripe %s: %s %s: %s", op, se.Type, se.Code, se.Msg)
	}
	return fmt.Errorf("payments: stripe %s: %w", op, err)
}
