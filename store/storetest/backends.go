package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/pgstore/pgtest"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// Options configure the stores the test helpers open.
type Options struct {
	// Now is the store's clock; nil means the store's default.
	Now func() time.Time
	// MaxConns caps a PostgreSQL pool; 0 means the pgstore default.
	MaxConns int32
	// Prefix names fresh PostgreSQL databases (Prefix_<random>);
	// "clearhouse_test" when empty.
	Prefix string
	// Keys, when set, encrypt the file store and the protected columns.
	Keys *keyring.Ring
}

func (o Options) prefix() string {
	if o.Prefix == "" {
		return "clearhouse_test"
	}
	return o.Prefix
}

// OpenSQLite opens a fresh, migrated SQLite store in a file of the test's
// temporary directory, closed when the test ends.
func OpenSQLite(t testing.TB, o Options) store.Store {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	files, err := filestore.Open(filestore.Config{Dir: filepath.Join(dir, filestore.DirName), Keys: o.Keys})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(dir, "clearhouse.db"), Now: o.Now, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// PostgresURL creates a fresh, empty PostgreSQL database (see package
// pgtest) and returns its URL; the database is dropped when the test ends.
// When no server answers, the test fails with one line saying so.
func PostgresURL(t testing.TB, prefix string) string {
	t.Helper()
	db, err := pgtest.Create(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Drop(context.Background()) })
	return db.URL
}

// OpenPostgres opens a migrated store on a fresh PostgreSQL database of its
// own (named after o.Prefix), closed and dropped when the test ends.
func OpenPostgres(t testing.TB, o Options) store.Store {
	t.Helper()
	url := PostgresURL(t, o.prefix())
	s := openPostgres(t, url, o)
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func openPostgres(t testing.TB, url string, o Options) store.Store {
	t.Helper()
	files, err := filestore.Open(filestore.Config{Dir: filepath.Join(t.TempDir(), filestore.DirName), Keys: o.Keys})
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgstore.Open(context.Background(), pgstore.Config{URL: url, Now: o.Now, MaxConns: o.MaxConns, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Postgres is a fresh, migrated PostgreSQL database a test package shares
// for its whole run; tests make clinics of their own, so they never see
// each other's rows.
type Postgres struct {
	// URL connects to the database; OpenPostgresAt opens more stores on it.
	URL string
	// Store is open on it, with the Options given to Main, for the run.
	Store store.Store
}

// Main creates and migrates a shared database, hands it to use, runs the
// package's tests and drops the database, returning the exit status for
// os.Exit. When PostgreSQL is not answering or the migration fails, it
// prints one line to stderr and returns 1: the tests never skip.
//
//	var pgStore store.Store
//
//	func TestMain(m *testing.M) {
//		os.Exit(storetest.Main(m, storetest.Options{Prefix: "clearhouse_billing_test", Now: clock},
//			func(pg storetest.Postgres) { pgStore = pg.Store }))
//	}
func Main(m *testing.M, o Options, use func(pg Postgres)) int {
	ctx := context.Background()
	db, err := pgtest.Create(ctx, o.prefix())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", o.prefix(), err)
		return 1
	}
	defer db.Drop(ctx)
	dir, err := os.MkdirTemp("", o.prefix()+"-files-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", o.prefix(), err)
		return 1
	}
	defer os.RemoveAll(dir)
	files, err := filestore.Open(filestore.Config{Dir: dir})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", o.prefix(), err)
		return 1
	}
	s, err := pgstore.Open(ctx, pgstore.Config{URL: db.URL, Now: o.Now, MaxConns: o.MaxConns, Files: files})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", o.prefix(), err)
		return 1
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "%s: migrate: %v\n", o.prefix(), err)
		return 1
	}
	use(Postgres{URL: db.URL, Store: s})
	return m.Run()
}

// OpenPostgresAt opens a store of the test's own on an already migrated
// database (a shared one from Main), with its own clock and pool size,
// closed when the test ends. o.Prefix is unused.
func OpenPostgresAt(t testing.TB, url string, o Options) store.Store {
	t.Helper()
	return openPostgres(t, url, o)
}

// Backends runs fn against the embedded SQLite default and PostgreSQL, in
// the parallel subtests "sqlite" and "postgres". SQLite is a fresh file per
// test (OpenSQLite with o). PostgreSQL is shared when it is not nil (the
// Store of Main), otherwise a fresh database per test (OpenPostgres with o).
func Backends(t *testing.T, shared store.Store, o Options, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, OpenSQLite(t, o))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		if shared != nil {
			fn(t, shared)
			return
		}
		fn(t, OpenPostgres(t, o))
	})
}

// NewKeys returns a keyring with a fresh key-encryption key, for stores
// that encrypt.
func NewKeys(t testing.TB) *keyring.Ring {
	t.Helper()
	k, _, err := keyring.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &keyring.Ring{Primary: k}
}
