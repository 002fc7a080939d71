// Package payers is the payer registry: who each payer is, which
// transactions it accepts, whether a clinic must enroll first, how to reach
// its SFTP drop, the ISA/GS identifiers it expects, and its claim options
// (claim filing indicator, timely filing limit, claims per file).
//
// Payers are defined in YAML files, one payer per file, and checked when
// loaded: every problem is reported with its file, line and field.
package payers

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Transaction is an X12 transaction a payer exchanges.
type Transaction string

// The transactions a payer definition may list.
const (
	Tx270   Transaction = "270"   // eligibility inquiry (005010X279A1)
	Tx837P  Transaction = "837P"  // professional claim (005010X222A1)
	Tx837I  Transaction = "837I"  // institutional claim (005010X223A2)
	Tx835   Transaction = "835"   // remittance advice (005010X221A1)
	Tx277CA Transaction = "277CA" // claim acknowledgment (005010X214)
	Tx276   Transaction = "276"   // claim status inquiry, answered by a 277 (005010X212)
)

var knownTransactions = []Transaction{Tx270, Tx837P, Tx837I, Tx835, Tx277CA, Tx276}

// DefaultStatusInquiryDays is Payer.StatusInquiryDays when unset.
const DefaultStatusInquiryDays = 21

// EnrollmentStatus is a clinic's enrollment with a payer for EDI.
type EnrollmentStatus string

// The enrollment statuses.
const (
	Enrolled    EnrollmentStatus = "enrolled"
	Pending     EnrollmentStatus = "pending"
	NotEnrolled EnrollmentStatus = "not_enrolled"
	Denied      EnrollmentStatus = "denied"
)

// Usage is the ISA15 usage indicator.
type Usage string

// The usage indicators.
const (
	Test       Usage = "T"
	Production Usage = "P"
)

// Payer is one payer definition.
type Payer struct {
	// ID is the payer ID the claim carries in Loop 2010BB NM109 (NM108 PI).
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Transactions are the transaction sets the payer accepts or sends.
	Transactions []Transaction `yaml:"transactions"`
	Enrollment   Enrollment    `yaml:"enrollment"`
	SFTP         SFTP          `yaml:"sftp"`
	Envelope     Envelope      `yaml:"envelope"`
	// FileNaming is the name pattern of files sent to the payer; see
	// FileName for its placeholders.
	FileNaming string `yaml:"file_naming"`
	// Usage is T (test) or P (production), written in ISA15.
	Usage Usage `yaml:"usage"`
	// ClaimFilingIndicator is the default SBR09 (MB Medicare Part B, MA
	// Medicare Part A, MC Medicaid, CI commercial, BL Blue Cross/Blue
	// Shield, HM HMO, ...).
	ClaimFilingIndicator string `yaml:"claim_filing_indicator"`
	// TimelyFilingDays is how many days after the date of service the payer
	// accepts a claim.
	TimelyFilingDays int `yaml:"timely_filing_days"`
	// MaxClaimsPerFile caps the claims (CLM segments) in one file.
	MaxClaimsPerFile int `yaml:"max_claims_per_file"`
	// StatusInquiryDays is how many days after submission a claim with no
	// 835 is asked about with a 276 (payers that accept 276). Optional:
	// zero means DefaultStatusInquiryDays.
	StatusInquiryDays int `yaml:"status_inquiry_days,omitempty"`

	// RealTime is the payer's real-time endpoint (CAQH CORE HTTP+MIME)
	// for 270/271 and 276/277 while the caller waits. Optional.
	RealTime RealTime `yaml:"realtime,omitempty"`

	// File is the definition's file name, set by the loader.
	File string `yaml:"-"`
}

// Enrollment says whether EDI enrollment is required and where each clinic
// stands.
type Enrollment struct {
	Required bool `yaml:"required"`
	// Clinics maps a clinic ID to its status.
	Clinics map[string]EnrollmentStatus `yaml:"clinics"`
}

