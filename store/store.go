// Package store is Clearhouse's persistence layer: one interface, Store, over
// the clinics, patients, claims, interchanges, inbound files, remittances,
// ledger, worklist and audit log of the clearinghouse, with River jobs
// inserted in the same transaction as the rows they concern.
//
// Two implementations pass the same conformance suite (package storetest):
// PostgreSQL through pgx (package pgstore), where row-level security enforces
// clinic isolation, and the embedded SQLite default (package sqlitestore).
// Package storedb opens either from a --database string.
//
// The X12 files of interchanges and inbound files are not in the database:
// they are kept in a file store (package filestore), written and read as
// streams, and a row names its file by ContentID (OpenContent reads it).
//
// With a key-encryption key in the file store's keyring, the protected
// columns (patients' and subscribers' names, birth dates, member IDs,
// addresses, phone numbers, e-mail, claim documents and worklist details)
// are sealed with AES-256-GCM under field keys kept wrapped in the
// database, and the look-ups by member ID, birth date and last name compare
// keyed hashes (see FieldKeys and package keyring). Callers see clear
// values either way.
//
// Every call takes its arguments in one params struct (a Ref for reads by ID),
// and every clinic-owned call takes the clinic there. Calls on a Store run
// in a transaction of their own; InTx runs several calls atomically for one
// clinic, and a Tx may also insert River jobs that commit with its rows.
//
// Money is int64 cents. Timestamps are UTC, truncated to microseconds (what
// PostgreSQL keeps). Dates (birth dates, dates of service, effective dates) are
// time.Time values at midnight UTC; the store truncates anything finer.
package store

