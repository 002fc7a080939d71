package guide

import (
	"github.com/clearhouse/clearhouse/edi"
)

// situationalRule is a situational rule of a guide that can be checked
// mechanically (SNIP 4): when an element of the trigger segment holds one
// of the values, a segment of the same loop becomes required.
type situationalRule struct {
	guides          []string // ST03 of the guides the rule belongs to
	loop            string
	trigger         string // trigger segment ID
	elem, comp      int
	values          []string
	require, qualif string // required segment ID and its qualifier (element 01)
	note            string // the guide's rule, for the message
}

// situationalRules are the situational rules this package checks at
// LevelSituational.
var situationalRules = []situationalRule{
	{
		guides: []string{"005010X222A1", "005010X223A2"}, loop: "2300",
		trigger: "CLM", elem: 5, comp: 3, values: []string{"7", "8"},
		require: "REF", qualif: "F8",
		note: "2300 REF*F8 Payer Claim Control Number is required when CLM05-3 Claim Frequency Type Code is 7 (replacement) or 8 (void)",
	},
}

// pendingRule is a situational rule whose trigger fired in the open loop at
// depth; it is judged when that loop closes.
type pendingRule struct {
	rule    *situationalRule
	depth   int
	trigger edi.Position
}

// situational notes the rules seg triggers in the loop at depth d.
func (c *Checker) situational(seg *edi.Segment, d int, loop string) {
	for i := range situationalRules {
		r := &situationalRules[i]
		if r.trigger != string(c.raw[:c.ends[0]]) || r.loop != loop || !r.applies(c.g.Ref) {
			continue
		}
		v := c.elem(r.elem)
		if r.comp > 0 {
			v = seg.Component(r.elem, r.comp)
		}
		for _, want := range r.values {
			if string(v) == want {
				p := c.pos
				p.Loop, p.Element, p.Component = loop, r.elem, r.comp
				c.pending = append(c.pending, pendingRule{rule: r, depth: d, trigger: p})
				break
			}
		}
	}
}

func (r *situationalRule) applies(ref string) bool {
	for _, g := range r.guides {
		if g == ref {
			return true
		}
	}
	return false
}

// judge checks the pending rules of the loop at depth d, which is closing.
func (c *Checker) judge(d int) {
	kept := c.pending[:0]
	for _, p := range c.pending {
		if p.depth != d {
			kept = append(kept, p)
			continue
		}
		f := &c.stack[d]
		seen := false
		for j := range f.loop.nodes {
			n := &f.loop.nodes[j]
			if n.id == p.rule.require && n.loop == nil && f.counts[j] > 0 && n.seg.keyEle == 1 && n.seg.keyComp == 0 && n.seg.keyCodes.has([]byte(p.rule.qualif)) {
				seen = true
				break
			}
		}
		if !seen {
			e := c.add(ErrGuide, edi.LevelSegment, edi.IK3ImplDependentMiss, p.rule.loop, 0, 0, 0, p.rule.require,
				"%s*%s is missing: %s", p.rule.require, p.rule.qualif, p.rule.note)
			t := p.trigger
			e.Trigger = &t
		}
	}
	c.pending = kept
}

// zipRule is an address whose ZIP code must have nine digits when the
// address is in the United States (N404 country code absent).
type zipRule struct {
	guide, loop string
	note        string
}

// nineDigitZIPs are the 005010X222A1 addresses that need the ZIP+4. The
// X223A2 map demands it of 2010AA N403 unconditionally (a pattern of
// the table); the X222A1 map does not, so it is checked here as the
// situational rule it is.
var nineDigitZIPs = []zipRule{
	{guide: "005010X222A1", loop: "2010AA",
		note: "2010AA N403: when reporting the ZIP code for U.S. addresses, the full nine-digit ZIP code is required"},
}

// zip checks an N4 against nineDigitZIPs.
func (c *Checker) zip(s *cseg, loop string) {
	if s.def.ID != "N4" || len(c.elem(4)) > 0 {
		return
	}
	for _, r := range nineDigitZIPs {
		if r.guide != c.g.Ref || r.loop != loop {
			continue
		}
		v := c.elem(3)
		if len(v) == 0 || len(v) == 9 && edi.AllDigits(v) {
			return
		}
		e := c.add(ErrGuide, edi.LevelElement, edi.IK4ImplPatternMismatch, loop, 3, 0, 0, "", "N403 Postal Code %q is not a nine-digit ZIP code (%s)", printable(v), r.note)
		e.DataElement, e.Value = "116", string(v)
	}
}
