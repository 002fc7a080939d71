package guide

import (
	"github.com/clearhouse/clearhouse/edi"
)

// balance adds the SNIP 3 checks the guides state, on claims, lines and
// transactions free of syntax and guide errors (balancing a claim whose
// structure is broken says nothing):
//
//   - 837 (005010X222A1, 005010X223A2): 2300 CLM02 Total Claim Charge
//     Amount "must balance to the sum of all service line charge amounts"
//     (2400 SV102, SV203);
//   - 835 (005010X221A1): each 2110 SVC02 charge minus the line's CAS
//     adjustments equals SVC03 paid; each 2100 CLP03 charge minus the
//     claim's and its lines' CAS adjustments equals CLP04 paid; BPR02 equals
//     the sum of CLP04 less the PLB provider adjustments.
func (c *Checker) balance(seg *edi.Segment, s *cseg, d int) {
	switch c.g.Set {
	case "837":
		c.balance837(seg, s, d)
	case "835":
		c.balance835(seg, s, d)
	}
}

func (c *Checker) balance837(seg *edi.Segment, s *cseg, d int) {
	switch s.def.ID {
	case "CLM":
		c.endClaim()
		c.openClaim(seg, d, 2)
	case "SV1", "SV2":
		if !c.claimOpen {
			return
		}
		el := 2
		if s.def.ID == "SV2" {
			el = 3
		}
		amt, err := edi.ParseAmount(c.elem(el))
		if err != nil {
			c.claimBad = true
			return
		}
		c.lineCharges += amt
	}
}

func (c *Checker) openClaim(seg *edi.Segment, d, chargeElem int) {
	amt, err := edi.ParseAmount(c.elem(chargeElem))
	c.claimOpen, c.claimBad, c.claimDepth = true, err != nil, d
	c.claimCharge, c.lineCharges = amt, 0
	c.claimAdjust, c.claimPaid = 0, 0
	c.claimPos = c.pos
	c.claimPos.Loop = c.loopID(d)
	c.claimPos.SegmentID = string(c.raw[:c.ends[0]])
	c.claimPos.Element = chargeElem
	c.claimErrs = c.segErrs
	c.lineOpen = false
}

func (c *Checker) balance835(seg *edi.Segment, s *cseg, d int) {
	switch s.def.ID {
	case "BPR":
		amt, err := edi.ParseAmount(c.elem(2))
		c.setPayment, c.setPaid, c.setBad = amt, 0, err != nil
		c.setPos = c.pos
		c.setPos.Loop, c.setPos.SegmentID, c.setPos.Element = "", "BPR", 2
	case "CLP":
		c.endClaim()
		c.openClaim(seg, d, 3)
		c.claimPos.Element = 4 // CLP04 is what does not balance
		paid, err := edi.ParseAmount(c.elem(4))
		c.claimPaid = paid
		if err != nil {
			c.claimBad = true
		}
		c.setPaid += paid
		c.setBad = c.setBad || err != nil
	case "SVC":
		if !c.claimOpen {
			return
		}
		c.endLine()
		charge, err1 := edi.ParseAmount(c.elem(2))
		paid, err2 := edi.ParseAmount(c.elem(3))
		c.lineOpen, c.lineBad = true, err1 != nil || err2 != nil
		c.lineCharge, c.linePaid, c.lineAdjust = charge, paid, 0
		c.lineErrs = c.segErrs
		c.linePos = c.pos
		c.linePos.Loop, c.linePos.SegmentID, c.linePos.Element = c.loopID(d), "SVC", 3
	case "CAS":
		var sum int64
		for i := 3; i <= 18; i += 3 {
			v := c.elem(i)
			if len(v) == 0 {
				continue
			}
			amt, err := edi.ParseAmount(v)
			if err != nil {
				c.claimBad, c.lineBad = true, true
				return
			}
			sum += amt
		}
		switch {
		case c.lineOpen:
			c.lineAdjust += sum
		case c.claimOpen:
			c.claimAdjust += sum
		}
	case "PLB":
		for i := 4; i <= 14; i += 2 {
			v := c.elem(i)
			if len(v) == 0 {
				continue
			}
			amt, err := edi.ParseAmount(v)
			if err != nil {
				c.setBad = true
				continue
			}
			c.setPaid -= amt
		}
	case "SE":
		c.endClaim()
		if !c.setBad && c.set.Errors.Len() == 0 && c.setPos.SetSegment > 0 && c.setPayment != c.setPaid {
			c.balanceErr(c.setPos, "BPR02 Monetary Amount "+edi.FormatAmount(c.setPayment)+
				" does not equal the claims' paid amounts less the provider adjustments, "+edi.FormatAmount(c.setPaid), "782")
		}
		c.setPos = edi.Position{}
	}
}

// endLine closes the open 835 service line's balance.
func (c *Checker) endLine() {
	if !c.lineOpen {
		return
	}
	c.lineOpen = false
	c.claimAdjust += c.lineAdjust
	if c.lineBad || c.set.Errors.Len() > c.lineErrs {
		c.claimBad = true
		return
	}
	if c.lineCharge-c.lineAdjust != c.linePaid {
		c.balanceErr(c.linePos, "SVC03 Line Item Provider Payment Amount "+edi.FormatAmount(c.linePaid)+
			" does not equal the charge "+edi.FormatAmount(c.lineCharge)+" less the line's adjustments "+edi.FormatAmount(c.lineAdjust), "782")
	}
}

// endClaim closes the open claim's balance.
func (c *Checker) endClaim() {
	if !c.claimOpen {
		return
	}
	if c.g != nil && c.g.Set == "835" {
		c.endLine()
		c.claimOpen = false
		if !c.claimBad && c.set.Errors.Len() == c.claimErrs && c.claimCharge-c.claimAdjust != c.claimPaid {
			c.balanceErr(c.claimPos, "CLP04 Claim Payment Amount "+edi.FormatAmount(c.claimPaid)+
				" does not equal the charge "+edi.FormatAmount(c.claimCharge)+" less the claim's and its lines' adjustments "+edi.FormatAmount(c.claimAdjust), "782")
		}
		return
	}
	c.claimOpen = false
	if c.claimBad || c.set.Errors.Len() > c.claimErrs || c.claimCharge == c.lineCharges {
		return
	}
	c.balanceErr(c.claimPos, "CLM02 Total Claim Charge Amount "+edi.FormatAmount(c.claimCharge)+
		" does not equal the sum of the service line charges "+edi.FormatAmount(c.lineCharges), "782")
}

func (c *Checker) balanceErr(p edi.Position, msg, dataElement string) {
	e := &edi.Error{Pos: p, Err: ErrGuideBalance, Level: edi.LevelElement, Code: edi.IK4InvalidCode,
		DataElement: dataElement, Msg: msg}
	if c.unit != "" {
		e.Unit, e.UnitRef = c.unit, string(c.unitRef)
	}
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
