package store

import (
	"context"
	"errors"
)

// payerUsageGetter is what UsageFor reads.
type payerUsageGetter interface {
	GetPayerUsage(ctx context.Context, ref Ref) (PayerUsage, error)
}

// UsageFor is the ISA15 usage indicator of a clinic's interchanges to a
// payer (payerID is the clinic's payer row): the one an operator's cutover
// set for the clinic and payer, else fallback, the payer file's.
func UsageFor(ctx context.Context, q payerUsageGetter, clinicID, payerID int64, fallback string) (string, error) {
	u, err := q.GetPayerUsage(ctx, Ref{ClinicID: clinicID, ID: payerID})
	switch {
	case err == nil:
		return u.Usage, nil
	case errors.Is(err, ErrNotFound):
		return fallback, nil
	}
	return "", err
}
