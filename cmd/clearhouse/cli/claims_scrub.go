package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/guide"
	"github.com/clearhouse/clearhouse/edi/x837"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// addClaimsScrubCmd adds `claims scrub` to the claims command.
func addClaimsScrubCmd(parent *cobra.Command, env *Env) {
	var (
		payerID, output, today, rulesDir, codesDirFlag, payersDir string
		coverageFrom, coverageTo, claimArg                        string
		clinic                                                    int64
	)
	c := &cobra.Command{
		Use:   "scrub CLAIMS.json|FILE.x12|- | --claim ID|PCN",
		Short: "Scrub claims; exit status 1 when any claim has a reject-level finding",
		Long: "Scrub claims read from a JSON file (one claim or an array, in the claim model's JSON form) or an\n" +
			"837P/837I file, against the built-in edits, the code sets, NCCI/MUE and the payer's rule file.\n" +
			"Prints every finding with its claim, rule, severity, X12 location and suggested fix.\n" +
			"An 837 is first checked against its implementation guide; what the check or the decoder\n" +
			"finds (a segment skipped, a claim that cannot be read) goes to standard error with its\n" +
			"position and is exit status 1. Exit status 2: the file cannot be read, is not X12 or JSON, or is\n" +
			"larger than --max-input-size. - reads standard input.\n\n" +
			"--claim re-scrubs a stored claim (by ID or patient control number) against its payer's rules and the\n" +
			"patient's coverage period with that payer.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&output, formatTable, formatJSON); err != nil {
				return err
			}
			day := claim.DateOf(time.Now())
			if today != "" {
				d, err := claim.ParseDate(today)
				if err != nil {
					return exitf(2, "--today: %v", err)
				}
				day = d
			}
			coverage, err := parseCoverage(coverageFrom, coverageTo)
			if err != nil {
				return exitf(2, "%v", err)
			}
			if (len(args) == 1) == (claimArg != "") {
				return exitf(2, "give a claims file or --claim ID|PCN (one of them)")
			}
			source := claimArg
			var claims []*claim.Claim
			var rep *edi.ValidationReport
			var err2 error
			if claimArg != "" {
				stored, err := storedClaim(cmd, env, clinic, claimArg)
				if err != nil {
					return err
				}
				claims = []*claim.Claim{&stored.doc}
				if payerID == "" {
					payerID = stored.payerID
				}
				if coverage == nil {
					coverage = stored.coverage
				}
			} else {
				source = args[0]
				if claims, rep, err2 = readClaims(env, args[0]); err2 != nil {
					var ee *ExitError
					if errors.As(err2, &ee) {
						return err2
					}
					return nameFile(args[0], exitf(2, "%v", err2))
				}
			}
			s, err := newScrubber(env, rulesDir, codesDirFlag, payersDir)
			if err != nil {
				return err
			}
			opts := scrub.Options{Today: day, PayerID: payerID, Coverage: coverage}
			var all []scrub.Finding
			for _, c := range claims {
				all = s.AppendScrub(all, c, opts)
			}
			if err := printFindings(env, output, len(claims), all); err != nil {
				return err
			}
			if rep != nil && !rep.Clean() {
				// An 837 the decoder could not read whole: what it
				// skipped is listed, and the findings are not the
				// whole story (issue 14).
				writeProblems(env.Stderr, rep)
				return exitf(1, "%s: %s against the implementation guide; claims or segments the decoder skipped were not scrubbed",
					source, plural(rep.ErrorCount(), "error", "errors"))
			}
			if scrub.HasReject(all) {
				// The findings are listed above; the status names the
				// file like every other error.
				return exitf(1, "%s: claims with reject-level findings (listed above)", source)
			}
			return nil
		},
	}
	c.Flags().StringVar(&payerID, "payer", "", "payer ID whose rules apply (default: each claim's payer, Loop 2010BB NM109)")
	outputFlag(c, &output, []string{formatTable, formatJSON}, "")
	c.Flags().StringVar(&today, "today", "", "submission date YYYY-MM-DD for timely filing and future dates (default: today)")
	c.Flags().StringVar(&rulesDir, "rules", "", "rules directory holding common/ and payers/ (default: the embedded rules)")
	c.Flags().StringVar(&codesDirFlag, "codes-dir", "", "directory of imported code set releases")
	c.Flags().StringVar(&payersDir, "payers", "", "directory of payer definitions (default: the fixture payers)")
	c.Flags().StringVar(&coverageFrom, "coverage-from", "", "first day YYYY-MM-DD of the patient's coverage, for the DATE-COVERAGE edit (default: unknown)")
	maxInputFlag(c, env)
	c.Flags().StringVar(&claimArg, "claim", "", "re-scrub a stored claim, by ID or patient control number (instead of a file)")
	c.Flags().Int64Var(&clinic, "clinic", 0, "clinic of --claim (default: the only clinic of the database)")
	c.Flags().StringVar(&coverageTo, "coverage-to", "", "last day YYYY-MM-DD of the patient's coverage (default: unknown, or not ended when --coverage-from is given)")
	parent.AddCommand(c)
}

// parseCoverage reads --coverage-from and --coverage-to; nil when neither
// is given (coverage unknown).
func parseCoverage(from, to string) (*scrub.CoveragePeriod, error) {
	if from == "" && to == "" {
		return nil, nil
	}
	var p scrub.CoveragePeriod
	var err error
	if from != "" {
		if p.From, err = claim.ParseDate(from); err != nil {
			return nil, fmt.Errorf("--coverage-from: %v", err)
		}
	}
	if to != "" {
		if p.To, err = claim.ParseDate(to); err != nil {
			return nil, fmt.Errorf("--coverage-to: %v", err)
		}
	}
	if !p.From.IsZero() && !p.To.IsZero() && p.To.Before(p.From) {
		return nil, fmt.Errorf("--coverage-to %s is before --coverage-from %s", p.To, p.From)
	}
	return &p, nil
}

