package guide

import (
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/clearhouse/clearhouse/edi"
)

// Validation levels, after the WEDI SNIP types.
const (
	// LevelSyntax checks X12 syntax: envelopes, element data types and
	// lengths, relational conditions (SNIP 1).
	LevelSyntax = 1
	// LevelGuide adds the implementation guide: loop and segment order,
	// usage, maximum use and repeat, element usage and code values, the HL
	// hierarchy (SNIP 2).
	LevelGuide = 2
	// LevelBalance adds balancing: an 837 claim's charge against its
	// service lines (SNIP 3).
	LevelBalance = 3
	// LevelSituational adds the situational rules that can be checked
	// mechanically (SNIP 4), such as 2300 REF*F8 when CLM05-3 is 7 or 8
	// (situationalRules) and the nine-digit billing provider ZIP code of a
	// US address (nineDigitZIPs).
	LevelSituational = 4
	// LevelCodeSets adds external code sets the guides name that are
	// cheap to check here: state and province codes (SNIP 5).
	LevelCodeSets = 5
	// IntakeLevel is what Clearhouse applies to every file it receives:
	// syntax and the implementation guide (SNIP 1 and 2). Balancing and
	// code sets are the business of the decoders and the scrubber.
	IntakeLevel = LevelGuide
)

// Options are the switches of Validate. The zero value validates at
// IntakeLevel.
type Options struct {
	// File names the input in error positions.
	File string
	// Level is how deep to check, LevelSyntax to LevelCodeSets; zero means
	// IntakeLevel.
	Level int
	// MaxErrors caps the errors kept per transaction set (and per group,
	// interchange and file); zero means edi.DefaultMaxErrors.
	MaxErrors int
	// MaxSegmentSize caps one segment's length; zero means
	// edi.DefaultMaxSegmentSize.
	MaxSegmentSize int
}

// Validate reads an X12 input once and checks its envelopes (edi.Validate)
// and every transaction set whose guide this package has, to opts.Level.
// Errors are in the report, each with its position (loop ID included) and
// 999 code; the error result is non-nil only when the input is not X12 or
// cannot be read, as for edi.Validate.
func Validate(r io.Reader, opts Options) (*edi.ValidationReport, error) {
	c := NewChecker(opts.Level)
	return edi.Validate(r, edi.ValidateOpts{File: opts.File, MaxErrors: opts.MaxErrors,
		MaxSegmentSize: opts.MaxSegmentSize, Check: c.Check})
}

// Checker checks the segments of transaction sets against their guides.
// Its Check method is an edi.ValidateOpts Check hook; a Checker serves one
// Validate at a time.
type Checker struct {
	level int
	g     *Guide
	x     *index
	set   *edi.SetReport
	pos   edi.Position
	stack []frame
	keys  segmentKeys
	// pending are the situational rules triggered in open loops.
	pending []pendingRule
	raw     []byte  // the segment being placed
	ends    []int32 // its element boundaries (split)
	// hl is the last HL01 of the set, lx the last 2400 LX01 of the claim.
	hl, lx int
	// unit is the business unit (999 CTX) errors are in: CLM01 in an 837
	// claim; unitDepth is the depth of the loop that set it.
	unit      string
	unitRef   []byte
	unitDepth int
	// 837 claim balance (SNIP 3): CLM02 against the sum of line charges.
	claimCharge, lineCharges int64
	claimPos                 edi.Position
	claimOpen, claimBad      bool
	claimDepth               int
	claimErrs, lineErrs      int // set errors when the claim or line began
	segErrs                  int // set errors before the current segment
	// 835 balance (SNIP 3): claim and line paid against charge less
	// adjustments, BPR02 against the claims' payments less PLB.
	claimAdjust, claimPaid           int64
	lineCharge, linePaid, lineAdjust int64
	linePos                          edi.Position
	lineOpen, lineBad                bool
	setPayment, setPaid              int64
	setPos                           edi.Position
	setBad                           bool
}

// frame is an open loop: the child matched last and the uses of each.
type frame struct {
	loop   *cloop
	cur    int
	counts []int // per child; -1 when reported missing
	hl     int   // HL01 of the loop's HL, 0 when none
}

