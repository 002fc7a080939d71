package edi

import (
	"errors"
	"time"
)

var (
	errAmount = errors.New("not a decimal amount")
	errDate   = errors.New("not a CCYYMMDD date")
)

// ParseAmount parses an X12 decimal (R) amount into cents exactly, without
// floating point: "125", "125.5", "-0.05", ".5". More than two decimal places
// are accepted only when the extra digits are zeros.
func ParseAmount(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 18 {
		return 0, errAmount
	}
	neg := false
	i := 0
	switch b[0] {
	case '-':
		neg = true
		i++
	case '+':
		i++
	}
	var whole int64
	digits := 0
	for ; i < len(b) && b[i] != '.'; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, errAmount
		}
		whole = whole*10 + int64(c-'0')
		digits++
	}
	var frac int64
	fd := 0
	if i < len(b) { // b[i] == '.'
		i++
		for ; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, errAmount
			}
			if fd < 2 {
				frac = frac*10 + int64(c-'0')
			} else if c != '0' {
				return 0, errAmount
			}
			fd++
			digits++
		}
	}
	if digits == 0 {
		return 0, errAmount
	}
	if fd == 1 {
		frac *= 10
	}
	v := whole*100 + frac
	if neg {
		v = -v
	}
	return v, nil
}

// ParseDate parses a CCYYMMDD date as midnight UTC.
func ParseDate(b []byte) (time.Time, error) {
	y, m, d, ok := ParseCCYYMMDD(b)
	if !ok {
		return time.Time{}, errDate
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
}

// daysIn is the most days each month has (February in a leap year).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// ParseCCYYMMDD reads an X12 date (DT, CCYYMMDD) into its parts, and
// reports whether b is one: eight digits naming a day of the Gregorian
// calendar. It is the one parser of CCYYMMDD dates; ParseDate and the
// decoders' own date types build on it.
func ParseCCYYMMDD(b []byte) (year int, month time.Month, day int, ok bool) {
	if len(b) != 8 {
		return 0, 0, 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, 0, 0, false
		}
		n = n*10 + int(c-'0')
	}
	y, m, d := n/10000, n/100%100, n%100
	if m < 1 || m > 12 || d < 1 || d > daysIn[m] || m == 2 && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		return 0, 0, 0, false
	}
	return y, time.Month(m), d, true
}

// ParseInt parses an unsigned or signed decimal integer (N0) element.
func ParseInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 18 {
		return 0, errAmount
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, errAmount
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errAmount
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}
