package x835

import (
	"bytes"
	"testing"

	"github.com/clearhouse/clearhouse/edi"
)

// fields must split exactly as edi.Segment does.
func TestFieldsSplit(t *testing.T) {
	for _, raw := range []string{"", "CLP", "CLP*", "CLP*A*1*200*150**12*P1", "SVC*HC:99213:25*200*150***HC:99214", "N1*PR*ACME HEALTH PLAN****",
		"X*\x01*\x00*\x81*\xff**", "AAAAAAAAAAAAAAA*B", "********************************************************************"} {
		var f fields
		f.split([]byte(raw), '*', ':')
		s := edi.NewSegment([]byte(raw), edi.DefaultDelimiters)
		for i := 0; i < maxFields; i++ {
			if !bytes.Equal(f.Element(i), s.Element(i)) || (f.Element(i) == nil) != (s.Element(i) == nil) {
				t.Fatalf("%q element %d: %q, want %q", raw, i, f.Element(i), s.Element(i))
			}
			for j := 1; j < 4; j++ {
				if !bytes.Equal(f.Component(i, j), s.Component(i, j)) {
					t.Fatalf("%q component %d-%d: %q, want %q", raw, i, j, f.Component(i, j), s.Component(i, j))
				}
			}
		}
	}
}

func FuzzFieldsSplit(f *testing.F) {
	f.Add([]byte("CLP*A*1*200*150**12*P1"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var fs fields
		fs.split(raw, '*', ':')
		s := edi.NewSegment(raw, edi.DefaultDelimiters)
		n := s.Len() + 1
		for i := 0; i < n && i < maxFields; i++ {
			if !bytes.Equal(fs.Element(i), s.Element(i)) {
				t.Fatalf("element %d: %q, want %q", i, fs.Element(i), s.Element(i))
			}
		}
	})
}

// The string cache keys a code the same whether its bytes are loaded as
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
	var d Decoder
	for _, c := range []string{"1", "11", "2", "12", "CO", "PR", "99214", "ABCDEFGHIJKLMNOP"} {
		b := append([]byte(c), "XXXXXXXXXXXXXXXX"...)[:len(c)]
		if got := d.code(b); got != c {
			t.Fatalf("code(%q) = %q", c, got)
		}
		if got := d.code([]byte(c)); got != c {
			t.Fatalf("cached code(%q) = %q", c, got)
		}
	}
}

// A segment inside a larger buffer splits the same whether its last bytes
// are loaded as one word or one at a time: separators past its end do not
// count.
func TestFieldsSplitInBuffer(t *testing.T) {
	const seg = "CAS*CO*45*1000*1*PR*2*500"
	for n := 0; n <= len(seg); n++ {
		wide := append([]byte(seg[:n]), "********~"...)[:n]
		narrow := []byte(seg[:n])[:n:n]
		var fw, fn fields
		fw.split(wide, '*', ':')
		fn.split(narrow, '*', ':')
		if fw.n != fn.n {
			t.Fatalf("%q: %d elements in a buffer, %d alone", seg[:n], fw.n, fn.n)
		}
		for i := 0; i < fw.n; i++ {
			if !bytes.Equal(fw.Element(i), fn.Element(i)) {
				t.Fatalf("%q element %d: %q in a buffer, %q alone", seg[:n], i, fw.Element(i), fn.Element(i))
			}
		}
	}
}

// procedure reads each component as fields.Component does.
func TestProcedureComponents(t *testing.T) {
	var d Decoder
	for _, el := range []string{"", "HC", "HC:", "HC:99214", "HC:99214:25", "HC:99214:25:59:GT:XU:DESC", "HC:99214:25:59:GT:XU:DESC:EXTRA:MORE", "::::::", ":::::::"} {
		var f fields
		f.split([]byte("SVC*"+el+"*100"), '*', ':')
		var p Procedure
		d.procedure(&f, 1, &p)
		got := []string{p.Qualifier, p.Code, p.Modifiers[0], p.Modifiers[1], p.Modifiers[2], p.Modifiers[3], p.Description}
		for j, g := range got {
			if want := string(f.Component(1, j+1)); g != want {
				t.Errorf("%q component %d: %q, want %q", el, j+1, g, want)
			}
		}
	}
}
