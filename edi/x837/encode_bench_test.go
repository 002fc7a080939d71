package x837

import (
	"io"
	"strings"
	"testing"

	moovfile "github.com/moov-io/x12/pkg/file"
	moov837p "github.com/moov-io/x12/rule_5010_837p"
)

// BenchmarkEncode837PMoovSubset and BenchmarkMoovX12Write837P compare the
// encoder with moov-io/x12's writer on the same bytes: 10,000 claims of the
// kinds moov-io/x12 v0.1.0 can represent, in interchanges of 500 claims.
// moov-io/x12 writes from its parsed model (Interchange.String), so its
// interchanges are parsed once, outside the timed loop.
func BenchmarkEncode837PMoovSubset(b *testing.B) {
	claims := benchBatch(b, true)
	env := benchEnvelope()
	env.MaxClaimsPerInterchange = 500
	var cw countWriter
	if _, err := EncodeBatch(&cw, env, claims); err != nil {
		b.Fatal(err)
	}
	m := startCPU(b, cw.n)
	for b.Loop() {
		if _, err := EncodeBatch(io.Discard, env, claims); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

func BenchmarkMoovX12Write837P(b *testing.B) {
	data := encodedBatch(b, true)
	var ics []*moovfile.Interchange
	n := 0
	for rest := string(data); rest != ""; {
		end := strings.Index(rest[1:], "~ISA*") + 2
		if end == 1 {
			end = len(rest)
		}
		raw := rest[:end]
		rest = rest[end:]
		ic := moovfile.NewInterchange(&moov837p.InterchangeRule)
		if k, err := ic.Parse(raw, ":"); err != nil || k != len(raw) {
			b.Fatalf("moov-io/x12 parsed %d of %d bytes: %v", k, len(raw), err)
		}
		// The comparison holds only if moov-io/x12 writes back the very
		// bytes it read.
		if out := ic.String(":"); out != raw {
			b.Fatalf("moov-io/x12 wrote %d bytes for an interchange of %d", len(out), len(raw))
		}
		ics = append(ics, ic)
		n += len(raw)
	}
	if n != len(data) {
		b.Fatalf("split %d of %d bytes", n, len(data))
	}
	var sink int
	m := startCPU(b, int64(len(data)))
	for b.Loop() {
		for _, ic := range ics {
			sink += len(ic.String(":"))
		}
	}
	m.stop()
	if sink == 0 {
		b.Fatal("nothing written")
	}
}

// BenchmarkWriterElements measures the writer alone on elements of the
// lengths an 837 carries: codes, names, identifiers and a long note.
func BenchmarkWriterElements(b *testing.B) {
	vals := []string{"NM1", "85", "2", "VALLEY FAMILY MEDICINE", "1234567893", "HC", "99213", "25", "20240115",
		"PATIENT REPORTS INTERMITTENT CHEST PAIN FOR TWO WEEKS"}
	var cw countWriter
	env := benchEnvelope()
	w := NewEncoder(&cw, env).w
	const segs = 1000
	write := func() {
		for range segs {
			w.Begin("NM1")
			for _, v := range vals {
				w.Elem(v)
			}
			w.End()
		}
	}
	write()
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	m := startCPU(b, cw.n)
	for b.Loop() {
		write()
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	m.stop()
}
