package codes

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxDeflateRatio bounds how many bytes deflate expands one compressed byte
// to (a run of 258 bytes per 2-bit code, about 1032 to 1).
const maxDeflateRatio = 1032

// readAll returns the content of a file, gunzipping it when it starts with
// the gzip magic number. The text is built in one allocation sized from the
// gzip trailer, since the large code sets are read at every start.
func readAll(r io.Reader) (string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	if len(data) < 18 || data[0] != 0x1f || data[1] != 0x8b {
		return string(data), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	// ISIZE, the last four bytes, is the uncompressed size modulo 2^32. A
	// damaged or crafted file may claim any size: reserve no more than
	// deflate can expand the data to (at most 1032 to 1, RFC 1951 blocks).
	size := int(binary.LittleEndian.Uint32(data[len(data)-4:]))
	var sb strings.Builder
	if size < 1<<30 && size <= maxDeflateRatio*len(data) {
		sb.Grow(size + 1)
	}
	if _, err := io.Copy(&sb, zr); err != nil {
		return "", err
	}
	if err := zr.Close(); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// lines calls fn for each line of s (1-based number, without the line end).
func lines(s string, fn func(n int, line string) error) error {
	n := 0
	for len(s) > 0 {
		n++
		i := strings.IndexByte(s, '\n')
		var line string
		if i < 0 {
			line, s = s, ""
		} else {
			line, s = s[:i], s[i+1:]
		}
		line = strings.TrimSuffix(line, "\r")
		if err := fn(n, line); err != nil {
			return err
		}
	}
	return nil
}

func field(line string, from, to int) string {
	if from >= len(line) {
		return ""
	}
	if to > len(line) || to < 0 {
		to = len(line)
	}
	return strings.TrimSpace(line[from:to])
}

// ICD-10-CM order file layout (CMS, icd10cm_order_YYYY.txt), 1-based columns:
// 1-5 order number, 7-13 code, 15 billable flag, 17-76 short description,
// 78-end long description.
const (
	icdCodeFrom, icdCodeTo = 6, 13
	icdFlag                = 14
	icdShortFrom           = 16
	icdShortTo             = 76
	icdLongFrom            = 77
)

// parseICDOrder reads an ICD-10-CM order file into codes.
func parseICDOrder(name, s string) (map[string]Code, error) {
	m := make(map[string]Code, strings.Count(s, "\n")+1)
	err := lines(s, func(n int, line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		if len(line) <= icdShortFrom || !isDigits(line[:5]) || line[5] != ' ' {
			return &ParseError{File: name, Line: n, Err: errors.New("not an ICD-10-CM order file record (order number, code, flag, descriptions)")}
		}
		code := field(line, icdCodeFrom, icdCodeTo)
		flag := line[icdFlag]
		if code == "" || (flag != '0' && flag != '1') {
			return &ParseError{File: name, Line: n, Err: fmt.Errorf("code %q with billable flag %q: want 0 or 1", code, flag)}
		}
		if !isICDCode(code) {
			return &ParseError{File: name, Line: n, Err: fmt.Errorf("code %q: want 3 to 7 capital letters and digits, no dot", code)}
		}
		m[code] = Code{
			Code:            code,
			Billable:        flag == '1',
			Description:     field(line, icdShortFrom, icdShortTo),
			LongDescription: field(line, icdLongFrom, -1),
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, &ParseError{File: name, Line: 1, Err: errors.New("no ICD-10-CM codes")}
	}
	return m, nil
}

// reverseAddenda builds the previous fiscal year's release from the current
// one and the CMS order addenda ("Add:", "Delete:", "Revise from:", "Revise
// to:" records with flag, code, short and long description): additions are
// removed, deletions restored, revised titles set back.
func reverseAddenda(name, s string, cur *Release) (*Release, error) {
	prev := &Release{Kind: ICD10CM, base: cur, codes: map[string]Code{}, removed: map[string]struct{}{}}
	var adds, dels, revs []Code
	err := lines(s, func(n int, line string) error {
		var kind string
		switch {
		case strings.HasPrefix(line, "Add:"):
			kind = "add"
		case strings.HasPrefix(line, "Delete:"):
			kind = "delete"
		case strings.HasPrefix(line, "Revise from:"):
			kind = "from"
		case strings.HasPrefix(line, "Revise to:"):
			return nil
		default:
			return nil // summary and blank lines
		}
		// The record after the 13-column label: flag, space, code (7) and a
		// space, short (60), space, long.
		if len(line) < 24 || (line[13] != '0' && line[13] != '1') {
			return &ParseError{File: name, Line: n, Err: errors.New("addenda record: want label, flag, code, descriptions")}
		}
		c := Code{
			Code:            field(line, 15, 23),
			Billable:        line[13] == '1',
			Description:     field(line, 23, 83),
			LongDescription: field(line, 84, -1),
		}
		if !isICDCode(c.Code) {
			return &ParseError{File: name, Line: n, Err: fmt.Errorf("addenda code %q: want 3 to 7 capital letters and digits, no dot", c.Code)}
		}
		switch kind {
		case "add":
			adds = append(adds, c)
		case "delete":
			dels = append(dels, c)
		default:
			revs = append(revs, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range adds {
		prev.removed[c.Code] = struct{}{}
	}
	for _, c := range dels {
		delete(prev.removed, c.Code)
		prev.codes[c.Code] = c
	}
	for _, c := range revs {
		prev.codes[c.Code] = c
	}
	// The entries are the restored and revised codes plus the current
	// release's others that were not added this year. Addenda records for
	// codes the order file lacks count only where they restore a code.
	prev.n = len(prev.codes) + cur.n
	for code := range prev.removed {
		if _, over := prev.codes[code]; !over && cur.has(code) {
			prev.n--
		}
	}
	for code := range prev.codes {
		if cur.has(code) {
			prev.n--
		}
	}
	return prev, nil
}

// parseHCPCS reads a HCPCS Level II file in CSV form with a header row. The
// columns are found by name: the code ("HCPCS_CODE", "HCPCS" or CMS's
// "HCPC"), the short and long descriptions, and, when present, CMS's record
// id ("RECID": 3/4 procedure, 7/8 modifier; 4 and 8 continue the long
// description of the previous row) and termination date ("TERM DT",
// YYYYMMDD; a code terminated on or before asOf is left out). Five-character
// rows are procedure codes, two-character rows modifiers.
func parseHCPCS(name, s string, asOf Day) (procs, mods map[string]Code, err error) {
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, nil, &ParseError{File: name, Line: 1, Err: fmt.Errorf("header: %w", err)}
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		h = strings.NewReplacer("_", " ", ".", "").Replace(h)
		col[h] = i
	}
	pick := func(names ...string) int {
		for _, n := range names {
			if i, ok := col[n]; ok {
				return i
			}
		}
		return -1
	}
	iCode := pick("HCPCS CODE", "HCPCS", "HCPC")
	iShort := pick("SHORT DESCRIPTION", "SHORT DESC")
	iLong := pick("LONG DESCRIPTION", "LONG DESC")
	iRec := pick("RECID")
	iTerm := pick("TERM DT", "TERMINATION DATE")
	if iCode < 0 || (iShort < 0 && iLong < 0) {
		return nil, nil, &ParseError{File: name, Line: 1, Err: errors.New("header must name the code column (HCPCS_CODE or HCPC) and a description column")}
	}
	procs = make(map[string]Code, 9000)
	mods = make(map[string]Code, 400)
	get := func(rec []string, i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var last string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, &ParseError{File: name, Line: csvErrLine(err), Err: err}
		}
		line, _ := r.FieldPos(0)
		code := strings.ToUpper(get(rec, iCode))
		if code == "" {
			continue
		}
		if len(code) != 5 && len(code) != 2 {
			return nil, nil, &ParseError{File: name, Line: line, Err: fmt.Errorf("code %q: want 5 characters (procedure) or 2 (modifier)", code)}
		}
		target := procs
		if len(code) == 2 {
			target = mods
		}
		recID := get(rec, iRec)
		if (recID == "4" || recID == "8") && code == last {
			c := target[code]
			c.LongDescription = strings.TrimSpace(c.LongDescription + " " + get(rec, iLong))
			target[code] = c
			continue
		}
		if t := get(rec, iTerm); t != "" && asOf != 0 {
			if d, err := ParseDay(t); err == nil && d != 0 && d <= asOf {
				continue
			}
		}
		last = code
		target[code] = Code{Code: code, Description: get(rec, iShort), LongDescription: get(rec, iLong), Billable: true}
	}
	if len(procs) == 0 {
		return nil, nil, &ParseError{File: name, Line: 1, Err: errors.New("no HCPCS codes")}
	}
	return procs, mods, nil
}

// parseTSV reads "code<TAB>description" rows after a header row; lines
// starting with # are comments. Rows whose description is UNASSIGNED are
// skipped (place of service).
func parseTSV(name, s string) (map[string]Code, error) {
	m := map[string]Code{}
	header := true
	err := lines(s, func(n int, line string) error {
		if line == "" || line[0] == '#' {
			return nil
		}
		if header {
			header = false
			return nil
		}
		code, desc, ok := strings.Cut(line, "\t")
		code = strings.TrimSpace(code)
		if !ok || code == "" {
			return &ParseError{File: name, Line: n, Err: errors.New("want code<TAB>description")}
		}
		desc = strings.TrimSpace(desc)
		if strings.EqualFold(desc, "UNASSIGNED") {
			return nil
		}
		m[code] = Code{Code: code, Description: desc, Billable: true}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, &ParseError{File: name, Line: 1, Err: errors.New("no codes")}
	}
	return m, nil
}

// parseTaxonomy reads the NUCC taxonomy CSV (Code, Grouping, Classification,
// Specialization, Definition, Notes, Display Name, Section).
func parseTaxonomy(name, s string) (map[string]Code, error) {
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil || len(head) < 7 || !strings.EqualFold(strings.TrimPrefix(head[0], "\ufeff"), "Code") {
		return nil, &ParseError{File: name, Line: 1, Err: errors.New("want the NUCC header Code,Grouping,Classification,Specialization,Definition,Notes,Display Name,Section")}
	}
	m := make(map[string]Code, 900)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &ParseError{File: name, Line: csvErrLine(err), Err: err}
		}
		line, _ := r.FieldPos(0)
		if len(rec) < 7 || len(strings.TrimSpace(rec[0])) != 10 {
			return nil, &ParseError{File: name, Line: line, Err: fmt.Errorf("taxonomy code %q: want 10 characters", rec[0])}
		}
		code := strings.TrimSpace(rec[0])
		long := rec[2]
		if rec[3] != "" {
			long += ", " + rec[3]
		}
		m[code] = Code{Code: code, Description: rec[6], LongDescription: rec[1] + ": " + long, Billable: true}
	}
	return m, nil
}

// csvErrLine is the line of a csv.Reader error. FieldPos would panic
// there: a failed Read leaves no record to ask about.
func csvErrLine(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		return pe.Line
	}
	return 1
}

// isICDCode reports whether s can be an ICD-10-CM code as the order file
// and the addenda write it: 3 to 7 letters and digits, no dot.
func isICDCode(s string) bool {
	if len(s) < 3 || len(s) > 7 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
