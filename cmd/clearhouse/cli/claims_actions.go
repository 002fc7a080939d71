package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worklist"
)

// addClaimsActionCmds adds the billing team's claim actions to the claims
// command: correct, void, appeal and writeoff. Each is written to the audit
// log with the acting user.
func addClaimsActionCmds(parent *cobra.Command, env *Env) {
	parent.AddCommand(newClaimsCorrectCmd(env), newClaimsVoidCmd(env), newClaimsAppealCmd(env), newClaimsWriteOffCmd(env))
}

// claimAction opens the service and runs fn on the claim named by arg as
// the acting user.
func claimAction(cmd *cobra.Command, env *Env, f *workFlags, arg string, fn func(context.Context, *worklist.Service, int64, string) error) error {
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
	id, err := claimArg(ctx, st, f, arg)
	if err != nil {
		return err
	}
	return workError(fn(ctx, svc, id, actor))
}

// claimArg settles a claim argument: its ID, or its patient control number
// in --clinic (the only clinic when not given).
func claimArg(ctx context.Context, st store.Store, f *workFlags, arg string) (int64, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	cid, err := clinicOrOnly(ctx, st, f.clinic)
	if err != nil {
		return 0, err
	}
	c, err := claimRef(ctx, st, cid, arg)
	if err != nil {
		return 0, &ExitError{Code: 1, Err: err}
	}
	if f.clinic == 0 {
		f.clinic = cid
	}
	return c.ID, nil
}

func printClaimAction(env *Env, verb string, res worklist.ClaimActionResult) error {
	o := res.Original
	fmt.Fprintf(env.Stdout, "claim %d (%s) %s: now %s\n", o.ID, o.PatientControlNumber, verb, o.Status)
	if n := res.New; n != nil {
		fmt.Fprintf(env.Stdout, "new claim %d (%s): %s, frequency %s, REF*F8 %s, charge %s\n", n.ID, n.PatientControlNumber, n.Status,
			n.FrequencyCode, n.PayerClaimControlNumber, money.Cents(n.TotalChargeCents).String())
	}
	if res.DeniedCents != 0 {
		to := "moved to the new claim"
		if verb == "voided" {
			to = "withdrawn with the charge"
		}
		fmt.Fprintf(env.Stdout, "denied A/R %s %s\n", money.Cents(res.DeniedCents).String(), to)
	}
	if len(res.ResolvedItems) > 0 {
		fmt.Fprintf(env.Stdout, "resolved items %s\n", joinIDs(res.ResolvedItems))
	}
	return nil
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, " ")
}

func newClaimsCorrectCmd(env *Env) *cobra.Command {
	var f workFlags
	var set []string
	var file, reason string
	var dryRun bool
	c := &cobra.Command{
		Use:   "correct ID|PCN [--set path=value]... [--file edited.json]",
		Short: "Correct a claim: a replacement (frequency 7 with REF*F8) when the payer has it, else in place; audited",
		Long: "Edit a claim's JSON document with --set path=value pairs (dotted keys and 0-based indexes,\n" +
			"e.g. --set lines.0.modifiers='[\"25\"]' --set priorAuthorization=PA77), with --file holding the whole\n" +
			"edited claim, or, with neither on a terminal, in $EDITOR. A claim the payer accepted is resubmitted as\n" +
			"a replacement claim (CLM05-3 7, REF*F8 with the payer claim control number), created as a draft for\n" +
			"the scrub and submit path; the original becomes replaced. A claim the payer never accepted is\n" +
			"corrected in place and goes back to draft.\n\n" +
			"The corrected claim is scrubbed first and the findings printed before it is saved (with --dry-run,\n" +
			"nothing is saved); it is scrubbed again with the nightly run before it is submitted.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var doc json.RawMessage
			if file != "" {
				raw, err := os.ReadFile(file)
				if err != nil {
					return exitf(2, "--file: %v", err)
				}
				doc = raw
			}
			return claimAction(cmd, env, &f, args[0], func(ctx context.Context, svc *worklist.Service, id int64, actor string) error {
				if len(set) == 0 && doc == nil {
					edited, err := editInEditor(ctx, env, svc, f.clinic, id)
					if err != nil {
						return err
					}
					doc = edited
				}
				now, err := f.clock()
				if err != nil {
					return err
				}
				if err := previewCorrection(ctx, env, svc, f.clinic, id, doc, set, claim.DateOf(now())); err != nil {
					return err
				}
				if dryRun {
					fmt.Fprintln(env.Stdout, "dry run: nothing saved")
					return nil
				}
				res, err := svc.Correct(ctx, worklist.CorrectParams{ClinicID: f.clinic, ClaimID: id, Set: set, Document: doc, Reason: reason, Actor: actor})
				if err != nil {
					return err
				}
				verb := "corrected in place"
				if res.New != nil {
					verb = "replaced"
				}
				return printClaimAction(env, verb, res)
			})
		},
	}
	f.register(c, true)
	c.Flags().StringArrayVar(&set, "set", nil, "an edit path=value on the claim JSON (repeatable)")
	c.Flags().StringVar(&file, "file", "", "the whole edited claim document (JSON)")
	c.Flags().StringVar(&reason, "reason", "", "why the claim is corrected")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "scrub the correction and print the findings without saving it")
	return c
}