// readClaims reads a JSON claim, a JSON array of claims, or an 837 file.
// An 837 is also checked against its implementation guide (one pass over
// the bytes already in memory); the report is nil for JSON.
func readClaims(env *Env, path string) ([]*claim.Claim, *edi.ValidationReport, error) {
	data, err := readCapped(env, path)
	if err != nil {
		return nil, nil, err
	}
	if path == "-" {
		path = "<stdin>"
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("ISA")) {
		rep, err := guide.Validate(bytes.NewReader(data), guide.Options{File: path})
		if err != nil {
			return nil, nil, err
		}
		d := x837.NewDecoder(bytes.NewReader(data))
		d.File = path
		var out []*claim.Claim
		for d.Next() {
			out = append(out, d.Claim())
		}
		if err := d.Err(); err != nil {
			// Content the decoder could not read is the file's fault,
			// not the reader's: the claims read are scrubbed and the
			// decoder's errors join the guide check's.
			var list *edi.ErrorList
			if errors.As(err, &list) {
				for _, e := range list.Errs {
					rep.Errors.Add(e)
				}
				rep.Errors.Dropped += list.Dropped
			} else {
				return nil, nil, err
			}
		}
		return out, rep, nil
	}
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var cs []*claim.Claim
		if err := json.Unmarshal(trimmed, &cs); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return cs, nil, nil
	}
	var c claim.Claim
	if err := json.Unmarshal(trimmed, &c); err != nil {
		return nil, nil, fmt.Errorf("%s: want a claim, an array of claims or an 837 file: %w", path, err)
	}
	return []*claim.Claim{&c}, nil, nil
}

func printFindings(env *Env, output string, claims int, fs []scrub.Finding) error {
	if output == "json" {
		if fs == nil {
			fs = []scrub.Finding{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(fs)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLAIM\tRULE\tSEVERITY\tLOCATION\tMESSAGE\tFIX")
	rejected := map[string]bool{}
	for _, f := range fs {
		if f.Severity == scrub.Reject {
			rejected[f.ClaimID] = true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.ClaimID, f.RuleID, f.Severity, f.Location, oneLine(f.Message), oneLine(f.Fix))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(env.Stdout, "%d claims, %d findings, %d claims with reject-level findings\n", claims, len(fs), len(rejected))
	return err
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// newScrubber builds the scrubber from the rules, code sets and payer
// registry the flags name (the embedded and bundled ones by default).
func newScrubber(env *Env, rulesDir, codesDirFlag, payersDir string) (*scrub.Scrubber, error) {
	files, err := scrub.LoadRuleFiles(ruleFS(rulesDir))
	if err != nil {
		return nil, exitf(2, "%v", err)
	}
	sets, err := codes.Load(codes.LoadOptions{Dir: codesDir(env, codesDirFlag)})
	if err != nil {
		return nil, err
	}
	var reg *payers.Registry
	if payersDir != "" {
		reg, err = payers.LoadDir(payersDir)
	} else {
		reg, err = fixtures.Payers()
	}
	if err != nil {
		return nil, exitf(2, "%v", err)
	}
	s, err := scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
	if err != nil {
		return nil, exitf(2, "%v", err)
	}
	return s, nil
}

// stored is a stored claim as the scrubber takes it.
type stored struct {
	doc      claim.Claim
	payerID  string
	coverage *scrub.CoveragePeriod
}

// storedClaim loads a claim by ID or patient control number with its
// payer's ID and the patient's coverage period with that payer.
func storedClaim(cmd *cobra.Command, env *Env, clinic int64, arg string) (stored, error) {
	ctx := cmdContext(cmd)
	st, err := storedb.Open(ctx, env.Database, storedb.Options{})
	if err != nil {
		return stored{}, &ExitError{Code: 2, Err: err}
	}
	defer st.Close()
	cid, err := clinicOrOnly(ctx, st, clinic)
	if err != nil {
		return stored{}, err
	}
	var out stored
	err = st.InTx(ctx, cid, func(tx store.Tx) error {
		c, err := claimRef(ctx, tx, cid, arg)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(c.Document, &out.doc); err != nil {
			return fmt.Errorf("claim %d: stored document: %w", c.ID, err)
		}
		if out.doc.ID == "" {
			out.doc.ID = c.PatientControlNumber
		}
		p, err := tx.GetPayer(ctx, store.Ref{ClinicID: cid, ID: c.PayerID})
		if err != nil {
			return err
		}
		out.payerID = p.PayerID
		covs, err := tx.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: cid, PatientID: c.PatientID, PayerID: c.PayerID})
		if err != nil {
			return err
		}
		for _, cv := range covs {
			if cv.EffectiveFrom.IsZero() && cv.EffectiveTo.IsZero() {
				continue
			}
			out.coverage = &scrub.CoveragePeriod{From: claim.DateOf(cv.EffectiveFrom), To: claim.DateOf(cv.EffectiveTo)}
			if cv.EffectiveTo.IsZero() {
				out.coverage.To = claim.Date{}
			}
			if cv.EffectiveFrom.IsZero() {
				out.coverage.From = claim.Date{}
			}
			break
		}
		return nil
	})
	if err != nil {
		return stored{}, regError(err)
	}
	return out, nil
}
