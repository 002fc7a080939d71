package edi

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// splitRef is the plain reference the word-at-a-time splitter must match.
func splitRef(raw []byte, sep byte) [][]byte {
	return bytes.Split(raw, []byte{sep})
}

// checkSplit compares every element of s, and one past the last, with the
// reference.
func checkSplit(t *testing.T, raw []byte, s *Segment) {
	t.Helper()
	want := splitRef(raw, s.Delimiters().Element)
	if s.Len() != len(want)-1 {
		t.Fatalf("%q: Len %d, want %d", raw, s.Len(), len(want)-1)
	}
	for i, w := range want {
		if got := s.Element(i); !bytes.Equal(got, w) || got == nil {
			t.Fatalf("%q element %d: %q, want %q", raw, i, got, w)
		}
	}
	if got := s.Element(len(want)); got != nil {
		t.Fatalf("%q element %d past the end: %q, want nil", raw, len(want), got)
	}
	if got := s.Element(-1); got != nil {
		t.Fatalf("%q element -1: %q, want nil", raw, got)
	}
	if !bytes.Equal(s.ID(), want[0]) {
		t.Fatalf("%q ID %q, want %q", raw, s.ID(), want[0])
	}
}

func TestSegmentSplit(t *testing.T) {
	for _, raw := range []string{"", "CLP", "CLP*", "CLP*A*1*200*150**12*P1", "SVC*HC:99213:25*200*150***HC:99214",
		"N1*PR*ACME HEALTH PLAN****", "X*\x01*\x00*\x81*\xff**", "AAAAAAAAAAAAAAA*B", strings.Repeat("*", 70)} {
		checkSplit(t, []byte(raw), NewSegment([]byte(raw), DefaultDelimiters))
	}
}

// A segment inside a larger buffer splits the same whether its last bytes
// are loaded as one word or one at a time: separators past its end do not
// count.
func TestSegmentSplitInBuffer(t *testing.T) {
	const seg = "CAS*CO*45*1000*1*PR*2*500"
	for n := 0; n <= len(seg); n++ {
		wide := append([]byte(seg[:n]), "********~"...)[:n]
		narrow := []byte(seg[:n])[:n:n]
		checkSplit(t, wide, NewSegment(wide, DefaultDelimiters))
		checkSplit(t, narrow, NewSegment(narrow, DefaultDelimiters))
	}
}

// Regression: the 835 decoder's own splitter stopped at 48 elements and
// dropped the rest without a word. The one splitter has no cap: an element
// far past 48 is kept, and Len counts it.
func TestSegmentManyElements(t *testing.T) {
	var b strings.Builder
	b.WriteString("RDM")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "*E%d", i)
	}
	s := NewSegment([]byte(b.String()), DefaultDelimiters)
	if s.Len() != 60 {
		t.Fatalf("Len = %d, want 60", s.Len())
	}
	for _, i := range []int{47, 48, 49, 60} {
		if got, want := s.String(i), fmt.Sprintf("E%d", i); got != want {
			t.Errorf("element %d = %q, want %q", i, got, want)
		}
	}
	// The same through a Reader, whose segment memory is reused.
	const isa = "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260115*0930*^*00501*000000101*0*T*:~"
	in := isa + b.String() + "~IEA*1*000000101~"
	r := NewReader(strings.NewReader(in))
	for {
		seg, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if seg.Is("RDM") {
			if seg.Len() != 60 || seg.String(60) != "E60" {
				t.Fatalf("read RDM: Len %d, element 60 %q", seg.Len(), seg.String(60))
			}
			break
		}
	}
}

func FuzzSegmentSplit(f *testing.F) {
	f.Add([]byte("CLP*A*1*200*150**12*P1"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkSplit(t, raw, NewSegment(raw, DefaultDelimiters))
		if len(raw) > 0 {
			// Again with capacity past the end holding separators.
			wide := append(bytes.Clone(raw), "********"...)[:len(raw)]
			checkSplit(t, wide, NewSegment(wide, DefaultDelimiters))
		}
	})
}

