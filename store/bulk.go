package store

import (
	"context"

	"github.com/clearhouse/clearhouse/claim"
)

// Set-based calls: a stage loads a chunk's rows with a few ByIDs queries,
// computes in memory and writes the chunk with the BulkWrites of one Tx.
// ID lists of any length are accepted (the store splits them into
// statements of a bounded size); rows come back in ID order (charges and
// coverages in the order of their single-row list calls), and an ID with no
// row in the clinic is left out, never an error.

// IDsParams names rows of one clinic by ID.
type IDsParams struct {
	ClinicID int64
	IDs      []int64
}

// ListChargesByEncountersParams lists the charges of several encounters;
// Unbilled keeps those without a claim.
type ListChargesByEncountersParams struct {
	ClinicID     int64
	EncounterIDs []int64
	Unbilled     bool
}

// ListCoveragesByPatientsParams lists the coverages of several patients.
type ListCoveragesByPatientsParams struct {
	ClinicID   int64
	PatientIDs []int64
}

// ListTakenPatientControlNumbersParams asks which of several patient
// control numbers a claim of the clinic already uses.
type ListTakenPatientControlNumbersParams struct {
	ClinicID              int64
	PatientControlNumbers []string
}

// KeysParams names rows of one clinic by a text key (a patient or payer
// claim control number).
type KeysParams struct {
	ClinicID int64
	Keys     []string
	// WithoutDocuments, for claims, leaves their documents out (Document
	// nil), for a caller that reads only the claims' columns.
	WithoutDocuments bool
}

// ByIDs are the chunk loaders, on a Store (one transaction each) and on a
// Tx.
type ByIDs interface {
	GetEncountersByIDs(ctx context.Context, p IDsParams) ([]Encounter, error)
	GetClaimsByIDs(ctx context.Context, p IDsParams) ([]Claim, error)
	// ListClaimsByEncounters returns the claims of the encounters p.IDs, in
	// ID order.
	ListClaimsByEncounters(ctx context.Context, p IDsParams) ([]Claim, error)
	ListChargesByEncounters(ctx context.Context, p ListChargesByEncountersParams) ([]Charge, error)
	GetPatientsByIDs(ctx context.Context, p IDsParams) ([]Patient, error)
	GetProvidersByIDs(ctx context.Context, p IDsParams) ([]Provider, error)
	GetPayersByIDs(ctx context.Context, p IDsParams) ([]Payer, error)
	GetCoveragesByIDs(ctx context.Context, p IDsParams) ([]Coverage, error)
	// ListCoveragesByPatients orders by patient, priority and ID, as
	// ListCoverages does.
	ListCoveragesByPatients(ctx context.Context, p ListCoveragesByPatientsParams) ([]Coverage, error)
	// ListTakenPatientControlNumbers returns the numbers of
	// p.PatientControlNumbers that a claim of the clinic has.
	ListTakenPatientControlNumbers(ctx context.Context, p ListTakenPatientControlNumbersParams) ([]string, error)
	// GetClaimsByPatientControlNumbers returns the claims whose patient
	// control number (CLM01) is one of p.Keys, in ID order.
	GetClaimsByPatientControlNumbers(ctx context.Context, p KeysParams) ([]Claim, error)
	// GetClaimsByPayerClaimControlNumbers returns the claims whose payer
	// claim control number is one of p.Keys, in ID order.
	GetClaimsByPayerClaimControlNumbers(ctx context.Context, p KeysParams) ([]Claim, error)
	// GetWorklistItemsByDedupeKeys returns the worklist items whose dedupe
	// key is one of p.Keys, in ID order.
	GetWorklistItemsByDedupeKeys(ctx context.Context, p KeysParams) ([]WorklistItem, error)
	// ListClaimPaymentsByClaims returns the claim payments (with their
	// adjustments) of the claims p.IDs, in ID order.
	ListClaimPaymentsByClaims(ctx context.Context, p IDsParams) ([]ClaimPayment, error)
	// ListClaimPaymentsByPayerClaimControlNumbers returns the claim
	// payments (with their adjustments) whose payer claim control number
	// (CLP07) is one of p.Keys, in ID order.
	ListClaimPaymentsByPayerClaimControlNumbers(ctx context.Context, p KeysParams) ([]ClaimPayment, error)
}

