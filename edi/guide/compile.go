package guide

import (
	"regexp"
	"strconv"
	"sync"
)

// index is a guide prepared for walking: per loop, the children with the
// segment ID that starts each and the qualifier that tells same-ID siblings
// apart; per segment, its elements with code sets and syntax rules parsed.
type index struct {
	root *cloop
	// known lists every segment ID the guide uses anywhere.
	known map[string]bool
}

type cloop struct {
	def   *Loop
	nodes []cnode
	// hl reports whether the loop starts with an HL segment.
	hl bool
}

type cnode struct {
	id    string // segment ID, the trigger segment's for a loop
	key   uint32 // id packed by packID
	seg   *cseg  // the segment, or the loop's trigger
	loop  *cloop // nil for a segment
	pos   int
	first int // index of the first sibling at the same position
	usage Usage
	max   int // MaxUse or Repeat; 0 unbounded
}

type cseg struct {
	def *Segment
	// The qualifier that identifies this segment among siblings of the
	// same ID (as the guides do for REF, DTP, NM1...): element keyEle,
	// component keyComp (0 for a simple element), one of keyCodes.
	keyEle, keyComp int
	keyCodes        codeSet
	elems           []celem
	syntax          []syntaxRule
	// lastRequired is the position of the last required element.
	lastRequired int
}

type celem struct {
	// Copies of the definition's hot fields, to spare the walk a pointer.
	usage  Usage
	kind   byte // N numeric (N0-N9), R decimal, D date, T time, other 0
	states bool // codes from the external "states" list (SNIP 5)
	// plain is a simple element whose value needs only its length
	// checked: no data type, codes, pattern or code source to look at.
	plain    bool
	min, max int32
	repeat   int32

	def     *Element
	codes   codeSet
	pattern *regexp.Regexp
	comps   []celem
}

// codeSet is a guide's list of allowed values; short lists are scanned,
// long ones hashed.
type codeSet struct {
	list []string
	m    map[string]struct{}
}

func newCodeSet(codes []string) codeSet {
	cs := codeSet{list: codes}
	if len(codes) > 12 {
		cs.m = make(map[string]struct{}, len(codes))
		for _, c := range codes {
			cs.m[c] = struct{}{}
		}
	}
	return cs
}

func (cs codeSet) empty() bool { return len(cs.list) == 0 }

func (cs codeSet) has(v []byte) bool {
	if cs.m != nil {
		_, ok := cs.m[string(v)]
		return ok
	}
	for _, c := range cs.list {
		if c == string(v) {
			return true
		}
	}
	return false
}

// syntaxRule is an X12 relational condition between the elements of a
// segment (X12.6 section 3.8.2).
type syntaxRule struct {
	kind  byte // P, R, E, C or L
	elems []int
	mask  uint64 // bit i for each element i
}

var indexMu sync.Mutex

func (g *Guide) index() *index {
	indexMu.Lock()
	defer indexMu.Unlock()
	if g.idx == nil {
		x := &index{known: map[string]bool{}}
		x.root = x.compileLoop(g.Root)
		g.idx = x
	}
	return g.idx
}

func (x *index) compileLoop(l *Loop) *cloop {
	cl := &cloop{def: l}
	for _, n := range l.Children {
		var c cnode
		if n.Seg != nil {
			c = cnode{id: n.Seg.ID, seg: x.compileSegment(n.Seg), pos: n.Seg.Pos, usage: n.Seg.Usage, max: n.Seg.MaxUse}
		} else {
			sub := x.compileLoop(n.Loop)
			if len(sub.nodes) == 0 || sub.nodes[0].loop != nil {
				continue // a loop without a trigger segment cannot be entered
			}
			c = cnode{id: sub.nodes[0].id, seg: sub.nodes[0].seg, loop: sub, pos: n.Loop.Pos, usage: n.Loop.Usage, max: n.Loop.Repeat}
		}
		c.key = packID([]byte(c.id))
		c.first = len(cl.nodes)
		if k := len(cl.nodes) - 1; k >= 0 && cl.nodes[k].pos == c.pos {
			c.first = cl.nodes[k].first
		}
		cl.nodes = append(cl.nodes, c)
	}
	cl.hl = len(cl.nodes) > 0 && cl.nodes[0].id == "HL" && l.ID != ""
	return cl
}

func (x *index) compileSegment(s *Segment) *cseg {
	x.known[s.ID] = true
	cs := &cseg{def: s}
	for i := range s.Elements {
		cs.elems = append(cs.elems, compileElement(&s.Elements[i]))
		if s.Elements[i].Usage == Required {
			cs.lastRequired = i + 1
		}
	}
	for _, r := range s.Syntax {
		if len(r) < 5 || (len(r)-1)%2 != 0 {
			continue
		}
		sr := syntaxRule{kind: r[0]}
		for i := 1; i+2 <= len(r); i += 2 {
			n, err := strconv.Atoi(r[i : i+2])
			if err == nil && n > 0 && n < 64 {
				sr.elems = append(sr.elems, n)
				sr.mask |= 1 << n
			}
		}
		if len(sr.elems) >= 2 {
			cs.syntax = append(cs.syntax, sr)
		}
	}
	// The qualifier, as the maps use it to tell same-ID segments apart: a
	// required ID element 01 with codes, the first component of composite
	// 01 when it is an ID with codes, or HL03.
	switch {
	case len(s.Elements) > 0 && s.Elements[0].Components == nil && s.Elements[0].Type == "ID" &&
		s.Elements[0].Usage == Required && len(s.Elements[0].Codes) > 0:
		cs.keyEle, cs.keyCodes = 1, newCodeSet(s.Elements[0].Codes)
	case len(s.Elements) > 0 && len(s.Elements[0].Components) > 0 && len(s.Elements[0].Components[0].Codes) > 0 &&
		(s.Elements[0].Components[0].Type == "ID" || s.ID == "CTX"):
		cs.keyEle, cs.keyComp, cs.keyCodes = 1, 1, newCodeSet(s.Elements[0].Components[0].Codes)
	case s.ID == "HL" && len(s.Elements) > 2 && len(s.Elements[2].Codes) > 0:
		cs.keyEle, cs.keyCodes = 3, newCodeSet(s.Elements[2].Codes)
	}
	return cs
}

func compileElement(e *Element) celem {
	ce := celem{def: e, codes: newCodeSet(e.Codes), usage: e.Usage,
		min: int32(e.Min), max: int32(e.Max), repeat: int32(e.Repeat), states: e.External == "states"}
	switch t := e.Type; {
	case len(t) == 2 && t[0] == 'N' && t[1] >= '0' && t[1] <= '9':
		ce.kind = 'N'
	case t == "R":
		ce.kind = 'R'
	case t == "DT":
		ce.kind = 'D'
	case t == "TM":
		ce.kind = 'T'
	case t == "B":
		ce.kind = 'B'
	}
	if e.Pattern != "" {
		ce.pattern = regexp.MustCompile("^(?:" + e.Pattern + ")$")
	}
	for i := range e.Components {
		ce.comps = append(ce.comps, compileElement(&e.Components[i]))
	}
	ce.plain = e.Components == nil && ce.kind == 0 && len(e.Codes) == 0 && ce.pattern == nil && !ce.states && e.Max > 0
	return ce
}

// packID packs a segment ID of up to three bytes into an integer, so
// placing a segment compares integers, not strings.
func packID(id []byte) uint32 {
	if len(id) > 3 {
		return 0xFFFFFFFF
	}
	var k uint32
	for _, c := range id {
		k = k<<8 | uint32(c)
	}
	return k | uint32(len(id))<<24
}
