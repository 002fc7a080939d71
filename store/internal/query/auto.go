package query

// Auto mirrors store.Queries method by method: each call runs in a
// transaction of its own.

import (
	"context"
	"io"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/store"
)

// Runner runs fn in one transaction bound to a clinic.
type Runner interface {
	RunTx(ctx context.Context, clinicID int64, fn func(q *Queries) error) error
}

// Auto implements store.Queries on a Runner: each call gets its own
// transaction for the clinic named in its params. Files is the file store
// OpenContent reads (no transaction needed).
type Auto struct {
	R     Runner
	Files *filestore.Store
}

// PutContent streams body into the file store, outside any transaction.
func (a Auto) PutContent(ctx context.Context, body io.Reader) (store.StoredContent, error) {
	info, err := (&Queries{files: a.Files}).putBody(ctx, "content", body)
	return store.StoredContent{ID: info.ID, SHA256: info.SHA256, Size: info.Size}, err
}

func (a Auto) OpenContent(ctx context.Context, contentID string) (io.ReadCloser, error) {
	return (&Queries{files: a.Files}).OpenContent(ctx, contentID)
}

var _ store.Queries = Auto{}
var _ store.Queries = (*Queries)(nil)

func run1[T any](ctx context.Context, r Runner, clinicID int64, fn func(q *Queries) (T, error)) (T, error) {
	var v T
	err := r.RunTx(ctx, clinicID, func(q *Queries) error {
		var err error
		v, err = fn(q)
		return err
	})
	return v, err
}

func run2[T any](ctx context.Context, r Runner, clinicID int64, fn func(q *Queries) (T, bool, error)) (T, bool, error) {
	var v T
	var ok bool
	err := r.RunTx(ctx, clinicID, func(q *Queries) error {
		var err error
		v, ok, err = fn(q)
		return err
	})
	return v, ok, err
}

func (a Auto) GetClinic(ctx context.Context, p store.GetClinicParams) (store.Clinic, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Clinic, error) { return q.GetClinic(ctx, p) })
}

func (a Auto) UpdateClinic(ctx context.Context, p store.UpdateClinicParams) (store.Clinic, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Clinic, error) { return q.UpdateClinic(ctx, p) })
}

func (a Auto) CreateProvider(ctx context.Context, p store.CreateProviderParams) (store.Provider, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Provider, error) { return q.CreateProvider(ctx, p) })
}

func (a Auto) GetProvider(ctx context.Context, ref store.Ref) (store.Provider, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Provider, error) { return q.GetProvider(ctx, ref) })
}

func (a Auto) ListProviders(ctx context.Context, p store.ListProvidersParams) ([]store.Provider, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Provider, error) { return q.ListProviders(ctx, p) })
}

func (a Auto) UpdateProvider(ctx context.Context, p store.UpdateProviderParams) (store.Provider, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Provider, error) { return q.UpdateProvider(ctx, p) })
}

func (a Auto) CreatePayer(ctx context.Context, p store.CreatePayerParams) (store.Payer, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Payer, error) { return q.CreatePayer(ctx, p) })
}

func (a Auto) GetPayer(ctx context.Context, ref store.Ref) (store.Payer, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Payer, error) { return q.GetPayer(ctx, ref) })
}

func (a Auto) GetPayerByPayerID(ctx context.Context, p store.GetPayerByPayerIDParams) (store.Payer, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Payer, error) { return q.GetPayerByPayerID(ctx, p) })
}

func (a Auto) ListPayers(ctx context.Context, p store.ListPayersParams) ([]store.Payer, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Payer, error) { return q.ListPayers(ctx, p) })
}

func (a Auto) UpdatePayer(ctx context.Context, p store.UpdatePayerParams) (store.Payer, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Payer, error) { return q.UpdatePayer(ctx, p) })
}

func (a Auto) GetPayerUsage(ctx context.Context, ref store.Ref) (store.PayerUsage, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.PayerUsage, error) { return q.GetPayerUsage(ctx, ref) })
}

func (a Auto) SetPayerUsage(ctx context.Context, p store.SetPayerUsageParams) (store.PayerUsage, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.PayerUsage, error) { return q.SetPayerUsage(ctx, p) })
}

