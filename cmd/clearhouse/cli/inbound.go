package cli

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/worker"
)

// inboundStates are the states --state takes, in the order a file moves.
var inboundStates = []string{store.InboundReceived, store.InboundProcessing, store.InboundProcessed, store.InboundFailed,
	store.InboundQuarantined, store.InboundHeld, store.InboundDiscarded}

// inboundTypes are the file types --type takes.
var inboundTypes = []string{"835", store.Ack999, store.AckTA1, store.Ack277CA, store.Ack277, "271"}

// newInboundCmd builds "clearhouse inbound".
func newInboundCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "inbound",
		Short: "Files received from payers: list them, show why one was quarantined or held, release or discard it",
		Long: "Every file fetched from a payer (999, TA1, 277CA, 277, 271, 835) is recorded as an inbound file and\n" +
			"applied by the worker. A file that cannot be read or applied is quarantined; an 835 whose total does\n" +
			"not balance or that pays another payee is held whole, and a suspect claim payment of an 835 is held\n" +
			"alone. Nothing quarantined or held is applied until staff release it; a discarded file never is.",
	}
	c.AddCommand(newInboundListCmd(env), newInboundShowCmd(env), newInboundReleaseCmd(env), newInboundDiscardCmd(env))
	return c
}

// inboundFileView is an inbound file as JSON.
type inboundFileView struct {
	ID          int64      `json:"id"`
	ClinicID    int64      `json:"clinicId"`
	FileName    string     `json:"fileName"`
	Source      string     `json:"source"`
	FileType    string     `json:"fileType"`
	State       string     `json:"state"`
	Reason      string     `json:"reason,omitempty"`
	Error       string     `json:"error,omitempty"`
	SizeBytes   int64      `json:"sizeBytes"`
	ReceivedAt  time.Time  `json:"receivedAt"`
	ProcessedAt *time.Time `json:"processedAt,omitempty"`
	UpdatedAt   time.Time  `json:"updatedAt"`
}

func viewInbound(f store.InboundFile) inboundFileView {
	return inboundFileView{ID: f.ID, ClinicID: f.ClinicID, FileName: f.FileName, Source: f.Source, FileType: f.FileType, State: f.State,
		Reason: f.QuarantineReason, Error: f.Error, SizeBytes: f.SizeBytes, ReceivedAt: f.ReceivedAt.UTC(), ProcessedAt: f.ProcessedAt,
		UpdatedAt: f.UpdatedAt.UTC()}
}

func openInboundStore(ctx context.Context, env *Env, f *workFlags) (store.Store, func() time.Time, error) {
	now, err := f.clock()
	if err != nil {
		return nil, nil, err
	}
	if f.clinic < 0 {
		return nil, nil, exitf(2, "--clinic %d: want a positive clinic ID", f.clinic)
	}
	st, err := env.openStore(ctx, storedb.Options{Now: now})
	if err != nil {
		return nil, nil, &ExitError{Code: 2, Err: err}
	}
	return st, now, nil
}

// inboundError maps an error to an exit status: 1 for a file not found or
// not in a state the command acts on, 2 for bad requests and the rest.
func inboundError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, billing.ErrNotReleasable) {
		return &ExitError{Code: 1, Err: err}
	}
	if errors.Is(err, store.ErrInvalid) {
		return &ExitError{Code: 2, Err: err}
	}
	return &ExitError{Code: 1, Err: err}
}

// findInbound returns an inbound file by ID (with its content), in the
// clinic given or, with none, in whichever clinic has it.
func findInbound(ctx context.Context, st store.Store, clinicID, id int64) (store.InboundFile, error) {
	if clinicID != 0 {
		return st.GetInboundFile(ctx, store.Ref{ClinicID: clinicID, ID: id})
	}
	cs, err := st.ListClinics(ctx)
	if err != nil {
		return store.InboundFile{}, err
	}
	for _, c := range cs {
		f, err := st.GetInboundFile(ctx, store.Ref{ClinicID: c.ID, ID: id})
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.InboundFile{}, err
		}
	}
	return store.InboundFile{}, fmt.Errorf("inbound file %d: %w", id, store.ErrNotFound)
}