// ChargeBilling puts one charge on a claim.
type ChargeBilling struct {
	ChargeID int64
	ClaimID  int64
}

// BillChargesParams puts unbilled charges on their claims.
type BillChargesParams struct {
	ClinicID int64
	Charges  []ChargeBilling
}

// SetEncounterStatusesParams moves encounters from one status to another.
type SetEncounterStatusesParams struct {
	ClinicID int64
	IDs      []int64
	From     string
	To       string
}

// ClaimStatusMove moves one claim from one status to another.
type ClaimStatusMove struct {
	ID     int64
	From   claim.Status
	To     claim.Status
	Reason string
	// PayerClaimControlNumber, when set, is recorded with the move in the
	// same row write (a 277CA's acceptance carries it).
	PayerClaimControlNumber string
	// InterchangeID, when set, is recorded with the move in the same row
	// write (submission puts the claim in its 837).
	InterchangeID int64
}

// SetClaimStatusesParams moves many claims, each as SetClaimStatus with a
// From would; Actor is recorded on every history entry.
type SetClaimStatusesParams struct {
	ClinicID int64
	Moves    []ClaimStatusMove
	Actor    string
}

// PostLedgerTransactionsParams posts many ledger transactions, each as
// PostLedgerTransaction would.
type PostLedgerTransactionsParams struct {
	ClinicID     int64
	Transactions []PostLedgerTransactionParams
}

// BulkWrites write a chunk's rows with a few statements inside one Tx: COPY
// or multi-row statements on PostgreSQL, multi-row statements on SQLite. A
// failure leaves the transaction to be rolled back; nothing is half-written
// once it is.
type BulkWrites interface {
	// BulkInsertClaims inserts claims (validated as CreateClaim does) and
	// returns their IDs in order.
	BulkInsertClaims(ctx context.Context, p BulkInsertClaimsParams) ([]int64, error)
	// BulkInsertClaimPayments inserts claim payments and their adjustments
	// and returns their IDs in order.
	BulkInsertClaimPayments(ctx context.Context, p BulkInsertClaimPaymentsParams) ([]int64, error)
	// BillCharges sets each charge's claim. Every charge must exist and be
	// unbilled; otherwise it fails with ErrConflict.
	BillCharges(ctx context.Context, p BillChargesParams) error
	// SetClaimStatuses moves claims and appends their status history; when
	// one is missing or no longer in its From status it fails with
	// ErrConflict.
	SetClaimStatuses(ctx context.Context, p SetClaimStatusesParams) error
	// SetEncounterStatuses moves every encounter of p.IDs from p.From to
	// p.To; when one is missing or no longer in p.From (another worker got
	// there first) it fails with ErrConflict.
	SetEncounterStatuses(ctx context.Context, p SetEncounterStatusesParams) error
	// PostLedgerTransactions posts transactions (each validated as
	// PostLedgerTransaction does) and reports, in order, which were new; a
	// transaction whose idempotency key is already posted (or repeated
	// earlier in p) is left as it is.
	PostLedgerTransactions(ctx context.Context, p PostLedgerTransactionsParams) ([]bool, error)
	// CreateWorklistItems creates items (each validated as
	// CreateWorklistItem does); an item whose dedupe key an item of the
	// clinic already has (or one earlier in p) is left out.
	CreateWorklistItems(ctx context.Context, p CreateWorklistItemsParams) error
	// SetClaimInterchange puts claims in the interchange (837) that
	// carries them; a missing claim fails with ErrConflict.
	SetClaimInterchange(ctx context.Context, p SetClaimInterchangeParams) error
	// SetPayerClaimControlNumbers sets the payer's claim control number
	// of claims; a missing claim fails with ErrConflict.
	SetPayerClaimControlNumbers(ctx context.Context, p SetPayerClaimControlNumbersParams) error
	// CreateAcknowledgments records acknowledgments (each validated as
	// CreateAcknowledgment does).
	CreateAcknowledgments(ctx context.Context, p CreateAcknowledgmentsParams) error
	// RecordEligibilities records the eligibility of coverages (each
	// validated as RecordEligibility does); a missing coverage fails with
	// ErrConflict.
	RecordEligibilities(ctx context.Context, p RecordEligibilitiesParams) error
}

