package billing

import (
	"context"
	"io"

	"github.com/clearhouse/clearhouse/store"
)

// Store is what a Service uses of the store: InTx for every change (the
// transaction sees all of store.Tx), and the reads and single-row updates it
// makes outside one. Both store backends satisfy it.
type Store interface {
	InTx(ctx context.Context, clinicID int64, fn func(tx store.Tx) error) error
	GetClinic(ctx context.Context, p store.GetClinicParams) (store.Clinic, error)
	GetPatient(ctx context.Context, ref store.Ref) (store.Patient, error)
	ListPatients(ctx context.Context, p store.ListPatientsParams) ([]store.Patient, error)
	ListEncounters(ctx context.Context, p store.ListEncountersParams) ([]store.Encounter, error)
	ListClaims(ctx context.Context, p store.ListClaimsParams) ([]store.Claim, error)
	GetInterchange(ctx context.Context, ref store.Ref) (store.Interchange, error)
	ListInterchanges(ctx context.Context, p store.ListInterchangesParams) ([]store.Interchange, error)
	UpdateInterchangeTransfer(ctx context.Context, p store.UpdateInterchangeTransferParams) (store.Interchange, error)
	GetInboundFile(ctx context.Context, ref store.Ref) (store.InboundFile, error)
	OpenContent(ctx context.Context, contentID string) (io.ReadCloser, error)
	ListInboundFiles(ctx context.Context, p store.ListInboundFilesParams) ([]store.InboundFile, error)
	UpdateInboundFile(ctx context.Context, p store.UpdateInboundFileParams) (store.InboundFile, error)
	PostLedgerTransaction(ctx context.Context, p store.PostLedgerTransactionParams) (store.LedgerTransaction, bool, error)
	ListLedgerEntries(ctx context.Context, p store.ListLedgerEntriesParams) ([]store.LedgerEntry, error)
	LedgerBalance(ctx context.Context, p store.LedgerBalanceParams) (int64, error)
}