func checkValues(flag string, got, allowed []string) error {
	for _, v := range got {
		if !slices.Contains(allowed, v) {
			return exitf(2, "--%s %q: want %s", flag, v, joinOr(allowed))
		}
	}
	return nil
}

func newInboundListCmd(env *Env) *cobra.Command {
	var (
		f             workFlags
		states, types []string
		limit         int
		out           string
	)
	c := &cobra.Command{
		Use:   "list [--state STATE] [--type TYPE]",
		Short: "List inbound files, oldest first, with their state and why one was set aside",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&out, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			if err := checkValues("state", states, inboundStates); err != nil {
				return err
			}
			if err := checkValues("type", types, inboundTypes); err != nil {
				return err
			}
			if limit < 0 {
				return exitf(2, "--limit %d: want a positive number", limit)
			}
			ctx := cmdContext(cmd)
			st, _, err := openInboundStore(ctx, env, &f)
			if err != nil {
				return err
			}
			defer st.Close()
			clinics := []int64{f.clinic}
			if f.clinic == 0 {
				cs, err := st.ListClinics(ctx)
				if err != nil {
					return inboundError(err)
				}
				clinics = clinics[:0]
				for _, c := range cs {
					clinics = append(clinics, c.ID)
				}
			}
			var files []store.InboundFile
			for _, cid := range clinics {
				fs, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: cid, States: states, FileTypes: types, Limit: limit})
				if err != nil {
					return inboundError(err)
				}
				files = append(files, fs...)
			}
			slices.SortFunc(files, func(a, b store.InboundFile) int { return cmp.Compare(a.ID, b.ID) })
			if limit > 0 && len(files) > limit {
				files = files[:limit]
			}
			return writeInboundFiles(env, out, files)
		},
	}
	fl := c.Flags()
	fl.Int64Var(&f.clinic, "clinic", 0, "only this clinic (default every clinic)")
	fl.StringSliceVar(&states, "state", nil, "only files in these states: "+strings.Join(inboundStates, ", ")+" (repeatable or comma-separated)")
	fl.StringSliceVar(&types, "type", nil, "only files of these types: "+strings.Join(inboundTypes, ", ")+" (repeatable or comma-separated)")
	fl.IntVar(&limit, "limit", 0, "show at most this many files")
	outputFlag(c, &out, []string{formatTable, formatJSON, formatCSV}, "")
	fl.StringVar(&f.now, "now", "", "the current time, RFC 3339 (for reproducible output)")
	_ = fl.MarkHidden("now")
	return c
}

