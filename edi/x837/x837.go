// Package x837 writes claims as 837 health care claim transactions and reads
// them back: 837P professional claims (005010X222A1) and 837I institutional
// claims (005010X223A2), to and from the canonical model in package claim.
//
// The Encoder streams: claims go out one at a time, grouped under shared
// billing provider (2000A) and subscriber (2000B) levels while consecutive
// claims share them, and split into transaction sets, functional groups and
// interchanges at configurable limits. The Decoder streams too, yielding one
// claim at a time with the envelope it came in.
package x837

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
)

// Implementation guide references (ST03 and GS08).
const (
	VersionProfessional  = "005010X222A1"
	VersionInstitutional = "005010X223A2"
)

// DefaultMaxClaimsPerSet is the guides' recommended limit of claims (2300
// loops) in one transaction set.
const DefaultMaxClaimsPerSet = 5000

// Version returns the implementation guide reference of a claim kind, or ""
// for an unknown kind.
func Version(k claim.Kind) string {
	switch k {
	case claim.Professional:
		return VersionProfessional
	case claim.Institutional:
		return VersionInstitutional
	}
	return ""
}

// ControlLevel names one of the three envelope control numbers.
type ControlLevel int

// The control number levels.
const (
	ControlInterchange ControlLevel = iota + 1 // ISA13 and IEA02
	ControlGroup                               // GS06 and GE02
	ControlSet                                 // ST02 and SE02
)

// ControlNumbers are the envelope control numbers. For an Encoder they are
// the first numbers to use (zero means 1), each incremented for the next
// envelope of its level, unless Next is set, in which case Next allocates
// every number (the pipeline uses it to keep numbers unique across files).
// For a Decoder's Envelope they are the numbers of the claim's envelopes.
type ControlNumbers struct {
	Interchange int64
	Group       int64
	Set         int64
	Next        func(ControlLevel) (int64, error) `json:"-"`
}

// Envelope holds everything of an 837 that is not a claim: the interchange
// (ISA), functional group (GS) and transaction set header (BHT) with the
// submitter (loop 1000A) and receiver (loop 1000B).
type Envelope struct {
	// Loop 1000A submitter: NM1*41 NM103 and NM109 (NM108 46).
	SubmitterName string
	SubmitterID   string
	// Loop 1000A PER*IC: the contact name (PER02) and at least one of a
	// telephone number (TE) or an email address (EM).
	ContactName  string
	ContactPhone string
	ContactEmail string
	// Loop 1000B receiver: NM1*40 NM103 and NM109 (NM108 46).
	ReceiverName string
	ReceiverID   string

	// ISA05/ISA06 and ISA07/ISA08; the qualifiers are ZZ when empty.
	SenderQualifier       string
	SenderID              string
	ReceiverQualifier     string
	InterchangeReceiverID string
	// GS02 and GS03; the ISA sender and receiver IDs when empty.
	ApplicationSender   string
	ApplicationReceiver string
	// Usage is ISA15: P production or T test. Required.
	Usage string
	// AckRequested is ISA14 (a TA1 is requested).
	AckRequested bool
	// Time is the creation time written in ISA09/10, GS04/05 and BHT04/05.
	// It is injected; the encoder never reads the clock.
	Time time.Time
	// Reference is BHT03, the originator's reference for the transaction;
	// when empty each set uses its ST02 control number.
	Reference string
	// TransactionType is BHT06: CH chargeable (the default) or RP
	// reporting (encounters).
	TransactionType string

	// Delimiters of the output; edi.DefaultDelimiters when zero.
	Delimiters edi.Delimiters
	// LineBreaks writes a line feed after every segment terminator, as some
	// trading partners ask; readers skip it.
	LineBreaks bool
	Controls   ControlNumbers
	// MaxClaimsPerSet caps the claims in one transaction set; zero means
	// DefaultMaxClaimsPerSet.
	MaxClaimsPerSet int
	// MaxClaimsPerInterchange caps the claims in one interchange; zero
	// means no cap.
	MaxClaimsPerInterchange int
}

// Placement records where an encoded claim went: the control numbers of
// its interchange, functional group and transaction set, so the pipeline can
// match 999 and TA1 acknowledgments back to claims.
type Placement struct {
	PatientControlNumber string
	ClaimID              string
	Interchange          int64 // ISA13
	Group                int64 // GS06
	Set                  int64 // ST02
}

// Sentinel errors of the package. Errors about claim content also match
// edi.ErrImplementation (or edi.ErrBalance) through errors.Is.
var (
	// ErrInvalidClaim means a claim lacks data the guide requires or holds
	// data the guide does not allow; see ClaimError for which.
	ErrInvalidClaim = errors.New("claim cannot be encoded as an 837")
	// ErrEnvelope means the Envelope options are incomplete or wrong.
	ErrEnvelope = errors.New("837 envelope options are invalid")
	// ErrClosed means the Encoder was used after Close.
	ErrClosed = errors.New("837 encoder is closed")
)

// FieldError is one problem of a claim, located by its 837 loop, segment,
// element and service line (claim.Location, the scrubber's location type).
type FieldError struct {
	claim.Location
	Msg string
	// Balance marks amounts that do not balance (SNIP type 3).
	Balance bool
}

// String is the location and the problem: "2300 CLM CLM02: total charge ...".
func (f FieldError) String() string { return f.Location.String() + ": " + f.Msg }

// ClaimError lists every problem found in one claim that keeps it from
// being encoded. Nothing of the claim was written.
type ClaimError struct {
	PatientControlNumber string
	// Index is the claim's 0-based position in the encoder's input.
	Index    int
	Problems []FieldError
}

func (e *ClaimError) Error() string {
	var b strings.Builder
	b.WriteString("x837: claim ")
	b.WriteString(strconv.Quote(e.PatientControlNumber))
	b.WriteString(" (#")
	b.WriteString(strconv.Itoa(e.Index + 1))
	b.WriteString("): ")
	b.WriteString(ErrInvalidClaim.Error())
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is match ErrInvalidClaim, edi.ErrImplementation and,
// when an amount does not balance, edi.ErrBalance.
func (e *ClaimError) Unwrap() []error {
	errs := []error{ErrInvalidClaim, edi.ErrImplementation}
	for _, p := range e.Problems {
		if p.Balance {
			return append(errs, edi.ErrBalance)
		}
	}
	return errs
}
