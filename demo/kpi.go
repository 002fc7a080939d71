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
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worklist"
)

// KPIs are the revenue-cycle figures of a demo run, computed from the
// store (package report is not there yet).
type KPIs struct {
	AsOf         time.Time
	Appointments int
	Completed    int
	NoShows      int
	Cancelled    int
	// Claims by status; Secondary counts the secondary (COB) claims.
	Claims    int
	Secondary int
	ByStatus  map[string]int
	// CleanClaimPercent is the share of scrubbed claims that passed the
	// scrubber the first time, in hundredths of a percent.
	CleanClaimBP int64
	// FirstPassBP is the share of submitted claims the payers accepted
	// (277CA) the first time, in hundredths of a percent.
	FirstPassBP int64
	Payers      []PayerKPI
	// Money, in cents.
	ChargesCents, PaidCents, AdjustedCents, PatientRespCents int64
	InsuranceARCents, PatientARCents                         int64
	// DaysInAR is total A/R over the average daily charges of the period,
	// in hundredths of a day.
	DaysInARHundredths int64
	// Aging buckets insurance A/R by days since the date of service.
	Aging [4]int64
	// LedgerBalanced: the clinic's ledger entries sum to zero.
	LedgerBalanced bool
	// ClaimsOutOfBalance lists primary claims whose charge differs from
	// their 835 payments, adjustments, patient share and insurance A/R.
	ClaimsOutOfBalance []string
	OpenWork           map[string]int
}

// PayerKPI are one payer's figures.
type PayerKPI struct {
	Payer       string
	Claims      int
	Adjudicated int
	Denied      int
	Rejected    int
	PaidCents   int64
}

// isSecondary reports whether a claim bills a secondary payer (Loop 2000B
// SBR01 "S").
func isSecondary(c store.Claim) bool {
	var doc struct {
		Subscriber struct {
			PayerResponsibility string `json:"payerResponsibility"`
		} `json:"subscriber"`
	}
	return json.Unmarshal(c.Document, &doc) == nil && doc.Subscriber.PayerResponsibility != "" && doc.Subscriber.PayerResponsibility != "P"
}

func bp(n, d int) int64 {
	if d == 0 {
		return 0
	}
	return int64(n) * 10000 / int64(d)
}

