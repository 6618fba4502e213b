package metrics

import (
	"context"
	"slices"

	"github.com/veelocity/veelocity/internal/rollup"
)

// The Teams page's cycle time and issues completed, from the issue rollup
// read once for every team. A team counts an issue once when any member
// authored one of its merged linked PRs (METRICS.md, Teams), so the
// per-author cells overlap. Most issues are in one author's cell only:
// their values are kept per author, sorted, and a team's are the union of
// its members' (a sortedSet). The issues in several authors' cells are
// kept apart with their authors, and a team takes each of them once.

// teamIssueData is the issue rollup's part of one range, for all teams.
type teamIssueData struct {
	// cycles are, per author, the sorted cycle times of the issues in
	// that author's cell only, with their sum; done counts the issues
	// completed in that author's cell only.
	cycles map[string][]int64
	sums   map[string]int64
	done   map[string]int
	// shared are the issues in several authors' cells.
	sharedCycles []sharedIssue
	sharedDone   []sharedIssue
}

type sharedIssue struct {
	value   int64 // the cycle time, for cycles
	authors []string
}

// teamIssueRollup reads the issue rollup's per-author cells over q's range
// and the one before it (both: the two ranges at once, split at day split),
// keeping the issues q's repository and author filters keep.
func (s *Service) teamIssueRollup(ctx context.Context, q, both Query, split int64) (prev, cur *teamIssueData, err error) {
	from, to := dayRange(both)
	// The issues the repository and author filters keep, when there are.
	var keepCycle, keepDone idSet
	filtered := q.RepoID != 0 || q.Author != ""
	if filtered {
		repo, author := issueCell(q)
		err := s.scanIssueCells(ctx, `/* metrics.teamsIssueFilter */ SELECT day, author, cycle_ids, NULL, done_ids FROM issue_rollup
			WHERE repo_id = $1 AND author = $2 AND day >= $3 AND day < $4`, []any{repo, author, from, to},
			func(_ int64, _ string, cycle, _, done []int64) {
				for _, id := range cycle {
					keepCycle.add(id)
				}
				for _, id := range done {
					keepDone.add(id)
				}
			})
		if err != nil {
			return nil, nil, err
		}
	}
	type cell struct {
		author      string
		cycle, done []int64
		times       []int64
	}
	var cells [2][]cell // previous range, range
	err = s.scanIssueCells(ctx, `/* metrics.teamsIssueRollup */ SELECT day, author, cycle_ids, cycle_times, done_merged_ids FROM issue_rollup
		WHERE repo_id = 0 AND author <> '' AND day >= $1 AND day < $2`, []any{from, to},
		func(day int64, author string, cycle, times, done []int64) {
			i := 1
			if day < split {
				i = 0
			}
			cells[i] = append(cells[i], cell{author, slices.Clone(cycle), slices.Clone(done), slices.Clone(times)})
		})
	if err != nil {
		return nil, nil, err
	}
	var out [2]*teamIssueData
	for i, cs := range cells {
		d := &teamIssueData{cycles: map[string][]int64{}, sums: map[string]int64{}, done: map[string]int{}}
		// The issues in more than one cell.
		var onceC, twiceC, onceD, twiceD idSet
		for _, c := range cs {
			for _, id := range c.cycle {
				if (!filtered || keepCycle.has(id)) && !onceC.add(id) {
					twiceC.add(id)
				}
			}
			for _, id := range c.done {
				if (!filtered || keepDone.has(id)) && !onceD.add(id) {
					twiceD.add(id)
				}
			}
		}
		sharedC, sharedD := map[int64]*sharedIssue{}, map[int64]*sharedIssue{}
		for _, c := range cs {
			for j, id := range c.cycle {
				switch {
				case filtered && !keepCycle.has(id):
				case twiceC.has(id):
					si := sharedC[id]
					if si == nil {
						si = &sharedIssue{value: c.times[j]}
						sharedC[id] = si
					}
					si.authors = append(si.authors, c.author)
				default:
					d.cycles[c.author] = append(d.cycles[c.author], c.times[j])
					d.sums[c.author] += c.times[j]
				}
			}
			for _, id := range c.done {
				switch {
				case filtered && !keepDone.has(id):
				case twiceD.has(id):
					si := sharedD[id]
					if si == nil {
						si = &sharedIssue{}
						sharedD[id] = si
					}
					si.authors = append(si.authors, c.author)
				default:
					d.done[c.author]++
				}
			}
		}
		for _, v := range d.cycles {
			slices.Sort(v)
		}
		for _, si := range sharedC {
			d.sharedCycles = append(d.sharedCycles, *si)
		}
		for _, si := range sharedD {
			d.sharedDone = append(d.sharedDone, *si)
		}
		out[i] = d
	}
	return out[0], out[1], nil
}

// scanIssueCells reads issue_rollup rows (day, author, then three id or
// value lists: ids, cycle times, ids; NULL for none) and calls fn with each,
// decoded; the slices are reused after fn returns.
func (s *Service) scanIssueCells(ctx context.Context, query string, args []any, fn func(day int64, author string, a, times, b []int64)) error {
	rows, err := s.st.DB().QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var day int64
	var author string
	var ab, tb, bb []byte
	var a, t, b []int64
	for rows.Next() {
		if err := rows.Scan(&day, &author, &ab, &tb, &bb); err != nil {
			return err
		}
		if a, err = rollup.DecodeIDs(a[:0], ab); err != nil {
			return err
		}
		if t, _, err = rollup.DecodeList(t[:0], tb); err != nil {
			return err
		}
		if b, err = rollup.DecodeIDs(b[:0], bb); err != nil {
			return err
		}
		if len(tb) > 0 && len(t) != len(a) {
			return rollup.ErrCorrupt
		}
		fn(day, author, a, t, b)
	}
	return rows.Err()
}

// team returns the cycle time and the issues completed of the team whose
// members (lower case, each once) are given.
func (d *teamIssueData) team(members map[string]bool) (*DurationMetric, int) {
	var set sortedSet
	done := 0
	for m := range members {
		set.add(d.cycles[m], d.sums[m])
		done += d.done[m]
	}
	var shared []int64
	var sum int64
	for _, si := range d.sharedCycles {
		if anyMember(si.authors, members) {
			shared = append(shared, si.value)
			sum += si.value
		}
	}
	slices.Sort(shared)
	set.add(shared, sum)
	for _, si := range d.sharedDone {
		if anyMember(si.authors, members) {
			done++
		}
	}
	return &DurationMetric{Count: set.n, Durations: set.summary()}, done
}
