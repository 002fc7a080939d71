package payments

import "context"

// Processor takes card payments. Clearhouse hands it tokens the processor
// issued (a payment method collected by the processor's own card form or
// terminal) and keeps its payment and refund IDs; a card number never
// passes through.
type Processor interface {
	// Name is recorded on the payment ("stripe").
	Name() string
	// Charge collects an amount now from a tokenized card.
	Charge(ctx context.Context, r ChargeRequest) (Charge, error)
	// Refund pays back part or all of a charge.
	Refund(ctx context.Context, r RefundRequest) (Refund, error)
}

// ChargeRequest asks for a card payment.
type ChargeRequest struct {
	AmountCents int64
	// PaymentMethodToken is the processor's token for the card.
	PaymentMethodToken string
	// CustomerToken is the processor's customer when the card is on file
	// (payment plans charge it off-session).
	CustomerToken string
	// IdempotencyKey makes a retried request charge once.
	IdempotencyKey string
	// Description is shown on the processor's dashboard; never PHI.
	Description string
}

// Charge is a completed card payment.
type Charge struct {
	Processor string
	// ID is the processor's payment ID.
	ID        string
	CardBrand string
	CardLast4 string
}

// RefundRequest pays back a charge.
type RefundRequest struct {
	PaymentID      string
	AmountCents    int64
	IdempotencyKey string
}

// Refund is a refund the processor accepted.
type Refund struct {
	ID string
}
