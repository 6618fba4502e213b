package metrics

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/store"
)

// Cycle time, issues_completed and the developers table's issues read the
// issue rollup (internal/rollup/issues.go) once the derive step has built
// it, and linear_issues before that, by the same rules: the tests answer
// both ways and compare.

// issueRollupReady reports whether the issue rollup is complete.
func (s *Service) issueRollupReady(ctx context.Context) (bool, error) {
	return s.rollupBuilt(ctx, rollup.IssuesBuiltKey)
}

// issueRolled is what the issue rollup holds for a query: the cycle-time
// population by cycle-end bucket and the issues completed per bucket.
type issueRolled struct {
	cycle rolledPop
	done  []int
}

// issueCell is the cell q's repository and author filters read: repository
// 0 is every repository, author ” everyone.
func issueCell(q Query) (int64, string) {
	return q.RepoID, strings.ToLower(q.Author)
}

func dayRange(q Query) (int64, int64) {
	return rollup.Day(store.MS(q.Start)), rollup.Day(store.MS(q.End))
}

// readIssueRollup reads the cycle-time population (when cycle) and the
// issues completed (when done) over q, bucketed by q's period.
func (s *Service) readIssueRollup(ctx context.Context, q Query, cycle, done bool) (*issueRolled, error) {
	ser := newSeries(q)
	r := &issueRolled{cycle: *newRolledPop(len(ser.dates)), done: make([]int, len(ser.dates))}
	if q.Team != nil {
		return r, s.readIssueRollupTeam(ctx, q, ser, r, cycle, done)
	}
	repo, author := issueCell(q)
	from, to := dayRange(q)
	// The rows come in any order (see readRollup): their cycle times are
	// gathered, then put in bucket order.
	type segment struct {
		times  *issueTimes
		bucket int
	}
	var segs []segment
	err := s.eachIssueCell(ctx, from, to, "repo_id = $3 AND author = $4", []any{repo, author},
		func(r *issueRow) bool { return r.repo == repo && r.author == author },
		func(day int64, row *issueRow) error {
			b := ser.slot(day * rollup.MsPerDay)
			if b < 0 {
				return nil
			}
			r.done[b] += row.done
			if cycle && len(row.cycleTimes) > 0 {
				t, err := row.cycleTimesOf()
				if err != nil {
					return err
				}
				segs = append(segs, segment{t, b})
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	inBucketOrder(segs, func(sg segment) int { return sg.bucket })
	p := &r.cycle
	p.parts = make([][]int64, 0, len(segs))
	for _, sg := range segs {
		// A list is in no order: its bounds are the ones decoding found.
		p.addWithin(sg.bucket, sg.times.vals, sg.times.sum, sg.times.min, sg.times.max)
	}
	return r, nil
}

// eachIssueCell calls fn with each issue_rollup row of the days [from, to)
// that match keeps, from the mirror when it holds the issue rollup, and
// otherwise from the database, where where (its arguments numbered from
// $3) selects the same rows. fn may keep the row.
func (s *Service) eachIssueCell(ctx context.Context, from, to int64, where string, args []any, match func(*issueRow) bool,
	fn func(day int64, r *issueRow) error) error {
	m, err := s.issueMirror(ctx)
	if err != nil {
		return err
	}
	if m != nil {
		for day := from; day < to; day++ {
			for _, r := range m.rows(day) {
				if match(r) {
					if err := fn(day, r); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	rows, err := s.st.DB().QueryContext(ctx, `/* metrics.issueRollup */ SELECT day, `+issueMirrorSpec.cols+` FROM issue_rollup
		WHERE day >= $1 AND day < $2 AND `+where, append([]any{from, to}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		day, r, err := issueMirrorSpec.scan(rows)
		if err != nil {
			return err
		}
		if err := fn(day, r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// addList appends vals, values of bucket b in any order: buckets must come
// in order.
func (p *rolledPop) addList(b int, vals []int64) {
	if len(vals) == 0 {
		return
	}
	var sum int64
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		sum += v
		lo, hi = min(lo, v), max(hi, v)
	}
	p.addWithin(b, vals, sum, lo, hi)
}

// inBucketOrder sorts s by bucket, keeping the order within one, unless it
// is in that order already: the mirror's rows come day by day, the
// database's in any order.
func inBucketOrder[S any](s []S, bucket func(S) int) {
	byBucket := func(a, b S) int { return bucket(a) - bucket(b) }
	if !slices.IsSortedFunc(s, byBucket) {
		slices.SortStableFunc(s, byBucket)
	}
}

// idSet is a set of issue ids.
type idSet []uint64

// idSets holds empty sets between requests: a set of a year's issues is
// tens of kilobytes, and growing them anew was a twentieth of a loaded
// serve's allocations.
var idSets = sync.Pool{New: func() any { return new(idSet) }}

// getIDSet returns an empty set, to be given back with putIDSet.
func getIDSet() *idSet { return idSets.Get().(*idSet) }

// putIDSet empties s and gives it back: it must not be used after.
func putIDSet(s *idSet) {
	clear(*s)
	idSets.Put(s)
}

func (s *idSet) add(id int64) bool {
	w := int(id >> 6)
	if w >= len(*s) {
		*s = append(*s, make([]uint64, w-len(*s)+1)...)
	}
	bit := uint64(1) << (id & 63)
	if (*s)[w]&bit != 0 {
		return false
	}
	(*s)[w] |= bit
	return true
}

func (s idSet) has(id int64) bool {
	w := int(id >> 6)
	return w < len(s) && s[w]&(uint64(1)<<(id&63)) != 0
}

// readIssueRollupTeam reads the rollup for a team (METRICS.md, Teams):
// issues with a merged linked PR by a member, each once, intersected with
// those q's repository and author filters keep.
func (s *Service) readIssueRollupTeam(ctx context.Context, q Query, ser *series, r *issueRolled, cycle, done bool) error {
	if len(q.Team.Members) == 0 {
		return nil
	}
	from, to := dayRange(q)
	// The issues the repository and author filters keep, when there are.
	keepCycle, keepDone := getIDSet(), getIDSet()
	defer putIDSet(keepCycle)
	defer putIDSet(keepDone)
	filtered := q.RepoID != 0 || q.Author != ""
	if filtered {
		if err := s.issueFilterSets(ctx, q, from, to, keepCycle, keepDone); err != nil {
			return err
		}
	}
	members := make(map[string]bool, len(q.Team.Members))
	marks := make([]string, len(q.Team.Members))
	args := make([]any, len(q.Team.Members))
	for i, m := range q.Team.Members {
		members[m] = true // lower case, as the cells' authors
		marks[i], args[i] = "$"+strconv.Itoa(i+3), m
	}
	// Every cycle time goes into one slice, each cell's as one run of it.
	var all []int64
	type run struct{ bucket, start, end int }
	var runs []run
	seenCycle, seenDone := getIDSet(), getIDSet()
	defer putIDSet(seenCycle)
	defer putIDSet(seenDone)
	err := s.eachIssueCell(ctx, from, to, "repo_id = 0 AND author IN ("+strings.Join(marks, ", ")+")", args,
		func(r *issueRow) bool { return r.repo == 0 && members[r.author] },
		func(day int64, row *issueRow) error {
			b := ser.slot(day * rollup.MsPerDay)
			if b < 0 {
				return nil
			}
			// Decoded once, and kept by the mirror's row.
			l, err := row.linkedIssues()
			if err != nil {
				return err
			}
			if cycle {
				start := len(all)
				for i, id := range l.cycleIDs {
					if (!filtered || keepCycle.has(id)) && seenCycle.add(id) {
						all = append(all, l.cycleTimes[i])
					}
				}
				if len(all) > start {
					runs = append(runs, run{b, start, len(all)})
				}
			}
			if done {
				for _, id := range l.doneIDs {
					if (!filtered || keepDone.has(id)) && seenDone.add(id) {
						r.done[b]++
					}
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	inBucketOrder(runs, func(rn run) int { return rn.bucket })
	for _, rn := range runs {
		r.cycle.addList(rn.bucket, all[rn.start:rn.end:rn.end])
	}
	return nil
}

// cycleTimeRollup is cycle time from the issue rollup.
func (s *Service) cycleTimeRollup(ctx context.Context, q Query) (*DurationMetric, error) {
	r, err := s.readIssueRollup(ctx, q, true, false)
	if err != nil {
		return nil, err
	}
	p := &r.cycle
	d, data := p.metric(newSeries(q))
	return &DurationMetric{Count: p.n, Durations: d, Data: data}, nil
}

// issuesCompletedRollup is throughput's issues_completed from the issue
// rollup.
func (s *Service) issuesCompletedRollup(ctx context.Context, q Query) (*IssuesCompleted, error) {
	r, err := s.readIssueRollup(ctx, q, false, true)
	if err != nil {
		return nil, err
	}
	ser := newSeries(q)
	ic := &IssuesCompleted{Data: make([]CountPoint, len(ser.dates))}
	for i, n := range r.done {
		ic.Data[i] = CountPoint{Date: ser.date(i), Count: n}
		ic.Total += n
	}
	ic.Average = float64(ic.Total) / float64(len(ic.Data))
	return ic, nil
}

// issuesCompletedByRollup counts, per PR author (lower case), the Linear
// issues completed in q's range that are linked to their PRs (in q's repo,
// when it has one), canceled or not: the developers table's column.
func (s *Service) issuesCompletedByRollup(ctx context.Context, q Query, counts map[string]int) error {
	from, to := dayRange(q)
	author := strings.ToLower(q.Author)
	where, args := "repo_id = $3 AND author <> ''", []any{q.RepoID}
	if author != "" {
		where, args = "repo_id = $3 AND author = $4", []any{q.RepoID, author}
	}
	return s.eachIssueCell(ctx, from, to, where, args,
		func(r *issueRow) bool {
			return r.repo == q.RepoID && r.author != "" && (author == "" || r.author == author)
		},
		func(_ int64, r *issueRow) error {
			counts[r.author] += r.completed
			return nil
		})
}

// issueFilterSets adds to keepCycle and keepDone the issues of the cell
// that q's repository and author filters read, over the days [from, to).
func (s *Service) issueFilterSets(ctx context.Context, q Query, from, to int64, keepCycle, keepDone *idSet) error {
	repo, author := issueCell(q)
	var ids []int64
	return s.eachIssueCell(ctx, from, to, "repo_id = $3 AND author = $4", []any{repo, author},
		func(r *issueRow) bool { return r.repo == repo && r.author == author },
		func(_ int64, r *issueRow) (err error) {
			if ids, err = rollup.DecodeIDs(ids[:0], r.cycleIDs); err != nil {
				return err
			}
			for _, id := range ids {
				keepCycle.add(id)
			}
			if ids, err = rollup.DecodeIDs(ids[:0], r.doneIDs); err != nil {
				return err
			}
			for _, id := range ids {
				keepDone.add(id)
			}
			return nil
		})
}
