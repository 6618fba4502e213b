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

// AfterBatch makes fn run between the batches of the PR and Linear steps
// that read the next one ahead; step is "pull request facts" or "Linear
// issues".
func AfterBatch(t testing.TB, fn func(step string)) {
	afterBatch = fn
	t.Cleanup(func() { afterBatch = nil })
}

// LockRun takes d's run lock (PostgreSQL's advisory lock; nothing on
// SQLite) and returns its release.
func LockRun(ctx context.Context, d *Deriver) (func(), error) { return d.lockRun(ctx) }
