package derive

import (
	"context"
	"database/sql"

	"github.com/veelocity/veelocity/internal/store"
)

// querier is what the derive step's reads need: a write transaction
// (store.Tx) or a read snapshot (snapshot).
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	Dialect() store.Dialect
}

// snapshot is a read snapshot as a querier.
type snapshot struct {
	tx      *sql.Tx
	dialect store.Dialect
}

func (s snapshot) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.tx.QueryContext(ctx, query, args...)
}

func (s snapshot) QueryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.tx.QueryContext(ctx, query, args...)
}

func (s snapshot) Dialect() store.Dialect { return s.dialect }

// snapshotRead is a read run in a read snapshot of its own, in a
// goroutine, beside the run that started it: the PR rollup of a full run
// (Deriver.scan), the next batch (readAhead).
type snapshotRead[T any] struct {
	done   chan struct{}
	cancel context.CancelFunc
	val    T
	err    error
}

// startSnapshotRead starts read. If taken is not nil, it is closed once the
// snapshot is taken (SQLite takes it at a transaction's first read), or
// left open if the read fails before.
func startSnapshotRead[T any](ctx context.Context, st *store.Store, taken chan struct{},
	read func(context.Context, querier) (T, error)) *snapshotRead[T] {
	ctx, cancel := context.WithCancel(ctx)
	r := &snapshotRead[T]{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(r.done)
		r.err = st.ReadSnapshot(ctx, func(tx *sql.Tx) error {
			if taken != nil {
				var n int
				err := tx.QueryRowContext(ctx, `SELECT count(*) FROM app_state`).Scan(&n)
				close(taken)
				if err != nil {
					return err
				}
			}
			var err error
			r.val, err = read(ctx, snapshot{tx, st.Dialect()})
			return err
		})
	}()
	return r
}

// wait returns what was read, once it is.
func (r *snapshotRead[T]) wait() (T, error) {
	<-r.done
	r.cancel()
	return r.val, r.err
}

// stop ends the read, if any, and waits for its goroutine.
func (r *snapshotRead[T]) stop() {
	if r != nil {
		r.cancel()
		<-r.done
	}
}

// readAhead is the next batch of a full run, read on a second connection
// while the current batch is written. On SQLite, where writers take turns,
// a batch's reads and writes otherwise leave one of the two cores idle.
//
// The batch is only used if it is what the next batch's transaction
// would read itself (take): the snapshot is taken while the current
// batch's transaction holds the write lock, so it sees every commit before
// that one; and between that transaction and the next, nothing else may
// commit. Another process's commit changes the writer's PRAGMA
// data_version; one of this process (a sync writing through the same
// store) moves the store's write sequence past the current transaction's
// own commit. What the current batch writes is never what the next one
// reads (the facts, mentions, links and flags of its own rows).
type readAhead[T any] struct {
	read    *snapshotRead[T]
	version int64 // the writer's PRAGMA data_version, in the current transaction
	seq     int64 // the store's write sequence, before the current transaction's commit
}

// readsAhead reports whether a run reads its batches ahead: a full run, on
// SQLite. (On PostgreSQL a full run derives two batches at a time instead,
// inParallel.)
func (d *Deriver) readsAhead() bool { return d.mode == Full && d.st.Dialect() == store.SQLite }

// startReadAhead runs read in a read snapshot of its own and returns once
// the snapshot is taken. It must be called inside tx, the current batch's
// transaction, before its commit. Stop it with stop, or take the batch in
// the next batch's transaction with take.
func startReadAhead[T any](ctx context.Context, st *store.Store, tx *store.Tx,
	read func(context.Context, querier) (T, error)) (*readAhead[T], error) {
	var version int64
	if err := tx.QueryRow(ctx, `PRAGMA data_version`).Scan(&version); err != nil {
		return nil, err
	}
	taken := make(chan struct{})
	r := &readAhead[T]{version: version, seq: st.WriteSeq(), read: startSnapshotRead(ctx, st, taken, read)}
	select {
	case <-taken:
	case <-r.read.done: // it failed before its first read; take reports it unusable
	}
	return r, nil
}

// takeAhead returns the batch r read ahead if the next batch's transaction
// tx would read the same, and reads it with read in tx otherwise (or if r
// is nil or its read failed), counting which in c.
func takeAhead[T any](ctx context.Context, st *store.Store, tx *store.Tx, r *readAhead[T], c *aheadCounts,
	read func() (T, error)) (T, error) {
	if r != nil {
		val, err := r.read.wait()
		if err == nil {
			var version int64
			if err := tx.QueryRow(ctx, `PRAGMA data_version`).Scan(&version); err != nil {
				return val, err
			}
			if version == r.version && st.WriteSeq() == r.seq+1 {
				c.used++
				return val, nil
			}
		}
		c.again++
	}
	return read()
}

// stop ends the read, if any, and waits for its goroutine.
func (r *readAhead[T]) stop() {
	if r != nil {
		r.read.stop()
	}
}

// aheadCounts counts a step's batches read ahead: used, or read again.
type aheadCounts struct{ used, again int }

// log reports the counts, if any batch was read ahead.
func (c *aheadCounts) log(d *Deriver, msg string) {
	if c.used+c.again > 0 {
		d.log.Debug(msg, "used", c.used, "read again", c.again)
	}
}
