package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/guide"
	"github.com/clearhouse/clearhouse/edi/x999"
)

// newEDICmd builds "clearhouse edi": X12 inspection, validation and
// conversion.
func newEDICmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "edi",
		Short: "Inspect, validate, format and convert X12 files",
	}
	cmd.AddCommand(newEDIInspectCmd(env), newEDIValidateCmd(env), newEDIJSONCmd(env), newEDIFmtCmd(env))
	return cmd
}

// openInput opens FILE, or standard input for "-". Failure is exit status 2.
func openInput(env *Env, name string) (io.Reader, func(), error) {
	max := env.maxInput()
	if name == "-" {
		return &cappedReader{r: env.Stdin, left: max, max: max, file: "<stdin>"}, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, &ExitError{Code: 2, Err: err}
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > max {
		f.Close()
		return nil, nil, tooLarge(name, max)
	}
	return bufio.NewReaderSize(&cappedReader{r: f, left: max, max: max, file: name}, 64<<10), func() { f.Close() }, nil
}

// validateFile checks FILE: its envelopes only (level 0), or against the
// implementation guides to level (1 to 5, package edi/guide). Not X12 or
// unreadable input is exit status 2.
func validateFile(env *Env, name string, level int) (*edi.ValidationReport, error) {
	in, done, err := openInput(env, name)
	if err != nil {
		return nil, err
	}
	defer done()
	var rep *edi.ValidationReport
	if level == 0 {
		rep, err = edi.Validate(in, edi.ValidateOpts{File: name})
	} else {
		rep, err = guide.Validate(in, guide.Options{File: name, Level: level})
	}
	if err != nil {
		return nil, nameFile(name, &ExitError{Code: decodeExit(err), Err: err})
	}
	return rep, nil
}

// setNames describes the transaction sets this project works with.
var setNames = map[string]string{
	"837": "claims", "835": "remittance advice", "270": "eligibility inquiry", "271": "eligibility response",
	"276": "claim status request", "277": "claim status", "999": "implementation acknowledgment",
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// maxListedSets caps the sets inspect lists per group.
const maxListedSets = 20

func newEDIInspectCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "inspect FILE",
		Short: "List the interchanges, groups and transaction sets of an X12 file",
		Long: "Lists each interchange (ISA), functional group (GS) and transaction set (ST) with their\n" +
			"identifiers, guide versions and counts, and how many envelope errors it found.\n" +
			"Exit status: 0 clean envelopes, 1 errors found, 2 not X12 or unreadable.\n" +
			"FILE - reads standard input.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			rep, err := validateFile(env, args[0], 0)
			if err != nil {
				return err
			}
			if err := writeInspect(env.Stdout, rep); err != nil {
				return err
			}
			if !rep.Clean() {
				// The errors are counted in the listing too (issue 14).
				return exitf(1, "%s: %s found", rep.File, plural(rep.ErrorCount(), "envelope error", "envelope errors"))
			}
			return nil
		},
	}
	maxInputFlag(c, env)
	return c
}

func writeInspect(out io.Writer, rep *edi.ValidationReport) error {
	w := bufio.NewWriter(out)
	groups, sets := 0, 0
	for _, ic := range rep.Interchanges {
		groups += len(ic.Groups)
		for _, g := range ic.Groups {
			sets += len(g.Sets)
		}
	}
	fmt.Fprintf(w, "%s: %s, %s, %s, %s\n", rep.File, plural(len(rep.Interchanges), "interchange", "interchanges"),
		plural(groups, "group", "groups"), plural(sets, "transaction set", "transaction sets"), plural(rep.Segments, "segment", "segments"))
	for _, ic := range rep.Interchanges {
		usage := "production"
		if ic.Usage == "T" {
			usage = "test"
		}
		d := ic.Delimiters
		rep := "none"
		if d.Repetition != 0 {
			rep = fmt.Sprintf("%q", []byte{d.Repetition})
		}
		fmt.Fprintf(w, "interchange %s  %s:%s -> %s:%s  %s %s  version %s  %s  delimiters element %q component %q repetition %s segment %q\n",
			ic.ControlNumber, ic.SenderQualifier, ic.SenderID, ic.ReceiverQualifier, ic.ReceiverID, ic.Date, ic.Time,
			ic.Version, usage, []byte{d.Element}, []byte{d.Component}, rep, []byte{d.Segment})
		for _, g := range ic.Groups {
			fmt.Fprintf(w, "  group %s  %s  %s  %s -> %s  %s\n", g.ControlNumber, g.FunctionalID, g.Version,
				g.SenderCode, g.ReceiverCode, plural(len(g.Sets), "transaction set", "transaction sets"))
			for i, s := range g.Sets {
				if i == maxListedSets {
					fmt.Fprintf(w, "    ... %d more\n", len(g.Sets)-maxListedSets)
					break
				}
				name := setNames[s.ID]
				if name != "" {
					name = " (" + name + ")"
				}
				fmt.Fprintf(w, "    set %s  %s%s  %s  %s\n", s.ControlNumber, s.ID, name, s.ImplRef, plural(s.Segments, "segment", "segments"))
			}
		}
	}
	if n := rep.ErrorCount(); n > 0 {
		fmt.Fprintf(w, "%s found; run edi validate for details\n", plural(n, "error", "errors"))
	}
	return w.Flush()
}