// SFTP is the payer's SFTP drop.
type SFTP struct {
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	User string `yaml:"user"`
	// HostKeyFingerprint pins the server's host key: "SHA256:" and the
	// unpadded base64 digest, as ssh-keygen -l prints it.
	HostKeyFingerprint string `yaml:"host_key_fingerprint"`
	// OutboundPath is where we upload (claims, inquiries); InboundPath where
	// the payer leaves acknowledgments, 271s and 835s.
	OutboundPath string `yaml:"outbound_path"`
	InboundPath  string `yaml:"inbound_path"`
	// PasswordEnv (the name of an environment variable holding the
	// password) or PrivateKeyFile, when set, is this payer's own SFTP
	// credential, used instead of the one serve is given for every payer.
	// Neither holds a secret itself.
	PasswordEnv    string `yaml:"password_env,omitempty"`
	PrivateKeyFile string `yaml:"private_key_file,omitempty"`
	// PGP, when set, is the payer's OpenPGP arrangement: what is uploaded
	// is encrypted (and signed) first, what is downloaded is decrypted (and
	// its signature checked) before intake.
	PGP *PGP `yaml:"pgp,omitempty"`
}

// PGP names the key files of a payer's OpenPGP arrangement. It holds no
// secret: a protected private key's passphrase is read from the
// environment variable PassphraseEnv.
type PGP struct {
	// PublicKeyFile is the payer's public key (armored or binary): files
	// sent to the payer are encrypted to it, and its signatures checked.
	PublicKeyFile string `yaml:"public_key_file"`
	// PrivateKeyFile is the clearinghouse's private key: the payer's files
	// are decrypted with it, and, with Sign, ours signed with it.
	PrivateKeyFile string `yaml:"private_key_file"`
	PassphraseEnv  string `yaml:"passphrase_env,omitempty"`
	// Sign signs the files sent and requires the payer's good signature on
	// the files received.
	Sign bool `yaml:"sign,omitempty"`
}

// HasCredential reports whether the payer file names its own SFTP
// credential.
func (s SFTP) HasCredential() bool { return s.PasswordEnv != "" || s.PrivateKeyFile != "" }

