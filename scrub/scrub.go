// Package scrub checks claims before they leave: built-in edits for the
// implementation guide rules (WEDI SNIP types 2-5), external code sets
// (ICD-10-CM, HCPCS, modifiers, place of service, taxonomy), balancing, NCCI
// procedure-to-procedure pairs and MUE unit limits, and per-payer rule files
// whose conditions are CEL expressions over the claim (SNIP type 7).
//
// A Scrubber is built once with New: rule expressions are compiled then, and
// scrubbing a claim only evaluates them. A Scrubber is safe for concurrent
// use.
package scrub

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/payers"
)

// Severity says what a finding does to the claim.
type Severity uint8

// The severities. A zero Severity means "off" in overrides.
const (
	// Warn findings go to the worklist but the claim may still be sent.
	Warn Severity = iota + 1
	// Reject findings hold the claim back: the payer would reject it.
	Reject
)

func (s Severity) String() string {
	switch s {
	case Warn:
		return "warn"
	case Reject:
		return "reject"
	}
	return "off"
}

// ParseSeverity reads "reject" or "warn".
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "reject":
		return Reject, nil
	case "warn":
		return Warn, nil
	}
	return 0, fmt.Errorf("severity %q: want reject or warn", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Location is where in the 837 a finding points: the one location type the
// scrubber and the 837 encoder share.
type Location = claim.Location

// Finding is one problem with a claim.
type Finding struct {
	// ClaimID is the claim's ID, or its patient control number when it has
	// no ID.
	ClaimID              string   `json:"claimId"`
	PatientControlNumber string   `json:"patientControlNumber"`
	RuleID               string   `json:"ruleId"`
	SNIP                 int      `json:"snip"`
	Severity             Severity `json:"severity"`
	Message              string   `json:"message"`
	Location             Location `json:"location"`
	Fix                  string   `json:"fix"`
	// Source is "builtin" or the rule file that raised the finding.
	Source string `json:"source"`
}

// HasReject reports whether any finding is reject-level.
func HasReject(fs []Finding) bool {
	for i := range fs {
		if fs[i].Severity == Reject {
			return true
		}
	}
	return false
}

// History answers whether an equivalent claim was already submitted, for
// the duplicate-claim edit.
type History interface {
	// Seen returns the ID of an earlier claim with the same key.
	Seen(key DuplicateKey) (claimID string, ok bool)
}

// Options are the per-call context of Scrub.
type Options struct {
	// Today is the submission date: future dates of service and timely
	// filing are measured against it. Required for those edits; when zero
	// they are skipped.
	Today claim.Date
	// History, when set, enables the duplicate-claim edit.
	History History
	// PayerID overrides the claim's payer (Loop 2010BB NM109) when choosing
	// the payer's rule file and filing limit.
	PayerID string
	// Coverage, when set, is the patient's coverage with the claim's payer
	// (for instance from a 271's plan dates, Loop 2110C DTP*346/347/291):
	// it enables the DATE-COVERAGE edit. The claim itself carries no
	// coverage dates, so without it the edit says nothing.
	Coverage *CoveragePeriod
	// DenialRisk, when set, predicts the claim's denial (package predict's
	// model, trained on the clinic's posted 835s): a risk of
	// DenialRiskThreshold or more is a warning-level DENIAL-RISK finding
	// naming the top reasons. The claim still goes out.
	DenialRisk func(c *claim.Claim, payerID string) (risk float64, reasons []string, ok bool)
}

// DenialRiskThreshold is the predicted denial risk from which the
// DENIAL-RISK warning is raised.
const DenialRiskThreshold = 0.3

// RuleDenialRisk is the rule ID of the predicted-denial warning.
const RuleDenialRisk = "DENIAL-RISK"

// CoveragePeriod is a span of coverage, inclusive at both ends. A zero From
// means coverage since before any date of service, a zero To coverage that
// has not ended.
type CoveragePeriod struct {
	From, To claim.Date
}

// known reports whether p bounds anything.
func (p *CoveragePeriod) known() bool { return p != nil && (!p.From.IsZero() || !p.To.IsZero()) }

func (p *CoveragePeriod) String() string {
	from, to := "open", "open"
	if !p.From.IsZero() {
		from = p.From.String()
	}
	if !p.To.IsZero() {
		to = p.To.String()
	}
	return from + " to " + to
}

// Config configures New.
type Config struct {
	// Codes are the code sets and NCCI/MUE tables. Required.
	Codes *codes.Sets
	// Payers, when set, supplies timely filing limits and accepted
	// transactions; a claim for a payer not in it gets a finding.
	Payers *payers.Registry
	// RuleFiles are parsed rule files (see ParseRuleFile, LoadRuleFiles):
	// files without a payer apply to every claim, the others to their
	// payer's claims.
	RuleFiles []*RuleFile
}

// ErrConfig wraps configuration errors of New.
var ErrConfig = errors.New("scrub: bad configuration")

// Scrubber scrubs claims. Build it with New.
type Scrubber struct {
	codes  *codes.Sets
	payers *payers.Registry
	env    *ruleEnv
	common *profile
	// byPayer holds a profile per payer with a rule file.
	byPayer map[string]*profile
	views   sync.Pool
}

// profile is what applies to one payer's claims: the built-in severities
// after overrides and the compiled rules of the common files and the
// payer's file.
type profile struct {
	severity [numEdits]Severity
	rules    []*compiledRule
	// lineRules are the indexes in rules of the rules with scope line.
	lineRules []int
}

// newProfile returns the profile of severities sev and rules.
func newProfile(sev [numEdits]Severity, rules []*compiledRule) *profile {
	p := &profile{severity: sev, rules: rules}
	for i, cr := range rules {
		if cr.rule.Scope == ScopeLine {
			p.lineRules = append(p.lineRules, i)
		}
	}
	return p
}

// New compiles the rule files and returns a Scrubber. Every compile error of
// every file is returned, each with its file and line.
func New(cfg Config) (*Scrubber, error) {
	if cfg.Codes == nil {
		return nil, fmt.Errorf("%w: Codes is required", ErrConfig)
	}
	for _, k := range []codes.Kind{codes.ICD10CM, codes.HCPCS, codes.Modifier, codes.POS, codes.Taxonomy} {
		if cfg.Codes.Set(k) == nil {
			return nil, fmt.Errorf("%w: code set %s not loaded", ErrConfig, k)
		}
	}
	env, err := newRuleEnv()
	if err != nil {
		return nil, err
	}
	s := &Scrubber{codes: cfg.Codes, payers: cfg.Payers, env: env, byPayer: map[string]*profile{}}
	s.views.New = func() any { return env.newView() }

	var errs []error
	var common []*compiledRule
	commonSev := defaultSeverities()
	compiled := map[*RuleFile][]*compiledRule{}
	for _, f := range cfg.RuleFiles {
		rs, err := env.compileFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		compiled[f] = rs
		if f.Payer == "" {
			common = append(common, rs...)
			f.Builtins.apply(&commonSev)
		}
	}
	for _, f := range cfg.RuleFiles {
		if f.Payer == "" || compiled[f] == nil {
			continue
		}
		if _, dup := s.byPayer[f.Payer]; dup {
			errs = append(errs, fmt.Errorf("%w: %s: a second rule file for payer %s", ErrConfig, f.Name, f.Payer))
			continue
		}
		sev := commonSev
		f.Builtins.apply(&sev)
		s.byPayer[f.Payer] = newProfile(sev, append(append([]*compiledRule(nil), common...), compiled[f]...))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.common = newProfile(commonSev, common)
	return s, nil
}

// Scrub checks one claim and returns its findings (nil when clean).
func (s *Scrubber) Scrub(c *claim.Claim, opts Options) []Finding {
	return s.AppendScrub(nil, c, opts)
}

// AppendScrub appends the claim's findings to dst and returns it, so a
// caller scrubbing many claims can reuse one buffer.
func (s *Scrubber) AppendScrub(dst []Finding, c *claim.Claim, opts Options) []Finding {
	payerID := opts.PayerID
	if payerID == "" {
		payerID = c.Payer.ID
	}
	prof := s.common
	if p, ok := s.byPayer[payerID]; ok {
		prof = p
	}
	var payer *payers.Payer
	if s.payers != nil {
		payer, _ = s.payers.Get(payerID)
	}
	ck := &checker{s: s, c: c, opts: opts, prof: prof, payer: payer, payerID: payerID, out: dst}
	ck.claimID = c.ID
	if ck.claimID == "" {
		ck.claimID = c.PatientControlNumber
	}
	ck.run()
	if len(prof.rules) > 0 {
		v := s.views.Get().(*ruleView)
		v.fill(c, payerID, opts.Today)
		ck.runRules(v)
		v.reset()
		s.views.Put(v)
	}
	if opts.DenialRisk != nil {
		if risk, reasons, ok := opts.DenialRisk(c, payerID); ok && risk >= DenialRiskThreshold {
			ck.out = append(ck.out, Finding{ClaimID: ck.claimID, PatientControlNumber: c.PatientControlNumber, RuleID: RuleDenialRisk,
				Severity: Warn, Message: fmt.Sprintf("predicted denial risk %.0f%% (%s)", risk*100, strings.Join(reasons, ", ")),
				Fix: "check the named items (authorization, codes, modifiers) before the claim goes out", Source: "denial model"})
		}
	}
	return ck.out
}

// PayerRuleFiles returns the payers that have a rule file.
func (s *Scrubber) PayerRuleFiles() []string {
	ids := make([]string, 0, len(s.byPayer))
	for id := range s.byPayer {
		ids = append(ids, id)
	}
	return ids
}
