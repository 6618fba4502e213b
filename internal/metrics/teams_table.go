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
// Recovery time: the incidents of both ranges, with the repositories each
// concerns, read once and split per team (teams_incidents.go).
//
// The page shows each metric's headline: TeamsTable fills counts,
// durations, rates, tiers and trends, not the series (Data) nor lead time's
// phases. The PR populations are read per author; every team's
// percentiles are then selected at once across its members' values
// (selectTeams), without merging or sorting them.

// TeamMetrics is one team's metrics over a range, with trends.
type TeamMetrics struct {
	Slug        string
	DORA        *DORA
	Development *Development
}

// TeamsTable computes, for each team, what DORA and Development compute for
// q with the trend and q.Team set to that team, in the teams' order: their
// values, tiers and trends, without the per-bucket series once the rollup
// is built (the Teams page shows none).
//
// Once the rollup is built, the answer is kept in two halves, each carried
// over a derive that changed none of what it read (resultCache.adopt): the
// metrics read from the rollups alone (lead time, review and merge time,
// cycle time, throughput: teamsRolled), while the derive rebuilt none of
// their days; those of the deployments and incidents (teamsDeployed), while
// their change counters stay. A sync that brought today's pull requests
// used to leave every Teams answer to be computed again.
func (s *Service) TeamsTable(ctx context.Context, q Query, teams []*TeamScope) ([]TeamMetrics, error) {
	q.Trend, q.Team = true, nil
	var key strings.Builder
	for _, t := range teams {
		fmt.Fprintf(&key, "%s:%v:%v;", strings.ToLower(t.Slug), t.Members, t.RepoIDs)
	}
	ok, err := s.rollupReady(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return cached(ctx, s, "teams-table", q, key.String(), func() ([]TeamMetrics, error) {
			return s.teamsOneByOne(ctx, q, teams)
		})
	}
	var rolled, deployed []TeamMetrics
	err = parallel(ctx, func(ctx context.Context) (err error) {
		rolled, err = cachedRollup(ctx, s, "teams-rolled", q, key.String(), true, true, func() ([]TeamMetrics, error) {
			return s.teamsRolled(ctx, q, teams)
		})
		return err
	}, func(ctx context.Context) (err error) {
		deployed, err = cachedTables(ctx, s, "teams-deployed", q, key.String(), deploymentsTable|incidentsTable|workflowsTable, func() ([]TeamMetrics, error) {
			return s.teamsDeployed(ctx, q, teams)
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	// The halves are cached answers, shared: each team's metrics are new
	// structs pointing at their parts.
	out := make([]TeamMetrics, len(teams))
	for i := range out {
		r, d := rolled[i].DORA, deployed[i].DORA
		out[i] = TeamMetrics{Slug: teams[i].Slug, Development: rolled[i].Development, DORA: &DORA{
			DeploymentFrequency: d.DeploymentFrequency, LeadTime: r.LeadTime, ChangeFailureRate: d.ChangeFailureRate,
			RecoveryTime: d.RecoveryTime, ReworkRate: d.ReworkRate}}
	}
	return out, nil
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

// teamPops are the rollup populations the Teams page reads, in the order
// of teamAuthor's arrays.
var teamPops = []rollup.Pop{rollup.LeadTimes, rollup.ReviewTimes, rollup.MergeTimes}

// teamAuthor is one author's part of the PR rollup over a range.
type teamAuthor struct {
	merged, undeployed int
	// raw are the rows' arrays of each of teamPops, as the mirror holds
	// them (each sorted); n and sums their number of values and sum.
	raw  [3][][]int64
	n    [3]int
	sums [3]int64
}

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
	authors map[string]*teamAuthor
	// pops are each team's summaries of teamPops (selectTeams).
	pops [3]map[*TeamScope]teamSummary
	deps []teamDeployment
	// byRepo counts deps per repository (countByRepo).
	byRepo    map[int64]repoCounts
	buckets   int // the range's number of buckets
	cycles    []*teamIssue
	completed []*teamIssue
	// issueRollup is set when the issue rollup is built: cycle time and
	// issues completed are then read from it, in issues.
	issueRollup bool
	issues      *teamIssueData
	// incidents are those of both ranges.
	incidents []*teamIncident
}

// teamsRolled computes, for each team, the metrics read from the rollups
// (lead time, and Development) over q's range and the one before it, with
// their trends: once the PR rollup is built.
func (s *Service) teamsRolled(ctx context.Context, q Query, teams []*TeamScope) ([]TeamMetrics, error) {
	both, split := withPrevious(q)
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
	err = parallel(ctx, func(ctx context.Context) (err error) {
		prev.authors, cur.authors, err = s.teamAuthors(ctx, both, members, rollup.Day(split))
		return err
	}, func(ctx context.Context) (err error) {
		if issueRollup {
			prev.issues, cur.issues, err = s.teamIssueRollup(ctx, q, both, rollup.Day(split))
			return err
		}
		f := rangeFilter("c.cycle_end_at", both)
		issueFilter(f, both, true)
		issues, err := s.teamIssues(ctx, `/* metrics.teamsCycleTime */ SELECT li.id, c.cycle_end_at, c.created_at, lower(p.author_login)`, f)
		prev.cycles, cur.cycles = splitAt(issues, split, issueAt)
		return err
	}, func(ctx context.Context) error {
		if !linear || issueRollup {
			return nil
		}
		f := rangeFilter("li.completed_at", both)
		f.add("li.canceled_at IS NULL AND li.state_type NOT IN ('canceled', 'duplicate')")
		issueFilter(f, both, false)
		issues, err := s.teamIssues(ctx, `/* metrics.teamsIssuesCompleted */ SELECT li.id, li.completed_at, 0, lower(p.author_login)`, f)
		prev.completed, cur.completed = splitAt(issues, split, issueAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Each team's PR populations, in both ranges: one goroutine each.
	var fns []func(context.Context) error
	for _, d := range []*teamsData{&cur, &prev} {
		for i := range teamPops {
			fns = append(fns, func(context.Context) error {
				d.pops[i] = selectTeams(d.authors, i, teams)
				return nil
			})
		}
	}
	if err := parallel(ctx, fns...); err != nil {
		return nil, err
	}
	return eachTeam(ctx, q, teams, &cur, &prev, func(_ context.Context, tq Query, d *teamsData) (TeamMetrics, error) {
		return teamRolledRange(tq, d, linear), nil
	}, func(c, p TeamMetrics) {
		c.DORA.LeadTime.Trend = newTrend(c.DORA.LeadTime.MedianHours, p.DORA.LeadTime.MedianHours, false)
		d, pd := c.Development, p.Development
		d.PRReviewTime.Trend = newTrend(d.PRReviewTime.MedianHours, pd.PRReviewTime.MedianHours, false)
		d.PRMergeTime.Trend = newTrend(d.PRMergeTime.MedianHours, pd.PRMergeTime.MedianHours, false)
		d.CycleTime.Trend = newTrend(d.CycleTime.MedianHours, pd.CycleTime.MedianHours, false)
		d.Throughput.Trend = newTrend(floatPtr(float64(d.Throughput.Total)), floatPtr(float64(pd.Throughput.Total)), true)
		c.DORA.LeadTime.Data = nil
		d.CycleTime.Data = nil
		if ic := d.Throughput.IssuesCompleted; ic != nil {
			ic.Data = nil
		}
		d.Throughput.Data = nil
		d.PRReviewTime.Data = nil
		d.PRMergeTime.Data = nil
	})
}

// teamsDeployed computes, for each team, the metrics read from the
// deployments and incidents (deployment frequency, change failure rate,
// recovery time, rework rate) over q's range and the one before it, with
// their trends.
func (s *Service) teamsDeployed(ctx context.Context, q Query, teams []*TeamScope) ([]TeamMetrics, error) {
	both, split := withPrevious(q)
	var cur, prev teamsData
	err := parallel(ctx, func(ctx context.Context) error {
		incidents, err := s.teamIncidents(ctx, q, both)
		cur.incidents, prev.incidents = incidents, incidents
		return err
	}, func(ctx context.Context) error {
		deps, err := s.teamDeployments(ctx, both)
		prev.deps, cur.deps = splitAt(deps, split, func(d teamDeployment) int64 { return d.deployedAt })
		return err
	})
	if err != nil {
		return nil, err
	}
	cur.byRepo, cur.buckets = countByRepo(q, cur.deps)
	prev.byRepo, prev.buckets = countByRepo(q.Previous(), prev.deps)
	return eachTeam(ctx, q, teams, &cur, &prev, s.teamDeployedRange, func(c, p TeamMetrics) {
		cur, prev := c.DORA, p.DORA
		cur.DeploymentFrequency.Trend = newTrend(&cur.DeploymentFrequency.PerDay, &prev.DeploymentFrequency.PerDay, true)
		cur.ChangeFailureRate.Trend = newTrend(cur.ChangeFailureRate.Rate, prev.ChangeFailureRate.Rate, false)
		cur.RecoveryTime.Trend = newTrend(cur.RecoveryTime.MedianHours, prev.RecoveryTime.MedianHours, false)
		cur.ReworkRate.Trend = newTrend(cur.ReworkRate.Rate, prev.ReworkRate.Rate, false)
		cur.DeploymentFrequency.Data = nil
		cur.ChangeFailureRate.Data = nil
		cur.ReworkRate.Data = nil
		cur.RecoveryTime.Data = nil
	})
}

// eachTeam computes each team's metrics over q's range from cur and over the
// one before it from prev (compute), then sets the trends of the range's
// against the previous one's and drops the per-bucket series, which
// the Teams page does not show (finish). A 365-day Teams answer held about
// 7,600 points of them (24 teams, three series of 53 weeks each), each with
// its date: kept in the result cache, a load of many ranges made them most
// of the heap the collector scanned (BENCHMARKS.md).
func eachTeam(ctx context.Context, q Query, teams []*TeamScope, cur, prev *teamsData,
	compute func(ctx context.Context, tq Query, d *teamsData) (TeamMetrics, error), finish func(cur, prev TeamMetrics)) ([]TeamMetrics, error) {
	out := make([]TeamMetrics, len(teams))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxSlices)
	for i, t := range teams {
		g.Go(func() error {
			tq := q
			tq.Team = t
			c, err := compute(gctx, tq, cur)
			if err != nil {
				return err
			}
			p, err := compute(gctx, tq.Previous(), prev)
			if err != nil {
				return err
			}
			finish(c, p)
			c.Slug = t.Slug
			out[i] = c
			return nil
		})
	}
	return out, g.Wait()
}

// withPrevious returns q stretched back over the range before it, for the
// reads of both ranges at once, and the instant where q's own range starts
// (the split of the rows read: splitAt).
func withPrevious(q Query) (both Query, split int64) {
	both = q
	both.Start = q.Previous().Start
	return both, store.MS(q.Start)
}

// splitAt splits xs into those whose instant (at) is before split, the
// previous range's, and the others, the range's, each in xs's order.
func splitAt[T any](xs []T, split int64, at func(T) int64) (before, after []T) {
	for _, x := range xs {
		if at(x) < split {
			before = append(before, x)
		} else {
			after = append(after, x)
		}
	}
	return before, after
}

// issueAt is a team issue's instant: its cycle end or its completion.
func issueAt(is *teamIssue) int64 { return is.at }

// teamMembers returns the team's members and repositories as sets.
func teamMembers(t *TeamScope) (member map[string]bool, repo map[int64]bool) {
	member = make(map[string]bool, len(t.Members))
	for _, m := range t.Members {
		member[m] = true
	}
	repo = make(map[int64]bool, len(t.RepoIDs))
	for _, id := range t.RepoIDs {
		repo[id] = true
	}
	return member, repo
}

// teamDeployedRange computes one team's deployment frequency, change
// failure rate, recovery time and rework rate over tq's range (tq.Team
// set) from the range's rows, without trends or series: its deployments
// are those of its repositories, so their counts are the sums of the
// repositories' (d.byRepo).
func (s *Service) teamDeployedRange(ctx context.Context, tq Query, d *teamsData) (TeamMetrics, error) {
	_, repo := teamMembers(tq.Team)
	var c repoCounts
	for id := range repo {
		r := d.byRepo[id]
		c.n, c.failed, c.rework = c.n+r.n, c.failed+r.failed, c.rework+r.rework
	}
	m := TeamMetrics{DORA: &DORA{}}
	var err error
	df := &DeploymentFrequency{Total: c.n}
	if m.DORA.DeploymentFrequency, err = s.rateFrequency(ctx, tq, df, d.buckets); err != nil {
		return m, err
	}
	m.DORA.RecoveryTime = teamRecovery(tq, d.incidents, repo)
	m.DORA.ChangeFailureRate = failureRateOf(c.n, c.failed)
	m.DORA.ReworkRate = &ReworkRate{Deployments: c.n, ReworkDeployments: c.rework, Rate: ratio(c.rework, c.n)}
	return m, nil
}

// repoCounts are one repository's deployments in a range: how many, how
// many failed and how many were rework.
type repoCounts struct{ n, failed, rework int }

// countByRepo counts deps per repository, those q's series places in a
// bucket, as the DORA metrics count them; and returns q's number of
// buckets.
func countByRepo(q Query, deps []teamDeployment) (map[int64]repoCounts, int) {
	ser := newSeries(q)
	out := map[int64]repoCounts{}
	for _, d := range deps {
		if ser.slot(d.deployedAt) < 0 {
			continue
		}
		c := out[d.repo]
		c.n++
		if d.failed {
			c.failed++
		}
		if d.rework {
			c.rework++
		}
		out[d.repo] = c
	}
	return out, len(ser.dates)
}

// teamRolledRange computes one team's lead time and Development over tq's
// range (tq.Team set) from the range's rows, without trends.
func teamRolledRange(tq Query, d *teamsData, linear bool) TeamMetrics {
	member, _ := teamMembers(tq.Team)
	ser := newSeries(tq)

	// The PR metrics: selected for every team at once (selectTeams).
	merged, undeployed := 0, 0
	for login := range member {
		if a := d.authors[login]; a != nil {
			merged += a.merged
			undeployed += a.undeployed
		}
	}
	var pops [3]teamSummary
	for i := range pops {
		pops[i] = d.pops[i][tq.Team]
	}
	m := TeamMetrics{DORA: &DORA{}, Development: &Development{}}
	lead := &LeadTime{Count: pops[0].n, Durations: pops[0].d, UndeployedCount: undeployed}
	lead.Tier = tierBelow(lead.MedianHours, 24, 168, 720)
	m.DORA.LeadTime = lead

	dev := m.Development
	dev.PRReviewTime = &DurationMetric{Count: pops[1].n, Durations: pops[1].d}
	dev.PRMergeTime = &DurationMetric{Count: pops[2].n, Durations: pops[2].d}
	tp := &Throughput{Total: merged, Average: float64(merged) / float64(len(ser.dates))}
	dev.Throughput = tp
	if d.issueRollup {
		var done int
		dev.CycleTime, done = d.issues.team(member)
		if linear {
			tp.IssuesCompleted = &IssuesCompleted{Total: done, Average: float64(done) / float64(len(ser.dates))}
		}
		return m
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
	return m
}

func anyMember(logins []string, member map[string]bool) bool {
	for _, l := range logins {
		if member[l] {
			return true
		}
	}
	return false
}

// teamAuthors reads the PR rollup over q's range and filters, for the
// authors in members, per author: the days before split are the previous
// range's, the others the range's.
func (s *Service) teamAuthors(ctx context.Context, q Query, members map[string]bool, split int64) (prev, cur map[string]*teamAuthor, err error) {
	prev, cur = map[string]*teamAuthor{}, map[string]*teamAuthor{}
	err = s.eachRollupRow(ctx, q, teamPops, func(day int64, row *mirrorRow) {
		if !members[row.author] {
			return
		}
		in := cur
		if day < split {
			in = prev
		}
		a := in[row.author]
		if a == nil {
			a = &teamAuthor{}
			in[row.author] = a
		}
		a.merged += row.merged
		a.undeployed += row.undeployed
		for i, p := range teamPops {
			if v := row.vals[p]; len(v) > 0 {
				a.raw[i] = append(a.raw[i], v)
				a.n[i] += len(v)
				a.sums[i] += row.sums[p]
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return prev, cur, nil
}

// teamDeployments reads the production deployments of q's range and
// repository with their repositories.
func (s *Service) teamDeployments(ctx context.Context, q Query) ([]teamDeployment, error) {
	if rows, ok, err := s.deploymentRows(ctx); err != nil || ok {
		if err != nil {
			return nil, err
		}
		var out []teamDeployment
		for _, r := range depsInRange(rows, store.MS(q.Start), store.MS(q.End)) {
			if r.production && (q.RepoID == 0 || r.repo == q.RepoID) {
				out = append(out, teamDeployment{r.repo, deployment{r.at, r.failed, r.rework}})
			}
		}
		return out, nil
	}
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

// teamIssues reads Linear issues (alias li, with c its cycle end's row, if
// any) that f selects, each with the authors of its merged linked PRs; sel
// names the issue's id, instant, creation and the author, in that order.
func (s *Service) teamIssues(ctx context.Context, sel string, f *filter) ([]*teamIssue, error) {
	rows, err := s.st.DB().QueryContext(ctx, sel+` FROM linear_issues li
		LEFT JOIN linear_issue_cycles c ON c.issue_id = li.id
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
