package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/report"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worklist"
)

// Summary is what a demo run reports: the KPIs and denial rates package
// report computes for the demo's period (the same figures `clearhouse
// report kpis` and `report denials` print for that period), and the run's
// own checks (claims by status, the ledger's balance).
type Summary struct {
	// Period is the demo's: from the Monday of the first week to the
	// simulated day the run ended, as --from and --to of the reports.
	Period  report.Params
	KPIs    report.KPIs
	Denials report.Denials
	// Claims by status; Secondary and Tertiary count the claims billed
	// after another payer (coordination of benefits, SBR01 S and T).
	Claims    int
	Secondary int
	Tertiary  int
	ByStatus  map[string]int
	// LedgerBalanced: the clinic's ledger entries sum to zero.
	LedgerBalanced bool
	// ClaimsOutOfBalance lists claims whose charge differs from their 835
	// payments, adjustments, patient share and insurance A/R (secondary and
	// tertiary claims once paid).
	ClaimsOutOfBalance []string
	OpenWork           map[string]int
}

// isSecondary reports whether a claim bills a payer after another one, a
// secondary or tertiary (Loop 2000B SBR01 other than P).
func isSecondary(c store.Claim) bool {
	r := payerResponsibility(c)
	return r != "" && r != "P"
}

// payerResponsibility is the claim's Loop 2000B SBR01.
func payerResponsibility(c store.Claim) string {
	var doc struct {
		Subscriber struct {
			PayerResponsibility string `json:"payerResponsibility"`
		} `json:"subscriber"`
	}
	if json.Unmarshal(c.Document, &doc) != nil {
		return ""
	}
	return doc.Subscriber.PayerResponsibility
}

// period is the demo's report period: the first Monday to the simulated
// day the run ended, as dates (midnight UTC), as the report command reads
// --from and --to.
func (r *runner) period() report.Params {
	date := func(t time.Time) time.Time {
		d, _ := time.Parse(time.DateOnly, t.Format(time.DateOnly))
		return d
	}
	return report.Params{ClinicIDs: []int64{r.clinic.ID}, From: date(r.ds.Start), To: date(r.clock.Now())}
}

func (r *runner) summary(ctx context.Context) (*Summary, error) {
	cid := r.clinic.ID
	s := &Summary{Period: r.period(), ByStatus: make(map[string]int), OpenWork: make(map[string]int), LedgerBalanced: true}
	d, err := report.Load(ctx, r.st, s.Period)
	if err != nil {
		return nil, err
	}
	s.KPIs = report.ComputeKPIs(d)
	s.Denials = report.ComputeDenials(d)
	for after := int64(0); ; {
		cs, err := r.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			s.Claims++
			s.ByStatus[string(c.Status)]++
			if isSecondary(c) {
				// A secondary or tertiary claim bills the patient share
				// the payer before it left; its charge is not posted
				// again.
				if payerResponsibility(c) == "T" {
					s.Tertiary++
				} else {
					s.Secondary++
				}
			}
			if ok, err := r.claimBalances(ctx, c); err != nil {
				return nil, err
			} else if !ok {
				s.ClaimsOutOfBalance = append(s.ClaimsOutOfBalance, c.PatientControlNumber)
			}
		}
		if len(cs) < 1000 {
			break
		}
		after = cs[len(cs)-1].ID
	}
	all, err := r.st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: cid})
	if err != nil {
		return nil, err
	}
	s.LedgerBalanced = all == 0
	items, err := r.st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: cid, Statuses: []string{store.WorkOpen, store.WorkInProgress}})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		s.OpenWork[it.Kind]++
	}
	return s, nil
}

// claimBalances checks that a claim's charge equals its 835 payments,
// adjustments and patient share plus its insurance A/R. A secondary or
// tertiary claim is checked once a payment posted to it (before, its
// insurance A/R is the share the prior payer left, not its charge); the
// payer reports the prior payers' share as an adjustment (OA-23), so a
// payment beyond what they left shows as a credit that fails the check. An amount the payer denied is
// counted once, as the 835's adjustment, while it waits in denied A/R
// (the demo works no denials).
func (r *runner) claimBalances(ctx context.Context, c store.Claim) (bool, error) {
	cid := r.clinic.ID
	ar, err := r.st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: cid, Account: billing.AccountInsuranceAR, ClaimID: c.ID})
	if err != nil {
		return false, err
	}
	pays, err := r.st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, ClaimID: c.ID})
	if err != nil {
		return false, err
	}
	if len(pays) == 0 && isSecondary(c) {
		return true, nil
	}
	sum := ar
	for _, py := range pays {
		sum += py.PaidCents
		for _, a := range py.Adjustments {
			sum += a.AmountCents
		}
	}
	return sum == c.TotalChargeCents, nil
}

