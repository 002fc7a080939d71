package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/report"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// newReportCmd builds "clearhouse report": kpis, aging, denials, payers and
// no-shows for a period and clinics.
func newReportCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "report",
		Short: "Revenue-cycle KPIs and reports (kpis, aging, denials, payers, no-shows)",
		Long: "Reports for a period (--from, --to; default the current month to date) and clinics (--clinic,\n" +
			"default all): clean-claim rate, first-pass acceptance, denial rates by payer and CARC, days in A/R,\n" +
			"A/R aging by payer and for patient responsibility, collections, revenue per visit and no-show rate.\n" +
			"Balances and aging are as of --to. Output as a table, CSV or JSON.",
	}
	type render struct {
		name, short string
		build       func(d *report.Dataset) (tables []report.Table, v any)
		// tables names the tables build returns, for --table.
		tables []string
	}
	for _, r := range []render{
		{"kpis", "Clean-claim rate, first-pass acceptance, denial rate, days in A/R, collections, revenue per visit, no-show rate",
			func(d *report.Dataset) ([]report.Table, any) { k := report.ComputeKPIs(d); return k.Tables(), k }, nil},
		{"aging", "A/R aging (0-30, 31-60, 61-90, 91-120, over 120 days) by payer and for patient responsibility",
			func(d *report.Dataset) ([]report.Table, any) { a := report.ComputeAging(d); return a.Tables(), a }, nil},
		{"denials", "Denial rate by payer and by CARC, with the suggested action",
			func(d *report.Dataset) ([]report.Table, any) { x := report.ComputeDenials(d); return x.Tables(), x }, []string{"payer", "reason"}},
		{"payers", "Claims, charges, clean-claim, first-pass and denial rates, payments and A/R by payer",
			func(d *report.Dataset) ([]report.Table, any) {
				rows := report.ComputePayers(d)
				from, to := d.From.Format(time.DateOnly), d.To.Format(time.DateOnly)
				if rows == nil {
					rows = []report.PayerRow{}
				}
				return report.PayerTables(from, to, rows), struct {
					From   string            `json:"from"`
					To     string            `json:"to"`
					Payers []report.PayerRow `json:"payers"`
				}{from, to, rows}
			}, nil},
		{"no-shows", "No-show rate by provider",
			func(d *report.Dataset) ([]report.Table, any) { n := report.ComputeNoShows(d); return n.Tables(), n }, nil},
	} {
		c.AddCommand(newReportSubCmd(env, r.name, r.short, r.build, r.tables))
	}
	return c
}

func newReportSubCmd(env *Env, name, short string, build func(d *report.Dataset) ([]report.Table, any), tableNames []string) *cobra.Command {
	var (
		clinics                 []int64
		from, to, out, n, table string
	)
	c := &cobra.Command{
		Use:   name,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&out, formatTable, formatCSV, formatJSON); err != nil {
				return err
			}
			pick := 0
			if table != "" {
				pick = slices.Index(tableNames, table)
				if pick < 0 {
					return exitf(2, "--table %q: want %s", table, joinOr(tableNames))
				}
			}
			today := time.Now().UTC()
			if n != "" {
				t, err := time.Parse(time.RFC3339, n)
				if err != nil {
					return exitf(2, "--now: %v", err)
				}
				today = t.UTC()
			}
			today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
			p := report.Params{ClinicIDs: clinics, From: time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC), To: today}
			for _, d := range []struct {
				flag, v string
				dst     *time.Time
			}{{"from", from, &p.From}, {"to", to, &p.To}} {
				if d.v == "" {
					continue
				}
				t, err := time.Parse(time.DateOnly, d.v)
				if err != nil {
					return exitf(2, "--%s %q: want YYYY-MM-DD", d.flag, d.v)
				}
				*d.dst = t
			}
			if p.To.Before(p.From) {
				return exitf(2, "--to %s is before --from %s", p.To.Format(time.DateOnly), p.From.Format(time.DateOnly))
			}
			ctx := cmdContext(cmd)
			st, err := env.openStore(ctx, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer st.Close()
			d, err := report.Load(ctx, st, p)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			covered := p.ClinicIDs
			if len(covered) == 0 {
				cs, err := st.ListClinics(ctx)
				if err != nil {
					return &ExitError{Code: 2, Err: err}
				}
				covered = idsOf(cs, func(c store.Clinic) int64 { return c.ID })
			}
			if err := env.auditReport(ctx, st, cmd, cmd.Name(), covered); err != nil {
				return err
			}
			tables, v := build(d)
			switch out {
			case "json":
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			case "csv":
				// One CSV table: a report of several tables writes the
				// one --table names.
				if len(tables) > 1 {
					tables = tables[pick : pick+1]
				}
				return report.WriteCSV(env.Stdout, tables...)
			}
			if err := report.WriteText(env.Stdout, tables...); err != nil {
				return fmt.Errorf("write: %w", err)
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.Int64SliceVar(&clinics, "clinic", nil, "only these clinics (repeatable; default every clinic)")
	fl.StringVar(&from, "from", "", "first date of the period, YYYY-MM-DD (default the first of this month)")
	fl.StringVar(&to, "to", "", "last date of the period and as-of date, YYYY-MM-DD (default today)")
	outputFlag(c, &out, []string{formatTable, formatCSV, formatJSON}, "")
	if len(tableNames) > 1 {
		fl.StringVar(&table, "table", "", "with -o csv, the table to write: "+joinOr(tableNames)+" (default "+tableNames[0]+")")
	}
	fl.StringVar(&n, "now", "", "the current time, RFC 3339 (for reproducible defaults)")
	_ = fl.MarkHidden("now")
	return c
}
