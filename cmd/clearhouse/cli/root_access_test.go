package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/access"
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

// TestReadOnlyWithoutFlags: "patients reminders" needs patients.read to
// show and patients.write to change.
func TestReadOnlyWithoutFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"patients", "reminders", "MRN-1"}, string(access.PatientsRead)},
		{[]string{"patients", "reminders", "MRN-1", "-o", "json", "--clinic", "1"}, string(access.PatientsRead)},
		{[]string{"patients", "reminders", "MRN-1", "--opt-out"}, string(access.PatientsWrite)},
		{[]string{"patients", "reminders", "MRN-1", "--opt-in"}, string(access.PatientsWrite)},
		{[]string{"patients", "reminders", "MRN-1", "--channel", "sms"}, string(access.PatientsWrite)},
	} {
		root := NewRootCmd(&Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
		cmd, rest, err := root.Find(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Fatal(err)
		}
		if got, ok := permissionFor(cmd); !ok || got != tc.want {
			t.Errorf("%v: %q %v, want %q", tc.args, got, ok, tc.want)
		}
	}
}
