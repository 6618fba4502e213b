package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SyncLease is the claim of the process that runs a sync.
type SyncLease struct {
	Owner     string
	Trigger   string
	StartedAt time.Time
	ExpiresAt time.Time
}

// AcquireSyncLease claims the sync lease for owner until expires, unless
// another owner holds a lease that has not lapsed at now. It reports
// whether owner holds the lease, and otherwise returns the holder's.
func (s *Store) AcquireSyncLease(ctx context.Context, owner, trigger string, now, expires time.Time) (SyncLease, bool, error) {
	for range 2 { // again, if the holder's lease lapsed or went in between
		// One statement, so two processes cannot both take it: a held
		// lease is taken over only when it has lapsed (or is owner's own).
		res, err := s.write.ExecContext(ctx, `/* Store.AcquireSyncLease */
			INSERT INTO sync_lease (id, owner, started_by, started_at, expires_at) VALUES (1, $1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, started_by = excluded.started_by,
				started_at = excluded.started_at, expires_at = excluded.expires_at
			WHERE sync_lease.expires_at < $3 OR sync_lease.owner = $1`, owner, trigger, ms(now), ms(expires))
		if err != nil {
			return SyncLease{}, false, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return SyncLease{Owner: owner, Trigger: trigger, StartedAt: now, ExpiresAt: expires}, err == nil, err
		}
		held, ok, err := s.SyncLeaseHolder(ctx, now)
		if err != nil || ok {
			return held, false, err
		}
	}
	return SyncLease{}, false, errors.New("store: the sync lease changed hands while being claimed")
}

// RenewSyncLease extends owner's lease to expires, and reports whether
// owner still held it.
func (s *Store) RenewSyncLease(ctx context.Context, owner string, expires time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, `/* Store.RenewSyncLease */ UPDATE sync_lease SET expires_at = $2 WHERE owner = $1`,
		owner, ms(expires))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseSyncLease gives up owner's lease, if owner holds it.
func (s *Store) ReleaseSyncLease(ctx context.Context, owner string) error {
	_, err := s.write.ExecContext(ctx, `/* Store.ReleaseSyncLease */ DELETE FROM sync_lease WHERE owner = $1`, owner)
	return err
}

// SyncLeaseHolder returns the lease that has not lapsed at now, if any.
func (s *Store) SyncLeaseHolder(ctx context.Context, now time.Time) (SyncLease, bool, error) {
	var l SyncLease
	var started, expires int64
	err := s.read.QueryRowContext(ctx, `/* Store.SyncLeaseHolder */
		SELECT owner, started_by, started_at, expires_at FROM sync_lease WHERE expires_at >= $1`, ms(now)).
		Scan(&l.Owner, &l.Trigger, &started, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return SyncLease{}, false, nil
	}
	l.StartedAt, l.ExpiresAt = FromMS(started), FromMS(expires)
	return l, err == nil, err
}
