package metrics

import (
	"context"
	"database/sql"
	"strings"

	"github.com/veelocity/veelocity/internal/memo"
	"github.com/veelocity/veelocity/internal/rollup"
)

// DurationMetric is a duration population over a range: PR review time,
// PR merge time and cycle time.
type DurationMetric struct {
	Count int `json:"count"`
	Durations
	Data  []MedianPoint `json:"data"`
	Trend *Trend        `json:"trend,omitempty"`
}

// Throughput is what the team finished per bucket.
type Throughput struct {
	Data    []CountPoint `json:"data"`
	Total   int          `json:"total"`
	Average float64      `json:"average"`
	// IssuesCompleted is present when Linear is configured.
	IssuesCompleted *IssuesCompleted `json:"issues_completed,omitempty"`
	Trend           *Trend           `json:"trend,omitempty"`
}

// IssuesCompleted counts Linear issues completed per bucket.
type IssuesCompleted struct {
	Data    []CountPoint `json:"data"`
	Total   int          `json:"total"`
	Average float64      `json:"average"`
}

// Development is the four development metrics at once.
type Development struct {
	PRReviewTime *DurationMetric `json:"pr_review_time"`
	PRMergeTime  *DurationMetric `json:"pr_merge_time"`
	CycleTime    *DurationMetric `json:"cycle_time"`
	Throughput   *Throughput     `json:"throughput"`
}

// durationScan computes a duration metric from a range query whose rows are
// (end, start) instants, bucketed by end. build gives the query for a slice
// of the range; the slices are scanned at once.
func (s *Service) durationScan(ctx context.Context, q Query, build func(part Query) (string, []any)) (*DurationMetric, error) {
	ser := newSeries(q)
	type acc struct {
		all     population
		buckets []population
	}
	accs := make([]acc, maxSlices)
	_, err := s.scanSlices(ctx, q, 2, build, func(part int, v []sql.NullInt64) {
		a := &accs[part]
		end, d := v[0].Int64, v[0].Int64-v[1].Int64
		if !a.all.add(d) {
			return // negative: bad data, not in the population
		}
		if a.buckets == nil {
			a.buckets = make([]population, len(ser.dates))
		}
		if i := ser.slot(end); i >= 0 {
			a.buckets[i].add(d)
		}
	})
	if err != nil {
		return nil, err
	}
	var all population
	buckets := make([]population, len(ser.dates))
	for _, a := range accs {
		all = append(all, a.all...)
		for i, b := range a.buckets {
			buckets[i] = append(buckets[i], b...)
		}
	}
	return &DurationMetric{Count: len(all), Durations: all.summary(), Data: medianPoints(ser, buckets)}, nil
}

func durationTrend(ctx context.Context, q Query, compute, current func(context.Context, Query) (*DurationMetric, error)) (*DurationMetric, error) {
	return withTrend(ctx, q, compute, current, func(m *DurationMetric) *float64 { return m.MedianHours }, false,
		func(m *DurationMetric, t *Trend) { m.Trend = t })
}

// PRReviewTime is first review − PR creation, for PRs whose first review
// falls in the range.
func (s *Service) PRReviewTime(ctx context.Context, q Query) (*DurationMetric, error) {
	return cachedRollup(ctx, s, "pr-review-time", q, "", true, false, func() (*DurationMetric, error) {
		return durationTrend(ctx, q, s.prReviewTime, s.PRReviewTime)
	})
}

func (s *Service) prReviewTime(ctx context.Context, q Query) (*DurationMetric, error) {
	if ok, err := s.rollupReady(ctx); err != nil || ok {
		if err != nil {
			return nil, err
		}
		r, err := s.readRollup(ctx, q, rollup.ReviewTimes)
		if err != nil {
			return nil, err
		}
		return r.durationMetric(rollup.ReviewTimes), nil
	}
	return s.durationScan(ctx, q, func(part Query) (string, []any) {
		f := prFilter("f.first_review_at", part)
		return `/* metrics.prReviewTime */ SELECT f.first_review_at, f.created_at FROM pr_facts f WHERE ` + f.sql(), f.args
	})
}

