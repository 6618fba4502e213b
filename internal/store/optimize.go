package store

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
)

// analysisLimit bounds how many index entries SQLite's ANALYZE reads per
// index (PRAGMA analysis_limit), so keeping statistics current takes well
// under a second even on a database of millions of rows; the planner needs
// the shape of the data, not exact counts.
const analysisLimit = 1000

// Optimize keeps the query planner's statistics current, which is the
// product's job, not the user's: without them SQLite picks plans that are
// a hundred times slower on a large database (a repository filter took 9 s
// instead of 0.1 s on a million PRs).
//
// On SQLite it runs PRAGMA optimize over every table (mask 0x10002), which
// analyses the tables never analysed and those that grew or shrank a lot
// since, and is a no-op otherwise; then it drops the idle reading
// connections, which load statistics only when they open. On PostgreSQL it
// vacuums and analyses the given tables (autovacuum lags behind bulk
// writes, or is off); with none given it does nothing there.
func (s *Store) Optimize(ctx context.Context, tables ...string) error {
	switch s.dialect {
	case SQLite:
		conn, err := s.write.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: optimize: %w", err)
		}
		defer conn.Close()
		for _, q := range []string{fmt.Sprintf(`PRAGMA analysis_limit = %d`, analysisLimit), `PRAGMA optimize = 0x10002`} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("store: optimize: %w", err)
			}
		}
		// Idle readers would keep the statistics they loaded when they
		// opened; closing them makes the next query open a fresh one.
		s.read.SetMaxIdleConns(0)
		s.read.SetMaxIdleConns(readIdleConns)
	case Postgres:
		if len(tables) == 0 {
			return nil
		}
		// VACUUM too: the derive rewrote these rows, and until their old
		// versions are vacuumed every scan steps over them (a full derive
		// left 200,000 dead deployments beside 30,000 live ones) and index-
		// only scans visit the table. Autovacuum would, later, where it
		// is on. A table at a time on each of two connections: one VACUUM
		// keeps one core busy, and after a first derive of a million PRs
		// the tables took seconds in one statement.
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(2)
		for _, t := range tables {
			g.Go(func() error {
				if _, err := s.write.ExecContext(gctx, `VACUUM (ANALYZE) `+t); err != nil {
					return fmt.Errorf("store: vacuum %s: %w", t, err)
				}
				return nil
			})
		}
		return g.Wait()
	}
	return nil
}

// Analyze gives PostgreSQL's planner fresh statistics of tables, in one
// ANALYZE on a connection of its own (which a caller may run beside its
// own writes); on SQLite, whose statistics Optimize keeps, it does
// nothing.
func (s *Store) Analyze(ctx context.Context, tables ...string) error {
	if s.dialect != Postgres || len(tables) == 0 {
		return nil
	}
	if _, err := s.write.ExecContext(ctx, `ANALYZE `+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("store: analyze: %w", err)
	}
	return nil
}
