package x835

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/clearhouse/clearhouse/edi"
)

// FuzzDecode feeds arbitrary input to the decoder: it must not panic, every
// error must be positioned and wrap a sentinel, and what decodes cleanly
// must encode and decode back to the same claims.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(unbalanced))
	// The hostile corpus (testdata/hostile) of this transaction.
	hostile, _ := filepath.Glob("../../testdata/hostile/835/*.x12")
	for _, file := range hostile {
		if b, err := os.ReadFile(file); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewDecoder(bytes.NewReader(in))
		var claims []*ClaimPayment
		clean := true
		for d.Next() {
			c := d.Claim()
			for _, e := range c.Errors {
				checkErr(t, e)
				clean = false
			}
			claims = append(claims, c.Clone())
		}
		if err := d.Err(); err != nil {
			var pe *edi.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is not an *edi.Error: %v", err)
			}
			return
		}
		rems := d.Remittances()
		for _, r := range rems {
			for _, e := range r.Errors {
				checkErr(t, e)
				clean = false
			}
		}
		if !clean || len(rems) != 1 {
			return
		}
		var buf bytes.Buffer
		isa, gs := envelope(1)
		e := NewEncoder(&buf, isa, gs)
		r := *rems[0]
		e.BeginRemittance(&r, 1)
		for _, c := range claims {
			e.WriteClaim(c)
		}
		e.EndRemittance(r.ProviderAdjustments)
		if e.Close() != nil {
			return // the input lacked something the encoder requires
		}
		again, _, err := decodeAll(t, buf.Bytes())
		if err != nil {
			t.Fatalf("re-decoding encoded output: %v\n%s", err, buf.Bytes())
		}
		if len(again) != len(claims) {
			t.Fatalf("%d claims after round trip, want %d", len(again), len(claims))
		}
		for i := range again {
			a, b := again[i], claims[i]
			if a.PatientControlNumber != b.PatientControlNumber || a.PaidCents != b.PaidCents || a.ChargeCents != b.ChargeCents ||
				len(a.ServiceLines) != len(b.ServiceLines) || len(a.Adjustments) != len(b.Adjustments) {
				t.Fatalf("claim %d differs after round trip:\n%+v\n%+v", i, a, b)
			}
		}
	})
}

func checkErr(t *testing.T, e *edi.Error) {
	t.Helper()
	if e.Pos.Segment == 0 {
		t.Fatalf("unpositioned error: %v", e)
	}
	if !errors.Is(e, edi.ErrSyntax) && !errors.Is(e, edi.ErrImplementation) && !errors.Is(e, edi.ErrBalance) {
		t.Fatalf("error wraps no sentinel: %v", e)
	}
}
