package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/worklist"
)

// workFlags are the flags the worklist and claim-action commands share.
type workFlags struct {
	clinic int64
	user   string
	now    string
}

func (f *workFlags) register(c *cobra.Command, withUser bool) {
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the clinic that has the item or claim)")
	if withUser {
		c.Flags().StringVar(&f.user, "user", "", "must be your own identity if given (the audit log records the database login, or the operating-system user on SQLite)")
	}
	c.Flags().StringVar(&f.now, "now", "", "the current time, RFC 3339 (for reproducible output)")
	_ = c.Flags().MarkHidden("now")
}

// clock returns the clock the flags name: --now, or the wall clock.
func (f *workFlags) clock() (func() time.Time, error) {
	if f.now == "" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, f.now)
	if err != nil {
		return nil, &ExitError{Code: 2, Err: fmt.Errorf("--now: %w", err)}
	}
	return func() time.Time { return t }, nil
}

// actor is the acting user: the caller's identity (the database login, or
// the operating-system user on SQLite). --user, kept for old scripts, must
// name that same identity.
func (f *workFlags) actor(env *Env) (string, error) {
	who := env.actorName()
	if u := strings.TrimSpace(f.user); u != "" && u != who {
		return "", exitf(2, "--user %s: you are %s (the identity is the database login, or the operating-system user on SQLite, and cannot be claimed)", u, who)
	}
	return who, nil
}

// open opens the store and the worklist service; close the store when done.
func (f *workFlags) open(ctx context.Context, env *Env) (*worklist.Service, store.Store, error) {
	now, err := f.clock()
	if err != nil {
		return nil, nil, err
	}
	st, err := env.openStore(ctx, storedb.Options{Now: now})
	if err != nil {
		return nil, nil, &ExitError{Code: 2, Err: err}
	}
	svc, err := worklist.New(worklist.Config{Store: st, Now: now})
	if err != nil {
		st.Close()
		return nil, nil, &ExitError{Code: 2, Err: err}
	}
	return svc, st, nil
}

// workError maps a worklist error to an exit status: 1 for refusals and
// unknown items or claims, 2 for bad requests and everything else.
func workError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, worklist.ErrNotAllowed) || errors.Is(err, store.ErrNotFound) {
		return &ExitError{Code: 1, Err: err}
	}
	return &ExitError{Code: 2, Err: err}
}

func parseID(s, what string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, exitf(2, "%s %q: want a positive number", what, s)
	}
	return id, nil
}

// parseDollars reads a decimal dollar amount exactly ("12.5" is 1250).
func parseDollars(flag, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := edi.ParseAmount([]byte(s))
	if err != nil || v < 0 {
		return 0, exitf(2, "--%s %q: want a non-negative decimal amount", flag, s)
	}
	return v, nil
}

