package claim

import (
	"strconv"
)

// Quantity is a count of units in thousandths, exact: 1500 is 1.5 units.
// Its JSON form is a number such as 1.5.
type Quantity int64

// Units returns n whole units.
func Units(n int64) Quantity { return Quantity(n * 1000) }

// ParseQuantity parses a decimal such as "2", "1.5" or ".25" exactly.
func ParseQuantity(s string) (Quantity, error) {
	if s == "" {
		return 0, errQuantity
	}
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	var whole, frac int64
	fd := 0
	seenDot, digits := false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !seenDot:
			seenDot = true
		case c >= '0' && c <= '9':
			digits++
			if seenDot {
				if fd >= 3 {
					if c != '0' {
						return 0, errQuantity
					}
					continue
				}
				frac = frac*10 + int64(c-'0')
				fd++
			} else {
				if whole > 1e14 {
					return 0, errQuantity
				}
				whole = whole*10 + int64(c-'0')
			}
		default:
			return 0, errQuantity
		}
	}
	if digits == 0 {
		return 0, errQuantity
	}
	for ; fd < 3; fd++ {
		frac *= 10
	}
	q := Quantity(whole*1000 + frac)
	if neg {
		q = -q
	}
	return q, nil
}

// AppendText appends q as a decimal without needless zeros.
func (q Quantity) AppendText(b []byte) []byte {
	n := int64(q)
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/1000, 10)
	if f := n % 1000; f != 0 {
		var d [4]byte
		d[0] = '.'
		d[1] = byte('0' + f/100)
		d[2] = byte('0' + f/10%10)
		d[3] = byte('0' + f%10)
		k := 4
		for d[k-1] == '0' {
			k--
		}
		b = append(b, d[:k]...)
	}
	return b
}

// String formats q as a decimal.
func (q Quantity) String() string { return string(q.AppendText(nil)) }

// MarshalJSON writes q as a JSON number.
func (q Quantity) MarshalJSON() ([]byte, error) { return q.AppendText(nil), nil }

// UnmarshalJSON reads a JSON number (or a numeric string).
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	if s == "null" {
		return nil
	}
	v, err := ParseQuantity(s)
	if err != nil {
		return err
	}
	*q = v
	return nil
}
