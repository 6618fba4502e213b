package store

import (
	"context"
	"crypto/rand"
	"fmt"
)

// ETag returns the stored validator for a conditional request key, or "".
func (s *Store) ETag(ctx context.Context, key string) (string, error) {
	var etag string
	err := s.read.QueryRowContext(ctx, `/* Store.ETag */ SELECT etag FROM http_cache WHERE key = $1`, key).Scan(&etag)
	if notFound(err) == ErrNotFound {
		return "", nil
	}
	return etag, err
}

// SetETag stores the validator for a conditional request key. Store it in
// the transaction that stores the response's data, so a validator never
// stands for data that was not saved.
func (tx *Tx) SetETag(ctx context.Context, key, etag string) error {
	_, err := tx.execStmt(ctx, `/* Tx.SetETag */
		INSERT INTO http_cache (key, etag, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, updated_at = excluded.updated_at`,
		key, etag, ms(tx.now))
	return err
}

// AppState returns a stored installation fact, and whether it is set.
func (s *Store) AppState(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.read.QueryRowContext(ctx, `/* Store.AppState */ SELECT value FROM app_state WHERE key = $1`, key).Scan(&v)
	if notFound(err) == ErrNotFound {
		return "", false, nil
	}
	return v, err == nil, err
}

// AppState returns a stored installation fact as tx sees it, and whether
// it is set.
func (tx *Tx) AppState(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := tx.QueryRow(ctx, `/* Tx.AppState */ SELECT value FROM app_state WHERE key = $1`, key).Scan(&v)
	if notFound(err) == ErrNotFound {
		return "", false, nil
	}
	return v, err == nil, err
}

// SetAppState stores an installation fact.
func (tx *Tx) SetAppState(ctx context.Context, key, value string) error {
	_, err := tx.execStmt(ctx, `/* Tx.SetAppState */
		INSERT INTO app_state (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// FullDeriveKey is the app_state key set while a full derive is due: the
// bulk inserts set it, since they store records without their dirty flags
// (a flag on every one of a million rows costs two writes of each: the
// flag, then its clearing), and a full derive sets it when it starts. The
// derive step runs in full while it is set, and removes it once a full run
// completes.
const FullDeriveKey = "derive.full"

// DataVersionKey is the app_state key of the data version: the derive step
// changes it whenever it changes a derived fact, so readers that cache
// answers (the metrics) know when to drop them.
const DataVersionKey = "data_version"

// BumpDataVersion gives the data a new, unique version.
func (tx *Tx) BumpDataVersion(ctx context.Context) error {
	return tx.SetAppState(ctx, DataVersionKey, fmt.Sprintf("%d-%s", tx.now.UnixNano(), rand.Text()))
}

// Settled reports whether every record has been through the derive step:
// no row waits with its dirty flag, and no full derive is due. The data
// version then stands for all of the data, so an answer computed from it
// may be kept until the version changes.
func (s *Store) Settled(ctx context.Context) (bool, error) {
	var pending bool
	err := s.read.QueryRowContext(ctx, `/* Store.Settled */ SELECT
		EXISTS (SELECT 1 FROM pull_requests WHERE dirty) OR EXISTS (SELECT 1 FROM workflow_runs WHERE dirty)
		OR EXISTS (SELECT 1 FROM github_issues WHERE dirty) OR EXISTS (SELECT 1 FROM linear_issues WHERE dirty)
		OR EXISTS (SELECT 1 FROM deployments WHERE dirty) OR EXISTS (SELECT 1 FROM incidents WHERE dirty)
		OR EXISTS (SELECT 1 FROM github_deployments WHERE dirty)
		OR EXISTS (SELECT 1 FROM app_state WHERE key = $1)`, FullDeriveKey).Scan(&pending)
	if err != nil {
		return false, fmt.Errorf("store: settled: %w", err)
	}
	return !pending, nil
}
