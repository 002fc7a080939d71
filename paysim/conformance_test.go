package paysim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Every file the simulator writes in this package's tests is kept (once
// per content) and, after the tests, checked by the independent 005010
// implementation-guide validator x12valid (pyx12's maps): 999, 277CA and
// 835. It has no map for the 271 (005010X279A1) and cannot read a TA1-only
// interchange, so those are not sent to it. Without the validator (or its
// Python dependency) the check is skipped, except under CI=true, where that
// fails the package.

// x12validPath is the validator: $X12VALID, or the shared tools folder
// beside the repository.
func x12validPath() string {
	if p := os.Getenv("X12VALID"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "shared", "tools", "x12-oracle", "x12valid")
}

// written collects the simulator's output files of the tests.
var written = struct {
	sync.Mutex
	dir  string
	seen map[string]bool
	err  error
}{seen: map[string]bool{}}

// keepWritten copies the X12 files under a simulator root's outbound and
// archive folders that x12valid can check into written.dir. Only tests
// (not benchmarks or fuzz targets) collect.
func keepWritten(tb testing.TB, root string) {
	if _, ok := tb.(*testing.T); !ok || written.dir == "" {
		return
	}
	tb.Cleanup(func() {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			folder := filepath.Base(filepath.Dir(path))
			if folder != string(Outbound) && folder != string(Archive) {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil || !checkable(b) {
				return nil
			}
			sum := sha256.Sum256(b)
			key := hex.EncodeToString(sum[:8])
			written.Lock()
			defer written.Unlock()
			if written.seen[key] {
				return nil
			}
			written.seen[key] = true
			if err := os.WriteFile(filepath.Join(written.dir, key+"-"+d.Name()), b, 0o644); err != nil && written.err == nil {
				written.err = err
			}
			return nil
		})
	})
}

// checkable reports whether b is an interchange of a transaction x12valid
// has a map for: 999, 835 or a 277CA (GS08 005010X214).
func checkable(b []byte) bool {
	if len(b) < 106 || !bytes.HasPrefix(b, []byte("ISA")) {
		return false
	}
	el, term := b[3], b[105]
	for _, seg := range bytes.Split(b, []byte{term}) {
		f := bytes.Split(bytes.TrimSpace(seg), []byte{el})
		if string(f[0]) == "ST" && len(f) > 1 {
			switch string(f[1]) {
			case "999", "835":
				return true
			case "277":
				return bytes.Contains(b, []byte("005010X214"))
			}
			return false
		}
	}
	return false
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paysim-written-")
	if err == nil {
		written.dir = dir
	}
	code := m.Run()
	if dir != "" {
		if c := checkWritten(dir); c != 0 {
			code = c
		}
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// checkWritten runs x12valid over the collected files; it returns the
// exit code of the test binary.
func checkWritten(dir string) int {
	if written.err != nil {
		fmt.Fprintln(os.Stderr, "paysim: keeping the simulator's files:", written.err)
		return 1
	}
	ci := os.Getenv("CI") == "true"
	skip := func(why string) int {
		if ci {
			fmt.Fprintf(os.Stderr, "paysim: x12valid check: %s (CI=true: failing)\n", why)
			return 1
		}
		fmt.Printf("paysim: x12valid check skipped: %s\n", why)
		return 0
	}
	bin := x12validPath()
	if _, err := os.Stat(bin); err != nil {
		return skip("validator " + bin + " not found")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		return 0 // the tests that ran wrote no 999, 277CA or 835
	}
	out, err := exec.Command(bin, files...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		if testing.Verbose() {
			fmt.Printf("paysim: x12valid: %d files written by the simulator passed\n", len(files))
		}
		return 0
	case errors.As(err, &ee) && ee.ExitCode() == 3:
		return skip(strings.TrimSpace(string(out)))
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		fmt.Fprintf(os.Stderr, "paysim: files written by the simulator fail x12valid:\n%s", failingReports(out))
		return 1
	default:
		fmt.Fprintf(os.Stderr, "paysim: x12valid: %v\n%s", err, out)
		return 1
	}
}

// failingReports keeps the report lines of the files that did not pass.
func failingReports(out []byte) string {
	var b strings.Builder
	on := false
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, " ") {
			on = line != "" && !strings.HasSuffix(line, ": OK")
		}
		if on {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
