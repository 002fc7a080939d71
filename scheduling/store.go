package scheduling

import (
	"context"

	"github.com/clearhouse/clearhouse/store"
)

// Store is what a Service uses of the store: InTx for every change to the
// book (the transaction sees all of store.Tx), and the reads it makes
// outside one. Both store backends satisfy it.
type Store interface {
	InTx(ctx context.Context, clinicID int64, fn func(tx store.Tx) error) error
	GetClinic(ctx context.Context, p store.GetClinicParams) (store.Clinic, error)
	GetProvider(ctx context.Context, ref store.Ref) (store.Provider, error)
	ListProviders(ctx context.Context, p store.ListProvidersParams) ([]store.Provider, error)
	GetPatient(ctx context.Context, ref store.Ref) (store.Patient, error)
	ListPatients(ctx context.Context, p store.ListPatientsParams) ([]store.Patient, error)
	GetPayer(ctx context.Context, ref store.Ref) (store.Payer, error)
	GetPayerByPayerID(ctx context.Context, p store.GetPayerByPayerIDParams) (store.Payer, error)
	coverageReader
	GetAppointment(ctx context.Context, ref store.Ref) (store.Appointment, error)
	ListAppointments(ctx context.Context, p store.ListAppointmentsParams) ([]store.Appointment, error)
}

// coverageReader reads coverages, on a Store or in a transaction.
type coverageReader interface {
	GetCoverage(ctx context.Context, ref store.Ref) (store.Coverage, error)
	ListCoverages(ctx context.Context, p store.ListCoveragesParams) ([]store.Coverage, error)
}
