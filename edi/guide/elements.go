package guide

import (
	"bytes"

	"github.com/clearhouse/clearhouse/edi"
)

// elements checks the data elements of seg against s: count, usage,
// length, data type, codes and the segment's syntax rules. It walks the
// segment's bytes once, element by element.
func (c *Checker) elements(seg *edi.Segment, s *cseg, loop string) {
	d := seg.Delimiters()
	defs := s.elems
	// present has bit i set when element i (1-based, up to 63) has data.
	var present uint64
	n := len(c.ends) - 1
	i := 0
	for i < n {
		i++
		v := c.raw[c.ends[i-1]+1 : c.ends[i]]
		if len(v) == 0 {
			if i <= len(defs) && defs[i-1].usage == Required {
				c.elemErr(&defs[i-1], loop, i, 0, 0, ErrGuide, edi.IK4RequiredMissing, nil, "is required in loop %s and missing", loopName(loop))
			}
			continue
		}
		if i < 64 {
			present |= 1 << i
		}
		if i > len(defs) {
			if c.g.Partial {
				break
			}
			c.add(ErrGuideSyntax, edi.LevelElement, edi.IK4TooManyElements, loop, i, 0, 0, "", "%s has more elements than the %d the guide defines", s.def.ID, len(defs))
			break
		}
		e := &defs[i-1]
		switch {
		case e.usage == NotUsed:
			if c.level >= LevelGuide {
				c.elemErr(e, loop, i, 0, 0, ErrGuide, edi.IK4ImplNotUsed, v, "is not used in loop %s, present", loopName(loop))
			}
		case e.repeat > 1 && d.Repetition != 0 && hasByte(v, d.Repetition):
			c.repeated(e, v, loop, i, d)
		case e.plain && int32(len(v)) >= e.min && int32(len(v)) <= e.max && !hasByte(v, d.Component):
			// An AN or ID element without codes, of a fitting length:
			// nothing more to check.
		default:
			c.value(e, v, loop, i, 0, d.Component)
		}
	}
	for i++; i <= len(defs) && i <= s.lastRequired; i++ {
		if defs[i-1].usage == Required {
			c.elemErr(&defs[i-1], loop, i, 0, 0, ErrGuide, edi.IK4RequiredMissing, nil, "is required in loop %s and missing", loopName(loop))
		}
	}
	for _, r := range s.syntax {
		c.syntaxRule(present, s, r, loop)
	}
	if s.def.ID == "DTP" && len(defs) >= 3 {
		c.period(seg, &defs[2], loop)
	}
}

// repeated checks each repetition of a repeating element.
func (c *Checker) repeated(e *celem, v []byte, loop string, pos int, d edi.Delimiters) {
	k := 0
	for len(v) > 0 || k == 0 {
		k++
		r := v
		if j := bytes.IndexByte(v, d.Repetition); j >= 0 {
			r, v = v[:j], v[j+1:]
		} else {
			v = nil
		}
		if k > int(e.repeat) {
			c.elemErr(e, loop, pos, 0, k, ErrGuideSyntax, edi.IK4TooManyRepetitions, nil, "repeats more than %d times", e.repeat)
			return
		}
		c.value(e, r, loop, pos, k, d.Component)
	}
}

// period checks DTP03 against its format qualifier DTP02 (X12 element
// 1250): D8 is one CCYYMMDD date, RD8 two joined by a hyphen.
func (c *Checker) period(seg *edi.Segment, e *celem, loop string) {
	v := seg.Element(3)
	if len(v) == 0 {
		return
	}
	ok := true
	switch string(seg.Element(2)) {
	case "D8":
		ok = validDate(v) && len(v) == 8
	case "RD8":
		ok = len(v) == 17 && v[8] == '-' && validDate(v[:8]) && validDate(v[9:])
	default:
		return
	}
	if !ok {
		c.elemErr(e, loop, 3, 0, 0, ErrGuideSyntax, edi.IK4InvalidDate, v, "%q is not a date in the format DTP02 %s names", printable(v), seg.Element(2))
	}
}

