package metrics

import (
	"cmp"
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/store"
)

// The PR metrics read the PR rollup (package rollup) once the derive step
// has built it: one row per day, repository and author, with every value of
// the day's populations, so the percentiles stay exact. Before that (a
// database migrated but not yet derived) they read pr_facts, by the same
// rules; the two paths are checked against each other in the tests.

// rollupReady reports whether the PR rollup is complete.
func (s *Service) rollupReady(ctx context.Context) (bool, error) {
	return s.rollupBuilt(ctx, rollup.BuiltKey)
}

// rollupBuilt reports whether the rollup whose app_state key is key is
// complete (and the service may read rollups at all).
func (s *Service) rollupBuilt(ctx context.Context, key string) (bool, error) {
	if s.noRollup {
		return false, nil
	}
	_, ok, err := s.appState(ctx, key)
	return ok, err
}

// rolledPop is one population read from the rollup: its values, bucket
// after bucket, and the end of each bucket's values.
type rolledPop struct {
	vals []int64
	sum  int64
	ends []int
	// bounds holds each bucket's smallest and largest value, and all
	// those of every value, when the read knows them (rollup arrays are
	// sorted: their ends are their bounds).
	bounds []bounds
	all    bounds
}

// boundsOf returns bucket i's bounds, or unknown ones.
func (p *rolledPop) boundsOf(i int) bounds {
	if i < len(p.bounds) {
		return p.bounds[i]
	}
	return bounds{}
}

// bucket returns bucket i's values.
func (p *rolledPop) bucket(i int) []int64 {
	start := 0
	if i > 0 {
		start = p.ends[i-1]
	}
	return p.vals[start:p.ends[i]]
}

// rolled is what a range of the rollup holds.
type rolled struct {
	ser  *series
	pops [rollup.NumPops]*rolledPop
	// merged and undeployed count PRs per bucket, by merge day.
	merged, undeployed []int
}

// rollupFilter restricts pr_rollup to q's days, repository, author and
// team members.
func rollupFilter(q Query) *filter {
	f := &filter{}
	from, to := dayRange(q)
	f.add("day >= ? AND day < ?", from, to)
	if q.RepoID != 0 {
		f.add("repo_id = ?", q.RepoID)
	}
	if q.Author != "" {
		f.add("author = ?", strings.ToLower(q.Author))
	}
	if q.Team != nil {
		if len(q.Team.Members) == 0 {
			f.add("1 = 0")
		} else {
			args := make([]any, len(q.Team.Members))
			marks := make([]string, len(q.Team.Members))
			for i, m := range q.Team.Members {
				args[i], marks[i] = strings.ToLower(m), "?"
			}
			f.add("author IN ("+strings.Join(marks, ", ")+")", args...)
		}
	}
	return f
}

