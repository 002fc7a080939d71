package cli

import (
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

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// regFlags are the flags the registration commands share.
type regFlags struct {
	clinic    int64
	payersDir string
	codesDir  string
	output    string
	// create lets open create a missing SQLite file (init migrates it).
	create bool
}

func (f *regFlags) register(c *cobra.Command, withClinic bool) {
	if withClinic {
		c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	}
	c.Flags().StringVar(&f.payersDir, "payers", "", "payer registry directory (default: the bundled payer files)")
	c.Flags().StringVar(&f.codesDir, "codes-dir", "", "directory of imported code set releases (default $CLEARHOUSE_CODES_DIR or ~/.clearhouse/codes)")
	_ = c.Flags().MarkHidden("codes-dir")
}

// regSession is an open store with the registration service.
type regSession struct {
	st     store.Store
	svc    *registration.Service
	clinic int64
}

// open opens the store and builds the registration service; when
// needClinic, it settles --clinic (the only clinic when not given).
func (f *regFlags) open(ctx context.Context, env *Env, needClinic bool) (*regSession, error) {
	var reg *payers.Registry
	var err error
	if f.payersDir != "" {
		reg, err = payers.LoadDir(f.payersDir)
	} else {
		reg, err = fixtures.Payers()
	}
	if err != nil {
		return nil, &ExitError{Code: 2, Err: fmt.Errorf("payers: %w", err)}
	}
	sets, err := codes.Load(codes.LoadOptions{Dir: codesDir(env, f.codesDir), Kinds: []codes.Kind{codes.Taxonomy}})
	if err != nil {
		return nil, &ExitError{Code: 2, Err: err}
	}
	st, err := env.openStore(ctx, storedb.Options{Create: f.create})
	if err != nil {
		return nil, &ExitError{Code: 2, Err: err}
	}
	svc, err := registration.New(registration.Config{Store: st, Payers: reg, Codes: sets, Actor: env.actorName()})
	if err != nil {
		st.Close()
		return nil, &ExitError{Code: 2, Err: err}
	}
	s := &regSession{st: st, svc: svc}
	if needClinic {
		if s.clinic, err = clinicOrOnly(ctx, st, f.clinic); err != nil {
			st.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *regSession) Close() { s.st.Close() }

// regError maps a registration or store error to an exit status: 1 for
// refused input (bad fields, duplicates, unknown rows, conflicts), 2 for
// the rest (configuration, database).
func regError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	var re *registration.RowError
	if errors.As(err, &re) && errors.Is(err, registration.ErrDuplicate) {
		return &ExitError{Code: 1, Err: fmt.Errorf("%w\nnothing was imported; import anyway with --allow-duplicates, or drop the row", err)}
	}
	var de *registration.DuplicateError
	if errors.As(err, &de) {
		return &ExitError{Code: 1, Err: fmt.Errorf("%w\nregister anyway with --allow-duplicate, or use patient %d (clearhouse patients show %d)", err, de.Existing.ID, de.Existing.ID)}
	}
	for _, e := range []error{registration.ErrInput, registration.ErrDuplicate, store.ErrNotFound, store.ErrConflict, store.ErrInvalid,
		store.ErrInvalidReference} {
		if errors.Is(err, e) {
			return &ExitError{Code: 1, Err: err}
		}
	}
	return &ExitError{Code: 2, Err: err}
}

// listing is rows of a list command: its columns (the names --sort takes)
// and the JSON value of the same rows.
type listing struct {
	columns []string
	rows    [][]string
	json    any
}

// sortListing orders rows by a column, ascending, or descending with a
// leading "-"; numeric columns sort as numbers.
func sortListing(l *listing, by string) error {
	if by == "" {
		return nil
	}
	desc := strings.HasPrefix(by, "-")
	name := strings.TrimPrefix(by, "-")
	col := slices.Index(l.columns, name)
	if col < 0 {
		return exitf(2, "--sort %q: want one of %s (or -field)", by, joinOr(l.columns))
	}
	idx := make([]int, len(l.rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := l.rows[a][col], l.rows[b][col]
		c := 0
		xn, xerr := strconv.ParseInt(x, 10, 64)
		yn, yerr := strconv.ParseInt(y, 10, 64)
		if xerr == nil && yerr == nil {
			c = compareInt(xn, yn)
		} else {
			c = strings.Compare(x, y)
		}
		if desc {
			c = -c
		}
		return c
	})
	rows := make([][]string, len(idx))
	var js []any
	if v, ok := l.json.([]any); ok {
		js = make([]any, len(idx))
		for i, j := range idx {
			js[i] = v[j]
		}
		l.json = js
	}
	for i, j := range idx {
		rows[i] = l.rows[j]
	}
	l.rows = rows
	return nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeListing writes rows as a table, JSON array or CSV with a header.
func writeListing(w io.Writer, format string, l listing) error {
	switch format {
	case formatJSON:
		v := l.json
		if vs, ok := v.([]any); ok && vs == nil {
			v = []any{}
		}
		return writeJSONTo(w, v)
	case formatCSV:
		cw := csv.NewWriter(w)
		_ = cw.Write(l.columns)
		for _, r := range l.rows {
			_ = cw.Write(r)
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	upper := make([]string, len(l.columns))
	for i, c := range l.columns {
		upper[i] = strings.ToUpper(c)
	}
	fmt.Fprintln(tw, strings.Join(upper, "\t"))
	for _, r := range l.rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = orDash(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// field is one line of a record shown as a table.
type field struct{ name, value string }

// writeRecord writes one row as "name: value" lines or as JSON.
func writeRecord(w io.Writer, format string, fields []field, v any) error {
	if format == formatJSON {
		return writeJSONTo(w, v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s:\t%s\n", f.name, orDash(f.value))
	}
	return tw.Flush()
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// overlay copies the flags the user set on cmd onto a flag set bound to
// the current values of a row, so an update changes only what was given.
func overlay(cmd *cobra.Command, bind func(fs *pflag.FlagSet)) error {
	fs := pflag.NewFlagSet("current", pflag.ContinueOnError)
	bind(fs)
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if fs.Lookup(f.Name) == nil || err != nil {
			return
		}
		err = fs.Set(f.Name, f.Value.String())
	})
	return err
}

// openImport opens an import file ("-" is standard input).
func openImport(env *Env, name string) (io.Reader, func(), error) {
	if name == "-" {
		return env.Stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, exitf(2, "%v", err)
	}
	return f, func() { f.Close() }, nil
}

// regImport is one registration import command: the rows of a CSV file
// whose first row names its columns, registered by run.
type regImport struct {
	noun    string // what the rows are, plural: "providers"
	short   string
	columns []string
	rules   string // the Long text after the column list
	// needClinic: run registers rows of one clinic (--clinic, or the only
	// one).
	needClinic bool
	run        func(ctx context.Context, s *regSession, name string, r io.Reader) (registration.ImportResult, error)
}

// newRegImportCmd builds "NOUN import FILE".
func newRegImportCmd(env *Env, ri regImport) *cobra.Command {
	var f regFlags
	c := &cobra.Command{
		Use:   "import FILE",
		Short: ri.short,
		Long: "Register the " + ri.noun + " of a CSV file whose first row names its columns, any of:\n  " +
			strings.Join(ri.columns, ",") + "\n" + ri.rules,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, done, err := openImport(env, args[0])
			if err != nil {
				return err
			}
			defer done()
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, ri.needClinic)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := ri.run(ctx, s, args[0], r)
			if err != nil {
				return regError(err)
			}
			return writeImported(env.Stdout, ri.noun, res)
		},
	}
	f.register(c, ri.needClinic)
	return c
}

// writeImported reports an import's created IDs.
func writeImported(w io.Writer, what string, res registration.ImportResult) error {
	ids := make([]string, len(res.IDs))
	for i, id := range res.IDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	_, err := fmt.Fprintf(w, "imported %d %s: %s\n", len(res.IDs), what, strings.Join(ids, " "))
	return err
}

// dateString is a date as YYYY-MM-DD, empty for the zero time.
func dateString(t interface {
	IsZero() bool
	Format(string) string
}) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }
