package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the
// test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// exitCode maps a command's error to its exit status, as Main does.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}

var servingAddr = regexp.MustCompile(`msg=serving .*addr=https?://([0-9.]+:[0-9]+)`)

// serveTokens writes a --tokens file: ola, an operator, and bo, a biller,
// with the tokens probeRiverUI sends.
func serveTokens(t *testing.T) string {
	t.Helper()
	line := func(name, role, token string) string {
		sum := sha256.Sum256([]byte(token))
		return name + " " + role + " * " + hex.EncodeToString(sum[:]) + "\n"
	}
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("# NAME ROLE CLINICS SHA256\n"+line("ola", "operator", "ola-0123456789abcdef")+
		line("bo", "biller", "bo-0123456789abcdef")), 0o600); err != nil {
		t.Fatal(err)
	}
	return tokens
}

func TestServe(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		serveAndProbe(t, filepath.Join(t.TempDir(), "serve.db"), nil)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		serveAndProbe(t, storetest.PostgresURL(t, "clearhouse_cli_serve"), nil, "--inbox", t.TempDir())
	})
}

// TestServeSignal stops serve the way an operator does. It is not parallel:
// the signal goes to the whole test process.
func TestServeSignal(t *testing.T) {
	serveAndProbe(t, filepath.Join(t.TempDir(), "serve.db"), func() {
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	})
}

