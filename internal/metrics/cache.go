package metrics

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veelocity/veelocity/internal/memo"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/rollup"
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

// resultCache keeps recent answers for as long as the data they were
// computed from is unchanged. A dashboard asks the same questions on every
// page view; only the first after a sync pays for them.
//
// Each derive that changes the data gives it a new version. An answer read
// from the rollups alone (rollupDeps) is carried over to the new version
// when no day it read was rebuilt: the rollups' in-memory mirrors know
// which days a derive rebuilt, as they reload those alone (mirror.go). An
// answer read from the deployments, incidents and workflows is carried
// when their change counters did not move (tableSet). The others (the
// lists) are dropped. A sync that brings today's pull requests leaves last
// month's percentiles cached.
type resultCache struct {
	mu sync.Mutex
	// version is the data version of every entry, and seen when it was
	// read from the database.
	version string
	seen    time.Time
	// gens are the change counters of the tables (tableGens) as the
	// version's first request read them, before any of its answers was
	// computed: nil when they could not be read.
	gens    map[string]int64
	entries map[string]cacheEntry
	order   []string // insertion order, for eviction

	hits, misses, carried atomic.Int64
}

type cacheEntry struct {
	value any
	deps  rollupDeps
}

// rollupDeps says which rollups an answer was read from, over which days,
// and what the rollups were then, and which tables with a change counter it
// read: it can be carried to a newer data version while those days of those
// rollups and those tables are unchanged. The zero value is an answer that
// is never carried (it read something else too: a list; or the facts,
// before the rollups were built, or the database, when a rollup is too
// large to hold).
type rollupDeps struct {
	pr, issues bool
	tables     tableSet
	from, to   int64 // UTC days, [from, to)
	// The rollups' snapshots the answer was read from (their epochs and
	// generations), and whether Linear counted as configured
	// (throughput's issues_completed is null without it).
	prEpoch, issuesEpoch string
	prGen, issuesGen     int64
	linear               bool
}

// rollupMark is what the rollups are at a data version: the snapshots of
// their mirrors, and whether Linear counts as configured.
type rollupMark struct {
	pr     *mirrorSnap[mirrorRow]
	issues *mirrorSnap[issueRow]
	linear bool
}

// tableSet is a set of the tables whose changes a counter follows, as
// bits: those in change_gens that database triggers move (migrations 0017
// and 0022), and the links of the Linear incidents, which tableGens reads.
type tableSet uint8

const (
	deploymentsTable tableSet = 1 << iota // the deployments
	incidentsTable                        // the incidents, and the links of Linear incidents
	workflowsTable                        // the workflows: their repository and whether they deploy
)

// tableCounters are the counters of each bit of tableSet.
var tableCounters = [][]string{{"deployments"}, {"incidents", incidentLinks}, {"workflows"}}

// incidentLinks names the fingerprint of the links of the Linear issues
// that are incidents, among the counters: each link makes the incident one
// of its PR's repository (store.IncidentOfRepoSQL). They have no trigger:
// the derive rewrites the links of every PR it derives again (about
// 660,000 in a full derive of the 1M-PR demo), and a trigger would look
// each one up among the incidents; the few links of incidents are read and
// compared instead.
const incidentLinks = "incident links"

// unchanged reports whether each counter of t has the same value in a as in
// b (false when either was not read).
func (t tableSet) unchanged(a, b map[string]int64) bool {
	if a == nil || b == nil {
		return false
	}
	for i, names := range tableCounters {
		if t&(1<<i) == 0 {
			continue
		}
		for _, name := range names {
			x, ok := a[name]
			if y, ok2 := b[name]; !ok || !ok2 || x != y {
				return false
			}
		}
	}
	return true
}

