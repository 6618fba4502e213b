package metrics

import (
	"context"
	"database/sql"
)

// LeadTimeBucket is one bucket of the lead-time series the dashboard
// charts: the bucket's percentiles and the median of each phase, over the
// PRs whose deployment falls in the bucket.
type LeadTimeBucket struct {
	Date        string   `json:"date"`
	Count       int      `json:"count"`
	MedianHours *float64 `json:"median_hours"`
	P75Hours    *float64 `json:"p75_hours"`
	P90Hours    *float64 `json:"p90_hours"`
	Phases      Phases   `json:"phases"`
}

// LeadTimeSeries computes the lead time for q per bucket, with p75, p90 and
// phase medians. Each bucket follows the rules of LeadTime: the same
// population and the same exclusion of negative lead times, bucketed by
// deployed_at.
func (s *Service) LeadTimeSeries(ctx context.Context, q Query) ([]LeadTimeBucket, error) {
	b, err := s.leadTimeAndSeries(ctx, q)
	if err != nil {
		return nil, err
	}
	return b.series, nil
}

// leadTimeSeriesFacts computes the lead-time series from pr_facts.
func (s *Service) leadTimeSeriesFacts(ctx context.Context, q Query) ([]LeadTimeBucket, error) {
	{
		f := prFilter("f.deployed_at", q)
		var rows []leadRow
		err := s.scanRows(ctx, `/* metrics.leadTimeSeries */
			SELECT f.deployed_at, f.first_commit_at, f.created_at, f.merged_at, f.first_review_at
			FROM pr_facts f WHERE `+f.sql(), f.args, 5, func(v []sql.NullInt64) {
			rows = append(rows, leadRow{v[0].Int64, v[1].Int64, v[2].Int64, v[3].Int64, v[4]})
		})
		if err != nil {
			return nil, err
		}
		ser := newSeries(q)
		type bucket struct{ all, coding, pickup, review, deploy population }
		buckets := make([]bucket, len(ser.dates))
		for _, r := range rows {
			i := ser.slot(r.deployedAt)
			if i < 0 {
				continue
			}
			b := &buckets[i]
			if !b.all.add(r.deployedAt - r.firstCommit) {
				continue
			}
			b.coding.add(r.created - r.firstCommit)
			b.deploy.add(r.deployedAt - r.merged)
			if r.firstReview.Valid {
				b.pickup.add(r.firstReview.Int64 - r.created)
				b.review.add(r.merged - r.firstReview.Int64)
			}
		}
		out := make([]LeadTimeBucket, len(ser.dates))
		for i := range out {
			b := &buckets[i]
			d := b.all.summary()
			out[i] = LeadTimeBucket{Date: ser.date(i), Count: len(b.all), MedianHours: d.MedianHours, P75Hours: d.P75Hours, P90Hours: d.P90Hours,
				Phases: Phases{CodingHours: b.coding.median(), PickupHours: b.pickup.median(), ReviewHours: b.review.median(), DeployHours: b.deploy.median()}}
		}
		return out, nil
	}
}
