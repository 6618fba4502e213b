package store

import (
	"context"
	"time"
)

// SyncRun is one entry of the sync history: one source, one run.
type SyncRun struct {
	ID          int64      `json:"id"`
	Source      string     `json:"source"`
	Kind        string     `json:"kind"`         // full, recent
	TriggeredBy string     `json:"triggered_by"` // startup, schedule, api, cli
	Status      string     `json:"status"`       // running, success, failed, canceled
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	Records     int64      `json:"records"`
	Requests    int64      `json:"requests"`
	Error       string     `json:"error"`
}

// Sync run statuses.
const (
	SyncRunning  = "running"
	SyncSuccess  = "success"
	SyncFailed   = "failed"
	SyncCanceled = "canceled"
)

// StartSyncRun records the start of a sync of source and returns its id.
func (s *Store) StartSyncRun(ctx context.Context, source, kind, triggeredBy string) (int64, error) {
	var id int64
	err := s.write.QueryRowContext(ctx, `/* Store.StartSyncRun */
		INSERT INTO sync_runs (source, kind, triggered_by, status, started_at) VALUES ($1, $2, $3, $4, $5)
		RETURNING id`, source, kind, triggeredBy, SyncRunning, ms(s.Now())).Scan(&id)
	return id, err
}

// FinishSyncRun records the end of sync run id. errMsg must be safe to show
// to the user.
func (s *Store) FinishSyncRun(ctx context.Context, id int64, status string, records, requests int64, errMsg string) error {
	_, err := s.write.ExecContext(ctx, `/* Store.FinishSyncRun */
		UPDATE sync_runs SET status = $2, finished_at = $3, records = $4, requests = $5, error = $6 WHERE id = $1`,
		id, status, ms(s.Now()), records, requests, errMsg)
	return err
}

// SyncRuns returns the latest limit runs of source, newest first.
func (s *Store) SyncRuns(ctx context.Context, source string, limit int) ([]SyncRun, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.SyncRuns */
		SELECT id, source, kind, triggered_by, status, started_at, finished_at, records, requests, error
		FROM sync_runs WHERE source = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, source, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SyncRun
	for rows.Next() {
		var r SyncRun
		if err := rows.Scan(&r.ID, &r.Source, &r.Kind, &r.TriggeredBy, &r.Status, TimeCol(&r.StartedAt),
			NullTimeCol(&r.FinishedAt), &r.Records, &r.Requests, &r.Error); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