func newEDIValidateCmd(env *Env) *cobra.Command {
	var out999, outTA1, at string
	var control int64
	var level int
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check an X12 file against its implementation guide; optionally write the 999 and TA1",
		Long: "Checks the ISA/GS/ST envelopes and every transaction set against its 005010 implementation\n" +
			"guide (837P, 837I, 835, 277CA, 999, 270, 271), and prints each error with its position: interchange,\n" +
			"group and set control numbers, segment, loop ID, element and its name.\n" +
			"--level picks how deep, after the WEDI SNIP types: 1 syntax, 2 implementation guide (the\n" +
			"default, what Clearhouse applies to every file it receives), 3 claim balancing, 4 situational\n" +
			"rules (such as REF*F8 on a replacement claim), 5 state codes.\n" +
			"Exit status: 0 clean, 1 errors found, 2 usage error, not X12 or unreadable.\n" +
			"--999 writes the acknowledgment of every interchange: a 999 per functional group, or a TA1\n" +
			"when the interchange envelope (ISA/IEA) itself is in error. --ta1 writes the TA1 of every\n" +
			"interchange.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if level < guide.LevelSyntax || level > guide.LevelCodeSets {
				return exitf(2, "--level must be 1 to 5")
			}
			now := time.Now().UTC()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return exitf(2, "--at: %v", err)
				}
				now = t
			}
			if control < 1 || control > 999999999 {
				return exitf(2, "--control-number must be 1 to 999999999")
			}
			rep, err := validateFile(env, args[0], level)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(env.Stdout)
			for _, e := range rep.AllErrors() {
				fmt.Fprintf(w, "%s [%s %s]\n", e.Error(), ackName(e.Level), e.Code)
			}
			if n := rep.ErrorCount() - len(rep.AllErrors()); n > 0 {
				fmt.Fprintf(w, "(%d more errors not shown)\n", n)
			}
			for _, e := range rep.Warnings.Errs {
				fmt.Fprintf(w, "warning: %s\n", e.Error())
			}
			writeUnguided(w, rep)
			if rep.Clean() {
				fmt.Fprintf(w, "%s: clean, %s\n", rep.File, plural(rep.Segments, "segment", "segments"))
			} else {
				fmt.Fprintf(w, "%s: %s\n", rep.File, plural(rep.ErrorCount(), "error", "errors"))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			acks := x999.Generate(rep)
			if out999 != "" {
				if err := writeAcks(out999, acks, control, now, false); err != nil {
					return &ExitError{Code: 2, Err: err}
				}
			}
			if outTA1 != "" {
				if err := writeAcks(outTA1, acks, control, now, true); err != nil {
					return &ExitError{Code: 2, Err: err}
				}
			}
			if !rep.Clean() {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&level, "level", guide.IntakeLevel, "validation depth, SNIP type 1 to 5")
	maxInputFlag(cmd, env)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &ExitError{Code: 2, Err: err} })
	cmd.Flags().StringVar(&out999, "999", "", "write the 999 acknowledgments (or a TA1 for a rejected interchange) to this file")
	cmd.Flags().StringVar(&outTA1, "ta1", "", "write the TA1 acknowledgments to this file")
	cmd.Flags().Int64Var(&control, "control-number", 1, "first ISA13/GS06 control number of the acknowledgments")
	cmd.Flags().StringVar(&at, "at", "", "acknowledgment date and time, RFC 3339 (default now)")
	return cmd
}

