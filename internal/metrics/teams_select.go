package metrics

import (
	"math"
)

// teamSummary is a team's population of one of teamPops: its count and
// summary.
type teamSummary struct {
	n int
	d Durations
}

// selectTeams summarizes population i of teamPops for each team, over the
// values of its members among authors, without merging or sorting them:
// each author's values are counted once into bins (equal slices of every
// author's span), a team's counts are the sum of its members', which give
// the bins holding its ranks; one more pass over each author's values
// gathers the bins any team needs, and each team selects its ranks within
// its members' share of them. Authors belong to several teams (ten, at the
// bench's 24 teams): selecting each team across its members' values would
// pass over an author's values once per team, and sorting each author's
// values first took a quarter of the Teams page's time.
func selectTeams(authors map[string]*teamAuthor, i int, teams []*TeamScope) map[*TeamScope]teamSummary {
	out := make(map[*TeamScope]teamSummary, len(teams))
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, a := range authors {
		for _, v := range a.raw[i] {
			lo, hi = min(lo, v[0]), max(hi, v[len(v)-1]) // sorted: its ends bound it
		}
	}
	type team struct {
		t       *TeamScope
		members []*teamAuthor
		n       int
		sum     int64
		ranks   []int
		sel     binSelection
	}
	var ts []*team
	for _, t := range teams {
		tm := &team{t: t}
		member, _ := teamMembers(t)
		for login := range member {
			if a := authors[login]; a != nil && a.n[i] > 0 {
				tm.members = append(tm.members, a)
				tm.n += a.n[i]
				tm.sum += a.sums[i]
			}
		}
		out[t] = teamSummary{}
		if tm.n > 0 {
			ts = append(ts, tm)
		}
	}
	if len(ts) == 0 {
		return out
	}
	bn, ok := newBinner(lo, hi)
	if !ok { // every value is lo
		for _, tm := range ts {
			out[tm.t] = teamSummary{tm.n, durationsOf(tm.n, tm.sum, constantAt(len(summaryPs), lo))}
		}
		return out
	}
	counts := map[*teamAuthor]*[binWidth]int32{}
	var odd [binWidth]int32
	for _, a := range authors {
		if a.n[i] == 0 {
			continue
		}
		c := new([binWidth]int32)
		for _, v := range a.raw[i] {
			bn.count(c, &odd, v)
		}
		for b, n := range odd {
			c[b] += n
		}
		clear(odd[:])
		counts[a] = c
	}
	// Each team's bins, and every team's together: wanted[bin] is 1 + the
	// bin's place in an author's gathered values.
	var wanted [binWidth]uint16
	nw, first, last := 0, binWidth, -1
	for _, tm := range ts {
		var tc [binWidth]int
		for _, a := range tm.members {
			for b, n := range counts[a] {
				tc[b] += int(n)
			}
		}
		tm.ranks = ranksOf(tm.n, summaryPs)
		tm.sel = newBinSelection(tm.ranks, func(b int) int { return tc[b&(binWidth-1)] })
		for b := range tm.sel.slot {
			if wanted[b] == 0 {
				nw++
				wanted[b] = uint16(nw)
				first, last = min(first, b), max(last, b)
			}
		}
	}
	gathered := map[*teamAuthor][][]int64{}
	for a := range counts {
		g := make([][]int64, nw)
		// Each array is sorted: the wanted bins' values are one run of it.
		for _, v := range a.raw[i] {
			for _, x := range v[bn.firstIn(v, first):] {
				bin := bn.bin(x)
				if bin > last {
					break
				}
				if k := wanted[bin]; k != 0 {
					g[k-1] = append(g[k-1], x)
				}
			}
		}
		gathered[a] = g
	}
	for _, tm := range ts {
		for b, j := range tm.sel.slot {
			for _, a := range tm.members {
				tm.sel.gathered[j] = append(tm.sel.gathered[j], gathered[a][wanted[b]-1]...)
			}
		}
		at := map[int]int64{}
		tm.sel.pick(tm.ranks, at)
		out[tm.t] = teamSummary{tm.n, durationsOf(tm.n, tm.sum, interpolate(tm.n, at, summaryPs))}
	}
	return out
}