func (a Auto) CreatePatient(ctx context.Context, p store.CreatePatientParams) (store.Patient, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Patient, error) { return q.CreatePatient(ctx, p) })
}

func (a Auto) GetPatient(ctx context.Context, ref store.Ref) (store.Patient, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Patient, error) { return q.GetPatient(ctx, ref) })
}

func (a Auto) ListPatients(ctx context.Context, p store.ListPatientsParams) ([]store.Patient, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Patient, error) { return q.ListPatients(ctx, p) })
}

func (a Auto) UpdatePatient(ctx context.Context, p store.UpdatePatientParams) (store.Patient, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Patient, error) { return q.UpdatePatient(ctx, p) })
}

func (a Auto) MergePatients(ctx context.Context, p store.MergePatientsParams) (store.PatientMerge, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.PatientMerge, error) { return q.MergePatients(ctx, p) })
}

func (a Auto) CreateCoverage(ctx context.Context, p store.CreateCoverageParams) (store.Coverage, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Coverage, error) { return q.CreateCoverage(ctx, p) })
}

func (a Auto) GetCoverage(ctx context.Context, ref store.Ref) (store.Coverage, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Coverage, error) { return q.GetCoverage(ctx, ref) })
}

func (a Auto) ListCoverages(ctx context.Context, p store.ListCoveragesParams) ([]store.Coverage, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Coverage, error) { return q.ListCoverages(ctx, p) })
}

func (a Auto) UpdateCoverage(ctx context.Context, p store.UpdateCoverageParams) (store.Coverage, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Coverage, error) { return q.UpdateCoverage(ctx, p) })
}

func (a Auto) RecordEligibility(ctx context.Context, p store.RecordEligibilityParams) (store.Coverage, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Coverage, error) { return q.RecordEligibility(ctx, p) })
}

func (a Auto) CreateAppointment(ctx context.Context, p store.CreateAppointmentParams) (store.Appointment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Appointment, error) { return q.CreateAppointment(ctx, p) })
}

func (a Auto) GetAppointment(ctx context.Context, ref store.Ref) (store.Appointment, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Appointment, error) { return q.GetAppointment(ctx, ref) })
}

func (a Auto) ListAppointments(ctx context.Context, p store.ListAppointmentsParams) ([]store.Appointment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Appointment, error) { return q.ListAppointments(ctx, p) })
}

func (a Auto) UpdateAppointment(ctx context.Context, p store.UpdateAppointmentParams) (store.Appointment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Appointment, error) { return q.UpdateAppointment(ctx, p) })
}

func (a Auto) CreateEncounter(ctx context.Context, p store.CreateEncounterParams) (store.Encounter, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Encounter, error) { return q.CreateEncounter(ctx, p) })
}

func (a Auto) GetEncounter(ctx context.Context, ref store.Ref) (store.Encounter, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Encounter, error) { return q.GetEncounter(ctx, ref) })
}

func (a Auto) ListEncounters(ctx context.Context, p store.ListEncountersParams) ([]store.Encounter, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Encounter, error) { return q.ListEncounters(ctx, p) })
}

func (a Auto) UpdateEncounter(ctx context.Context, p store.UpdateEncounterParams) (store.Encounter, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Encounter, error) { return q.UpdateEncounter(ctx, p) })
}

func (a Auto) CreateCharge(ctx context.Context, p store.CreateChargeParams) (store.Charge, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Charge, error) { return q.CreateCharge(ctx, p) })
}

func (a Auto) GetCharge(ctx context.Context, ref store.Ref) (store.Charge, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Charge, error) { return q.GetCharge(ctx, ref) })
}

func (a Auto) ListCharges(ctx context.Context, p store.ListChargesParams) ([]store.Charge, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Charge, error) { return q.ListCharges(ctx, p) })
}

func (a Auto) UpdateCharge(ctx context.Context, p store.UpdateChargeParams) (store.Charge, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Charge, error) { return q.UpdateCharge(ctx, p) })
}