// tableGens reads the change counters, and the fingerprint of the Linear
// incidents' links (the first 8 bytes of a SHA-256 of them, sorted): nil
// on an error, which carries nothing that read those tables. The result
// cache reads them once per data version, when it adopts it.
func (s *Service) tableGens(ctx context.Context) map[string]int64 {
	out := map[string]int64{}
	err := s.scanStrings(ctx, `/* metrics.changeGens */ SELECT name, gen FROM change_gens`, nil, func(name string, gen int64) {
		out[name] = gen
	})
	if err != nil {
		return nil
	}
	h := sha256.New()
	var b [16]byte
	err = s.scanRows(ctx, `/* metrics.incidentLinks */ SELECT l.issue_id, l.pr_id FROM incidents i
		JOIN linear_issues li ON li.linear_id = i.external_id JOIN linear_issue_prs l ON l.issue_id = li.id
		WHERE i.source = '`+model.SourceLinear+`' ORDER BY l.issue_id, l.pr_id`, nil, 2, func(v []sql.NullInt64) {
		binary.LittleEndian.PutUint64(b[:8], uint64(v[0].Int64))
		binary.LittleEndian.PutUint64(b[8:], uint64(v[1].Int64))
		h.Write(b[:])
	})
	if err != nil {
		return nil
	}
	out[incidentLinks] = int64(binary.LittleEndian.Uint64(h.Sum(nil)))
	return out
}

// markRollups reads the rollups' state at the request's data version (the
// snapshots its answers read, once per request): the zero mark, which
// carries nothing over, on an error.
func (s *Service) markRollups(ctx context.Context) rollupMark {
	pr, err := s.mirror(ctx)
	if err != nil {
		return rollupMark{}
	}
	issues, err := s.issueMirror(ctx)
	if err != nil {
		return rollupMark{}
	}
	linear, err := s.linearConfigured(ctx)
	if err != nil {
		return rollupMark{}
	}
	return rollupMark{pr: pr, issues: issues, linear: linear}
}

// depsOf are the rollup days an answer for q reads (its range, and the
// range before it when q asks for the trend), with the rollups' state mark
// it is read from. They are the zero value, never carried, when a rollup
// it reads is not held in memory.
func depsOf(q Query, pr, issues bool, tables tableSet, mark rollupMark) rollupDeps {
	if (pr && mark.pr == nil) || (issues && mark.issues == nil) {
		return rollupDeps{}
	}
	from := q.Start
	if q.Trend {
		from = q.Previous().Start
	}
	d := rollupDeps{pr: pr, issues: issues, tables: tables, from: rollup.Day(store.MS(from)), to: rollup.Day(store.MS(q.End) + rollup.MsPerDay - 1),
		linear: mark.linear}
	if pr {
		d.prEpoch, d.prGen = mark.pr.epoch, mark.pr.gen
	}
	if issues {
		d.issuesEpoch, d.issuesGen = mark.issues.epoch, mark.issues.gen
	}
	return d
}

// CacheStats counts the result cache's lookups since the service started:
// Misses computed an answer, Hits did not (a request that waited for an
// identical one computing counts as a hit). Every metric a page or an
// endpoint asks for is a lookup of its own. Carried counts the answers kept
// across data versions (resultCache.adopt).
type CacheStats struct{ Hits, Misses, Carried int64 }

// CacheStats returns the result cache's counts.
func (s *Service) CacheStats() CacheStats {
	if s.cache == nil {
		return CacheStats{}
	}
	return CacheStats{Hits: s.cache.hits.Load(), Misses: s.cache.misses.Load(), Carried: s.cache.carried.Load()}
}

func newResultCache() *resultCache { return &resultCache{entries: map[string]cacheEntry{}} }

func (c *resultCache) get(key, version string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		return nil, false
	}
	e, ok := c.entries[key]
	return e.value, ok
}

// holds reports whether the cache's entries are of version.
func (c *resultCache) holds(version string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version == version
}

