package metrics

import (
	"context"
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
	keepCycle, keepDone := getIDSet(), getIDSet()
	defer putIDSet(keepCycle)
	defer putIDSet(keepDone)
	filtered := q.RepoID != 0 || q.Author != ""
	if filtered {
		if err := s.issueFilterSets(ctx, both, from, to, keepCycle, keepDone); err != nil {
			return nil, nil, err
		}
	}
	type cell struct {
		author      string
		cycle, done []int64
		times       []int64
	}
	var cells [2][]cell // previous range, range
	err = s.eachIssueCell(ctx, from, to, authorCellSQL, nil, (*issueRow).authorCell,
		func(day int64, r *issueRow) error {
			l, err := r.linkedIssues()
			if err != nil {
				return err
			}
			c := cell{author: r.author, cycle: l.cycleIDs, times: l.cycleTimes, done: l.doneIDs}
			i := 1
			if day < split {
				i = 0
			}
			cells[i] = append(cells[i], c)
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	var out [2]*teamIssueData
	for i, cs := range cells {
		d := &teamIssueData{cycles: map[string][]int64{}, sums: map[string]int64{}, done: map[string]int{}}
		// The issues in more than one cell.
		onceC, twiceC, onceD, twiceD := getIDSet(), getIDSet(), getIDSet(), getIDSet()
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
		// Without filters, each author's values go into a slice of the
		// size of the author's cells: appending cell by cell regrew them
		// and was a tenth of a loaded serve's allocations. (With filters
		// most are left out.)
		if !filtered {
			sizes := map[string]int{}
			for _, c := range cs {
				sizes[c.author] += len(c.cycle)
			}
			for a, n := range sizes {
				d.cycles[a] = make([]int64, 0, n)
			}
		}
		sharedC, sharedD := map[int64]*sharedIssue{}, map[int64]*sharedIssue{}
		for _, c := range cs {
			// The author's entries, looked up once per cell.
			vals, sum, done := d.cycles[c.author], d.sums[c.author], d.done[c.author]
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
					vals = append(vals, c.times[j])
					sum += c.times[j]
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
					done++
				}
			}
			if len(vals) > 0 {
				d.cycles[c.author], d.sums[c.author] = vals, sum
			}
			if done > 0 {
				d.done[c.author] = done
			}
		}
		for a, v := range d.cycles {
			if len(v) == 0 {
				delete(d.cycles, a) // no value of its own (left out, or shared): no entry, as before
				continue
			}
			sortValues(v)
		}
		for _, si := range sharedC {
			d.sharedCycles = append(d.sharedCycles, *si)
		}
		for _, si := range sharedD {
			d.sharedDone = append(d.sharedDone, *si)
		}
		for _, set := range []*idSet{onceC, twiceC, onceD, twiceD} {
			putIDSet(set)
		}
		out[i] = d
	}
	return out[0], out[1], nil
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
	sortValues(shared)
	set.add(shared, sum)
	for _, si := range d.sharedDone {
		if anyMember(si.authors, members) {
			done++
		}
	}
	return &DurationMetric{Count: set.n, Durations: set.summary()}, done
}
