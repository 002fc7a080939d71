package storedb_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/report/reporttest"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// TestBackupRestore backs a seeded database up, restores it into an empty
// one and compares every table's row count, each clinic's audit chain
// (verified, with the same head) and the users.
func TestBackupRestore(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			var src, dst string
			switch backend {
			case "sqlite":
				src, dst = filepath.Join(dir, "src.db"), filepath.Join(dir, "restored.db")
			case "postgres":
				src, dst = storetest.PostgresURL(t, "clearhouse_backup_src"), storetest.PostgresURL(t, "clearhouse_backup_dst")
			}
			clk := clock.New(reporttest.End)
			st, err := storedb.Open(ctx, src, storedb.Options{Now: clk.Now, Create: true})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			seeded, err := reporttest.Seed(ctx, st, clk)
			if err != nil {
				t.Fatal(err)
			}
			cid := seeded.Clinic.ID
			if _, err := st.AppendAuditEvents(ctx, store.AppendAuditEventsParams{ClinicID: cid, Events: []store.AppendAuditEventParams{
				{Actor: "ana", Action: "read", EntityType: "patient", EntityID: "1"},
				{Actor: "ana", Action: "read", EntityType: "patient", EntityID: "2"},
			}}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.CreateUser(ctx, store.CreateUserParams{Login: "ana_backup", Role: "biller", Clinics: []int64{cid}}); err != nil {
				t.Fatal(err)
			}

			file := filepath.Join(dir, "backup")
			if err := storedb.Backup(ctx, src, file); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("backup file: %v, mode %v, want 0600", err, fi.Mode().Perm())
			}
			if err := storedb.Backup(ctx, src, file); err == nil {
				t.Fatalf("a second backup over the first was not refused")
			}
			if err := storedb.Restore(ctx, file, dst); err != nil {
				t.Fatal(err)
			}
			if backend == "sqlite" {
				if err := storedb.Restore(ctx, file, dst); err == nil {
					t.Fatalf("restoring over an existing database was not refused")
				}
			}
			want, got := rowCounts(t, src), rowCounts(t, dst)
			if len(want) < 20 {
				t.Fatalf("only %d tables counted in the source", len(want))
			}
			for table, n := range want {
				if got[table] != n {
					t.Errorf("%s: %d rows restored, %d backed up", table, got[table], n)
				}
			}
			if want["audit_events"] == 0 || want["claims"] == 0 {
				t.Fatalf("nothing seeded: %v", want)
			}
			rt, err := storedb.Open(ctx, dst, storedb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close()
			for _, s := range []store.Store{st, rt} {
				v, err := s.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: cid})
				if err != nil || !v.OK() || v.Events != int64(want["audit_events"]) {
					t.Fatalf("audit chain: %+v, %v (want %d events)", v, err, want["audit_events"])
				}
			}
			a, _ := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: cid})
			b, _ := rt.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: cid})
			if len(a) == 0 || len(a) != len(b) || a[len(a)-1].Hash != b[len(b)-1].Hash {
				t.Fatalf("restored chain differs: %d events vs %d", len(b), len(a))
			}
			if u, err := rt.GetUser(ctx, "ana_backup"); err != nil || u.Role != "biller" || len(u.Clinics) != 1 {
				t.Fatalf("restored user: %+v, %v", u, err)
			}
		})
	}
}

// rowCounts counts the rows of every table, past row-level security (the
// test server's user is a superuser).
func rowCounts(t *testing.T, database string) map[string]int {
	t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	if storedb.IsPostgres(database) {
		c, err := pgx.Connect(ctx, database)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		rows, err := c.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range tables {
			var n int
			if err := c.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{tb}.Sanitize()).Scan(&n); err != nil {
				t.Fatal(err)
			}
			out[tb] = n
		}
		return out
	}
	db, err := sql.Open("sqlite", sqlitestore.DSN(database, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, s)
	}
	rows.Close()
	for _, tb := range tables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM "`+tb+`"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}
