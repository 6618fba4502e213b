package derive

import "testing"

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
