package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/store"
)

// The Teams page shows, for every team, the five DORA and four development
// metrics with their trends: what DORA and Development compute for the
// range scoped to each team in turn (METRICS.md, Teams). Asking them once per
// team reads every population twice per team; TeamsTable reads each once for
// all the teams, over the range and the previous one together, and splits
// the rows among the teams in memory by the same rules:
//   - the PR metrics: the rollup rows of the team's members;
//   - deployment frequency, change failure rate and rework rate: the
//     production deployments of the team's repositories;
//   - cycle time and issues_completed: the Linear issues with a merged
//     linked PR by a member.
//
// Recovery time, over a few incidents, is asked per team.

// TeamMetrics is one team's metrics over a range, with trends.
type TeamMetrics struct {
	Slug        string
	DORA        *DORA
	Development *Development
}

// TeamsTable computes, for each team, what DORA and Development compute for
// q with the trend and q.Team set to that team, in the teams' order.
func (s *Service) TeamsTable(ctx context.Context, q Query, teams []*TeamScope) ([]TeamMetrics, error) {
	q.Trend, q.Team = true, nil
	var key strings.Builder
	for _, t := range teams {
		fmt.Fprintf(&key, "%s:%v:%v;", strings.ToLower(t.Slug), t.Members, t.RepoIDs)
	}
	return cached(ctx, s, "teams-table", q, key.String(), func() ([]TeamMetrics, error) {
		ok, err := s.rollupReady(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return s.teamsOneByOne(ctx, q, teams)
		}
		return s.teamsBatched(ctx, q, teams)
	})
}