func (r *runner) kpis(ctx context.Context) (*KPIs, error) {
	cid := r.clinic.ID
	k := &KPIs{AsOf: r.clock.Now(), ByStatus: make(map[string]int), OpenWork: make(map[string]int), LedgerBalanced: true}
	for _, a := range r.ds.Appointments {
		k.Appointments++
		switch a.Outcome {
		case OutcomeCompleted:
			k.Completed++
		case OutcomeNoShow:
			k.NoShows++
		case OutcomeCancelled:
			k.Cancelled++
		}
	}
	payerCode := make(map[int64]string)
	for id, row := range r.payerRows {
		payerCode[row.ID] = id
	}
	per := make(map[string]*PayerKPI)
	for _, id := range Payers() {
		per[id] = &PayerKPI{Payer: id}
	}
	scrubbed, submitted, rejected := 0, 0, 0
	for after := int64(0); ; {
		cs, err := r.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			k.Claims++
			k.ByStatus[string(c.Status)]++
			secondary := isSecondary(c)
			if secondary {
				k.Secondary++
			}
			pk := per[payerCode[c.PayerID]]
			pk.Claims++
			if c.Status != claim.StatusDraft {
				scrubbed++
			}
			if c.InterchangeID != nil {
				submitted++
			}
			switch c.Status {
			case claim.StatusRejected:
				rejected++
				pk.Rejected++
			case claim.StatusDenied:
				pk.Denied++
				pk.Adjudicated++
			case claim.StatusPaid, claim.StatusPartiallyPaid:
				pk.Adjudicated++
			}
			if !secondary {
				k.ChargesCents += c.TotalChargeCents
			}
			ar, err := r.st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: cid, Account: billing.AccountInsuranceAR, ClaimID: c.ID})
			if err != nil {
				return nil, err
			}
			pays, err := r.st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, ClaimID: c.ID})
			if err != nil {
				return nil, err
			}
			var paid, adj, pr int64
			for _, py := range pays {
				paid += py.PaidCents
				for _, a := range py.Adjustments {
					if a.GroupCode == "PR" {
						pr += a.AmountCents
					} else {
						adj += a.AmountCents
					}
				}
			}
			// A secondary claim bills the primary's patient share; its
			// charge is not posted again.
			if !secondary && c.TotalChargeCents != paid+adj+pr+ar {
				k.ClaimsOutOfBalance = append(k.ClaimsOutOfBalance, c.PatientControlNumber)
			}
			k.PaidCents += paid
			pk.PaidCents += paid
			k.AdjustedCents += adj
			k.PatientRespCents += pr
			k.InsuranceARCents += ar
			if ar != 0 {
				age := int(store.TruncateDate(k.AsOf).Sub(c.ServiceDateFrom).Hours() / 24)
				k.Aging[min(3, age/30)] += ar
			}
		}
		if len(cs) < 1000 {
			break
		}
		after = cs[len(cs)-1].ID
	}
	k.CleanClaimBP = bp(scrubbed-k.ByStatus[string(claim.StatusScrubFailed)], scrubbed)
	k.FirstPassBP = bp(submitted-rejected, submitted)
	for _, id := range Payers() {
		k.Payers = append(k.Payers, *per[id])
	}
	var err error
	k.PatientARCents, err = r.st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: cid, Account: billing.AccountPatientAR})
	if err != nil {
		return nil, err
	}
	all, err := r.st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: cid})
	if err != nil {
		return nil, err
	}
	if all != 0 {
		k.LedgerBalanced = false
	}
	// Days in A/R over the two weeks of service (14 days).
	if k.ChargesCents > 0 {
		k.DaysInARHundredths = (k.InsuranceARCents + k.PatientARCents) * 14 * 100 / k.ChargesCents
	}
	items, err := r.st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: cid, Statuses: []string{store.WorkOpen, store.WorkInProgress}})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		k.OpenWork[it.Kind]++
	}
	return k, nil
}

func pct(bp int64) string { return fmt.Sprintf("%d.%02d%%", bp/100, bp%100) }

