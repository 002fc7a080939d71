package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestConfigPrecedence: a setting comes from the flag when given, else
// from its environment variable, else from the configuration file, else
// the default.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	full := write("full.yaml", `# clearhouse.yaml
database: /var/lib/clearhouse/file.db
serve:
  listen: 0.0.0.0:9999
  workers: 7
  poll-payers: [KHP01, MCRJX]
  nightly: "01:30"
  tz: America/Chicago
  no-nightly: true
  shutdown-timeout: 45s
  log-format: json
`)
	empty := write("empty.yaml", "")
	unknown := write("unknown.yaml", "serve:\n  workers: 3\n  wrokers: 4\n")
	badValue := write("bad-value.yaml", "serve:\n  workers: many\n")
	badTop := write("bad-top.yaml", "databse: x.db\n")
	nested := write("nested.yaml", "serve:\n  database: x.db\n")
	type want struct {
		database, listen, workers, pollPayers, nightly, tz, noNightly, shutdown, logFormat string
	}
	defaults := want{database: DefaultDatabase, listen: DefaultListen, workers: "0", pollPayers: "[]", nightly: "02:00", tz: "",
		noNightly: "false", shutdown: "30s", logFormat: ""}
	fromFile := want{database: "/var/lib/clearhouse/file.db", listen: "0.0.0.0:9999", workers: "7", pollPayers: "[KHP01,MCRJX]", nightly: "01:30",
		tz: "America/Chicago", noNightly: "true", shutdown: "45s", logFormat: "json"}
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		want     want
		wantCode int
		wantErr  string
	}{
		{name: "defaults, no file", args: []string{"--config", empty}, want: defaults},
		{name: "no file at all (./clearhouse.yaml absent)", want: defaults},
		{name: "file", args: []string{"--config", full}, want: fromFile},
		{name: "file named by the environment", env: map[string]string{"CLEARHOUSE_CONFIG": full}, want: fromFile},
		{name: "flags over the file", args: []string{"--config", full, "--database", "flag.db", "--workers", "3", "--listen", "127.0.0.1:1",
			"--poll-payers", "ACME", "--tz", "UTC", "--no-nightly=false", "--log-format", "text"},
			want: want{database: "flag.db", listen: "127.0.0.1:1", workers: "3", pollPayers: "[ACME]", nightly: "01:30", tz: "UTC",
				noNightly: "false", shutdown: "45s", logFormat: "text"}},
		{name: "environment over the file", args: []string{"--config", full},
			env: map[string]string{"CLEARHOUSE_DATABASE": "env.db", "CLEARHOUSE_TZ": "America/Denver"},
			want: want{database: "env.db", listen: "0.0.0.0:9999", workers: "7", pollPayers: "[KHP01,MCRJX]", nightly: "01:30", tz: "",
				noNightly: "true", shutdown: "45s", logFormat: "json"}},
		{name: "flags over the environment", args: []string{"--config", full, "--database", "flag.db", "--tz", "UTC"},
			env: map[string]string{"CLEARHOUSE_DATABASE": "env.db", "CLEARHOUSE_TZ": "America/Denver"},
			want: want{database: "flag.db", listen: "0.0.0.0:9999", workers: "7", pollPayers: "[KHP01,MCRJX]", nightly: "01:30", tz: "UTC",
				noNightly: "true", shutdown: "45s", logFormat: "json"}},
		{name: "--config over CLEARHOUSE_CONFIG", args: []string{"--config", empty}, env: map[string]string{"CLEARHOUSE_CONFIG": full}, want: defaults},
		{name: "unknown key", args: []string{"--config", unknown}, wantCode: 2, wantErr: "unknown.yaml: serve.wrokers (line 3): not a setting of serve"},
		{name: "bad value", args: []string{"--config", badValue}, wantCode: 2, wantErr: `bad-value.yaml: serve.workers (line 2): "many"`},
		{name: "unknown top-level key", args: []string{"--config", badTop}, wantCode: 2, wantErr: "field databse not found"},
		{name: "database under serve", args: []string{"--config", nested}, wantCode: 2, wantErr: "serve.database (line 2): give the database at the top level"},
		{name: "missing file", args: []string{"--config", filepath.Join(dir, "nope.yaml")}, wantCode: 2, wantErr: "nope.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb strings.Builder
			env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return tc.env[k] }}
			root := NewRootCmd(env)
			serve, _, err := root.Find([]string{"serve"})
			if err != nil {
				t.Fatal(err)
			}
			// The settings as serve would start with them.
			serve.RunE = func(*cobra.Command, []string) error { return nil }
			root.SetArgs(append([]string{"serve"}, tc.args...))
			err = root.Execute()
			if code := exitCode(err); code != tc.wantCode || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("exit %d (%v), want %d with %q", code, err, tc.wantCode, tc.wantErr)
			}
			if tc.wantCode != 0 {
				return
			}
			fl := serve.Flags()
			got := want{database: env.Database, listen: fl.Lookup("listen").Value.String(), workers: fl.Lookup("workers").Value.String(),
				pollPayers: fl.Lookup("poll-payers").Value.String(), nightly: fl.Lookup("nightly").Value.String(), tz: fl.Lookup("tz").Value.String(),
				noNightly: fl.Lookup("no-nightly").Value.String(), shutdown: fl.Lookup("shutdown-timeout").Value.String(),
				logFormat: fl.Lookup("log-format").Value.String()}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestVersionFlag(t *testing.T) {
	code, out, _ := run(t, "--version")
	_, want, _ := run(t, "version")
	if code != 0 || out != want || !strings.HasPrefix(out, "clearhouse ") {
		t.Fatalf("--version: exit %d, %q; version printed %q", code, out, want)
	}
}