func (a Auto) CreateClaim(ctx context.Context, p store.CreateClaimParams) (store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Claim, error) { return q.CreateClaim(ctx, p) })
}

func (a Auto) GetClaim(ctx context.Context, ref store.Ref) (store.Claim, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Claim, error) { return q.GetClaim(ctx, ref) })
}

func (a Auto) GetClaimByPatientControlNumber(ctx context.Context, p store.GetClaimByPatientControlNumberParams) (store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Claim, error) { return q.GetClaimByPatientControlNumber(ctx, p) })
}

func (a Auto) GetClaimByPayerClaimControlNumber(ctx context.Context, p store.GetClaimByPayerClaimControlNumberParams) (store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Claim, error) { return q.GetClaimByPayerClaimControlNumber(ctx, p) })
}

func (a Auto) ListClaims(ctx context.Context, p store.ListClaimsParams) ([]store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Claim, error) { return q.ListClaims(ctx, p) })
}

func (a Auto) UpdateClaim(ctx context.Context, p store.UpdateClaimParams) (store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Claim, error) { return q.UpdateClaim(ctx, p) })
}

func (a Auto) SetClaimStatus(ctx context.Context, p store.SetClaimStatusParams) (store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Claim, error) { return q.SetClaimStatus(ctx, p) })
}

func (a Auto) ListClaimStatusHistory(ctx context.Context, ref store.Ref) ([]store.ClaimStatusChange, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) ([]store.ClaimStatusChange, error) { return q.ListClaimStatusHistory(ctx, ref) })
}

func (a Auto) AllocateControlNumbers(ctx context.Context, p store.AllocateControlNumbersParams) (store.ControlNumbers, error) {
	return run1(ctx, a.R, 0, func(q *Queries) (store.ControlNumbers, error) { return q.AllocateControlNumbers(ctx, p) })
}

func (a Auto) CreateInterchange(ctx context.Context, p store.CreateInterchangeParams) (store.Interchange, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Interchange, error) { return q.CreateInterchange(ctx, p) })
}

func (a Auto) GetInterchange(ctx context.Context, ref store.Ref) (store.Interchange, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Interchange, error) { return q.GetInterchange(ctx, ref) })
}

func (a Auto) FindInterchange(ctx context.Context, p store.FindInterchangeParams) (store.Interchange, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Interchange, error) { return q.FindInterchange(ctx, p) })
}

func (a Auto) ListInterchanges(ctx context.Context, p store.ListInterchangesParams) ([]store.Interchange, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Interchange, error) { return q.ListInterchanges(ctx, p) })
}

func (a Auto) UpdateInterchangeTransfer(ctx context.Context, p store.UpdateInterchangeTransferParams) (store.Interchange, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Interchange, error) { return q.UpdateInterchangeTransfer(ctx, p) })
}

func (a Auto) RecordInboundFile(ctx context.Context, p store.RecordInboundFileParams) (store.InboundFile, bool, error) {
	return run2(ctx, a.R, p.ClinicID, func(q *Queries) (store.InboundFile, bool, error) { return q.RecordInboundFile(ctx, p) })
}

func (a Auto) GetInboundFile(ctx context.Context, ref store.Ref) (store.InboundFile, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.InboundFile, error) { return q.GetInboundFile(ctx, ref) })
}

func (a Auto) ListInboundFiles(ctx context.Context, p store.ListInboundFilesParams) ([]store.InboundFile, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.InboundFile, error) { return q.ListInboundFiles(ctx, p) })
}

func (a Auto) UpdateInboundFile(ctx context.Context, p store.UpdateInboundFileParams) (store.InboundFile, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.InboundFile, error) { return q.UpdateInboundFile(ctx, p) })
}

func (a Auto) CreateAcknowledgment(ctx context.Context, p store.CreateAcknowledgmentParams) (store.Acknowledgment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.Acknowledgment, error) { return q.CreateAcknowledgment(ctx, p) })
}

func (a Auto) ListAcknowledgments(ctx context.Context, p store.ListAcknowledgmentsParams) ([]store.Acknowledgment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Acknowledgment, error) { return q.ListAcknowledgments(ctx, p) })
}

