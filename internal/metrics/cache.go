package metrics

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/veelocity/veelocity/internal/memo"
	"github.com/veelocity/veelocity/internal/store"
)

// cacheSize bounds the number of answers kept. One page view looks up
// twenty or so (each metric, its trend, its series), so 256 held about a
// dozen views; most answers are a few KB, the developers table a few
// hundred bytes per developer.
const cacheSize = 2048

// resultCache keeps recent answers for as long as the data version they
// were computed from is current. A dashboard asks the same questions on
// every page view; only the first after a sync pays for them.
type resultCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
	order   []string // insertion order, for eviction

	hits, misses atomic.Int64
}

// CacheStats counts the result cache's lookups since the service started:
// Misses computed an answer, Hits did not (a request that waited for an
// identical one computing counts as a hit). Every metric a page or an
// endpoint asks for is a lookup of its own.
type CacheStats struct{ Hits, Misses int64 }

// CacheStats returns the result cache's counts.
func (s *Service) CacheStats() CacheStats {
	if s.cache == nil {
		return CacheStats{}
	}
	return CacheStats{Hits: s.cache.hits.Load(), Misses: s.cache.misses.Load()}
}

type cacheEntry struct {
	version string
	value   any
}

func newResultCache() *resultCache { return &resultCache{entries: map[string]cacheEntry{}} }

func (c *resultCache) get(key, version string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.version != version {
		return nil, false
	}
	return e.value, true
}

func (c *resultCache) put(key, version string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok {
		c.order = append(c.order, key)
		if len(c.order) > cacheSize {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.entries[key] = cacheEntry{version, v}
}

// key identifies a query.
func (q Query) key() string {
	return fmt.Sprintf("%d|%d|%s|%d|%s|%t", q.Start.UnixMilli(), q.End.UnixMilli(), q.Period, q.RepoID, q.Author, q.Trend) + q.teamKey()
}

// dataVersion reads the current data version ("" before the first derive).
// Every input of the metrics flows through the derive step, which changes
// the version whenever it changes a fact: an unchanged version means
// unchanged answers.
func (s *Service) dataVersion(ctx context.Context) (string, error) {
	v, _, err := s.appState(ctx, store.DataVersionKey)
	return v, err
}

// cached answers from the cache when the data has not changed since the
// answer was computed, and computes and keeps it otherwise. Simultaneous
// misses of one key compute it once (singleflight), with the context of the
// first. Cached answers are shared: callers must not modify them.
func cached[T any](ctx context.Context, s *Service, name string, q Query, extra string, fn func() (T, error)) (T, error) {
	if s.cache == nil {
		return fn()
	}
	version, err := s.dataVersion(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	key := name + "|" + q.key() + "|" + extra
	if v, ok := s.cache.get(key, version); ok {
		s.cache.hits.Add(1)
		return v.(T), nil
	}
	computed := false
	v, err, _ := s.flight.Do(key+"|"+version, func() (any, error) {
		if v, ok := s.cache.get(key, version); ok {
			return v, nil // computed while this call waited for its turn
		}
		computed = true
		v, err := fn()
		if err != nil {
			return nil, err
		}
		s.cache.put(key, version, v)
		return v, nil
	})
	if computed {
		s.cache.misses.Add(1)
	} else {
		s.cache.hits.Add(1)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// Remember answers a question other than a metric (one page of the lists
// the dashboard shows: pull requests, deployments, incidents) from the
// result cache, as the metrics are: until the data version changes. key
// must name every parameter of the answer. Only settled data is kept (see
// store.Settled): the lists also show records that wait for the derive step.
func Remember[T any](ctx context.Context, s *Service, name, key string, fn func() (T, error)) (T, error) {
	if s.cache == nil {
		return fn()
	}
	settled, err := memo.Do(ctx, "store.settled", func() (bool, error) { return s.st.Settled(ctx) })
	if err != nil || !settled {
		if err != nil {
			var zero T
			return zero, err
		}
		return fn()
	}
	return cached(ctx, s, name, Query{}, key, fn)
}
