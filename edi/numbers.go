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
	if len(b) != 8 {
		return time.Time{}, errDate
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return time.Time{}, errDate
		}
		n = n*10 + int(c-'0')
	}
	y, m, d := n/10000, n/100%100, n%100
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, errDate
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, errDate
	}
	return t, nil
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