// RecordEligibilitiesParams records the eligibility answers of many
// coverages of one clinic.
type RecordEligibilitiesParams struct {
	ClinicID int64
	Records  []RecordEligibilityParams
}

// SetClaimInterchangeParams names the claims an interchange carries.
type SetClaimInterchangeParams struct {
	ClinicID      int64
	InterchangeID int64
	ClaimIDs      []int64
}

// ClaimControlNumber is a payer's claim control number for one claim.
type ClaimControlNumber struct {
	ClaimID int64
	Number  string
}

// SetPayerClaimControlNumbersParams sets the payer claim control numbers
// of many claims.
type SetPayerClaimControlNumbersParams struct {
	ClinicID int64
	Numbers  []ClaimControlNumber
}

// CreateAcknowledgmentsParams records many acknowledgments of one clinic.
type CreateAcknowledgmentsParams struct {
	ClinicID        int64
	Acknowledgments []CreateAcknowledgmentParams
}

// CreateWorklistItemsParams creates many worklist items of one clinic.
type CreateWorklistItemsParams struct {
	ClinicID int64
	Items    []CreateWorklistItemParams
}

// CountParams names one clinic's rows.
type CountParams struct {
	ClinicID int64
}

// ClaimAccountBalance is the sum of one account's ledger entries of one
// claim (debits positive).
type ClaimAccountBalance struct {
	ClaimID     int64
	Account     string
	AmountCents int64
}

// Totals are aggregate reads for monitoring a run and checking it at
// volume, one query each.
type Totals interface {
	// ListClaimIDs lists the IDs of the claims ListClaims would list, in
	// one query: a stage that works every draft (or every ready claim)
	// takes them all at once rather than page by page.
	ListClaimIDs(ctx context.Context, p ListClaimsParams) ([]int64, error)
	// CountClaimsByStatus counts the clinic's claims per status.
	CountClaimsByStatus(ctx context.Context, p CountParams) (map[string]int, error)
	// CountEncountersByStatus counts the clinic's encounters per status.
	CountEncountersByStatus(ctx context.Context, p CountParams) (map[string]int, error)
	// LedgerBalancesByClaim sums the clinic's ledger entries per claim and
	// account, ordered by claim and account; entries without a claim are
	// left out.
	LedgerBalancesByClaim(ctx context.Context, p CountParams) ([]ClaimAccountBalance, error)
	// LedgerSums sums the ledger entries of p.Accounts per claim (or per
	// patient), in one query: the balances a credit-balance check reads.
	LedgerSums(ctx context.Context, p LedgerSumsParams) ([]LedgerSum, error)
}

// LedgerSumsParams chooses the entries LedgerSums adds up and how it
// groups them. Accounts is required. ClaimIDs, PatientIDs and
// RemittanceIDs, when set, each keep the groups (claims, or patients) that
// have a ledger entry naming one of the IDs (by claim, PatientIDs keeps the
// claims of those patients; RemittanceIDs the claims those remittances
// touched); Negative keeps only the groups whose sum is below zero (a
// credit balance).
type LedgerSumsParams struct {
	ClinicID int64
	Accounts []string
	// ByPatient groups by patient instead of by claim; entries without a
	// patient (or, by claim, without a claim) are left out.
	ByPatient     bool
	ClaimIDs      []int64
	PatientIDs    []int64
	RemittanceIDs []int64
	Negative      bool
}

// LedgerSum is the sum of a claim's (or a patient's) entries over the
// accounts asked for, debits positive. By claim, PatientID is the claim's
// patient as its entries name it (0 when none does); by patient, ClaimID
// is 0.
type LedgerSum struct {
	ClaimID     int64
	PatientID   int64
	AmountCents int64
}