// serveAndProbe starts serve on db, checks /healthz and /metrics, stops it
// with stop (nil: cancel its context) and checks it stopped cleanly.
func serveAndProbe(t *testing.T, db string, stop func(), extra ...string) {
	var stdout, stderr syncBuffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string {
		if k == "SERVE_TEST_SFTP_PASSWORD" {
			return "not-used"
		}
		return ""
	}}
	tokens := serveTokens(t)
	root := NewRootCmd(env)
	root.SetArgs(append([]string{"--database", db, "serve", "--migrate", "--profile", "testdata/charges/profile.yaml", "--listen", "127.0.0.1:0",
		"--sftp-password-env", "SERVE_TEST_SFTP_PASSWORD", "--no-poll", "--no-nightly", "--shutdown-timeout", "2s", "--log-format", "text",
		"--tokens", tokens}, extra...))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	var base string
	deadline := time.Now().Add(20 * time.Second)
	for base == "" {
		if m := servingAddr.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended before serving: exit %d: %v\nstderr:\n%s", exitCode(err), err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start; stderr:\n%s", stderr.String())
		}
	}

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	code, body := get("/healthz")
	var h health
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != http.StatusOK || h.Status != "ok" || h.Queue != "running" || h.Clinics == nil {
		t.Errorf("/healthz: %d %q (%v)", code, body, err)
	}
	code, body = get("/metrics")
	for _, name := range []string{"clearhouse_claims_submitted_total", "go_goroutines", "process_start_time_seconds"} {
		if code != http.StatusOK || !strings.Contains(body, name) {
			t.Errorf("/metrics: status %d, no %s in:\n%.2000s", code, name, body)
		}
	}

	probeRiverUI(t, base)

	if stop == nil {
		stop = cancel
	}
	stop()
	select {
	case err := <-done:
		if c := exitCode(err); c != 0 {
			t.Fatalf("serve exit %d: %v\nstderr:\n%s", c, err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	if !strings.Contains(stderr.String(), "msg=stopped") {
		t.Errorf("no clean stop logged:\n%s", stderr.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the HTTP server still answers after shutdown")
	}
}

func TestServeServeFor(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	t.Setenv("SERVE_FOR_TEST_PASSWORD", "x")
	code, _, errOut := run(t, "--database", db, "serve", "--migrate", "--profile", "testdata/charges/profile.yaml", "--listen", "127.0.0.1:0",
		"--sftp-password-env", "SERVE_FOR_TEST_PASSWORD", "--no-poll", "--serve-for", "200ms")
	if code != 0 || !strings.Contains(errOut, "--serve-for elapsed") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

func TestServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	t.Setenv("SERVE_BAD_TEST_PASSWORD", "x")
	pw := []string{"--sftp-password-env", "SERVE_BAD_TEST_PASSWORD", "--profile", "testdata/charges/profile.yaml"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"flags", []string{"--workers", "-1", "--nightly", "25:00", "--tz", "Mars/Olympus", "--listen", "nowhere", "--max-inbound-size", "-5"},
			[]string{"--workers -1", "--nightly \"25:00\"", "--tz \"Mars/Olympus\"", "--listen \"nowhere\"", "no SFTP credential", "--max-inbound-size -5"}},
		{"two credentials", append([]string{"--sftp-key", filepath.Join(dir, "key")}, pw...),
			[]string{"give one SFTP credential, not both"}},
		{"password unset", []string{"--sftp-password-env", "SERVE_BAD_TEST_UNSET"}, []string{"$SERVE_BAD_TEST_UNSET is empty or unset"}},
		{"no database", pw, []string{"database file does not exist"}},
		{"payers", append([]string{"--payers", filepath.Join(dir, "none")}, pw...), []string{"payers:"}},
		{"profile", []string{"--sftp-password-env", "SERVE_BAD_TEST_PASSWORD", "--profile", filepath.Join(dir, "none.yaml")}, []string{"--profile:"}},
		{"poll", append([]string{"--poll-payers", "NOPE"}, pw...), []string{`poll payer "NOPE"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := missing
			if tc.name == "poll" {
				db = filepath.Join(t.TempDir(), "ok.db")
				tc.args = append(tc.args, "--migrate")
			}
			args := append([]string{"--database", db, "serve", "--listen", "127.0.0.1:0", "--serve-for", "1ms"}, tc.args...)
			code, _, errOut := run(t, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut, "msg=serving") || strings.Contains(errOut, `"msg":"serving"`) {
				t.Errorf("served despite the bad configuration:\n%s", errOut)
			}
		})
	}
}

func TestHealthzUnavailable(t *testing.T) {
	st, err := sqlitestore.Open(context.Background(), sqlitestore.Config{Path: filepath.Join(t.TempDir(), "h.db")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := &server{log: slog.New(slog.DiscardHandler), st: st}
	s.running.Store(true)
	check := func(wantCode int, wantStatus, wantDB, wantQueue string) {
		t.Helper()
		rec := httptest.NewRecorder()
		s.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		var h health
		if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
			t.Fatal(err)
		}
		if rec.Code != wantCode || h.Status != wantStatus || h.Database != wantDB || h.Queue != wantQueue {
			t.Errorf("got %d %+v, want %d %s database %s queue %s", rec.Code, h, wantCode, wantStatus, wantDB, wantQueue)
		}
	}
	check(http.StatusOK, "ok", "ok", "running")
	s.running.Store(false)
	check(http.StatusServiceUnavailable, "unavailable", "ok", "stopped")
	st.Close()
	s.running.Store(true)
	check(http.StatusServiceUnavailable, "unavailable", "unavailable", "running")
}

// serve logs JSON lines by default when stderr is not a terminal (here a
// buffer) or with --log-format json, logfmt text with --log-format text,
// and refuses any other format.
func TestServeLogFormat(t *testing.T) {
	t.Setenv("SERVE_LOG_TEST_PASSWORD", "x")
	for _, tc := range []struct {
		name   string
		format []string
		json   bool
	}{
		{"default", nil, true},
		{"json", []string{"--log-format", "json"}, true},
		{"text", []string{"--log-format", "text"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "serve.db")
			args := append([]string{"--database", db, "serve", "--migrate", "--profile", "testdata/charges/profile.yaml", "--listen", "127.0.0.1:0",
				"--sftp-password-env", "SERVE_LOG_TEST_PASSWORD", "--no-poll", "--serve-for", "200ms"}, tc.format...)
			code, _, errOut := run(t, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			for _, l := range lines {
				var v map[string]any
				isJSON := json.Unmarshal([]byte(l), &v) == nil && v["msg"] != nil
				if isJSON != tc.json {
					t.Fatalf("line %q: JSON %v, want %v", l, isJSON, tc.json)
				}
			}
			if want := "msg=serving"; tc.json {
				if !strings.Contains(errOut, `"msg":"serving"`) {
					t.Errorf("no serving line:\n%s", errOut)
				}
			} else if !strings.Contains(errOut, want) {
				t.Errorf("no serving line:\n%s", errOut)
			}
		})
	}
	code, _, errOut := run(t, "--database", filepath.Join(t.TempDir(), "x.db"), "serve", "--log-format", "xml", "--serve-for", "1ms")
	if code != 2 || !strings.Contains(errOut, `--log-format "xml": want json or text`) {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

// probeRiverUI checks River UI at /riverui: 200 for the operator (the page
// and its job list API), 403 for a biller, 401 without or with a wrong
// token; changing a job needs jobs.manage.
func probeRiverUI(t *testing.T, base string) {
	t.Helper()
	for _, tc := range []struct {
		name, method, path, token string
		want                      int
		body                      string
	}{
		{"operator", "GET", "/riverui", "ola-0123456789abcdef", http.StatusOK, "<html"},
		{"operator, API", "GET", "/riverui/api/jobs?state=available&limit=5", "ola-0123456789abcdef", http.StatusOK, `"data"`},
		{"biller", "GET", "/riverui", "bo-0123456789abcdef", http.StatusForbidden, "forbidden"},
		{"biller, retry", "POST", "/riverui/api/jobs/retry", "bo-0123456789abcdef", http.StatusForbidden, "forbidden"},
		{"no credentials", "GET", "/riverui", "", http.StatusUnauthorized, "authentication required"},
		{"no credentials, API", "GET", "/riverui/api/jobs?state=available", "", http.StatusUnauthorized, "authentication required"},
		{"wrong token", "GET", "/riverui/", "ola-0123456789abcdeX", http.StatusUnauthorized, "authentication required"},
	} {
		req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.body) {
			t.Errorf("river UI, %s: %s %s: %d %.300q; want %d with %q", tc.name, tc.method, tc.path, resp.StatusCode, body, tc.want, tc.body)
		}
	}
}
