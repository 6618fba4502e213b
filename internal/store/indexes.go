package store

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// deferredIndexesKey is the app_state key that holds the definitions of
// the indexes DeferIndexes dropped, until RestoreIndexes creates them again.
const deferredIndexesKey = "store.deferred_indexes"

// DeferIndexes drops the secondary (non-unique) indexes of table if the
// table is empty, so that filling it writes its rows alone; RestoreIndexes
// then builds each index in one pass over the rows, several times faster
// than keeping a dozen indexes up to date row by row (pr_facts, filled by
// the first derive of a million PRs). The definitions are kept in
// app_state in the same transaction, so that a run interrupted before
// RestoreIndexes leaves them for the next to restore. It reports whether
// it dropped any: not when the table has rows, which readers may be
// using, nor while an earlier deferral waits to be restored.
func (tx *Tx) DeferIndexes(ctx context.Context, table string) (bool, error) {
	if ok, err := tx.canDefer(ctx, deferredIndexesKey, table); err != nil || !ok {
		return false, err
	}
	q := `/* Tx.DeferIndexes */ SELECT name, sql FROM sqlite_master
		WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name`
	if tx.dialect == Postgres {
		q = `/* Tx.DeferIndexes */ SELECT i.relname, pg_get_indexdef(i.oid)
			FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
			JOIN pg_namespace n ON n.oid = t.relnamespace
			WHERE n.nspname = current_schema() AND t.relname = $1 AND NOT x.indisprimary AND NOT x.indisunique
			ORDER BY i.relname`
	}
	rows, err := tx.Query(ctx, q, table)
	if err != nil {
		return false, fmt.Errorf("store: reading the indexes of %s: %w", table, err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return false, err
		}
		if !createIndex.MatchString(def) {
			continue // a UNIQUE index enforces something: it stays
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(defs) == 0 {
		return false, err
	}
	saved, err := json.Marshal(defs)
	if err != nil {
		return false, err
	}
	if err := tx.SetAppState(ctx, deferredIndexesKey, string(saved)); err != nil {
		return false, err
	}
	for _, name := range names {
		if _, err := tx.Exec(ctx, `DROP INDEX `+quoteIdent(name)); err != nil {
			return false, fmt.Errorf("store: dropping index %s: %w", name, err)
		}
	}
	return true, nil
}

// canDefer reports whether what key saves may be deferred for tables:
// every one of them is empty (readers may be using a table with rows), and
// no earlier deferral saved under key waits to be restored.
func (tx *Tx) canDefer(ctx context.Context, key string, tables ...string) (bool, error) {
	for _, table := range tables {
		var empty bool
		if err := tx.QueryRow(ctx, `/* Tx.canDefer */ SELECT NOT EXISTS (SELECT 1 FROM `+table+`)`).Scan(&empty); err != nil {
			return false, fmt.Errorf("store: deferring what %s holds: reading %s: %w", key, table, err)
		}
		if !empty {
			return false, nil
		}
	}
	_, pending, err := tx.AppState(ctx, key)
	return !pending, err
}

// RestoreIndexes creates again the indexes DeferIndexes dropped, if any.
// An index that exists already is left as it is.
func (tx *Tx) RestoreIndexes(ctx context.Context) error {
	saved, pending, err := tx.AppState(ctx, deferredIndexesKey)
	if err != nil || !pending {
		return err
	}
	var defs []string
	if err := json.Unmarshal([]byte(saved), &defs); err != nil {
		return fmt.Errorf("store: reading the deferred indexes: %w", err)
	}
	for _, def := range defs {
		loc := createIndex.FindStringIndex(def)
		if loc == nil {
			return fmt.Errorf("store: a deferred index is not a CREATE INDEX: %q", def)
		}
		if _, err := tx.Exec(ctx, "CREATE INDEX IF NOT EXISTS "+def[loc[1]:]); err != nil {
			return fmt.Errorf("store: restoring an index: %w", err)
		}
	}
	_, err = tx.Exec(ctx, `/* Tx.RestoreIndexes */ DELETE FROM app_state WHERE key = $1`, deferredIndexesKey)
	return err
}

// createIndex matches the start of a plain (not UNIQUE) index definition,
// as SQLite keeps it (the migration's own text) or PostgreSQL gives it.
var createIndex = regexp.MustCompile(`(?i)^\s*CREATE\s+INDEX\s+(IF\s+NOT\s+EXISTS\s+)?`)

// quoteIdent quotes an SQL identifier.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