func (a Auto) CreateRemittance(ctx context.Context, p store.CreateRemittanceParams) (store.Remittance, bool, error) {
	return run2(ctx, a.R, p.ClinicID, func(q *Queries) (store.Remittance, bool, error) { return q.CreateRemittance(ctx, p) })
}

func (a Auto) GetRemittance(ctx context.Context, ref store.Ref) (store.Remittance, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.Remittance, error) { return q.GetRemittance(ctx, ref) })
}

func (a Auto) ListRemittances(ctx context.Context, p store.ListRemittancesParams) ([]store.Remittance, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Remittance, error) { return q.ListRemittances(ctx, p) })
}

func (a Auto) CreateClaimPayment(ctx context.Context, p store.CreateClaimPaymentParams) (store.ClaimPayment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.ClaimPayment, error) { return q.CreateClaimPayment(ctx, p) })
}

func (a Auto) GetClaimPayment(ctx context.Context, ref store.Ref) (store.ClaimPayment, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.ClaimPayment, error) { return q.GetClaimPayment(ctx, ref) })
}

func (a Auto) ListClaimPayments(ctx context.Context, p store.ListClaimPaymentsParams) ([]store.ClaimPayment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.ClaimPayment, error) { return q.ListClaimPayments(ctx, p) })
}

func (a Auto) MatchClaimPayment(ctx context.Context, p store.MatchClaimPaymentParams) (store.ClaimPayment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.ClaimPayment, error) { return q.MatchClaimPayment(ctx, p) })
}

func (a Auto) PostLedgerTransaction(ctx context.Context, p store.PostLedgerTransactionParams) (store.LedgerTransaction, bool, error) {
	return run2(ctx, a.R, p.ClinicID, func(q *Queries) (store.LedgerTransaction, bool, error) { return q.PostLedgerTransaction(ctx, p) })
}

func (a Auto) ListLedgerEntries(ctx context.Context, p store.ListLedgerEntriesParams) ([]store.LedgerEntry, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.LedgerEntry, error) { return q.ListLedgerEntries(ctx, p) })
}

func (a Auto) LedgerBalance(ctx context.Context, p store.LedgerBalanceParams) (int64, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (int64, error) { return q.LedgerBalance(ctx, p) })
}

func (a Auto) CreateWorklistItem(ctx context.Context, p store.CreateWorklistItemParams) (store.WorklistItem, bool, error) {
	return run2(ctx, a.R, p.ClinicID, func(q *Queries) (store.WorklistItem, bool, error) { return q.CreateWorklistItem(ctx, p) })
}

func (a Auto) GetWorklistItem(ctx context.Context, ref store.Ref) (store.WorklistItem, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.WorklistItem, error) { return q.GetWorklistItem(ctx, ref) })
}

func (a Auto) ListWorklistItems(ctx context.Context, p store.ListWorklistItemsParams) ([]store.WorklistItem, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.WorklistItem, error) { return q.ListWorklistItems(ctx, p) })
}

func (a Auto) UpdateWorklistItem(ctx context.Context, p store.UpdateWorklistItemParams) (store.WorklistItem, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.WorklistItem, error) { return q.UpdateWorklistItem(ctx, p) })
}

func (a Auto) AppendAuditEvent(ctx context.Context, p store.AppendAuditEventParams) (store.AuditEvent, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.AuditEvent, error) { return q.AppendAuditEvent(ctx, p) })
}

func (a Auto) AppendAuditEvents(ctx context.Context, p store.AppendAuditEventsParams) ([]store.AuditEvent, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.AuditEvent, error) { return q.AppendAuditEvents(ctx, p) })
}

func (a Auto) ListAuditEvents(ctx context.Context, p store.ListAuditEventsParams) ([]store.AuditEvent, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.AuditEvent, error) { return q.ListAuditEvents(ctx, p) })
}

func (a Auto) VerifyAuditChain(ctx context.Context, p store.VerifyAuditChainParams) (store.AuditVerification, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.AuditVerification, error) { return q.VerifyAuditChain(ctx, p) })
}

