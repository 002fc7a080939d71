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

// bigClaim is one SUMMT claim of n service lines: the procedure codes of
// benchClaims, 27 dates of service, so every date carries NCCI pairs and
// MUE limits many times over (issue 14, item 8).
func bigClaim(b testing.TB, n int) *claim.Claim {
	base := officeVisit(b)
	procs := []string{"99213", "99214", "36415", "93000", "20610", "G0439", "97110", "J1100"}
	c := *base
	c.Diagnoses = []claim.Diagnosis{{Code: "J069"}, {Code: "R509"}, {Code: "E119"}, {Code: "I10"}}
	c.Lines = make([]claim.ServiceLine, n)
	var total int64
	for j := range c.Lines {
		l := base.Lines[0]
		l.ProcedureCode = procs[j%len(procs)]
		l.ChargeCents = int64(5000 + j%100)
		l.ServiceDate = claim.NewDate(2026, 2, 1+j/len(procs)%27)
		l.DiagnosisPointers = []int{1 + j%4}
		if j%5 == 0 {
			l.Modifiers = []string{"25"}
		}
		total += l.ChargeCents
		c.Lines[j] = l
	}
	c.TotalChargeCents = total
	return &c
}

// BenchmarkScrubLines scrubs one claim of 1,000, 5,000 and 20,000 service
// lines: the cost per line must stay flat as the claim grows.
func BenchmarkScrubLines(b *testing.B) {
	s := scrubber(b)
	opts := scrub.Options{Today: today}
	for _, n := range []int{1_000, 5_000, 20_000} {
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			c := bigClaim(b, n)
			var buf []scrub.Finding
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				buf = s.AppendScrub(buf[:0], c, opts)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(len(buf)), "findings")
		})
	}
}

// TestScrubGrowsLinearly: scrubbing a claim of 4n lines allocates and finds
// at most about 4 times what a claim of n lines does (issue 14, item 8:
// pairs of lines used to draw a finding each). It counts, never times.
func TestScrubGrowsLinearly(t *testing.T) {
	if testing.Short() {
		t.Skip("scrubs claims of thousands of lines")
	}
	s := scrubber(t)
	opts := scrub.Options{Today: today}
	measure := func(n int) (allocs float64, findings int) {
		c := bigClaim(t, n)
		var buf []scrub.Finding
		allocs = testing.AllocsPerRun(2, func() { buf = s.AppendScrub(buf[:0], c, opts) })
		return allocs, len(buf)
	}
	const n = 1000
	a1, f1 := measure(n)
	a4, f4 := measure(4 * n)
	t.Logf("%d lines: %.0f allocs, %d findings; %d lines: %.0f allocs, %d findings", n, a1, f1, 4*n, a4, f4)
	if a4 > 5*a1 || f4 > 5*f1 {
		t.Errorf("%d lines: %.0f allocs, %d findings; %d lines: %.0f allocs, %d findings: want at most 5 times", n, a1, f1, 4*n, a4, f4)
	}
}
