// Package rules holds the scrubber's rule files, embedded in the binary:
// common/*.yaml apply to every claim, payers/<payer-id>.yaml to one payer's
// claims. Each file lists rules whose `when` is a CEL expression over the
// claim (see scrub.RuleClaim and scrub.RuleLine for the fields), may switch
// built-in edits off or change their severity, and carries test claims that
// must pass and must fail (`clearhouse rules test`).
package rules

import (
	"embed"
	"io/fs"
)

//go:embed common/*.yaml payers/*.yaml
var files embed.FS

// Files returns the embedded rule files: common/*.yaml and payers/*.yaml.
func Files() fs.FS { return files }