func (a Auto) GetEncountersByIDs(ctx context.Context, p store.IDsParams) ([]store.Encounter, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Encounter, error) { return q.GetEncountersByIDs(ctx, p) })
}

func (a Auto) ListClaimsByEncounters(ctx context.Context, p store.IDsParams) ([]store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Claim, error) { return q.ListClaimsByEncounters(ctx, p) })
}

func (a Auto) GetClaimsByIDs(ctx context.Context, p store.IDsParams) ([]store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Claim, error) { return q.GetClaimsByIDs(ctx, p) })
}

func (a Auto) ListChargesByEncounters(ctx context.Context, p store.ListChargesByEncountersParams) ([]store.Charge, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Charge, error) { return q.ListChargesByEncounters(ctx, p) })
}

func (a Auto) GetPatientsByIDs(ctx context.Context, p store.IDsParams) ([]store.Patient, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Patient, error) { return q.GetPatientsByIDs(ctx, p) })
}

func (a Auto) GetProvidersByIDs(ctx context.Context, p store.IDsParams) ([]store.Provider, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Provider, error) { return q.GetProvidersByIDs(ctx, p) })
}

func (a Auto) GetPayersByIDs(ctx context.Context, p store.IDsParams) ([]store.Payer, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Payer, error) { return q.GetPayersByIDs(ctx, p) })
}

func (a Auto) GetCoveragesByIDs(ctx context.Context, p store.IDsParams) ([]store.Coverage, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Coverage, error) { return q.GetCoveragesByIDs(ctx, p) })
}

func (a Auto) ListCoveragesByPatients(ctx context.Context, p store.ListCoveragesByPatientsParams) ([]store.Coverage, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Coverage, error) { return q.ListCoveragesByPatients(ctx, p) })
}

func (a Auto) ListTakenPatientControlNumbers(ctx context.Context, p store.ListTakenPatientControlNumbersParams) ([]string, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]string, error) { return q.ListTakenPatientControlNumbers(ctx, p) })
}

func (a Auto) CountClaimsByStatus(ctx context.Context, p store.CountParams) (map[string]int, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (map[string]int, error) { return q.CountClaimsByStatus(ctx, p) })
}

func (a Auto) CountEncountersByStatus(ctx context.Context, p store.CountParams) (map[string]int, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (map[string]int, error) { return q.CountEncountersByStatus(ctx, p) })
}

func (a Auto) LedgerBalancesByClaim(ctx context.Context, p store.CountParams) ([]store.ClaimAccountBalance, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.ClaimAccountBalance, error) { return q.LedgerBalancesByClaim(ctx, p) })
}

func (a Auto) ListClaimIDs(ctx context.Context, p store.ListClaimsParams) ([]int64, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]int64, error) { return q.ListClaimIDs(ctx, p) })
}

func (a Auto) GetFHIRImport(ctx context.Context, p store.GetFHIRImportParams) (store.FHIRImport, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.FHIRImport, error) { return q.GetFHIRImport(ctx, p) })
}

func (a Auto) RecordFHIRImport(ctx context.Context, p store.RecordFHIRImportParams) (store.FHIRImport, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.FHIRImport, error) { return q.RecordFHIRImport(ctx, p) })
}

func (a Auto) ListFHIRImports(ctx context.Context, p store.ListFHIRImportsParams) ([]store.FHIRImport, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.FHIRImport, error) { return q.ListFHIRImports(ctx, p) })
}

// Patient payments, plans and deposits.

func (a Auto) CreatePatientPayment(ctx context.Context, p store.CreatePatientPaymentParams) (store.PatientPayment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.PatientPayment, error) { return q.CreatePatientPayment(ctx, p) })
}

func (a Auto) GetPatientPayment(ctx context.Context, ref store.Ref) (store.PatientPayment, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.PatientPayment, error) { return q.GetPatientPayment(ctx, ref) })
}

func (a Auto) ListPatientPayments(ctx context.Context, p store.ListPatientPaymentsParams) ([]store.PatientPayment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.PatientPayment, error) { return q.ListPatientPayments(ctx, p) })
}