// shorten cuts s to n runes, with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func writeInboundFiles(env *Env, out string, files []store.InboundFile) error {
	switch out {
	case formatJSON:
		vs := make([]inboundFileView, 0, len(files))
		for _, f := range files {
			vs = append(vs, viewInbound(f))
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(vs)
	case formatCSV:
		w := csv.NewWriter(env.Stdout)
		_ = w.Write([]string{"id", "clinic", "received", "type", "state", "size_bytes", "source", "file", "reason", "error"})
		for _, f := range files {
			_ = w.Write([]string{strconv.FormatInt(f.ID, 10), strconv.FormatInt(f.ClinicID, 10), f.ReceivedAt.UTC().Format(time.RFC3339), f.FileType,
				f.State, strconv.FormatInt(f.SizeBytes, 10), f.Source, f.FileName, f.QuarantineReason, f.Error})
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tTYPE\tSTATE\tSOURCE\tFILE\tWHY")
	for _, f := range files {
		why := f.Error
		if f.QuarantineReason != "" {
			why = f.QuarantineReason + ": " + why
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.ReceivedAt.UTC().Format(timeLayout), orDash(f.FileType), f.State, orDash(f.Source),
			f.FileName, orDash(shorten(why, 90)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(env.Stdout, "%s\n", plural(len(files), "file", "files"))
	return err
}

// inboundProblem is one reason a file (or one of its claim payments) was
// set aside, with its position in the file.
type inboundProblem struct {
	Source      string `json:"source"`
	Reason      string `json:"reason"`
	Position    string `json:"position,omitempty"`
	AmountCents int64  `json:"amountCents,omitempty"`
	Message     string `json:"message"`
	Item        int64  `json:"item"`
}

type inboundItemView struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	AmountCents int64  `json:"amountCents"`
	Title       string `json:"title"`
	Resolution  string `json:"resolution,omitempty"`
}

// fileProblems reads the positioned errors and holds the items of a file
// keep in their details.
func fileProblems(items []store.WorklistItem) []inboundProblem {
	var out []inboundProblem
	for _, it := range items {
		switch it.Kind {
		case store.WorkQuarantinedFile:
			var d worker.QuarantineDetails
			if json.Unmarshal(it.Details, &d) != nil {
				continue
			}
			var pos []string
			if d.Interchange != "" {
				pos = append(pos, "ISA13 "+d.Interchange)
			}
			if d.Group != "" {
				pos = append(pos, "GS06 "+d.Group)
			}
			if d.Set != "" {
				pos = append(pos, "ST02 "+d.Set)
			}
			if d.Loop != "" {
				pos = append(pos, "loop "+d.Loop)
			}
			if d.Segment != 0 {
				s := "segment " + strconv.Itoa(d.Segment)
				if d.SegmentID != "" {
					s += " " + d.SegmentID
				}
				if d.Element != 0 {
					s += fmt.Sprintf("%02d", d.Element)
				}
				pos = append(pos, s)
			}
			out = append(out, inboundProblem{Source: "quarantine", Reason: d.Reason, Position: strings.Join(pos, " "), Message: d.Error, Item: it.ID})
		case billing.WorkHeldRemittance, billing.WorkHeldPayment:
			var d struct {
				Holds []billing.Hold `json:"holds"`
			}
			if json.Unmarshal(it.Details, &d) != nil {
				continue
			}
			src := "file hold"
			if it.Kind == billing.WorkHeldPayment {
				src = "claim payment hold"
			}
			for _, h := range d.Holds {
				out = append(out, inboundProblem{Source: src, Reason: h.Reason, Position: h.Position, AmountCents: h.AmountCents, Message: h.Message, Item: it.ID})
			}
		}
	}
	return out
}

func newInboundShowCmd(env *Env) *cobra.Command {
	var f workFlags
	var out, content string
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show an inbound file: its source, type, state, the positioned errors and holds, and its worklist items",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&out, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := parseID(args[0], "inbound file")
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			st, _, err := openInboundStore(ctx, env, &f)
			if err != nil {
				return err
			}
			defer st.Close()
			file, err := findInbound(ctx, st, f.clinic, id)
			if err != nil {
				return inboundError(err)
			}
			if content != "" {
				// The stored file itself, streamed from the file store
				// (decrypted when it is encrypted at rest).
				if content == "-" {
					body, err := st.OpenContent(ctx, file.ContentID)
					if err != nil {
						return exitf(1, "inbound file %d %s: %v", file.ID, file.FileName, err)
					}
					defer body.Close()
					if _, err := io.Copy(env.Stdout, body); err != nil {
						return exitf(1, "inbound file %d %s: %v", file.ID, file.FileName, err)
					}
					return nil
				}
				if err := writeContent(ctx, st, file.ContentID, content); err != nil {
					return exitf(1, "inbound file %d %s: %v", file.ID, file.FileName, err)
				}
				fmt.Fprintf(env.Stdout, "inbound file %d %s (%d bytes) written to %s\n", file.ID, file.FileName, file.SizeBytes, content)
				return nil
			}
			var items []store.WorklistItem
			err = st.InTx(ctx, file.ClinicID, func(tx store.Tx) error {
				items, err = billing.FileItems(ctx, tx, file.ID, true, append([]string{store.WorkQuarantinedFile}, billing.HoldItemKinds()...)...)
				return err
			})
			if err != nil {
				return inboundError(err)
			}
			problems := fileProblems(items)
			views := make([]inboundItemView, 0, len(items))
			for _, it := range items {
				views = append(views, inboundItemView{ID: it.ID, Kind: it.Kind, Status: it.Status, AmountCents: it.AmountCents, Title: it.Title,
					Resolution: it.Resolution})
			}
			if out == formatJSON {
				if problems == nil {
					problems = []inboundProblem{}
				}
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					File     inboundFileView   `json:"file"`
					Problems []inboundProblem  `json:"problems"`
					Items    []inboundItemView `json:"items"`
					Actions  []string          `json:"actions,omitempty"`
				}{viewInbound(file), problems, views, inboundActions(file, items)})
			}
			return writeInboundDetail(env, file, problems, views, inboundActions(file, items))
		},
	}
	f.register(c, false)
	outputFlag(c, &out, []string{formatTable, formatJSON}, "")
	c.Flags().StringVar(&content, "content", "", "write the stored X12 file itself to FILE (mode 0600), or to standard output with -")
	return c
}

