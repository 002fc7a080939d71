package sqlitestore_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/query"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// openTest opens a migrated store in a fresh file.
func openTest(t testing.TB) *sqlitestore.Store {
	t.Helper()
	return openTestKeys(t, nil)
}

// openTestKeys opens a migrated store in a fresh file whose file store and
// protected columns use keys (nil: no encryption).
func openTestKeys(t testing.TB, keys *keyring.Ring) *sqlitestore.Store {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	files, err := filestore.Open(filestore.Config{Dir: filepath.Join(dir, filestore.DirName), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(dir, "clearhouse.db"), Files: files})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

const auditTriggers = `
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;`

func TestConformance(t *testing.T) { testConformance(t, nil) }

// TestConformanceSealed runs the suite with a key-encryption key: the
// protected columns are sealed.
func TestConformanceSealed(t *testing.T) {
	k, _, err := keyring.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	testConformance(t, &keyring.Ring{Primary: k})
}

func testConformance(t *testing.T, keys *keyring.Ring) {
	s := openTestKeys(t, keys)
	// The suite's subtests run in parallel; tampering drops and recreates
	// shared triggers, so one tampering statement runs at a time.
	var tamper sync.Mutex
	storetest.Run(t, storetest.Harness{
		Store: s,
		Exec: func(t *testing.T, sql string, args ...any) {
			t.Helper()
			tamper.Lock()
			defer tamper.Unlock()
			// Tampering as someone with the file would: drop the
			// append-only triggers around the statement.
			stmts := []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"}
			for _, st := range stmts {
				if _, err := s.DB().Exec(st); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.DB().Exec(sql, query.ConvertArgs(query.SQLite, args)...)
			if _, err2 := s.DB().Exec(auditTriggers); err2 != nil {
				t.Fatal(err2)
			}
			if err != nil {
				t.Fatal(err)
			}
		},
		QueryInt: func(t *testing.T, sql string, args ...any) int64 {
			t.Helper()
			var n int64
			if err := s.DB().QueryRow(sql, query.ConvertArgs(query.SQLite, args)...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
		Sealed: keys != nil,
	})
}

func TestMigrateTwice(t *testing.T) {
	s := openTest(t)
	applied, err := s.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v", applied)
	}
}

func TestAuditAppendOnly(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c, err := s.CreateClinic(ctx, store.CreateClinicParams{Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: c.ID, Actor: "a", Action: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec("UPDATE audit_events SET actor = 'x'"); err == nil {
		t.Fatal("audit_events accepted an UPDATE")
	}
	if _, err := s.DB().Exec("DELETE FROM audit_events"); err == nil {
		t.Fatal("audit_events accepted a DELETE")
	}
}

func BenchmarkBulkInsertClaimsSQLite(b *testing.B) {
	storetest.BenchmarkBulkInsertClaims(b, openTest(b))
}

func BenchmarkBulkInsertClaimPaymentsSQLite(b *testing.B) {
	storetest.BenchmarkBulkInsertClaimPayments(b, openTest(b))
}

// TestNewFileIsPrivate: a new database file is readable by its owner only,
// and so are the WAL files SQLite makes beside it.
func TestNewFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "private.db")
	s, err := sqlitestore.Open(context.Background(), sqlitestore.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}

func TestSealOnMigrate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clearhouse.db")
	var last *sqlitestore.Store
	storetest.SealOnMigrate(t, func(t *testing.T, keys *keyring.Ring) store.Store {
		files, err := filestore.Open(filestore.Config{Dir: filepath.Join(dir, filestore.DirName), Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		if last != nil {
			last.Close() // one process at a time, as the CLI runs
		}
		s, err := sqlitestore.Open(context.Background(), sqlitestore.Config{Path: path, Files: files})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		last = s
		return s
	}, func(t *testing.T, sql string, args ...any) int64 {
		var n int64
		if err := last.DB().QueryRow(sql, query.ConvertArgs(query.SQLite, args)...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	})
}