// PRMergeTime is merge − PR creation, for PRs merged in the range into any
// base branch.
func (s *Service) PRMergeTime(ctx context.Context, q Query) (*DurationMetric, error) {
	return cachedRollup(ctx, s, "pr-merge-time", q, "", true, false, func() (*DurationMetric, error) {
		return durationTrend(ctx, q, s.prMergeTime, s.PRMergeTime)
	})
}

func (s *Service) prMergeTime(ctx context.Context, q Query) (*DurationMetric, error) {
	if ok, err := s.rollupReady(ctx); err != nil || ok {
		if err != nil {
			return nil, err
		}
		r, err := s.readRollup(ctx, q, rollup.MergeTimes)
		if err != nil {
			return nil, err
		}
		return r.durationMetric(rollup.MergeTimes), nil
	}
	return s.durationScan(ctx, q, func(part Query) (string, []any) {
		f := prFilter("f.merged_at", part)
		return `/* metrics.prMergeTime */ SELECT f.merged_at, f.created_at FROM pr_facts f WHERE ` + f.sql(), f.args
	})
}

// issueFilter restricts Linear issues (alias li) to those linked to a PR
// (a merged one, when mergedOnly) of q's repo and by q's author.
func issueFilter(f *filter, q Query, mergedOnly bool) {
	if q.RepoID == 0 && q.Author == "" {
		return
	}
	cond := `EXISTS (SELECT 1 FROM linear_issue_prs l JOIN pull_requests p ON p.id = l.pr_id WHERE l.issue_id = li.id`
	if mergedOnly {
		cond += ` AND p.merged_at IS NOT NULL`
	}
	var args []any
	if q.RepoID != 0 {
		cond += ` AND p.repo_id = ?`
		args = append(args, q.RepoID)
	}
	if q.Author != "" {
		cond += ` AND lower(p.author_login) = ?`
		args = append(args, strings.ToLower(q.Author))
	}
	f.add(cond+")", args...)
}

// CycleTime is, for each Linear issue, the latest merge among its merged
// linked PRs − the issue's creation, for issues whose cycle ends in the
// range.
func (s *Service) CycleTime(ctx context.Context, q Query) (*DurationMetric, error) {
	return cachedRollup(ctx, s, "cycle-time", q, "", false, true, func() (*DurationMetric, error) {
		return durationTrend(ctx, q, s.cycleTime, s.CycleTime)
	})
}

func (s *Service) cycleTime(ctx context.Context, q Query) (*DurationMetric, error) {
	if ok, err := s.issueRollupReady(ctx); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return s.cycleTimeRollup(ctx, q)
	}
	return s.durationScan(ctx, q, func(part Query) (string, []any) {
		f := rangeFilter("c.cycle_end_at", part)
		// The repo filter keeps an issue when one of its merged linked PRs
		// is in that repo.
		issueFilter(f, part, true)
		addTeamIssues(f, part)
		return `/* metrics.cycleTime */ SELECT c.cycle_end_at, c.created_at
			FROM linear_issue_cycles c JOIN linear_issues li ON li.id = c.issue_id WHERE ` + f.sql(), f.args
	})
}

// Throughput counts merged PRs per bucket and, when Linear is configured,
// Linear issues completed per bucket.
func (s *Service) Throughput(ctx context.Context, q Query) (*Throughput, error) {
	return cachedRollup(ctx, s, "throughput", q, "", true, true, func() (*Throughput, error) {
		return withTrend(ctx, q, s.throughput, s.Throughput, func(m *Throughput) *float64 { return floatPtr(float64(m.Total)) }, true,
			func(m *Throughput, t *Trend) { m.Trend = t })
	})
}

