package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

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

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Store: testStore,
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
