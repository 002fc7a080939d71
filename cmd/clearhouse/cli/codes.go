package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/codes"
)

// codesDir is the directory of imported code set releases: --dir, else
// CLEARHOUSE_CODES_DIR, else ~/.clearhouse/codes.
func codesDir(env *Env, flag string) string {
	if flag != "" {
		return flag
	}
	if v := env.Getenv("CLEARHOUSE_CODES_DIR"); v != "" {
		return v
	}
	if home := env.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".clearhouse", "codes")
	}
	return ""
}

func newCodesCmd(env *Env) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "codes",
		Short: "Look up code sets and import newer releases (ICD-10-CM, HCPCS, NCCI, MUE)",
	}
	c.PersistentFlags().StringVar(&dir, "dir", "", "directory of imported releases (env CLEARHOUSE_CODES_DIR, default ~/.clearhouse/codes)")

	var date string
	lookup := &cobra.Command{
		Use:   "lookup KIND CODE...",
		Short: "Show codes as of a date of service (kinds: icd10cm, hcpcs, modifier, pos, carc, group, taxonomy)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			kind, err := codes.ParseKind(args[0])
			if err != nil {
				return exitf(2, "%v", err)
			}
			day, err := codes.ParseDay(date)
			if err != nil {
				return exitf(2, "--date: %v", err)
			}
			sets, err := codes.Load(codes.LoadOptions{Dir: codesDir(env, dir), Kinds: []codes.Kind{kind}})
			if err != nil {
				return err
			}
			set := sets.Set(kind)
			if set == nil {
				return exitf(2, "%s is a table, not a code set: use `codes releases`", kind)
			}
			rel, covered := set.Release(day)
			missing := 0
			for _, code := range args[1:] {
				e, ok := rel.Lookup(code)
				if !ok {
					missing++
					fmt.Fprintf(env.Stdout, "%s\tnot found in %s %s\n", code, kind, rel.Name)
					continue
				}
				flag := ""
				if !e.Billable {
					flag = " [header, not billable]"
				}
				fmt.Fprintf(env.Stdout, "%s\t%s%s\n", e.Code, e.Description, flag)
			}
			if !covered {
				fmt.Fprintf(env.Stderr, "note: no %s release covers %s; looked up in %s\n", kind, day, rel.Name)
			}
			if missing > 0 {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	lookup.Flags().StringVar(&date, "date", "", "date of service YYYY-MM-DD (default: the latest release)")

	var today string
	releases := &cobra.Command{
		Use:   "releases",
		Short: "List the loaded releases with their effective dates and sources, and which covers today",
		Long: "releases lists every loaded release (embedded and imported with `codes import`) with its effective\n" +
			"dates, marks the release in effect on --today (default: today) and warns when a set is stale: its\n" +
			"latest release ended before --today, so claims of later dates are checked against an out-of-date\n" +
			"release. The warning names the release to import and the command that imports it.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			day := codes.DayOf(time.Now())
			if today != "" {
				d, err := codes.ParseDay(today)
				if err != nil || d == 0 {
					return exitf(2, "--today %q: want YYYY-MM-DD", today)
				}
				day = d
			}
			sets, err := codes.Load(codes.LoadOptions{Dir: codesDir(env, dir)})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "SET\tRELEASE\tFROM\tTO\tENTRIES\tON %s\tSOURCE\n", day)
			for _, k := range codes.AllKinds() {
				set := sets.Set(k)
				if set == nil {
					continue
				}
				cur := set.CurrencyOn(day)
				for _, r := range set.Releases() {
					mark := ""
					switch {
					case r == cur.Release && cur.Covered:
						mark = "in effect"
					case r == cur.Release && cur.Stale:
						mark = "ENDED " + cur.Ended.String()
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", k, r.Name, r.From, r.To, r.Len(), mark, r.Source)
				}
			}
			for _, st := range []codes.Setting{codes.Practitioner, codes.Hospital} {
				if t := sets.PTP(st); t != nil {
					fmt.Fprintf(tw, "ncci-ptp\t%s (%s)\t\t\t%d\t\t%s\n", t.Release, st, t.Len(), sampleNote(t.Sample))
				}
				if t := sets.MUE(st); t != nil {
					fmt.Fprintf(tw, "mue\t%s (%s)\t\t\t%d\t\t%s\n", t.Release, st, t.Len(), sampleNote(t.Sample))
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, c := range sets.Stale(day) {
				fmt.Fprintf(env.Stderr, "warning: %s is out of date: its latest release, %s, ended %s, and no release covers %s; "+
					"claims of later dates are checked against %s. Import %s\n", c.Kind, c.Release.Name, c.Ended, day, c.Release.Name, c.Import)
			}
			return nil
		},
	}
	releases.Flags().StringVar(&today, "today", "", "the day to check the releases against, YYYY-MM-DD (default: today)")

	provenance := &cobra.Command{
		Use:   "provenance",
		Short: "Print the provenance of the embedded code set files",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprint(env.Stdout, codes.Provenance())
			return err
		},
	}

	var from, to, name, setting string
	imp := &cobra.Command{
		Use:   "import KIND FILE",
		Short: "Import a release: icd10cm (order file), hcpcs (CSV), ncci-ptp or mue (CMS quarterly files)",
		Args:  cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			kind, err := codes.ParseKind(args[0])
			if err != nil {
				return exitf(2, "%v", err)
			}
			d := codesDir(env, dir)
			if d == "" {
				return exitf(2, "no data directory: pass --dir")
			}
			f, err := os.Open(args[1])
			if err != nil {
				return exitf(2, "%v", err)
			}
			defer f.Close()
			info, err := codes.Import(codes.ImportOptions{
				Kind: kind, Source: args[1], Data: f, Dir: d,
				Name: name, From: from, To: to, Setting: codes.Setting(setting),
			})
			if errors.Is(err, codes.ErrImport) {
				// Wrong or missing options (--from, --to, --setting, the
				// release name): a usage error.
				return exitf(2, "%v", err)
			}
			if err != nil {
				return exitf(1, "%v", err)
			}
			fmt.Fprintf(env.Stdout, "imported %s release %s: %d entries, effective %s to %s, into %s\n",
				info.Kind, info.Name, info.Entries, orOpen(info.From), orOpen(info.To), d)
			return nil
		},
	}
	imp.Flags().StringVar(&from, "from", "", "first effective date YYYY-MM-DD (required for icd10cm and hcpcs)")
	imp.Flags().StringVar(&to, "to", "", "last effective date YYYY-MM-DD (default: until a later release)")
	imp.Flags().StringVar(&name, "name", "", "release name (default: the file name)")
	imp.Flags().StringVar(&setting, "setting", "", "ncci-ptp and mue: practitioner (default) or hospital")

	c.AddCommand(lookup, releases, provenance, imp)
	return c
}

func sampleNote(sample bool) string {
	if sample {
		return "SAMPLE, not CMS data"
	}
	return "imported"
}

func orOpen(s string) string {
	if s == "" {
		return "open"
	}
	return s
}