// NewChecker returns a Checker for level (zero means IntakeLevel).
func NewChecker(level int) *Checker {
	if level <= 0 {
		level = IntakeLevel
	}
	if level > LevelCodeSets {
		level = LevelCodeSets
	}
	return &Checker{level: level}
}

// Check is called for every segment of a transaction set, ST and SE
// included (edi.ValidateOpts.Check). It adds errors to set.Errors.
func (c *Checker) Check(seg *edi.Segment, pos edi.Position, set *edi.SetReport) {
	c.set = set
	c.pos = pos
	if seg.Is("ST") {
		c.start(seg, set)
	}
	if c.g == nil {
		return
	}
	c.segment(seg)
	if seg.Is("SE") {
		c.endClaim()
		c.g = nil
	}
}

func (c *Checker) start(seg *edi.Segment, set *edi.SetReport) {
	c.g = Lookup(set.ID, set.ImplRef)
	if c.g == nil && set.ImplRef == "" {
		// No ST03 (an envelope error but for an 835): GS08 names the
		// guide.
		c.g = Lookup(set.ID, set.GroupVersion)
	}
	if c.g == nil {
		// A guide this package has no table for: the envelope only.
		return
	}
	c.x = c.g.index()
	c.stack = c.stack[:0]
	c.push(c.x.root)
	c.stack[0].cur = -1
	c.stack[0].counts[0] = 0
	c.hl = 0
	c.unit, c.unitRef, c.unitDepth = "", c.unitRef[:0], 0
	c.claimOpen, c.lineOpen = false, false
	c.setPos = edi.Position{}
	c.pending = c.pending[:0]
}

// push opens loop l with its trigger matched.
func (c *Checker) push(l *cloop) {
	n := len(c.stack)
	if n < cap(c.stack) {
		c.stack = c.stack[:n+1]
	} else {
		c.stack = append(c.stack, frame{})
	}
	f := &c.stack[n]
	f.loop, f.cur, f.hl = l, 0, 0
	if cap(f.counts) >= len(l.nodes) {
		f.counts = f.counts[:len(l.nodes)]
		clear(f.counts)
	} else {
		f.counts = make([]int, len(l.nodes))
	}
	if len(f.counts) > 0 {
		f.counts[0] = 1
	}
}

func (c *Checker) loopID(d int) string {
	return c.stack[d].loop.def.ID
}

// add records an error at the current segment.
func (c *Checker) add(sentinel error, level edi.Level, code, loop string, elem, comp, rep int, segID string, format string, args ...any) *edi.Error {
	p := c.pos
	p.Loop = loop
	p.Element, p.Component, p.Repetition = elem, comp, rep
	if segID != "" {
		p.SegmentID = segID
	}
	e := &edi.Error{Pos: p, Err: sentinel, Msg: fmt.Sprintf(format, args...), Level: level, Code: code,
		Unit: c.unit, UnitRef: string(c.unitRef)}
	c.set.Errors.Add(e)
	return e
}

func (c *Checker) segment(seg *edi.Segment) {
	c.segErrs = c.set.Errors.Len()
	c.split(seg.Raw(), seg.Delimiters().Element)
	id := c.raw[:c.ends[0]]
	if !edi.ValidSegmentID(id) {
		return // edi.Validate reports it (IK304 1)
	}
	c.keys = segmentKeys{}
	d, i := c.find(seg, id, true)
	if d < 0 {
		d, i = c.find(seg, id, false)
	}
	if d < 0 {
		c.unexpected(seg, id)
		return
	}
	c.pop(d)
	f := &c.stack[d]
	n := &f.loop.nodes[i]
	if i > f.cur {
		c.skipped(d, f.cur+1, i, n.pos)
	}
	if f.counts[i] < 0 {
		f.counts[i] = 0
	}
	f.counts[i]++
	f.cur = i
	over := n.max > 0 && f.counts[i] > n.max
	loop := c.loopID(d)
	if n.loop != nil {
		loop = n.loop.def.ID
		c.push(n.loop)
		d++
	}
	if c.level >= LevelGuide {
		switch {
		case n.usage == NotUsed:
			c.add(ErrGuide, edi.LevelSegment, edi.IK3ImplNotUsed, loop, 0, 0, 0, "", "%s %s is not used in loop %s", n.id, n.seg.def.Name, loopName(loop))
		case over && n.loop != nil:
			c.add(ErrGuide, edi.LevelSegment, edi.IK3LoopOverMax, loop, 0, 0, 0, "", "loop %s %s occurs %d times, at most %d", loop, n.loop.def.Name, f.counts[i], n.max)
		case over:
			c.add(ErrGuide, edi.LevelSegment, edi.IK3SegmentOverMaxUse, loop, 0, 0, 0, "", "%s %s occurs %d times in loop %s, at most %d", n.id, n.seg.def.Name, f.counts[i], loopName(loop), n.max)
		}
	}
	c.businessUnit(seg, n.seg, d)
	c.elements(seg, n.seg, loop)
	if n.id == "HL" && c.level >= LevelGuide {
		c.hierarchy(seg, d, loop)
	}
	if c.g.Set == "837" && c.level >= LevelGuide {
		c.lineNumber(n.id, loop)
	}
	if c.level >= LevelBalance {
		c.balance(seg, n.seg, d)
	}
	if c.level >= LevelSituational {
		c.situational(seg, d, loop)
		c.zip(n.seg, loop)
	}
}

