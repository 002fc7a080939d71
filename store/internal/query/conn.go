// Package query holds the SQL both store backends share: every Queries call
// of package store, written once against a small connection interface that
// the PostgreSQL (pgx) and SQLite (database/sql) backends adapt. Statements
// use $n placeholders, which both databases accept; the few dialect
// differences (how times, dates and JSON travel) live in ConvertArgs and the
// scanners here.
package query

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// Dialect is the SQL database a Conn talks to.
type Dialect int

// The dialects.
const (
	Postgres Dialect = iota
	SQLite
)

// Conn runs statements inside one transaction. Adapters map driver errors
// to store's sentinels (no rows to store.ErrNotFound, unique violations to
// store.ErrConflict, foreign key violations to store.ErrInvalidReference)
// and convert arguments with ConvertArgs.
type Conn interface {
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) Row
}

// Rows iterates a result.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result.
type Row interface {
	Scan(dest ...any) error
}

// Date marks an argument bound for a DATE column. The zero time binds NULL.
type Date time.Time

// SQLiteTimeLayout is how timestamps are stored in SQLite: fixed width, so
// text order is time order.
const SQLiteTimeLayout = store.AuditTimeLayout

// SQLiteDateLayout is how dates are stored in SQLite.
const SQLiteDateLayout = "2006-01-02"

// ConvertArgs rewrites arguments for the dialect: times to UTC (text on
// SQLite), Date to a date (text on SQLite), JSON to text.
func ConvertArgs(d Dialect, args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = convertTime(d, v)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = convertTime(d, *v)
			}
		case Date:
			t := time.Time(v)
			switch {
			case t.IsZero():
				args[i] = nil
			case d == SQLite:
				args[i] = store.TruncateDate(t).Format(SQLiteDateLayout)
			default:
				args[i] = store.TruncateDate(t)
			}
		case json.RawMessage:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = string(v)
			}
		}
	}
	return args
}

func convertTime(d Dialect, t time.Time) any {
	t = store.TruncateTime(t)
	if d == SQLite {
		return t.Format(SQLiteTimeLayout)
	}
	return t
}

// parseTime accepts what either driver hands back for a time column.
func parseTime(src any) (time.Time, bool, error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v.UTC(), true, nil
	case string:
		return parseTimeText(v)
	case []byte:
		return parseTimeText(string(v))
	}
	return time.Time{}, false, fmt.Errorf("store: cannot scan %T into a time", src)
}

func parseTimeText(s string) (time.Time, bool, error) {
	for _, layout := range []string{SQLiteTimeLayout, time.RFC3339Nano, SQLiteDateLayout, "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("store: cannot parse time %q", s)
}

// timeScan scans a NOT NULL or nullable timestamp/date into a time.Time
// (zero for NULL).
type timeScan struct{ t *time.Time }

func (s timeScan) Scan(src any) error {
	t, _, err := parseTime(src)
	*s.t = t
	return err
}

// TS scans a time column into t.
func TS(t *time.Time) any { return timeScan{t} }

type nullTimeScan struct{ t **time.Time }

func (s nullTimeScan) Scan(src any) error {
	t, ok, err := parseTime(src)
	if !ok || err != nil {
		*s.t = nil
		return err
	}
	*s.t = &t
	return nil
}

// NullTS scans a nullable time column into t.
func NullTS(t **time.Time) any { return nullTimeScan{t} }

type jsonScan struct{ j *json.RawMessage }

func (s jsonScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.j = nil
	case string:
		*s.j = json.RawMessage(v)
	case []byte:
		*s.j = append(json.RawMessage(nil), v...)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		*s.j = b
	}
	return nil
}

// JSON scans a JSON (jsonb or text) column.
func JSON(j *json.RawMessage) any { return jsonScan{j} }

type listScan[T any] struct{ l *[]T }

func (s listScan[T]) Scan(src any) error {
	var raw json.RawMessage
	if err := (jsonScan{&raw}).Scan(src); err != nil {
		return err
	}
	*s.l = nil
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, s.l)
}

// List scans a JSON array column into a slice.
func List[T any](l *[]T) any { return listScan[T]{l} }

// listArg marshals a slice for a JSON array column ("[]" when empty).
func listArg[T any](l []T) json.RawMessage {
	if len(l) == 0 {
		return json.RawMessage("[]")
	}
	b, _ := json.Marshal(l) // slices of strings and ints always marshal
	return b
}

// docArg validates a JSON document argument; empty means def.
func docArg(field string, doc json.RawMessage, def string) (json.RawMessage, error) {
	if len(doc) == 0 {
		return json.RawMessage(def), nil
	}
	if !json.Valid(doc) {
		return nil, &store.FieldError{Field: field + " (not valid JSON)", Err: store.ErrInvalid}
	}
	return doc, nil
}

// builder assembles a statement with numbered placeholders.
type builder struct {
	sb    strings.Builder
	args  []any
	where bool
}

func (b *builder) add(s string) *builder { b.sb.WriteString(s); return b }

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// cond adds a WHERE or AND condition; each ? in expr takes the next arg.
func (b *builder) cond(expr string, args ...any) {
	if b.where {
		b.sb.WriteString(" AND ")
	} else {
		b.sb.WriteString(" WHERE ")
		b.where = true
	}
	for _, a := range args {
		i := strings.IndexByte(expr, '?')
		b.sb.WriteString(expr[:i])
		b.sb.WriteString(b.arg(a))
		expr = expr[i+1:]
	}
	b.sb.WriteString(expr)
}

// in adds "col IN (...)" when vals is not empty.
func (b *builder) in(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	ps := make([]string, len(vals))
	for i, v := range vals {
		ps[i] = b.arg(v)
	}
	b.cond(col + " IN (" + strings.Join(ps, ", ") + ")")
}

// limit appends LIMIT n when n > 0.
func (b *builder) limit(n int) {
	if n > 0 {
		b.sb.WriteString(" LIMIT " + strconv.Itoa(n))
	}
}

func (b *builder) String() string { return b.sb.String() }
