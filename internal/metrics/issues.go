package metrics

import (
	"context"
	"database/sql"
	"strings"

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
	r := &issueRolled{cycle: rolledPop{ends: make([]int, len(ser.dates))}, done: make([]int, len(ser.dates))}
	if q.Team != nil {
		return r, s.readIssueRollupTeam(ctx, q, ser, r, cycle, done)
	}
	repo, author := issueCell(q)
	from, to := dayRange(q)
	cols := "day, done"
	if cycle {
		cols += ", cycle_times"
	}
	rows, err := s.st.DB().QueryContext(ctx, `/* metrics.issueRollup */ SELECT `+cols+` FROM issue_rollup
		WHERE repo_id = $1 AND author = $2 AND day >= $3 AND day < $4`, repo, author, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var day int64
	var n int
	var blob sql.RawBytes
	dest := []any{&day, &n}
	if cycle {
		dest = append(dest, &blob)
	}
	// In any order (see readRollup): bucket by bucket, then in one slice.
	buckets := make([][]int64, len(ser.dates))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		b := ser.slot(day * rollup.MsPerDay)
		if b < 0 {
			continue
		}
		r.done[b] += n
		if cycle {
			if buckets[b], _, err = rollup.DecodeList(buckets[b], blob); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	r.cycle.fill(buckets)
	return r, nil
}

// fill sets p to the values of buckets, in bucket order.
func (p *rolledPop) fill(buckets [][]int64) {
	n := 0
	for _, vals := range buckets {
		n += len(vals)
	}
	p.vals = make([]int64, 0, n)
	for i, vals := range buckets {
		for _, v := range vals {
			p.sum += v
		}
		p.vals = append(p.vals, vals...)
		p.ends[i] = len(p.vals)
	}
}

// idSet is a set of issue ids.
type idSet []uint64

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
	var keepCycle, keepDone idSet
	filtered := q.RepoID != 0 || q.Author != ""
	if filtered {
		repo, author := issueCell(q)
		rows, err := s.st.DB().QueryContext(ctx, `/* metrics.issueRollupFilter */ SELECT cycle_ids, done_ids FROM issue_rollup
			WHERE repo_id = $1 AND author = $2 AND day >= $3 AND day < $4`, repo, author, from, to)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var c, d sql.RawBytes
			if err := rows.Scan(&c, &d); err != nil {
				rows.Close()
				return err
			}
			if ids, err = rollup.DecodeIDs(ids[:0], c); err != nil {
				rows.Close()
				return err
			}
			for _, id := range ids {
				keepCycle.add(id)
			}
			if ids, err = rollup.DecodeIDs(ids[:0], d); err != nil {
				rows.Close()
				return err
			}
			for _, id := range ids {
				keepDone.add(id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	f := &filter{}
	f.add("repo_id = 0 AND day >= ? AND day < ?", from, to)
	members := make([]any, len(q.Team.Members))
	for i, m := range q.Team.Members {
		members[i] = m // lower case, as the cells' authors
	}
	f.add("author IN ("+placeholders(len(members))+")", members...)
	rows, err := s.st.DB().QueryContext(ctx, `/* metrics.issueRollupTeam */ SELECT day, cycle_ids, cycle_times, done_merged_ids
		FROM issue_rollup WHERE `+f.sql(), f.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	buckets := make([][]int64, len(ser.dates))
	var seenCycle, seenDone idSet
	var ids, times []int64
	for rows.Next() {
		var day int64
		var c, t, d sql.RawBytes
		if err := rows.Scan(&day, &c, &t, &d); err != nil {
			return err
		}
		b := ser.slot(day * rollup.MsPerDay)
		if b < 0 {
			continue
		}
		if cycle {
			if ids, err = rollup.DecodeIDs(ids[:0], c); err != nil {
				return err
			}
			if times, _, err = rollup.DecodeList(times[:0], t); err != nil {
				return err
			}
			if len(ids) != len(times) {
				return rollup.ErrCorrupt
			}
			for i, id := range ids {
				if (!filtered || keepCycle.has(id)) && seenCycle.add(id) {
					buckets[b] = append(buckets[b], times[i])
				}
			}
		}
		if done {
			if ids, err = rollup.DecodeIDs(ids[:0], d); err != nil {
				return err
			}
			for _, id := range ids {
				if (!filtered || keepDone.has(id)) && seenDone.add(id) {
					r.done[b]++
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	r.cycle.fill(buckets)
	return nil
}

// cycleTimeRollup is cycle time from the issue rollup.
func (s *Service) cycleTimeRollup(ctx context.Context, q Query) (*DurationMetric, error) {
	r, err := s.readIssueRollup(ctx, q, true, false)
	if err != nil {
		return nil, err
	}
	p := &r.cycle
	data := p.medianPoints(newSeries(q))
	return &DurationMetric{Count: len(p.vals), Durations: summarize(p.vals, p.sum), Data: data}, nil
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
	f := &filter{}
	f.add("repo_id = ?", q.RepoID)
	if q.Author != "" {
		f.add("author = ?", strings.ToLower(q.Author))
	} else {
		f.add("author <> ''")
	}
	f.add("day >= ? AND day < ?", from, to)
	return s.groupCounts(ctx, `/* metrics.developers.issuesCompletedRollup */ SELECT author, sum(completed) FROM issue_rollup
		WHERE `+f.sql()+` GROUP BY author`, f.args, counts)
}
