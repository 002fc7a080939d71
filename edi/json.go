package edi

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// The generic JSON form of X12 keeps every segment and element, so JSON and
// back gives the same segments. A document is
//
//	{"interchanges": [
//	  {"delimiters": {"element": "*", "repetition": "^", "component": ":", "segment": "~"},
//	   "segments": [
//	    ["ISA", "00", "          ", ...],
//	    ["HI", ["ABK", "J101"], ["ABF", "E119"]],
//	    ["DMG", "D8", "19800101", "F", "", {"repeat": ["RET:1", ["RET", "2"]]}]
//	  ]}
//	]}
//
// A segment is an array whose first item is the segment ID. An element is a
// string; a composite element (one holding the component separator) is an
// array of its components; a repeated element (one holding the repetition
// separator) is an object whose "repeat" array holds the repetitions, each a
// string or an array of components. The ISA's elements are always strings.
// Text that is not valid UTF-8 is written as {"base64": "..."} in place of a
// string. Every interchange starts with its ISA segment.

// JSONDocument is the generic JSON form of an X12 input.
type JSONDocument struct {
	Interchanges []JSONInterchange `json:"interchanges"`
}

// JSONInterchange is one interchange: its delimiters and its segments, ISA
// to IEA.
type JSONInterchange struct {
	Delimiters JSONDelimiters `json:"delimiters"`
	Segments   []JSONSegment  `json:"segments"`
}

// JSONDelimiters are an interchange's separators as one-character strings;
// Repetition is "" when the interchange declares none.
type JSONDelimiters struct {
	Element    string `json:"element"`
	Repetition string `json:"repetition"`
	Component  string `json:"component"`
	Segment    string `json:"segment"`
}

// JSONSegment is a segment: its ID then its elements.
type JSONSegment []JSONElement

// JSONElement is one element. Exactly one form is used: Text for a simple
// element, Components for a composite, Repeats for a repeated element.
type JSONElement struct {
	Text       string
	Components []string
	Repeats    []JSONElement // each a simple or composite element
}

// Delimiters converts d to the reader's form, checking it.
func (d JSONDelimiters) Delimiters() (Delimiters, error) {
	one := func(name, s string, optional bool) (byte, error) {
		if s == "" && optional {
			return 0, nil
		}
		if len(s) != 1 {
			return 0, fmt.Errorf("%w: %s delimiter %q is not one byte", ErrBadISA, name, s)
		}
		return s[0], nil
	}
	var out Delimiters
	var err error
	if out.Element, err = one("element", d.Element, false); err != nil {
		return out, err
	}
	if out.Repetition, err = one("repetition", d.Repetition, true); err != nil {
		return out, err
	}
	if out.Component, err = one("component", d.Component, false); err != nil {
		return out, err
	}
	if out.Segment, err = one("segment", d.Segment, false); err != nil {
		return out, err
	}
	return out, out.Validate()
}

func jsonDelimiters(d Delimiters) JSONDelimiters {
	s := func(c byte) string {
		if c == 0 {
			return ""
		}
		return string([]byte{c})
	}
	return JSONDelimiters{Element: s(d.Element), Repetition: s(d.Repetition), Component: s(d.Component), Segment: s(d.Segment)}
}

// MarshalJSON writes the element in its string, array or object form.
func (e JSONElement) MarshalJSON() ([]byte, error) {
	return e.appendJSON(nil), nil
}

func (e JSONElement) appendJSON(dst []byte) []byte {
	switch {
	case e.Repeats != nil:
		dst = append(dst, `{"repeat":[`...)
		for i, r := range e.Repeats {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = r.appendJSON(dst)
		}
		return append(dst, "]}"...)
	case e.Components != nil:
		dst = append(dst, '[')
		for i, c := range e.Components {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONText(dst, []byte(c))
		}
		return append(dst, ']')
	}
	return appendJSONText(dst, []byte(e.Text))
}

