package report

import (
	"context"

	"github.com/clearhouse/clearhouse/store"
)

// Store is what a report reads of the store: lists only, never a write.
// Both store backends satisfy it.
type Store interface {
	ListClinics(ctx context.Context) ([]store.Clinic, error)
	ListPayers(ctx context.Context, p store.ListPayersParams) ([]store.Payer, error)
	ListProviders(ctx context.Context, p store.ListProvidersParams) ([]store.Provider, error)
	ListEncounters(ctx context.Context, p store.ListEncountersParams) ([]store.Encounter, error)
	ListAppointments(ctx context.Context, p store.ListAppointmentsParams) ([]store.Appointment, error)
	ListClaims(ctx context.Context, p store.ListClaimsParams) ([]store.Claim, error)
	ListAcknowledgments(ctx context.Context, p store.ListAcknowledgmentsParams) ([]store.Acknowledgment, error)
	ListRemittances(ctx context.Context, p store.ListRemittancesParams) ([]store.Remittance, error)
	ListClaimPayments(ctx context.Context, p store.ListClaimPaymentsParams) ([]store.ClaimPayment, error)
	ListLedgerEntries(ctx context.Context, p store.ListLedgerEntriesParams) ([]store.LedgerEntry, error)
	ListWorklistItems(ctx context.Context, p store.ListWorklistItemsParams) ([]store.WorklistItem, error)
}
