package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// Output formats of -o/--output. Every command that prints a listing or a
// report takes -o for its format; files are written with --out FILE.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatCSV   = "csv"
)

// outputFlag registers -o/--output on c with the formats it supports (the
// first is the default) and, when alias is given, that older flag name as
// a hidden alias of --output kept for old scripts (hidden, not marked
// deprecated: pflag writes its deprecation notice to standard output, which
// would spoil JSON and CSV output).
func outputFlag(c *cobra.Command, p *string, formats []string, alias string) {
	usage := "output format: " + joinOr(formats)
	c.Flags().StringVarP(p, "output", "o", formats[0], usage)
	if alias != "" {
		c.Flags().StringVar(p, alias, formats[0], usage)
		_ = c.Flags().MarkHidden(alias)
	}
}

// checkOutput returns a usage error unless f is one of formats; "text" is
// accepted for "table".
func checkOutput(f *string, formats ...string) error {
	if *f == "text" && slices.Contains(formats, formatTable) {
		*f = formatTable
	}
	if !slices.Contains(formats, *f) {
		return exitf(2, "--output %q: want %s", *f, joinOr(formats))
	}
	return nil
}

// joinOr writes "a, b or c".
func joinOr(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
