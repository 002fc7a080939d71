package sqlitestore

import (
	"strconv"
	"strings"
)

// positional rewrites the numbered parameters of q ($N or ?N, as the
// shared queries write them) into anonymous ones (?) and returns args in
// their order of use. SQLite binds a numbered parameter by looking its
// number up in the statement's list of parameter names, one scan per
// parameter, so a multi-row statement of 2,000 parameters spent most of
// its time binding (15% of a 30,000-claim load test's CPU). A query with
// an anonymous parameter of its own, an unterminated literal or a number
// out of range is left as it is.
func positional(q string, args []any) (string, []any) {
	if !strings.ContainsAny(q, "$?") {
		return q, args
	}
	var b strings.Builder
	b.Grow(len(q))
	out := make([]any, 0, len(args))
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == '\'' || c == '"':
			// A literal or quoted identifier, its quote doubled inside.
			j := i + 1
			for ; j < len(q); j++ {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			if j >= len(q) {
				return q, args
			}
			b.WriteString(q[i : j+1])
			i = j + 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j
		case c == '$' || c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j == i+1 {
				if c == '?' {
					return q, args
				}
				b.WriteByte(c)
				i++
				continue
			}
			n, err := strconv.Atoi(q[i+1 : j])
			if err != nil || n < 1 || n > len(args) {
				return q, args
			}
			b.WriteByte('?')
			out = append(out, args[n-1])
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), out
}
