package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema change. A migration is a shared file
// "NNNN_name.sql", or a pair "NNNN_name-sqlite.sql" / "NNNN_name-postgres.sql"
// where the engines need different SQL.
type migration struct {
	version string // "0001_init"
	sql     string
}

// migrations returns the migrations for d, in order.
func migrations(d Dialect) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	byVersion := map[string]string{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		version, variant, hasVariant := strings.Cut(name, "-")
		if hasVariant && variant != d.String() {
			continue
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		if _, dup := byVersion[version]; dup {
			return nil, fmt.Errorf("store: migration %s has both a shared and a %s file", version, d)
		}
		byVersion[version] = d.ddl(string(b))
	}
	out := make([]migration, 0, len(byVersion))
	for v, sql := range byVersion {
		out = append(out, migration{version: v, sql: sql})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies the pending migrations in order, each in its own
// transaction, and records them in schema_migrations. It is safe to run
// again, and safe to run from two processes at once. It returns the versions
// it applied.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	return s.migrate(ctx, "")
}

// migrate is Migrate for the migrations before version before (all when
// it is ""; a test migrates up to a version, fills the tables, and then
// applies the rest).
func (s *Store) migrate(ctx context.Context, before string) ([]string, error) {
	all, err := migrations(s.dialect)
	if err != nil {
		return nil, err
	}
	if before != "" {
		all = slices.DeleteFunc(all, func(m migration) bool { return m.version >= before })
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("store: creating schema_migrations: %w", err)
	}
	var applied []string
	for _, m := range all {
		done := false
		err := s.Tx(ctx, func(tx *Tx) error {
			if s.dialect == Postgres {
				// Serialise concurrent migrators of this schema; SQLite's
				// write transaction already does.
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7301968, hashtext(current_schema()))`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRow(ctx, `/* Migrate.check */ SELECT count(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				done = true
				return nil
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, m.version, ms(tx.Now()))
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("store: migration %s: %w", m.version, err)
		}
		if !done {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

// PendingMigrations lists the migrations not yet applied.
func (s *Store) PendingMigrations(ctx context.Context) ([]string, error) {
	all, err := migrations(s.dialect)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	rows, err := s.read.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			have[v] = true
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var pending []string
	for _, m := range all {
		if !have[m.version] {
			pending = append(pending, m.version)
		}
	}
	return pending, nil
}
