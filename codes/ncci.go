package codes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Setting selects which NCCI/MUE tables apply: CMS publishes separate files
// for practitioner services (837P) and outpatient hospital services (837I).
type Setting string

// The settings.
const (
	Practitioner Setting = "practitioner"
	Hospital     Setting = "hospital"
)

// ParseSetting returns the Setting named s.
func ParseSetting(s string) (Setting, error) {
	switch Setting(s) {
	case Practitioner, Hospital:
		return Setting(s), nil
	}
	return "", fmt.Errorf("codes: unknown NCCI setting %q (want practitioner or hospital)", s)
}

// ModifierIndicator is the NCCI PTP modifier indicator.
type ModifierIndicator byte

// The modifier indicator values of the CMS PTP file.
const (
	// ModifierNotAllowed (0): no modifier lets both codes be paid.
	ModifierNotAllowed ModifierIndicator = 0
	// ModifierAllowed (1): an NCCI-associated modifier (59, XE, XS, XP, XU,
	// 25, 91, anatomic modifiers...) lets both codes be paid.
	ModifierAllowed ModifierIndicator = 1
	// ModifierNotApplicable (9): the edit was deleted retroactively.
	ModifierNotApplicable ModifierIndicator = 9
)

// PTPEdit is one row of an NCCI procedure-to-procedure file: column 2 is not
// payable with column 1 on the same date of service by the same provider.
type PTPEdit struct {
	Column1, Column2 string
	// Prior1996 is the "*" flag: the edit existed before 1996.
	Prior1996 bool
	Effective Day
	// Deleted is the deletion date, 0 when the edit is active ("*").
	Deleted   Day
	Modifier  ModifierIndicator
	Rationale string
}

// ActiveOn reports whether the edit is in effect on dos.
func (e PTPEdit) ActiveOn(dos Day) bool {
	if e.Modifier == ModifierNotApplicable {
		return false
	}
	return (e.Effective == 0 || dos >= e.Effective) && (e.Deleted == 0 || dos <= e.Deleted)
}

type ptpKey struct{ c1, c2 string }

// PTPTable holds NCCI procedure-to-procedure edits for one setting.
type PTPTable struct {
	Setting Setting
	// Release names the quarterly file ("SAMPLE" for the embedded sample).
	Release string
	Sample  bool
	edits   map[ptpKey][]PTPEdit
	// column2 lists each column 1 code's column 2 codes, each once, in file
	// order: a claim's pairs are found from its codes without trying every
	// pair of its lines.
	column2 map[string][]string
	n       int
}

// Len returns the number of edits.
func (t *PTPTable) Len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// Lookup returns the edit for the pair (column 1, column 2) active on dos.
func (t *PTPTable) Lookup(column1, column2 string, dos Day) (PTPEdit, bool) {
	if t == nil {
		return PTPEdit{}, false
	}
	for _, e := range t.edits[ptpKey{column1, column2}] {
		if e.ActiveOn(dos) {
			return e, true
		}
	}
	return PTPEdit{}, false
}

// Column2 returns the column 2 codes that have an edit with column1, active
// or not, each once. The slice is the table's: do not modify it.
func (t *PTPTable) Column2(column1 string) []string {
	if t == nil {
		return nil
	}
	return t.column2[column1]
}

// MUEAdjudication is the MUE adjudication indicator (MAI).
type MUEAdjudication byte

// The MAI values.
const (
	MUELine            MUEAdjudication = 1 // per claim line
	MUEDatePolicy      MUEAdjudication = 2 // per date of service, policy: absolute
	MUEDateOfServiceCl MUEAdjudication = 3 // per date of service, clinical
)

// MUELimit is one row of a CMS MUE file: the most units of a code a provider
// reports for one patient on one date of service (or claim line, MAI 1).
type MUELimit struct {
	Code       string
	Units      int
	Adjudicate MUEAdjudication
	Rationale  string
}

// MUETable holds medically unlikely edits for one setting.
type MUETable struct {
	Setting Setting
	Release string
	Sample  bool
	limits  map[string]MUELimit
}

// Len returns the number of codes with a limit.
func (t *MUETable) Len() int {
	if t == nil {
		return 0
	}
	return len(t.limits)
}

// Lookup returns the limit for code.
func (t *MUETable) Lookup(code string) (MUELimit, bool) {
	if t == nil {
		return MUELimit{}, false
	}
	l, ok := t.limits[code]
	return l, ok
}

