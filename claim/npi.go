package claim

// ValidNPI reports whether s is a National Provider Identifier: ten digits
// whose last is the check digit of the first nine (NPICheckDigit).
func ValidNPI(s string) bool {
	if len(s) != 10 || s[9] < '0' || s[9] > '9' {
		return false
	}
	d, ok := NPICheckDigit(s[:9])
	return ok && d == s[9]
}

// NPICheckDigit returns the check digit of a 9-digit NPI stem: the Luhn
// check digit computed over the stem prefixed with 80840, the health
// industry card issuer prefix (CMS, "Requirements for National Provider
// Identifier (NPI) and NPI Enumeration", check digit standard). ok is false
// when stem is not nine digits.
func NPICheckDigit(stem string) (digit byte, ok bool) {
	if len(stem) != 9 {
		return 0, false
	}
	// The prefix 80840 adds a constant 24 to the Luhn sum: 8, 0, 8, 4, 0
	// with the doubled positions counted from the right of the full number.
	sum := 24
	for i := 8; i >= 0; i-- {
		c := stem[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if (8-i)%2 == 0 { // the stem's last digit is doubled
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10), true
}