// value checks one (repetition of an) element.
func (c *Checker) value(e *celem, v []byte, loop string, pos, rep int, comp byte) {
	if e.comps == nil {
		if e.kind != 'B' && hasByte(v, comp) {
			c.elemErr(e, loop, pos, 0, rep, ErrGuideSyntax, edi.IK4TooManyComponents, v, "is a simple element and holds a component separator")
			return
		}
		c.simple(e, v, loop, pos, 0, rep)
		return
	}
	k := 0
	for {
		k++
		part := v
		j := bytes.IndexByte(v, comp)
		if j >= 0 {
			part, v = v[:j], v[j+1:]
		}
		if k > len(e.comps) {
			if len(part) > 0 || j >= 0 {
				c.elemErr(e, loop, pos, k, rep, ErrGuideSyntax, edi.IK4TooManyComponents, nil, "has more than %d components", len(e.comps))
			}
			break
		}
		ce := &e.comps[k-1]
		switch {
		case len(part) == 0:
			if ce.usage == Required {
				c.elemErr(ce, loop, pos, k, rep, ErrGuide, edi.IK4RequiredMissing, nil, "is required and missing")
			}
		case ce.usage == NotUsed:
			if c.level >= LevelGuide {
				c.elemErr(ce, loop, pos, k, rep, ErrGuide, edi.IK4ImplNotUsed, part, "is not used in loop %s, present", loopName(loop))
			}
		default:
			c.simple(ce, part, loop, pos, k, rep)
		}
		if j < 0 {
			break
		}
	}
	for k++; k <= len(e.comps); k++ {
		if e.comps[k-1].usage == Required {
			c.elemErr(&e.comps[k-1], loop, pos, k, rep, ErrGuide, edi.IK4RequiredMissing, nil, "is required and missing")
		}
	}
}

// simple checks a non-empty simple element or component: data type,
// length, codes and pattern.
func (c *Checker) simple(e *celem, v []byte, loop string, pos, comp, rep int) {
	n := int32(len(v))
	switch e.kind {
	case 'N':
		digits := v
		if len(digits) > 0 && digits[0] == '-' {
			digits = digits[1:]
		}
		if !edi.AllDigits(digits) {
			c.elemErr(e, loop, pos, comp, rep, ErrGuideSyntax, edi.IK4InvalidCharacter, v, "%q is not a number", printable(v))
			return
		}
		n = int32(len(digits))
	case 'R':
		digits, ok := decimalDigits(v)
		if !ok {
			c.elemErr(e, loop, pos, comp, rep, ErrGuideSyntax, edi.IK4InvalidCharacter, v, "%q is not a decimal number", printable(v))
			return
		}
		n = int32(digits)
	case 'D':
		if !validDate(v) {
			c.elemErr(e, loop, pos, comp, rep, ErrGuideSyntax, edi.IK4InvalidDate, v, "%q is not a CCYYMMDD date", printable(v))
			return
		}
	case 'T':
		if !validTime(v) {
			c.elemErr(e, loop, pos, comp, rep, ErrGuideSyntax, edi.IK4InvalidTime, v, "%q is not an HHMM[SS[DD]] time", printable(v))
			return
		}
	}
	if e.max > 0 && n > e.max {
		c.elemErr(e, loop, pos, comp, rep, ErrGuideSyntax, edi.IK4TooLong, v, "%q is %d characters, at most %d", printable(v), n, e.max)
		return
	}
	if n < e.min {
		c.elemErr(e, loop, pos, comp, rep, ErrGuideSyntax, edi.IK4TooShort, v, "%q is %d characters, at least %d", printable(v), n, e.min)
		return
	}
	if c.level < LevelGuide {
		return
	}
	if !e.codes.empty() && !e.codes.has(v) && !c.baseRef(e.def, v) {
		c.elemErr(e, loop, pos, comp, rep, ErrGuide, edi.IK4InvalidCode, v, "%q is not a code this guide allows here (%s)", printable(v), codeList(e.codes.list))
		return
	}
	if e.pattern != nil && !e.pattern.Match(v) {
		c.elemErr(e, loop, pos, comp, rep, ErrGuide, edi.IK4ImplPatternMismatch, v, "%q does not have the form the guide requires (%s)", printable(v), e.def.Pattern)
		return
	}
	if e.states && c.level >= LevelCodeSets && !validState(v) {
		c.elemErr(e, loop, pos, comp, rep, ErrGuide, edi.IK4InvalidCode, v, "%q is not a US state or Canadian province code", printable(v))
	}
}

