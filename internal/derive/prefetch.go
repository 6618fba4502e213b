package derive

import (
	"context"
	"database/sql"

	"github.com/veelocity/veelocity/internal/store"
)

// queryFunc runs a query: a write transaction's (store.Tx.Query) or a read
// snapshot's (sql.Tx.QueryContext).
type queryFunc func(ctx context.Context, query string, args ...any) (*sql.Rows, error)

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

// readAhead is the next batch of a full run, read on a second connection
// while the current batch is written. On SQLite, where writers take turns,
// a batch's reads and writes otherwise leave one of the two cores idle.
//
// The rows are only used if they are what the next batch's transaction
// would read itself (take): the snapshot is taken while the current
// batch's transaction holds the write lock, so it sees every commit before
// that one; and between that transaction and the next, nothing else may
// commit. Another process's commit changes the writer's PRAGMA
// data_version; one of this process (a sync writing through the same
// store) moves the store's write sequence past the current transaction's
// own commit. What the current batch writes is never what the next one
// reads (the facts, mentions and flags of its own rows).
type readAhead[T any] struct {
	done    chan struct{}
	cancel  context.CancelFunc
	version int64 // the writer's PRAGMA data_version, in the current transaction
	seq     int64 // the store's write sequence, before the current transaction's commit
	rows    []T
	err     error
}

// readsAhead reports whether a run reads its batches ahead: a full run, on
// SQLite. (On PostgreSQL a snapshot cannot be tied to the writer's
// transaction this way; each batch reads in its own transaction.)
func (d *Deriver) readsAhead() bool { return d.mode == Full && d.st.Dialect() == store.SQLite }

// startReadAhead runs read in a read snapshot of its own, in a goroutine,
// and returns once the snapshot is taken. It must be called inside tx, the
// current batch's transaction, before its commit. Stop it with stop, or
// take its rows in the next batch's transaction with take.
func startReadAhead[T any](ctx context.Context, st *store.Store, tx *store.Tx,
	read func(context.Context, querier) ([]T, error)) (*readAhead[T], error) {
	var version int64
	if err := tx.QueryRow(ctx, `PRAGMA data_version`).Scan(&version); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &readAhead[T]{done: make(chan struct{}), cancel: cancel, version: version, seq: st.WriteSeq()}
	taken := make(chan struct{})
	go func() {
		defer close(r.done)
		r.err = st.ReadSnapshot(ctx, func(rtx *sql.Tx) error {
			// SQLite takes a transaction's snapshot at its first read.
			var n int
			err := rtx.QueryRowContext(ctx, `SELECT count(*) FROM app_state`).Scan(&n)
			close(taken)
			if err != nil {
				return err
			}
			r.rows, err = read(ctx, snapshot{rtx, st.Dialect()})
			return err
		})
	}()
	select {
	case <-taken:
	case <-r.done: // it failed before its first read; take reports it unusable
	}
	return r, nil
}

// take waits for the rows read ahead and returns them if the next batch's
// transaction tx would read the same; ok is false if it would not, or if
// the read failed, and the caller reads them in tx. r may be nil.
func (r *readAhead[T]) take(ctx context.Context, st *store.Store, tx *store.Tx) (rows []T, ok bool, err error) {
	if r == nil {
		return nil, false, nil
	}
	<-r.done
	r.cancel()
	if r.err != nil {
		return nil, false, nil
	}
	var version int64
	if err := tx.QueryRow(ctx, `PRAGMA data_version`).Scan(&version); err != nil {
		return nil, false, err
	}
	return r.rows, version == r.version && st.WriteSeq() == r.seq+1, nil
}

// stop ends the read, if any, and waits for its goroutine.
func (r *readAhead[T]) stop() {
	if r != nil {
		r.cancel()
		<-r.done
	}
}
