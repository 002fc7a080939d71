// Package x999 reads, writes and generates the acknowledgments of received
// X12: the 999 implementation acknowledgment (005010X231A1), which says for
// each functional group and transaction set whether it was accepted and
// which segments and elements were in error, and the TA1 interchange
// acknowledgment, which answers an interchange's ISA/IEA envelope.
//
// Generate turns an edi.ValidationReport (from edi.Validate) into the acknowledgments
// of each interchange; Encode writes them; Decode reads the 999s and TA1s a
// trading partner sent back.
package x999

import (
	"github.com/clearhouse/clearhouse/edi"
)

// ImplementationRef is the 999 guide's version: GS08 and ST03 of every 999.
const ImplementationRef = "005010X231A1"

// TA1 is an interchange acknowledgment (segment TA1, which sits between ISA
// and the first GS).
type TA1 struct {
	ControlNumber string // TA101: ISA13 of the acknowledged interchange
	Date          string // TA102: its ISA09, YYMMDD
	Time          string // TA103: its ISA10, HHMM
	Ack           string // TA104: A accepted, E accepted with errors, R rejected
	NoteCode      string // TA105: interchange note code, 000 when no error
}

// Accepted reports whether the interchange was accepted (TA104 A or E).
func (t TA1) Accepted() bool { return t.Ack == edi.TA1Accepted || t.Ack == edi.TA1AcceptedWithErrors }

// FunctionalGroupResponse is one 999 transaction set: the response to one
// functional group (AK1, the AK2 loop per transaction set, AK9).
type FunctionalGroupResponse struct {
	// ControlNumber is ST02 of the 999 itself, set by Decode; Encode numbers
	// the sets it writes.
	ControlNumber string

	FunctionalID       string // AK101: GS01 of the acknowledged group, such as HC
	GroupControlNumber string // AK102: its GS06
	Version            string // AK103: its GS08, such as 005010X222A1

	Sets []TransactionSetResponse // Loop 2000 AK2

	Ack      string   // AK901: A, E, P (partially accepted) or R
	Included int      // AK902: transaction sets the group's GE01 declared
	Received int      // AK903: transaction sets received
	Accepted int      // AK904: transaction sets accepted
	Codes    []string // AK905 to AK909: functional group syntax error codes
}

// TransactionSetResponse is the response to one transaction set (Loop 2000:
// AK2, the IK3 loop, IK5).
type TransactionSetResponse struct {
	ID            string // AK201: ST01, such as 837
	ControlNumber string // AK202: ST02
	ImplRef       string // AK203: ST03

	Segments []SegmentError // Loop 2100 IK3

	Ack   string   // IK501: A, E, M, R, W or X
	Codes []string // IK502 to IK506: transaction set syntax error codes
}

// Accepted reports whether the set was accepted (IK501 A or E).
func (s TransactionSetResponse) Accepted() bool {
	return s.Ack == edi.AckAccepted || s.Ack == edi.AckAcceptedWithErrors
}

// SegmentError is an error in one segment (Loop 2100 IK3) and the errors of
// its elements.
type SegmentError struct {
	SegmentID string // IK301
	Position  int    // IK302: segment position in the set, ST is 1
	Loop      string // IK303: loop identifier, when known
	Code      string // IK304: segment syntax error code
	// Unit and UnitRef are the business unit the segment lies in (Loop
	// 2100 CTX, business unit identifier: CTX01-1 and CTX01-2), such as
	// CLM01 and the claim's submitter identifier; empty when none.
	Unit, UnitRef string
	// Trigger, for a segment a situational rule requires or forbids, is
	// the segment whose value decides it (Loop 2100 CTX, situational
	// trigger: CTX02 segment ID, CTX03 its position, CTX04 its loop,
	// CTX05 the element and component); nil when none.
	Trigger  *Trigger
	Elements []ElementError // Loop 2110 IK4
}

// Trigger locates the situational trigger of an error (999 CTX).
type Trigger struct {
	SegmentID string // CTX02
	Position  int    // CTX03: position in the transaction set
	Loop      string // CTX04
	Element   int    // CTX05-1
	Component int    // CTX05-2
}

// ElementError is an error in one element (IK4).
type ElementError struct {
	Position   int    // IK401-1: element position in the segment
	Component  int    // IK401-2: component position, 0 for a simple element
	Repetition int    // IK401-3: repetition, 0 when the element does not repeat
	Reference  string // IK402: data element reference number, when known
	Code       string // IK403: element syntax error code
	Value      string // IK404: copy of the bad element, when reported
}

// Acknowledgment is what one received interchange gets back: its TA1 and
// one FunctionalGroupResponse (a 999) per functional group.
type Acknowledgment struct {
	// Interchange is the report of the acknowledged interchange.
	Interchange *edi.InterchangeReport
	TA1         TA1
	Responses   []FunctionalGroupResponse
}

// TA1Needed reports whether a TA1 should be sent: the sender asked for one
// (ISA14 is 1) or the interchange has envelope errors.
func (a Acknowledgment) TA1Needed() bool {
	return a.Interchange.AckRequested || !a.Interchange.Accepted()
}
