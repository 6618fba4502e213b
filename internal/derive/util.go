package derive

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/veelocity/veelocity/internal/store"
)

// inList returns "$k, $k+1, …" for n arguments starting after offset
// arguments, for an IN (…) list. On SQLite it returns anonymous "?, ?, …"
// instead: SQLite treats $N as a named parameter and looks each one up in a
// list, so a statement with hundreds of them takes quadratic time to
// prepare (a fifth of a full derive's CPU before). Anonymous parameters
// number on from the statement's fixed $1 … $offset, which come first.
func inList(d store.Dialect, n, offset int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if d == store.SQLite {
			b.WriteString("?")
			continue
		}
		b.WriteString("$")
		b.WriteString(strconv.Itoa(offset + i + 1))
	}
	return b.String()
}

// idSet is a set of row ids.
type idSet map[int64]struct{}

func (s idSet) add(id int64) {
	if id != 0 {
		s[id] = struct{}{}
	}
}

func (s idSet) args() []any {
	out := make([]any, 0, len(s))
	for id := range s {
		out = append(out, id)
	}
	return out
}

// inChunk is how many values one IN (…) list holds, and maxParams how many
// arguments one multi-row INSERT takes. Fewer, larger statements save
// PostgreSQL round trips, but SQLite slows down on very large ones. Measured
// on a full derive of 20,000 demo PRs: 3 s on SQLite and 11 s on PostgreSQL
// at 500, against 10.5 s on SQLite at 8,000, and 42 s on PostgreSQL with one
// row a statement.
const (
	inChunk   = 500
	maxParams = 500
)

