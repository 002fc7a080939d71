package x277

import (
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// StatusVersion is GS08 and ST03 of the 277 health care claim status
// response (ASC X12 005010X212), the answer to a 276 inquiry. GS01 is HN,
// as for the 277CA (FunctionalID).
const StatusVersion = "005010X212"

// StatusResponse is one X212 277 transaction set: for each claim a 276
// asked about, the payer's status of it.
//
// The hierarchy (HL) is information source (20, the payer), information
// receiver (21, the submitter of the 276), service provider (19),
// subscriber (22) and, when the patient is not the subscriber, dependent
// (23). A claim's status hangs under the subscriber (Loop 2200D) or the
// dependent (Loop 2200E).
type StatusResponse struct {
	Interchange   string // ISA13 of the enclosing interchange
	Group         string // GS06
	ControlNumber string // ST02
	// ReferenceID is BHT03, the responder's transaction identifier.
	ReferenceID string
	// Created is BHT04 and BHT05.
	Created time.Time

	Sources []StatusSource // Loop 2000A

	// Errors are positioned problems that did not stop decoding.
	Errors []*edi.Error
	// Position is that of the ST segment.
	Position edi.Position
}

// StatusSource is Loop 2000A: the payer that answers.
type StatusSource struct {
	Name      Entity           // 2100A NM1*PR (NM108 PI or XV)
	Receivers []StatusReceiver // Loop 2000B
}

// StatusReceiver is Loop 2000B: who asked.
type StatusReceiver struct {
	Name Entity // 2100B NM1*41 (NM108 46)
	// TraceNumber is 2200B TRN*2 TRN02, sent with Statuses when the payer
	// answers the whole inquiry at the receiver level (an E0 error, say).
	TraceNumber string
	Statuses    []Status // 2200B STC

	Providers []StatusProvider // Loop 2000C
}

// StatusProvider is Loop 2000C: the provider of service.
type StatusProvider struct {
	Name Entity // 2100C NM1*1P (NM108 FI, SV or XX)
	// TraceNumber and Statuses are 2200C TRN*1 and STC: a status for the
	// provider as a whole.
	TraceNumber string
	Statuses    []Status

	Subscribers []StatusSubscriber // Loop 2000D
}

// StatusSubscriber is Loop 2000D. Claims holds 2200D, the claims of a
// subscriber who is the patient; Dependents holds Loop 2000E.
type StatusSubscriber struct {
	Name       Entity // 2100D NM1*IL (NM108 24, II or MI)
	Claims     []StatusClaim
	Dependents []StatusDependent
}

// StatusDependent is Loop 2000E: a patient who is not the subscriber.
type StatusDependent struct {
	Name   Entity        // 2100E NM1*QC (NM108 and NM109 not used)
	Claims []StatusClaim // Loop 2200E
}

// StatusClaim is Loop 2200D or 2200E: one claim's status.
type StatusClaim struct {
	// TraceNumber is TRN*2 TRN02: the 276's TRN*1 trace number for the
	// claim, echoed back.
	TraceNumber string
	Statuses    []Status // STC (X212 2200D: STC02, STC04, STC05, STC06, STC08, STC09 as adjudicated)

	PayerClaimControlNumber string // REF*1K
	BillType                string // REF*BLT
	PatientControlNumber    string // REF*EJ, the 837's CLM01
	PrescriptionNumber      string // REF*XZ
	VoucherID               string // REF*VV
	ClearinghouseTrace      string // REF*D9
	ServiceFrom, ServiceTo  time.Time

	Lines []LineStatus // Loop 2220D or 2220E

	// Position is that of the TRN segment that opens the claim.
	Position edi.Position
}

// Category is the first status's category code (STC01-1), "" when none.
func (c *StatusClaim) Category() string {
	if len(c.Statuses) == 0 {
		return ""
	}
	return c.Statuses[0].Category()
}

// Claims calls fn for every claim of the response in order, with the
// subscriber and, for a 2200E claim, the dependent (nil for 2200D).
func (r *StatusResponse) Claims(fn func(sub *StatusSubscriber, dep *StatusDependent, c *StatusClaim)) {
	for i := range r.Sources {
		for j := range r.Sources[i].Receivers {
			rc := &r.Sources[i].Receivers[j]
			for k := range rc.Providers {
				p := &rc.Providers[k]
				for l := range p.Subscribers {
					s := &p.Subscribers[l]
					for m := range s.Claims {
						fn(s, nil, &s.Claims[m])
					}
					for m := range s.Dependents {
						d := &s.Dependents[m]
						for n := range d.Claims {
							fn(s, d, &d.Claims[n])
						}
					}
				}
			}
		}
	}
}

// Standing is what a claim status category (external code list 507, "Claim
// Status Category Codes", x12.org/codes/claim-status-category-codes) says
// of a claim, coarsely.
type Standing string

const (
	StandingReceived  Standing = "received"  // A0 forwarded, A1 receipt, A2 accepted into adjudication, A5 split
	StandingRejected  Standing = "rejected"  // A3 returned as unprocessable, A6, A7, A8 rejected
	StandingNotFound  Standing = "not_found" // A4 not found, D0 data search unsuccessful
	StandingPending   Standing = "pending"   // P0-P5 pending, R* requests for additional information
	StandingPaid      Standing = "paid"      // F1 finalized/payment
	StandingDenied    Standing = "denied"    // F2 finalized/denial
	StandingFinalized Standing = "finalized" // F0, F3, F3F, F4 finalized otherwise
	StandingError     Standing = "error"     // E0-E4: the payer could not answer the inquiry
	StandingUnknown   Standing = "unknown"   // no or an unlisted category
)

// StandingOf maps a claim status category code to its Standing.
func StandingOf(category string) Standing {
	switch category {
	case "A0", "A1", "A2", "A5":
		return StandingReceived
	case "A3", "A6", "A7", "A8":
		return StandingRejected
	case "A4", "D0":
		return StandingNotFound
	case "F1":
		return StandingPaid
	case "F2":
		return StandingDenied
	case "F0", "F3", "F3F", "F4":
		return StandingFinalized
	}
	if len(category) >= 2 {
		switch category[0] {
		case 'P', 'R':
			return StandingPending
		case 'E':
			return StandingError
		}
	}
	return StandingUnknown
}