// inboundActions are the commands that apply to a file in its state.
func inboundActions(f store.InboundFile, items []store.WorklistItem) []string {
	id := strconv.FormatInt(f.ID, 10)
	switch f.State {
	case store.InboundQuarantined:
		return []string{"clearhouse inbound release " + id + " --reason TEXT   (processed again from its stored content)",
			"clearhouse inbound discard " + id + " --reason TEXT   (never applied; content kept)"}
	case store.InboundHeld:
		return []string{"clearhouse inbound release " + id + " --reason TEXT   (posted as received; the confirmation is audited)",
			"clearhouse inbound discard " + id + " --reason TEXT   (never posted; content kept)"}
	case store.InboundFailed:
		return []string{"clearhouse inbound discard " + id + " --reason TEXT"}
	}
	for _, it := range items {
		if it.Kind == billing.WorkHeldPayment && (it.Status == store.WorkOpen || it.Status == store.WorkInProgress) {
			return []string{"clearhouse inbound release " + id + " [--claim-payment ITEM] --reason TEXT   (posts its held claim payments as received)",
				"clearhouse worklist resolve ITEM --dismiss --resolution TEXT   (one held claim payment never posted)"}
		}
	}
	return nil
}

func writeInboundDetail(env *Env, f store.InboundFile, problems []inboundProblem, items []inboundItemView, actions []string) error {
	w := env.Stdout
	fmt.Fprintf(w, "Inbound file %d: %s\n", f.ID, f.FileName)
	fmt.Fprintf(w, "  source %s, type %s, %d bytes, clinic %d\n", orDash(f.Source), orDash(f.FileType), f.SizeBytes, f.ClinicID)
	fmt.Fprintf(w, "  state %s", f.State)
	if f.QuarantineReason != "" {
		fmt.Fprintf(w, " (%s)", f.QuarantineReason)
	}
	fmt.Fprintf(w, ", received %s", f.ReceivedAt.UTC().Format(timeLayout))
	if f.ProcessedAt != nil {
		fmt.Fprintf(w, ", processed %s", f.ProcessedAt.UTC().Format(timeLayout))
	}
	fmt.Fprintln(w)
	if f.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", f.Error)
	}
	if len(problems) > 0 {
		fmt.Fprintln(w, "\nErrors and holds:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  ITEM\tSOURCE\tREASON\tPOSITION\tAMOUNT\tMESSAGE")
		for _, p := range problems {
			amt := "-"
			if p.AmountCents != 0 {
				amt = money.Cents(p.AmountCents).String()
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", p.Item, p.Source, p.Reason, orDash(p.Position), amt, p.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(items) > 0 {
		fmt.Fprintln(w, "\nWorklist items:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, it := range items {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", it.ID, it.Kind, it.Status, money.Cents(it.AmountCents).String(), it.Title)
			if it.Resolution != "" {
				fmt.Fprintf(tw, "  \t\t\t\t%s\n", it.Resolution)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(actions) > 0 {
		fmt.Fprintln(w, "\nActions:")
		for _, a := range actions {
			fmt.Fprintf(w, "  %s\n", a)
		}
	}
	return nil
}

// inboundActionFlags are the flags release and discard share.
type inboundActionFlags struct {
	workFlags
	reason    string
	profile   string
	payersDir string
	// heldPayment is release's --claim-payment: one held_payment item.
	heldPayment int64
	// wait is release's --wait.
	wait bool
}

// billingFor builds the billing service a release posts with: the payer
// registry and the billing profile, as serve uses them.
func (f *inboundActionFlags) billingFor(st store.Store, now func() time.Time, actor string) (*billing.Service, error) {
	var reg *payers.Registry
	var err error
	if f.payersDir != "" {
		reg, err = payers.LoadDir(f.payersDir)
	} else {
		reg, err = fixtures.Payers()
	}
	if err != nil {
		return nil, exitf(2, "payers: %v", err)
	}
	opts := billing.Options{Now: now, Actor: actor, Payers: reg}
	if f.profile != "" {
		raw, err := os.ReadFile(f.profile)
		if err != nil {
			return nil, exitf(2, "--profile: %v", err)
		}
		if opts.Profiles, err = billing.LoadProfiles(f.profile, raw); err != nil {
			return nil, &ExitError{Code: 2, Err: err}
		}
	}
	svc, err := billing.New(st, opts)
	if err != nil {
		return nil, &ExitError{Code: 2, Err: err}
	}
	return svc, nil
}

// run opens the store, finds the file named by arg and runs fn as the
// acting user.
func (f *inboundActionFlags) run(cmd *cobra.Command, env *Env, arg string, fn func(context.Context, *billing.Service, store.Store, store.InboundFile, string) error) error {
	id, err := parseID(arg, "inbound file")
	if err != nil {
		return err
	}
	actor, err := f.actor(env)
	if err != nil {
		return err
	}
	ctx := cmdContext(cmd)
	st, now, err := openInboundStore(ctx, env, &f.workFlags)
	if err != nil {
		return err
	}
	defer st.Close()
	file, err := findInbound(ctx, st, f.clinic, id)
	if err != nil {
		return inboundError(err)
	}
	svc, err := f.billingFor(st, now, actor)
	if err != nil {
		return err
	}
	return inboundError(fn(ctx, svc, st, file, actor))
}

func (f *inboundActionFlags) register(c *cobra.Command, withPosting bool) {
	f.workFlags.register(c, true)
	if withPosting {
		c.Flags().StringVar(&f.profile, "profile", "", "billing profile (YAML) whose expected allowed amounts flag underpayments, as serve's --profile")
		c.Flags().StringVar(&f.payersDir, "payers", "", "payer registry directory (default: the built-in payers), as serve's --payers")
	}
}

func newInboundReleaseCmd(env *Env) *cobra.Command {
	var f inboundActionFlags
	c := &cobra.Command{
		Use:   "release ID [--reason TEXT]",
		Short: "Release a quarantined file (processed again), a held 835 (posted as received) or an 835's held claim payments; audited",
		Long: "Release what was set aside, as the acting user (--user, CLEARHOUSE_USER or USER), recorded in the audit log:\n" +
			"  - a quarantined file goes back to received and a process_inbound job applies it again from its stored\n" +
			"    content (run by clearhouse serve); if it still cannot be read it is quarantined again with a new item;\n" +
			"  - a held 835 is posted as received, its file-level holds overridden; its claim payments are still\n" +
			"    checked one by one and a suspect one is held;\n" +
			"  - a processed 835 with held claim payments has every one of them posted as received, or only the one\n" +
			"    of --claim-payment ITEM (its held_payment worklist item).\n" +
			"Posting is keyed by the payer's trace number: a file released twice posts once. The hold or quarantine\n" +
			"items are resolved with the reason.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd, env, args[0], func(ctx context.Context, svc *billing.Service, st store.Store, file store.InboundFile, actor string) error {
				p := billing.ReleaseParams{ClinicID: file.ClinicID, InboundFileID: file.ID, Actor: actor, Reason: f.reason, HeldPaymentItem: f.heldPayment}
				w := env.Stdout
				if f.heldPayment < 0 {
					return exitf(2, "--claim-payment %d: want a worklist item ID", f.heldPayment)
				}
				if f.heldPayment != 0 && file.State != store.InboundProcessed {
					return exitf(2, "--claim-payment: inbound file %d %s is %s; a held claim payment belongs to a processed 835", file.ID, file.FileName, file.State)
				}
				switch file.State {
				case store.InboundQuarantined:
					rel, err := worker.ReleaseQuarantined(ctx, st, p)
					if err != nil {
						return err
					}
					fmt.Fprintf(w, "inbound file %d %s released by %s: received again, queued for processing (job request %d, process_inbound)\n",
						file.ID, file.FileName, actor, rel.RequestID)
					if err := writeResolved(env, rel.ResolvedItems); err != nil || !f.wait {
						return err
					}
					return waitJobRequest(ctx, env, st, store.Ref{ClinicID: file.ClinicID, ID: rel.RequestID})
				case store.InboundHeld:
					res, err := svc.ReleaseRemittance(ctx, p)
					if err != nil {
						return err
					}
					fmt.Fprintf(w, "inbound file %d %s released by %s and posted: %s\n", file.ID, file.FileName, actor, remitSummary(res.Remit))
					return writeResolved(env, res.ResolvedItems)
				}
				res, err := svc.ReleaseHeldPayments(ctx, p)
				if err != nil {
					if errors.Is(err, billing.ErrNotReleasable) && file.State != store.InboundProcessed {
						return fmt.Errorf("%w: inbound file %d %s is %s; only a quarantined or held file, or a processed 835 with held claim payments, is released",
							billing.ErrNotReleasable, file.ID, file.FileName, file.State)
					}
					return err
				}
				fmt.Fprintf(w, "inbound file %d %s: %s released by %s and posted: %s\n", file.ID, file.FileName,
					plural(res.Payments, "held claim payment", "held claim payments"), actor, remitSummary(res.Remit))
				for _, r := range res.Refused {
					fmt.Fprintf(w, "still held, %s\n", r)
				}
				return writeResolved(env, res.ResolvedItems)
			})
		},
	}
	f.register(c, true)
	c.Flags().StringVar(&f.reason, "reason", "", "why the file is released (kept in the audit log and on the resolved items)")
	c.Flags().Int64Var(&f.heldPayment, "claim-payment", 0, "release only this held claim payment (its held_payment worklist item ID)")
	c.Flags().BoolVar(&f.wait, "wait", false, "for a quarantined file, follow its job request until the file is processed again")
	return c
}

