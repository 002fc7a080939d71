package scrub_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/scrub"
)

// benchClaims makes n claims for payer SUMMT (22 CEL rules plus the common
// file's 2), varied in codes, lines and dates; some raise findings.
func benchClaims(b testing.TB, n int) []claim.Claim {
	base := officeVisit(b)
	procs := []string{"99213", "99214", "36415", "93000", "20610", "G0439", "97110", "J1100"}
	dx := []string{"J069", "R509", "E119", "I10", "M5416", "Z0000", "E785", "J029"}
	out := make([]claim.Claim, n)
	for i := range out {
		c := *base
		c.PatientControlNumber = fmt.Sprintf("PCN%07d", i)
		c.Diagnoses = []claim.Diagnosis{{Code: dx[i%len(dx)]}, {Code: dx[(i+3)%len(dx)]}}
		nl := 1 + i%4
		c.Lines = make([]claim.ServiceLine, nl)
		var total int64
		for j := range c.Lines {
			l := base.Lines[0]
			l.ProcedureCode = procs[(i+j)%len(procs)]
			l.ChargeCents = int64(5000 + 100*j)
			l.ServiceDate = claim.NewDate(2026, 2, 1+i%27)
			l.DiagnosisPointers = []int{1 + j%2}
			total += l.ChargeCents
			c.Lines[j] = l
		}
		c.TotalChargeCents = total
		out[i] = c
	}
	return out
}

// BenchmarkScrub scrubs 100,000 claims per iteration with every built-in
// edit, the NCCI/MUE sample tables and the SUMMT rule file.
func BenchmarkScrub(b *testing.B) {
	s := scrubber(b)
	const n = 100_000
	claims := benchClaims(b, n)
	opts := scrub.Options{Today: today}
	var buf []scrub.Finding
	findings := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		findings = 0
		for i := range claims {
			buf = s.AppendScrub(buf[:0], &claims[i], opts)
			findings += len(buf)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "claims/s")
	b.ReportMetric(float64(findings)/n, "findings/claim")
}

// TestConcurrentScrub scrubs the same claims from several goroutines, each
// with its pooled rule views, and expects the findings of a sequential run.
func TestConcurrentScrub(t *testing.T) {
	s := scrubber(t)
	claims := benchClaims(t, 2000)
	opts := scrub.Options{Today: today}
	want := make([][]scrub.Finding, len(claims))
	for i := range claims {
		want[i] = s.Scrub(&claims[i], opts)
	}
	const workers = 4
	got := make([][][]scrub.Finding, workers)
	var wg sync.WaitGroup
	for w := range workers {
		got[w] = make([][]scrub.Finding, len(claims))
		wg.Go(func() {
			// Each worker walks the claims from a different start, so the
			// views see the claims in different orders.
			for k := range claims {
				i := (k + w*len(claims)/workers) % len(claims)
				got[w][i] = s.Scrub(&claims[i], opts)
			}
		})
	}
	wg.Wait()
	for w := range workers {
		for i := range claims {
			if !reflect.DeepEqual(got[w][i], want[i]) {
				t.Fatalf("worker %d, claim %d: got %v, want %v", w, i, got[w][i], want[i])
			}
		}
	}
}