// WriteSummary prints the summary: the claims, the KPIs and the denial
// rate by payer as package report renders them, and the run's checks.
func WriteSummary(w io.Writer, s *Summary) error {
	var st []string
	for k, n := range s.ByStatus {
		st = append(st, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(st)
	fmt.Fprintf(w, "Claims: %d (%d secondary, %d tertiary, drafts wait for the next night): %s\n\n", s.Claims, s.Secondary, s.Tertiary, strings.Join(st, ", "))
	if err := report.WriteText(w, append(s.KPIs.Tables(), s.Denials.Tables()[0])...); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nLedger balanced: %v; claims out of balance: %d", s.LedgerBalanced, len(s.ClaimsOutOfBalance))
	if len(s.ClaimsOutOfBalance) > 0 {
		fmt.Fprintf(w, " (%s)", oneLine(strings.Join(s.ClaimsOutOfBalance, " "), 60))
	}
	fmt.Fprintln(w)
	var kinds []string
	for kind, n := range s.OpenWork {
		kinds = append(kinds, fmt.Sprintf("%s %d", kind, n))
	}
	sort.Strings(kinds)
	_, err := fmt.Fprintf(w, "Open worklist items: %s\n", strings.Join(kinds, ", "))
	return err
}

// TryNext are the commands a finished run suggests, against its database.
func (r *runner) tryNext(items []worklist.Item) []string {
	db := shellQuote(r.opts.Database)
	clinic := fmt.Sprint(r.clinic.ID)
	out := []string{"clearhouse worklist --sort -amount --database " + db}
	if len(items) > 0 {
		out = append(out, fmt.Sprintf("clearhouse worklist show %d --database %s", items[0].ID, db))
	}
	// The reports default to the current month; the demo's weeks lie in
	// its simulated past, so name the period.
	p := r.period()
	from, to := p.From.Format(time.DateOnly), p.To.Format(time.DateOnly)
	out = append(out,
		fmt.Sprintf("clearhouse report kpis --from %s --to %s --database %s", from, to, db),
		fmt.Sprintf("clearhouse report denials --from %s --to %s --database %s", from, to, db),
		fmt.Sprintf("clearhouse appointments list --clinic %s --tz %s --from %s --to %s --database %s", clinic, r.ds.Location, from, from, db))
	// Clearhouse keeps what it fetched in its file store (encrypted when a
	// key is configured) and removes its inbox copies; the payers' archive
	// folders keep theirs.
	if f := r.findFile(filepath.Join(r.opts.Dir, "paysim"), "", ".835"); f != "" {
		out = append(out, "clearhouse remit decode "+shellQuote(f))
	}
	if f := r.findFile(filepath.Join(r.opts.Dir, "paysim"), "-276-", ".277"); f != "" {
		out = append(out, "clearhouse status decode "+shellQuote(f))
	}
	if f := r.findFile(filepath.Join(r.opts.Dir, "paysim", PayerKeystone, "inbound"), "-837P-", ".edi"); f != "" {
		out = append(out, "clearhouse edi inspect "+shellQuote(f))
	}
	return out
}

// report writes the summary, the top of the worklist and what to try next.
func (r *runner) report(ctx context.Context, s *Summary) ([]string, error) {
	w := r.opts.Stdout
	if err := WriteSummary(w, s); err != nil {
		return nil, err
	}
	wl, err := worklist.New(worklist.Config{Store: r.st, Now: r.clock.Now})
	if err != nil {
		return nil, err
	}
	items, err := wl.List(ctx, worklist.Filter{ClinicIDs: []int64{r.clinic.ID}, Sort: "-" + worklist.SortAmount, Limit: 10})
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(w, "\nTop of the worklist (largest amounts first)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tKIND\tPAYER\tCLAIM\tAMOUNT\tTITLE")
	for _, it := range items {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Kind, it.PayerCode, it.PatientControlNumber, money.Cents(it.AmountCents), oneLine(it.Title, 70))
	}
	tw.Flush()
	next := r.tryNext(items)
	fmt.Fprintln(w, "\nTry next, against the same database:")
	for _, c := range next {
		fmt.Fprintf(w, "  %s\n", c)
	}
	return next, nil
}

// findFile returns the first file (by name) under dir containing part and
// ending in suffix.
func (r *runner) findFile(dir, part, suffix string) string {
	var found []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, suffix) && strings.Contains(d.Name(), part) && !strings.HasPrefix(d.Name(), ".") {
			found = append(found, path)
		}
		return nil
	})
	slices.Sort(found)
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		s = s[:n-3] + "..."
	}
	return s
}

func shellQuote(s string) string {
	if strings.ContainsAny(s, " '\"$&;|<>*?()[]{}`\\") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
