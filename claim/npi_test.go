package claim

import "testing"

func TestValidNPI(t *testing.T) {
	for npi, want := range map[string]bool{
		"1234567893": true, // the CMS example
		"1987654328": true, "1122334455": true, "1245319599": true, "1659412344": true,
		"1234567890": false, "123456789": false, "12345678931": false, "12345a7893": false, "12345678a3": false,
		"123456789a": false, "12345678AB": false, "": false, "-234567893": false,
	} {
		if got := ValidNPI(npi); got != want {
			t.Errorf("ValidNPI(%q) = %v, want %v", npi, got, want)
		}
	}
}

// TestNPICheckDigitPrefix checks the constant 24 that the 80840 prefix adds
// against the Luhn sum spelled out over the full 15 digits.
func TestNPICheckDigitPrefix(t *testing.T) {
	for _, stem := range []string{"123456789", "000000000", "999999999", "198765432", "165941234"} {
		full := "80840" + stem
		sum, double := 0, true
		for i := len(full) - 1; i >= 0; i-- {
			d := int(full[i] - '0')
			if double {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum += d
			double = !double
		}
		want := byte('0' + (10-sum%10)%10)
		if got, ok := NPICheckDigit(stem); !ok || got != want {
			t.Errorf("NPICheckDigit(%s) = %c %v, want %c", stem, got, ok, want)
		}
	}
	for _, bad := range []string{"", "12345678", "1234567890", "12345678x"} {
		if _, ok := NPICheckDigit(bad); ok {
			t.Errorf("NPICheckDigit(%q) ok", bad)
		}
	}
}

func FuzzValidNPI(f *testing.F) {
	for _, s := range []string{"1234567893", "1234567890", "", "12345678a3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidNPI(s) {
			return
		}
		d, ok := NPICheckDigit(s[:9])
		if !ok || d != s[9] || len(s) != 10 {
			t.Fatalf("%q valid but check digit %c %v", s, d, ok)
		}
	})
}
