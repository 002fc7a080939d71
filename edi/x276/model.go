// Package x276 reads and writes the 276 health care claim status request
// (ASC X12 005010X212): a provider or clearinghouse asks a payer where
// each of a list of claims stands; the payer answers with an X212 277
// (package x277, DecodeStatus).
//
// The hierarchy (HL) is information source (20, the payer asked),
// information receiver (21, who asks), service provider (19), subscriber
// (22) and, when the patient is not the subscriber, dependent (23). Each
// claim (Loop 2200D or 2200E) carries a TRN*1 trace number that the 277
// echoes in its TRN*2, so every answer matches back to its question.
package x276

import (
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x277"
)

// Implementation guide identifiers: GS08 and ST03, and GS01.
const (
	Version      = "005010X212"
	FunctionalID = "HR"
)

// Entity is an NM1 segment; the 276 and the 277 name parties alike.
type Entity = x277.Entity

// Request is one 276 transaction set.
type Request struct {
	Interchange   string // ISA13 of the enclosing interchange
	Group         string // GS06
	ControlNumber string // ST02
	// ReferenceID is BHT03, the requester's transaction identifier.
	ReferenceID string
	// Created is BHT04 and BHT05.
	Created time.Time

	Sources []Source // Loop 2000A

	// Errors are positioned problems that did not stop decoding.
	Errors []*edi.Error
	// Position is that of the ST segment.
	Position edi.Position
}

// Source is Loop 2000A: the payer asked.
type Source struct {
	Name      Entity     // 2100A NM1*PR (NM108 PI or XV)
	Receivers []Receiver // Loop 2000B
}

// Receiver is Loop 2000B: who asks (the submitter).
type Receiver struct {
	Name      Entity     // 2100B NM1*41 (NM108 46)
	Providers []Provider // Loop 2000C
}

// Provider is Loop 2000C: the provider of service.
type Provider struct {
	Name        Entity       // 2100C NM1*1P (NM108 FI, SV or XX)
	Subscribers []Subscriber // Loop 2000D
}

// Demographics is a DMG segment: DMG02 birth date (DMG01 D8), DMG03
// gender (F, M, U).
type Demographics struct {
	BirthDate time.Time
	Gender    string
}

// Subscriber is Loop 2000D. Claims holds 2200D, the claims of a
// subscriber who is the patient; Dependents holds Loop 2000E.
type Subscriber struct {
	Demographics             // 2000D DMG
	Name         Entity      // 2100D NM1*IL (NM108 24, II or MI)
	Claims       []Claim     // Loop 2200D
	Dependents   []Dependent // Loop 2000E
}

// Dependent is Loop 2000E: a patient who is not the subscriber.
type Dependent struct {
	Demographics         // 2000E DMG
	Name         Entity  // 2100E NM1*QC
	Claims       []Claim // Loop 2200E
}

// Claim is Loop 2200D or 2200E: one claim asked about.
type Claim struct {
	// TraceNumber is TRN*1 TRN02, echoed in the 277's TRN*2.
	TraceNumber             string
	PayerClaimControlNumber string    // REF*1K
	BillType                string    // REF*BLT
	PatientControlNumber    string    // REF*EJ, the 837's CLM01
	PrescriptionNumber      string    // REF*XZ
	ClearinghouseTrace      string    // REF*D9
	ChargeCents             int64     // AMT*T3: total claim charge
	ServiceFrom, ServiceTo  time.Time // DTP*472 (D8 or RD8)

	Lines []Line // Loop 2210D or 2210E

	// Position is that of the claim's TRN segment.
	Position edi.Position
}

// Line is Loop 2210D or 2210E: one service line asked about.
type Line struct {
	Qualifier              string    // SVC01-1: HC, NU, ...
	Procedure              string    // SVC01-2
	Modifiers              [4]string // SVC01-3 to -6
	ChargeCents            int64     // SVC02
	RevenueCode            string    // SVC04
	Units                  string    // SVC07, decimal as sent
	LineItemControlNumber  string    // REF*FJ, the 837's REF*6R
	ServiceFrom, ServiceTo time.Time // DTP*472
}

// Claims calls fn for every claim of the request in order, with the
// subscriber and, for a 2200E claim, the dependent (nil for 2200D).
func (r *Request) Claims(fn func(p *Provider, sub *Subscriber, dep *Dependent, c *Claim)) {
	for i := range r.Sources {
		for j := range r.Sources[i].Receivers {
			rc := &r.Sources[i].Receivers[j]
			for k := range rc.Providers {
				p := &rc.Providers[k]
				for l := range p.Subscribers {
					s := &p.Subscribers[l]
					for m := range s.Claims {
						fn(p, s, nil, &s.Claims[m])
					}
					for m := range s.Dependents {
						d := &s.Dependents[m]
						for n := range d.Claims {
							fn(p, s, d, &d.Claims[n])
						}
					}
				}
			}
		}
	}
}
