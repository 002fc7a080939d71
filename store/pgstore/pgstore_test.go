package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/query"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/pgstore/pgtest"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// The package's tests share one fresh, migrated database per run.
var (
	testStore *pgstore.Store
	ownerPool *pgxpool.Pool
	testURL   string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx := context.Background()
	db, err := pgtest.Create(ctx, "clearhouse_pgstore_test")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgstore tests:", err)
		return 1
	}
	defer db.Drop(ctx)
	testURL = db.URL
	s, err := pgstore.Open(ctx, pgstore.Config{URL: db.URL})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgstore tests:", err)
		return 1
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "pgstore tests: migrate:", err)
		return 1
	}
	ownerPool, err = pgxpool.New(ctx, db.URL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgstore tests:", err)
		return 1
	}
	defer ownerPool.Close()
	testStore = s
	return m.Run()
}

func TestConformance(t *testing.T) { conformance(t, testStore, ownerPool, false) }

// TestConformanceSealed runs the suite on a database of its own with a
// key-encryption key: the protected columns are sealed.
func TestConformanceSealed(t *testing.T) {
	ctx := context.Background()
	k, _, err := keyring.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	url := storetest.PostgresURL(t, "clearhouse_pgstore_sealed_test")
	files, err := filestore.Open(filestore.Config{Dir: filepath.Join(t.TempDir(), filestore.DirName), Keys: &keyring.Ring{Primary: k}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgstore.Open(ctx, pgstore.Config{URL: url, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	owner, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(owner.Close)
	conformance(t, s, owner, true)
}

func conformance(t *testing.T, st store.Store, ownerPool *pgxpool.Pool, sealed bool) {
	storetest.Run(t, storetest.Harness{
		Store:  st,
		Sealed: sealed,
		Exec: func(t *testing.T, sql string, args ...any) {
			t.Helper()
			if _, err := ownerPool.Exec(context.Background(), sql, query.ConvertArgs(query.Postgres, args)...); err != nil {
				t.Fatal(err)
			}
		},
		QueryInt: func(t *testing.T, sql string, args ...any) int64 {
			t.Helper()
			var n int64
			if err := ownerPool.QueryRow(context.Background(), sql, query.ConvertArgs(query.Postgres, args)...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
	})
}

func BenchmarkBulkInsertClaimsPostgres(b *testing.B) {
	storetest.BenchmarkBulkInsertClaims(b, testStore)
}

func BenchmarkBulkInsertClaimPaymentsPostgres(b *testing.B) {
	storetest.BenchmarkBulkInsertClaimPayments(b, testStore)
}

// TestListClaimsSkipLocked: claims one transaction listed with SkipLocked
// are left out of another's list until the first ends, so two
// submissions of one payer take different claims.
func TestListClaimsSkipLocked(t *testing.T) {
	ctx := context.Background()
	c, err := testStore.CreateClinic(ctx, store.CreateClinicParams{Name: "Skip Locked Clinic"})
	if err != nil {
		t.Fatal(err)
	}
	py, err := testStore.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c.ID, PayerID: "KHP01", Name: "Keystone"})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := testStore.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "M1", FirstName: "A", LastName: "B"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := testStore.CreateClaim(ctx, store.CreateClaimParams{ClinicID: c.ID, PayerID: py.ID, PatientID: pt.ID,
			PatientControlNumber: fmt.Sprintf("SKIP%d", i), Status: claim.StatusReady}); err != nil {
			t.Fatal(err)
		}
	}
	ready := store.ListClaimsParams{ClinicID: c.ID, Statuses: []claim.Status{claim.StatusReady}, Limit: 3, SkipLocked: true}
	locked := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- testStore.InTx(ctx, c.ID, func(tx store.Tx) error {
			cs, err := tx.ListClaims(ctx, ready)
			if err != nil {
				return err
			}
			if len(cs) != 3 {
				return fmt.Errorf("first transaction took %d claims, want 3", len(cs))
			}
			close(locked)
			<-release
			return nil
		})
	}()
	select {
	case <-locked:
	case err := <-done:
		t.Fatal(err)
	}
	err = testStore.InTx(ctx, c.ID, func(tx store.Tx) error {
		cs, err := tx.ListClaims(ctx, ready)
		if err != nil {
			return err
		}
		if len(cs) != 1 || cs[0].PatientControlNumber != "SKIP3" {
			return fmt.Errorf("second transaction took %d claims (%+v), want SKIP3 alone", len(cs), cs)
		}
		return nil
	})
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestSealOnMigrate(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t, "clearhouse_pgstore_sealing_test")
	dir := t.TempDir()
	owner, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(owner.Close)
	storetest.SealOnMigrate(t, func(t *testing.T, keys *keyring.Ring) store.Store {
		files, err := filestore.Open(filestore.Config{Dir: filepath.Join(dir, filestore.DirName), Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		s, err := pgstore.Open(ctx, pgstore.Config{URL: url, Files: files})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, func(t *testing.T, sql string, args ...any) int64 {
		var n int64
		if err := owner.QueryRow(ctx, sql, query.ConvertArgs(query.Postgres, args)...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	})
}
