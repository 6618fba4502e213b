package metrics

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veelocity/veelocity/internal/memo"
	"github.com/veelocity/veelocity/internal/store"
)

// cacheSize bounds the number of answers kept. One page view looks up
// twenty or so (each metric, its trend, its series); most answers are a
// few KB, the developers table a few hundred bytes per developer. Only
// answers of the current data version are kept (put), so the bound is on
// what one version accumulates: 2,048 held about a hundred views, and
// under a load of many ranges and filters most lookups missed an answer
// evicted before it was asked for again (BENCHMARKS.md).
const cacheSize = 16384

// resultCache keeps recent answers for as long as the data version they
// were computed from is current. A dashboard asks the same questions on
// every page view; only the first after a sync pays for them.
type resultCache struct {
	mu sync.Mutex
	// version is the data version of every entry, and seen when it was
	// read from the database.
	version string
	seen    time.Time
	entries map[string]any
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

func newResultCache() *resultCache { return &resultCache{entries: map[string]any{}} }

func (c *resultCache) get(key, version string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		return nil, false
	}
	v, ok := c.entries[key]
	return v, ok
}

// put keeps v, computed from the data version read at seen. A version read
// later than the entries' replaces them all: the data only moves on, so
// no one asks for an older version's answers again, and holding them
// until they are evicted filled the cache with dead answers while a sync
// wrote (each derive is a new version). An answer of a version read
// earlier than the entries' is dropped.
func (c *resultCache) put(key, version string, seen time.Time, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		if seen.Before(c.seen) {
			return
		}
		c.version, c.seen = version, seen
		clear(c.entries)
		c.order = c.order[:0]
	}
	if _, ok := c.entries[key]; !ok {
		c.order = append(c.order, key)
		if len(c.order) > cacheSize {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.entries[key] = v
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
	v, _, err := s.dataVersionSeen(ctx)
	return v, err
}

// dataVersionSeen is dataVersion with the time it was read, once per
// request as app_state values are.
func (s *Service) dataVersionSeen(ctx context.Context) (string, time.Time, error) {
	type read struct {
		v    string
		seen time.Time
	}
	r, err := memo.Do(ctx, "data_version", func() (read, error) {
		seen := time.Now()
		v, _, err := s.st.AppState(ctx, store.DataVersionKey)
		return read{v, seen}, err
	})
	return r.v, r.seen, err
}

// cached answers from the cache when the data has not changed since the
// answer was computed, and computes and keeps it otherwise. Simultaneous
// misses of one key compute it once (singleflight), with the context of the
// first. Cached answers are shared: callers must not modify them.
func cached[T any](ctx context.Context, s *Service, name string, q Query, extra string, fn func() (T, error)) (T, error) {
	if s.cache == nil {
		return fn()
	}
	version, seen, err := s.dataVersionSeen(ctx)
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
		s.cache.put(key, version, seen, v)
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