func codeList(codes []string) string {
	var b bytes.Buffer
	for i, s := range codes {
		if i == 12 {
			b.WriteString(", ...")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// elemErr records an element error: the reference designator and name
// lead the message, as a payer's EDI desk reads them (N403 Postal Code).
func (c *Checker) elemErr(e *celem, loop string, pos, comp, rep int, sentinel error, code string, v []byte, format string, args ...any) {
	ref := e.def.Ref
	err := c.add(sentinel, edi.LevelElement, code, loop, pos, comp, rep, "", "%s %s "+format, append([]any{ref, e.def.Name}, args...)...)
	if e.def.DataElement != "" && e.def.DataElement[0] != 'C' {
		err.DataElement = e.def.DataElement
	}
	if v != nil {
		err.Value = string(v)
	}
}

// syntaxRule checks one X12 relational condition against the elements
// present (bit i for element i).
func (c *Checker) syntaxRule(present uint64, s *cseg, r syntaxRule, loop string) {
	has := func(i int) bool { return i < 64 && present&(1<<i) != 0 }
	first := r.elems[0]
	switch r.kind {
	case 'P':
		n := 0
		for _, i := range r.elems {
			if has(i) {
				n++
			}
		}
		if n > 0 && n < len(r.elems) {
			for _, i := range r.elems {
				if !has(i) {
					c.ruleErr(s, loop, i, edi.IK4ConditionalMissing, "is required when %s is present (paired)", refs(s, r.elems, i))
					return
				}
			}
		}
	case 'R':
		if present&r.mask != 0 {
			return
		}
		c.ruleErr(s, loop, first, edi.IK4ConditionalMissing, "or one of %s is required", refs(s, r.elems, first))
	case 'E':
		seen := 0
		for _, i := range r.elems {
			if has(i) {
				if seen > 0 {
					c.ruleErr(s, loop, i, edi.IK4ExclusionViolated, "may not be present with %s", ref(s, seen))
					return
				}
				seen = i
			}
		}
	case 'C':
		if !has(first) {
			return
		}
		for _, i := range r.elems[1:] {
			if !has(i) {
				c.ruleErr(s, loop, i, edi.IK4ConditionalMissing, "is required when %s is present", ref(s, first))
				return
			}
		}
	case 'L':
		if !has(first) {
			return
		}
		for _, i := range r.elems[1:] {
			if has(i) {
				return
			}
		}
		c.ruleErr(s, loop, r.elems[1], edi.IK4ConditionalMissing, "or one of %s is required when %s is present", refs(s, r.elems[1:], r.elems[1]), ref(s, first))
	}
}

func (c *Checker) ruleErr(s *cseg, loop string, i int, code, format string, args ...any) {
	if i < 1 || i > len(s.elems) {
		c.add(ErrGuideSyntax, edi.LevelElement, code, loop, i, 0, 0, "", "%s "+format, append([]any{ref(s, i)}, args...)...)
		return
	}
	e := &s.elems[i-1]
	c.elemErr(e, loop, i, 0, 0, ErrGuideSyntax, code, nil, format, args...)
}

func ref(s *cseg, i int) string {
	if i >= 1 && i <= len(s.elems) && s.elems[i-1].def.Ref != "" && s.elems[i-1].def.Components == nil {
		return s.elems[i-1].def.Ref
	}
	if i < 10 {
		return s.def.ID + "0" + itoa(i)
	}
	return s.def.ID + itoa(i)
}

func refs(s *cseg, elems []int, except int) string {
	var b bytes.Buffer
	for _, i := range elems {
		if i == except {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ref(s, i))
	}
	return b.String()
}

// decimalDigits counts the digits of an X12 R (decimal) value: an optional
// minus sign, digits with at most one decimal point.
func decimalDigits(v []byte) (int, bool) {
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	n, dot := 0, false
	for _, ch := range v {
		switch {
		case ch >= '0' && ch <= '9':
			n++
		case ch == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	return n, n > 0
}

func validDate(v []byte) bool {
	switch len(v) {
	case 8:
		_, err := edi.ParseDate(v)
		return err == nil
	case 6:
		if !edi.AllDigits(v) {
			return false
		}
		m := int(v[2]-'0')*10 + int(v[3]-'0')
		d := int(v[4]-'0')*10 + int(v[5]-'0')
		return m >= 1 && m <= 12 && d >= 1 && d <= 31
	}
	return false
}

// validTime accepts HHMM, HHMMSS, HHMMSSD and HHMMSSDD (X12 type TM).
func validTime(v []byte) bool {
	switch len(v) {
	case 4, 6, 7, 8:
	default:
		return false
	}
	if !edi.AllDigits(v) {
		return false
	}
	h := int(v[0]-'0')*10 + int(v[1]-'0')
	m := int(v[2]-'0')*10 + int(v[3]-'0')
	if h > 23 || m > 59 {
		return false
	}
	return len(v) == 4 || int(v[4]-'0')*10+int(v[5]-'0') < 60
}

// baseRef reports whether v is an ST03 that names the guide being checked
// by its base or another addendum (005010X231 for 005010X231A1): Lookup
// chose this guide for it, so it is a tolerated variant, not a bad code.
func (c *Checker) baseRef(def *Element, v []byte) bool {
	return def.Ref == "ST03" && len(v) >= 10 && len(c.g.Ref) >= 10 && string(v[:10]) == c.g.Ref[:10]
}

// hasByte reports whether b holds c; elements are short, so a loop beats
// bytes.IndexByte's call.
func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}
