package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/clearhouse/clearhouse/money"
)

// Table is a report section as rows of text, for the text and CSV forms.
type Table struct {
	Title   string
	Columns []string
	Rows    [][]string
}

// WriteText prints tables aligned in columns, each under its title, with a
// blank line between them.
func WriteText(w io.Writer, tables ...Table) error {
	for i, t := range tables {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if t.Title != "" {
			if _, err := fmt.Fprintln(w, t.Title); err != nil {
				return err
			}
		}
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(t.Columns, "\t"))
		for _, r := range t.Rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for line := range strings.Lines(buf.String()) {
			if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteCSV writes tables as CSV: one header row per table, a first column
// "section" holding the table's title when there are several.
func WriteCSV(w io.Writer, tables ...Table) error {
	cw := csv.NewWriter(w)
	multi := len(tables) > 1
	for _, t := range tables {
		head := t.Columns
		if multi {
			head = append([]string{"section"}, head...)
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		for _, r := range t.Rows {
			if multi {
				r = append([]string{t.Title}, r...)
			}
			if err := cw.Write(r); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func ratioCells(r Ratio) []string {
	return []string{r.Percent(), strconv.FormatInt(r.Num, 10), strconv.FormatInt(r.Den, 10)}
}

// Tables renders the KPIs: one row per metric with its value, numerator
// and denominator.
func (k KPIs) Tables() []Table {
	t := Table{Title: "KPIs " + k.From + " to " + k.To, Columns: []string{"metric", "value", "numerator", "denominator"}}
	add := func(name string, cells ...string) { t.Rows = append(t.Rows, append([]string{name}, cells...)) }
	add("clean-claim rate %", ratioCells(k.CleanClaimRate)...)
	add("first-pass acceptance % (277CA)", ratioCells(k.FirstPassAcceptance)...)
	add("denial rate %", ratioCells(k.DenialRate)...)
	add("days in A/R", k.DaysInAR.String(), money.Cents(k.ARCents).String(), money.Cents(k.ChargesCents).String())
	add("A/R insurance", money.Cents(k.InsuranceARCents).String(), "", "")
	add("A/R insurance denied (in A/R insurance)", money.Cents(k.DeniedARCents).String(), "", "")
	add("A/R patient", money.Cents(k.PatientARCents).String(), "", "")
	add("credit balances", strconv.FormatInt(k.CreditBalances, 10), "", "")
	add("credit balances total", money.Cents(k.CreditBalanceCents).String(), "", "")
	add("charges", money.Cents(k.ChargesCents).String(), "", "")
	add("collections", money.Cents(k.CollectionsCents).String(), "", "")
	add("collections insurance", money.Cents(k.InsuranceCollectionsCents).String(), "", "")
	add("collections patient", money.Cents(k.PatientCollectionsCents).String(), "", "")
	add("visits", strconv.FormatInt(k.Visits, 10), "", "")
	add("revenue per visit", money.Cents(k.RevenuePerVisitCents).String(), money.Cents(k.CollectionsCents).String(), strconv.FormatInt(k.Visits, 10))
	add("no-show rate %", ratioCells(k.NoShowRate)...)
	return []Table{t}
}

// Tables renders aging: insurance by payer, patient responsibility, total.
func (a Aging) Tables() []Table {
	cols := append(append([]string{"payer", "name"}, a.bucketColumns()...), "total", "denied", "credits")
	t := Table{Title: "A/R aging as of " + a.AsOf + " (days since date of service)", Columns: cols}
	row := func(code, name string, r AgingRow) {
		cells := []string{code, name}
		for _, v := range r.BucketCents {
			cells = append(cells, money.Cents(v).String())
		}
		t.Rows = append(t.Rows, append(cells, money.Cents(r.TotalCents).String(), money.Cents(r.DeniedCents).String(), money.Cents(r.CreditCents).String()))
	}
	for _, r := range a.Insurance {
		row(r.Payer, r.PayerName, r)
	}
	row("patient", "patient responsibility", a.Patient)
	row("total", "", a.Total)
	return []Table{t}
}

func (Aging) bucketColumns() []string { return AgingBuckets[:] }

// Tables renders the denial report: by payer, then by reason.
func (d Denials) Tables() []Table {
	p := Table{Title: "Denials by payer " + d.From + " to " + d.To, Columns: []string{"payer", "name", "rate %", "denied", "adjudicated", "denied charges"}}
	for _, r := range d.ByPayer {
		p.Rows = append(p.Rows, append(append([]string{r.Payer, r.PayerName}, ratioCells(r.Rate)...), money.Cents(r.DeniedCents).String()))
	}
	p.Rows = append(p.Rows, append(append([]string{"total", ""}, ratioCells(d.Total)...), ""))
	c := Table{Title: "Denials by reason (CARC)", Columns: []string{"reason", "rate %", "denials", "adjudicated", "amount", "suggested action"}}
	for _, r := range d.ByReason {
		c.Rows = append(c.Rows, append(append([]string{r.Group + "-" + r.Reason}, ratioCells(r.Rate)...), money.Cents(r.AmountCents).String(), r.Action))
	}
	return []Table{p, c}
}

// PayerTables renders the payer report.
func PayerTables(from, to string, rows []PayerRow) []Table {
	t := Table{Title: "Payers " + from + " to " + to, Columns: []string{"payer", "name", "claims", "charges", "clean %", "first-pass %",
		"denial %", "paid", "insurance A/R", "denied A/R"}}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{r.Payer, r.PayerName, strconv.FormatInt(r.Claims, 10), money.Cents(r.ChargesCents).String(), r.CleanClaimRate.Percent(),
			r.FirstPassAcceptance.Percent(), r.DenialRate.Percent(), money.Cents(r.PaidCents).String(), money.Cents(r.InsuranceARCents).String(),
			money.Cents(r.DeniedARCents).String()})
	}
	return []Table{t}
}

// Tables renders the no-show report.
func (n NoShows) Tables() []Table {
	t := Table{Title: "No-shows " + n.From + " to " + n.To, Columns: []string{"provider", "kept", "no-shows", "cancelled", "booked", "no-show rate %"}}
	for _, r := range append(n.ByProvider, n.Total) {
		t.Rows = append(t.Rows, []string{r.Provider, strconv.FormatInt(r.Kept, 10), strconv.FormatInt(r.NoShows, 10),
			strconv.FormatInt(r.Cancelled, 10), strconv.FormatInt(r.Booked, 10), r.Rate.Percent()})
	}
	return []Table{t}
}