// WriteKPIs prints the KPIs as plain text.
func WriteKPIs(w io.Writer, k *KPIs) {
	fmt.Fprintf(w, "KPIs as of %s\n", k.AsOf.Format("Mon 2006-01-02 15:04 MST"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  appointments\t%d (%d completed, %d no-shows = %s, %d cancelled)\n", k.Appointments, k.Completed, k.NoShows,
		pct(bp(k.NoShows, k.Completed+k.NoShows)), k.Cancelled)
	var st []string
	for s, n := range k.ByStatus {
		st = append(st, fmt.Sprintf("%s %d", s, n))
	}
	sort.Strings(st)
	fmt.Fprintf(tw, "  claims\t%d (%d secondary, drafts wait for the next night): %s\n", k.Claims, k.Secondary, strings.Join(st, ", "))
	fmt.Fprintf(tw, "  clean-claim rate\t%s\n", pct(k.CleanClaimBP))
	fmt.Fprintf(tw, "  first-pass acceptance\t%s\n", pct(k.FirstPassBP))
	fmt.Fprintf(tw, "  charges\t%s\n", money.Cents(k.ChargesCents).Dollars())
	fmt.Fprintf(tw, "  insurance payments\t%s\n", money.Cents(k.PaidCents).Dollars())
	fmt.Fprintf(tw, "  adjustments\t%s\n", money.Cents(k.AdjustedCents).Dollars())
	fmt.Fprintf(tw, "  patient responsibility\t%s\n", money.Cents(k.PatientRespCents).Dollars())
	fmt.Fprintf(tw, "  A/R insurance / patient\t%s / %s\n", money.Cents(k.InsuranceARCents).Dollars(), money.Cents(k.PatientARCents).Dollars())
	fmt.Fprintf(tw, "  days in A/R\t%d.%02d\n", k.DaysInARHundredths/100, k.DaysInARHundredths%100)
	fmt.Fprintf(tw, "  insurance A/R aging\t0-30 %s, 31-60 %s, 61-90 %s, 91+ %s\n", money.Cents(k.Aging[0]).Dollars(), money.Cents(k.Aging[1]).Dollars(), money.Cents(k.Aging[2]).Dollars(), money.Cents(k.Aging[3]).Dollars())
	fmt.Fprintf(tw, "  ledger balanced\t%v\n", k.LedgerBalanced)
	fmt.Fprintf(tw, "  claims out of balance\t%d %s\n", len(k.ClaimsOutOfBalance), oneLine(strings.Join(k.ClaimsOutOfBalance, " "), 60))
	tw.Flush()
	fmt.Fprintln(w, "Denial rate by payer")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  payer\tclaims\tadjudicated\tdenied\tdenial rate\trejected\tpaid\t")
	for _, p := range k.Payers {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\t%d\t%s\t\n", p.Payer, p.Claims, p.Adjudicated, p.Denied, pct(bp(p.Denied, p.Adjudicated)), p.Rejected, money.Cents(p.PaidCents).Dollars())
	}
	tw.Flush()
	var kinds []string
	for kind, n := range k.OpenWork {
		kinds = append(kinds, fmt.Sprintf("%s %d", kind, n))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "Open worklist items: %s\n", strings.Join(kinds, ", "))
}

// report writes the KPIs, the top of the worklist and what to try next.
func (r *runner) report(ctx context.Context, k *KPIs) error {
	w := r.opts.Stdout
	WriteKPIs(w, k)
	wl, err := worklist.New(worklist.Config{Store: r.st, Now: r.clock.Now})
	if err != nil {
		return err
	}
	items, err := wl.List(ctx, worklist.Filter{ClinicIDs: []int64{r.clinic.ID}, Sort: worklist.SortAmount, Limit: 10})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nTop of the worklist (largest amounts first)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tKIND\tPAYER\tCLAIM\tAMOUNT\tTITLE")
	for _, it := range items {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Kind, it.PayerCode, it.PatientControlNumber, money.Cents(it.AmountCents).Dollars(), oneLine(it.Title, 70))
	}
	tw.Flush()
	db := shellQuote(r.opts.Database)
	fmt.Fprintln(w, "\nTry next, against the same database:")
	fmt.Fprintf(w, "  clearhouse worklist --database %s\n", db)
	if len(items) > 0 {
		fmt.Fprintf(w, "  clearhouse worklist show %d --database %s\n", items[0].ID, db)
	}
	// The reports default to the current month; the demo's weeks lie in
	// its simulated past, so name the period.
	from := r.ds.Start.Format("2006-01-02")
	to := r.clock.Now().Format("2006-01-02")
	fmt.Fprintf(w, "  clearhouse report kpis --from %s --to %s --database %s\n", from, to, db)
	fmt.Fprintf(w, "  clearhouse report denials --from %s --to %s --database %s\n", from, to, db)
	fmt.Fprintf(w, "  clearhouse appointments list --database %s\n", db)
	if f := r.findFile(filepath.Join(r.opts.Dir, "inbox"), "", ".835"); f != "" {
		fmt.Fprintf(w, "  clearhouse remit decode %s\n", shellQuote(f))
	}
	if f := r.findFile(filepath.Join(r.opts.Dir, "paysim", PayerKeystone, "inbound"), "-837P-", ".edi"); f != "" {
		fmt.Fprintf(w, "  clearhouse edi inspect %s\n", shellQuote(f))
	}
	return nil
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