func loopName(id string) string {
	if id == "" {
		return "header"
	}
	return id
}

// find looks for the node seg starts: in the innermost open loop first,
// from the position of the child matched last on, then in each enclosing
// loop. keyed requires the qualifier to match; unkeyed, tried when keyed
// finds nothing, goes by the segment ID alone, so a segment with a wrong
// qualifier is still placed and its qualifier reported as a bad code: in
// the innermost loop's segments for a full table (elsewhere the segment is
// reported as unexpected), in every open loop and loop trigger for a
// Partial one (whose layout is looser).
func (c *Checker) find(seg *edi.Segment, id []byte, keyed bool) (int, int) {
	key := packID(id)
	for d := len(c.stack) - 1; d >= 0; d-- {
		f := &c.stack[d]
		start := 0
		if f.cur >= 0 {
			start = f.loop.nodes[f.cur].first
		}
		if d > 0 && start == 0 {
			// A loop's trigger starts the next repeat in the enclosing
			// loop, not a second use inside this one.
			start = 1
		}
		nodes := f.loop.nodes
		for j := start; j < len(nodes); j++ {
			n := &nodes[j]
			if n.key != key {
				continue
			}
			if keyed && !c.keyMatches(n.seg, seg) {
				continue
			}
			if !keyed && n.loop != nil && !c.g.Partial {
				continue
			}
			return d, j
		}
		if !keyed && !c.g.Partial {
			break
		}
	}
	return -1, -1
}

func (s *cseg) matches(seg *edi.Segment) bool {
	if s.keyEle == 0 {
		return true
	}
	var v []byte
	if s.keyComp > 0 {
		v = seg.Component(s.keyEle, s.keyComp)
	} else {
		v = seg.Element(s.keyEle)
	}
	return s.keyCodes.has(v)
}

// segmentKeys caches the qualifier values of the segment being placed:
// element 01, component 01-1 and element 03 (HL03).
type segmentKeys struct {
	e1, c11, e3       []byte
	has1, has11, has3 bool
}

func (c *Checker) keyMatches(s *cseg, seg *edi.Segment) bool {
	k := &c.keys
	var v []byte
	switch {
	case s.keyEle == 0:
		return true
	case s.keyEle == 1 && s.keyComp == 0:
		if !k.has1 {
			k.e1, k.has1 = c.elem(1), true
		}
		v = k.e1
	case s.keyEle == 1 && s.keyComp == 1:
		if !k.has11 {
			e := c.elem(1)
			comp := seg.Delimiters().Component
			for i, ch := range e {
				if ch == comp {
					e = e[:i]
					break
				}
			}
			k.c11, k.has11 = e, true
		}
		v = k.c11
	case s.keyEle == 3 && s.keyComp == 0:
		if !k.has3 {
			k.e3, k.has3 = c.elem(3), true
		}
		v = k.e3
	default:
		return s.matches(seg)
	}
	return s.keyCodes.has(v)
}

