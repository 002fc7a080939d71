package worklist

import (
	"context"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
)

// Store is what a Service uses of the store: the reads behind listings and
// item details, InTx for every action (the transaction sees all of
// store.Tx), and what billing needs for the write-offs it posts. Both store
// backends satisfy it.
type Store interface {
	billing.Store
	ListClinics(ctx context.Context) ([]store.Clinic, error)
	ListPayers(ctx context.Context, p store.ListPayersParams) ([]store.Payer, error)
	GetClaim(ctx context.Context, ref store.Ref) (store.Claim, error)
	ListClaimStatusHistory(ctx context.Context, ref store.Ref) ([]store.ClaimStatusChange, error)
	ListClaimPayments(ctx context.Context, p store.ListClaimPaymentsParams) ([]store.ClaimPayment, error)
	GetRemittance(ctx context.Context, ref store.Ref) (store.Remittance, error)
	GetWorklistItem(ctx context.Context, ref store.Ref) (store.WorklistItem, error)
	ListWorklistItems(ctx context.Context, p store.ListWorklistItemsParams) ([]store.WorklistItem, error)
}