// splitRow splits a PTP/MUE row: tab-separated as CMS publishes the text
// files, or comma-separated when saved from the spreadsheet.
func splitRow(line string) []string {
	sep := "\t"
	if !strings.Contains(line, "\t") {
		sep = ","
	}
	fs := strings.Split(line, sep)
	for i := range fs {
		fs[i] = strings.Trim(strings.TrimSpace(fs[i]), `"`)
	}
	return fs
}

// isProcedureCode reports whether s looks like a CPT or HCPCS code: five
// characters, letters and digits. Header, copyright and notice lines of the
// CMS files fail this test and are skipped.
func isProcedureCode(s string) bool {
	if len(s) != 5 {
		return false
	}
	for i := 0; i < 5; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// parsePTP reads a CMS NCCI PTP file: column 1, column 2, "*" if in existence
// prior to 1996, effective date (YYYYMMDD), deletion date (YYYYMMDD or "*"),
// modifier indicator (0, 1, 9), rationale. Lines whose first field is not a
// procedure code (notices, headers) are skipped.
func parsePTP(name, s string, setting Setting) (*PTPTable, error) {
	t := &PTPTable{Setting: setting, edits: map[ptpKey][]PTPEdit{}, column2: map[string][]string{}}
	err := lines(s, func(n int, line string) error {
		f := splitRow(line)
		if len(f) < 6 || !isProcedureCode(f[0]) {
			return nil
		}
		fail := func(format string, args ...any) error {
			return &ParseError{File: name, Line: n, Err: fmt.Errorf(format, args...)}
		}
		if !isProcedureCode(f[1]) {
			return fail("column 2 %q: want a procedure code", f[1])
		}
		e := PTPEdit{Column1: f[0], Column2: f[1], Prior1996: f[2] == "*"}
		var err error
		if e.Effective, err = ParseDay(f[3]); err != nil {
			return fail("effective date: %v", err)
		}
		if f[4] != "*" && f[4] != "" {
			if e.Deleted, err = ParseDay(f[4]); err != nil {
				return fail("deletion date: %v", err)
			}
		}
		switch f[5] {
		case "0", "1", "9":
			e.Modifier = ModifierIndicator(f[5][0] - '0')
		default:
			return fail("modifier indicator %q: want 0, 1 or 9", f[5])
		}
		if len(f) > 6 {
			e.Rationale = f[6]
		}
		k := ptpKey{e.Column1, e.Column2}
		if _, seen := t.edits[k]; !seen {
			t.column2[e.Column1] = append(t.column2[e.Column1], e.Column2)
		}
		t.edits[k] = append(t.edits[k], e)
		t.n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if t.n == 0 {
		return nil, &ParseError{File: name, Line: 1, Err: errors.New("no PTP edit rows (column 1, column 2, prior 1996, effective, deletion, modifier indicator, rationale)")}
	}
	t.Sample = isSample(s)
	return t, nil
}

// parseMUE reads a CMS MUE file: code, MUE value, MUE adjudication indicator
// ("2 Date of Service Edit: Policy": the leading digit counts), rationale.
func parseMUE(name, s string, setting Setting) (*MUETable, error) {
	t := &MUETable{Setting: setting, limits: map[string]MUELimit{}}
	err := lines(s, func(n int, line string) error {
		f := splitRow(line)
		if len(f) < 3 || !isProcedureCode(f[0]) {
			return nil
		}
		fail := func(format string, args ...any) error {
			return &ParseError{File: name, Line: n, Err: fmt.Errorf(format, args...)}
		}
		units, err := strconv.Atoi(f[1])
		if err != nil || units < 0 {
			return fail("MUE value %q: want a whole number of units", f[1])
		}
		if f[2] == "" || f[2][0] < '1' || f[2][0] > '3' {
			return fail("MUE adjudication indicator %q: want 1, 2 or 3", f[2])
		}
		l := MUELimit{Code: f[0], Units: units, Adjudicate: MUEAdjudication(f[2][0] - '0')}
		if len(f) > 3 {
			l.Rationale = f[3]
		}
		t.limits[l.Code] = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(t.limits) == 0 {
		return nil, &ParseError{File: name, Line: 1, Err: errors.New("no MUE rows (code, MUE value, adjudication indicator, rationale)")}
	}
	t.Sample = isSample(s)
	return t, nil
}

func isSample(s string) bool {
	head := s
	if len(head) > 200 {
		head = head[:200]
	}
	return strings.Contains(head, "SAMPLE ONLY")
}
