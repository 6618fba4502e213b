// Package store keeps Veelocity's data in SQLite (the embedded default) or
// PostgreSQL. The SQL is shared between the two; the few dialect differences
// live in dialect.go. Methods that read are on *Store; methods that write run
// inside a transaction and are on *Tx, so a sync page is one transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the pure-Go "sqlite" driver (no cgo)
)

// ErrNotFound is returned when a requested record does not exist.
var ErrNotFound = errors.New("not found")

// Store is a handle on the database. It is safe for concurrent use.
type Store struct {
	dialect Dialect
	// read serves queries. On SQLite, write is a separate single-connection
	// pool so writers queue in Go instead of failing with "database is
	// locked"; on PostgreSQL both are the same pool.
	read  *sql.DB
	write *sql.DB
	now   func() time.Time
	// writeSeq counts the transactions of Tx and ClearTx that reached
	// their commit (see WriteSeq).
	writeSeq atomic.Int64
}

// Open connects to the database named by a DATABASE_URL value
// ("sqlite:PATH", "postgres://…" or "postgresql://…"). It does not migrate;
// call Migrate.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	s := &Store{now: time.Now}
	var err error
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		s.dialect = SQLite
		err = s.openSQLite(strings.TrimPrefix(databaseURL, "sqlite:"))
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		s.dialect = Postgres
		err = s.openPostgres(databaseURL)
	default:
		return nil, errors.New("store: unsupported database URL (want sqlite:PATH or postgres://…)")
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := s.write.PingContext(pingCtx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: connecting to %s: %w", s.dialect, err)
	}
	// Statistics for a database that has none yet, or has grown a lot
	// since its last analysis (SQLite; a no-op on PostgreSQL). They only
	// speed up queries: if another process holds the write lock past the
	// busy timeout, the next derive tries again.
	_ = s.Optimize(ctx)
	return s, nil
}

func (s *Store) openSQLite(path string) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("store: creating directory for the database: %w", err)
		}
	}
	pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		// Read through a memory map and keep a page cache per connection,
		// both bounded so that syncing, loading or serving a million PRs
		// stays well under 512 MiB resident: every mapped page a query or
		// the derive touches counts in the process's RSS (a 1 GiB map and
		// 64 MiB caches took the demo loader to 1,070 MB; a 256 MiB map
		// took a first sync of 100,000 PRs to 516 MiB, 150 MiB of it the
		// map). 64 MiB of map, shared by all connections, covers a small
		// database whole; past it SQLite reads through the operating
		// system's cache, which is not the process's.
		"&_pragma=mmap_size(67108864)"
	// A page cache of 16 MiB for the writer, whose batches rewrite the
	// same index pages again and again, and of 4 MiB for each reader (at
	// most max(4, CPUs)): a reader's cache is emptied whenever another
	// connection commits, and serve reads the metrics from memory (the
	// rollup mirrors); the lists it still reads from SQLite stayed within
	// their targets with 4 MiB, and the 48 MiB saved went to the Go heap
	// (serve's limit; BENCHMARKS.md).
	const writeCache, readCache = "&_pragma=cache_size(-16384)", "&_pragma=cache_size(-4096)"
	// "file:" URIs treat '?' and '#' as delimiters, so escape them in the path.
	name := "file:" + strings.NewReplacer("?", "%3f", "#", "%23").Replace(path)
	write, err := sql.Open("sqlite", name+"?"+pragmas+writeCache+"&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("store: opening %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", name+"?"+pragmas+readCache)
	if err != nil {
		write.Close()
		return fmt.Errorf("store: opening %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()))
	read.SetMaxIdleConns(readIdleConns)
	s.read, s.write = read, write
	return nil
}

// readIdleConns is how many idle reading connections SQLite keeps open.
const readIdleConns = 4

// pgIdleConns is how many connections PostgreSQL's pool opens, and keeps.
const pgIdleConns = 16

func (s *Store) openPostgres(url string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return fmt.Errorf("store: opening PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(pgIdleConns)
	db.SetMaxIdleConns(pgIdleConns) // a page runs a dozen queries at once: keep their connections
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.read, s.write = db, db
	return nil
}

// Prime opens the reading connections a page keeps busy at once (the
// idle ones the pool keeps: 4 on SQLite, 16 on PostgreSQL), so that the
// first requests after a start do not wait for them.
func (s *Store) Prime(ctx context.Context) error {
	n := readIdleConns
	if s.dialect == Postgres {
		n = pgIdleConns
	}
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close() // back to the pool, idle
		}
	}()
	for range n {
		c, err := s.read.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: opening a connection: %w", err)
		}
		conns = append(conns, c)
		if err := c.PingContext(ctx); err != nil {
			return fmt.Errorf("store: opening a connection: %w", err)
		}
	}
	return nil
}

