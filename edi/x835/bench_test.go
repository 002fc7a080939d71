package x835

import (
	"bytes"
	"io"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// genClaim fills c with the i-th claim of a generated remittance: two
// service lines with contractual and patient adjustments, balanced.
func genClaim(c *ClaimPayment, i int) {
	charge1 := int64(10000 + i%50*100)
	charge2 := int64(2500 + i%7*100)
	co1, pr1 := charge1/10, charge1/5
	co2 := charge2 / 4
	*c = ClaimPayment{
		HeaderNumber:               int64(1 + i/1000%3),
		PatientControlNumber:       "PCN" + itoa(i),
		Status:                     "1",
		ChargeCents:                charge1 + charge2,
		PaidCents:                  charge1 - co1 - pr1 + charge2 - co2,
		PatientResponsibilityCents: pr1,
		FilingIndicator:            "12",
		PayerClaimControlNumber:    "PAYER" + itoa(i),
		FacilityType:               "11",
		Frequency:                  "1",
		Patient:                    Name{EntityCode: "QC", EntityType: "1", Last: "PATIENT", First: "TEST", IDQualifier: "MI", ID: "M" + itoa(i)},
		RenderingProvider:          Name{EntityCode: "82", EntityType: "1", Last: "WELBY", First: "MARCUS", IDQualifier: "XX", ID: "1234567893"},
		Dates:                      []DateRef{{"050", day(2026, 1, 7)}},
		ServiceLines: []ServicePayment{
			{Procedure: Procedure{Qualifier: "HC", Code: "99214", Modifiers: [4]string{"25"}}, ChargeCents: charge1, PaidCents: charge1 - co1 - pr1, Units: "1",
				Dates:       []DateRef{{"472", day(2026, 1, 5)}},
				Adjustments: []Adjustment{{Group: "CO", Reason: "45", AmountCents: co1}, {Group: "PR", Reason: "2", AmountCents: pr1}},
				References:  []Reference{{"6R", "L" + itoa(i) + "-1"}},
				Amounts:     []Amount{{"B6", charge1 - co1}}},
			{Procedure: Procedure{Qualifier: "HC", Code: "36415"}, ChargeCents: charge2, PaidCents: charge2 - co2, Units: "1",
				Dates:       []DateRef{{"472", day(2026, 1, 5)}},
				Adjustments: []Adjustment{{Group: "CO", Reason: "45", AmountCents: co2}},
				Amounts:     []Amount{{"B6", charge2 - co2}},
				Remarks:     []Remark{{"HE", "N130"}}},
		},
	}
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

// generate writes an interchange of n claims, 5,000 per transaction set,
// each set with one PLB interest adjustment.
func generate(w io.Writer, n int) error {
	isa, gs := envelope(1)
	e := NewEncoder(w, isa, gs)
	var c ClaimPayment
	for start, set := 0, int64(1); start < n; start, set = start+5000, set+1 {
		end := min(start+5000, n)
		var sum int64
		for i := start; i < end; i++ {
			genClaim(&c, i)
			sum += c.PaidCents
		}
		plb := []ProviderAdjustment{{ProviderID: "1234567893", FiscalPeriodEnd: day(2026, 12, 31), Reason: ReasonInterest, AmountCents: -100}}
		r := Remittance{HandlingCode: "I", TotalPaidCents: sum + 100, CreditDebit: "C", PaymentMethod: "CHK",
			PaymentDate: day(2026, 1, 15), TraceType: "1", TraceNumber: "CHK" + itoa(int(set)), TraceOriginator: "1370000001",
			Payer: payer(), Payee: payee()}
		e.BeginRemittance(&r, set)
		for i := start; i < end; i++ {
			genClaim(&c, i)
			e.WriteClaim(&c)
		}
		e.EndRemittance(plb)
	}
	return e.Close()
}

// BenchmarkDecode835 decodes a generated file of at least 50 MB with
// balancing on.
func BenchmarkDecode835(b *testing.B) {
	var buf bytes.Buffer
	n := 0
	for buf.Len() < 50<<20 {
		buf.Reset()
		n += 60000
		if err := generate(&buf, n); err != nil {
			b.Fatal(err)
		}
	}
	in := buf.Bytes()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	claims := 0
	cpu0 := cpuTime()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(in))
		claims = 0
		for d.Next() {
			claims++
			if len(d.Claim().Errors) > 0 {
				b.Fatal(d.Claim().Errors[0])
			}
		}
		if d.Err() != nil {
			b.Fatal(d.Err())
		}
	}
	b.ReportMetric(float64(claims), "claims/op")
	// The machine may be shared: MB per second of this process's CPU time
	// (all threads, GC included) is steadier than wall-clock MB/s.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(len(in))*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}

// peakHeap decodes a generated stream of n claims, never held whole, and
// returns the largest live heap seen.
func peakHeap(t *testing.T, n int) uint64 {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(generate(pw, n)) }()
	d := NewDecoder(pr)
	var peak uint64
	var ms runtime.MemStats
	i := 0
	for d.Next() {
		i++
		if i%2000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	if i != n {
		t.Fatalf("decoded %d claims, want %d", i, n)
	}
	return peak
}

// The decoder's heap stays flat as the file grows: ten times the claims
// must not need more than a small constant more memory.
func TestHeapFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	small := peakHeap(t, 4000)
	large := peakHeap(t, 40000)
	t.Logf("peak heap: %d bytes at 4,000 claims, %d at 40,000", small, large)
	if large > small+(1<<20) {
		t.Fatalf("heap grew from %d to %d bytes", small, large)
	}
}
