// Package x277 reads and writes the 277CA health care claim acknowledgment
// (ASC X12 005010X214): for each claim of an 837 batch, whether the payer
// or clearinghouse accepted it into adjudication or rejected it, with
// claim status category and status codes.
//
// The hierarchy (HL) is information source (20, the payer or
// clearinghouse), information receiver (21, the submitter), billing
// provider of service (19) and patient (PT), which carries the claim.
//
// The package also reads and writes the 277 health care claim status
// response (ASC X12 005010X212, StatusResponse, DecodeStatus and
// EncodeStatus), the payer's answer to a 276 inquiry (package x276). The
// two share the parties (Entity), the STC segment (Status, StatusCode) and
// the service line (LineStatus).
package x277

import (
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// Implementation guide identifiers: GS08 and ST03, and GS01.
const (
	Version      = "005010X214"
	FunctionalID = "HN"
)

// Acknowledgment is one 277CA transaction set.
type Acknowledgment struct {
	Interchange   string // ISA13 of the enclosing interchange
	Group         string // GS06
	ControlNumber string // ST02
	// ReferenceID is BHT03, the originator's transaction identifier.
	ReferenceID string
	// Created is BHT04 and BHT05, the date and time the acknowledgment was
	// created.
	Created time.Time

	Sources []InformationSource // Loop 2000A

	// Errors are positioned problems that did not stop decoding: values
	// that do not parse, segments out of place, a broken hierarchy.
	Errors []*edi.Error
	// Position is that of the ST segment.
	Position edi.Position
}

// Entity is an NM1 segment.
type Entity struct {
	EntityCode  string // NM101: PR payer, 41 submitter, 85 billing provider, QC patient
	EntityType  string // NM102: 1 person, 2 non-person
	Last        string // NM103, or the organization name
	First       string // NM104
	Middle      string // NM105
	Suffix      string // NM107
	IDQualifier string // NM108: PI payer ID, FI, 46 ETIN, XX NPI, MI member ID
	ID          string // NM109
}

// InformationSource is Loop 2000A: the payer or clearinghouse that sends
// the acknowledgment.
type InformationSource struct {
	Name        Entity    // 2100A NM1*PR
	TraceNumber string    // 2200A TRN*1 TRN02
	ReceiptDate time.Time // 2200A DTP*050: date the batch was received
	ProcessDate time.Time // 2200A DTP*009: date it was processed

	Receivers []InformationReceiver // Loop 2000B
}

// Totals are the accepted and rejected claim counts and charges of a
// receiver (2200B QTY*90, QTY*AA, AMT*YU, AMT*YY) or provider (2200C
// QTY*QA, QTY*QC, AMT*YU, AMT*YY).
type Totals struct {
	AcceptedQuantity    int64
	RejectedQuantity    int64
	AcceptedAmountCents int64
	RejectedAmountCents int64
}

// InformationReceiver is Loop 2000B: the submitter of the acknowledged
// batch.
type InformationReceiver struct {
	Name Entity // 2100B NM1*41
	// TraceNumber is 2200B TRN*2 TRN02: the batch's identifier, the BHT03
	// of the 837 it acknowledges.
	TraceNumber string
	Statuses    []Status // 2200B STC
	Totals      Totals

	Providers []BillingProvider // Loop 2000C
}

// BillingProvider is Loop 2000C: the billing provider of service.
type BillingProvider struct {
	Name        Entity      // 2100C NM1*85
	TraceNumber string      // 2200C TRN*1 TRN02
	Statuses    []Status    // 2200C STC
	References  []Reference // 2200C REF: TJ tax ID, 0B license, ...
	Totals      Totals

	Claims []ClaimStatus // Loop 2000D
}

// Reference is a REF segment.
type Reference struct {
	Qualifier string
	Value     string
}

// ClaimStatus is Loops 2000D/2200D: one claim's acknowledgment.
type ClaimStatus struct {
	Patient Entity // 2100D NM1*QC
	// PatientControlNumber is TRN*2 TRN02: the claim's CLM01.
	PatientControlNumber string
	Statuses             []Status // STC
	// PayerClaimControlNumber is REF*1K, assigned when the claim is
	// accepted.
	PayerClaimControlNumber string
	// ClearinghouseTrace is REF*D9, the clearinghouse's trace number.
	ClearinghouseTrace string
	// BillType is REF*BLT (institutional claims).
	BillType string
	// ServiceFrom and ServiceTo are DTP*472 (D8 or RD8).
	ServiceFrom, ServiceTo time.Time

	Lines []LineStatus // Loop 2220D

	// Position is that of the claim's HL segment.
	Position edi.Position
}

// LineStatus is Loop 2220D: a service line's acknowledgment.
type LineStatus struct {
	Qualifier   string    // SVC01-1: HC, NU, ...
	Procedure   string    // SVC01-2
	Modifiers   [4]string // SVC01-3 to -6
	ChargeCents int64     // SVC02
	PaidCents   int64     // SVC03: line payment amount (X212 2220D/E; not used in a 277CA)
	RevenueCode string    // SVC04
	Units       string    // SVC07, decimal as sent
	Statuses    []Status  // STC
	// LineItemControlNumber is REF*FJ, the 837's REF*6R of the line.
	LineItemControlNumber  string
	ServiceFrom, ServiceTo time.Time // DTP*472
}

// StatusCode is one claim status composite (C043): STC01, STC10 or STC11.
type StatusCode struct {
	// Category is the health care claim status category code (external
	// code list 507): A0-A8 acknowledgments, such as A1 receipt, A2
	// accepted into adjudication, A3 returned as unprocessable, A6 rejected
	// for missing information, A7 rejected for invalid information.
	Category string
	Code     string // status code (code list 508)
	Entity   string // entity identifier code, such as 85 billing provider, IL subscriber, QC patient
	// CodeList is the code list qualifier (C043-4), such as RX for NCPDP
	// reject codes.
	CodeList string
}

// Status is an STC segment.
type Status struct {
	Codes       []StatusCode // STC01, then STC10 and STC11 when present
	Date        time.Time    // STC02: status information effective date (not used in 2200C, so not written there)
	Action      string       // STC03: WQ accepted, U rejected (U only in 2220D)
	AmountCents int64        // STC04: total submitted charges (2200B, 2200C) or total claim charge (2200D); not used in 2220D
	Message     string       // STC12: free-form message (2200D only)

	// The adjudication of a claim status response (X212 Loop 2200D/E STC;
	// not used in a 277CA).
	PaidCents       int64     // STC05: claim payment amount
	AdjudicatedDate time.Time // STC06: adjudication or payment date
	CheckDate       time.Time // STC08: check issue or EFT effective date
	CheckNumber     string    // STC09: check or EFT trace number
}

// Category is the first code's category.
func (s Status) Category() string {
	if len(s.Codes) == 0 {
		return ""
	}
	return s.Codes[0].Category
}

// Rejected reports whether the status category rejects: A3 returned as
// unprocessable, A4 not found, A6, A7 and A8 rejected, or action code U.
func (s Status) Rejected() bool {
	switch s.Category() {
	case "A3", "A4", "A6", "A7", "A8":
		return true
	}
	return s.Action == "U"
}

// Accepted reports whether the claim was accepted: no status rejects it and
// one is an acknowledgment of receipt or acceptance (A0, A1, A2, A5).
func (c *ClaimStatus) Accepted() bool {
	ok := false
	for _, s := range c.Statuses {
		if s.Rejected() {
			return false
		}
		switch s.Category() {
		case "A0", "A1", "A2", "A5":
			ok = true
		}
	}
	return ok
}

// ChargeCents is the claim's total charge as acknowledged (the first STC04).
func (c *ClaimStatus) ChargeCents() int64 {
	for _, s := range c.Statuses {
		if s.AmountCents != 0 {
			return s.AmountCents
		}
	}
	return 0
}

// ComputeTotals sets every provider's and receiver's accepted and rejected
// counts and charges from its claims, and the STC04 of their statuses
// (2200B and 2200C STC04, total submitted charges for the unit of work,
// required by X214) to the sum of the two charges.
func (a *Acknowledgment) ComputeTotals() {
	for i := range a.Sources {
		for j := range a.Sources[i].Receivers {
			r := &a.Sources[i].Receivers[j]
			r.Totals = Totals{}
			for k := range r.Providers {
				p := &r.Providers[k]
				p.Totals = Totals{}
				for l := range p.Claims {
					c := &p.Claims[l]
					if c.Accepted() {
						p.Totals.AcceptedQuantity++
						p.Totals.AcceptedAmountCents += c.ChargeCents()
					} else {
						p.Totals.RejectedQuantity++
						p.Totals.RejectedAmountCents += c.ChargeCents()
					}
				}
				setAmounts(p.Statuses, p.Totals.AcceptedAmountCents+p.Totals.RejectedAmountCents)
				r.Totals.AcceptedQuantity += p.Totals.AcceptedQuantity
				r.Totals.RejectedQuantity += p.Totals.RejectedQuantity
				r.Totals.AcceptedAmountCents += p.Totals.AcceptedAmountCents
				r.Totals.RejectedAmountCents += p.Totals.RejectedAmountCents
			}
			setAmounts(r.Statuses, r.Totals.AcceptedAmountCents+r.Totals.RejectedAmountCents)
		}
	}
}

func setAmounts(ss []Status, cents int64) {
	for i := range ss {
		ss[i].AmountCents = cents
	}
}

// Claims calls fn for every claim of the acknowledgment, in order, with its
// billing provider.
func (a *Acknowledgment) Claims(fn func(p *BillingProvider, c *ClaimStatus)) {
	for i := range a.Sources {
		for j := range a.Sources[i].Receivers {
			r := &a.Sources[i].Receivers[j]
			for k := range r.Providers {
				p := &r.Providers[k]
				for l := range p.Claims {
					fn(p, &p.Claims[l])
				}
			}
		}
	}
}