// execIn runs query once per chunk of ids; query holds one %s where the IN
// list goes, and ids are its only arguments. The chunked statements of
// these helpers are prepared once per transaction: every full chunk has the
// same text, and parsing a statement of hundreds of parameters again for
// each chunk was a tenth of a full derive's CPU on SQLite.
func execIn(ctx context.Context, tx *store.Tx, query string, ids []any) error {
	for len(ids) > 0 {
		n := min(inChunk, len(ids))
		if _, err := tx.ExecPrepared(ctx, strings.Replace(query, "%s", inList(tx.Dialect(), n, 0), 1), ids[:n]...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// nullInt64 converts a nullable integer to a pointer.
func nullInt64(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// queryIn runs query once per chunk of args (its one %s is the IN list),
// calling scan for each row. fixed arguments, if any, come first ($1 …).
func queryIn(ctx context.Context, tx querier, query string, args []any, scan func(*sql.Rows) error, fixed ...any) error {
	for len(args) > 0 {
		n := min(inChunk, len(args))
		rows, err := tx.QueryPrepared(ctx, strings.Replace(query, "%s", inList(tx.Dialect(), n, len(fixed)), 1), append(fixed[:len(fixed):len(fixed)], args[:n]...)...)
		if err != nil {
			return err
		}
		if err := eachRow(rows, scan); err != nil {
			return err
		}
		args = args[n:]
	}
	return nil
}

// eachRow calls scan for each of rows, and closes them.
func eachRow(rows *sql.Rows, scan func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// insertRows inserts rows, whose columns have the SQL types types: on
// SQLite with multi-row VALUES lists, a chunk at a time; on PostgreSQL in
// one statement, each column passed as one array (INSERT … SELECT FROM
// unnest(…)), which PostgreSQL parses and plans as a statement of a few
// parameters instead of hundreds. query holds "VALUES %s" where the rows
// go.
func insertRows(ctx context.Context, tx *store.Tx, query string, types []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if len(types) != len(rows[0]) {
		return fmt.Errorf("derive: %d column types for rows of %d columns", len(types), len(rows[0]))
	}
	if tx.Dialect() == store.Postgres {
		cols := make([]any, len(types))
		arrays := make([]string, len(types))
		for c, typ := range types {
			col := make([]any, len(rows))
			for i, r := range rows {
				col[i] = r[c]
			}
			cols[c] = col
			arrays[c] = "$" + strconv.Itoa(c+1) + "::" + typ + "[]"
		}
		q := strings.Replace(query, "VALUES %s", "SELECT * FROM unnest("+strings.Join(arrays, ", ")+")", 1)
		_, err := tx.Exec(ctx, q, cols...)
		return err
	}
	perRow := len(rows[0])
	chunk := max(1, maxParams/perRow)
	for len(rows) > 0 {
		n := min(chunk, len(rows))
		var b strings.Builder
		args := make([]any, 0, n*perRow)
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			b.WriteString(inList(tx.Dialect(), perRow, len(args)))
			b.WriteString(")")
			args = append(args, r...)
		}
		if _, err := tx.ExecPrepared(ctx, strings.Replace(query, "%s", b.String(), 1), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// linkSet collects links between Linear issues and PRs, each with how it
// was found ("identifier" or "attachment"; the first found wins), in the
// order found.
type linkSet struct {
	via   map[issuePR]string
	order []issuePR
}

type issuePR struct{ issue, pr int64 }

func (s *linkSet) add(issue, pr int64, via string) {
	l := issuePR{issue, pr}
	if _, ok := s.via[l]; ok {
		return
	}
	if s.via == nil {
		s.via = map[issuePR]string{}
	}
	s.via[l] = via
	s.order = append(s.order, l)
}

// rows are the links as rows of linear_issue_prs.
func (s *linkSet) rows() [][]any {
	rows := make([][]any, 0, len(s.order))
	for _, l := range s.order {
		rows = append(rows, []any{l.issue, l.pr, s.via[l]})
	}
	return rows
}

// insert stores the links in linear_issue_prs.
func (s *linkSet) insert(ctx context.Context, tx *store.Tx) error {
	return insertRows(ctx, tx, `INSERT INTO linear_issue_prs (issue_id, pr_id, via) VALUES %s`, []string{"bigint", "bigint", "text"}, s.rows())
}

// storedRowsEqual reports whether query, whose columns are integers and
// text, returns exactly rows (in any order, each once).
func storedRowsEqual(ctx context.Context, tx querier, query string, args []any, rows [][]any) (bool, error) {
	key := func(r []any) string {
		var b strings.Builder
		for _, v := range r {
			fmt.Fprint(&b, v)
			b.WriteByte(0)
		}
		return b.String()
	}
	want := make(map[string]bool, len(rows))
	for _, r := range rows {
		want[key(r)] = true
	}
	q, err := tx.Query(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer q.Close()
	cols, err := q.Columns()
	if err != nil {
		return false, err
	}
	n := 0
	same := true
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for q.Next() {
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := q.Scan(ptrs...); err != nil {
			return false, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		n++
		if !want[key(vals)] {
			same = false
		}
	}
	if err := q.Err(); err != nil {
		return false, err
	}
	return same && n == len(want), nil
}

// idValue is a new value for one row's column.
type idValue struct {
	id    int64
	value any // nil for NULL
}

// setByID sets column col of table to a value per row id, instead of one
// statement per row: on SQLite a chunk of rows per statement (UPDATE … SET
// col = CASE id WHEN … END WHERE id IN (…)), on PostgreSQL all of them in
// one, from arrays. typ is the column's SQL type, which PostgreSQL needs to
// type the array. (SQLite takes the values as bound; a CAST there only
// lengthened the statement, which SQLite parses anew for each chunk:
// parsing took 2.75 s of a 16 s profile of a first derive's Linear step.)
func setByID(ctx context.Context, tx *store.Tx, table, col, typ string, vals []idValue) error {
	d := tx.Dialect()
	if d == store.Postgres && len(vals) > 0 {
		// One statement, the ids and values as two arrays: PostgreSQL
		// evaluated a CASE of hundreds of branches for every row.
		ids, values := make([]any, len(vals)), make([]any, len(vals))
		for i, v := range vals {
			ids[i], values[i] = v.id, v.value
		}
		_, err := tx.Exec(ctx, `UPDATE `+table+` SET `+col+` = v.value FROM unnest($1::bigint[], $2::`+typ+`[]) AS v(id, value)
			WHERE `+table+`.id = v.id`, ids, values)
		return err
	}
	for len(vals) > 0 {
		n := min(inChunk/2, len(vals))
		var b strings.Builder
		args := make([]any, 0, 3*n)
		b.WriteString("UPDATE " + table + " SET " + col + " = CASE id")
		for _, v := range vals[:n] {
			b.WriteString(" WHEN " + inList(d, 1, len(args)) + " THEN " + inList(d, 1, len(args)+1))
			args = append(args, v.id, v.value)
		}
		b.WriteString(" END WHERE id IN (" + inList(d, n, len(args)) + ")")
		for _, v := range vals[:n] {
			args = append(args, v.id)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
		vals = vals[n:]
	}
	return nil
}
