package metrics

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
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

// rolledPop is one population read from the rollup: its values as parts,
// bucket after bucket, which are the rollup's own arrays (never modified:
// a read copies no value), and each bucket's count, sum and bounds.
type rolledPop struct {
	parts [][]int64
	// Bucket i's parts are parts[partStarts[i]:partEnds[i]]; counts, sums
	// and bounds are each bucket's number of values, their sum and their
	// smallest and largest value.
	partStarts, partEnds []int
	counts               []int
	sums                 []int64
	bounds               []bounds
	// n, sum and all are those of every value.
	n   int
	sum int64
	all bounds
	// anyOrder is set when a part's values may be in any order
	// (addWithin); otherwise each part is sorted.
	anyOrder bool
}

// newRolledPop returns an empty population of buckets buckets.
func newRolledPop(buckets int) *rolledPop {
	return &rolledPop{partStarts: make([]int, buckets), partEnds: make([]int, buckets), counts: make([]int, buckets),
		sums: make([]int64, buckets), bounds: make([]bounds, buckets)}
}

// add appends part, ascending values of bucket b, with their sum: buckets
// must come in order. Its ends bound it.
func (p *rolledPop) add(b int, part []int64, sum int64) {
	if len(part) > 0 {
		p.addPart(b, part, sum, part[0], part[len(part)-1])
	}
}

// addWithin appends part, values of bucket b in any order, with their sum
// and their smallest and largest: buckets must come in order.
func (p *rolledPop) addWithin(b int, part []int64, sum, lo, hi int64) {
	if len(part) > 0 {
		p.anyOrder = true
		p.addPart(b, part, sum, lo, hi)
	}
}

// addPart appends part, non-empty, whose bounds are lo and hi.
func (p *rolledPop) addPart(b int, part []int64, sum, lo, hi int64) {
	if p.counts[b] == 0 {
		p.partStarts[b] = len(p.parts)
	}
	p.parts = append(p.parts, part)
	p.partEnds[b] = len(p.parts)
	p.counts[b] += len(part)
	p.sums[b] += sum
	p.n += len(part)
	p.sum += sum
	p.bounds[b].widen(lo, hi)
	p.all.widen(lo, hi)
}

// bucket returns bucket i's values.
func (p *rolledPop) bucket(i int) valueSet {
	if p.counts[i] == 0 {
		return valueSet{}
	}
	return valueSet{parts: p.parts[p.partStarts[i]:p.partEnds[i]], n: p.counts[i], sum: p.sums[i], b: p.bounds[i],
		anyOrder: p.anyOrder}
}

