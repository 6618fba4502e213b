package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// deferredForeignKeysKey is the app_state key that holds the foreign keys
// DeferForeignKeys dropped, until RestoreForeignKeys adds them again.
const deferredForeignKeysKey = "store.deferred_foreign_keys"

// deferredFK is a single-column foreign key that DeferForeignKeys dropped.
type deferredFK struct {
	Table, Name, Def string // Def: as pg_get_constraintdef gives it
	Column           string
	RefTable, RefCol string
	OnDelete         string // pg_constraint.confdeltype: c cascade, n set null, …
}

// DeferForeignKeys drops the foreign keys of tables, on PostgreSQL, when
// every one of them is empty; RestoreForeignKeys adds them again once they
// are filled. PostgreSQL checks a foreign key row by row, each check a
// lookup that also locks the referenced row: filling the derive's tables
// for a million PRs (pr_facts, pr_mentions, linear_issue_prs) made millions
// of them, about three quarters of each insert's time, where adding the key
// afterwards checks every row in one join. The definitions are kept in
// app_state in the same transaction, as DeferIndexes keeps its own. On
// SQLite it does nothing. It reports whether it dropped any.
func (tx *Tx) DeferForeignKeys(ctx context.Context, tables ...string) (bool, error) {
	if tx.dialect != Postgres || len(tables) == 0 {
		return false, nil
	}
	if ok, err := tx.canDefer(ctx, deferredForeignKeysKey, tables...); err != nil || !ok {
		return false, err
	}
	rows, err := tx.Query(ctx, `/* Tx.DeferForeignKeys */ SELECT t.relname, c.conname, pg_get_constraintdef(c.oid),
			a.attname, rt.relname, ra.attname, c.confdeltype
		FROM pg_constraint c
		JOIN pg_class t ON t.oid = c.conrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		JOIN pg_class rt ON rt.oid = c.confrelid
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
		WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = ANY($1)
		  AND cardinality(c.conkey) = 1
		ORDER BY t.relname, c.conname`, tables)
	if err != nil {
		return false, fmt.Errorf("store: reading the foreign keys of %v: %w", tables, err)
	}
	var fks []deferredFK
	for rows.Next() {
		var k deferredFK
		if err := rows.Scan(&k.Table, &k.Name, &k.Def, &k.Column, &k.RefTable, &k.RefCol, &k.OnDelete); err != nil {
			rows.Close()
			return false, err
		}
		fks = append(fks, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(fks) == 0 {
		return false, err
	}
	saved, err := json.Marshal(fks)
	if err != nil {
		return false, err
	}
	if err := tx.SetAppState(ctx, deferredForeignKeysKey, string(saved)); err != nil {
		return false, err
	}
	for _, k := range fks {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+quoteIdent(k.Table)+` DROP CONSTRAINT `+quoteIdent(k.Name)); err != nil {
			return false, fmt.Errorf("store: dropping foreign key %s: %w", k.Name, err)
		}
	}
	return true, nil
}

// RestoreForeignKeys adds again the foreign keys DeferForeignKeys dropped,
// if any. While they were away a row could have lost what it refers to (a
// pull request deleted by a sync meanwhile, which no cascade followed):
// such rows are then removed, or their reference set to NULL, as the key's
// ON DELETE rule would have done, before the key is added again.
func (tx *Tx) RestoreForeignKeys(ctx context.Context) error {
	saved, pending, err := tx.AppState(ctx, deferredForeignKeysKey)
	if err != nil || !pending {
		return err
	}
	var fks []deferredFK
	if err := json.Unmarshal([]byte(saved), &fks); err != nil {
		return fmt.Errorf("store: reading the deferred foreign keys: %w", err)
	}
	for _, k := range fks {
		var exists bool
		if err := tx.QueryRow(ctx, `/* Tx.RestoreForeignKeys */ SELECT EXISTS (SELECT 1 FROM pg_constraint c
			JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
			WHERE n.nspname = current_schema() AND t.relname = $1 AND c.conname = $2)`, k.Table, k.Name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			continue
		}
		add := `ALTER TABLE ` + quoteIdent(k.Table) + ` ADD CONSTRAINT ` + quoteIdent(k.Name) + ` ` + k.Def
		if _, err := tx.Exec(ctx, `SAVEPOINT restore_fk`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, add)
		var pgErr *pgconn.PgError
		if err != nil && errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation
			if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT restore_fk`); err != nil {
				return err
			}
			if err := tx.dropOrphans(ctx, k); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, add)
		}
		if err != nil {
			return fmt.Errorf("store: restoring foreign key %s: %w", k.Name, err)
		}
		if _, err := tx.Exec(ctx, `RELEASE SAVEPOINT restore_fk`); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `/* Tx.RestoreForeignKeys */ DELETE FROM app_state WHERE key = $1`, deferredForeignKeysKey)
	return err
}

// dropOrphans applies k's ON DELETE rule to the rows of its table whose
// reference is gone, the referenced table locked against changes until
// the transaction ends.
func (tx *Tx) dropOrphans(ctx context.Context, k deferredFK) error {
	ref := quoteIdent(k.RefTable)
	if _, err := tx.Exec(ctx, `LOCK TABLE `+ref+` IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return err
	}
	col := quoteIdent(k.Column)
	gone := col + ` IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ` + ref + ` r WHERE r.` + quoteIdent(k.RefCol) + ` = ` + quoteIdent(k.Table) + `.` + col + `)`
	var q string
	switch k.OnDelete {
	case "c":
		q = `DELETE FROM ` + quoteIdent(k.Table) + ` WHERE ` + gone
	case "n":
		q = `UPDATE ` + quoteIdent(k.Table) + ` SET ` + col + ` = NULL WHERE ` + gone
	default:
		return fmt.Errorf("store: rows of %s refer to missing rows of %s, and its foreign key %s neither cascades nor sets NULL",
			k.Table, k.RefTable, k.Name)
	}
	_, err := tx.Exec(ctx, `/* Tx.dropOrphans */ `+q)
	return err
}
