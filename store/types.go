package store

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/clearhouse/clearhouse/claim"
)

// FieldError says which params field is wrong. It wraps ErrInvalid or
// another sentinel.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("%v: %s", e.Err, e.Field) }

func (e *FieldError) Unwrap() error { return e.Err }

// Clinic is a practice using the clearinghouse; every other row belongs to
// one.
type Clinic struct {
	ID   int64
	Name string
	// NPI is the billing provider's NPI (Loop 2010AA NM109).
	NPI string
	// TaxID is the billing provider's EIN (Loop 2010AA REF*EI).
	TaxID string
	// SubmitterID identifies the clinic as submitter (Loop 1000A NM109).
	SubmitterID string
	ClinicSettings
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClinicSettings are what a practice records about itself beyond its
// identifiers: the billing provider's address and taxonomy (Loop 2010AA
// N3/N4 and PRV), the submitter contact (Loop 1000A PER), the time zone its
// days are counted in, and the rest of its billing profile (fee schedule,
// expected allowed amounts, facility type) as the profile YAML that
// billing.ParseClinicProfile reads.
type ClinicSettings struct {
	AddressLine1 string
	AddressLine2 string
	City         string
	State        string
	PostalCode   string
	// TimeZone is an IANA zone name ("America/New_York"); empty means UTC.
	TimeZone     string
	TaxonomyCode string
	ContactName  string
	ContactPhone string
	ContactEmail string
	// Profile is the billing profile YAML (fees, allowed, facility_type);
	// empty when the clinic has none.
	Profile string
}

// CreateClinicParams creates a clinic. Name is required.
type CreateClinicParams struct {
	Name        string
	NPI         string
	TaxID       string
	SubmitterID string
	ClinicSettings
}

// GetClinicParams names the clinic to read. ClinicID is required on a
// Store; on a Tx zero means the transaction's clinic.
type GetClinicParams struct {
	ClinicID int64
}

// UpdateClinicParams replaces a clinic's fields, settings included.
type UpdateClinicParams struct {
	ClinicID    int64
	Name        string
	NPI         string
	TaxID       string
	SubmitterID string
	ClinicSettings
}

// Provider roles: who renders the service (Loop 2310B), who bills for it
// (Loop 2010AA, when a person bills), or both.
const (
	ProviderRendering = "rendering"
	ProviderBilling   = "billing"
	ProviderBoth      = "both"
)

// Enrollment states of a clinic with a payer for one transaction.
const (
	EnrollmentNone     = "none"
	EnrollmentPending  = "pending"
	EnrollmentEnrolled = "enrolled"
	EnrollmentRejected = "rejected"
)

// Enrollment is a clinic's enrollment with a payer per transaction: claims
// (837), electronic remittance (835) and eligibility (270). An empty field
// in update params keeps the stored state.
type Enrollment struct {
	Claims      string
	Remittance  string
	Eligibility string
}

// Provider is a rendering or billing provider of a clinic.
type Provider struct {
	ID               int64
	ClinicID         int64
	NPI              string
	FirstName        string
	LastName         string
	OrganizationName string
	// TaxonomyCode is the provider taxonomy (PRV03).
	TaxonomyCode string
	// Role is ProviderRendering, ProviderBilling or ProviderBoth.
	Role      string
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateProviderParams creates a provider. NPI is required; Role defaults
// to ProviderRendering.
type CreateProviderParams struct {
	ClinicID         int64
	NPI              string
	FirstName        string
	LastName         string
	OrganizationName string
	TaxonomyCode     string
	Role             string
}

// ListProvidersParams filters providers.
type ListProvidersParams struct {
	ClinicID   int64
	ActiveOnly bool
}

// UpdateProviderParams replaces a provider's fields; an empty Role keeps
// the stored one.
type UpdateProviderParams struct {
	ClinicID         int64
	ID               int64
	NPI              string
	FirstName        string
	LastName         string
	OrganizationName string
	TaxonomyCode     string
	Role             string
	Active           bool
}

// Payer is a payer a clinic bills.
type Payer struct {
	ID       int64
	ClinicID int64
	// PayerID is the payer's identifier (Loop 2010BB NM109), unique per
	// clinic.
	PayerID string
	Name    string
	// ReceiverID is the payer's interchange receiver ID (ISA08).
	ReceiverID string
	// ClaimFilingCode is the default SBR09 code (e.g. "CI", "MB").
	ClaimFilingCode string
	// Enrollment is the clinic's enrollment with the payer.
	Enrollment Enrollment
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CreatePayerParams creates a payer. PayerID and Name are required; empty
// enrollment states are EnrollmentNone.
type CreatePayerParams struct {
	ClinicID        int64
	PayerID         string
	Name            string
	ReceiverID      string
	ClaimFilingCode string
	Enrollment      Enrollment
}

// GetPayerByPayerIDParams finds a payer by its payer ID (the ID the payer
// is known by in 837 Loop 2010BB NM109). Every payer has one, so an empty
// PayerID finds nothing (ErrNotFound).
type GetPayerByPayerIDParams struct {
	ClinicID int64
	PayerID  string
}

// ListPayersParams filters payers.
type ListPayersParams struct {
	ClinicID   int64
	ActiveOnly bool
}

// UpdatePayerParams replaces a payer's fields; empty enrollment states
// keep the stored ones.
type UpdatePayerParams struct {
	ClinicID        int64
	ID              int64
	PayerID         string
	Name            string
	ReceiverID      string
	ClaimFilingCode string
	Enrollment      Enrollment
	Active          bool
}

// Usage indicators (ISA15).
const (
	UsageTest       = "T"
	UsageProduction = "P"
)

// PayerUsage is the ISA15 usage indicator a clinic's interchanges to one of
// its payers carry, as an operator's cutover set it. A payer without one
// uses its payer file's usage.
type PayerUsage struct {
	ClinicID int64
	// PayerID is the clinic's payer row (Payer.ID).
	PayerID int64
	// Usage is UsageTest or UsageProduction.
	Usage string
	// CheckedAt is when the connectivity check that allowed the cutover to
	// production passed; nil for a cutover to test.
	CheckedAt *time.Time
	ChangedAt time.Time
	ChangedBy string
}

// SetPayerUsageParams sets a clinic's ISA15 for a payer (insert or
// replace).
type SetPayerUsageParams struct {
	ClinicID int64
	// PayerID is the clinic's payer row (Payer.ID).
	PayerID   int64
	Usage     string
	CheckedAt *time.Time
	ChangedBy string
}

// Patient is a clinic's patient.
type Patient struct {
	ID       int64
	ClinicID int64
	// MRN is the clinic's medical record number, unique per clinic.
	MRN       string
	FirstName string
	LastName  string
	// BirthDate is a date (midnight UTC).
	BirthDate    time.Time
	Sex          string
	AddressLine1 string
	AddressLine2 string
	City         string
	State        string
	PostalCode   string
	Phone        string
	Email        string
	// GuarantorName is who pays the patient's balance when not the patient
	// (empty: the patient).
	GuarantorName string
	// GuarantorRelationship is the guarantor's relationship to the patient
	// (an X12 individual relationship code, e.g. "01" spouse, "19" child's
	// parent); empty with GuarantorName.
	GuarantorRelationship string
	// MergedInto is the patient this one was merged into, nil for a
	// patient of record.
	MergedInto *int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CreatePatientParams creates a patient. MRN, FirstName and LastName are
// required.
type CreatePatientParams struct {
	ClinicID     int64
	MRN          string
	FirstName    string
	LastName     string
	BirthDate    time.Time
	Sex          string
	AddressLine1 string
	AddressLine2 string
	City         string
	State        string
	PostalCode   string
	Phone        string
	Email        string

	GuarantorName         string
	GuarantorRelationship string
}

// ListPatientsParams filters patients. Name matches a prefix of the first
// or last name, case-insensitively; LastName matches the whole last name,
// case-insensitively; BirthDate, when set, matches exactly. Results are
// ordered by ID and include merged patients.
//
// With the protected columns encrypted at rest, LastName and BirthDate are
// looked up by their keyed hashes (indexed), while Name is matched after
// opening the rows the other conditions select (all the clinic's patients
// when it is alone): prefer LastName or BirthDate where they fit.
type ListPatientsParams struct {
	ClinicID  int64
	Name      string
	LastName  string
	MRN       string
	BirthDate time.Time
	AfterID   int64
	Limit     int
}

// UpdatePatientParams replaces a patient's fields.
type UpdatePatientParams struct {
	ClinicID     int64
	ID           int64
	MRN          string
	FirstName    string
	LastName     string
	BirthDate    time.Time
	Sex          string
	AddressLine1 string
	AddressLine2 string
	City         string
	State        string
	PostalCode   string
	Phone        string
	Email        string

	GuarantorName         string
	GuarantorRelationship string
}

// MergePatientsParams merges the duplicate patient From into Into: every
// row of From (coverages, appointments, encounters, claims, ledger entries,
// worklist items) moves to Into, and From is marked merged into Into.
type MergePatientsParams struct {
	ClinicID int64
	From     int64
	Into     int64
}

// PatientMerge says what a merge moved, per table.
type PatientMerge struct {
	From  Patient
	Into  Patient
	Moved map[string]int64
}

// Eligibility states of a coverage, from the last 271 (EB01).
const (
	EligibilityUnknown  = "unknown"
	EligibilityActive   = "active"
	EligibilityInactive = "inactive"
)

// Coverage is a patient's insurance with one payer.
type Coverage struct {
	ID        int64
	ClinicID  int64
	PatientID int64
	PayerID   int64
	// MemberID is the subscriber's member ID (Loop 2010BA NM109).
	MemberID    string
	GroupNumber string
	// Priority orders coverages: 1 primary, 2 secondary, 3 tertiary.
	Priority int
	// RelationshipCode is the patient's relationship to the subscriber
	// (SBR02 / PAT01: "18" self).
	RelationshipCode   string
	SubscriberFirst    string
	SubscriberLast     string
	SubscriberBirth    time.Time
	EffectiveFrom      time.Time
	EffectiveTo        time.Time
	EligibilityStatus  string
	EligibilityChecked *time.Time
	// Benefits is the last 271 benefits summary as JSON.
	Benefits  json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateCoverageParams creates a coverage. PatientID, PayerID and MemberID
// are required; Priority defaults to 1.
type CreateCoverageParams struct {
	ClinicID         int64
	PatientID        int64
	PayerID          int64
	MemberID         string
	GroupNumber      string
	Priority         int
	RelationshipCode string
	SubscriberFirst  string
	SubscriberLast   string
	SubscriberBirth  time.Time
	EffectiveFrom    time.Time
	EffectiveTo      time.Time
}

// ListCoveragesParams filters coverages; zero fields do not filter.
type ListCoveragesParams struct {
	ClinicID  int64
	PatientID int64
	PayerID   int64
	MemberID  string
}

// UpdateCoverageParams replaces a coverage's fields (not eligibility).
type UpdateCoverageParams struct {
	ClinicID         int64
	ID               int64
	PayerID          int64
	MemberID         string
	GroupNumber      string
	Priority         int
	RelationshipCode string
	SubscriberFirst  string
	SubscriberLast   string
	SubscriberBirth  time.Time
	EffectiveFrom    time.Time
	EffectiveTo      time.Time
}

// RecordEligibilityParams records a 271 answer on a coverage.
type RecordEligibilityParams struct {
	ClinicID   int64
	CoverageID int64
	Status     string
	CheckedAt  time.Time
	Benefits   json.RawMessage
}

// Appointment statuses.
const (
	AppointmentBooked    = "booked"
	AppointmentCheckedIn = "checked_in"
	AppointmentCompleted = "completed"
	AppointmentNoShow    = "no_show"
	AppointmentCancelled = "cancelled"
)

// Appointment is a booked visit.
type Appointment struct {
	ID         int64
	ClinicID   int64
	PatientID  int64
	ProviderID int64
	CoverageID *int64
	StartsAt   time.Time
	EndsAt     time.Time
	Status     string
	Reason     string
	// BookedAt is when the appointment was booked: CreatedAt, unless an
	// import of past appointments said otherwise.
	BookedAt  time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateAppointmentParams books an appointment; Status defaults to booked.
type CreateAppointmentParams struct {
	ClinicID   int64
	PatientID  int64
	ProviderID int64
	CoverageID *int64
	StartsAt   time.Time
	EndsAt     time.Time
	Status     string
	Reason     string
	// BookedAt defaults to now (imported history names its own).
	BookedAt time.Time
}

// ListAppointmentsParams filters appointments (StartsAt in [From, To)).
type ListAppointmentsParams struct {
	ClinicID   int64
	From       time.Time
	To         time.Time
	ProviderID int64
	PatientID  int64
	Statuses   []string
	Limit      int
}

// UpdateAppointmentParams replaces an appointment's mutable fields.
type UpdateAppointmentParams struct {
	ClinicID   int64
	ID         int64
	ProviderID int64
	CoverageID *int64
	StartsAt   time.Time
	EndsAt     time.Time
	Status     string
	Reason     string
}

// Encounter statuses.
const (
	EncounterOpen   = "open"
	EncounterReady  = "ready"
	EncounterBilled = "billed"
)

// Encounter is a visit that produces charges.
type Encounter struct {
	ID            int64
	ClinicID      int64
	PatientID     int64
	ProviderID    int64
	AppointmentID *int64
	CoverageID    *int64
	// ServiceDate is a date (midnight UTC).
	ServiceDate time.Time
	// PlaceOfService is the CMS place of service code (CLM05-1).
	PlaceOfService string
	// DiagnosisCodes are ICD-10-CM codes in pointer order (HI).
	DiagnosisCodes []string
	Status         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// CreateEncounterParams creates an encounter; Status defaults to open.
type CreateEncounterParams struct {
	ClinicID       int64
	PatientID      int64
	ProviderID     int64
	AppointmentID  *int64
	CoverageID     *int64
	ServiceDate    time.Time
	PlaceOfService string
	DiagnosisCodes []string
	Status         string
}

// ListEncountersParams filters encounters (ServiceDate in [From, To]).
type ListEncountersParams struct {
	ClinicID  int64
	PatientID int64
	Statuses  []string
	From      time.Time
	To        time.Time
	Limit     int
}

// UpdateEncounterParams replaces an encounter's mutable fields.
type UpdateEncounterParams struct {
	ClinicID       int64
	ID             int64
	ProviderID     int64
	CoverageID     *int64
	ServiceDate    time.Time
	PlaceOfService string
	DiagnosisCodes []string
	Status         string
}

// Charge is one service line of an encounter (Loop 2400 SV1/SV2).
type Charge struct {
	ID            int64
	ClinicID      int64
	EncounterID   int64
	LineNumber    int
	ProcedureCode string
	Modifiers     []string
	// DiagnosisPointers are 1-based indexes into the encounter's codes.
	DiagnosisPointers []int
	// UnitsMilli is the unit count times 1000 (SV104 may be decimal).
	UnitsMilli     int64
	ChargeCents    int64
	ServiceDate    time.Time
	PlaceOfService string
	// ClaimID is the claim that billed this charge, once billed.
	ClaimID   *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateChargeParams creates a charge. ProcedureCode is required; UnitsMilli
// defaults to 1000.
type CreateChargeParams struct {
	ClinicID          int64
	EncounterID       int64
	LineNumber        int
	ProcedureCode     string
	Modifiers         []string
	DiagnosisPointers []int
	UnitsMilli        int64
	ChargeCents       int64
	ServiceDate       time.Time
	PlaceOfService    string
}

// ListChargesParams filters charges; Unbilled keeps those without a claim.
type ListChargesParams struct {
	ClinicID    int64
	EncounterID int64
	ClaimID     int64
	Unbilled    bool
}

// UpdateChargeParams replaces a charge's mutable fields.
type UpdateChargeParams struct {
	ClinicID          int64
	ID                int64
	ProcedureCode     string
	Modifiers         []string
	DiagnosisPointers []int
	UnitsMilli        int64
	ChargeCents       int64
	ServiceDate       time.Time
	PlaceOfService    string
	ClaimID           *int64
}

// Claim statuses are package claim's (claim.Status and its constants).

// Claim kinds.
const (
	ClaimProfessional  = "837P"
	ClaimInstitutional = "837I"
)

// Claim is a claim's indexed columns plus its canonical document (package
// claim's Claim, marshaled by the caller).
type Claim struct {
	ID          int64
	ClinicID    int64
	PayerID     int64
	PatientID   int64
	EncounterID *int64
	// PatientControlNumber is CLM01, unique per clinic.
	PatientControlNumber string
	// Kind is ClaimProfessional or ClaimInstitutional.
	Kind   string
	Status claim.Status
	// FrequencyCode is CLM05-3: "1" original, "7" replacement, "8" void.
	FrequencyCode string
	// OriginalClaimID is the claim a replacement or void refers to.
	OriginalClaimID *int64
	// PayerClaimControlNumber is the payer's ICN (277CA, CLP07; REF*F8 on
	// replacements).
	PayerClaimControlNumber string
	TotalChargeCents        int64
	ServiceDateFrom         time.Time
	ServiceDateTo           time.Time
	// InterchangeID is the interchange that last carried the claim.
	InterchangeID *int64
	Document      json.RawMessage
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// CreateClaimParams creates a claim. PayerID, PatientID and
// PatientControlNumber are required; Kind defaults to 837P, Status to draft,
// FrequencyCode to "1", Document to {}.
type CreateClaimParams struct {
	ClinicID                int64
	PayerID                 int64
	PatientID               int64
	EncounterID             *int64
	PatientControlNumber    string
	Kind                    string
	Status                  claim.Status
	FrequencyCode           string
	OriginalClaimID         *int64
	PayerClaimControlNumber string
	TotalChargeCents        int64
	ServiceDateFrom         time.Time
	ServiceDateTo           time.Time
	Document                json.RawMessage
	// Actor is recorded as the claim's creator (the first history entry).
	Actor string
}

// GetClaimByPatientControlNumberParams finds a claim by its patient
// control number (CLM01, echoed in 835 CLP01 and 277CA TRN02). Every claim
// has one, so an empty PatientControlNumber finds nothing (ErrNotFound).
type GetClaimByPatientControlNumberParams struct {
	ClinicID             int64
	PatientControlNumber string
}

// GetClaimByPayerClaimControlNumberParams finds the newest claim carrying the
// payer's claim control number (835 CLP07, 277CA REF*1K).
// PayerClaimControlNumber is required: claims not yet adjudicated have none.
type GetClaimByPayerClaimControlNumberParams struct {
	ClinicID                int64
	PayerClaimControlNumber string
}

// BulkInsertClaimsParams inserts many claims of one clinic. ClinicID is
// required; each claim's ClinicID must be it or zero.
type BulkInsertClaimsParams struct {
	ClinicID int64
	Claims   []CreateClaimParams
}

// ListClaimsParams filters claims; zero fields do not filter. Results are
// ordered by ID; page with AfterID.
type ListClaimsParams struct {
	ClinicID      int64
	Statuses      []claim.Status
	PayerID       int64
	PatientID     int64
	InterchangeID int64
	// ServiceFrom and ServiceTo bound ServiceDateFrom (inclusive).
	ServiceFrom time.Time
	ServiceTo   time.Time
	AfterID     int64
	Limit       int
	// SkipLocked, in a transaction, locks the claims listed and leaves out
	// those another transaction holds locked (FOR UPDATE SKIP LOCKED on
	// PostgreSQL), so several workers taking claims to work each get
	// their own; SQLite, with one writer, ignores it.
	SkipLocked bool
}

// UpdateClaimParams changes a claim; nil fields are left alone. Status
// changes go through SetClaimStatus.
type UpdateClaimParams struct {
	ClinicID                int64
	ID                      int64
	PayerID                 *int64
	FrequencyCode           *string
	PayerClaimControlNumber *string
	TotalChargeCents        *int64
	ServiceDateFrom         *time.Time
	ServiceDateTo           *time.Time
	InterchangeID           *int64
	Document                json.RawMessage
}

// SetClaimStatusParams moves a claim to Status and records the change.
// When From is set the change happens only if the claim is in From;
// otherwise it fails with ErrConflict.
type SetClaimStatusParams struct {
	ClinicID int64
	ID       int64
	From     claim.Status
	Status   claim.Status
	Reason   string
	Actor    string
}

// ClaimStatusChange is one entry of a claim's status history. The first
// entry is the claim's creation (ID 0, FromStatus "", Reason "created",
// Actor CreateClaimParams.Actor); the rest are SetClaimStatus calls.
type ClaimStatusChange struct {
	ID         int64
	ClinicID   int64
	ClaimID    int64
	FromStatus claim.Status
	ToStatus   claim.Status
	Reason     string
	Actor      string
	At         time.Time
}

// AllocateControlNumbersParams asks for the control numbers of one
// interchange from SenderID (ISA06) to ReceiverID (ISA08): one ISA13, Groups
// GS06 values and TransactionSets ST02 values.
type AllocateControlNumbersParams struct {
	SenderID        string
	ReceiverID      string
	Groups          int
	TransactionSets int
}

// ControlNumbers are allocated envelope control numbers, each in
// 1..999999999: unique per sender and receiver and increasing, until they
// wrap back to 1 after 999999999.
type ControlNumbers struct {
	// Interchange is ISA13 (and IEA02).
	Interchange int64
	// FirstGroup is the first GS06; the allocation holds Groups numbers.
	FirstGroup int64
	// FirstTransactionSet is the first ST02; it holds TransactionSets.
	FirstTransactionSet int64
}

// Interchange transfer states.
const (
	InterchangeCreated   = "created"
	InterchangeUploading = "uploading"
	InterchangeUploaded  = "uploaded"
	InterchangeFailed    = "failed"
	InterchangeAccepted  = "accepted"
	InterchangeRejected  = "rejected"
)

// Interchange is an outbound X12 file (ISA..IEA) and its transfer state.
type Interchange struct {
	ID       int64
	ClinicID int64
	PayerID  *int64
	// SenderID and ReceiverID are ISA06 and ISA08.
	SenderID   string
	ReceiverID string
	// ControlNumber is ISA13.
	ControlNumber int64
	// GroupControlNumber is the first GS06.
	GroupControlNumber int64
	// FirstSetControlNumber is the first ST02; SetCount sets follow.
	FirstSetControlNumber int64
	SetCount              int
	// TransactionSet is the ST01/implementation, e.g. "837P", "270".
	TransactionSet string
	ClaimCount     int
	FileName       string
	// Checksum is the SHA-256 of the file, hex.
	Checksum  string
	SizeBytes int64
	// ContentID names the file in the file store (package filestore);
	// OpenContent reads it. Empty for an empty file.
	ContentID        string
	Status           string
	TransferAttempts int
	LastError        string
	RemotePath       string
	UploadedAt       *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// CreateInterchangeParams records an outbound interchange; Status defaults
// to created. Body is streamed into the file store; Checksum and SizeBytes
// are computed from it.
type CreateInterchangeParams struct {
	ClinicID              int64
	PayerID               *int64
	SenderID              string
	ReceiverID            string
	ControlNumber         int64
	GroupControlNumber    int64
	FirstSetControlNumber int64
	SetCount              int
	TransactionSet        string
	ClaimCount            int
	FileName              string
	Body                  io.Reader
}

// FindInterchangeParams looks an interchange up by its envelope, as TA1
// (ISA13) and 999 (GS06 in AK1) acknowledgments refer to it: set
// ControlNumber or GroupControlNumber.
type FindInterchangeParams struct {
	ClinicID           int64
	SenderID           string
	ReceiverID         string
	ControlNumber      int64
	GroupControlNumber int64
}

// ListInterchangesParams filters interchanges.
type ListInterchangesParams struct {
	ClinicID int64
	Statuses []string
	PayerID  int64
	AfterID  int64
	Limit    int
}

// UpdateInterchangeTransferParams records a transfer attempt or an
// acknowledgment outcome. Attempt adds one to TransferAttempts.
type UpdateInterchangeTransferParams struct {
	ClinicID   int64
	ID         int64
	Status     string
	Attempt    bool
	LastError  string
	RemotePath string
	UploadedAt *time.Time
}

// Inbound file states.
const (
	InboundReceived    = "received"
	InboundProcessing  = "processing"
	InboundProcessed   = "processed"
	InboundFailed      = "failed"
	InboundQuarantined = "quarantined"
	// InboundHeld: the file was read and is held for review (an 835 whose
	// payment total does not balance or that pays another payee): nothing
	// of it was applied until staff release it.
	InboundHeld = "held"
	// InboundDiscarded: staff set the file aside for good (a quarantined
	// or held file the payer will correct): nothing of it is applied; its
	// content is kept.
	InboundDiscarded = "discarded"
)

// InboundFile is a file received from a payer (999, TA1, 277CA, 271, 835).
type InboundFile struct {
	ID       int64
	ClinicID int64
	// Checksum is the SHA-256 of the file, hex; unique per clinic.
	Checksum  string
	FileName  string
	Source    string
	SizeBytes int64
	// FileType is "999", "TA1", "277CA", "271", "835" or "" until known.
	FileType string
	State    string
	// QuarantineReason says why the file was set aside.
	QuarantineReason string
	Error            string
	// ContentID names the file in the file store; OpenContent reads it.
	ContentID   string
	ReceivedAt  time.Time
	ProcessedAt *time.Time
	UpdatedAt   time.Time
}

// RecordInboundFileParams records a received file. Body is streamed into
// the file store and its checksum computed on the way (or Stored names a
// file Store.PutContent wrote before); a file already recorded (same
// checksum) is returned with created false and the copy just written is
// removed.
type RecordInboundFileParams struct {
	ClinicID int64
	FileName string
	Source   string
	FileType string
	Body     io.Reader
	Stored   *StoredContent
}

// StoredContent names a file in the file store, with its SHA-256 (hex)
// and size.
type StoredContent struct {
	ID     string
	SHA256 string
	Size   int64
}

// ListInboundFilesParams filters inbound files.
type ListInboundFilesParams struct {
	ClinicID  int64
	States    []string
	FileTypes []string
	AfterID   int64
	Limit     int
}

// UpdateInboundFileParams changes an inbound file's processing state; empty
// FileType keeps the current one.
type UpdateInboundFileParams struct {
	ClinicID         int64
	ID               int64
	State            string
	FileType         string
	QuarantineReason string
	Error            string
	ProcessedAt      *time.Time
}

// Acknowledgment kinds.
const (
	AckTA1   = "TA1"
	Ack999   = "999"
	Ack277CA = "277CA"
	// Ack277 is a claim's answer in a 277 claim status response
	// (005010X212), per claim.
	Ack277 = "277"
)

// Acknowledgment is one TA1, 999 (per transaction set) or 277CA (per
// claim) answer.
type Acknowledgment struct {
	ID            int64
	ClinicID      int64
	InboundFileID *int64
	InterchangeID *int64
	ClaimID       *int64
	Kind          string
	// ControlNumber is the control number acknowledged (TA101, AK102,
	// AK202).
	ControlNumber string
	// Code is the acknowledgment code (TA104, IK501/AK901, STC01-1).
	Code      string
	Accepted  bool
	Details   json.RawMessage
	CreatedAt time.Time
}

// CreateAcknowledgmentParams records an acknowledgment.
type CreateAcknowledgmentParams struct {
	ClinicID      int64
	InboundFileID *int64
	InterchangeID *int64
	ClaimID       *int64
	Kind          string
	ControlNumber string
	Code          string
	Accepted      bool
	Details       json.RawMessage
}

// ListAcknowledgmentsParams filters acknowledgments.
type ListAcknowledgmentsParams struct {
	ClinicID      int64
	InterchangeID int64
	ClaimID       int64
	InboundFileID int64
	Kind          string
}

// Remittance is one 835 transaction set: one payment (BPR/TRN).
type Remittance struct {
	ID            int64
	ClinicID      int64
	InboundFileID *int64
	PayerID       *int64
	// PayerIdentifier is TRN03 (the payer's identifier).
	PayerIdentifier string
	// TraceNumber is TRN02, the check or EFT trace number.
	TraceNumber string
	// PaymentMethod is BPR04 (CHK, ACH, NON, ...).
	PaymentMethod string
	// PaymentCents is BPR02.
	PaymentCents int64
	// PaymentDate is BPR16 (a date).
	PaymentDate  time.Time
	FileChecksum string
	// PostedThrough is the segment ordinal (in its file) of the last claim
	// payment (CLP) posting handled; PostedAt is set once every claim
	// payment of the transaction set is posted. A remittance with no
	// PostedAt was cut short and is resumed after PostedThrough.
	PostedThrough int
	PostedAt      *time.Time
	CreatedAt     time.Time
}

// UpdateRemittancePostingParams records how far posting a remittance got:
// the segment ordinal of the last claim payment handled and, when Complete,
// that the whole transaction set is posted.
type UpdateRemittancePostingParams struct {
	ClinicID      int64
	ID            int64
	PostedThrough int
	Complete      bool
}

// CreateRemittanceParams records a remittance. Posting is idempotent on
// (clinic, PayerIdentifier, TraceNumber): a payer resending the same payment
// in another file gets back the existing row with created false.
type CreateRemittanceParams struct {
	ClinicID        int64
	InboundFileID   *int64
	PayerID         *int64
	PayerIdentifier string
	TraceNumber     string
	PaymentMethod   string
	PaymentCents    int64
	PaymentDate     time.Time
	FileChecksum    string
}

// ListRemittancesParams filters remittances.
type ListRemittancesParams struct {
	ClinicID      int64
	PayerID       int64
	InboundFileID int64
	Limit         int
}

// ClaimAdjustment is one CAS adjustment of a claim payment (Loop 2100 CAS,
// or Loop 2110 CAS when ServiceLine > 0).
type ClaimAdjustment struct {
	// ServiceLine is the 1-based service line, 0 for claim level.
	ServiceLine int
	// GroupCode is CAS01 (CO, PR, OA, PI, CR).
	GroupCode string
	// ReasonCode is the CARC.
	ReasonCode  string
	AmountCents int64
	// QuantityMilli is the adjusted quantity times 1000.
	QuantityMilli int64
}

// ClaimPayment is one claim of a remittance (Loop 2100 CLP).
type ClaimPayment struct {
	ID           int64
	ClinicID     int64
	RemittanceID int64
	// ClaimID is the matched claim; nil until matched.
	ClaimID *int64
	// PatientControlNumber is CLP01.
	PatientControlNumber string
	// StatusCode is CLP02.
	StatusCode                 string
	ChargeCents                int64
	PaidCents                  int64
	PatientResponsibilityCents int64
	// PayerClaimControlNumber is CLP07.
	PayerClaimControlNumber string
	Adjustments             []ClaimAdjustment
	// Document holds service lines, RARCs and the rest as JSON.
	Document  json.RawMessage
	CreatedAt time.Time
}

// Adjudication is the payment as the denial rule reads it
// (claim.Adjudication.Denied).
func (cp ClaimPayment) Adjudication() claim.Adjudication {
	adjs := make([]claim.Adjustment, len(cp.Adjustments))
	for i, a := range cp.Adjustments {
		adjs[i] = claim.Adjustment{Group: a.GroupCode, Reason: a.ReasonCode, AmountCents: a.AmountCents}
	}
	return claim.Adjudication{StatusCode: cp.StatusCode, ChargeCents: cp.ChargeCents, PaidCents: cp.PaidCents,
		PatientResponsibilityCents: cp.PatientResponsibilityCents, Adjustments: adjs}
}

// CreateClaimPaymentParams records a claim payment with its adjustments.
type CreateClaimPaymentParams struct {
	ClinicID                   int64
	RemittanceID               int64
	ClaimID                    *int64
	PatientControlNumber       string
	StatusCode                 string
	ChargeCents                int64
	PaidCents                  int64
	PatientResponsibilityCents int64
	PayerClaimControlNumber    string
	Adjustments                []ClaimAdjustment
	Document                   json.RawMessage
}

// BulkInsertClaimPaymentsParams inserts many claim payments of one clinic.
// ClinicID is required; each payment's ClinicID must be it or zero.
type BulkInsertClaimPaymentsParams struct {
	ClinicID int64
	Payments []CreateClaimPaymentParams
}

// ListClaimPaymentsParams filters claim payments; Unmatched keeps those
// without a claim. PayerClaimControlNumbers keeps those whose CLP07 is one
// of them (a chunk's duplicate check loads them in one query).
type ListClaimPaymentsParams struct {
	ClinicID                 int64
	RemittanceID             int64
	ClaimID                  int64
	Unmatched                bool
	PayerClaimControlNumbers []string
	AfterID                  int64
	Limit                    int
}

// MatchClaimPaymentParams links a claim payment to its claim.
type MatchClaimPaymentParams struct {
	ClinicID int64
	ID       int64
	ClaimID  int64
}

// LedgerLine is one line of a ledger transaction: positive AmountCents
// debits the account, negative credits it.
type LedgerLine struct {
	Account      string
	AmountCents  int64
	ClaimID      *int64
	PatientID    *int64
	RemittanceID *int64
}

// LedgerTransaction is a balanced set of ledger entries.
type LedgerTransaction struct {
	ID       int64
	ClinicID int64
	// IdempotencyKey is unique per clinic: posting it again is a no-op.
	IdempotencyKey string
	Description    string
	// EffectiveDate is a date.
	EffectiveDate time.Time
	PostedAt      time.Time
	Entries       []LedgerEntry
}

// LedgerEntry is one posted line.
type LedgerEntry struct {
	ID            int64
	ClinicID      int64
	TransactionID int64
	Account       string
	AmountCents   int64
	ClaimID       *int64
	PatientID     *int64
	RemittanceID  *int64
	EffectiveDate time.Time
	PostedAt      time.Time
}

// PostLedgerTransactionParams posts a transaction. Lines must sum to zero
// and be at least two.
type PostLedgerTransactionParams struct {
	ClinicID       int64
	IdempotencyKey string
	Description    string
	EffectiveDate  time.Time
	Lines          []LedgerLine
}

// ListLedgerEntriesParams filters ledger entries (EffectiveDate in
// [From, To]).
type ListLedgerEntriesParams struct {
	ClinicID  int64
	Account   string
	ClaimID   int64
	PatientID int64
	From      time.Time
	To        time.Time
	Limit     int
}

// LedgerBalanceParams sums entries (debits positive) matching all set
// filters.
type LedgerBalanceParams struct {
	ClinicID  int64
	Account   string
	ClaimID   int64
	PatientID int64
}

// Worklist item kinds.
const (
	WorkScrubFailure     = "scrub_failure"
	WorkRejection        = "rejection"
	WorkDenial           = "denial"
	WorkUnderpayment     = "underpayment"
	WorkEligibility      = "eligibility"
	WorkUnmatchedPayment = "unmatched_payment"
	WorkQuarantinedFile  = "quarantined_file"
	WorkPatientStatement = "patient_balance"
	// WorkCodeSet is an operations item: a code set is out of date and a
	// newer release must be imported.
	WorkCodeSet = "code_set"
	// WorkTimelyFiling is a claim the payer has not accepted whose filing
	// deadline is near or has passed.
	WorkTimelyFiling = "timely_filing"
)

// Worklist item statuses.
const (
	WorkOpen       = "open"
	WorkInProgress = "in_progress"
	WorkResolved   = "resolved"
	WorkDismissed  = "dismissed"
)

// WorklistItem is a piece of work for billing staff.
type WorklistItem struct {
	ID            int64
	ClinicID      int64
	Kind          string
	Status        string
	Priority      int
	ClaimID       *int64
	PatientID     *int64
	PayerID       *int64
	AppointmentID *int64
	Assignee      string
	AmountCents   int64
	Title         string
	Details       json.RawMessage
	// DedupeKey, when set, is unique per clinic: creating the same key
	// again returns the existing item.
	DedupeKey  string
	DueAt      *time.Time
	Resolution string
	ResolvedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CreateWorklistItemParams creates a worklist item; Status defaults to open.
type CreateWorklistItemParams struct {
	ClinicID      int64
	Kind          string
	Status        string
	Priority      int
	ClaimID       *int64
	PatientID     *int64
	PayerID       *int64
	AppointmentID *int64
	Assignee      string
	AmountCents   int64
	Title         string
	Details       json.RawMessage
	DedupeKey     string
	DueAt         *time.Time
}

// Worklist orderings.
const (
	WorkOrderID           = ""
	WorkOrderOldest       = "oldest"
	WorkOrderAmountDesc   = "amount_desc"
	WorkOrderPriorityDesc = "priority_desc"
)

// ListWorklistItemsParams filters worklist items; zero fields do not filter.
type ListWorklistItemsParams struct {
	ClinicID int64
	Kinds    []string
	Statuses []string
	PayerID  int64
	ClaimID  int64
	Assignee string
	// Unassigned keeps items without an assignee.
	Unassigned bool
	// CreatedBefore keeps items older than a time (age filter).
	CreatedBefore  time.Time
	MinAmountCents int64
	MaxAmountCents int64
	OrderBy        string
	AfterID        int64
	Limit          int
}

// UpdateWorklistItemParams changes an item; nil fields are left alone.
type UpdateWorklistItemParams struct {
	ClinicID   int64
	ID         int64
	Status     *string
	Assignee   *string
	Priority   *int
	Resolution *string
	Details    json.RawMessage
	DueAt      *time.Time
	// AmountCents and Title restate what the item is about (a credit
	// balance that grew or shrank).
	AmountCents *int64
	Title       *string
}

// AuditEvent is one entry of a clinic's append-only, hash-chained audit log.
type AuditEvent struct {
	ClinicID int64
	// Seq numbers a clinic's events from 1 without gaps.
	Seq        int64
	Actor      string
	Action     string
	EntityType string
	EntityID   string
	At         time.Time
	// Details is JSON, hashed byte for byte as stored.
	Details json.RawMessage
	// PrevHash is the previous event's Hash (empty for the first).
	PrevHash string
	// Hash is AuditHash of this event, hex.
	Hash string
}

// AppendAuditEventParams appends an event; Actor and Action are required.
type AppendAuditEventParams struct {
	ClinicID   int64
	Actor      string
	Action     string
	EntityType string
	EntityID   string
	Details    json.RawMessage
}

// AppendAuditEventsParams appends many events to one clinic's chain in one
// statement per few thousand events (the read audit of a list).
type AppendAuditEventsParams struct {
	ClinicID int64
	Events   []AppendAuditEventParams
}

// ListAuditEventsParams pages through a clinic's events in order; the
// other fields filter (zero values match everything).
type ListAuditEventsParams struct {
	ClinicID   int64
	AfterSeq   int64
	Limit      int
	Actor      string
	EntityType string
	EntityID   string
	// From and To bound At: From <= At < To.
	From, To time.Time
}

// VerifyAuditChainParams names the clinic whose audit log is verified.
type VerifyAuditChainParams struct {
	ClinicID int64
}

// FHIRImport records which Clearhouse row an imported FHIR resource became.
type FHIRImport struct {
	ClinicID int64
	// ResourceType and ResourceID are the resource's type and logical ID
	// (Patient/123).
	ResourceType string
	ResourceID   string
	// VersionID is the resource's meta.versionId, empty when it has none.
	VersionID string
	// EntityType names the row's kind ("patient", "coverage", "provider",
	// "payer", "appointment", "encounter", "charge"); EntityID is the row,
	// zero for a resource that only informs others (a Condition folded into
	// an encounter's diagnoses).
	EntityType string
	EntityID   int64
	ImportedAt time.Time
}

// GetFHIRImportParams finds the record of one imported resource.
type GetFHIRImportParams struct {
	ClinicID     int64
	ResourceType string
	ResourceID   string
}

// RecordFHIRImportParams records (or replaces the record of) an imported
// resource. ResourceType, ResourceID and EntityType are required.
type RecordFHIRImportParams struct {
	ClinicID     int64
	ResourceType string
	ResourceID   string
	VersionID    string
	EntityType   string
	EntityID     int64
}

// ListFHIRImportsParams filters import records; zero fields do not filter.
type ListFHIRImportsParams struct {
	ClinicID     int64
	ResourceType string
	EntityType   string
	EntityID     int64
}
