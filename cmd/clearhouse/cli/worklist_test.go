package cli

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/report/reporttest"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// seededDB returns a --database holding the reporttest clinic (IDs from 1):
// a SQLite file, or a fresh PostgreSQL database.
func seededDB(t *testing.T, backend string) string {
	t.Helper()
	ctx := context.Background()
	clock := clock.New(reporttest.End)
	var st store.Store
	var db string
	var err error
	switch backend {
	case "sqlite":
		db = filepath.Join(t.TempDir(), "work.db")
		st, err = sqlitestore.Open(ctx, sqlitestore.Config{Path: db, Now: clock.Now})
	case "postgres":
		db = storetest.PostgresURL(t, "clearhouse_cli_work")
		st, err = pgstore.Open(ctx, pgstore.Config{URL: db, Now: clock.Now, MaxConns: 2})
	}
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := reporttest.Seed(ctx, st, clock); err != nil {
		t.Fatal(err)
	}
	addTestUsers(t, st)
	return db
}

// addTestUsers adds the people the command tests act as (through
// Env.Login): sam, an admin (the default of runCases), lee, a biller, and
// ana, an operator, each of the whole network.
func addTestUsers(t *testing.T, st store.Users) {
	t.Helper()
	for login, role := range map[string]string{"sam": "admin", "lee": "biller", "ana": "operator"} {
		if _, err := st.CreateUser(context.Background(), store.CreateUserParams{Login: login, Role: role, AllClinics: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// now is reporttest.End, for --now.
const workNow = "2026-04-01T12:00:00Z"

type cliCase struct {
	name string
	args []string
	env  map[string]string
}

// runCases runs the cases in order against one database and compares each
// with testdata/<dir>/<name>.golden (exit status, stdout, stderr).
func runCases(t *testing.T, db, dir string, cases []cliCase) {
	t.Helper()
	for _, tc := range cases {
		var out, errb strings.Builder
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return tc.env[k] },
			Login: cmp.Or(tc.env["LOGIN"], "sam")}
		root := NewRootCmd(env)
		root.SetArgs(append([]string{"--database", db}, tc.args...))
		code := 0
		if err := root.Execute(); err != nil {
			code = 1
			if ee, ok := err.(*ExitError); ok {
				code = ee.Code
			}
			fmt.Fprintf(&errb, "clearhouse: %v\n", err)
		}
		got := fmt.Sprintf("$ clearhouse %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, out.String(), errb.String())
		path := filepath.Join("testdata", dir, tc.name+".golden")
		want, err := os.ReadFile(path)
		if *update && (err != nil || got != string(want)) {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote %s", path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
		}
	}
}

func TestWorklistCommands(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := seededDB(t, backend)
			sam := map[string]string{"LOGIN": "sam"}
			now := "--now=" + workNow
			runCases(t, db, "worklist", []cliCase{
				{"list", []string{"worklist", now}, nil},
				{"list-denials-json", []string{"worklist", now, "--kind", "denial", "-o", "json"}, nil},
				{"list-csv-amount", []string{"worklist", now, "--sort", "-amount", "--min-amount", "45", "-o", "csv"}, nil},
				{"list-amount-ascending", []string{"worklist", now, "--sort", "amount", "--min-amount", "45"}, nil},
				{"list-filters", []string{"worklist", now, "--payer", "MCRJX", "--max-age", "7", "--clinic", "1"}, nil},
				{"list-resolved", []string{"worklist", now, "--status", "resolved"}, nil},
				{"list-bad-kind", []string{"worklist", "--kind", "nope"}, nil},
				{"show-denial", []string{"worklist", "show", "3", now}, nil},
				{"show-999", []string{"worklist", "show", "5", now}, nil},
				{"show-json", []string{"worklist", "show", "2", now, "-o", "json"}, nil},
				{"show-csv", []string{"worklist", "show", "4", now, "-o", "csv"}, nil},
				{"show-missing", []string{"worklist", "show", "99", now}, nil},
				{"assign", []string{"worklist", "assign", "6", "--to", "sam", now, "--user", "lee"}, map[string]string{"LOGIN": "lee"}},
				{"assign-claimed-user", []string{"worklist", "assign", "6", "--to", "sam", now, "--user", "intern-nobody"}, map[string]string{"LOGIN": "lee"}},
				{"assign-as-caller", []string{"worklist", "assign", "6", "--to", "sam"}, nil},
				{"note", []string{"worklist", "note", "6", "no", "proof", "of", "timely", "filing", now}, sam},
				{"resolve", []string{"worklist", "resolve", "7", "--dismiss", "--resolution", "duplicate payment", now}, sam},
				{"resolve-again", []string{"worklist", "resolve", "7", now}, sam},
				{"show-noted", []string{"worklist", "show", "6", now}, nil},
				{"correct", []string{"claims", "correct", "2", "--set", `lines.0.modifiers=["25"]`, "--reason", "add modifier 25", now}, sam},
				{"correct-bad-path", []string{"claims", "correct", "9", "--set", "nosuch=1", now}, sam},
				{"correct-no-edits", []string{"claims", "correct", "9", now}, sam},
				{"void", []string{"claims", "void", "4", "--reason", "billed in error", now}, sam},
				{"appeal", []string{"claims", "appeal", "7", "--note", "proof of timely filing attached", "--due", "2026-05-01", now}, sam},
				{"appeal-won", []string{"claims", "appeal", "7", "--status", "won", now}, sam},
				{"writeoff", []string{"claims", "writeoff", "8", "--patient", "--amount", "25.00", "--reason", "small balance", now}, sam},
				{"writeoff-too-much", []string{"claims", "writeoff", "8", "--patient", "--amount", "500", "--reason", "x", now}, sam},
				{"list-after", []string{"worklist", now, "--status", "open,in_progress,resolved,dismissed", "--sort", "id"}, nil},
				{"audit", []string{"audit", "verify"}, nil},
			})
		})
	}
}

func TestReportCommands(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := seededDB(t, backend)
			period := []string{"--from", "2026-03-01", "--to", "2026-03-31"}
			with := func(args ...string) []string { return append(args, period...) }
			runCases(t, db, "report", []cliCase{
				{"kpis", with("report", "kpis"), nil},
				{"kpis-json", with("report", "kpis", "-o", "json"), nil},
				{"aging", with("report", "aging"), nil},
				{"aging-csv", with("report", "aging", "-o", "csv"), nil},
				{"denials", with("report", "denials", "--clinic", "1"), nil},
				{"denials-csv", with("report", "denials", "-o", "csv"), nil},
				{"denials-csv-reason", with("report", "denials", "-o", "csv", "--table", "reason"), nil},
				{"denials-bad-table", with("report", "denials", "-o", "csv", "--table", "carc"), nil},
				{"payers", with("report", "payers"), nil},
				{"payers-json", with("report", "payers", "-o", "json"), nil},
				{"no-shows", with("report", "no-shows"), nil},
				{"default-period", []string{"report", "no-shows", "--now", "2026-03-20T10:00:00Z"}, nil},
				{"bad-period", []string{"report", "kpis", "--from", "2026-03-31", "--to", "2026-03-01"}, nil},
				{"bad-output", with("report", "kpis", "-o", "xml"), nil},
			})
		})
	}
}
