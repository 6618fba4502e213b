package store

import (
	"context"
	"time"
)

// SyncState is the incremental state of one source and scope (a repository,
// a team, or "" for the source as a whole).
type SyncState struct {
	Source        string     `json:"source"`
	Scope         string     `json:"scope"`
	Cursor        string     `json:"-"`
	LastStartedAt *time.Time `json:"last_started_at"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastError     string     `json:"last_error"`
	LastErrorAt   *time.Time `json:"last_error_at"`
}

const syncStateColumns = `source, scope, cursor, last_started_at, last_success_at, last_error, last_error_at`

func scanSyncState(sc interface{ Scan(...any) error }) (SyncState, error) {
	var st SyncState
	err := sc.Scan(&st.Source, &st.Scope, &st.Cursor, NullTimeCol(&st.LastStartedAt), NullTimeCol(&st.LastSuccessAt),
		&st.LastError, NullTimeCol(&st.LastErrorAt))
	return st, err
}

// SyncState returns the state of source and scope; a scope never synced
// has an empty state.
func (s *Store) SyncState(ctx context.Context, source, scope string) (SyncState, error) {
	st, err := scanSyncState(s.read.QueryRowContext(ctx, `/* Store.SyncState */ SELECT `+syncStateColumns+`
		FROM sync_state WHERE source = $1 AND scope = $2`, source, scope))
	if notFound(err) == ErrNotFound {
		return SyncState{Source: source, Scope: scope}, nil
	}
	return st, err
}

// SyncStates returns the state of every scope of source, by scope.
func (s *Store) SyncStates(ctx context.Context, source string) ([]SyncState, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.SyncStates */ SELECT `+syncStateColumns+`
		FROM sync_state WHERE source = $1 ORDER BY scope`, source)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SyncState
	for rows.Next() {
		st, err := scanSyncState(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// SetSyncCursor stores the cursor of source and scope. Call it in the same
// transaction as the page it follows, so the cursor never runs ahead of the
// data.
func (tx *Tx) SetSyncCursor(ctx context.Context, source, scope, cursor string) error {
	_, err := tx.execStmt(ctx, `/* Tx.SetSyncCursor */
		INSERT INTO sync_state (source, scope, cursor, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (source, scope) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
		source, scope, cursor, ms(tx.now))
	return err
}

// MarkSyncStarted records that a sync of source and scope began.
func (s *Store) MarkSyncStarted(ctx context.Context, source, scope string) error {
	now := ms(s.Now())
	_, err := s.write.ExecContext(ctx, `/* Store.MarkSyncStarted */
		INSERT INTO sync_state (source, scope, last_started_at, updated_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (source, scope) DO UPDATE SET last_started_at = excluded.last_started_at, updated_at = excluded.updated_at`,
		source, scope, now)
	return err
}

// MarkSyncSucceeded records that a sync of source and scope finished
// without error, and clears its last error.
func (s *Store) MarkSyncSucceeded(ctx context.Context, source, scope string) error {
	now := ms(s.Now())
	_, err := s.write.ExecContext(ctx, `/* Store.MarkSyncSucceeded */
		INSERT INTO sync_state (source, scope, last_success_at, updated_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (source, scope) DO UPDATE SET last_success_at = excluded.last_success_at,
			last_error = '', last_error_at = NULL, updated_at = excluded.updated_at`,
		source, scope, now)
	return err
}

// MarkSyncFailed records the error of a failed sync of source and scope.
// msg must be safe to show to the user (no tokens).
func (s *Store) MarkSyncFailed(ctx context.Context, source, scope, msg string) error {
	now := ms(s.Now())
	_, err := s.write.ExecContext(ctx, `/* Store.MarkSyncFailed */
		INSERT INTO sync_state (source, scope, last_error, last_error_at, updated_at) VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (source, scope) DO UPDATE SET last_error = excluded.last_error,
			last_error_at = excluded.last_error_at, updated_at = excluded.updated_at`,
		source, scope, msg, now)
	return err
}
