package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoSmall(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := run(t, "demo", "--dir", dir, "--seed", "3", "--patients", "40", "--appointments", "80")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	db := filepath.Join(dir, "clearhouse.db")
	for _, want := range []string{"clean-claim rate", "Top of the worklist", "clearhouse worklist --database " + db} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "night 2: 837s and 270s submitted") || strings.Contains(errOut, "\r") {
		t.Errorf("stderr progress (not a terminal: one line per step):\n%s", errOut)
	}
}
