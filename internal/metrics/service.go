package metrics

import (
	"context"
	"database/sql"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/veelocity/veelocity/internal/memo"
	"github.com/veelocity/veelocity/internal/store"
)

// Service computes metrics over a store.
type Service struct {
	st *store.Store
	// linearKey reports whether LINEAR_API_KEY is set; Linear also counts
	// as configured when Linear data is present (the demo dataset).
	linearKey bool
	cache     *resultCache
	// flight makes simultaneous identical cache misses compute once.
	flight singleflight.Group
	// noRollup makes the PR metrics read pr_facts even when the rollup is
	// built, for the tests that compare the two.
	noRollup bool
	// rollups holds the PR rollup in memory (mirror.go); noMirror makes
	// the metrics read it from the database instead, for the tests that
	// compare the two.
	rollups   tableMirror[mirrorRow]
	issues    tableMirror[issueRow]
	deps      depMirror // deployments_mirror.go
	incidents incMirror // teams_incidents.go
	noMirror  bool
}

// New returns a Service. linearConfigured is whether LINEAR_API_KEY is set.
func New(st *store.Store, linearConfigured bool) *Service {
	s := &Service{st: st, linearKey: linearConfigured, cache: newResultCache()}
	s.rollups.spec, s.issues.spec = prMirrorSpec, issueMirrorSpec
	return s
}

// filter builds the WHERE clause shared by the fact queries: a range on
// column, then the repo and author filters when the query has them.
type filter struct {
	where []string
	args  []any
}

func (f *filter) add(cond string, args ...any) {
	// Conditions use ? for their arguments; number them here.
	for _, a := range args {
		f.args = append(f.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(f.args)), 1)
	}
	f.where = append(f.where, cond)
}

func (f *filter) sql() string { return strings.Join(f.where, " AND ") }

// rangeFilter filters column to [q.Start, q.End).
func rangeFilter(column string, q Query) *filter {
	f := &filter{}
	f.add(column+" >= ? AND "+column+" < ?", store.MS(q.Start), store.MS(q.End))
	return f
}

// prFilter filters pr_facts (alias f) to q's range on column and to its
// repo and author.
func prFilter(column string, q Query) *filter {
	f := rangeFilter(column, q)
	if q.RepoID != 0 {
		f.add("f.repo_id = ?", q.RepoID)
	}
	if q.Author != "" {
		f.add("lower(f.author_login) = ?", strings.ToLower(q.Author))
	}
	addTeamPRs(f, q)
	return f
}

// scanInts runs a query whose columns are all nullable integers, calling fn
// with each row (0 for NULL, and a validity mask).
func (s *Service) scanRows(ctx context.Context, query string, args []any, cols int, fn func(v []sql.NullInt64)) error {
	rows, err := s.st.DB().QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]sql.NullInt64, cols)
	ptrs := make([]any, cols)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		fn(vals)
	}
	return rows.Err()
}

// maxSlices bounds how many slices scanSlices splits a range into.
const maxSlices = 4

// scanSlices runs a range query over slices of q's range at once, one per
// CPU, for the large scans: build returns the SQL and arguments for a slice
// (a Query with a narrower Start and End), and fn receives each row with its
// slice's index, so each slice can fill accumulators of its own. It returns
// the number of slices.
func (s *Service) scanSlices(ctx context.Context, q Query, cols int, build func(part Query) (string, []any),
	fn func(part int, v []sql.NullInt64)) (int, error) {
	k := max(1, min(runtime.NumCPU(), maxSlices))
	span := q.End.Sub(q.Start)
	fns := make([]func(context.Context) error, k)
	for i := range k {
		part := q
		part.Start = q.Start.Add(span * time.Duration(i) / time.Duration(k))
		part.End = q.Start.Add(span * time.Duration(i+1) / time.Duration(k))
		query, args := build(part)
		fns[i] = func(ctx context.Context) error {
			return s.scanRows(ctx, query, args, cols, func(v []sql.NullInt64) { fn(i, v) })
		}
	}
	return k, parallel(ctx, fns...)
}

// appState reads an app_state value, once per request (package memo).
func (s *Service) appState(ctx context.Context, key string) (string, bool, error) {
	type value struct {
		v  string
		ok bool
	}
	got, err := memo.Do(ctx, "app_state:"+key, func() (value, error) {
		v, ok, err := s.st.AppState(ctx, key)
		return value{v, ok}, err
	})
	return got.v, got.ok, err
}

// count runs a count query.
func (s *Service) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := s.st.DB().QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// parallel runs fns at once and returns the first error; the first to
// fail cancels the context the others run with.
func parallel(ctx context.Context, fns ...func(context.Context) error) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, fn := range fns {
		g.Go(func() error { return fn(ctx) })
	}
	return g.Wait()
}