// Components and Component agree, and Components leaves the parts past the
// composite's last as they are.
func TestSegmentComponents(t *testing.T) {
	for _, el := range []string{"", "HC", "HC:", "HC:99214", "HC:99214:25", "HC:99214:25:59:GT:XU:DESC",
		"HC:99214:25:59:GT:XU:DESC:EXTRA:MORE", "::::::", ":::::::"} {
		s := NewSegment([]byte("SVC*"+el+"*100"), DefaultDelimiters)
		parts := make([][]byte, 7)
		s.Components(1, parts)
		for j, p := range parts {
			want := s.Component(1, j+1)
			if !bytes.Equal(p, want) || (p == nil) != (want == nil) {
				t.Errorf("%q component %d: %q, want %q", el, j+1, p, want)
			}
		}
		n := len(bytes.Split([]byte(el), []byte(":")))
		stale := [][]byte{[]byte("stale"), []byte("stale"), []byte("stale"), []byte("stale"), []byte("stale"), []byte("stale"), []byte("stale")}
		s.Components(1, stale)
		for j := n; j < len(stale); j++ {
			if string(stale[j]) != "stale" {
				t.Errorf("%q part %d past the composite: %q, want it left as it was", el, j+1, stale[j])
			}
		}
		if want := bytes.Split([]byte(el), []byte(":")); len(want) > 1 || el != "" {
			for j, w := range want {
				if got := s.Component(1, j+1); !bytes.Equal(got, w) {
					t.Errorf("%q Component(1, %d) = %q, want %q", el, j+1, got, w)
				}
			}
		}
	}
}

// The string cache keys a value the same whether its bytes are loaded as
// whole words or one at a time, and never by the bytes past its end.
func TestPackKey(t *testing.T) {
	buf := []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	for n := 1; n <= 16; n++ {
		wide := buf[:n]     // capacity runs on: words are loaded
		narrow := buf[:n:n] // capacity n: bytes are loaded
		other := append([]byte(nil), buf[:n]...)
		other = append(other, "################"...)[:n]
		w1, w2 := packKey(wide)
		n1, n2 := packKey(narrow)
		o1, o2 := packKey(other)
		if w1 != n1 || w2 != n2 || w1 != o1 || w2 != o2 {
			t.Fatalf("length %d: keys %x/%x, %x/%x and %x/%x differ", n, w1, w2, n1, n2, o1, o2)
		}
	}
}

func TestStringCache(t *testing.T) {
	var c StringCache
	allocs := 0
	alloc := func(b []byte) string { allocs++; return string(b) }
	values := []string{"1", "11", "2", "12", "CO", "PR", "A\x00", "99214", "ABCDEFGHIJKLMNOP", "ACME HEALTH PLAN OF THE MIDWEST", strings.Repeat("N", 65), "\x01"}
	for round := range 2 {
		for _, v := range values {
			b := append([]byte(v), "XXXXXXXXXXXXXXXX"...)[:len(v)]
			if got := c.String(b, alloc); got != v {
				t.Fatalf("round %d: String(%q) = %q", round, v, got)
			}
			if got := c.String([]byte(v), nil); got != v {
				t.Fatalf("round %d: String(%q) without alloc = %q", round, v, got)
			}
		}
	}
	// Cached values are made once (9 of them); the 65-byte value is not
	// cached, so it is made in each round; "1" and "2", printable single
	// bytes, need no memory.
	if want := 9 + 2; allocs != want {
		t.Errorf("alloc called %d times, want %d", allocs, want)
	}
	if got := c.String(nil, alloc); got != "" {
		t.Errorf("String(nil) = %q", got)
	}
}

func TestParseCCYYMMDD(t *testing.T) {
	tests := []struct {
		in string
		ok bool
		y  int
		m  time.Month
		d  int
	}{
		{"20240229", true, 2024, 2, 29},
		{"20000229", true, 2000, 2, 29},
		{"20261231", true, 2026, 12, 31},
		{"19000101", true, 1900, 1, 1},
		{"19000229", false, 0, 0, 0},
		{"20230229", false, 0, 0, 0},
		{"20260431", false, 0, 0, 0},
		{"20261301", false, 0, 0, 0},
		{"20260001", false, 0, 0, 0},
		{"20260100", false, 0, 0, 0},
		{"2024013", false, 0, 0, 0},
		{"202401011", false, 0, 0, 0},
		{"2024010a", false, 0, 0, 0},
		{"", false, 0, 0, 0},
	}
	for _, tt := range tests {
		y, m, d, ok := ParseCCYYMMDD([]byte(tt.in))
		if ok != tt.ok || y != tt.y || m != tt.m || d != tt.d {
			t.Errorf("ParseCCYYMMDD(%q) = %d, %d, %d, %v; want %d, %d, %d, %v", tt.in, y, m, d, ok, tt.y, tt.m, tt.d, tt.ok)
		}
		tm, err := ParseDate([]byte(tt.in))
		if (err == nil) != tt.ok || tt.ok && tm != time.Date(tt.y, tt.m, tt.d, 0, 0, 0, 0, time.UTC) {
			t.Errorf("ParseDate(%q) = %v, %v", tt.in, tm, err)
		}
	}
}
