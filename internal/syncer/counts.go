package syncer

import (
	"context"
	"sync"
	"time"
)

// countsTTL is how long record counts are reused while syncs run; counting
// millions of rows on every poll of the status page would load the
// database for nothing.
const countsTTL = 5 * time.Second

// countsCache holds the last record counts per source.
type countsCache struct {
	mu     sync.Mutex // serializes refreshes, so concurrent polls count once
	at     time.Time
	ends   int // Engine.ends when counted
	counts map[string]map[string]int64
}

// Counts returns how many records of each kind the database holds, per
// source (store.SourceCounts). Counts are fresh after each sync ends and at
// most countsTTL old while one runs.
func (e *Engine) Counts(ctx context.Context) (map[string]map[string]int64, error) {
	e.mu.Lock()
	ends := e.ends
	e.mu.Unlock()
	c := &e.counts
	c.mu.Lock()
	defer c.mu.Unlock()
	now := e.now()
	if c.counts != nil && c.ends == ends && now.Sub(c.at) < countsTTL && !now.Before(c.at) {
		return c.counts, nil
	}
	out := map[string]map[string]int64{}
	for _, s := range e.Sources() {
		n, err := e.store.SourceCounts(ctx, s.Name)
		if err != nil {
			return nil, err
		}
		if n == nil {
			n = map[string]int64{}
		}
		out[s.Name] = n
	}
	c.counts, c.at, c.ends = out, now, ends
	return out, nil
}
