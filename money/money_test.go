package money

import (
	"errors"
	"math"
	"testing"
)

func TestString(t *testing.T) {
	for c, want := range map[Cents]string{
		0: "0.00", 5: "0.05", 2250: "22.50", -150: "-1.50", -5: "-0.05", 100: "1.00", 123456: "1234.56",
		math.MaxInt64: "92233720368547758.07", math.MinInt64: "-92233720368547758.08",
	} {
		if got := c.String(); got != want {
			t.Errorf("Cents(%d).String() = %q, want %q", int64(c), got, want)
		}
	}
}

func TestDollars(t *testing.T) {
	for c, want := range map[Cents]string{
		0: "$0.00", 2250: "$22.50", -150: "-$1.50", 100000: "$1,000.00", 123456789: "$1,234,567.89",
		-2000: "-$20.00", 99999: "$999.99", -100000000: "-$1,000,000.00",
	} {
		if got := c.Dollars(); got != want {
			t.Errorf("Cents(%d).Dollars() = %q, want %q", int64(c), got, want)
		}
	}
}

func TestParse(t *testing.T) {
	for s, want := range map[string]Cents{
		"22.5": 2250, "22.50": 2250, "-1.50": -150, "0.05": 5, ".5": 50, "22": 2200, "5.": 500, "1.500": 150, "1.050": 105,
		"$1,234.50": 123450, "-$20.00": -2000, "$0.00": 0, "1,000": 100000, "0": 0, "-0.01": -1,
	} {
		got, err := Parse(s)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-", "$", ".", "-.", "1.005", "1.2.3", "abc", "1e3", "+5", " 5", "5 ", "1,23", ",123", "1234,567",
		"12,34.5", "$-5", "--5", "0x10", "99999999999999999999", "1_000", "NaN"} {
		_, err := Parse(s)
		var se *SyntaxError
		if !errors.Is(err, ErrSyntax) || !errors.As(err, &se) || se.Input != s {
			t.Errorf("Parse(%q): err %v, want a *SyntaxError", s, err)
		}
	}
}

// TestRegressionNegativeAppointmentAmount: the appointment commands printed
// -150 cents as "$-1.-50".
func TestRegressionNegativeAppointmentAmount(t *testing.T) {
	if got := Cents(-150).Dollars(); got != "-$1.50" {
		t.Errorf("Dollars() = %q", got)
	}
	if got := Cents(-150).String(); got != "-1.50" {
		t.Errorf("String() = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"22.5", "-$1,234.50", "1.500", "", ".", "1,23"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		for _, form := range []string{c.String(), c.Dollars()} {
			back, err := Parse(form)
			if err != nil || back != c {
				t.Fatalf("Parse(%q) = %d; Parse(%q) = %d, %v", s, c, form, back, err)
			}
		}
	})
}

func BenchmarkString(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 32)
	for b.Loop() {
		buf = Cents(-123456).AppendText(buf[:0])
	}
}
