package derive

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/veelocity/veelocity/internal/store"
)

// workers is how many batches a full run on PostgreSQL derives at once,
// each in a transaction of its own. A batch spends most of its time in
// the server, one statement after the other; with one batch at a time,
// one of the machine's cores (a 2-core machine's) sat idle.
const workers = 2

// inParallel reports whether the run derives its PR and Linear batches in
// parallel: a full run on PostgreSQL. Each batch is a range of ids whose
// rows no other batch reads or writes. (On SQLite writers take turns; a
// full run reads its next PR batch ahead instead, readAhead.)
func (d *Deriver) inParallel() bool { return d.mode == Full && d.st.Dialect() == store.Postgres }

// parallelBatches splits the ids of table (pull_requests or linear_issues)
// into ranges of batchSize and runs batch on each range, workers at a time,
// each in a transaction of its own; batch returns how many rows it derived,
// which are added to *count. It returns the last id of the last range: the
// caller goes on from there as a sequential run does, for the rows added
// since.
func (d *Deriver) parallelBatches(ctx context.Context, table string,
	batch func(ctx context.Context, tx *store.Tx, lo, hi int64) (int, error), count *int) (int64, error) {
	ranges, err := idRanges(ctx, d.st.DB(), table)
	if err != nil || len(ranges) == 0 {
		return 0, err
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	next := make(chan [2]int64)
	g.Go(func() error {
		defer close(next)
		for _, r := range ranges {
			select {
			case next <- r:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for r := range next {
				var n int
				if err := d.tx(gctx, func(tx *store.Tx) (err error) {
					n, err = batch(gctx, tx, r[0], r[1])
					return err
				}); err != nil {
					return err
				}
				mu.Lock()
				*count += n
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return ranges[len(ranges)-1][1], nil
}

// idRanges splits the ids of table into ranges of batchSize ids, [first,
// last], in order.
func idRanges(ctx context.Context, db *sql.DB, table string) ([][2]int64, error) {
	rows, err := db.QueryContext(ctx, `/* derive.idRanges */ SELECT id FROM `+table+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]int64
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if n%batchSize == 0 {
			out = append(out, [2]int64{id, id})
		}
		out[len(out)-1][1] = id
		n++
	}
	return out, rows.Err()
}

// lockRun takes, on PostgreSQL, an advisory lock (one per schema) that two
// processes deriving the same data take turns on, for the whole run; it
// returns its release. It is held by a connection of its own, so the run's
// transactions, which may be several at once, need not take it; a process
// that dies lets it go with its connection.
func (d *Deriver) lockRun(ctx context.Context) (func(), error) {
	if d.st.Dialect() != store.Postgres {
		return func() {}, nil
	}
	conn, err := d.st.DB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	const key = `7301969, hashtext(current_schema())`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`); err != nil {
			// A connection that may still hold the lock must not go back
			// to the pool.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}
