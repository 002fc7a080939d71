package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/clearhouse/clearhouse/store/storetest"
)

// TestDemoSealedKeepsNoPHIInClear runs the demo with a key-encryption key
// on each backend, then searches every text, JSON and binary column of the
// database through SQL (the columns enumerated from the catalog), every
// file Clearhouse keeps (the file store and its inbox, not the payer
// simulator's side) and every line the demo logged, for the demo's
// patients' and subscribers' names, birth dates (YYYY-MM-DD and CCYYMMDD)
// and member IDs: none may be found in clear.
func TestDemoSealedKeepsNoPHIInClear(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			key := filepath.Join(dir, "clearhouse.kek")
			if code, _, errOut := run(t, "keys", "generate", "--out", key); code != 0 {
				t.Fatalf("keys generate: %s", errOut)
			}
			db := filepath.Join(dir, "clearhouse.db")
			if backend == "postgres" {
				db = storetest.PostgresURL(t, "clearhouse_cli_phi")
			}
			common := []string{"--database", db, "--files-dir", filepath.Join(dir, "x12-files"), "--key-file", key}
			code, out, errOut := run(t, append([]string{"demo", "--dir", dir, "--seed", "3", "--patients", "40", "--appointments", "80"}, common...)...)
			if code != 0 {
				t.Fatalf("demo: exit %d: %s", code, errOut)
			}
			needles := demoPHI(t, common)
			if len(needles) < 60 {
				t.Fatalf("only %d values to look for", len(needles))
			}
			found := func(where, text string) {
				t.Helper()
				for _, n := range needles {
					if strings.Contains(text, n) {
						t.Errorf("%s holds %q in clear", where, n)
					}
				}
			}
			found("the demo's output", out)
			found("the demo's log", errOut)
			columns := 0
			for where, text := range databaseText(t, backend, db) {
				columns++
				found(where, text)
			}
			if columns < 50 {
				t.Errorf("searched only %d columns", columns)
			}
			files := 0
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				if d.IsDir() && rel == "paysim" {
					return filepath.SkipDir // the payers' side
				}
				if d.IsDir() || strings.HasPrefix(filepath.Base(path), "clearhouse.db") {
					return nil // the database is searched through SQL
				}
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				files++
				found(rel, string(b))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if files < 10 {
				t.Errorf("searched only %d files", files)
			}
		})
	}
}

// demoPHI lists the demo's patients' and subscribers' names (of six
// letters or more, as stored and capitalized), birth dates in both forms
// and member IDs, read back through the CLI with the key.
func demoPHI(t *testing.T, common []string) []string {
	t.Helper()
	seen := map[string]bool{}
	add := func(v string) {
		if len(v) >= 6 {
			seen[v] = true
		}
	}
	name := func(v string) {
		add(v)
		if len(v) > 1 {
			add(v[:1] + strings.ToLower(v[1:]))
		}
	}
	date := func(v string) {
		if v != "" {
			add(v)
			add(strings.ReplaceAll(v, "-", ""))
		}
	}
	code, out, errOut := run(t, append([]string{"patients", "list", "--clinic", "1", "-o", "json"}, common...)...)
	if code != 0 {
		t.Fatalf("patients list: %s", errOut)
	}
	var pts []struct {
		First string `json:"first_name"`
		Last  string `json:"last_name"`
		Birth string `json:"birth_date"`
	}
	if err := json.Unmarshal([]byte(out), &pts); err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		name(p.First)
		name(p.Last)
		date(p.Birth)
	}
	code, out, errOut = run(t, append([]string{"coverage", "list", "--clinic", "1", "-o", "json"}, common...)...)
	if code != 0 {
		t.Fatalf("coverage list: %s", errOut)
	}
	var covs []struct {
		Member     string `json:"member_id"`
		Subscriber struct {
			First string `json:"first_name"`
			Last  string `json:"last_name"`
			Birth string `json:"birth_date"`
		} `json:"subscriber"`
	}
	if err := json.Unmarshal([]byte(out), &covs); err != nil {
		t.Fatal(err)
	}
	for _, c := range covs {
		add(c.Member)
		name(c.Subscriber.First)
		name(c.Subscriber.Last)
		date(c.Subscriber.Birth)
	}
	var out2 []string
	for v := range seen {
		out2 = append(out2, v)
	}
	return out2
}

// databaseText returns, for every text, JSON and binary column of every
// table, its values joined, named table.column.
func databaseText(t *testing.T, backend, db string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	if backend == "sqlite" {
		conn, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		rows, err := conn.QueryContext(ctx, `SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
			WHERE m.type = 'table' AND (c.type = '' OR upper(c.type) IN ('TEXT', 'BLOB'))`)
		if err != nil {
			t.Fatal(err)
		}
		var cols [][2]string
		for rows.Next() {
			var tc [2]string
			if err := rows.Scan(&tc[0], &tc[1]); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, tc)
		}
		rows.Close()
		for _, tc := range cols {
			var b strings.Builder
			rows, err := conn.QueryContext(ctx, `SELECT CAST("`+tc[1]+`" AS TEXT) FROM "`+tc[0]+`" WHERE "`+tc[1]+`" IS NOT NULL`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v string
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				b.WriteString(v)
				b.WriteByte(0)
			}
			rows.Close()
			out[tc[0]+"."+tc[1]] = b.String()
		}
		return out
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY')`)
	if err != nil {
		t.Fatal(err)
	}
	var cols [][3]string
	for rows.Next() {
		var c [3]string
		if err := rows.Scan(&c[0], &c[1], &c[2]); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	for _, c := range cols {
		expr := pgx.Identifier{c[1]}.Sanitize() + "::text"
		if c[2] == "bytea" {
			expr = "encode(" + pgx.Identifier{c[1]}.Sanitize() + ", 'escape')"
		}
		rows, err := conn.Query(ctx, "SELECT "+expr+" FROM "+pgx.Identifier{c[0]}.Sanitize()+" WHERE "+pgx.Identifier{c[1]}.Sanitize()+" IS NOT NULL")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			b.WriteString(v)
			b.WriteByte(0)
		}
		rows.Close()
		out[c[0]+"."+c[1]] = b.String()
	}
	return out
}
