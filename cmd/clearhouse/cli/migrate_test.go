package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/store/storetest"
)

func TestMigrateSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ch.db")
	code, out, errOut := run(t, "--database", db, "migrate")
	if code != 0 {
		t.Fatalf("migrate: code %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"applied river migration 1 ", "applied clearhouse migration 1 initial\n",
		"sqlite " + db + ": schema upgraded ("} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, "--database", db, "migrate")
	if code != 0 || out != "sqlite "+db+": schema is up to date\n" {
		t.Fatalf("second migrate: code %d, output %q", code, out)
	}
}

func TestMigrateDatabaseFromEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "env.db")
	t.Setenv("CLEARHOUSE_DATABASE", db)
	code, out, errOut := run(t, "migrate")
	if code != 0 || !strings.Contains(out, "sqlite "+db+": schema upgraded") {
		t.Fatalf("code %d, output %q, stderr %q", code, out, errOut)
	}
}

func TestMigratePostgres(t *testing.T) {
	url := storetest.PostgresURL(t, "clearhouse_cli_test")
	code, out, errOut := run(t, "--database", url, "migrate")
	if code != 0 {
		t.Fatalf("migrate: code %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "applied clearhouse migration 1 initial\n") || !strings.Contains(out, "postgres postgres://") {
		t.Fatalf("output:\n%s", out)
	}
	code, out, _ = run(t, "--database", url, "migrate")
	if code != 0 || !strings.HasSuffix(out, ": schema is up to date\n") {
		t.Fatalf("second migrate: code %d, output %q", code, out)
	}
	code, out, errOut = run(t, "--database", url, "audit", "verify")
	if code != 0 || out != "OK: 0 events in 0 clinics verified\n" {
		t.Fatalf("audit verify: code %d, output %q, stderr %q", code, out, errOut)
	}
}