// eachRollupRow calls fn with each pr_rollup row of q's days and filters
// that holds one of pops (every row when pops is empty), from the mirror
// when it holds the rollup and from the database otherwise. fn may keep
// the row: its arrays are never modified.
func (s *Service) eachRollupRow(ctx context.Context, q Query, pops []rollup.Pop, fn func(day int64, r *mirrorRow)) error {
	m, err := s.mirror(ctx)
	if err != nil {
		return err
	}
	from, to := dayRange(q)
	if m != nil {
		match := newRollupMatch(q)
		for day := from; day < to; day++ {
			for _, r := range m.rows(day) {
				if match.ok(r) {
					fn(day, r)
				}
			}
		}
		return nil
	}
	cols := "day, repo_id, author, login, opened, merged, undeployed, reviewed, reviews_given"
	for _, p := range pops {
		cols += ", " + p.Column()
	}
	f := rollupFilter(q)
	// In any order: an ORDER BY had PostgreSQL sort megabytes of arrays
	// (on disk, past work_mem); the callers put the values in order.
	rows, err := s.st.DB().QueryContext(ctx, `/* metrics.rollup */ SELECT `+cols+` FROM pr_rollup WHERE `+f.sql(), f.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := &mirrorRow{}
		var day int64
		dest := []any{&day, &r.repo, &r.author, &r.login, &r.opened, &r.merged, &r.undeployed, &r.reviewed, &r.reviews}
		for _, p := range pops {
			dest = append(dest, &r.pops[p]) // *[]byte: Scan copies
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		// As the mirror holds them (a second decode on this path, which
		// serves only when the mirror cannot).
		if err := r.recode(); err != nil {
			return err
		}
		fn(day, r)
	}
	return rows.Err()
}

// readRollup reads the populations pops over q's range, bucketed by q's
// period.
func (s *Service) readRollup(ctx context.Context, q Query, pops ...rollup.Pop) (*rolled, error) {
	ser := newSeries(q)
	r := &rolled{ser: ser, merged: make([]int, len(ser.dates)), undeployed: make([]int, len(ser.dates))}
	for _, p := range pops {
		r.pops[p] = &rolledPop{ends: make([]int, len(ser.dates))}
	}
	// The arrays are gathered as they come and decoded after, each
	// population in its own goroutine, into slices of the exact size.
	type segment struct {
		blob          []byte
		bucket, count int
	}
	segs := make([][]segment, len(pops))
	err := s.eachRollupRow(ctx, q, pops, func(day int64, row *mirrorRow) {
		b := ser.slot(day * rollup.MsPerDay)
		if b < 0 {
			return
		}
		r.merged[b] += row.merged
		r.undeployed[b] += row.undeployed
		for i, p := range pops {
			if len(row.pops[p]) > 0 {
				segs[i] = append(segs[i], segment{row.pops[p], b, row.count(p)})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	fns := make([]func(context.Context) error, len(pops))
	for i, p := range pops {
		fns[i] = func(context.Context) error {
			rp := r.pops[p]
			n := 0
			for _, sg := range segs[i] {
				n += sg.count
			}
			rp.vals = getValues(n)
			rp.bounds = make([]bounds, len(rp.ends))
			slices.SortStableFunc(segs[i], func(a, b segment) int { return a.bucket - b.bucket })
			for _, sg := range segs[i] {
				var sum int64
				var err error
				if rp.vals, sum, err = decodeBounded(rp.vals, sg.blob, &rp.bounds[sg.bucket], &rp.all); err != nil {
					return err
				}
				rp.sum += sum
				rp.ends[sg.bucket] = len(rp.vals)
			}
			return nil
		}
	}
	if err := parallel(ctx, fns...); err != nil {
		return nil, err
	}
	// Each bucket's values are contiguous; a bucket without rows ends
	// where the one before it does.
	for _, p := range pops {
		rp := r.pops[p]
		for i := range rp.ends {
			if i > 0 && rp.ends[i] < rp.ends[i-1] {
				rp.ends[i] = rp.ends[i-1]
			}
		}
	}
	return r, nil
}

// decodeBounded appends the values of the fixed-width array blob to dst,
// returns them with their sum, and widens each of bs to cover them: a
// rollup array is sorted (rollup.Encode), so its ends bound it.
func decodeBounded(dst []int64, blob []byte, bs ...*bounds) ([]int64, int64, error) {
	start := len(dst)
	dst, sum, err := rollup.DecodeFixedAppend(dst, blob)
	if err != nil || len(dst) == start {
		return dst, sum, err
	}
	lo, hi := dst[start], dst[len(dst)-1]
	if lo > hi {
		return dst, 0, rollup.ErrCorrupt
	}
	for _, b := range bs {
		b.widen(lo, hi)
	}
	return dst, sum, nil
}

// Pools of the slices a rollup read decodes into, which are large (up to a
// few megabytes per population) and short-lived: one pool per power of two
// of capacity, so that a slice taken fits the next read of about its size
// (a single pool mostly handed back slices too small for the read, which
// then allocated: a fifth of a loaded serve's allocations).
var valuesPools [64]sync.Pool

// getValues returns an empty slice with room for n values.
func getValues(n int) []int64 {
	c := bits.Len(uint(max(n, 1) - 1)) // 1<<c ≥ n
	if v, ok := valuesPools[c].Get().(*[]int64); ok {
		return (*v)[:0]
	}
	return make([]int64, 0, 1<<c)
}

// putValues gives v back to the pools: it must not be used after.
func putValues(v []int64) {
	if cap(v) > 0 {
		c := bits.Len(uint(cap(v))) - 1 // 1<<c ≤ cap(v)
		valuesPools[c].Put(&v)
	}
}

// release returns the values read to the pool: r must not be used after.
func (r *rolled) release() {
	for i, p := range r.pops {
		if p != nil {
			putValues(p.vals)
			r.pops[i] = nil
		}
	}
}

// medianPoints reports each bucket's count and median. It reorders the
// values within each bucket.
func (p *rolledPop) medianPoints(ser *series) []MedianPoint {
	out := make([]MedianPoint, len(ser.dates))
	for i := range out {
		b := p.bucket(i)
		out[i] = MedianPoint{Date: ser.date(i), Count: len(b), MedianHours: medianHoursWithin(b, p.boundsOf(i))}
	}
	return out
}

// durationMetric is a duration population's metric (review, merge time).
func (r *rolled) durationMetric(p rollup.Pop) *DurationMetric {
	rp := r.pops[p]
	data := rp.medianPoints(r.ser)
	m := &DurationMetric{Count: len(rp.vals), Durations: summarizeWithin(rp.vals, rp.sum, rp.all), Data: data}
	r.release()
	return m
}

// leadTimeRollup computes the lead time and its per-bucket series from one
// read of the rollup.
func (s *Service) leadTimeRollup(ctx context.Context, q Query) (*leadTimeBoth, error) {
	r, err := s.readRollup(ctx, q, rollup.LeadTimes, rollup.CodingTimes, rollup.PickupTimes, rollup.ReviewPhaseTimes, rollup.DeployTimes)
	if err != nil {
		return nil, err
	}
	return r.leadTime(ctx)
}

// leadTime computes the lead time and its series from a read of the rollup
// that holds the lead-time populations, and releases r.
func (r *rolled) leadTime(ctx context.Context) (*leadTimeBoth, error) {
	lead := r.pops[rollup.LeadTimes]
	n := len(r.ser.dates)
	out := &leadTimeBoth{series: make([]LeadTimeBucket, n)}
	data := make([]MedianPoint, n)
	// Each population's percentiles, per bucket and over the range, in
	// its own goroutine.
	var all Durations
	phases := [4]rollup.Pop{rollup.CodingTimes, rollup.PickupTimes, rollup.ReviewPhaseTimes, rollup.DeployTimes}
	phaseBuckets := [4][]*float64{}
	phaseAll := [4]*float64{}
	fns := []func(context.Context) error{func(context.Context) error {
		for i := range out.series {
			b := lead.bucket(i)
			var sum int64
			for _, v := range b {
				sum += v
			}
			d := summarizeWithin(b, sum, lead.boundsOf(i))
			data[i] = MedianPoint{Date: r.ser.date(i), Count: len(b), MedianHours: d.MedianHours}
			out.series[i] = LeadTimeBucket{Date: r.ser.date(i), Count: len(b), MedianHours: d.MedianHours, P75Hours: d.P75Hours,
				P90Hours: d.P90Hours}
		}
		all = summarizeWithin(lead.vals, lead.sum, lead.all)
		return nil
	}}
	for j, p := range phases {
		fns = append(fns, func(context.Context) error {
			rp := r.pops[p]
			phaseBuckets[j] = make([]*float64, n)
			for i := range n {
				phaseBuckets[j][i] = medianHoursWithin(rp.bucket(i), rp.boundsOf(i))
			}
			phaseAll[j] = medianHoursWithin(rp.vals, rp.all)
			return nil
		})
	}
	if err := parallel(ctx, fns...); err != nil {
		return nil, err
	}
	for i := range out.series {
		out.series[i].Phases = Phases{CodingHours: phaseBuckets[0][i], PickupHours: phaseBuckets[1][i],
			ReviewHours: phaseBuckets[2][i], DeployHours: phaseBuckets[3][i]}
	}
	undeployed := 0
	for _, n := range r.undeployed {
		undeployed += n
	}
	m := &LeadTime{Data: data, Count: len(lead.vals), Durations: all, UndeployedCount: undeployed,
		Phases: Phases{CodingHours: phaseAll[0], PickupHours: phaseAll[1], ReviewHours: phaseAll[2], DeployHours: phaseAll[3]}}
	m.Tier = tierBelow(m.MedianHours, 24, 168, 720)
	out.lead = m
	r.release()
	return out, nil
}

// authorRow is one author's part of the rollup over a range.
type authorRow struct {
	login                                  string
	opened, merged, reviewed, reviewsGiven int
	merge, sizes, review                   []int64
	// The encoded arrays of merge, sizes and review, as read, and the
	// number of values they hold.
	raw [3][][]byte
	n   [3]int
	// bounds bound merge, sizes and review (see rolledPop.bounds).
	bounds [3]bounds
}

// release gives the author's values back to the pools (getValues): a must
// not be used after.
func (a *authorRow) release() {
	putValues(a.merge)
	putValues(a.sizes)
	putValues(a.review)
	a.merge, a.sizes, a.review = nil, nil, nil
}

// authorPops are the populations of authorRow's merge, sizes and review.
var authorPops = []rollup.Pop{rollup.MergeTimes, rollup.Sizes, rollup.ReviewTimes}

// readAuthors reads the rollup per author over q's range (authors known
// only: a PR whose author account is gone has none).
func (s *Service) readAuthors(ctx context.Context, q Query, values bool) (map[string]*authorRow, error) {
	out := map[string]*authorRow{}
	var pops []rollup.Pop
	if values {
		pops = authorPops
	}
	err := s.eachRollupRow(ctx, q, pops, func(_ int64, r *mirrorRow) {
		if r.author == "" {
			return
		}
		a, ok := out[r.author]
		if !ok {
			a = &authorRow{}
			out[r.author] = a
		}
		if r.login > a.login {
			a.login = r.login
		}
		a.opened += r.opened
		a.merged += r.merged
		a.reviewed += r.reviewed
		a.reviewsGiven += r.reviews
		if values {
			for i, p := range authorPops {
				if b := r.pops[p]; len(b) > 0 {
					a.raw[i] = append(a.raw[i], b)
					a.n[i] += r.count(p)
				}
			}
		}
	})
	if err != nil || !values {
		return out, err
	}
	// The arrays are decoded now: into slices of their exact size, one
	// population per goroutine.
	fns := make([]func(context.Context) error, len(authorPops))
	for i := range fns {
		fns[i] = func(context.Context) error {
			for _, a := range out {
				dst := []*[]int64{&a.merge, &a.sizes, &a.review}[i]
				v := getValues(a.n[i])
				for _, b := range a.raw[i] {
					var err error
					if v, _, err = decodeBounded(v, b, &a.bounds[i]); err != nil {
						return err
					}
				}
				*dst = v
				a.raw[i] = nil
			}
			return nil
		}
	}
	return out, parallel(ctx, fns...)
}

// Authors lists the authors of the PRs merged in q's range (in its
// repository, when it has one), most merges first, at most limit: the
// choices of the dashboard's author filter.
func (s *Service) Authors(ctx context.Context, q Query, limit int) ([]string, error) {
	q.Author, q.Team, q.Trend, q.Period = "", nil, false, Week
	return cachedRollup(ctx, s, "authors", q, fmt.Sprint(limit), true, false, func() ([]string, error) {
		ok, err := s.rollupReady(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return s.st.Authors(ctx, store.TimeSpan{From: q.Start, Until: q.End}, q.RepoID, limit)
		}
		authors, err := s.readAuthors(ctx, q, false)
		if err != nil {
			return nil, err
		}
		type ranked struct {
			login  string
			merged int
		}
		var list []ranked
		for _, a := range authors {
			if a.merged > 0 {
				list = append(list, ranked{a.login, a.merged})
			}
		}
		slices.SortFunc(list, func(a, b ranked) int {
			if c := cmp.Compare(b.merged, a.merged); c != 0 {
				return c
			}
			return strings.Compare(a.login, b.login)
		})
		out := []string{}
		for _, a := range list[:min(limit, len(list))] {
			out = append(out, a.login)
		}
		return out, nil
	})
}
