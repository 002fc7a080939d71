package cli

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// readmeSpan is a code span of the README's command-line section.
var readmeSpan = regexp.MustCompile("`([^`]+)`")

// readmeWord is a command name, or alternatives "a|b", in a README span.
var readmeWord = regexp.MustCompile(`^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$`)

// readmeFlag is a flag as the README writes it: --name or -x.
var readmeFlag = regexp.MustCompile(`^(--[a-z0-9][a-z0-9-]*|-[a-zA-Z0-9])$`)

// TestREADMECommands checks the README's command-line section against
// the command tree: every command it names exists, every flag it names
// belongs to a command of its row or paragraph, and every command of the
// tree is named there (issue 19).
func TestREADMECommands(t *testing.T) {
	raw, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	start := strings.Index(text, "## The command line by task")
	end := strings.Index(text, "## Configuration")
	if start < 0 || end < start {
		t.Fatal(`README has no "The command line by task" section before "Configuration"`)
	}
	root := NewRootCmd(&Env{Stdin: strings.NewReader(""), Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Getenv: func(string) string { return "" }})
	named := map[string]bool{}
	var all []*cobra.Command
	var collect func(c *cobra.Command)
	collect = func(c *cobra.Command) {
		all = append(all, c)
		for _, sub := range c.Commands() {
			collect(sub)
		}
	}
	collect(root)
	// A block is a table row or a paragraph: the flags in it belong to
	// one of the commands it names.
	for _, block := range readmeBlocks(text[start:end]) {
		var cmds []*cobra.Command
		var flags []string
		for _, m := range readmeSpan.FindAllStringSubmatch(block, -1) {
			words := strings.Fields(strings.NewReplacer(`\|`, "|", "[", " ", "]", " ", "(", " ", ")", " ").Replace(m[1]))
			if len(words) == 0 {
				continue
			}
			if words[0] == "clearhouse" || (len(words) > 1 && isSubcommand(root, words[0])) {
				if words[0] == "clearhouse" {
					words = words[1:]
				}
				got, rest, err := resolveREADME(root, words)
				if err != nil {
					t.Errorf("README `%s`: %v", m[1], err)
					continue
				}
				for _, c := range got {
					named[c.CommandPath()] = true
				}
				cmds = append(cmds, got...)
				words = rest
			}
			for i := 0; i < len(words); i++ {
				name, _, _ := strings.Cut(words[i], "=")
				if readmeFlag.MatchString(name) {
					flags = append(flags, name)
					// Skip the flag's value (--sort -amount).
					if f := lookupAny(cmds, name); f != nil && f.Value.Type() != "bool" && !strings.Contains(words[i], "=") {
						i++
					}
				}
			}
		}
		for _, f := range flags {
			if f == "--help" || f == "-h" {
				continue
			}
			if len(cmds) == 0 {
				// A paragraph of conventions: the flag must be some
				// command's.
				if lookupAny(all, f) == nil {
					t.Errorf("README names flag %s, which no command has:\n%s", f, block)
				}
				continue
			}
			if lookupAny(cmds, f) == nil {
				var paths []string
				for _, c := range cmds {
					paths = append(paths, c.CommandPath())
				}
				t.Errorf("README names flag %s, which none of %s has (see --help)", f, strings.Join(paths, ", "))
			}
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if c.Runnable() && c != root && !named[c.CommandPath()] {
			t.Errorf("README's command-line section does not name %q", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// readmeBlocks splits markdown into table rows and paragraphs.
func readmeBlocks(s string) []string {
	var out []string
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, strings.Join(para, "\n"))
			para = nil
		}
	}
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "|"):
			flush()
			out = append(out, line)
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "```"):
			flush()
		default:
			para = append(para, line)
		}
	}
	flush()
	return out
}

func isSubcommand(c *cobra.Command, name string) bool {
	for _, sub := range c.Commands() {
		if sub.Name() == name {
			return true
		}
	}
	return false
}

// resolveREADME follows words down the tree: "a|b" names alternatives,
// and the path ends at a flag, a placeholder (FILE, ID, ...) or a command
// without subcommands. It returns the commands named and the words left.
func resolveREADME(root *cobra.Command, words []string) ([]*cobra.Command, []string, error) {
	cur := []*cobra.Command{root}
	i := 0
	for ; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "-") || !readmeWord.MatchString(w) {
			break
		}
		if !slices.ContainsFunc(cur, func(c *cobra.Command) bool { return c.HasSubCommands() }) {
			break
		}
		var next []*cobra.Command
		for _, c := range cur {
			for _, alt := range strings.Split(w, "|") {
				sub, _, err := c.Find([]string{alt})
				if err != nil || sub == c || sub.Name() != alt {
					return nil, nil, fmt.Errorf("%q is not a subcommand of %q", alt, c.CommandPath())
				}
				next = append(next, sub)
			}
		}
		cur = next
	}
	if len(cur) == 1 && cur[0] == root {
		return nil, nil, errors.New("names no command")
	}
	return cur, words[i:], nil
}

// lookupAny finds a flag (--name or -x) on any of cmds, inherited flags
// included.
func lookupAny(cmds []*cobra.Command, name string) *pflag.Flag {
	for _, c := range cmds {
		var f *pflag.Flag
		if strings.HasPrefix(name, "--") {
			f = c.Flag(strings.TrimPrefix(name, "--"))
		} else {
			short := strings.TrimPrefix(name, "-")
			if f = c.Flags().ShorthandLookup(short); f == nil {
				f = c.InheritedFlags().ShorthandLookup(short)
			}
		}
		if f != nil && !f.Hidden {
			return f
		}
	}
	return nil
}
