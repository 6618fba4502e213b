package derive

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/veelocity/veelocity/internal/store"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// inList returns "$k, $k+1, …" for n arguments starting after offset
// arguments, for an IN (…) list.
func inList(n, offset int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
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

// execIn runs query once per chunk of ids; query holds one %s where the IN
// list goes, and ids are its only arguments.
func execIn(ctx context.Context, tx *store.Tx, query string, ids []any) error {
	const chunk = 500
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		if _, err := tx.Exec(ctx, strings.Replace(query, "%s", inList(n, 0), 1), ids[:n]...); err != nil {
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
