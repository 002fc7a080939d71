package registration

import (
	"errors"
	"strings"
	"testing"
)

// FuzzReadCSV feeds arbitrary bytes to the import reader: it never panics,
// every error carries the file name, and rows come in line order.
func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"mrn,first_name,last_name,birth_date\nA1,Ann,Lee,1990-01-02\n",
		"\ufeffmrn,FIRST_NAME , last_name,birth_date\n\"A,1\",\"Ann \"\"Q\"\"\",Lee,01/02/1990\n",
		"mrn,first_name\nA1\n",
		"shoe_size\n12\n",
		"",
		"mrn,first_name,last_name,birth_date\n\"unterminated\n",
		"mrn,first_name,last_name,birth_date\r\nA1,Ann,Lee,19900102\r\n\r\nA2,Bo,Lee,\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := readCSV("in.csv", strings.NewReader(in), PatientColumns, []string{"mrn"})
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) && !strings.HasPrefix(err.Error(), "in.csv") {
				t.Fatalf("error without the file: %v", err)
			}
			return
		}
		last := 1
		for _, r := range rows {
			if r.line <= last {
				t.Fatalf("row at line %d after line %d", r.line, last)
			}
			last = r.line
			for _, c := range PatientColumns {
				_ = r.get(c)
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-01-02", "01/02/2026", "20260102", "", "2026-13-01", "1/2/2026", " 2026-01-02 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("error %v does not wrap ErrInput", err)
			}
			return
		}
		if !d.IsZero() {
			if again, err := ParseDate(d.Format("2006-01-02")); err != nil || !again.Equal(d) {
				t.Fatalf("%q: %v does not round-trip: %v %v", s, d, again, err)
			}
		}
	})
}
