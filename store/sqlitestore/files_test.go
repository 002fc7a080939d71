package sqlitestore_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// TestInboundFileSizeLimitAndDuplicates records inbound files through a
// file store with a small limit and a key: a file over the limit is
// refused with ErrTooLarge and leaves neither row nor file; a duplicate
// leaves one file; bodies are encrypted at rest and read back in clear.
func TestInboundFileSizeLimitAndDuplicates(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	k, _, err := keyring.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filestore.Open(filestore.Config{Dir: filepath.Join(dir, "files"), MaxSize: 4 << 10, Keys: &keyring.Ring{Primary: k}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(dir, "c.db"), Files: files})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clinic, err := s.CreateClinic(ctx, store.CreateClinicParams{Name: "Size Clinic", NPI: "1234567893", TaxID: "123456789", SubmitterID: "SIZE"})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		files.Walk(func(filestore.Info, error) error { n++; return nil })
		return n
	}

	_, _, err = s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: clinic.ID, FileName: "huge.835",
		Body: strings.NewReader(strings.Repeat("CLP*X~", 1000))})
	if !errors.Is(err, filestore.ErrTooLarge) || !strings.Contains(err.Error(), "huge.835") || !strings.Contains(err.Error(), "4096 bytes") {
		t.Fatalf("file over the limit: %v", err)
	}
	if rows, _ := s.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: clinic.ID}); len(rows) != 0 || count() != 0 {
		t.Fatalf("after a refused file: %d rows, %d files", len(rows), count())
	}

	body := []byte("ISA*00*NM1*QC*1*DOE*JANE~")
	a, created, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: clinic.ID, FileName: "a.999", Body: bytes.NewReader(body)})
	if err != nil || !created {
		t.Fatalf("record: %v %v", created, err)
	}
	b, created, err := s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: clinic.ID, FileName: "a-again.999", Body: bytes.NewReader(body)})
	if err != nil || created || b.ID != a.ID || count() != 1 {
		t.Fatalf("duplicate: created %v, row %d (first %d), %d files, %v", created, b.ID, a.ID, count(), err)
	}
	if got := storetest.Content(t, s, a.ContentID); !bytes.Equal(got, body) {
		t.Fatalf("read back %q", got)
	}
	info, err := files.Stat(a.ContentID)
	if err != nil || !info.Encrypted || info.KeyID != k.ID().String() || info.SHA256 != a.Checksum {
		t.Fatalf("stored file %+v %v", info, err)
	}
}