func newInboundDiscardCmd(env *Env) *cobra.Command {
	var f inboundActionFlags
	c := &cobra.Command{
		Use:   "discard ID --reason TEXT",
		Short: "Discard a quarantined, held or failed file: never applied, its content kept, its items dismissed; audited",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(f.reason) == "" {
				return exitf(2, "discard needs --reason TEXT")
			}
			return f.run(cmd, env, args[0], func(ctx context.Context, svc *billing.Service, _ store.Store, file store.InboundFile, actor string) error {
				res, err := svc.DiscardInboundFile(ctx, billing.ReleaseParams{ClinicID: file.ClinicID, InboundFileID: file.ID, Actor: actor, Reason: f.reason})
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "inbound file %d %s discarded by %s: %s\n", file.ID, file.FileName, actor, f.reason)
				return writeResolved(env, res.ResolvedItems)
			})
		},
	}
	f.register(c, false)
	c.Flags().StringVar(&f.reason, "reason", "", "why the file is discarded (required; kept in the audit log, on the file and on its items)")
	return c
}

func remitSummary(r billing.RemitResult) string {
	parts := []string{plural(r.Posted, "claim payment posted", "claim payments posted")}
	if r.AlreadyPosted > 0 {
		parts = append(parts, plural(r.AlreadyPosted, "payment posted before", "payments posted before"))
	}
	if r.Held > 0 {
		parts = append(parts, plural(r.Held, "claim payment held", "claim payments held"))
	}
	if r.Unmatched > 0 {
		parts = append(parts, fmt.Sprintf("%d unmatched", r.Unmatched))
	}
	if r.NotPosted > 0 {
		parts = append(parts, fmt.Sprintf("%d not posted", r.NotPosted))
	}
	return strings.Join(parts, ", ")
}

func writeResolved(env *Env, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	_, err := fmt.Fprintf(env.Stdout, "worklist items closed: %s\n", strings.Join(s, ", "))
	return err
}