// Close releases the database connections.
func (s *Store) Close() error {
	err := s.read.Close()
	if s.write != s.read {
		err = errors.Join(err, s.write.Close())
	}
	return err
}

// Dialect reports which engine the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// SetClock replaces the store's clock (time.Now by default), for tests that
// check recorded timestamps.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Now returns the store's idea of the current time, in UTC.
func (s *Store) Now() time.Time { return s.now().UTC() }

// DB returns the pool used for reads, for packages (metrics) that run their
// own read-only SQL.
func (s *Store) DB() *sql.DB { return s.read }

// column runs a query of one column on db and returns its values in order:
// an empty slice, not nil, when there are none.
func column[T any](ctx context.Context, db *sql.DB, query string, args []any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ReadSnapshot runs fn in a read-only transaction whose statements all see
// the database as of one moment: SQLite's deferred transaction (its
// snapshot starts at the first read), PostgreSQL's REPEATABLE READ.
func (s *Store) ReadSnapshot(ctx context.Context, fn func(*sql.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// Tx is a write transaction. Its methods write records; it is only valid
// inside the function passed to Store.Tx.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	now     time.Time
	// stmts caches prepared statements for the typed write methods, which
	// run the same SQL for every record of a page.
	stmts map[string]*sql.Stmt
}

// Tx runs fn in one write transaction, committing if fn returns nil and
// rolling back otherwise.
func (s *Store) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, dialect: s.dialect, now: s.Now(), stmts: map[string]*sql.Stmt{}}
	defer tx.closeStmts()
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	s.writeSeq.Add(1)
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// WriteSeq counts the write transactions (Tx, ClearTx) this Store has
// committed, or tried to: each adds one before its commit, so that a
// transaction that reads it after beginning counts every commit of this
// process before its own (on SQLite, whose writes take turns on one
// connection). The derive step reads it to know that nothing but its own
// transactions wrote between two of them.
func (s *Store) WriteSeq() int64 { return s.writeSeq.Load() }

// Exec runs a statement inside the transaction. It is for the derive step
// and tests; sources write through the typed methods.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, query, args...)
}

// ExecPrepared runs a statement inside the transaction through a prepared
// statement cached for the transaction's life: for SQL run once per record.
func (tx *Tx) ExecPrepared(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.execStmt(ctx, query, args...)
}

// QueryPrepared is Query through the transaction's statement cache.
func (tx *Tx) QueryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowPrepared is QueryRow through the transaction's statement cache.
func (tx *Tx) QueryRowPrepared(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.queryRowStmt(ctx, query, args...)
}

// Query runs a query inside the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, query, args...)
}

// QueryRow runs a query that returns at most one row inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, query, args...)
}

// stmt returns a prepared statement for query, preparing it on first use.
func (tx *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := tx.stmts[query]; ok {
		return st, nil
	}
	st, err := tx.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	tx.stmts[query] = st
	return st, nil
}

// execStmt runs a cached prepared statement.
func (tx *Tx) execStmt(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryRowStmt runs a cached prepared statement that returns one row.
func (tx *Tx) queryRowStmt(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		// Let the error surface from Scan, as QueryRow does.
		return tx.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (tx *Tx) closeStmts() {
	for _, st := range tx.stmts {
		st.Close()
	}
}

// Dialect reports which engine the transaction runs on.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// Now is the time the transaction started, used for synced_at and
// recorded_at columns.
func (tx *Tx) Now() time.Time { return tx.now }