// adopt moves the cache to version, read at seen, whose rollups are mark
// and whose tables' change counters are gens (tableGens; nil when they
// could not be read): it keeps the answers read from rollup days that no
// derive has rebuilt since they were read, and from tables whose change
// counters have not moved since the cache's version was adopted, and drops
// the others. (The
// counters the cache holds were read before any answer of its version was
// computed: equal ones now mean that no answer of it read a table other
// than it is now.) A version read earlier than the cache's is ignored: the
// data only moves on, so no one asks for an older version's answers again.
func (c *resultCache) adopt(version string, seen time.Time, mark rollupMark, gens map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version == c.version || seen.Before(c.seen) {
		return
	}
	prReloads, issueReloads := mark.pr.reloads(), mark.issues.reloads()
	keep := func(d rollupDeps) bool {
		if !d.pr && !d.issues && d.tables == 0 || d.linear != mark.linear {
			return false
		}
		if d.tables != 0 && !d.tables.unchanged(c.gens, gens) {
			return false
		}
		if d.pr && (mark.pr == nil || mark.pr.epoch != d.prEpoch || mark.pr.gen < d.prGen || changedIn(prReloads, d.prGen, d.from, d.to)) {
			return false
		}
		return !d.issues || mark.issues != nil && mark.issues.epoch == d.issuesEpoch && mark.issues.gen >= d.issuesGen &&
			!changedIn(issueReloads, d.issuesGen, d.from, d.to)
	}
	order := c.order[:0]
	for _, key := range c.order {
		if keep(c.entries[key].deps) {
			order = append(order, key)
		} else {
			delete(c.entries, key)
		}
	}
	clear(c.order[len(order):])
	c.order = order
	c.carried.Add(int64(len(order)))
	c.version, c.seen, c.gens = version, seen, gens
}

// put keeps v, computed from the data version version, which read what
// deps says. An answer of another version than the cache's is dropped
// (adopt moves the cache to a newer version before an answer of it is
// put).
func (c *resultCache) put(key, version string, v any, deps rollupDeps) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		return
	}
	if _, ok := c.entries[key]; !ok {
		c.order = append(c.order, key)
		if len(c.order) > cacheSize {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.entries[key] = cacheEntry{v, deps}
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
	return cachedFrom(ctx, s, name, q, extra, rollupDeps{}, fn)
}

// cachedRollup is cached for an answer that, once the rollups are built,
// reads nothing but the PR rollup (pr) and the issue rollup (issues) over
// q's days (depsOf), and whether Linear counts as configured: it may be
// carried over to newer data versions (resultCache.adopt). Before the
// rollups are built the answer reads the facts instead, but no mark is
// taken then, so nothing is carried.
func cachedRollup[T any](ctx context.Context, s *Service, name string, q Query, extra string, pr, issues bool, fn func() (T, error)) (T, error) {
	return cachedFrom(ctx, s, name, q, extra, rollupDeps{pr: pr, issues: issues}, fn)
}

// cachedTables is cached for an answer that reads nothing but the tables in
// tables, all of them followed by a change counter: it may be carried over
// to newer data versions that moved none of those counters
// (resultCache.adopt).
func cachedTables[T any](ctx context.Context, s *Service, name string, q Query, extra string, tables tableSet, fn func() (T, error)) (T, error) {
	return cachedFrom(ctx, s, name, q, extra, rollupDeps{tables: tables}, fn)
}

func cachedFrom[T any](ctx context.Context, s *Service, name string, q Query, extra string, deps rollupDeps, fn func() (T, error)) (T, error) {
	if s.cache == nil {
		return fn()
	}
	version, seen, err := s.dataVersionSeen(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	if !s.cache.holds(version) {
		s.cache.adopt(version, seen, s.markRollups(ctx), s.tableGens(ctx))
	}
	key := name + "|" + q.key() + "|" + extra
	if v, ok := s.cache.get(key, version); ok {
		s.cache.hits.Add(1)
		return v.(T), nil
	}
	// The rollups' state, read before computing: the snapshots an answer
	// reads are never older than those it records.
	var mark rollupMark
	if deps.pr || deps.issues || deps.tables != 0 {
		mark = s.markRollups(ctx)
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
		if deps.pr || deps.issues || deps.tables != 0 {
			deps = depsOf(q, deps.pr, deps.issues, deps.tables, mark)
		}
		s.cache.put(key, version, v, deps)
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
