package guide_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/guide"
)

// Real files that pass their guides, repeated to build multi-megabyte
// inputs: the 837P's subscriber loop (one claim, four service lines) and
// the 835's claim payments.
const (
	bench837P = samples + "/837P/moov-io-x12__examples_example_5010_837p_sample.txt"
	bench835  = samples + "/835/jdavisp3-TigerShark__tests_5010-835-example-1.txt"
)

// segmentsOf returns the segments of a sample, without terminators.
func segmentsOf(tb testing.TB, path string) []string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	s := strings.NewReplacer("\r", "", "\n", "").Replace(string(data))
	return strings.Split(strings.TrimSuffix(s, "~"), "~")
}

// build repeats the segments [from, to) of a sample's only transaction set
// (renumbering HL01 when hl) until the input holds at least size bytes,
// splitting it into transaction sets of perSet repeats.
func build(tb testing.TB, path string, size, perSet int, startsRepeat, endsRepeat string, hl bool) []byte {
	tb.Helper()
	segs := segmentsOf(tb, path)
	var envelope, head, rep, tail []string
	i := 0
	for ; !strings.HasPrefix(segs[i], "ST*"); i++ {
		envelope = append(envelope, segs[i])
	}
	st := segs[i]
	for i++; !strings.HasPrefix(segs[i], startsRepeat); i++ {
		head = append(head, segs[i])
	}
	for ; !strings.HasPrefix(segs[i], endsRepeat); i++ {
		rep = append(rep, segs[i])
	}
	for ; !strings.HasPrefix(segs[i], "SE*"); i++ {
		if !hl {
			// An HL transaction's tail is its other HL loops: dropped.
			tail = append(tail, segs[i])
		}
	}
	stFields := strings.Split(st, "*")
	var b bytes.Buffer
	b.Grow(size + 64<<10)
	for _, s := range envelope {
		b.WriteString(s)
		b.WriteString("~\n")
	}
	sets := 0
	for b.Len() < size {
		sets++
		stFields[2] = fmt.Sprintf("%04d", sets)
		b.WriteString(strings.Join(stFields, "*"))
		b.WriteString("~\n")
		n := 2 + len(head) + len(tail)
		for _, s := range head {
			b.WriteString(s)
			b.WriteString("~\n")
		}
		for k := 0; k < perSet; k++ {
			for j, s := range rep {
				if hl && j == 0 {
					f := strings.Split(s, "*")
					f[1] = fmt.Sprint(2 + k)
					s = strings.Join(f, "*")
				}
				b.WriteString(s)
				b.WriteString("~\n")
			}
			n += len(rep)
		}
		for _, s := range tail {
			b.WriteString(s)
			b.WriteString("~\n")
		}
		fmt.Fprintf(&b, "SE*%d*%04d~\n", n, sets)
	}
	gs := strings.Split(envelope[1], "*")
	isa := strings.Split(envelope[0], "*")
	fmt.Fprintf(&b, "GE*%d*%s~\nIEA*1*%s~\n", sets, gs[6], isa[13])
	return b.Bytes()
}

// build837P keeps each subscriber loop's HL and repeats HL*2 to HL*3.
func build837P(tb testing.TB, size int) []byte {
	return build(tb, bench837P, size, 40, "HL*2*", "HL*3*", true)
}

// build835 repeats the claim payments (CLP to the next CLP or SE) of the
// sample's first LX.
func build835(tb testing.TB, size int) []byte {
	return build(tb, bench835, size, 200, "CLP*", "SE*", false)
}

func TestBenchInputsClean(t *testing.T) {
	for name, data := range map[string][]byte{"837P": build837P(t, 1<<20), "835": build835(t, 1<<20)} {
		rep, err := guide.Validate(bytes.NewReader(data), guide.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Clean() || len(rep.Interchanges) != 1 {
			t.Errorf("%s: %d errors, first: %v", name, rep.ErrorCount(), rep.AllErrors()[:min(3, len(rep.AllErrors()))])
		}
	}
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchValidate reports MB per second of CPU time besides the wall-clock
// MB/s: on a shared machine the wall clock also counts the time other
// processes held the core.
func benchValidate(b *testing.B, data []byte, full bool) {
	if _, err := guide.Validate(bytes.NewReader(data[:1<<16]), guide.Options{}); err != nil {
		b.Fatal(err) // builds the guide's index before timing
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	defer func() {
		if cpu := cpuTime() - start; cpu > 0 {
			b.ReportMetric(float64(len(data))*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
		}
	}()
	for i := 0; i < b.N; i++ {
		var rep *edi.ValidationReport
		var err error
		if full {
			rep, err = guide.Validate(bytes.NewReader(data), guide.Options{})
		} else {
			rep, err = edi.Validate(bytes.NewReader(data), edi.ValidateOpts{})
		}
		if err != nil || !rep.Clean() {
			b.Fatalf("%v %v", err, rep.Err())
		}
	}
}

// BenchmarkValidate837P checks a multi-megabyte 837P against 005010X222A1.
func BenchmarkValidate837P(b *testing.B) { benchValidate(b, build837P(b, 8<<20), true) }

// BenchmarkValidate835 checks a multi-megabyte 835 against 005010X221A1.
func BenchmarkValidate835(b *testing.B) { benchValidate(b, build835(b, 8<<20), true) }

// BenchmarkValidateEnvelope837P is the envelope-only pass (edi.Validate)
// over the same 837P, for comparison.
func BenchmarkValidateEnvelope837P(b *testing.B) { benchValidate(b, build837P(b, 8<<20), false) }

// BenchmarkValidateEnvelope835 is the envelope-only pass over the same 835.
func BenchmarkValidateEnvelope835(b *testing.B) { benchValidate(b, build835(b, 8<<20), false) }

// TestMemoryFlat checks that validating a file eight times larger does not
// allocate much more: the walk keeps one transaction set's state.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 16 MB of input")
	}
	if _, err := guide.Validate(bytes.NewReader(build837P(t, 1<<16)), guide.Options{}); err != nil {
		t.Fatal(err) // builds the guides' indexes
	}
	if _, err := guide.Validate(bytes.NewReader(build835(t, 1<<16)), guide.Options{}); err != nil {
		t.Fatal(err)
	}
	alloc := func(data []byte) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := guide.Validate(bytes.NewReader(data), guide.Options{}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	for name, build := range map[string]func(testing.TB, int) []byte{"837P": build837P, "835": build835} {
		small, large := alloc(build(t, 1<<20)), alloc(build(t, 8<<20))
		t.Logf("%s: %d bytes allocated for 1 MB, %d for 8 MB", name, small, large)
		if large > 2*small+1<<20 {
			t.Errorf("%s: %d bytes allocated for 8 MB, %d for 1 MB: memory grows with the file", name, large, small)
		}
	}
}
