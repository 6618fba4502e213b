package store

import (
	"strconv"
	"strings"
	"time"
)

// TimeSpan bounds a timestamp filter: From inclusive, Until exclusive. A zero
// end leaves that side open.
type TimeSpan struct {
	From  time.Time
	Until time.Time
}

// whereClause builds the WHERE clause of a filtered list query, numbering
// its $n placeholders as arguments are added.
type whereClause struct {
	conds []string
	args  []any
}

// arg adds a query argument and returns its placeholder.
func (w *whereClause) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// and adds a condition that every row must meet.
func (w *whereClause) and(cond string) { w.conds = append(w.conds, cond) }

// span restricts col, a millisecond timestamp column, to s.
func (w *whereClause) span(col string, s TimeSpan) {
	if !s.From.IsZero() {
		w.and(col + " >= " + w.arg(ms(s.From)))
	}
	if !s.Until.IsZero() {
		w.and(col + " < " + w.arg(ms(s.Until)))
	}
}

// String returns the clause, or "" when there is no condition.
func (w *whereClause) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limit returns " LIMIT $n OFFSET $m" for p, adding its arguments.
func (w *whereClause) limit(p Page) string {
	l := w.arg(p.Limit)
	return " LIMIT " + l + " OFFSET " + w.arg(p.Offset())
}

// argList returns "$1, $2, …" for vs, adding them as arguments, or "NULL"
// (which no value equals) for none.
func (w *whereClause) argList(vs []string) string {
	if len(vs) == 0 {
		return "NULL"
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = w.arg(v)
	}
	return strings.Join(parts, ", ")
}

// idList returns "($1, $2, …)" for ids, adding them as arguments.
func (w *whereClause) idList(ids []int64) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(w.arg(id))
	}
	b.WriteByte(')')
	return b.String()
}

// inIDs returns "col IN ($1, …)" and its arguments, for fetching the
// children of one page of rows.
func inIDs(col string, ids []int64) (string, []any) {
	var w whereClause
	return col + " IN " + w.idList(ids), w.args
}
