package sqlitestore

import (
	"fmt"
	"testing"
)

func TestPositional(t *testing.T) {
	for _, tc := range []struct {
		q     string
		args  []any
		wantQ string
		want  string
	}{
		{"SELECT 1", nil, "SELECT 1", "[]"},
		{"SELECT a FROM t WHERE x = $1 AND y = $2", []any{1, 2}, "SELECT a FROM t WHERE x = ? AND y = ?", "[1 2]"},
		{"UPDATE t SET a = $2 WHERE c = $1 AND d = $2", []any{"c", "a"}, "UPDATE t SET a = ? WHERE c = ? AND d = ?", "[a c a]"},
		{"INSERT INTO t VALUES (?3, ?4), (?5, ?6) -- $9\nRETURNING $1", []any{1, 2, 3, 4, 5, 6}, "INSERT INTO t VALUES (?, ?), (?, ?) -- $9\nRETURNING ?", "[3 4 5 6 1]"},
		{"SELECT '$1', \"$2\", 'it''s $1' FROM t WHERE a = $1", []any{7}, "SELECT '$1', \"$2\", 'it''s $1' FROM t WHERE a = ?", "[7]"},
		{"SELECT $10", []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, "SELECT ?", "[10]"},
		// Left as they are.
		{"SELECT a FROM t WHERE x = ? AND y = $1", []any{1, 2}, "SELECT a FROM t WHERE x = ? AND y = $1", "[1 2]"},
		{"SELECT $3", []any{1}, "SELECT $3", "[1]"},
		{"SELECT 'open $1", []any{1}, "SELECT 'open $1", "[1]"},
		{"SELECT $ FROM t", []any{}, "SELECT $ FROM t", "[]"},
	} {
		q, args := positional(tc.q, tc.args)
		if q != tc.wantQ || fmt.Sprint(args) != tc.want {
			t.Errorf("positional(%q, %v) = %q, %v; want %q, %s", tc.q, tc.args, q, args, tc.wantQ, tc.want)
		}
	}
}

func BenchmarkPositional(b *testing.B) {
	q := "INSERT INTO t (a, b, c, d) VALUES "
	args := make([]any, 0, 2000)
	for i := range 500 {
		if i > 0 {
			q += ", "
		}
		q += fmt.Sprintf("(?%d, ?%d, ?%d, ?%d)", 4*i+1, 4*i+2, 4*i+3, 4*i+4)
		args = append(args, i, i, i, i)
	}
	b.SetBytes(int64(len(q)))
	b.ReportAllocs()
	for b.Loop() {
		positional(q, args)
	}
}
