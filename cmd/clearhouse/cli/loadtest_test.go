package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/store/storetest"
)

// envCLIMain makes the test binary run the command line instead of the
// tests: the worker processes of a loadtest with --processes.
const envCLIMain = "CLEARHOUSE_CLI_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envCLIMain) != "" {
		os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	// A process the tests start from this binary (a loadtest's worker
	// processes) runs the command line.
	os.Setenv(envCLIMain, "1")
	os.Exit(m.Run())
}

// TestLoadtest runs the whole chain at 2,000 claims on SQLite (three
// clinics, each its own payee, so every 835 file is routed to the clinic
// it pays) and on PostgreSQL; the command asserts the invariants and exits
// 1 when one fails.
func TestLoadtest(t *testing.T) {
	last := regexp.MustCompile(`(?m)^loadtest: 2000 claims end to end in [0-9.]+ s \([0-9]+ claims/s\), ledger balanced, 0 lost, 0 doubled\n\z`)
	for _, tc := range []struct {
		name    string
		clinics string
		args    func(t *testing.T) []string
	}{
		{"sqlite", "3", func(t *testing.T) []string { return nil }},
		{"postgres", "1", func(t *testing.T) []string {
			return []string{"--database", storetest.PostgresURL(t, "clearhouse_cli_loadtest")}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"loadtest", "--claims", "2000", "--clinics", tc.clinics, "--dir", t.TempDir(), "--stage-timeout", "5m"}, tc.args(t)...)
			code, out, errOut := run(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, errOut, out)
			}
			if !last.MatchString(out) {
				t.Errorf("last line:\n%s", out)
			}
			for _, stage := range []string{"seeding (not timed): " + tc.clinics + " clinics", "claims built ", "claims scrubbed ", "837s submitted ",
				"999s and 277CAs applied ", "835s posted "} {
				if !strings.Contains(out, stage) {
					t.Errorf("no %q line:\n%s", stage, out)
				}
			}
		})
	}
}

// TestLoadtestProcesses runs 2,000 claims of two clinics on PostgreSQL
// with two worker processes, the payers' 835s split into files of at most
// 100 claim payments posted side by side.
func TestLoadtestProcesses(t *testing.T) {
	var out bytes.Buffer
	res, err := runLoadtest(context.Background(), loadtestOptions{Claims: 2000, Clinics: 2, Workers: 2, Processes: 2, Seed: 7, ClaimsPer835: 100,
		Dir: t.TempDir(), Database: storetest.PostgresURL(t, "clearhouse_cli_loadtest"), Stdout: &out, StageTimeout: 5 * time.Minute,
		Command: func(args []string) *exec.Cmd {
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), envCLIMain+"=1")
			return cmd
		}})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Lost != 0 || res.Doubled != 0 || len(res.Problems) > 0 || !strings.Contains(out.String(), "ledger balanced, 0 lost, 0 doubled") ||
		!strings.Contains(out.String(), "seeding (not timed): 2 clinics") {
		t.Errorf("%+v\n%s", res, out.String())
	}
}

func TestLoadtestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"loadtest", "--claims", "0"},
		{"loadtest", "--processes", "0"},
		{"loadtest", "--processes", "2"},
		{"loadtest", "--clinics", "0"},
		{"loadtest", "--workers", "0"},
		{"loadtest", "--claims-per-835", "-1"},
	} {
		if code, _, errOut := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errOut)
		}
	}
}

// TestLoadtestWorkerExits: a worker process that dies ends the run at
// once with an error naming it, instead of waiting out the stage timeout.
func TestLoadtestWorkerExits(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	_, err := runLoadtest(context.Background(), loadtestOptions{Claims: 200, Clinics: 1, Workers: 1, Processes: 1, Seed: 7,
		Dir: t.TempDir(), Database: storetest.PostgresURL(t, "clearhouse_cli_loadtest"), Stdout: &out, StageTimeout: 5 * time.Minute,
		Command: func(args []string) *exec.Cmd { return exec.Command("sh", "-c", "exit 3") }})
	if err == nil || !strings.Contains(err.Error(), "exited during the run: exit status 3") {
		t.Fatalf("error %v, want the worker process's exit\n%s", err, out.String())
	}
	if waited := time.Since(start); waited > 2*time.Minute {
		t.Errorf("the run noticed after %v", waited)
	}
}