import (
	"context"
	"errors"
	"io"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Sentinel errors. Every error a store returns for one of these conditions
// wraps the sentinel, so callers test with errors.Is.
var (
	// ErrNotFound: no row with that ID (or key) in the caller's clinic. A row
	// of another clinic is never found.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a unique key is taken (patient control number, MRN, ...),
	// or an expected status no longer holds.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalidReference: a referenced row (patient, payer, claim, ...) does
	// not exist in the caller's clinic.
	ErrInvalidReference = errors.New("store: invalid reference")
	// ErrInvalid: params fail validation (missing field, bad JSON, unbalanced
	// ledger transaction, ...).
	ErrInvalid = errors.New("store: invalid params")
	// ErrClinicMismatch: params name a clinic other than the transaction's.
	ErrClinicMismatch = errors.New("store: params clinic differs from the transaction's clinic")
)

// Backend names a store implementation.
type Backend string

// The two backends.
const (
	BackendPostgres Backend = "postgres"
	BackendSQLite   Backend = "sqlite"
)

// Store is the persistence interface every higher layer uses.
type Store interface {
	Queries
	Users
	JobRequestQueue

	// InTx runs fn in one transaction bound to clinicID: it commits when fn
	// returns nil and rolls back otherwise (fn's error is returned as is).
	// Params passed to tx methods must carry clinicID or zero (meaning
	// clinicID); another clinic yields ErrClinicMismatch.
	InTx(ctx context.Context, clinicID int64, fn func(tx Tx) error) error

	// CreateClinic creates a clinic. It is the one write not scoped to an
	// existing clinic.
	CreateClinic(ctx context.Context, p CreateClinicParams) (Clinic, error)
	// ListClinics lists every clinic, for operators and nightly schedules
	// that iterate clinics. It exposes clinic rows only, never their data.
	ListClinics(ctx context.Context) ([]Clinic, error)

	// BulkInsertClaims inserts many claims of one clinic (COPY on
	// PostgreSQL, batched transactions on SQLite) and returns their IDs in
	// order. It is not atomic on SQLite: a failure leaves earlier batches
	// committed. Tx.BulkInsertClaims is the atomic form, for writing a
	// chunk with its other rows.
	BulkInsertClaims(ctx context.Context, p BulkInsertClaimsParams) ([]int64, error)
	// BulkInsertClaimPayments inserts many claim payments (with their
	// adjustments) of one clinic, like BulkInsertClaims.
	BulkInsertClaimPayments(ctx context.Context, p BulkInsertClaimPaymentsParams) ([]int64, error)

	// PutContent streams body into the file store outside any transaction
	// and returns what names it, for RecordInboundFileParams.Stored: a
	// large file is written before the transaction that records it begins,
	// so no database lock is held while it streams.
	PutContent(ctx context.Context, body io.Reader) (StoredContent, error)

	// InsertJob inserts a River job outside any store transaction.
	InsertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// InsertJobs inserts River jobs with one batch insert (River's
	// InsertMany), outside any store transaction; a job that a unique one
	// already holds comes back with UniqueSkippedAsDuplicate.
	InsertJobs(ctx context.Context, jobs []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	// NewQueue builds a River client for this store's database that works
	// the jobs of cfg.Workers. Start and Stop it; several may run.
	NewQueue(cfg QueueConfig) (Queue, error)

	// Migrate applies River's migrations, then the store's, and returns
	// what it applied (nothing when the schema is current).
	Migrate(ctx context.Context) ([]AppliedMigration, error)

	// Backend says which implementation this is.
	Backend() Backend
	// Close releases the store's connections. Stop queues first.
	Close() error
}

// Tx is a store transaction bound to one clinic.
type Tx interface {
	Queries
	BulkWrites

	// ClinicID is the clinic the transaction is bound to.
	ClinicID() int64
	// InsertJob inserts a River job in this transaction: it becomes visible
	// to workers only if the transaction commits.
	InsertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// InsertJobs inserts River jobs with one batch insert (River's
	// InsertManyTx) in this transaction.
	InsertJobs(ctx context.Context, jobs []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Queries are the calls available both on a Store (each in its own
// transaction) and on a Tx.
type Queries interface {
	ByIDs
	Totals

	GetClinic(ctx context.Context, p GetClinicParams) (Clinic, error)
	UpdateClinic(ctx context.Context, p UpdateClinicParams) (Clinic, error)

	CreateProvider(ctx context.Context, p CreateProviderParams) (Provider, error)
	GetProvider(ctx context.Context, ref Ref) (Provider, error)
	ListProviders(ctx context.Context, p ListProvidersParams) ([]Provider, error)
	UpdateProvider(ctx context.Context, p UpdateProviderParams) (Provider, error)

	CreatePayer(ctx context.Context, p CreatePayerParams) (Payer, error)
	GetPayer(ctx context.Context, ref Ref) (Payer, error)
	GetPayerByPayerID(ctx context.Context, p GetPayerByPayerIDParams) (Payer, error)
	ListPayers(ctx context.Context, p ListPayersParams) ([]Payer, error)
	UpdatePayer(ctx context.Context, p UpdatePayerParams) (Payer, error)
	// GetPayerUsage returns the clinic's ISA15 for a payer row (ref.ID is
	// the Payer.ID); ErrNotFound when no cutover set one.
	GetPayerUsage(ctx context.Context, ref Ref) (PayerUsage, error)
	SetPayerUsage(ctx context.Context, p SetPayerUsageParams) (PayerUsage, error)

	CreatePatient(ctx context.Context, p CreatePatientParams) (Patient, error)
	GetPatient(ctx context.Context, ref Ref) (Patient, error)
	ListPatients(ctx context.Context, p ListPatientsParams) ([]Patient, error)
	UpdatePatient(ctx context.Context, p UpdatePatientParams) (Patient, error)
	MergePatients(ctx context.Context, p MergePatientsParams) (PatientMerge, error)

	CreateCoverage(ctx context.Context, p CreateCoverageParams) (Coverage, error)
	GetCoverage(ctx context.Context, ref Ref) (Coverage, error)
	ListCoverages(ctx context.Context, p ListCoveragesParams) ([]Coverage, error)
	UpdateCoverage(ctx context.Context, p UpdateCoverageParams) (Coverage, error)
	RecordEligibility(ctx context.Context, p RecordEligibilityParams) (Coverage, error)

	CreateAppointment(ctx context.Context, p CreateAppointmentParams) (Appointment, error)
	GetAppointment(ctx context.Context, ref Ref) (Appointment, error)
	ListAppointments(ctx context.Context, p ListAppointmentsParams) ([]Appointment, error)
	UpdateAppointment(ctx context.Context, p UpdateAppointmentParams) (Appointment, error)

	CreateEncounter(ctx context.Context, p CreateEncounterParams) (Encounter, error)
	GetEncounter(ctx context.Context, ref Ref) (Encounter, error)
	ListEncounters(ctx context.Context, p ListEncountersParams) ([]Encounter, error)
	UpdateEncounter(ctx context.Context, p UpdateEncounterParams) (Encounter, error)

	CreateCharge(ctx context.Context, p CreateChargeParams) (Charge, error)
	GetCharge(ctx context.Context, ref Ref) (Charge, error)
	ListCharges(ctx context.Context, p ListChargesParams) ([]Charge, error)
	UpdateCharge(ctx context.Context, p UpdateChargeParams) (Charge, error)

	CreateClaim(ctx context.Context, p CreateClaimParams) (Claim, error)
	GetClaim(ctx context.Context, ref Ref) (Claim, error)
	GetClaimByPatientControlNumber(ctx context.Context, p GetClaimByPatientControlNumberParams) (Claim, error)
	GetClaimByPayerClaimControlNumber(ctx context.Context, p GetClaimByPayerClaimControlNumberParams) (Claim, error)
	ListClaims(ctx context.Context, p ListClaimsParams) ([]Claim, error)
	UpdateClaim(ctx context.Context, p UpdateClaimParams) (Claim, error)
	SetClaimStatus(ctx context.Context, p SetClaimStatusParams) (Claim, error)
	ListClaimStatusHistory(ctx context.Context, ref Ref) ([]ClaimStatusChange, error)

	AllocateControlNumbers(ctx context.Context, p AllocateControlNumbersParams) (ControlNumbers, error)
	CreateInterchange(ctx context.Context, p CreateInterchangeParams) (Interchange, error)
	GetInterchange(ctx context.Context, ref Ref) (Interchange, error)
	FindInterchange(ctx context.Context, p FindInterchangeParams) (Interchange, error)
	ListInterchanges(ctx context.Context, p ListInterchangesParams) ([]Interchange, error)
	UpdateInterchangeTransfer(ctx context.Context, p UpdateInterchangeTransferParams) (Interchange, error)

	RecordInboundFile(ctx context.Context, p RecordInboundFileParams) (InboundFile, bool, error)
	// OpenContent opens the file an interchange or inbound file names by
	// ContentID, as a stream from the file store (decrypted when it is
	// encrypted at rest); close it. An empty ID reads as an empty file.
	// The reader also implements io.Seeker for rewinding (an upload retry)
	// and for Seek(0, io.SeekEnd), its size.
	OpenContent(ctx context.Context, contentID string) (io.ReadCloser, error)
	GetInboundFile(ctx context.Context, ref Ref) (InboundFile, error)
	ListInboundFiles(ctx context.Context, p ListInboundFilesParams) ([]InboundFile, error)
	UpdateInboundFile(ctx context.Context, p UpdateInboundFileParams) (InboundFile, error)

	CreateAcknowledgment(ctx context.Context, p CreateAcknowledgmentParams) (Acknowledgment, error)
	ListAcknowledgments(ctx context.Context, p ListAcknowledgmentsParams) ([]Acknowledgment, error)

	CreateRemittance(ctx context.Context, p CreateRemittanceParams) (Remittance, bool, error)
	GetRemittance(ctx context.Context, ref Ref) (Remittance, error)
	ListRemittances(ctx context.Context, p ListRemittancesParams) ([]Remittance, error)
	UpdateRemittancePosting(ctx context.Context, p UpdateRemittancePostingParams) error
	CreateClaimPayment(ctx context.Context, p CreateClaimPaymentParams) (ClaimPayment, error)
	GetClaimPayment(ctx context.Context, ref Ref) (ClaimPayment, error)
	ListClaimPayments(ctx context.Context, p ListClaimPaymentsParams) ([]ClaimPayment, error)
	MatchClaimPayment(ctx context.Context, p MatchClaimPaymentParams) (ClaimPayment, error)

	PostLedgerTransaction(ctx context.Context, p PostLedgerTransactionParams) (LedgerTransaction, bool, error)
	ListLedgerEntries(ctx context.Context, p ListLedgerEntriesParams) ([]LedgerEntry, error)
	LedgerBalance(ctx context.Context, p LedgerBalanceParams) (int64, error)

	CreatePatientPayment(ctx context.Context, p CreatePatientPaymentParams) (PatientPayment, error)
	GetPatientPayment(ctx context.Context, ref Ref) (PatientPayment, error)
	ListPatientPayments(ctx context.Context, p ListPatientPaymentsParams) ([]PatientPayment, error)
	VoidPatientPayment(ctx context.Context, p VoidPatientPaymentParams) (PatientPayment, error)
	InsertPaymentAllocations(ctx context.Context, p InsertPaymentAllocationsParams) error
	ListPaymentAllocations(ctx context.Context, p ListPaymentAllocationsParams) ([]PaymentAllocation, error)
	CreatePaymentPlan(ctx context.Context, p CreatePaymentPlanParams) (PaymentPlan, error)
	GetPaymentPlan(ctx context.Context, ref Ref) (PaymentPlan, error)
	ListPaymentPlans(ctx context.Context, p ListPaymentPlansParams) ([]PaymentPlan, error)
	UpdatePaymentPlan(ctx context.Context, p UpdatePaymentPlanParams) (PaymentPlan, error)
	InsertBankDeposits(ctx context.Context, p InsertBankDepositsParams) ([]BankDeposit, error)
	ListBankDeposits(ctx context.Context, p ListBankDepositsParams) ([]BankDeposit, error)
	MatchBankDeposits(ctx context.Context, p MatchBankDepositsParams) error

	CreateWorklistItem(ctx context.Context, p CreateWorklistItemParams) (WorklistItem, bool, error)
	GetWorklistItem(ctx context.Context, ref Ref) (WorklistItem, error)
	ListWorklistItems(ctx context.Context, p ListWorklistItemsParams) ([]WorklistItem, error)
	UpdateWorklistItem(ctx context.Context, p UpdateWorklistItemParams) (WorklistItem, error)

	GetFHIRImport(ctx context.Context, p GetFHIRImportParams) (FHIRImport, error)
	RecordFHIRImport(ctx context.Context, p RecordFHIRImportParams) (FHIRImport, error)
	ListFHIRImports(ctx context.Context, p ListFHIRImportsParams) ([]FHIRImport, error)
	CreateReminderMessage(ctx context.Context, p CreateReminderMessageParams) (ReminderMessage, bool, error)
	GetReminderMessage(ctx context.Context, ref Ref) (ReminderMessage, error)
	ListReminderMessages(ctx context.Context, p ListReminderMessagesParams) ([]ReminderMessage, error)
	UpdateReminderMessage(ctx context.Context, p UpdateReminderMessageParams) (ReminderMessage, error)
	GetReminderPreference(ctx context.Context, p GetReminderPreferenceParams) (ReminderPreference, error)
	SetReminderPreference(ctx context.Context, p SetReminderPreferenceParams) (ReminderPreference, error)
	CreatePredictionModel(ctx context.Context, p CreatePredictionModelParams) (PredictionModel, error)
	LatestPredictionModel(ctx context.Context, p LatestPredictionModelParams) (PredictionModel, error)

	CreateJobRequests(ctx context.Context, p CreateJobRequestsParams) ([]JobRequest, error)
	GetJobRequest(ctx context.Context, ref Ref) (JobRequest, error)
	ListJobRequests(ctx context.Context, p ListJobRequestsParams) ([]JobRequest, error)

	AppendAuditEvent(ctx context.Context, p AppendAuditEventParams) (AuditEvent, error)
	AppendAuditEvents(ctx context.Context, p AppendAuditEventsParams) ([]AuditEvent, error)
	ListAuditEvents(ctx context.Context, p ListAuditEventsParams) ([]AuditEvent, error)
	VerifyAuditChain(ctx context.Context, p VerifyAuditChainParams) (AuditVerification, error)
}

// Ref names one clinic-owned row.
type Ref struct {
	ClinicID int64
	ID       int64
}

// AppliedMigration is one migration Migrate applied.
type AppliedMigration struct {
	// Component is "river" or "clearhouse".
	Component string
	Version   int
	Name      string
}