// UnmarshalJSON reads any of the element's forms.
func (e *JSONElement) UnmarshalJSON(b []byte) error {
	*e = JSONElement{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("empty JSON element")
	}
	switch b[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		e.Components = make([]string, len(items))
		for i, it := range items {
			s, err := decodeJSONText(it)
			if err != nil {
				return err
			}
			e.Components[i] = s
		}
		return nil
	case '{':
		var obj struct {
			Repeat []JSONElement `json:"repeat"`
			Base64 *string       `json:"base64"`
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			return err
		}
		if obj.Base64 != nil {
			s, err := decodeJSONText(b)
			e.Text = s
			return err
		}
		if obj.Repeat == nil {
			return errors.New(`JSON element object has neither "repeat" nor "base64"`)
		}
		for _, r := range obj.Repeat {
			if r.Repeats != nil {
				return errors.New("a repetition cannot repeat")
			}
		}
		e.Repeats = obj.Repeat
		return nil
	}
	s, err := decodeJSONText(b)
	e.Text = s
	return err
}

// appendJSONText writes b as a JSON string, or as {"base64": ...} when it is
// not valid UTF-8.
func appendJSONText(dst, b []byte) []byte {
	if !utf8.Valid(b) {
		dst = append(dst, `{"base64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, b)
		return append(dst, `"}`...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '&':
			const hex = "0123456789abcdef"
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func decodeJSONText(b json.RawMessage) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var obj struct {
			Base64 *string `json:"base64"`
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			return "", err
		}
		if obj.Base64 == nil {
			return "", errors.New(`JSON text object has no "base64"`)
		}
		raw, err := base64.StdEncoding.DecodeString(*obj.Base64)
		return string(raw), err
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// JSONWriter writes the JSON form of segments as they are read, one segment
// per line, so a huge file is never held in memory.
type JSONWriter struct {
	w     *bufio.Writer
	buf   []byte
	n     int // interchanges written
	segs  int // segments written in the open interchange
	delim Delimiters
}

// NewJSONWriter returns a JSONWriter writing to w.
func NewJSONWriter(w io.Writer) *JSONWriter {
	return &JSONWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

// Write adds a segment. An ISA segment starts a new interchange.
func (j *JSONWriter) Write(seg *Segment) error {
	b := j.buf[:0]
	if j.n == 0 {
		b = append(b, "{\"interchanges\": [\n"...)
	}
	if seg.Is("ISA") || j.n == 0 {
		if j.n > 0 {
			b = append(b, "\n]},\n"...)
		}
		j.n++
		j.segs = 0
		j.delim = seg.Delimiters()
		d := jsonDelimiters(j.delim)
		b = append(b, `{"delimiters": {"element": `...)
		b = appendJSONText(b, []byte(d.Element))
		b = append(b, `, "repetition": `...)
		b = appendJSONText(b, []byte(d.Repetition))
		b = append(b, `, "component": `...)
		b = appendJSONText(b, []byte(d.Component))
		b = append(b, `, "segment": `...)
		b = appendJSONText(b, []byte(d.Segment))
		b = append(b, "},\n \"segments\": [\n"...)
	}
	if j.segs > 0 {
		b = append(b, ",\n"...)
	}
	j.segs++
	b = append(b, "  "...)
	b = AppendSegmentJSON(b, seg)
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

// Close ends the document and flushes it.
func (j *JSONWriter) Close() error {
	if j.n == 0 {
		if _, err := j.w.WriteString("{\"interchanges\": []}\n"); err != nil {
			return err
		}
	} else if _, err := j.w.WriteString("\n]}\n]}\n"); err != nil {
		return err
	}
	return j.w.Flush()
}

// AppendSegmentJSON appends the JSON array form of seg.
func AppendSegmentJSON(dst []byte, seg *Segment) []byte {
	d := seg.Delimiters()
	isa := seg.Is("ISA")
	dst = append(dst, '[')
	for i := 0; i <= seg.Len(); i++ {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		e := seg.Element(i)
		if isa || i == 0 {
			dst = appendJSONText(dst, e)
			continue
		}
		if d.Repetition != 0 && bytes.IndexByte(e, d.Repetition) >= 0 {
			dst = append(dst, `{"repeat": [`...)
			for k := 0; ; k++ {
				r := e
				j := bytes.IndexByte(e, d.Repetition)
				if j >= 0 {
					r = e[:j]
				}
				if k > 0 {
					dst = append(dst, ", "...)
				}
				dst = appendComposite(dst, r, d.Component)
				if j < 0 {
					break
				}
				e = e[j+1:]
			}
			dst = append(dst, "]}"...)
			continue
		}
		dst = appendComposite(dst, e, d.Component)
	}
	return append(dst, ']')
}

func appendComposite(dst, e []byte, sep byte) []byte {
	if bytes.IndexByte(e, sep) < 0 {
		return appendJSONText(dst, e)
	}
	dst = append(dst, '[')
	for k := 0; ; k++ {
		c := e
		j := bytes.IndexByte(e, sep)
		if j >= 0 {
			c = e[:j]
		}
		if k > 0 {
			dst = append(dst, ", "...)
		}
		dst = appendJSONText(dst, c)
		if j < 0 {
			break
		}
		e = e[j+1:]
	}
	return append(dst, ']')
}

// ToJSON reads X12 from r and writes its JSON form to w.
func ToJSON(w io.Writer, r *Reader) error {
	jw := NewJSONWriter(w)
	for {
		seg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := jw.Write(seg); err != nil {
			return err
		}
	}
	return jw.Close()
}

// ParseJSON decodes a JSON document.
func ParseJSON(data []byte) (*JSONDocument, error) {
	var doc JSONDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return &doc, nil
}

// WriteX12 writes the document as X12, each segment exactly as its elements
// say (empty trailing elements included), so reading it back gives the
// segments the document was made from. It fails with ErrDelimiterInData when
// a value holds one of its interchange's delimiters and with ErrBadISA or
// ErrSyntax when the document cannot make readable X12: an interchange that
// does not start with its ISA, an ISA whose ISA11 or ISA16 disagree with the
// delimiters, or a segment that would read back differently.
func (doc *JSONDocument) WriteX12(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var seg []byte
	for n, ic := range doc.Interchanges {
		d, err := ic.Delimiters.Delimiters()
		if err != nil {
			return fmt.Errorf("interchange %d: %w", n+1, err)
		}
		for i, s := range ic.Segments {
			pos := Position{Interchange: fmt.Sprint(n + 1), Segment: i + 1}
			seg, err = appendX12Segment(seg[:0], s, d, i == 0, pos)
			if err != nil {
				return err
			}
			seg = append(seg, d.Segment)
			if _, err := bw.Write(seg); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

func appendX12Segment(dst []byte, s JSONSegment, d Delimiters, first bool, pos Position) ([]byte, error) {
	fail := func(sentinel error, elem int, format string, args ...any) ([]byte, error) {
		pos.Element = elem
		return dst, &Error{Pos: pos, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
	}
	if len(s) == 0 {
		return fail(ErrSyntax, 0, "a segment needs at least its ID")
	}
	if s[0].Components != nil || s[0].Repeats != nil {
		return fail(ErrSyntax, 0, "a segment ID must be a string")
	}
	id := s[0].Text
	pos.SegmentID = id
	isa := id == "ISA"
	if first != isa {
		if first {
			return fail(ErrBadISA, 0, "an interchange must start with ISA")
		}
		return fail(ErrSyntax, 0, "ISA inside an interchange")
	}
	if !isa && len(id) >= 3 && id[:3] == "ISA" && (len(id) == 3 || !isAlnum(id[3])) {
		return fail(ErrSyntax, 0, "segment ID %q reads as an ISA", id)
	}
	if isa {
		if len(s) != 17 {
			return fail(ErrBadISA, 0, "ISA has %d elements, want 16", len(s)-1)
		}
		for i, e := range s[1:] {
			if e.Components != nil || e.Repeats != nil {
				return fail(ErrBadISA, i+1, "ISA elements are plain strings")
			}
		}
		if s[16].Text != string([]byte{d.Component}) {
			return fail(ErrBadISA, 16, "ISA16 %q is not the component separator %q", s[16].Text, d.Component)
		}
		rep := s[11].Text
		if d.Repetition != 0 && rep != string([]byte{d.Repetition}) || d.Repetition == 0 && len(rep) == 1 && !isAlnum(rep[0]) && rep[0] != ' ' {
			return fail(ErrBadISA, 11, "ISA11 %q disagrees with the repetition separator", rep)
		}
	}
	check := func(v string, elem int, allowed ...byte) error {
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c == d.Element || c == d.Segment || (c == d.Component || c == d.Repetition && c != 0) && !bytes.ContainsRune(allowed, rune(c)) {
				pos.Element = elem
				return &Error{Pos: pos, Err: ErrDelimiterInData, Msg: fmt.Sprintf("value %q holds delimiter %q", v, c)}
			}
		}
		return nil
	}
	start := len(dst)
	for i, e := range s {
		if i > 0 {
			dst = append(dst, d.Element)
		}
		var err error
		if isa || i == 0 {
			// The ID and the ISA's elements are not split, so they may
			// hold the component and repetition separators (ISA11 and
			// ISA16 do).
			if e.Components != nil || e.Repeats != nil {
				return fail(ErrSyntax, i, "element %d must be a string", i)
			}
			err = check(e.Text, i, d.Component, d.Repetition)
			dst = append(dst, e.Text...)
		} else {
			dst, err = appendX12Element(dst, e, d, i, check)
		}
		if err != nil {
			return dst, err
		}
	}
	raw := dst[start:]
	if len(raw) > 0 && (raw[0] == '\r' || raw[0] == '\n') {
		return fail(ErrSyntax, 0, "a segment cannot start with a line break")
	}
	if d.Segment == '\n' && len(raw) > 0 && raw[len(raw)-1] == '\r' {
		return fail(ErrSyntax, 0, "a segment cannot end with CR when LF ends segments")
	}
	return dst, nil
}

func appendX12Element(dst []byte, e JSONElement, d Delimiters, elem int, check func(string, int, ...byte) error) ([]byte, error) {
	comps := func(cs []string) error {
		for k, c := range cs {
			if k > 0 {
				dst = append(dst, d.Component)
			}
			if err := check(c, elem); err != nil {
				return err
			}
			dst = append(dst, c...)
		}
		return nil
	}
	switch {
	case e.Repeats != nil:
		if d.Repetition == 0 {
			return dst, &Error{Pos: Position{Element: elem}, Err: ErrSyntax, Msg: "repeated element in an interchange without a repetition separator"}
		}
		for k, r := range e.Repeats {
			if k > 0 {
				dst = append(dst, d.Repetition)
			}
			if r.Components != nil {
				if err := comps(r.Components); err != nil {
					return dst, err
				}
				continue
			}
			if err := check(r.Text, elem); err != nil {
				return dst, err
			}
			dst = append(dst, r.Text...)
		}
		return dst, nil
	case e.Components != nil:
		return dst, comps(e.Components)
	}
	if err := check(e.Text, elem); err != nil {
		return dst, err
	}
	return append(dst, e.Text...), nil
}

// Format writes every segment of r to w on a line of its own: the segment,
// its terminator and a line feed (none when the terminator is a line feed).
// The result is still X12 with the same segments.
func Format(w io.Writer, r *Reader) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for {
		seg, err := r.Next()
		if err == io.EOF {
			return bw.Flush()
		}
		if err != nil {
			bw.Flush()
			return err
		}
		bw.Write(seg.Raw())
		t := seg.Delimiters().Segment
		bw.WriteByte(t)
		if t != '\n' {
			bw.WriteByte('\n')
		}
	}
}
