// Package guide holds the HIPAA 005010 implementation guides as tables and
// checks transaction sets against them in one streaming pass.
//
// A Guide describes one transaction set as its guide lays it out: loops with
// their repeat and trigger segment, segments with their usage (required,
// situational, not used) and maximum use, and elements with their usage,
// X12 data type, minimum and maximum length and the code values the guide
// fixes. The tables of 837P (005010X222A1), 837I (005010X223A2), 835
// (005010X221A1), 277CA (005010X214) and 999 (005010X231A1) are generated
// from pyx12's XML maps (see internal/gen); those of 270/271 (005010X279A1)
// are written by hand, each entry citing the guide rule it enforces.
//
// Validate walks an X12 file once on edi.Reader (through edi.Validate's
// Check hook), checks the envelopes and every transaction set it has a
// guide for, and returns an edi.ValidationReport whose errors carry their position,
// loop ID and the 999 codes (IK3, IK4, CTX) that package edi/x999 writes.
package guide

import (
	"errors"
	"fmt"

	"github.com/clearhouse/clearhouse/edi"
)

//go:generate go run ./internal/gen -maps ../../../shared/tools/x12-oracle/pyx12/map -out .

// Usage is a segment's, loop's or element's usage in a guide.
type Usage byte

// Usage values as the guides print them.
const (
	Required    Usage = 'R'
	Situational Usage = 'S'
	NotUsed     Usage = 'N'
)

func (u Usage) String() string {
	switch u {
	case Required:
		return "required"
	case Situational:
		return "situational"
	case NotUsed:
		return "not used"
	}
	return "unknown"
}

// Guide is one implementation guide's transaction set.
type Guide struct {
	Set    string // ST01, such as 837
	Ref    string // ST03 and GS08, such as 005010X222A1
	Name   string // such as "Health Care Claim: Professional"
	Source string // where the table comes from
	// FunctionalID is the GS01 code the set's group must carry (HC, HP...).
	FunctionalID string
	// Root is the transaction set itself: ST, the header, detail and
	// summary segments and loops, SE.
	Root *Loop
	// Partial marks a table written by hand that covers the envelope, the
	// hierarchy and the segments and elements Clearhouse reads and writes,
	// not every one the guide defines: a segment or element it does not
	// list is not an error.
	Partial bool

	idx *index // built on first use
}

// Node is a child of a loop: a segment or a loop, in guide order.
type Node struct {
	Seg  *Segment
	Loop *Loop
}

// Loop is a loop of a guide, such as 2300 (claim information).
type Loop struct {
	ID       string // such as 2300
	Name     string
	Usage    Usage
	Pos      int // position of its trigger in the transaction set table
	Repeat   int // maximum repeat, 0 for unbounded (>1)
	Children []Node
}

// Segment is a segment of a guide at one place in one loop.
type Segment struct {
	ID     string // such as NM1
	Name   string
	Usage  Usage
	Pos    int // position in the transaction set table, such as 1300
	MaxUse int // 0 for unbounded (>1)
	// Syntax are the X12 relational conditions of the segment, such as
	// P0203 (paired), R0203 (at least one), C0605 (if 06 then 05),
	// E0207 (exclusion), L101112 (if 10 then 11 or 12).
	Syntax   []string
	Elements []Element
}

// Element is a simple data element, or a composite with Components.
type Element struct {
	Ref         string // reference designator, such as NM103 or CLM05-01
	DataElement string // X12 data element number, such as 1035 or C023
	Name        string
	Usage       Usage
	Type        string // AN, ID, N0, N2, R, DT, TM, B; empty for a composite
	Min, Max    int
	Repeat      int // maximum repetitions, 0 or 1 when the element does not repeat
	// Codes are the values the guide allows; empty means any.
	Codes []string
	// External names a code set outside the guide (such as states, pos),
	// checked at SNIP level 5 only.
	External string
	// Pattern is a fixed format the guide demands, as a regular expression
	// (such as [0-9]{9} for a nine-digit ZIP code).
	Pattern    string
	Components []Element
}

// guides are the tables this package has, by ST03.
var guides = []*Guide{}

func register(g *Guide) *Guide {
	guides = append(guides, g)
	return g
}

// Guides returns every guide this package has a table for.
func Guides() []*Guide { return guides }

// Lookup returns the guide of a transaction set from its ST01 and ST03 (or
// GS08 when ST03 is empty). An ST03 that names the base guide or another
// addendum (005010X222, 005010X222A2) finds the table of that guide. When ref is
// empty and only one guide has set, that one is returned.
func Lookup(set, ref string) *Guide {
	var only *Guide
	n := 0
	for _, g := range guides {
		if g.Set != set {
			continue
		}
		n++
		only = g
		if ref != "" && g.Ref == ref {
			return g
		}
	}
	// Another addendum or the base guide of one this package has, such
	// as 005010X222 or 005010X222A2 for 005010X222A1: the same guide
	// with errata, checked against the table this package has.
	if len(ref) >= 10 {
		for _, g := range guides {
			if g.Set == set && len(g.Ref) >= 10 && g.Ref[:10] == ref[:10] {
				return g
			}
		}
	}
	if ref == "" && n == 1 {
		return only
	}
	return nil
}

// Sentinels of the guide checks. Each wraps the edi sentinel of its kind
// (and prints as it), so errors.Is works with either: an error from the
// guide walk is distinguishable from an envelope error of edi.Validate.
var (
	// ErrGuideSyntax is an element's data type, length or relational
	// condition (SNIP 1); it wraps edi.ErrSyntax.
	ErrGuideSyntax = fmt.Errorf("%w", edi.ErrSyntax)
	// ErrGuide is a guide rule: loop and segment order, usage, maximum use,
	// codes, the HL hierarchy (SNIP 2); it wraps edi.ErrImplementation.
	ErrGuide = fmt.Errorf("%w", edi.ErrImplementation)
	// ErrGuideBalance is an amount that does not balance (SNIP 3); it
	// wraps edi.ErrBalance.
	ErrGuideBalance = fmt.Errorf("%w", edi.ErrBalance)
)

// FromGuide reports whether err is one the guide walk found, as opposed to
// an envelope or read error.
func FromGuide(err error) bool {
	return errors.Is(err, ErrGuideSyntax) || errors.Is(err, ErrGuide) || errors.Is(err, ErrGuideBalance)
}