// teamsOneByOne asks DORA and Development per team: before the rollup is
// built.
func (s *Service) teamsOneByOne(ctx context.Context, q Query, teams []*TeamScope) ([]TeamMetrics, error) {
	out := make([]TeamMetrics, len(teams))
	for i, t := range teams {
		tq := q
		tq.Team = t
		out[i].Slug = t.Slug
		var err error
		if out[i].DORA, err = s.DORA(ctx, tq); err != nil {
			return nil, err
		}
		if out[i].Development, err = s.Development(ctx, tq); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// teamRollRow is one pr_rollup row, decoded.
type teamRollRow struct {
	day                int64
	author             string
	merged, undeployed int
	vals               [rollup.NumPops][]int64
	sums               [rollup.NumPops]int64
}

// teamPops are the rollup populations the Teams page reads.
var teamPops = []rollup.Pop{rollup.MergeTimes, rollup.ReviewTimes, rollup.LeadTimes, rollup.CodingTimes, rollup.PickupTimes,
	rollup.ReviewPhaseTimes, rollup.DeployTimes}

// teamDeployment is a production deployment with its repository.
type teamDeployment struct {
	repo int64
	deployment
}

// teamIssue is a Linear issue with the logins (lower case) of its merged
// linked PRs' authors; at is its cycle end or its completion.
type teamIssue struct {
	at, created int64
	authors     []string
}

// teamsData is what the batched Teams page reads, for one range.
type teamsData struct {
	rows      []*teamRollRow
	deps      []teamDeployment
	cycles    []*teamIssue
	completed []*teamIssue
	// issueRollup is set when the issue rollup is built: cycle time and
	// issues completed are then read from it per team.
	issueRollup bool
}

func (s *Service) teamsBatched(ctx context.Context, q Query, teams []*TeamScope) ([]TeamMetrics, error) {
	prevQ := q.Previous()
	both := q
	both.Start = prevQ.Start
	linear, err := s.linearConfigured(ctx)
	if err != nil {
		return nil, err
	}
	members := map[string]bool{}
	for _, t := range teams {
		for _, m := range t.Members {
			members[m] = true
		}
	}
	// Each read covers both ranges; rows before q.Start are the previous
	// range's.
	issueRollup, err := s.issueRollupReady(ctx)
	if err != nil {
		return nil, err
	}
	cur, prev := teamsData{issueRollup: issueRollup}, teamsData{issueRollup: issueRollup}
	split := store.MS(q.Start)
	err = parallel(ctx, func(ctx context.Context) error {
		rows, err := s.teamRollup(ctx, both, members)
		for _, r := range rows {
			if r.day*rollup.MsPerDay < split {
				prev.rows = append(prev.rows, r)
			} else {
				cur.rows = append(cur.rows, r)
			}
		}
		return err
	}, func(ctx context.Context) error {
		deps, err := s.teamDeployments(ctx, both)
		for _, d := range deps {
			if d.deployedAt < split {
				prev.deps = append(prev.deps, d)
			} else {
				cur.deps = append(cur.deps, d)
			}
		}
		return err
	}, func(ctx context.Context) error {
		if issueRollup {
			return nil
		}
		f := rangeFilter("li.cycle_end_at", both)
		issueFilter(f, both, true)
		issues, err := s.teamIssues(ctx, `/* metrics.teamsCycleTime */ SELECT li.id, li.cycle_end_at, li.created_at, lower(p.author_login)`, f)
		for _, is := range issues {
			if is.at < split {
				prev.cycles = append(prev.cycles, is)
			} else {
				cur.cycles = append(cur.cycles, is)
			}
		}
		return err
	}, func(ctx context.Context) error {
		if !linear || issueRollup {
			return nil
		}
		f := rangeFilter("li.completed_at", both)
		f.add("li.canceled_at IS NULL AND li.state_type NOT IN ('canceled', 'duplicate')")
		issueFilter(f, both, false)
		issues, err := s.teamIssues(ctx, `/* metrics.teamsIssuesCompleted */ SELECT li.id, li.completed_at, 0, lower(p.author_login)`, f)
		for _, is := range issues {
			if is.at < split {
				prev.completed = append(prev.completed, is)
			} else {
				cur.completed = append(cur.completed, is)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]TeamMetrics, len(teams))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxSlices)
	for i, t := range teams {
		g.Go(func() error {
			tq := q
			tq.Team = t
			c, err := s.teamRange(gctx, tq, &cur, linear)
			if err != nil {
				return err
			}
			pq := tq.Previous()
			p, err := s.teamRange(gctx, pq, &prev, linear)
			if err != nil {
				return err
			}
			setDORATrends(c.DORA, p.DORA)
			d, pd := c.Development, p.Development
			d.PRReviewTime.Trend = newTrend(d.PRReviewTime.MedianHours, pd.PRReviewTime.MedianHours, false)
			d.PRMergeTime.Trend = newTrend(d.PRMergeTime.MedianHours, pd.PRMergeTime.MedianHours, false)
			d.CycleTime.Trend = newTrend(d.CycleTime.MedianHours, pd.CycleTime.MedianHours, false)
			d.Throughput.Trend = newTrend(floatPtr(float64(d.Throughput.Total)), floatPtr(float64(pd.Throughput.Total)), true)
			c.Slug = t.Slug
			out[i] = c
			return nil
		})
	}
	return out, g.Wait()
}

// setDORATrends sets the trends of cur against prev, as DORA does.
func setDORATrends(cur, prev *DORA) {
	cur.DeploymentFrequency.Trend = newTrend(&cur.DeploymentFrequency.PerDay, &prev.DeploymentFrequency.PerDay, true)
	cur.LeadTime.Trend = newTrend(cur.LeadTime.MedianHours, prev.LeadTime.MedianHours, false)
	cur.ChangeFailureRate.Trend = newTrend(cur.ChangeFailureRate.Rate, prev.ChangeFailureRate.Rate, false)
	cur.RecoveryTime.Trend = newTrend(cur.RecoveryTime.MedianHours, prev.RecoveryTime.MedianHours, false)
	cur.ReworkRate.Trend = newTrend(cur.ReworkRate.Rate, prev.ReworkRate.Rate, false)
}

// teamRange computes one team's metrics over tq's range (tq.Team set) from
// the range's rows, without trends.
func (s *Service) teamRange(ctx context.Context, tq Query, d *teamsData, linear bool) (TeamMetrics, error) {
	t := tq.Team
	member := make(map[string]bool, len(t.Members))
	for _, m := range t.Members {
		member[m] = true
	}
	repo := make(map[int64]bool, len(t.RepoIDs))
	for _, id := range t.RepoIDs {
		repo[id] = true
	}
	ser := newSeries(tq)

	// The PR metrics: the members' rollup rows, a rolled read per use, as
	// readRollup gathers them (a rolled is released once used).
	rolledOf := func(pops ...rollup.Pop) *rolled {
		n := len(ser.dates)
		r := &rolled{ser: ser, merged: make([]int, n), undeployed: make([]int, n)}
		// The member's rows and their buckets, then each population laid
		// out bucket after bucket in a slice of its exact size.
		type hit struct {
			row *teamRollRow
			b   int
		}
		var hits []hit
		sizes := make([][]int, len(pops))
		for i := range pops {
			sizes[i] = make([]int, n)
		}
		for _, row := range d.rows {
			if !member[row.author] {
				continue
			}
			b := ser.slot(row.day * rollup.MsPerDay)
			if b < 0 {
				continue
			}
			hits = append(hits, hit{row, b})
			r.merged[b] += row.merged
			r.undeployed[b] += row.undeployed
			for i, p := range pops {
				sizes[i][b] += len(row.vals[p])
			}
		}
		for i, p := range pops {
			rp := &rolledPop{ends: make([]int, n)}
			r.pops[p] = rp
			next := make([]int, n) // where bucket b's next value goes
			total := 0
			for b, size := range sizes[i] {
				next[b] = total
				total += size
				rp.ends[b] = total
			}
			rp.vals = make([]int64, total)
			for _, h := range hits {
				next[h.b] += copy(rp.vals[next[h.b]:], h.row.vals[p])
				rp.sum += h.row.sums[p]
			}
		}
		return r
	}
	var deps []deployment
	for _, dp := range d.deps {
		if repo[dp.repo] {
			deps = append(deps, dp.deployment)
		}
	}
	m := TeamMetrics{DORA: &DORA{}, Development: &Development{}}
	var err error
	if m.DORA.DeploymentFrequency, err = s.deploymentFrequency(ctx, tq, deps); err != nil {
		return m, err
	}
	if m.DORA.RecoveryTime, err = s.recoveryTime(ctx, tq); err != nil {
		return m, err
	}
	both, err := rolledOf(rollup.LeadTimes, rollup.CodingTimes, rollup.PickupTimes, rollup.ReviewPhaseTimes, rollup.DeployTimes).leadTime(ctx)
	if err != nil {
		return m, err
	}
	lead := *both.lead
	m.DORA.LeadTime = &lead
	m.DORA.ChangeFailureRate = changeFailureRate(tq, deps)
	m.DORA.ReworkRate = reworkRate(tq, deps)

	dev := m.Development
	dev.PRReviewTime = rolledOf(rollup.ReviewTimes).durationMetric(rollup.ReviewTimes)
	r := rolledOf(rollup.MergeTimes)
	dev.PRMergeTime = r.durationMetric(rollup.MergeTimes)
	tp := &Throughput{Data: make([]CountPoint, len(ser.dates))}
	for i := range tp.Data {
		tp.Data[i] = CountPoint{Date: ser.date(i), Count: r.merged[i]}
		tp.Total += r.merged[i]
	}
	tp.Average = float64(tp.Total) / float64(len(tp.Data))
	dev.Throughput = tp
	if d.issueRollup {
		// The issue rollup answers a team's cycle time and issues completed
		// from a few cells: asked per team.
		if dev.CycleTime, err = s.cycleTimeRollup(ctx, tq); err != nil {
			return m, err
		}
		if linear {
			if tp.IssuesCompleted, err = s.issuesCompletedRollup(ctx, tq); err != nil {
				return m, err
			}
		}
		return m, nil
	}
	// Cycle time: the issues with a merged linked PR by a member.
	buckets := make([]population, len(ser.dates))
	var all population
	for _, is := range d.cycles {
		if !anyMember(is.authors, member) || !all.add(is.at-is.created) {
			continue
		}
		if i := ser.slot(is.at); i >= 0 {
			buckets[i].add(is.at - is.created)
		}
	}
	dev.CycleTime = &DurationMetric{Count: len(all), Durations: all.summary(), Data: medianPoints(ser, buckets)}
	if linear {
		ic := &IssuesCompleted{Data: make([]CountPoint, len(ser.dates))}
		for i := range ic.Data {
			ic.Data[i].Date = ser.date(i)
		}
		for _, is := range d.completed {
			if !anyMember(is.authors, member) {
				continue
			}
			if i := ser.slot(is.at); i >= 0 {
				ic.Data[i].Count++
				ic.Total++
			}
		}
		ic.Average = float64(ic.Total) / float64(len(ic.Data))
		tp.IssuesCompleted = ic
	}
	return m, nil
}

func anyMember(logins []string, member map[string]bool) bool {
	for _, l := range logins {
		if member[l] {
			return true
		}
	}
	return false
}

// teamRollup reads the rollup rows of q's range, repository and author
// whose author is one of members, decoded.
func (s *Service) teamRollup(ctx context.Context, q Query, members map[string]bool) ([]*teamRollRow, error) {
	cols := "day, author, merged, undeployed"
	for _, p := range teamPops {
		cols += ", " + p.Column()
	}
	f := rollupFilter(q)
	rows, err := s.st.DB().QueryContext(ctx, `/* metrics.teamsRollup */ SELECT `+cols+` FROM pr_rollup WHERE `+f.sql()+` ORDER BY day`, f.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*teamRollRow
	blobs := make([]sql.RawBytes, len(teamPops))
	var day int64
	var author string
	var merged, undeployed int
	dest := []any{&day, &author, &merged, &undeployed}
	for i := range blobs {
		dest = append(dest, &blobs[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if !members[author] {
			continue
		}
		r := &teamRollRow{day: day, author: author, merged: merged, undeployed: undeployed}
		for i, p := range teamPops {
			if r.vals[p], r.sums[p], err = rollup.DecodeAppend(nil, blobs[i]); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// teamDeployments reads the production deployments of q's range and
// repository with their repositories.
func (s *Service) teamDeployments(ctx context.Context, q Query) ([]teamDeployment, error) {
	f := rangeFilter("deployed_at", q)
	if q.RepoID != 0 {
		f.add("repo_id = ?", q.RepoID)
	}
	addEnvironment(f, "")
	var out []teamDeployment
	err := s.scanRows(ctx, `/* metrics.teamsDeployments */ SELECT repo_id, deployed_at, CASE WHEN failed THEN 1 ELSE 0 END, CASE WHEN is_rework THEN 1 ELSE 0 END FROM deployments WHERE `+f.sql(),
		f.args, 4, func(v []sql.NullInt64) {
			out = append(out, teamDeployment{v[0].Int64, deployment{v[1].Int64, v[2].Int64 != 0, v[3].Int64 != 0}})
		})
	return out, err
}

// teamIssues reads Linear issues (alias li) that f selects, each with the
// authors of its merged linked PRs; sel names the issue's id, instant,
// creation and the author, in that order.
func (s *Service) teamIssues(ctx context.Context, sel string, f *filter) ([]*teamIssue, error) {
	rows, err := s.st.DB().QueryContext(ctx, sel+` FROM linear_issues li
		JOIN linear_issue_prs l ON l.issue_id = li.id JOIN pull_requests p ON p.id = l.pr_id
		WHERE p.merged_at IS NOT NULL AND p.author_login IS NOT NULL AND `+f.sql(), f.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[int64]*teamIssue{}
	var out []*teamIssue
	var id, at, created int64
	var author string
	for rows.Next() {
		if err := rows.Scan(&id, &at, &created, &author); err != nil {
			return nil, err
		}
		is, ok := byID[id]
		if !ok {
			is = &teamIssue{at: at, created: created}
			byID[id] = is
			out = append(out, is)
		}
		is.authors = append(is.authors, author)
	}
	return out, rows.Err()
}
