package cli

import (
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/rules"
	"github.com/clearhouse/clearhouse/scrub"
)

// ruleFS is the rules directory given with --rules, else the embedded one.
func ruleFS(dir string) fs.FS {
	if dir != "" {
		return os.DirFS(dir)
	}
	return rules.Files()
}

func newRulesCmd(env *Env) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "rules",
		Short: "Check the scrubber's rule files",
	}
	c.PersistentFlags().StringVar(&dir, "rules", "", "rules directory holding common/ and payers/ (default: the embedded rules)")

	lint := &cobra.Command{
		Use:   "lint",
		Short: "Parse every rule file and type-check every expression",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			files, err := scrub.LoadRuleFiles(ruleFS(dir))
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			if err := scrub.Lint(files); err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			n := 0
			for _, f := range files {
				n += len(f.Rules)
			}
			fmt.Fprintf(env.Stdout, "%d rule files, %d rules: ok\n", len(files), n)
			return nil
		},
	}
	var codesDirFlag string
	test := &cobra.Command{
		Use:   "test",
		Short: "Scrub each rule file's pass and fail claims",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			files, err := scrub.LoadRuleFiles(ruleFS(dir))
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			sets, err := codes.Load(codes.LoadOptions{Dir: codesDir(env, codesDirFlag)})
			if err != nil {
				return err
			}
			reg, err := fixtures.Payers()
			if err != nil {
				return err
			}
			s, err := scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			failed := 0
			results := s.RunTests(files)
			for _, r := range results {
				kind := "fail"
				if r.Pass {
					kind = "pass"
				}
				if r.OK {
					fmt.Fprintf(env.Stdout, "ok    %s:%d %s claim %q\n", r.File, r.Line, kind, r.Name)
					continue
				}
				failed++
				fmt.Fprintf(env.Stdout, "FAIL  %s:%d %s claim %q: %s\n", r.File, r.Line, kind, r.Name, r.Problem)
				for _, f := range r.Findings {
					fmt.Fprintf(env.Stdout, "        %s %s at %s: %s\n", f.RuleID, f.Severity, f.Location, f.Message)
				}
			}
			if failed > 0 {
				return exitf(1, "%d of %d rule tests failed", failed, len(results))
			}
			fmt.Fprintf(env.Stdout, "%d rule tests passed\n", len(results))
			return nil
		},
	}
	test.Flags().StringVar(&codesDirFlag, "codes-dir", "", "directory of imported code set releases")
	c.AddCommand(lint, test)
	return c
}
