package derive

import (
	"context"
	"testing"
)

// SetBatchSize makes t's derive runs process n rows per transaction.
func SetBatchSize(t testing.TB, n int) {
	old := batchSize
	batchSize = n
	t.Cleanup(func() { batchSize = old })
}

// AfterPRBatch makes fn run between the PR step's batches that read the
// next one ahead.
func AfterPRBatch(t testing.TB, fn func()) {
	afterPRBatch = fn
	t.Cleanup(func() { afterPRBatch = nil })
}

// LockRun takes d's run lock (PostgreSQL's advisory lock; nothing on
// SQLite) and returns its release.
func LockRun(ctx context.Context, d *Deriver) (func(), error) { return d.lockRun(ctx) }