func (s *Service) throughput(ctx context.Context, q Query) (*Throughput, error) {
	ser := newSeries(q)
	m := &Throughput{}
	ok, err := s.rollupReady(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		r, err := s.readRollup(ctx, q)
		if err != nil {
			return nil, err
		}
		m.Data = make([]CountPoint, len(ser.dates))
		for i := range m.Data {
			m.Data[i] = CountPoint{Date: ser.date(i), Count: r.merged[i]}
			m.Total += r.merged[i]
		}
		m.Average = float64(m.Total) / float64(len(m.Data))
	} else {
		f := prFilter("f.merged_at", q)
		m.Data, m.Total, m.Average, err = s.countByBucket(ctx, ser, "f.merged_at", `/* metrics.throughput */ FROM pr_facts f WHERE `+f.sql(), f.args)
		if err != nil {
			return nil, err
		}
	}
	linear, err := s.linearConfigured(ctx)
	if err != nil || !linear {
		return m, err
	}
	if ok, err := s.issueRollupReady(ctx); err != nil || ok {
		if err != nil {
			return nil, err
		}
		m.IssuesCompleted, err = s.issuesCompletedRollup(ctx, q)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	f := rangeFilter("li.completed_at", q)
	// A canceled issue is not completed work, whatever its completedAt.
	f.add("li.canceled_at IS NULL AND li.state_type NOT IN ('canceled', 'duplicate')")
	// Filters: "Linear issues count when they are linked to a PR of that
	// repo".
	issueFilter(f, q, false)
	addTeamIssues(f, q)
	ic := &IssuesCompleted{}
	ic.Data, ic.Total, ic.Average, err = s.countByBucket(ctx, ser, "li.completed_at",
		`/* metrics.issuesCompleted */ FROM linear_issues li WHERE `+f.sql(), f.args)
	if err != nil {
		return nil, err
	}
	m.IssuesCompleted = ic
	return m, nil
}

// countByBucket counts rows per bucket in the database: from is the
// query's FROM … WHERE part, column the instant bucketed.
func (s *Service) countByBucket(ctx context.Context, ser *series, column, from string, args []any) ([]CountPoint, int, float64, error) {
	data := make([]CountPoint, len(ser.dates))
	for i := range data {
		data[i].Date = ser.date(i)
	}
	total := 0
	err := s.scanRows(ctx, `SELECT `+ser.bucketSQL(column)+`, count(*) `+from+` GROUP BY 1`, args, 2, func(v []sql.NullInt64) {
		if i := ser.slot(v[0].Int64); i >= 0 {
			data[i].Count += int(v[1].Int64)
			total += int(v[1].Int64)
		}
	})
	return data, total, float64(total) / float64(len(data)), err
}

// linearConfigured reports whether Linear counts as configured: its API key
// is set, or Linear data is present.
func (s *Service) linearConfigured(ctx context.Context) (bool, error) {
	if s.linearKey {
		return true, nil
	}
	return memo.Do(ctx, "metrics.linearConfigured", func() (bool, error) {
		n, err := s.count(ctx, `/* metrics.linearTeams */ SELECT count(*) FROM (SELECT 1 FROM linear_teams LIMIT 1) t`)
		return n > 0, err
	})
}

// Development computes the four development metrics for q.
func (s *Service) Development(ctx context.Context, q Query) (*Development, error) {
	return cached(ctx, s, "development", q, "", func() (*Development, error) {
		m := &Development{}
		err := parallel(ctx, func(ctx context.Context) (err error) {
			m.PRReviewTime, err = s.PRReviewTime(ctx, q)
			return err
		}, func(ctx context.Context) (err error) {
			m.PRMergeTime, err = s.PRMergeTime(ctx, q)
			return err
		}, func(ctx context.Context) (err error) {
			m.CycleTime, err = s.CycleTime(ctx, q)
			return err
		}, func(ctx context.Context) (err error) {
			m.Throughput, err = s.Throughput(ctx, q)
			return err
		})
		if err != nil {
			return nil, err
		}
		return m, nil
	})
}