// split finds the element boundaries of the segment being placed, once:
// ends[0] ends the segment ID, ends[i] element i.
func (c *Checker) split(raw []byte, sep byte) {
	ends := c.ends[:0]
	for i, ch := range raw {
		if ch == sep {
			ends = append(ends, int32(i))
		}
	}
	c.ends = append(ends, int32(len(raw)))
	c.raw = raw
}

// elem returns element i (1-based) of the segment being placed, or nil.
func (c *Checker) elem(i int) []byte {
	if i < 1 || i >= len(c.ends) {
		return nil
	}
	return c.raw[c.ends[i-1]+1 : c.ends[i]]
}

// knownSegments is every segment ID some guide table uses.
var knownSegments = sync.OnceValue(func() map[string]bool {
	all := map[string]bool{}
	for _, g := range Guides() {
		for id := range g.index().known {
			all[id] = true
		}
	}
	return all
})

// unexpected reports a segment that fits nowhere the walk can go.
func (c *Checker) unexpected(seg *edi.Segment, id []byte) {
	if string(id) == "HL" {
		c.hl++ // keep counting, so the next HL01 is judged on its own
	}
	if c.level < LevelGuide {
		return
	}
	d := len(c.stack) - 1
	loop := c.loopID(d)
	if string(id) == "HL" {
		// The level code names a level that cannot follow here (HL03,
		// 005010 hierarchical level codes of the guide).
		e := c.add(ErrGuide, edi.LevelElement, edi.IK4InvalidCode, loop, 3, 0, 0, "", "HL03 Hierarchical Level Code %q is not a level that can follow loop %s", printable(c.elem(3)), loopName(loop))
		e.DataElement, e.Value = "735", string(c.elem(3))
		return
	}
	if c.g.Partial && !c.x.known[string(id)] {
		// A segment a hand-written table does not list at all passes,
		// unless no table knows it: then it is no X12 segment of these
		// guides, and the decoder would skip it unseen (issue 14).
		if !knownSegments()[string(id)] {
			c.add(ErrGuide, edi.LevelSegment, edi.IK3UnrecognizedSegment, loop, 0, 0, 0, "", "%s is not a segment of %s (%s) or of any guide Clearhouse has", id, c.g.Ref, c.g.Name)
		}
		return
	}
	f := &c.stack[d]
	if f.cur >= 0 {
		for j := 0; j < f.loop.nodes[f.cur].first; j++ {
			if f.loop.nodes[j].id == string(id) && c.keyMatches(f.loop.nodes[j].seg, seg) {
				c.add(ErrGuide, edi.LevelSegment, edi.IK3OutOfSequence, loop, 0, 0, 0, "", "%s is out of sequence in loop %s", id, loopName(loop))
				return
			}
		}
	}
	if !c.x.known[string(id)] {
		c.add(ErrGuide, edi.LevelSegment, edi.IK3UnrecognizedSegment, loop, 0, 0, 0, "", "%s is not a segment of %s (%s)", id, c.g.Ref, c.g.Name)
		return
	}
	c.add(ErrGuide, edi.LevelSegment, edi.IK3UnexpectedSegment, loop, 0, 0, 0, "", "%s*%s is not expected here (in loop %s)", id, printable(seg.Element(1)), loopName(loop))
}

// pop closes the loops deeper than d, reporting what they miss.
func (c *Checker) pop(d int) {
	for len(c.stack)-1 > d {
		k := len(c.stack) - 1
		f := &c.stack[k]
		if len(c.pending) > 0 {
			c.judge(k)
		}
		c.skipped(k, f.cur+1, len(f.loop.nodes), -1)
		for j := 0; j <= f.cur && j < len(f.counts); j++ {
			if f.counts[j] == 0 && f.loop.nodes[j].usage == Required && c.level >= LevelGuide {
				c.missing(k, j)
			}
		}
		if c.claimOpen && c.claimDepth >= k {
			c.endClaim()
		}
		if c.unitDepth >= k {
			c.unit, c.unitRef, c.unitDepth = "", c.unitRef[:0], 0
		}
		c.stack = c.stack[:k]
	}
}

// skipped reports the required children of loop d in [from, to) that were
// never seen, when they sit before position upTo (-1: all).
func (c *Checker) skipped(d, from, to, upTo int) {
	if c.level < LevelGuide {
		return
	}
	f := &c.stack[d]
	for j := from; j < to; j++ {
		n := &f.loop.nodes[j]
		if upTo >= 0 && n.pos >= upTo {
			break
		}
		if f.counts[j] == 0 && n.usage == Required {
			c.missing(d, j)
		}
	}
}

