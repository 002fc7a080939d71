package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandHasAPermission: a command added without an entry in
// commandPermissions is refused at run time; this test names it first.
func TestEveryCommandHasAPermission(t *testing.T) {
	root := NewRootCmd(&Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	seen := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if _, ok := permissionFor(c); !ok {
			t.Errorf("%s: no entry in commandPermissions", c.CommandPath())
		}
		seen[c.CommandPath()] = true
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for path := range commandPermissions {
		if !seen[path] {
			t.Errorf("commandPermissions names %q, which is no command", path)
		}
	}
}