// editInEditor opens the claim's document in $EDITOR (VISUAL first) when
// stdin is a terminal, and returns the edited document.
func editInEditor(ctx context.Context, env *Env, svc *worklist.Service, clinicID, claimID int64) (json.RawMessage, error) {
	editor := env.Getenv("VISUAL")
	if editor == "" {
		editor = env.Getenv("EDITOR")
	}
	in, ok := env.Stdin.(*os.File)
	interactive := false
	if ok {
		if fi, err := in.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			interactive = true
		}
	}
	if editor == "" || !interactive {
		return nil, exitf(2, "no edits: pass --set path=value or --file edited.json (or run on a terminal with $EDITOR set)")
	}
	c, err := svc.FindClaim(ctx, clinicID, claimID)
	if err != nil {
		return nil, err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, c.Document, "", "  "); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "clearhouse-claim-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, fmt.Sprintf("claim-%d.json", claimID))
	if err := os.WriteFile(path, pretty.Bytes(), 0o600); err != nil {
		return nil, err
	}
	fields := strings.Fields(editor)
	ed := exec.CommandContext(ctx, fields[0], append(fields[1:], path)...)
	ed.Stdin, ed.Stdout, ed.Stderr = in, env.Stdout, env.Stderr
	if err := ed.Run(); err != nil {
		return nil, exitf(2, "editor: %v", err)
	}
	edited, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(bytes.TrimSpace(edited), bytes.TrimSpace(pretty.Bytes())) {
		return nil, exitf(1, "claim %d: no changes made", claimID)
	}
	return edited, nil
}

func newClaimsVoidCmd(env *Env) *cobra.Command {
	var f workFlags
	var reason string
	c := &cobra.Command{
		Use:   "void ID",
		Short: "Void a claim: a void claim (frequency 8 with REF*F8) when the payer has it; audited",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return claimAction(cmd, env, &f, args[0], func(ctx context.Context, svc *worklist.Service, id int64, actor string) error {
				res, err := svc.Void(ctx, worklist.VoidParams{ClinicID: f.clinic, ClaimID: id, Reason: reason, Actor: actor})
				if err != nil {
					return err
				}
				return printClaimAction(env, "voided", res)
			})
		},
	}
	f.register(c, true)
	c.Flags().StringVar(&reason, "reason", "", "why the claim is voided")
	return c
}