func (a Auto) VoidPatientPayment(ctx context.Context, p store.VoidPatientPaymentParams) (store.PatientPayment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.PatientPayment, error) { return q.VoidPatientPayment(ctx, p) })
}

func (a Auto) ListPaymentAllocations(ctx context.Context, p store.ListPaymentAllocationsParams) ([]store.PaymentAllocation, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.PaymentAllocation, error) { return q.ListPaymentAllocations(ctx, p) })
}

func (a Auto) CreatePaymentPlan(ctx context.Context, p store.CreatePaymentPlanParams) (store.PaymentPlan, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.PaymentPlan, error) { return q.CreatePaymentPlan(ctx, p) })
}

func (a Auto) GetPaymentPlan(ctx context.Context, ref store.Ref) (store.PaymentPlan, error) {
	return run1(ctx, a.R, ref.ClinicID, func(q *Queries) (store.PaymentPlan, error) { return q.GetPaymentPlan(ctx, ref) })
}

func (a Auto) ListPaymentPlans(ctx context.Context, p store.ListPaymentPlansParams) ([]store.PaymentPlan, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.PaymentPlan, error) { return q.ListPaymentPlans(ctx, p) })
}

func (a Auto) UpdatePaymentPlan(ctx context.Context, p store.UpdatePaymentPlanParams) (store.PaymentPlan, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) (store.PaymentPlan, error) { return q.UpdatePaymentPlan(ctx, p) })
}

func (a Auto) InsertBankDeposits(ctx context.Context, p store.InsertBankDepositsParams) ([]store.BankDeposit, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.BankDeposit, error) { return q.InsertBankDeposits(ctx, p) })
}

func (a Auto) ListBankDeposits(ctx context.Context, p store.ListBankDepositsParams) ([]store.BankDeposit, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.BankDeposit, error) { return q.ListBankDeposits(ctx, p) })
}

func (a Auto) InsertPaymentAllocations(ctx context.Context, p store.InsertPaymentAllocationsParams) error {
	return a.R.RunTx(ctx, p.ClinicID, func(q *Queries) error { return q.InsertPaymentAllocations(ctx, p) })
}

func (a Auto) MatchBankDeposits(ctx context.Context, p store.MatchBankDepositsParams) error {
	return a.R.RunTx(ctx, p.ClinicID, func(q *Queries) error { return q.MatchBankDeposits(ctx, p) })
}

func (a Auto) GetClaimsByPatientControlNumbers(ctx context.Context, p store.KeysParams) ([]store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Claim, error) { return q.GetClaimsByPatientControlNumbers(ctx, p) })
}

func (a Auto) GetWorklistItemsByDedupeKeys(ctx context.Context, p store.KeysParams) ([]store.WorklistItem, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.WorklistItem, error) { return q.GetWorklistItemsByDedupeKeys(ctx, p) })
}

func (a Auto) GetClaimsByPayerClaimControlNumbers(ctx context.Context, p store.KeysParams) ([]store.Claim, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.Claim, error) { return q.GetClaimsByPayerClaimControlNumbers(ctx, p) })
}

func (a Auto) ListClaimPaymentsByClaims(ctx context.Context, p store.IDsParams) ([]store.ClaimPayment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.ClaimPayment, error) { return q.ListClaimPaymentsByClaims(ctx, p) })
}

func (a Auto) ListClaimPaymentsByPayerClaimControlNumbers(ctx context.Context, p store.KeysParams) ([]store.ClaimPayment, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.ClaimPayment, error) {
		return q.ListClaimPaymentsByPayerClaimControlNumbers(ctx, p)
	})
}

func (a Auto) UpdateRemittancePosting(ctx context.Context, p store.UpdateRemittancePostingParams) error {
	return a.R.RunTx(ctx, p.ClinicID, func(q *Queries) error { return q.UpdateRemittancePosting(ctx, p) })
}

func (a Auto) LedgerSums(ctx context.Context, p store.LedgerSumsParams) ([]store.LedgerSum, error) {
	return run1(ctx, a.R, p.ClinicID, func(q *Queries) ([]store.LedgerSum, error) { return q.LedgerSums(ctx, p) })
}
