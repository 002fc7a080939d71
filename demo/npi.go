package demo

import "strconv"

// npiCheckDigit returns the check digit of a 9-digit NPI stem: the Luhn
// digit computed over the stem prefixed with 80840, the card issuer prefix
// CMS assigns to the NPI (CMS, "Requirements for NPI check digit").
func npiCheckDigit(stem string) byte {
	digits := "80840" + stem
	sum := 0
	// Double every second digit from the right of the number that the
	// check digit will be appended to.
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// validNPI reports whether s is ten digits with a correct check digit.
func validNPI(s string) bool {
	if len(s) != 10 {
		return false
	}
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return false
	}
	return npiCheckDigit(s[:9]) == s[9]
}
