package claim

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"
)

func TestClaimJSONRoundTrip(t *testing.T) {
	data, err := os.ReadFile("testdata/office-visit.json")
	if err != nil {
		t.Fatal(err)
	}
	var c Claim
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.LineChargeTotal() != c.TotalChargeCents {
		t.Errorf("line total %d, claim total %d", c.LineChargeTotal(), c.TotalChargeCents)
	}
	if got := c.Lines[0].ServiceDate; got != NewDate(2026, time.November, 2) {
		t.Errorf("service date %v", got)
	}
	out, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	var back Claim
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(&back)
	if !bytes.Equal(out, again) {
		t.Fatalf("JSON round trip differs:\n%s\n%s", out, again)
	}
	if bytes.Contains(out, []byte("onsetDate")) {
		t.Error("zero dates are written")
	}
}

func TestQuantity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Quantity
		text string
	}{{"1", 1000, "1"}, {"1.5", 1500, "1.5"}, {".25", 250, "0.25"}, {"12.125", 12125, "12.125"}, {"2.500", 2500, "2.5"}, {"-1", -1000, "-1"}} {
		q, err := ParseQuantity(tc.in)
		if err != nil || q != tc.want {
			t.Errorf("ParseQuantity(%q) = %d, %v", tc.in, q, err)
		}
		if q.String() != tc.text {
			t.Errorf("%d.String() = %q, want %q", q, q.String(), tc.text)
		}
	}
	for _, in := range []string{"", ".", "1.2345", "1a", "--1"} {
		if _, err := ParseQuantity(in); err == nil {
			t.Errorf("ParseQuantity(%q) did not fail", in)
		}
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("20240229")
	if err != nil || d != NewDate(2024, 2, 29) {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	if d.X12() != "20240229" || d.String() != "2024-02-29" {
		t.Errorf("formats %q %q", d.X12(), d.String())
	}
	if !d.Before(d.AddDays(1)) || d.AddDays(1).DaysSince(d) != 1 {
		t.Error("date arithmetic")
	}
	if _, err := ParseDate("2023-02-29"); err == nil {
		t.Error("accepted 2023-02-29")
	}
}

func TestServiceSpan(t *testing.T) {
	c := Claim{Lines: []ServiceLine{
		{ServiceDate: NewDate(2026, 1, 5)},
		{ServiceDate: NewDate(2026, 1, 2), ServiceDateEnd: NewDate(2026, 1, 9)},
	}}
	from, to := c.ServiceSpan()
	if from != NewDate(2026, 1, 2) || to != NewDate(2026, 1, 9) {
		t.Fatalf("span %v..%v", from, to)
	}
}

func TestPayerOrder(t *testing.T) {
	for code, want := range map[string]int{"": 1, "P": 1, "U": 1, "S": 2, "T": 3, "A": 4, "H": 11, "X": 1} {
		if got := PayerOrder(code); got != want {
			t.Errorf("PayerOrder(%q) = %d, want %d", code, got, want)
		}
	}
}