// newWorklistCmd builds "clearhouse worklist".
func newWorklistCmd(env *Env) *cobra.Command {
	var (
		f                  workFlags
		payer, sortBy, out string
		assignee           string
		kinds, statuses    []string
		clinics            []int64
		minAge, maxAge     int
		minAmt, maxAmt     string
		unassigned         bool
		limit              int
	)
	c := &cobra.Command{
		Use:   "worklist",
		Short: "List the billing team's work items (scrub failures, rejections, denials, underpayments, ...)",
		Long: "List open work items, oldest first, with filters and sorting. Kinds: " + strings.Join(worklist.Kinds(), ", ") + ".\n" +
			"Sort by age, amount, priority, id, payer, kind or assignee, ascending; a leading - sorts descending\n" +
			"(--sort -amount puts the largest amounts first; the default, -age, the oldest items).\n" +
			"Subcommands show an item and assign, annotate and resolve it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&out, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			lo, err := parseDollars("min-amount", minAmt)
			if err != nil {
				return err
			}
			hi, err := parseDollars("max-amount", maxAmt)
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			svc, st, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			items, err := svc.List(ctx, worklist.Filter{ClinicIDs: clinics, Payer: payer, Kinds: kinds, Statuses: statuses, Assignee: assignee,
				Unassigned: unassigned, MinAgeDays: minAge, MaxAgeDays: maxAge, MinAmountCents: lo, MaxAmountCents: hi, Sort: sortBy, Limit: limit})
			if err != nil {
				return workError(err)
			}
			claims := map[int64][]int64{}
			for _, it := range items {
				if it.ClaimID != nil {
					claims[it.ClinicID] = append(claims[it.ClinicID], *it.ClaimID)
				}
			}
			if err := env.auditReadsByClinic(ctx, st, cmd, "claim", claims); err != nil {
				return err
			}
			return writeItems(env, out, items)
		},
	}
	fl := c.Flags()
	fl.Int64SliceVar(&clinics, "clinic", nil, "only these clinics (repeatable; default every clinic)")
	fl.StringVar(&payer, "payer", "", "only this payer (its payer ID, e.g. KHP01)")
	fl.StringSliceVar(&kinds, "kind", nil, "only these kinds (repeatable or comma-separated)")
	fl.StringSliceVar(&statuses, "status", nil, "only these statuses: open, in_progress, resolved, dismissed (default open and in_progress)")
	fl.StringVar(&assignee, "assignee", "", "only items assigned to this user")
	fl.BoolVar(&unassigned, "unassigned", false, "only unassigned items")
	fl.IntVar(&minAge, "min-age", 0, "only items at least this many days old")
	fl.IntVar(&maxAge, "max-age", 0, "only items at most this many days old")
	fl.StringVar(&minAmt, "min-amount", "", "only items of at least this amount (dollars)")
	fl.StringVar(&maxAmt, "max-amount", "", "only items of at most this amount (dollars)")
	fl.StringVar(&sortBy, "sort", "-"+worklist.SortAge, "sort field, ascending: age, amount, priority, id, payer, kind, assignee; -field sorts descending")
	fl.IntVar(&limit, "limit", 0, "show at most this many items")
	outputFlag(c, &out, []string{formatTable, formatJSON, formatCSV}, "")
	fl.StringVar(&f.now, "now", "", "the current time, RFC 3339 (for reproducible output)")
	_ = fl.MarkHidden("now")
	c.AddCommand(newWorklistShowCmd(env), newWorklistAssignCmd(env), newWorklistNoteCmd(env), newWorklistResolveCmd(env))
	return c
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeItems(env *Env, out string, items []worklist.Item) error {
	switch out {
	case "json":
		if items == nil {
			items = []worklist.Item{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	case "csv":
		return writeItemsCSV(env, items)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tAGE\tPAYER\tCLAIM\tAMOUNT\tASSIGNEE\tTITLE")
	for _, it := range items {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%dd\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Kind, it.Status, it.AgeDays, orDash(it.PayerCode),
			orDash(it.PatientControlNumber), money.Cents(it.AmountCents).String(), orDash(it.Assignee), it.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(env.Stdout, "%s\n", plural(len(items), "item", "items"))
	return err
}

// writeItemsCSV writes items as CSV, one row each, amounts with two
// decimals as in the table.
func writeItemsCSV(env *Env, items []worklist.Item) error {
	w := csv.NewWriter(env.Stdout)
	_ = w.Write([]string{"id", "clinic", "kind", "status", "priority", "age_days", "payer", "claim", "amount", "assignee", "created", "title", "action"})
	for _, it := range items {
		_ = w.Write([]string{strconv.FormatInt(it.ID, 10), strconv.FormatInt(it.ClinicID, 10), it.Kind, it.Status, strconv.Itoa(it.Priority),
			strconv.Itoa(it.AgeDays), it.PayerCode, it.PatientControlNumber, money.Cents(it.AmountCents).String(), it.Assignee,
			it.CreatedAt.UTC().Format(time.RFC3339), it.Title, it.Action})
	}
	w.Flush()
	return w.Error()
}

func newWorklistShowCmd(env *Env) *cobra.Command {
	var f workFlags
	var out string
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show an item: its claim, status history, latest 835 payment, the X12 location of a rejection and the suggested action",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&out, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			id, err := parseID(args[0], "item")
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			svc, st, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			d, err := svc.Show(ctx, f.clinic, id)
			if err != nil {
				return workError(err)
			}
			if d.Claim != nil {
				if err := env.auditReads(ctx, st, cmd, d.Claim.ClinicID, "claim", []int64{d.Claim.ID}); err != nil {
					return err
				}
			}
			switch out {
			case formatJSON:
				return writeDetailJSON(env, d)
			case formatCSV:
				return writeItemsCSV(env, []worklist.Item{d.Item})
			}
			return writeDetail(env, d)
		},
	}
	f.register(c, false)
	outputFlag(c, &out, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func writeDetail(env *Env, d *worklist.Detail) error {
	w := env.Stdout
	it := d.Item
	fmt.Fprintf(w, "Item %d: %s, %s, priority %d, %d days old, assigned to %s\n", it.ID, it.Kind, it.Status, it.Priority, it.AgeDays, orDash(it.Assignee))
	fmt.Fprintf(w, "  %s\n", it.Title)
	fmt.Fprintf(w, "  amount %s", money.Cents(it.AmountCents).String())
	if it.PayerCode != "" {
		fmt.Fprintf(w, ", payer %s (%s)", it.PayerCode, it.PayerName)
	}
	fmt.Fprintf(w, ", created %s\n", it.CreatedAt.UTC().Format(timeLayout))
	if it.Resolution != "" {
		fmt.Fprintf(w, "  resolution: %s\n", it.Resolution)
	}
	if it.Action != "" {
		fmt.Fprintf(w, "Suggested action: %s\n", it.Action)
	}
	if c := d.Claim; c != nil {
		fmt.Fprintf(w, "\nClaim %d %s: %s, %s frequency %s, charge %s, service %s", c.ID, c.PatientControlNumber, c.Status, c.Kind,
			c.FrequencyCode, money.Cents(c.TotalChargeCents).String(), c.ServiceDateFrom.Format(time.DateOnly))
		if !c.ServiceDateTo.Equal(c.ServiceDateFrom) {
			fmt.Fprintf(w, " to %s", c.ServiceDateTo.Format(time.DateOnly))
		}
		if c.PayerClaimControlNumber != "" {
			fmt.Fprintf(w, ", payer claim control number %s", c.PayerClaimControlNumber)
		}
		if c.OriginalClaimID != nil {
			fmt.Fprintf(w, ", replaces claim %d", *c.OriginalClaimID)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, h := range d.History {
			fmt.Fprintf(tw, "  %s\t%s -> %s\t%s\t%s\n", h.At.UTC().Format(timeLayout), orDash(string(h.FromStatus)), h.ToStatus, h.Reason, h.Actor)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if p := d.Payment; p != nil {
		fmt.Fprintf(w, "\n835 payment, trace %s dated %s: CLP02 %s, charge %s, paid %s, patient responsibility %s",
			p.TraceNumber, p.PaymentDate.Format(time.DateOnly), p.StatusCode, money.Cents(p.ChargeCents).String(), money.Cents(p.PaidCents).String(), money.Cents(p.PatientResponsibilityCents).String())
		if p.PayerClaimControlNumber != "" {
			fmt.Fprintf(w, ", CLP07 %s", p.PayerClaimControlNumber)
		}
		fmt.Fprintln(w)
		for _, a := range p.Adjustments {
			where := "claim"
			if a.ServiceLine > 0 {
				where = fmt.Sprintf("line %d", a.ServiceLine)
			}
			fmt.Fprintf(w, "  CAS %s-%s %s (%s)\n", a.GroupCode, a.ReasonCode, money.Cents(a.AmountCents).String(), where)
		}
		if len(p.Remarks) > 0 {
			fmt.Fprintf(w, "  RARC %s\n", strings.Join(p.Remarks, " "))
		}
	}
	if len(d.Problems) > 0 {
		fmt.Fprintln(w, "\nProblems:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  SOURCE\tLOCATION\tCODE\tAMOUNT\tMESSAGE\tACTION")
		for _, p := range d.Problems {
			amt := ""
			if p.AmountCents != 0 {
				amt = money.Cents(p.AmountCents).String()
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", p.Source, orDash(p.Location), p.Code, orDash(amt), orDash(p.Message), orDash(p.Action))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(d.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range d.Notes {
			fmt.Fprintf(w, "  %s %s: %s\n", n.At.UTC().Format(timeLayout), n.Actor, n.Text)
		}
	}
	if len(d.Related) > 0 {
		fmt.Fprintln(w, "\nOther items of the claim:")
		for _, r := range d.Related {
			fmt.Fprintf(w, "  %d %s %s: %s\n", r.ID, r.Kind, r.Status, r.Title)
		}
	}
	return nil
}

func writeDetailJSON(env *Env, d *worklist.Detail) error {
	type history struct {
		At     time.Time `json:"at"`
		From   string    `json:"from,omitempty"`
		To     string    `json:"to"`
		Reason string    `json:"reason"`
		Actor  string    `json:"actor"`
	}
	type claimView struct {
		ID                      int64     `json:"id"`
		PatientControlNumber    string    `json:"patientControlNumber"`
		Status                  string    `json:"status"`
		Kind                    string    `json:"kind"`
		FrequencyCode           string    `json:"frequencyCode"`
		PayerClaimControlNumber string    `json:"payerClaimControlNumber,omitempty"`
		OriginalClaimID         *int64    `json:"originalClaimId,omitempty"`
		TotalChargeCents        int64     `json:"totalChargeCents"`
		ServiceDateFrom         string    `json:"serviceDateFrom"`
		ServiceDateTo           string    `json:"serviceDateTo"`
		History                 []history `json:"history"`
	}
	type adj struct {
		Line        int    `json:"line,omitempty"`
		Group       string `json:"group"`
		Reason      string `json:"reason"`
		AmountCents int64  `json:"amountCents"`
	}
	type paymentView struct {
		TraceNumber                string   `json:"traceNumber"`
		PaymentDate                string   `json:"paymentDate"`
		StatusCode                 string   `json:"statusCode"`
		ChargeCents                int64    `json:"chargeCents"`
		PaidCents                  int64    `json:"paidCents"`
		PatientResponsibilityCents int64    `json:"patientResponsibilityCents"`
		PayerClaimControlNumber    string   `json:"payerClaimControlNumber,omitempty"`
		Adjustments                []adj    `json:"adjustments"`
		Remarks                    []string `json:"remarks,omitempty"`
	}
	type related struct {
		ID     int64  `json:"id"`
		Kind   string `json:"kind"`
		Status string `json:"status"`
		Title  string `json:"title"`
	}
	v := struct {
		Item     worklist.Item      `json:"item"`
		Claim    *claimView         `json:"claim,omitempty"`
		Payment  *paymentView       `json:"payment,omitempty"`
		Problems []worklist.Problem `json:"problems"`
		Notes    []worklist.Note    `json:"notes,omitempty"`
		Related  []related          `json:"related,omitempty"`
	}{Item: d.Item, Problems: d.Problems, Notes: d.Notes}
	if v.Problems == nil {
		v.Problems = []worklist.Problem{}
	}
	if c := d.Claim; c != nil {
		cv := &claimView{ID: c.ID, PatientControlNumber: c.PatientControlNumber, Status: string(c.Status), Kind: c.Kind, FrequencyCode: c.FrequencyCode,
			PayerClaimControlNumber: c.PayerClaimControlNumber, OriginalClaimID: c.OriginalClaimID, TotalChargeCents: c.TotalChargeCents,
			ServiceDateFrom: c.ServiceDateFrom.Format(time.DateOnly), ServiceDateTo: c.ServiceDateTo.Format(time.DateOnly)}
		for _, h := range d.History {
			cv.History = append(cv.History, history{At: h.At.UTC(), From: string(h.FromStatus), To: string(h.ToStatus), Reason: h.Reason, Actor: h.Actor})
		}
		v.Claim = cv
	}
	if p := d.Payment; p != nil {
		pv := &paymentView{TraceNumber: p.TraceNumber, PaymentDate: p.PaymentDate.Format(time.DateOnly), StatusCode: p.StatusCode,
			ChargeCents: p.ChargeCents, PaidCents: p.PaidCents, PatientResponsibilityCents: p.PatientResponsibilityCents,
			PayerClaimControlNumber: p.PayerClaimControlNumber, Remarks: p.Remarks, Adjustments: []adj{}}
		for _, a := range p.Adjustments {
			pv.Adjustments = append(pv.Adjustments, adj{Line: a.ServiceLine, Group: a.GroupCode, Reason: a.ReasonCode, AmountCents: a.AmountCents})
		}
		v.Payment = pv
	}
	for _, r := range d.Related {
		v.Related = append(v.Related, related{ID: r.ID, Kind: r.Kind, Status: r.Status, Title: r.Title})
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printItem(env *Env, verb string, w store.WorklistItem) error {
	_, err := fmt.Fprintf(env.Stdout, "item %d %s: %s, assigned to %s\n", w.ID, verb, w.Status, orDash(w.Assignee))
	return err
}

func newWorklistAssignCmd(env *Env) *cobra.Command {
	var f workFlags
	var to string
	c := &cobra.Command{
		Use:   "assign ID --to USER",
		Short: "Assign an item to a user (an empty --to unassigns it); audited",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return itemAction(cmd, env, &f, args[0], func(ctx context.Context, svc *worklist.Service, ref store.Ref, actor string) error {
				w, err := svc.Assign(ctx, ref, to, actor)
				if err != nil {
					return err
				}
				return printItem(env, "assigned", w)
			})
		},
	}
	f.register(c, true)
	c.Flags().StringVar(&to, "to", "", "the assignee")
	_ = c.MarkFlagRequired("to")
	return c
}

func newWorklistNoteCmd(env *Env) *cobra.Command {
	var f workFlags
	c := &cobra.Command{
		Use:   "note ID TEXT...",
		Short: "Add a note to an item; audited",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return itemAction(cmd, env, &f, args[0], func(ctx context.Context, svc *worklist.Service, ref store.Ref, actor string) error {
				w, err := svc.AddNote(ctx, ref, strings.Join(args[1:], " "), actor)
				if err != nil {
					return err
				}
				return printItem(env, "noted", w)
			})
		},
	}
	f.register(c, true)
	return c
}

func newWorklistResolveCmd(env *Env) *cobra.Command {
	var f workFlags
	var resolution string
	var dismiss bool
	c := &cobra.Command{
		Use:   "resolve ID [--resolution TEXT] [--dismiss]",
		Short: "Resolve (or dismiss) an item; audited",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return itemAction(cmd, env, &f, args[0], func(ctx context.Context, svc *worklist.Service, ref store.Ref, actor string) error {
				w, err := svc.Resolve(ctx, ref, resolution, dismiss, actor)
				if err != nil {
					return err
				}
				return printItem(env, map[bool]string{false: "resolved", true: "dismissed"}[dismiss], w)
			})
		},
	}
	f.register(c, true)
	c.Flags().StringVar(&resolution, "resolution", "", "what was done")
	c.Flags().BoolVar(&dismiss, "dismiss", false, "dismiss the item (nothing to do) instead of resolving it")
	return c
}

// itemAction opens the service and runs fn on the item named by arg as the
// acting user.
func itemAction(cmd *cobra.Command, env *Env, f *workFlags, arg string, fn func(context.Context, *worklist.Service, store.Ref, string) error) error {
	id, err := parseID(arg, "item")
	if err != nil {
		return err
	}
	actor, err := f.actor(env)
	if err != nil {
		return err
	}
	ctx := cmdContext(cmd)
	svc, st, err := f.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	return workError(fn(ctx, svc, store.Ref{ClinicID: f.clinic, ID: id}, actor))
}
