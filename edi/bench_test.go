package edi

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	moovfile "github.com/moov-io/x12/pkg/file"
	moov837p "github.com/moov-io/x12/rule_5010_837p"
)

// bench837PSample is a 837P that validates clean against 005010X222A1; its
// subscriber loops (HL*2 to the next HL) are repeated to build the input.
const bench837PSample = "../fixtures/x12/samples/837P/moov-io-x12__examples_example_5010_837p_sample.txt"

// claimsPerSet keeps each transaction set within the loop repeat limits
// moov-io/x12 enforces.
const claimsPerSet = 40

// build837P returns an 837P interchange of at least size bytes: one
// functional group of transaction sets, each with the sample's header and
// billing provider, then its first subscriber loop (one claim with four
// service lines) repeated claimsPerSet times with fresh HL numbers. It keeps
// the sample's delimiters: * and ~, with < as component separator.
func build837P(tb testing.TB, size int) []byte {
	tb.Helper()
	data, err := os.ReadFile(bench837PSample)
	if err != nil {
		tb.Fatal(err)
	}
	segs := strings.Split(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r", ""), "\n", ""), "~")
	var envelope, head, claim []string
	i := 0
	for ; !strings.HasPrefix(segs[i], "ST*"); i++ {
		envelope = append(envelope, segs[i])
	}
	for i++; !strings.HasPrefix(segs[i], "HL*2*"); i++ {
		head = append(head, segs[i])
	}
	for ; !strings.HasPrefix(segs[i], "HL*3*"); i++ {
		claim = append(claim, segs[i])
	}
	var b bytes.Buffer
	b.Grow(size + 64<<10)
	for _, s := range envelope {
		b.WriteString(s)
		b.WriteByte('~')
	}
	sets := 0
	for b.Len() < size {
		sets++
		fmt.Fprintf(&b, "ST*837*%04d*005010X222A1~", sets)
		n := 1
		for _, s := range head {
			b.WriteString(s)
			b.WriteByte('~')
			n++
		}
		for hl := 2; hl < 2+claimsPerSet; hl++ {
			fmt.Fprintf(&b, "HL*%d*1*22*0~", hl)
			for _, s := range claim[1:] {
				b.WriteString(s)
				b.WriteByte('~')
			}
			n += len(claim)
		}
		fmt.Fprintf(&b, "SE*%d*%04d~", n+1, sets)
	}
	fmt.Fprintf(&b, "GE*%d*2120~IEA*1*000002120~", sets)
	return b.Bytes()
}

// BenchmarkReader837P reads every segment of a multi-megabyte 837P, split
// into its elements as the reader hands every segment out, and looks at its
// ID, as a decoder's dispatch does.
func BenchmarkReader837P(b *testing.B) {
	data := build837P(b, 4<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rd := bytes.NewReader(data)
	b.ResetTimer()
	for b.Loop() {
		rd.Reset(data)
		r := NewReader(rd)
		n := 0
		for {
			s, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if s.Is("CLM") {
				n++
			}
		}
		if n == 0 {
			b.Fatal("no claims read")
		}
	}
}

// BenchmarkMoovX12Parse837P parses the same bytes with moov-io/x12, the
// reference point for the reader's speed. moov-io/x12 takes the whole input
// as one string and hard-codes * and ~; the component separator is passed.
func BenchmarkMoovX12Parse837P(b *testing.B) {
	data := build837P(b, 4<<20)
	raw := string(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ic := moovfile.NewInterchange(&moov837p.InterchangeRule)
		if _, err := ic.Parse(raw, "<"); err != nil {
			b.Fatal(err)
		}
		if len(ic.FunctionalGroups) != 1 || len(ic.FunctionalGroups[0].TransactionSets) < 2 {
			b.Fatal("moov-io/x12 did not read the transaction sets")
		}
	}
}
