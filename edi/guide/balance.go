package guide

import (
	"github.com/clearhouse/clearhouse/edi"
)

// balance adds the SNIP 3 check the 837 guides state for a claim: CLM02
// "Total Claim Charge Amount ... must balance to the sum of all service
// line charge amounts" (005010X222A1 2300 CLM02 against 2400 SV102;
// 005010X223A2 2300 CLM02 against 2400 SV203).
func (c *Checker) balance(seg *edi.Segment, s *cseg, d int) {
	if c.g.Set != "837" {
		return
	}
	switch s.def.ID {
	case "CLM":
		c.endClaim()
		amt, err := edi.ParseAmount(seg.Element(2))
		c.claimOpen, c.claimBad = true, err != nil
		c.claimCharge, c.lineCharges = amt, 0
		c.claimPos = c.pos
		c.claimPos.Loop = c.loopID(d)
		c.claimPos.Element = 2
	case "SV1", "SV2":
		if !c.claimOpen {
			return
		}
		el := 2
		if s.def.ID == "SV2" {
			el = 3
		}
		amt, err := edi.ParseAmount(seg.Element(el))
		if err != nil {
			c.claimBad = true
			return
		}
		c.lineCharges += amt
	}
}

// endClaim closes the open claim's balance.
func (c *Checker) endClaim() {
	if !c.claimOpen {
		return
	}
	c.claimOpen = false
	if c.claimBad || c.claimCharge == c.lineCharges {
		return
	}
	e := &edi.Error{Pos: c.claimPos, Err: ErrGuideBalance, Level: edi.LevelElement, Code: edi.IK4InvalidCode,
		DataElement: "782", Unit: "CLM01", UnitRef: string(c.unitRef),
		Msg: "CLM02 Total Claim Charge Amount " + edi.FormatAmount(c.claimCharge) + " does not equal the sum of the service line charges " + edi.FormatAmount(c.lineCharges)}
	e.Pos.SegmentID = "CLM"
	c.set.Errors.Add(e)
}

// validState reports whether v is a US state, territory or military
// postal code or a Canadian province code (the "states" code source the
// guides name for N402, USPS and Canada Post abbreviations).
func validState(v []byte) bool {
	if len(v) != 2 {
		return false
	}
	_, ok := states[string(v)]
	return ok
}

var states = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, s := range []string{
		"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
		"LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
		"OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
		"AS", "GU", "MP", "PR", "VI", "FM", "MH", "PW", "AA", "AE", "AP",
		"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
	} {
		m[s] = struct{}{}
	}
	return m
}()
