package store

import "context"

// InterruptSyncRuns closes the sync runs left "running" by a process that
// stopped without recording their end (killed, crashed), as canceled with
// msg, and returns how many it closed. Call it when a long-running process
// starts, before its first sync.
func (s *Store) InterruptSyncRuns(ctx context.Context, msg string) (int64, error) {
	res, err := s.write.ExecContext(ctx, `/* Store.InterruptSyncRuns */
		UPDATE sync_runs SET status = $1, finished_at = $2, error = $3 WHERE status = $4`,
		SyncCanceled, ms(s.Now()), msg, SyncRunning)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
