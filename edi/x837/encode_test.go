package x837

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
)

func officeVisit(t testing.TB) claim.Claim {
	t.Helper()
	return loadClaims(t, "testdata/claims/office-visit-single-line.json")[0]
}

func TestEncodeRejectsInvalidClaims(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *claim.Claim)
		want   string // in the error
		is     error
	}{
		{"five-digit billing ZIP", func(c *claim.Claim) { c.BillingProvider.Address.PostalCode = "19064" }, "2010AA N4 N403", edi.ErrImplementation},
		{"no NPI", func(c *claim.Claim) { c.BillingProvider.NPI = "" }, "2010AA NM1 NM109", ErrInvalidClaim},
		{"replacement without F8", func(c *claim.Claim) { c.FrequencyCode = "7" }, "REF*F8", ErrInvalidClaim},
		{"unbalanced", func(c *claim.Claim) { c.TotalChargeCents++ }, "2300 CLM CLM02", edi.ErrBalance},
		{"bad pointer", func(c *claim.Claim) { c.Lines[0].DiagnosisPointers = []int{3} }, "SV107", ErrInvalidClaim},
		{"no lines", func(c *claim.Claim) { c.Lines = nil; c.TotalChargeCents = 0 }, "2400 LX", ErrInvalidClaim},
		{"institutional field on 837P", func(c *claim.Claim) { c.PatientStatus = "01" }, "CL1", ErrInvalidClaim},
		{"no subscriber birth date", func(c *claim.Claim) { c.Subscriber.BirthDate = claim.Date{} }, "2010BA DMG DMG02", ErrInvalidClaim},
		{"unknown kind", func(c *claim.Claim) { c.Kind = "837D" }, "ST03", ErrInvalidClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := officeVisit(t)
			tt.change(&c)
			var out bytes.Buffer
			e := NewEncoder(&out, testEnvelope())
			err := e.Encode(&c)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want one naming %q and matching %v", err, tt.want, tt.is)
			}
			if !strings.Contains(err.Error(), `"PCN0001"`) {
				t.Errorf("error %q does not name the patient control number", err)
			}
			if out.Len() != 0 {
				t.Errorf("an invalid claim wrote %d bytes", out.Len())
			}
			// The encoder goes on after an invalid claim.
			good := officeVisit(t)
			if err := e.Encode(&good); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if got := e.Placements(); len(got) != 1 || got[0].PatientControlNumber != "PCN0001" {
				t.Errorf("placements %+v", got)
			}
		})
	}
}

func TestEnvelopeValidation(t *testing.T) {
	env := testEnvelope()
	env.Time = env.Time.AddDate(-3000, 0, 0)
	env.Usage = "X"
	c := officeVisit(t)
	_, err := EncodeBatch(&bytes.Buffer{}, env, []claim.Claim{c})
	if !errors.Is(err, ErrEnvelope) {
		t.Fatalf("err = %v, want ErrEnvelope", err)
	}
	if _, err := EncodeBatch(&bytes.Buffer{}, testEnvelope(), nil); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("empty batch: err = %v", err)
	}
}

func TestDelimiterInDataIsSticky(t *testing.T) {
	c := officeVisit(t)
	c.Subscriber.LastName = "O*BRIEN"
	e := NewEncoder(&bytes.Buffer{}, testEnvelope())
	if err := e.Encode(&c); !errors.Is(err, edi.ErrDelimiterInData) {
		t.Fatalf("err = %v, want ErrDelimiterInData", err)
	}
	if err := e.Close(); !errors.Is(err, edi.ErrDelimiterInData) {
		t.Fatalf("Close: err = %v", err)
	}
}

// TestSplitting checks the transaction set and interchange limits, the
// control number allocator, and a new group when the claim kind changes.
func TestSplitting(t *testing.T) {
	prof := officeVisit(t)
	inst := loadClaims(t, "testdata/claims/institutional-outpatient.json")[0]
	claims := []claim.Claim{prof, prof, prof, inst, inst, prof}
	for i := range claims {
		claims[i].PatientControlNumber = "C" + itoa(i)
	}
	env := testEnvelope()
	env.MaxClaimsPerSet = 2
	env.MaxClaimsPerInterchange = 5
	next := map[ControlLevel]int64{ControlInterchange: 700, ControlGroup: 80, ControlSet: 9000}
	env.Controls.Next = func(l ControlLevel) (int64, error) { next[l]++; return next[l], nil }
	var out bytes.Buffer
	pl, err := EncodeBatch(&out, env, claims)
	if err != nil {
		t.Fatal(err)
	}
	want := []Placement{
		{"C0", "", 701, 81, 9001}, {"C1", "", 701, 81, 9001}, {"C2", "", 701, 81, 9002},
		{"C3", "", 701, 82, 9003}, {"C4", "", 701, 82, 9003}, {"C5", "", 702, 83, 9004},
	}
	for i := range want {
		if pl[i] != want[i] {
			t.Errorf("placement %d = %+v, want %+v", i, pl[i], want[i])
		}
	}
	if sets := checkEnvelope(t, "split", out.Bytes()); sets != 4 {
		t.Errorf("%d transaction sets, want 4", sets)
	}
	got, envs, err := decodeAll(t, "split", out.Bytes())
	if err != nil || len(got) != len(claims) {
		t.Fatalf("decoded %d claims: %v", len(got), err)
	}
	for i := range got {
		if got[i].PatientControlNumber != claims[i].PatientControlNumber || got[i].Kind != claims[i].Kind ||
			envs[i].Controls.Set != want[i].Set || envs[i].Controls.Interchange != want[i].Interchange {
			t.Errorf("claim %d: %s %s in %+v", i, got[i].PatientControlNumber, got[i].Kind, envs[i].Controls)
		}
	}
}

// TestElemQuantity checks the integer shortcut for whole quantities writes
// the text claim.Quantity.AppendText gives.
func TestElemQuantity(t *testing.T) {
	for _, q := range []claim.Quantity{0, 1000, 2000, 1500, 250, 1, -1000, -1500, 999000, 12345678000,
		claim.Quantity(math.MaxInt64), claim.Quantity(math.MinInt64), claim.Quantity(math.MinInt64 + 808)} {
		var buf bytes.Buffer
		e := NewEncoder(&buf, benchEnvelope())
		e.w.Begin("SV1")
		e.elemQuantity(q)
		e.w.End()
		if err := e.w.Flush(); err != nil {
			t.Fatal(err)
		}
		if want := "SV1*" + q.String() + "~"; buf.String() != want {
			t.Errorf("quantity %d: got %q, want %q", int64(q), buf.String(), want)
		}
	}
}
