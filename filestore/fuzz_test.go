package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
)

// FuzzRead reads arbitrary bytes as a stored file, plain and encrypted
// stores alike: it never panics, and anything but the genuine file fails
// with ErrCorrupt (or a missing key).
func FuzzRead(f *testing.F) {
	k, err := keyring.ParseKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	seeds := []*filestore.Store{newStore(f, filepath.Join(dir, "p"), nil), newStore(f, filepath.Join(dir, "e"), &keyring.Ring{Primary: k})}
	for _, s := range seeds {
		for _, n := range []int{0, 10, chunk, 2*chunk + 5} {
			info, err := s.PutBytes(context.Background(), content(n))
			if err != nil {
				f.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(s.Dir(), info.ID[:2], info.ID))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	d := filepath.Join(dir, "fuzz")
	s, err := filestore.Open(filestore.Config{Dir: d, Keys: &keyring.Ring{Primary: k}})
	if err != nil {
		f.Fatal(err)
	}
	var seq atomic.Int64
	f.Fuzz(func(t *testing.T, raw []byte) {
		id := fmt.Sprintf("%032x", seq.Add(1))
		os.MkdirAll(filepath.Join(d, id[:2]), 0o700)
		if err := os.WriteFile(filepath.Join(d, id[:2], id), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		defer s.Remove(id)
		r, err := s.Open(id)
		if err != nil {
			if !errors.Is(err, filestore.ErrCorrupt) && !errors.Is(err, keyring.ErrNoKey) && !errors.Is(err, keyring.ErrUnwrap) {
				t.Fatalf("Open: unexpected error %v", err)
			}
			return
		}
		defer r.Close()
		if _, err := io.Copy(io.Discard, r); err != nil && !errors.Is(err, filestore.ErrCorrupt) {
			t.Fatalf("read: unexpected error %v", err)
		}
	})
}