// RealTime says how to reach a payer's real-time endpoint. It holds no
// secret: the password is read from the environment variable PasswordEnv
// when a request is sent.
type RealTime struct {
	// URL is the endpoint: https, or http on a loopback address (tests and
	// the simulator).
	URL string `yaml:"url"`
	// User is the CORE envelope's UserName.
	User string `yaml:"user"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `yaml:"password_env"`
	// TimeoutSeconds bounds one exchange; 0 means CORE's 20 seconds.
	TimeoutSeconds int `yaml:"timeout_seconds,omitempty"`
}

// Envelope holds the interchange (ISA) and functional group (GS)
// identifiers of files exchanged with the payer.
type Envelope struct {
	SenderQualifier   string `yaml:"sender_qualifier"`   // ISA05
	SenderID          string `yaml:"sender_id"`          // ISA06
	ReceiverQualifier string `yaml:"receiver_qualifier"` // ISA07
	ReceiverID        string `yaml:"receiver_id"`        // ISA08
	GSSender          string `yaml:"gs_sender"`          // GS02
	GSReceiver        string `yaml:"gs_receiver"`        // GS03
}

// Accepts reports whether the payer exchanges transaction t.
func (p *Payer) Accepts(t Transaction) bool {
	for _, x := range p.Transactions {
		if x == t {
			return true
		}
	}
	return false
}

// FilingDeadline is the last day the payer accepts a claim whose first
// date of service is dos: dos plus TimelyFilingDays.
func (p *Payer) FilingDeadline(dos time.Time) time.Time {
	return dos.AddDate(0, 0, p.TimelyFilingDays)
}

// FilingWarnDays is how many days before the filing deadline a claim not
// yet accepted is flagged: a tenth of the limit, at least 7 days.
func (p *Payer) FilingWarnDays() int {
	if d := p.TimelyFilingDays / 10; d > 7 {
		return d
	}
	return 7
}

// StatusInquiryAfter is how many days after submission an unpaid claim is
// asked about: StatusInquiryDays, or DefaultStatusInquiryDays when unset.
func (p *Payer) StatusInquiryAfter() int {
	if p.StatusInquiryDays > 0 {
		return p.StatusInquiryDays
	}
	return DefaultStatusInquiryDays
}

// EnrollmentOf returns the clinic's enrollment status with the payer; a
// clinic not listed is NotEnrolled.
func (p *Payer) EnrollmentOf(clinicID string) EnrollmentStatus {
	if s, ok := p.Enrollment.Clinics[clinicID]; ok {
		return s
	}
	return NotEnrolled
}

// CanSubmit reports whether the clinic may send the payer transactions:
// enrollment is not required, or the clinic is enrolled.
func (p *Payer) CanSubmit(clinicID string) bool {
	return !p.Enrollment.Required || p.EnrollmentOf(clinicID) == Enrolled
}

// FileNameParams fill a file naming pattern.
type FileNameParams struct {
	Transaction Transaction
	// Date is YYYYMMDD and Time HHMMSS of the file's creation.
	Date, Time string
	// Control is the interchange control number (ISA13), nine digits.
	Control string
}

// fileNamePlaceholders are the placeholders a naming pattern may use.
var fileNamePlaceholders = []string{"{payer}", "{tx}", "{date}", "{time}", "{control}"}

// FileName fills the payer's naming pattern: {payer} the payer ID, {tx} the
// transaction (837P), {date} YYYYMMDD, {time} HHMMSS, {control} the
// interchange control number.
func (p *Payer) FileName(f FileNameParams) string {
	return strings.NewReplacer(
		"{payer}", p.ID, "{tx}", string(f.Transaction),
		"{date}", f.Date, "{time}", f.Time, "{control}", f.Control,
	).Replace(p.FileNaming)
}

// Registry is a validated set of payers, read-only after loading: safe for
// concurrent use.
type Registry struct {
	byID map[string]*Payer
	all  []*Payer
}

// ErrUnknownPayer is returned by Lookup for an ID not in the registry.
var ErrUnknownPayer = errors.New("payers: unknown payer")

// Get returns the payer with the ID.
func (r *Registry) Get(id string) (*Payer, bool) {
	if r == nil {
		return nil, false
	}
	p, ok := r.byID[id]
	return p, ok
}

// Lookup returns the payer with the ID or an error wrapping ErrUnknownPayer.
func (r *Registry) Lookup(id string) (*Payer, error) {
	if p, ok := r.Get(id); ok {
		return p, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownPayer, id)
}

// All returns the payers ordered by ID.
func (r *Registry) All() []*Payer {
	if r == nil {
		return nil
	}
	return append([]*Payer(nil), r.all...)
}

// Len returns the number of payers.
func (r *Registry) Len() int {
	if r == nil {
		return 0
	}
	return len(r.all)
}

// NewRegistry validates payers and builds a registry of them; the payers
// must not be changed afterwards.
func NewRegistry(ps ...*Payer) (*Registry, error) {
	r := &Registry{byID: make(map[string]*Payer, len(ps))}
	var errs []error
	for _, p := range ps {
		if err := p.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if old, dup := r.byID[p.ID]; dup {
			errs = append(errs, &FieldError{File: p.File, Field: "id", Value: p.ID,
				Err: fmt.Errorf("%w: also defined in %s", ErrDuplicate, old.File)})
			continue
		}
		r.byID[p.ID] = p
		r.all = append(r.all, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(r.all, func(i, j int) bool { return r.all[i].ID < r.all[j].ID })
	return r, nil
}