func newClaimsAppealCmd(env *Env) *cobra.Command {
	var f workFlags
	var status, note, due, then string
	c := &cobra.Command{
		Use: "appeal ID [--status filed|pending|won|lost|withdrawn] [--then writeoff|patient]",
		Short: "File or update the appeal of an adjudicated claim (tracked as a worklist item of kind appeal); won returns the denied amount " +
			"to insurance A/R awaiting payment, lost with --then writes it off or bills the patient; audited",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var dueAt *time.Time
			if due != "" {
				d, err := time.Parse(time.DateOnly, due)
				if err != nil {
					return exitf(2, "--due %q: want YYYY-MM-DD", due)
				}
				dueAt = &d
			}
			return claimAction(cmd, env, &f, args[0], func(ctx context.Context, svc *worklist.Service, id int64, actor string) error {
				res, err := svc.Appeal(ctx, worklist.AppealParams{ClinicID: f.clinic, ClaimID: id, Status: status, Note: note, DueAt: dueAt, Then: then,
					Actor: actor})
				if err != nil {
					return err
				}
				w := res.Item
				fmt.Fprintf(env.Stdout, "claim %d (%s) appeal %s: item %d %s (%s)\n", res.Original.ID, res.Original.PatientControlNumber,
					cmp.Or(status, worklist.AppealFiled), w.ID, w.Status, w.Title)
				if res.DeniedCents != 0 {
					to := map[string]string{worklist.AppealWon: "returned to insurance A/R awaiting payment",
						worklist.AppealThenWriteOff: "written off", worklist.AppealThenPatient: "billed to the patient"}[cmp.Or(then, status)]
					fmt.Fprintf(env.Stdout, "denied %s %s; claim %s\n", money.Cents(res.DeniedCents).String(), to, res.Original.Status)
				}
				if len(res.ResolvedItems) > 0 {
					fmt.Fprintf(env.Stdout, "resolved items %s\n", joinIDs(res.ResolvedItems))
				}
				return nil
			})
		},
	}
	f.register(c, true)
	c.Flags().StringVar(&status, "status", "", "filed (the default: open an appeal), pending, won, lost or withdrawn")
	c.Flags().StringVar(&note, "note", "", "what was sent or answered")
	c.Flags().StringVar(&due, "due", "", "follow-up date, YYYY-MM-DD")
	c.Flags().StringVar(&then, "then", "", "with --status lost: writeoff or patient, what becomes of the denied amount (default: it stays open in denied A/R)")
	return c
}

func newClaimsWriteOffCmd(env *Env) *cobra.Command {
	var f workFlags
	var reason, amount string
	var patient bool
	c := &cobra.Command{
		Use:   "writeoff ID --reason TEXT [--amount DOLLARS] [--patient]",
		Short: "Write off a claim's insurance (or, with --patient, patient) balance; audited",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cents, err := parseDollars("amount", amount)
			if err != nil {
				return err
			}
			return claimAction(cmd, env, &f, args[0], func(ctx context.Context, svc *worklist.Service, id int64, actor string) error {
				res, err := svc.WriteOff(ctx, worklist.WriteOffParams{ClinicID: f.clinic, ClaimID: id, AmountCents: cents, FromPatient: patient,
					Reason: reason, Actor: actor})
				if err != nil {
					return err
				}
				from := "insurance"
				if patient {
					from = "patient"
				}
				fmt.Fprintf(env.Stdout, "claim %d (%s): wrote off %s of %s balance: %s\n", res.Claim.ID, res.Claim.PatientControlNumber,
					money.Cents(res.AmountCents).String(), from, reason)
				if len(res.ResolvedItems) > 0 {
					fmt.Fprintf(env.Stdout, "resolved items %s\n", joinIDs(res.ResolvedItems))
				}
				return nil
			})
		},
	}
	f.register(c, true)
	c.Flags().StringVar(&reason, "reason", "", "why (timely filing, small balance, ...)")
	c.Flags().StringVar(&amount, "amount", "", "amount in dollars (default: the whole balance)")
	c.Flags().BoolVar(&patient, "patient", false, "write off patient responsibility instead of insurance A/R")
	_ = c.MarkFlagRequired("reason")
	return c
}

// previewCorrection scrubs the claim as the correction would leave it and
// prints the findings, before anything is saved.
func previewCorrection(ctx context.Context, env *Env, svc *worklist.Service, clinicID, claimID int64, edited json.RawMessage, set []string, today claim.Date) error {
	c, err := svc.FindClaim(ctx, clinicID, claimID)
	if err != nil {
		return err
	}
	doc, err := worklist.CorrectedDocument(c.Document, edited, set)
	if err != nil {
		return err
	}
	s, err := newScrubber(env, "", "", "")
	if err != nil {
		return err
	}
	fs := s.AppendScrub(nil, doc, scrub.Options{Today: today})
	fmt.Fprintf(env.Stdout, "scrub of the correction of claim %d (%s):\n", c.ID, c.PatientControlNumber)
	return printFindings(env, formatTable, 1, fs)
}
