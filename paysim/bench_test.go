package paysim

import (
	"fmt"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
)

// benchClaims repeats the test claims with distinct patient control numbers.
func benchClaims(b *testing.B, n int) []claim.Claim {
	base := loadClaims(b, "office-visit-single-line", "multi-line-modifiers", "dependent-patient", "ndc-drug")
	out := make([]claim.Claim, 0, n)
	for i := range n {
		c := base[i%len(base)]
		c.PatientControlNumber = fmt.Sprintf("B%07d", i)
		out = append(out, c)
	}
	return out
}

// BenchmarkAnswer837 measures answering an 837 of 1000 claims: envelope
// validation, the 999, decoding, the 277CA and adjudication.
func BenchmarkAnswer837(b *testing.B) {
	s := newTestSim(b, "")
	in := encode837(b, 41, benchClaims(b, 1000))
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		rc := &responder{sim: s, st: newState(), payer: simPayer, profile: s.profile(simPayer), name: "bench.x12", now: simClock}
		out, err := rc.answer(b.Context(), in)
		if err != nil || len(out) != 2 {
			b.Fatalf("%d responses, %v", len(out), err)
		}
	}
}

// BenchmarkRelease835 measures writing the 835 of 1000 adjudicated claims.
func BenchmarkRelease835(b *testing.B) {
	s := newTestSim(b, "")
	in := encode837(b, 41, benchClaims(b, 1000))
	rc := &responder{sim: s, st: newState(), payer: simPayer, profile: s.profile(simPayer), name: "bench.x12", now: simClock}
	if _, err := rc.answer(b.Context(), in); err != nil {
		b.Fatal(err)
	}
	pending := rc.st.Pending
	b.ReportAllocs()
	var size int
	for b.Loop() {
		st := newState()
		f, err := s.write835(st, pending, simClock.Add(100*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		size = len(f.content)
	}
	b.SetBytes(int64(size))
}
