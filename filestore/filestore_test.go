package filestore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
)

const chunk = 1024

func newKey(t testing.TB) (*keyring.Key, string) {
	t.Helper()
	k, text, err := keyring.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k, text
}

func newStore(t testing.TB, dir string, keys *keyring.Ring) *filestore.Store {
	t.Helper()
	s, err := filestore.Open(filestore.Config{Dir: dir, ChunkSize: chunk, MaxSize: 1 << 20, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = "ISA*00*~"[i%8]
	}
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestRoundTrip(t *testing.T) {
	k, _ := newKey(t)
	for _, mode := range []struct {
		name string
		keys *keyring.Ring
	}{{"plain", nil}, {"encrypted", &keyring.Ring{Primary: k}}} {
		s := newStore(t, t.TempDir(), mode.keys)
		for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk, 3*chunk + 17} {
			want := content(n)
			info, err := s.Put(context.Background(), bytes.NewReader(want))
			if err != nil {
				t.Fatalf("%s %d: Put: %v", mode.name, n, err)
			}
			if info.Size != int64(n) || info.SHA256 != sum(want) || info.Encrypted != (mode.keys != nil) {
				t.Fatalf("%s %d: info %+v", mode.name, n, info)
			}
			r, err := s.Open(info.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatalf("%s %d: read: %v", mode.name, n, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s %d: read back %d bytes differing", mode.name, n, len(got))
			}
			st, err := s.Stat(info.ID)
			if err != nil || st != info {
				t.Fatalf("%s %d: Stat %+v %v, want %+v", mode.name, n, st, err, info)
			}
		}
	}
}

func TestEncryptedAtRest(t *testing.T) {
	k, _ := newKey(t)
	dir := t.TempDir()
	s := newStore(t, dir, &keyring.Ring{Primary: k})
	phi := []byte("NM1*QC*1*DOE*JANE****MI*W123456789~DMG*D8*19700101*F~")
	info, err := s.PutBytes(context.Background(), bytes.Repeat(phi, 40))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, info.ID[:2], info.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, needle := range []string{"DOE", "JANE", "W123456789", "19700101"} {
		if bytes.Contains(raw, []byte(needle)) {
			t.Errorf("%s in clear text in the stored file", needle)
		}
	}
}

// TestTamperDetected damages an encrypted file in the ways an attacker or
// a disk might: every one fails to read with ErrCorrupt.
func TestTamperDetected(t *testing.T) {
	k, _ := newKey(t)
	const header = 220
	sealed := chunk + 16
	tests := []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"bit flipped in a chunk", func(b []byte) []byte { b[header+10] ^= 1; return b }},
		{"tag flipped", func(b []byte) []byte { b[header+sealed-1] ^= 1; return b }},
		{"cut at a chunk boundary", func(b []byte) []byte { return b[:header+2*sealed] }},
		{"cut inside a chunk", func(b []byte) []byte { return b[:header+2*sealed+100] }},
		{"last chunk dropped", func(b []byte) []byte { return b[:header+3*sealed] }},
		{"chunks swapped", func(b []byte) []byte {
			c := append([]byte(nil), b...)
			copy(c[header:], b[header+sealed:header+2*sealed])
			copy(c[header+sealed:], b[header:header+sealed])
			return c
		}},
		{"bytes appended", func(b []byte) []byte { return append(b, make([]byte, 40)...) }},
		{"header size changed", func(b []byte) []byte { b[19] ^= 1; return b }},
		{"chunk size changed", func(b []byte) []byte { b[10] ^= 1; return b }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := newStore(t, dir, &keyring.Ring{Primary: k})
			info, err := s.PutBytes(context.Background(), content(3*chunk+100))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, info.ID[:2], info.ID)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.damage(raw), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := s.Open(info.ID)
			if err == nil {
				_, err = io.ReadAll(r)
				r.Close()
			}
			if !errors.Is(err, filestore.ErrCorrupt) {
				t.Fatalf("read damaged file: %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestPlainChecksumVerified(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, nil)
	info, err := s.PutBytes(context.Background(), content(5000))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, info.ID[:2], info.ID)
	raw, _ := os.ReadFile(path)
	raw[len(raw)-1] ^= 1
	os.WriteFile(path, raw, 0o600)
	r, err := s.Open(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadAll(r); !errors.Is(err, filestore.ErrCorrupt) {
		t.Fatalf("altered plain file read: %v", err)
	}
}

func TestTooLargeRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := filestore.Open(filestore.Config{Dir: dir, MaxSize: 10 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutBytes(context.Background(), content(10<<10)); err != nil {
		t.Fatalf("file at the limit: %v", err)
	}
	// An endless input: Put stops one byte past the limit.
	endless := &countingReader{}
	_, err = s.Put(context.Background(), endless)
	if !errors.Is(err, filestore.ErrTooLarge) || !strings.Contains(err.Error(), "10240 bytes") {
		t.Fatalf("endless input: %v", err)
	}
	if endless.n > 10<<10+64<<10 {
		t.Errorf("read %d bytes of an endless input", endless.n)
	}
	files := 0
	s.Walk(func(filestore.Info, error) error { files++; return nil })
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*", ".*.tmp"))
	if files != 1 || len(leftovers) != 0 {
		t.Errorf("after a refused file: %d files, temporary files %v", files, leftovers)
	}
}

type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'X'
	}
	c.n += int64(len(p))
	return len(p), nil
}

func TestMissingAndInvalidID(t *testing.T) {
	s := newStore(t, t.TempDir(), nil)
	if _, err := s.Open(strings.Repeat("ab", 16)); !errors.Is(err, filestore.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	for _, id := range []string{"", "../../etc/passwd", strings.Repeat("AB", 16), strings.Repeat("a", 31)} {
		if _, err := s.Open(id); !errors.Is(err, filestore.ErrInvalidID) {
			t.Errorf("Open(%q): %v", id, err)
		}
	}
}

// TestStreamingMemoryBounded writes and reads a 64 MiB generated file,
// encrypted, and checks that the heap in use stays far below the file's
// size: the store holds a chunk, not the file.
func TestStreamingMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	const size = 64 << 20
	k, _ := newKey(t)
	s, err := filestore.Open(filestore.Config{Dir: t.TempDir(), MaxSize: size, Keys: &keyring.Ring{Primary: k}})
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	src := &sampledReader{r: io.LimitReader(&countingReader{}, size), every: 4 << 20, sample: sample}
	info, err := s.Put(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, &sampledReader{r: r, every: 4 << 20, sample: sample})
	r.Close()
	if err != nil || n != size {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	grew := int64(peak) - int64(base.HeapInuse)
	t.Logf("heap in use grew by %d KiB while streaming %d MiB", grew>>10, size>>20)
	if grew > 16<<20 {
		t.Errorf("heap in use grew by %d MiB streaming a %d MiB file", grew>>20, size>>20)
	}
}

type sampledReader struct {
	r      io.Reader
	n      int64
	every  int64
	next   int64
	sample func()
}

func (s *sampledReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.n >= s.next {
		s.sample()
		s.next = s.n + s.every
	}
	return n, err
}

func TestRotationAndEscrow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	oldKey, _ := newKey(t)
	newKeyK, _ := newKey(t)
	pubText, privText, err := keyring.GenerateEscrow(nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := keyring.ParseEscrowPublic(pubText)
	priv, _ := keyring.ParseEscrowPrivate(privText)

	// Files written under the old key, with an escrow copy, and one plain
	// file from before encryption was turned on.
	plain := newStore(t, dir, nil)
	plainInfo, err := plain.PutBytes(ctx, content(3000))
	if err != nil {
		t.Fatal(err)
	}
	before := newStore(t, dir, &keyring.Ring{Primary: oldKey, Escrow: pub})
	a, err := before.PutBytes(ctx, content(5000))
	if err != nil {
		t.Fatal(err)
	}
	if a.KeyID != oldKey.ID().String() || a.EscrowID != pub.ID().String() {
		t.Fatalf("key IDs %+v", a)
	}

	// Rotation: the new key is primary, the old one kept to read.
	rotated := newStore(t, dir, &keyring.Ring{Primary: newKeyK, Previous: []*keyring.Key{oldKey}, Escrow: pub})
	readAll(t, rotated, a.ID, content(5000))
	changed, err := rotated.Rewrap(ctx, a.ID, false)
	if err != nil || !changed {
		t.Fatalf("Rewrap: %v %v", changed, err)
	}
	if changed, err := rotated.Rewrap(ctx, a.ID, false); err != nil || changed {
		t.Fatalf("second Rewrap changed %v: %v", changed, err)
	}
	if changed, err := rotated.Rewrap(ctx, plainInfo.ID, true); err != nil || !changed {
		t.Fatalf("re-encrypting a plain file: %v %v", changed, err)
	}

	// The old key is gone now: the new one reads everything.
	after := newStore(t, dir, &keyring.Ring{Primary: newKeyK})
	readAll(t, after, a.ID, content(5000))
	readAll(t, after, plainInfo.ID, content(3000))
	if st, _ := after.Stat(a.ID); st.KeyID != newKeyK.ID().String() || st.SHA256 != a.SHA256 {
		t.Errorf("after rotation: %+v", st)
	}

	// The primary key is lost: the escrow private key reads every file.
	restore := newStore(t, dir, &keyring.Ring{EscrowPrivate: priv})
	readAll(t, restore, a.ID, content(5000))
	readAll(t, restore, plainInfo.ID, content(3000))

	// Neither key: the error names key IDs, never key material.
	lost := newStore(t, dir, &keyring.Ring{Primary: oldKey})
	_, err = lost.Open(a.ID)
	if !errors.Is(err, keyring.ErrNoKey) || !strings.Contains(err.Error(), newKeyK.ID().String()) {
		t.Fatalf("lost key: %v", err)
	}
	if strings.Contains(err.Error(), privText[len("clearhouse-escrow-private:"):]) {
		t.Fatal("error shows key material")
	}
}

func readAll(t *testing.T, s *filestore.Store, id string, want []byte) {
	t.Helper()
	r, err := s.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %s: %d bytes, %v", id, len(got), err)
	}
}

// BenchmarkPutOpen measures writing and reading back 4 MiB, plain and
// encrypted, the cost of encryption at rest.
func BenchmarkPutOpen(b *testing.B) {
	k, _ := newKey(b)
	data := content(4 << 20)
	for _, mode := range []struct {
		name string
		keys *keyring.Ring
	}{{"plain", nil}, {"encrypted", &keyring.Ring{Primary: k}}} {
		b.Run(mode.name+"/put", func(b *testing.B) {
			s, _ := filestore.Open(filestore.Config{Dir: b.TempDir(), Keys: mode.keys})
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				info, err := s.PutBytes(context.Background(), data)
				if err != nil {
					b.Fatal(err)
				}
				s.Remove(info.ID)
			}
		})
		b.Run(mode.name+"/read", func(b *testing.B) {
			s, _ := filestore.Open(filestore.Config{Dir: b.TempDir(), Keys: mode.keys})
			info, err := s.PutBytes(context.Background(), data)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := s.Open(info.ID)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}