// writeUnguided notes the transaction sets whose guide has no table, so
// only their envelopes were checked.
func writeUnguided(w io.Writer, rep *edi.ValidationReport) {
	for _, ic := range rep.Interchanges {
		for _, g := range ic.Groups {
			for _, s := range g.Sets {
				ref := s.ImplRef
				if ref == "" {
					ref = g.Version
				}
				if guide.Lookup(s.ID, ref) == nil {
					fmt.Fprintf(w, "note: ISA13 %s, GS06 %s, ST02 %s: no implementation guide table for %s %s; envelope checked only\n",
						ic.ControlNumber, g.ControlNumber, s.ControlNumber, s.ID, ref)
				}
			}
		}
	}
}

// ackName names the acknowledgment element a level's code goes in.
func ackName(l edi.Level) string {
	switch l {
	case edi.LevelInterchange:
		return "TA105"
	case edi.LevelGroup:
		return "AK905"
	case edi.LevelSet:
		return "IK502"
	case edi.LevelSegment:
		return "IK304"
	case edi.LevelElement:
		return "IK403"
	}
	return "-"
}

// writeAcks writes one reply interchange per acknowledged interchange,
// numbered from control up. With ta1 it is the interchange's TA1. Otherwise
// it is its 999s, one per functional group; an interchange whose envelope
// is in error gets its TA1 instead (its groups were not read as such), and
// one with neither groups nor envelope errors gets nothing, so no reply is
// ever an empty interchange.
func writeAcks(name string, acks []x999.Acknowledgment, control int64, at time.Time, ta1 bool) error {
	var buf bytes.Buffer
	w := edi.NewWriter(&buf, edi.DefaultDelimiters)
	n := control
	for _, a := range acks {
		env := x999.ReplyEnvelope(a.Interchange, n, n, at)
		var err error
		switch {
		case ta1 || !a.Interchange.Accepted():
			err = x999.Encode(w, env, []x999.TA1{a.TA1}, nil)
		case len(a.Responses) > 0:
			err = x999.Encode(w, env, nil, a.Responses)
		default:
			continue
		}
		if err != nil {
			return err
		}
		n++
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}

func newEDIJSONCmd(env *Env) *cobra.Command {
	var toX12 bool
	cmd := &cobra.Command{
		Use:   "json FILE",
		Short: "Print an X12 file as generic JSON (lossless), or with --to-x12 turn that JSON back into X12",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			in, done, err := openInput(env, args[0])
			if err != nil {
				return err
			}
			defer done()
			if toX12 {
				data, err := io.ReadAll(in)
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				doc, err := edi.ParseJSON(data)
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				if err := doc.WriteX12(env.Stdout); err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				return nil
			}
			r := edi.NewReader(in)
			r.File = args[0]
			return nameFile(args[0], readError(edi.ToJSON(env.Stdout, r)))
		},
	}
	cmd.Flags().BoolVar(&toX12, "to-x12", false, "read the JSON form and write X12")
	maxInputFlag(cmd, env)
	return cmd
}

func newEDIFmtCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "fmt FILE",
		Short: "Print an X12 file one segment per line",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			in, done, err := openInput(env, args[0])
			if err != nil {
				return err
			}
			defer done()
			r := edi.NewReader(in)
			r.File = args[0]
			return nameFile(args[0], readError(edi.Format(env.Stdout, r)))
		},
	}
	maxInputFlag(c, env)
	return c
}

// readError maps a reader error to an exit status: 2 when the input is not
// X12 or cannot be read, 1 when it breaks off after its first segment.
func readError(err error) error {
	if err == nil {
		return nil
	}
	var pe *edi.Error
	if errors.Is(err, errTooLarge) || strings.Contains(err.Error(), errTooLarge.Error()) {
		return &ExitError{Code: 2, Err: err}
	}
	if errors.As(err, &pe) && pe.Pos.Segment > 1 && !errors.Is(err, edi.ErrNotX12) {
		return &ExitError{Code: 1, Err: err}
	}
	return &ExitError{Code: 2, Err: err}
}
