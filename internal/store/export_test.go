package store

import "context"

// PRTableScan is PRTable's plain query over pull_requests, for the test
// that compares it with the fast path.
func (s *Store) PRTableScan(ctx context.Context, f PRTableFilter, p Page) ([]PRRow, int, error) {
	return s.prTableScan(ctx, f, p, nil, true)
}

// MigrateBefore applies the migrations before version, for the tests of a
// migration that moves data.
func (s *Store) MigrateBefore(ctx context.Context, version string) ([]string, error) {
	return s.migrate(ctx, version)
}