// whole returns every value of the population.
func (p *rolledPop) whole() valueSet {
	return valueSet{parts: p.parts, n: p.n, sum: p.sum, b: p.all, anyOrder: p.anyOrder}
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
		var raw [rollup.NumPops][]byte
		dest := []any{&day, &r.repo, &r.author, &r.login, &r.opened, &r.merged, &r.undeployed, &r.reviewed, &r.reviews}
		for _, p := range pops {
			dest = append(dest, (*sql.RawBytes)(&raw[p])) // decoded before the next row
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		// As the mirror holds them.
		if err := r.decode(&raw); err != nil {
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
	// The arrays are gathered as they come, then put in bucket order.
	sp := segmentPool.Get().(*[][]segment)
	defer segmentPool.Put(sp)
	for len(*sp) < len(pops) {
		*sp = append(*sp, nil)
	}
	segs := (*sp)[:len(pops)]
	for i := range segs {
		segs[i] = segs[i][:0]
	}
	// Nothing of a segment outlives the call: the pool keeps no array.
	defer func() {
		for i := range segs {
			clear(segs[i])
		}
	}()
	lastDay, b := int64(math.MinInt64), -1
	err := s.eachRollupRow(ctx, q, pops, func(day int64, row *mirrorRow) {
		if day != lastDay { // rows come day by day
			lastDay, b = day, ser.slot(day*rollup.MsPerDay)
		}
		if b < 0 {
			return
		}
		r.merged[b] += row.merged
		r.undeployed[b] += row.undeployed
		for i, p := range pops {
			if v := row.vals[p]; len(v) > 0 {
				segs[i] = append(segs[i], segment{v, row.sums[p], b})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for i, p := range pops {
		rp := newRolledPop(len(ser.dates))
		rp.parts = make([][]int64, 0, len(segs[i]))
		inBucketOrder(segs[i], func(sg segment) int { return sg.bucket })
		for _, sg := range segs[i] {
			rp.add(sg.bucket, sg.vals, sg.sum)
		}
		r.pops[p] = rp
	}
	return r, nil
}

// segment is one rollup row's array of a population, as readRollup
// gathers them.
type segment struct {
	vals   []int64
	sum    int64
	bucket int
}

// segmentPool holds readRollup's segments between calls: a year's read
// gathers tens of thousands a population, and growing them anew was a
// seventh of a loaded serve's allocations.
var segmentPool = sync.Pool{New: func() any { return new([][]segment) }}

// Pools of the scratch slices sortValues sorts through, which are large (up
// to a few megabytes) and short-lived: one pool per power of two of
// capacity, so that a slice taken fits the next sort of about its size (a
// single pool mostly handed back slices too small, which then allocated).
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

// summaryPs and medianPs are the fractions of a summary (Durations) and of
// a median.
var summaryPs, medianPs = []float64{0.5, 0.75, 0.90}, []float64{0.5}

// durationsOf reports n values summing to sum, whose percentiles at
// summaryPs are ps, as population.summary reports them.
func durationsOf(n int, sum int64, ps []float64) Durations {
	if n == 0 {
		return Durations{}
	}
	return Durations{AverageHours: hours(float64(sum) / float64(n)), MedianHours: hours(ps[0]), P75Hours: hours(ps[1]),
		P90Hours: hours(ps[2])}
}

// metric reports the population's summary and each bucket's count and
// median.
func (p *rolledPop) metric(ser *series) (Durations, []MedianPoint) {
	whole, buckets := p.percentilesAll(summaryPs, medianPs)
	data := make([]MedianPoint, len(ser.dates))
	for i := range data {
		data[i] = MedianPoint{Date: ser.date(i), Count: p.counts[i]}
		if buckets[i] != nil {
			data[i].MedianHours = hours(buckets[i][0])
		}
	}
	return durationsOf(p.n, p.sum, whole), data
}

// durationMetric is a duration population's metric (review, merge time).
func (r *rolled) durationMetric(p rollup.Pop) *DurationMetric {
	rp := r.pops[p]
	d, data := rp.metric(r.ser)
	return &DurationMetric{Count: rp.n, Durations: d, Data: data}
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
// that holds the lead-time populations.
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
		whole, buckets := lead.percentilesAll(summaryPs, summaryPs)
		for i := range out.series {
			d := durationsOf(lead.counts[i], lead.sums[i], buckets[i])
			data[i] = MedianPoint{Date: r.ser.date(i), Count: lead.counts[i], MedianHours: d.MedianHours}
			out.series[i] = LeadTimeBucket{Date: r.ser.date(i), Count: lead.counts[i], MedianHours: d.MedianHours, P75Hours: d.P75Hours,
				P90Hours: d.P90Hours}
		}
		all = durationsOf(lead.n, lead.sum, whole)
		return nil
	}}
	for j, p := range phases {
		fns = append(fns, func(context.Context) error {
			rp := r.pops[p]
			whole, buckets := rp.percentilesAll(medianPs, medianPs)
			phaseBuckets[j] = make([]*float64, n)
			for i, b := range buckets {
				if b != nil {
					phaseBuckets[j][i] = hours(b[0])
				}
			}
			if whole != nil {
				phaseAll[j] = hours(whole[0])
			}
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
	m := &LeadTime{Data: data, Count: lead.n, Durations: all, UndeployedCount: undeployed,
		Phases: Phases{CodingHours: phaseAll[0], PickupHours: phaseAll[1], ReviewHours: phaseAll[2], DeployHours: phaseAll[3]}}
	m.Tier = tierBelow(m.MedianHours, 24, 168, 720)
	out.lead = m
	return out, nil
}

// authorRow is one author's part of the rollup over a range.
type authorRow struct {
	login                                  string
	opened, merged, reviewed, reviewsGiven int
	// pops are the author's values of authorPops: the rows' arrays, as
	// the mirror holds them.
	pops [3]valueSet
}

// authorPops are the populations of authorRow's pops: merge times, sizes
// and review times.
var authorPops = []rollup.Pop{rollup.MergeTimes, rollup.Sizes, rollup.ReviewTimes}

// readAuthors reads the rollup per author over q's range (authors known
// only: a PR whose author account is gone has none), with their values
// when values is set.
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
				a.pops[i].add(r.vals[p], r.sums[p])
			}
		}
	})
	return out, err
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
