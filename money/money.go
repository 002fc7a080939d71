// Package money is the one money type: an amount in integer cents, its
// formats and its exact parser. Amounts are never floats.
//
// X12 amounts (the R data type, "22.5") are edi's (edi.FormatAmount,
// edi.ParseAmount); what people read (tables, CSV, JSON, titles, statements)
// is written here.
package money

import (
	"errors"
	"strconv"
	"strings"
)

// Cents is an amount of money in cents: 2250 is 22.50.
type Cents int64

// String is the amount with two decimals and no currency sign: "22.50",
// "-1.50", "1234.00". Tables, CSV, JSON and titles use it.
func (c Cents) String() string { return string(c.AppendText(nil)) }

// AppendText appends the String form to b.
func (c Cents) AppendText(b []byte) []byte { return c.appendDecimal(b, false) }

// Dollars is the amount as a patient or an office reads it, with the dollar
// sign and thousands grouped: "$1,234.50", "-$20.00". Statements and printed
// summaries use it.
func (c Cents) Dollars() string {
	b := make([]byte, 0, 24)
	if c < 0 {
		b = append(b, '-')
	}
	b = append(b, '$')
	return string(c.appendDecimal(b, true))
}

// appendDecimal appends |c| as whole.cc (with a leading minus when c is
// negative and no sign is written yet), grouping the whole part by
// thousands when group is set.
func (c Cents) appendDecimal(b []byte, group bool) []byte {
	u := uint64(c) // two's complement: -c as unsigned, also for math.MinInt64
	if c < 0 {
		u = -u
		if !group {
			b = append(b, '-')
		}
	}
	whole := strconv.FormatUint(u/100, 10)
	if group {
		for i, d := range []byte(whole) {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b = append(b, ',')
			}
			b = append(b, d)
		}
	} else {
		b = append(b, whole...)
	}
	f := u % 100
	return append(b, '.', byte('0'+f/10), byte('0'+f%10))
}

// ErrSyntax is an amount Parse cannot read.
var ErrSyntax = errors.New("not a decimal amount")

// Parse reads a decimal amount exactly, never through a float: "22.5",
// "22.50", "-1.50", "0.05", ".5", "22", and the Dollars form "$1,234.50" or
// "-$20.00" (commas only between groups of three). More than two decimals
// are accepted only when the extra ones are zeros ("1.500"). An error wraps
// ErrSyntax.
func Parse(s string) (Cents, error) {
	in := s
	fail := func() (Cents, error) { return 0, &SyntaxError{Input: in} }
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	s = strings.TrimPrefix(s, "$")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return fail()
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return fail()
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return fail()
			}
		}
		whole = strings.Join(groups, "")
	}
	var w uint64
	if whole != "" {
		if !digits(whole) {
			return fail()
		}
		var err error
		if w, err = strconv.ParseUint(whole, 10, 64); err != nil || w > (1<<63-1)/100-1 {
			return fail()
		}
	}
	if !digits(frac) || len(strings.TrimRight(frac, "0")) > 2 {
		return fail()
	}
	frac = (frac + "00")[:2]
	f := uint64(frac[0]-'0')*10 + uint64(frac[1]-'0')
	v := Cents(w*100 + f)
	if neg {
		v = -v
	}
	return v, nil
}

// digits reports whether s holds only ASCII digits (true when empty).
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SyntaxError is an amount Parse cannot read. It wraps ErrSyntax.
type SyntaxError struct {
	Input string
}

func (e *SyntaxError) Error() string {
	return "money: " + strconv.Quote(e.Input) + ": " + ErrSyntax.Error()
}

func (e *SyntaxError) Unwrap() error { return ErrSyntax }
