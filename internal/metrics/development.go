package metrics

import (
	"context"
	"database/sql"
	"strings"
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

// durationMetric buckets (end, start) pairs by end.
func durationMetric(q Query, pairs [][2]int64) *DurationMetric {
	ser := newSeries(q)
	buckets := make([]population, len(ser.dates))
	var all population
	for _, p := range pairs {
		end, start := p[0], p[1]
		if !all.add(end - start) {
			continue
		}
		if i := ser.slot(end); i >= 0 {
			buckets[i].add(end - start)
		}
	}
	return &DurationMetric{Count: len(all), Durations: all.summary(), Data: medianPoints(ser, buckets)}
}

func (s *Service) pairs(ctx context.Context, query string, args []any) ([][2]int64, error) {
	var out [][2]int64
	err := s.scanRows(ctx, query, args, 2, func(v []sql.NullInt64) { out = append(out, [2]int64{v[0].Int64, v[1].Int64}) })
	return out, err
}

func durationTrend(ctx context.Context, q Query, compute func(context.Context, Query) (*DurationMetric, error)) (*DurationMetric, error) {
	return withTrend(ctx, q, compute, func(m *DurationMetric) *float64 { return m.MedianHours }, false,
		func(m *DurationMetric, t *Trend) { m.Trend = t })
}

// PRReviewTime is first review − PR creation, for PRs whose first review
// falls in the range.
func (s *Service) PRReviewTime(ctx context.Context, q Query) (*DurationMetric, error) {
	return cached(ctx, s, "pr-review-time", q, "", func() (*DurationMetric, error) {
		return durationTrend(ctx, q, s.prReviewTime)
	})
}

func (s *Service) prReviewTime(ctx context.Context, q Query) (*DurationMetric, error) {
	f := prFilter("f.first_review_at", q)
	pairs, err := s.pairs(ctx, `/* metrics.prReviewTime */ SELECT f.first_review_at, f.created_at FROM pr_facts f WHERE `+f.sql(), f.args)
	if err != nil {
		return nil, err
	}
	return durationMetric(q, pairs), nil
}

// PRMergeTime is merge − PR creation, for PRs merged in the range into any
// base branch.
func (s *Service) PRMergeTime(ctx context.Context, q Query) (*DurationMetric, error) {
	return cached(ctx, s, "pr-merge-time", q, "", func() (*DurationMetric, error) {
		return durationTrend(ctx, q, s.prMergeTime)
	})
}

func (s *Service) mergedPRs(ctx context.Context, q Query) ([][2]int64, error) {
	f := prFilter("f.merged_at", q)
	return s.pairs(ctx, `/* metrics.mergedPRs */ SELECT f.merged_at, f.created_at FROM pr_facts f WHERE `+f.sql(), f.args)
}

func (s *Service) prMergeTime(ctx context.Context, q Query) (*DurationMetric, error) {
	pairs, err := s.mergedPRs(ctx, q)
	if err != nil {
		return nil, err
	}
	return durationMetric(q, pairs), nil
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
	return cached(ctx, s, "cycle-time", q, "", func() (*DurationMetric, error) {
		return durationTrend(ctx, q, s.cycleTime)
	})
}

func (s *Service) cycleTime(ctx context.Context, q Query) (*DurationMetric, error) {
	f := rangeFilter("li.cycle_end_at", q)
	// The repo filter keeps an issue when one of its merged linked PRs is
	// in that repo.
	issueFilter(f, q, true)
	pairs, err := s.pairs(ctx, `/* metrics.cycleTime */ SELECT li.cycle_end_at, li.created_at FROM linear_issues li WHERE `+f.sql(), f.args)
	if err != nil {
		return nil, err
	}
	return durationMetric(q, pairs), nil
}

// Throughput counts merged PRs per bucket and, when Linear is configured,
// Linear issues completed per bucket.
func (s *Service) Throughput(ctx context.Context, q Query) (*Throughput, error) {
	return cached(ctx, s, "throughput", q, "", func() (*Throughput, error) {
		return withTrend(ctx, q, func(ctx context.Context, q Query) (*Throughput, error) {
			merged, err := s.mergedPRs(ctx, q)
			if err != nil {
				return nil, err
			}
			return s.throughput(ctx, q, merged)
		}, func(m *Throughput) *float64 { return floatPtr(float64(m.Total)) }, true,
			func(m *Throughput, t *Trend) { m.Trend = t })
	})
}

func (s *Service) throughput(ctx context.Context, q Query, merged [][2]int64) (*Throughput, error) {
	ser := newSeries(q)
	m := &Throughput{}
	m.Data, m.Total, m.Average = countSeries(ser, merged)
	linear, err := s.linearConfigured(ctx)
	if err != nil || !linear {
		return m, err
	}
	f := rangeFilter("li.completed_at", q)
	// Filters: "Linear issues count when they are linked to a PR of that
	// repo".
	issueFilter(f, q, false)
	var completed [][2]int64
	err = s.scanRows(ctx, `/* metrics.issuesCompleted */ SELECT li.completed_at FROM linear_issues li WHERE `+f.sql(), f.args, 1,
		func(v []sql.NullInt64) { completed = append(completed, [2]int64{v[0].Int64}) })
	if err != nil {
		return nil, err
	}
	ic := &IssuesCompleted{}
	ic.Data, ic.Total, ic.Average = countSeries(ser, completed)
	m.IssuesCompleted = ic
	return m, nil
}

// countSeries counts instants (the first of each pair) per bucket.
func countSeries(ser *series, instants [][2]int64) ([]CountPoint, int, float64) {
	data := make([]CountPoint, len(ser.dates))
	for i := range data {
		data[i].Date = ser.date(i)
	}
	total := 0
	for _, p := range instants {
		if i := ser.slot(p[0]); i >= 0 {
			data[i].Count++
			total++
		}
	}
	return data, total, float64(total) / float64(len(data))
}

// linearConfigured reports whether Linear counts as configured: its API key
// is set, or Linear data is present.
func (s *Service) linearConfigured(ctx context.Context) (bool, error) {
	if s.linearKey {
		return true, nil
	}
	n, err := s.count(ctx, `/* metrics.linearTeams */ SELECT count(*) FROM linear_teams`)
	return n > 0, err
}

// Development computes the four development metrics for q.
func (s *Service) Development(ctx context.Context, q Query) (*Development, error) {
	return cached(ctx, s, "development", q, "", func() (*Development, error) {
		m := &Development{}
		err := parallel(func() (err error) {
			m.PRReviewTime, err = s.PRReviewTime(ctx, q)
			return err
		}, func() error {
			// Merge time and throughput read the same PRs.
			cur, err := s.development2(ctx, q)
			if err != nil {
				return err
			}
			m.PRMergeTime, m.Throughput = cur.PRMergeTime, cur.Throughput
			if !q.Trend {
				return nil
			}
			prev, err := s.development2(ctx, q.Previous())
			if err != nil {
				return err
			}
			m.PRMergeTime.Trend = newTrend(m.PRMergeTime.MedianHours, prev.PRMergeTime.MedianHours, false)
			m.Throughput.Trend = newTrend(floatPtr(float64(m.Throughput.Total)), floatPtr(float64(prev.Throughput.Total)), true)
			return nil
		}, func() (err error) {
			m.CycleTime, err = s.CycleTime(ctx, q)
			return err
		})
		if err != nil {
			return nil, err
		}
		return m, nil
	})
}

// development2 computes merge time and throughput from one read of the
// merged PRs.
func (s *Service) development2(ctx context.Context, q Query) (*Development, error) {
	merged, err := s.mergedPRs(ctx, q)
	if err != nil {
		return nil, err
	}
	tp, err := s.throughput(ctx, q, merged)
	if err != nil {
		return nil, err
	}
	return &Development{PRMergeTime: durationMetric(q, merged), Throughput: tp}, nil
}
