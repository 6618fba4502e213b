package derive

import (
	"context"

	"github.com/veelocity/veelocity/internal/store"
)

// batchStep is a step that derives the changed rows of a table in batches,
// T being what it reads of one batch: the PR step and the Linear step.
type batchStep[T any] struct {
	name         string // as Run logs it
	table, alias string // the table, and its alias in read's condition
	what         string // names its batches in the log
	// read reads a batch with q; cond and args are as from pick ($1 is the
	// LIMIT), or select a range of ids.
	read func(ctx context.Context, q querier, cond string, args []any) (T, error)
	// rows reports how many rows a batch holds, and the last one's id.
	rows func(T) (n int, last int64)
	// write derives a batch, in tx.
	write func(ctx context.Context, tx *store.Tx, b T) error
}

// runBatches derives every changed row of s's table, a batch per
// transaction, adding their number to *count. A full run derives two
// batches at a time on PostgreSQL (parallelBatches), then goes on
// sequentially for the rows added meanwhile; on SQLite it reads each batch
// ahead (readAhead).
func runBatches[T any](ctx context.Context, d *Deriver, s batchStep[T], count *int) error {
	var last int64
	if d.inParallel() {
		var err error
		if last, err = d.parallelBatches(ctx, s.table, func(ctx context.Context, tx *store.Tx, lo, hi int64) (int, error) {
			b, err := s.read(ctx, tx, s.alias+".id >= $2 AND "+s.alias+".id <= $3", []any{2 * batchSize, lo, hi})
			if err != nil {
				return 0, err
			}
			n, _ := s.rows(b)
			if n == 0 {
				return 0, nil
			}
			return n, s.write(ctx, tx, b)
		}, count); err != nil {
			return err
		}
	}
	var ahead *readAhead[T] // the next batch, read while this one is written
	defer func() { ahead.stop() }()
	var counts aheadCounts
	defer counts.log(d, "derive: "+s.what+" batches read ahead")
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			b, err := takeAhead(ctx, d.st, tx, ahead, &counts, func() (T, error) {
				cond, args := d.pick(s.alias, last, 2, batchSize)
				return s.read(ctx, tx, cond, args)
			})
			ahead = nil
			if err != nil {
				return err
			}
			var lastID int64
			if n, lastID = s.rows(b); n == 0 {
				return nil
			}
			*count += n
			last = lastID
			if n == batchSize && d.readsAhead() {
				cond, args := d.pick(s.alias, last, 2, batchSize)
				if ahead, err = startReadAhead(ctx, d.st, tx, func(ctx context.Context, q querier) (T, error) {
					return s.read(ctx, q, cond, args)
				}); err != nil {
					return err
				}
			}
			return s.write(ctx, tx, b)
		})
		if err != nil || n < batchSize {
			return err
		}
		if afterBatch != nil && ahead != nil {
			afterBatch(s.name)
		}
	}
}