func (c *Checker) missing(d, j int) {
	f := &c.stack[d]
	n := &f.loop.nodes[j]
	f.counts[j] = -1
	loop := c.loopID(d)
	if n.loop != nil {
		loop = n.loop.def.ID
		c.add(ErrGuide, edi.LevelSegment, edi.IK3RequiredMissing, loop, 0, 0, 0, n.id, "required loop %s %s is missing (no %s)", loop, n.loop.def.Name, n.id)
		return
	}
	c.add(ErrGuide, edi.LevelSegment, edi.IK3RequiredMissing, loop, 0, 0, 0, n.id, "required segment %s %s is missing from loop %s", n.id, n.seg.def.Name, loopName(loop))
}

// businessUnit tracks the claim an 837 error is in, for the 999's CTX
// (005010X231A1 Loop 2100 CTX, business unit identifier CLM01).
func (c *Checker) businessUnit(seg *edi.Segment, s *cseg, d int) {
	if s.def.ID == "CLM" && c.g.Set == "837" {
		c.unit, c.unitRef, c.unitDepth = "CLM01", append(c.unitRef[:0], seg.Element(1)...), d
	}
}

// hierarchy checks HL01 and HL02 (every 005010 HL loop: HL01 "must begin
// with 1 and be incremented by one each time an HL is used in the
// transaction"; HL02 is the HL01 of the parent level).
func (c *Checker) hierarchy(seg *edi.Segment, d int, loop string) {
	c.hl++
	id, ok := atoi(seg.Element(1))
	if !ok || id != c.hl {
		e := c.add(ErrGuide, edi.LevelElement, edi.IK4InvalidCode, loop, 1, 0, 0, "", "HL01 Hierarchical ID Number %q: the HL IDs of a transaction set start at 1 and increase by 1, want %d", printable(seg.Element(1)), c.hl)
		e.DataElement, e.Value = "628", string(seg.Element(1))
		if ok {
			c.hl = id
		}
	}
	f := &c.stack[d]
	f.hl = c.hl
	parent := 0
	for k := d - 1; k >= 0; k-- {
		if c.stack[k].hl > 0 {
			parent = c.stack[k].hl
			break
		}
	}
	p := seg.Element(2)
	if len(p) == 0 {
		return
	}
	pid, ok := atoi(p)
	switch {
	case !ok:
	case pid >= c.hl:
		e := c.add(ErrGuide, edi.LevelElement, edi.IK4InvalidCode, loop, 2, 0, 0, "", "HL02 Hierarchical Parent ID Number %d refers to itself or a later HL (HL01 is %d)", pid, c.hl)
		e.DataElement, e.Value = "734", string(p)
	case parent > 0 && pid != parent:
		e := c.add(ErrGuide, edi.LevelElement, edi.IK4InvalidCode, loop, 2, 0, 0, "", "HL02 Hierarchical Parent ID Number %d is not the HL01 of the enclosing level (%d)", pid, parent)
		e.DataElement, e.Value = "734", string(p)
	}
}

// lineNumber checks an 837's service line numbers: 2400 LX01 "begins
// with 1 and is incremented by one for each service line of a claim"
// (005010X222A1 and 005010X223A2 LX01).
func (c *Checker) lineNumber(id, loop string) {
	switch id {
	case "CLM":
		c.lx = 0
	case "LX":
		c.lx++
		v := c.elem(1)
		n, ok := atoi(v)
		if ok && n == c.lx {
			return
		}
		e := c.add(ErrGuide, edi.LevelElement, edi.IK4InvalidCode, loop, 1, 0, 0, "", "LX01 Assigned Number %q: the service lines of a claim are numbered from 1 up by 1, want %d", printable(v), c.lx)
		e.DataElement, e.Value = "554", string(v)
		if ok {
			c.lx = n
		}
	}
}

func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int(ch-'0')
	}
	return n, true
}

// printable quotes at most 30 bytes of b for a message.
func printable(b []byte) string {
	if len(b) > 30 {
		return string(b[:30]) + "..."
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
