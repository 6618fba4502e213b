package metrics

import (
	"context"
	"database/sql"

	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/store"
)

// CountPoint is one bucket of a count series.
type CountPoint struct {
	Date  string `json:"date"`
	Count int    `json:"count"`
}

// MedianPoint is one bucket of a duration series.
type MedianPoint struct {
	Date        string   `json:"date"`
	Count       int      `json:"count"`
	MedianHours *float64 `json:"median_hours"`
}

// RatePoint is one bucket of a rate series.
type RatePoint struct {
	Date        string   `json:"date"`
	Deployments int      `json:"deployments"`
	Failed      int      `json:"failed"`
	Rate        *float64 `json:"rate"`
}

// ReworkPoint is one bucket of the rework-rate series.
type ReworkPoint struct {
	Date        string   `json:"date"`
	Deployments int      `json:"deployments"`
	Rework      int      `json:"rework"`
	Rate        *float64 `json:"rate"`
}

// DeploymentFrequency is how often the team deploys.
type DeploymentFrequency struct {
	Data    []CountPoint `json:"data"`
	Total   int          `json:"total"`
	Average float64      `json:"average"` // per bucket
	PerDay  float64      `json:"per_day"`
	Tier    *string      `json:"tier"`
	Trend   *Trend       `json:"trend,omitempty"`
}

// Phases are the medians of a lead time's parts.
type Phases struct {
	CodingHours *float64 `json:"coding_hours"`
	PickupHours *float64 `json:"pickup_hours"`
	ReviewHours *float64 `json:"review_hours"`
	DeployHours *float64 `json:"deploy_hours"`
}

// LeadTime is the time from a change's first commit to its deployment.
type LeadTime struct {
	Data  []MedianPoint `json:"data"`
	Count int           `json:"count"`
	Durations
	UndeployedCount int     `json:"undeployed_count"`
	Phases          Phases  `json:"phases"`
	Tier            *string `json:"tier"`
	Trend           *Trend  `json:"trend,omitempty"`
}

// ChangeFailureRate is the share of deployments that caused an incident.
type ChangeFailureRate struct {
	Deployments       int         `json:"deployments"`
	FailedDeployments int         `json:"failed_deployments"`
	Rate              *float64    `json:"rate"`
	Data              []RatePoint `json:"data"`
	Tier              *string     `json:"tier"`
	Trend             *Trend      `json:"trend,omitempty"`
}

// RecoveryTime is how long incidents take to resolve.
type RecoveryTime struct {
	Count         int `json:"count"`
	OpenIncidents int `json:"open_incidents"`
	Durations
	Data  []MedianPoint `json:"data"`
	Tier  *string       `json:"tier"`
	Trend *Trend        `json:"trend,omitempty"`
}

// ReworkRate is the share of deployments that shipped unplanned fixes.
type ReworkRate struct {
	Deployments       int           `json:"deployments"`
	ReworkDeployments int           `json:"rework_deployments"`
	Rate              *float64      `json:"rate"`
	Data              []ReworkPoint `json:"data"`
	Trend             *Trend        `json:"trend,omitempty"`
}

// DORA is the five DORA metrics at once.
type DORA struct {
	DeploymentFrequency *DeploymentFrequency `json:"deployment_frequency"`
	LeadTime            *LeadTime            `json:"lead_time"`
	ChangeFailureRate   *ChangeFailureRate   `json:"change_failure_rate"`
	RecoveryTime        *RecoveryTime        `json:"recovery_time"`
	ReworkRate          *ReworkRate          `json:"rework_rate"`
}

// Tiers.
const (
	Elite  = "elite"
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

func tier(t string) *string { return &t }

// deployment is one deployment in a range.
type deployment struct {
	deployedAt     int64
	failed, rework bool
}

// deployments reads the deployments of q's range and scope to env, or to
// production when env is "" (only deployment frequency takes an
// environment).
func (s *Service) deployments(ctx context.Context, q Query, env string) ([]deployment, error) {
	if rows, ok, err := s.deploymentRows(ctx); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return deploymentsFromMirror(rows, q, env), nil
	}
	f := rangeFilter("deployed_at", q)
	if q.RepoID != 0 {
		f.add("repo_id = ?", q.RepoID)
	}
	addTeamDeployments(f, q)
	addEnvironment(f, env)
	var out []deployment
	err := s.scanRows(ctx, `/* metrics.deployments */ SELECT deployed_at, CASE WHEN failed THEN 1 ELSE 0 END, CASE WHEN is_rework THEN 1 ELSE 0 END FROM deployments WHERE `+f.sql(),
		f.args, 3, func(v []sql.NullInt64) {
			out = append(out, deployment{v[0].Int64, v[1].Int64 != 0, v[2].Int64 != 0})
		})
	return out, err
}

// DeploymentFrequency computes the deployment frequency for q.
func (s *Service) DeploymentFrequency(ctx context.Context, q Query) (*DeploymentFrequency, error) {
	return cachedTables(ctx, s, "deployment-frequency", q, "", deploymentsTable|workflowsTable, func() (*DeploymentFrequency, error) {
		return withTrend(ctx, q, func(ctx context.Context, q Query) (*DeploymentFrequency, error) {
			deps, err := s.deployments(ctx, q, q.Environment)
			if err != nil {
				return nil, err
			}
			return s.deploymentFrequency(ctx, q, deps)
		}, s.DeploymentFrequency, func(m *DeploymentFrequency) *float64 { return &m.PerDay }, true,
			func(m *DeploymentFrequency, t *Trend) { m.Trend = t })
	})
}

func (s *Service) deploymentFrequency(ctx context.Context, q Query, deps []deployment) (*DeploymentFrequency, error) {
	ser := newSeries(q)
	m := &DeploymentFrequency{Data: make([]CountPoint, len(ser.dates))}
	for i := range m.Data {
		m.Data[i].Date = ser.date(i)
	}
	for _, d := range deps {
		if i := ser.slot(d.deployedAt); i >= 0 {
			m.Data[i].Count++
			m.Total++
		}
	}
	return s.rateFrequency(ctx, q, m, len(m.Data))
}

// rateFrequency completes m, whose Total is counted over q's buckets
// buckets: its average per bucket and per day, and its tier.
func (s *Service) rateFrequency(ctx context.Context, q Query, m *DeploymentFrequency, buckets int) (*DeploymentFrequency, error) {
	m.Average = float64(m.Total) / float64(buckets)
	m.PerDay = float64(m.Total) / float64(q.Days())
	switch {
	case m.PerDay >= 1:
		m.Tier = tier(Elite)
	case m.PerDay >= 1.0/7:
		m.Tier = tier(High)
	case m.PerDay >= 1.0/30:
		m.Tier = tier(Medium)
	default:
		m.Tier = tier(Low)
	}
	if m.Total == 0 {
		// With no deployment in the range, and none ever and no deployment
		// workflow in the scope, there is nothing to rate.
		// (Whether there is any: EXISTS stops at the first. Counting them
		// all, for each team of the Teams page and each of its two ranges,
		// was most of that page's database time.)
		scope := &filter{}
		scope.add("1 = 1")
		if q.RepoID != 0 {
			scope.add("repo_id = ?", q.RepoID)
		}
		addTeamDeployments(scope, q)
		n, err := s.count(ctx, `/* metrics.deploymentSources */ SELECT CASE WHEN
			EXISTS (SELECT 1 FROM workflows WHERE is_deployment AND `+scope.sql()+`) OR
			EXISTS (SELECT 1 FROM deployments WHERE `+scope.sql()+`) THEN 1 ELSE 0 END`, scope.args...)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			m.Tier = nil
		}
	}
	return m, nil
}

// LeadTime computes the lead time for changes for q.
func (s *Service) LeadTime(ctx context.Context, q Query) (*LeadTime, error) {
	return cached(ctx, s, "lead-time", q, "", func() (*LeadTime, error) {
		return withTrendFrom(ctx, q, s.leadTime, s.LeadTime, s.leadTimeMedian, func(m *LeadTime) *float64 { return m.MedianHours }, false,
			func(m *LeadTime, t *Trend) { m.Trend = t })
	})
}

// leadTimeMedian is the lead time of q for a trend, which compares medians:
// read from the rollup's lead times alone, without the phases and the
// series (a fifth of the values at most), once the rollup is built.
func (s *Service) leadTimeMedian(ctx context.Context, q Query) (*LeadTime, error) {
	q.Trend = false
	ok, err := s.rollupReady(ctx)
	if err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return s.leadTime(ctx, q)
	}
	return cachedRollup(ctx, s, "lead-time-median", q, "", true, false, func() (*LeadTime, error) {
		r, err := s.readRollup(ctx, q, rollup.LeadTimes)
		if err != nil {
			return nil, err
		}
		lead := r.pops[rollup.LeadTimes]
		return &LeadTime{Count: lead.n, Durations: lead.whole().summary()}, nil
	})
}

// leadRow is a PR in the lead-time population.
type leadRow struct {
	deployedAt, firstCommit, created, merged int64
	firstReview                              sql.NullInt64
}

// leadTimeBoth is the lead time of a range and its per-bucket series, which
// the DORA page shows together: computed from one read of the facts.
type leadTimeBoth struct {
	lead   *LeadTime
	series []LeadTimeBucket
}

// leadTimeAndSeries computes, or finds in the cache, the lead time of q and
// its series.
func (s *Service) leadTimeAndSeries(ctx context.Context, q Query) (*leadTimeBoth, error) {
	q.Trend = false
	return cachedRollup(ctx, s, "lead-time-both", q, "", true, false, func() (*leadTimeBoth, error) {
		ok, err := s.rollupReady(ctx)
		if err != nil {
			return nil, err
		}
		if ok {
			return s.leadTimeRollup(ctx, q)
		}
		out := &leadTimeBoth{}
		err = parallel(ctx, func(ctx context.Context) (err error) {
			out.lead, err = s.leadTimeFacts(ctx, q)
			return err
		}, func(ctx context.Context) (err error) {
			out.series, err = s.leadTimeSeriesFacts(ctx, q)
			return err
		})
		return out, err
	})
}

// leadTime returns the lead time for q, a copy callers may change.
func (s *Service) leadTime(ctx context.Context, q Query) (*LeadTime, error) {
	b, err := s.leadTimeAndSeries(ctx, q)
	if err != nil {
		return nil, err
	}
	m := *b.lead
	return &m, nil
}

// leadTimeFacts computes the lead time from pr_facts.
func (s *Service) leadTimeFacts(ctx context.Context, q Query) (*LeadTime, error) {
	ser := newSeries(q)
	// One accumulator per slice of the range, scanned at once, merged after.
	type acc struct {
		all, coding, pickup, review, deploy population
		buckets                             []population
	}
	accs := make([]acc, maxSlices)
	var undeployed int
	u := prFilter("f.merged_at", q)
	err := parallel(ctx, func(ctx context.Context) error {
		_, err := s.scanSlices(ctx, q, 5, func(part Query) (string, []any) {
			f := prFilter("f.deployed_at", part)
			return `/* metrics.leadTime */ SELECT f.deployed_at, f.first_commit_at, f.created_at, f.merged_at, f.first_review_at
				FROM pr_facts f WHERE ` + f.sql(), f.args
		}, func(part int, v []sql.NullInt64) {
			a := &accs[part]
			deployed, firstCommit, created, merged, firstReview := v[0].Int64, v[1].Int64, v[2].Int64, v[3].Int64, v[4]
			if !a.all.add(deployed - firstCommit) {
				return // a negative lead time is bad data: not in the population
			}
			if a.buckets == nil {
				a.buckets = make([]population, len(ser.dates))
			}
			if i := ser.slot(deployed); i >= 0 {
				a.buckets[i].add(deployed - firstCommit)
			}
			a.coding.add(created - firstCommit)
			a.deploy.add(deployed - merged)
			if firstReview.Valid {
				a.pickup.add(firstReview.Int64 - created)
				a.review.add(merged - firstReview.Int64)
			}
		})
		return err
	}, func(ctx context.Context) (err error) {
		undeployed, err = s.count(ctx, `/* metrics.undeployed */ SELECT count(*) FROM pr_facts f WHERE f.undeployed AND `+u.sql(), u.args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	var all, coding, pickup, review, deploy population
	buckets := make([]population, len(ser.dates))
	for _, a := range accs {
		all, coding, pickup = append(all, a.all...), append(coding, a.coding...), append(pickup, a.pickup...)
		review, deploy = append(review, a.review...), append(deploy, a.deploy...)
		for i, b := range a.buckets {
			buckets[i] = append(buckets[i], b...)
		}
	}
	m := &LeadTime{Data: medianPoints(ser, buckets), Count: len(all), Durations: all.summary(), UndeployedCount: undeployed,
		Phases: Phases{CodingHours: coding.median(), PickupHours: pickup.median(), ReviewHours: review.median(), DeployHours: deploy.median()}}
	m.Tier = tierBelow(m.MedianHours, 24, 168, 720)
	return m, nil
}

func medianPoints(ser *series, buckets []population) []MedianPoint {
	out := make([]MedianPoint, len(ser.dates))
	for i := range out {
		out[i] = MedianPoint{Date: ser.date(i), Count: len(buckets[i]), MedianHours: buckets[i].median()}
	}
	return out
}

// ChangeFailureRate computes the change failure rate for q.
func (s *Service) ChangeFailureRate(ctx context.Context, q Query) (*ChangeFailureRate, error) {
	return cachedTables(ctx, s, "change-failure-rate", q, "", deploymentsTable, func() (*ChangeFailureRate, error) {
		return withTrend(ctx, q, func(ctx context.Context, q Query) (*ChangeFailureRate, error) {
			deps, err := s.deployments(ctx, q, "")
			if err != nil {
				return nil, err
			}
			return changeFailureRate(q, deps), nil
		}, s.ChangeFailureRate, func(m *ChangeFailureRate) *float64 { return m.Rate }, false,
			func(m *ChangeFailureRate, t *Trend) { m.Trend = t })
	})
}

func changeFailureRate(q Query, deps []deployment) *ChangeFailureRate {
	sh := shareOf(q, deps, func(d deployment) bool { return d.failed })
	m := failureRateOf(sh.all, sh.allHits)
	m.Data = make([]RatePoint, len(sh.dates))
	rates := sh.rates()
	for i := range m.Data {
		m.Data[i] = RatePoint{Date: sh.dates[i], Deployments: sh.total[i], Failed: sh.hits[i], Rate: rates[i]}
	}
	return m
}

// failureRateOf is the change failure rate of n deployments of which
// failed failed, without its series.
func failureRateOf(n, failed int) *ChangeFailureRate {
	m := &ChangeFailureRate{Deployments: n, FailedDeployments: failed, Rate: ratio(failed, n)}
	m.Tier = tierAtMost(m.Rate, 0.05, 0.10, 0.15)
	return m
}

// share counts deployments, and those for which a condition holds, per
// bucket and in all.
type share struct {
	dates        []string
	total, hits  []int
	all, allHits int
}

func shareOf(q Query, deps []deployment, is func(deployment) bool) share {
	ser := newSeries(q)
	sh := share{dates: make([]string, len(ser.dates)), total: make([]int, len(ser.dates)), hits: make([]int, len(ser.dates))}
	for i := range sh.dates {
		sh.dates[i] = ser.date(i)
	}
	for _, d := range deps {
		i := ser.slot(d.deployedAt)
		if i < 0 {
			continue
		}
		sh.all++
		sh.total[i]++
		if is(d) {
			sh.allHits++
			sh.hits[i]++
		}
	}
	return sh
}

// rates is each bucket's hits ÷ total as ratio gives it (nil without a
// deployment), the values held in one array rather than one object per
// bucket: answers stay in the result cache, and the garbage collector
// marks each of their objects on every cycle.
func (sh share) rates() []*float64 {
	vals := make([]float64, len(sh.total))
	out := make([]*float64, len(sh.total))
	for i, n := range sh.total {
		if r := ratio(sh.hits[i], n); r != nil {
			vals[i] = *r
			out[i] = &vals[i]
		}
	}
	return out
}

// tierBelow rates a duration in hours: elite below the first threshold,
// high below the second, medium below the third, low otherwise; null
// without a value.
func tierBelow(v *float64, elite, high, medium float64) *string {
	switch {
	case v == nil:
		return nil
	case *v < elite:
		return tier(Elite)
	case *v < high:
		return tier(High)
	case *v < medium:
		return tier(Medium)
	}
	return tier(Low)
}

// tierAtMost rates a rate: elite at or below the first threshold, and so
// on; null without a value.
func tierAtMost(v *float64, elite, high, medium float64) *string {
	switch {
	case v == nil:
		return nil
	case *v <= elite:
		return tier(Elite)
	case *v <= high:
		return tier(High)
	case *v <= medium:
		return tier(Medium)
	}
	return tier(Low)
}

// RecoveryTime computes the time to recover from incidents for q.
func (s *Service) RecoveryTime(ctx context.Context, q Query) (*RecoveryTime, error) {
	return cachedTables(ctx, s, "recovery-time", q, "", incidentsTable|deploymentsTable, func() (*RecoveryTime, error) {
		return withTrend(ctx, q, s.recoveryTime, s.RecoveryTime, func(m *RecoveryTime) *float64 { return m.MedianHours }, false,
			func(m *RecoveryTime, t *Trend) { m.Trend = t })
	})
}

func (s *Service) recoveryTime(ctx context.Context, q Query) (*RecoveryTime, error) {
	var rows []incidentSpan
	var open int
	all, ok, err := s.incidentRows(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		// The repo rule, for the repository and the team's repositories
		// (none: a team without repositories keeps no incident).
		var team map[int64]bool
		if q.Team != nil {
			_, team = teamMembers(q.Team)
		}
		from, to := store.MS(q.Start), store.MS(q.End)
		for _, in := range all {
			if !in.inRange(from, to) || (q.RepoID != 0 && !in.concerns(q.RepoID)) || (team != nil && !in.concernsAny(team)) {
				continue
			}
			if in.resolved.Valid {
				rows = append(rows, incidentSpan{in.opened, in.resolved.Int64})
			} else {
				open++
			}
		}
		return recoveryOf(q, rows, open), nil
	}
	resolved := rangeFilter("i.resolved_at", q)
	opened := rangeFilter("i.opened_at", q)
	for _, f := range []*filter{resolved, opened} {
		if q.RepoID != 0 {
			f.add(store.IncidentOfRepoSQL("?"), q.RepoID, q.RepoID, q.RepoID)
		}
		addTeamIncidents(f, q)
	}
	err = parallel(ctx, func(ctx context.Context) error {
		return s.scanRows(ctx, `/* metrics.recoveryTime */ SELECT i.opened_at, i.resolved_at FROM incidents i WHERE `+resolved.sql(),
			resolved.args, 2, func(v []sql.NullInt64) { rows = append(rows, incidentSpan{v[0].Int64, v[1].Int64}) })
	}, func(ctx context.Context) (err error) {
		open, err = s.count(ctx, `/* metrics.openIncidents */ SELECT count(*) FROM incidents i
			WHERE i.resolved_at IS NULL AND `+opened.sql(), opened.args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return recoveryOf(q, rows, open), nil
}

// incidentSpan is a resolved incident's opening and resolution (Unix ms).
type incidentSpan struct{ opened, resolved int64 }

// recoveryOf is the recovery time over q's range of the incidents resolved
// in it, with open of those opened in it unresolved.
func recoveryOf(q Query, rows []incidentSpan, open int) *RecoveryTime {
	ser := newSeries(q)
	buckets := make([]population, len(ser.dates))
	var all population
	for _, r := range rows {
		if !all.add(r.resolved - r.opened) {
			continue
		}
		if i := ser.slot(r.resolved); i >= 0 {
			buckets[i].add(r.resolved - r.opened)
		}
	}
	m := &RecoveryTime{Count: len(all), OpenIncidents: open, Durations: all.summary(), Data: medianPoints(ser, buckets)}
	m.Tier = tierBelow(m.MedianHours, 1, 24, 168)
	return m
}

// ReworkRate computes the rework rate for q.
func (s *Service) ReworkRate(ctx context.Context, q Query) (*ReworkRate, error) {
	return cachedTables(ctx, s, "rework-rate", q, "", deploymentsTable, func() (*ReworkRate, error) {
		return withTrend(ctx, q, func(ctx context.Context, q Query) (*ReworkRate, error) {
			deps, err := s.deployments(ctx, q, "")
			if err != nil {
				return nil, err
			}
			return reworkRate(q, deps), nil
		}, s.ReworkRate, func(m *ReworkRate) *float64 { return m.Rate }, false,
			func(m *ReworkRate, t *Trend) { m.Trend = t })
	})
}

func reworkRate(q Query, deps []deployment) *ReworkRate {
	sh := shareOf(q, deps, func(d deployment) bool { return d.rework })
	m := &ReworkRate{Deployments: sh.all, ReworkDeployments: sh.allHits, Rate: ratio(sh.allHits, sh.all),
		Data: make([]ReworkPoint, len(sh.dates))}
	rates := sh.rates()
	for i := range m.Data {
		m.Data[i] = ReworkPoint{Date: sh.dates[i], Deployments: sh.total[i], Rework: sh.hits[i], Rate: rates[i]}
	}
	return m
}

// DORA computes the five DORA metrics for q, reading each population once.
func (s *Service) DORA(ctx context.Context, q Query) (*DORA, error) {
	return cached(ctx, s, "dora", q, "", func() (*DORA, error) {
		if !q.Trend {
			return s.dora(ctx, q)
		}
		// The range and the one before it, at once.
		var cur, prev *DORA
		err := parallel(ctx, func(ctx context.Context) (err error) {
			// The cached answer without the trend (withTrend), copied below.
			cur, err = s.DORA(ctx, q.withoutTrend())
			return err
		}, func(ctx context.Context) (err error) {
			// Only the headlines of the previous range count.
			prev, err = s.doraWith(ctx, q.Previous(), s.leadTimeMedian)
			return err
		})
		if err != nil {
			return nil, err
		}
		cur = cur.copyHeadlines()
		cur.DeploymentFrequency.Trend = newTrend(&cur.DeploymentFrequency.PerDay, &prev.DeploymentFrequency.PerDay, true)
		cur.LeadTime.Trend = newTrend(cur.LeadTime.MedianHours, prev.LeadTime.MedianHours, false)
		cur.ChangeFailureRate.Trend = newTrend(cur.ChangeFailureRate.Rate, prev.ChangeFailureRate.Rate, false)
		cur.RecoveryTime.Trend = newTrend(cur.RecoveryTime.MedianHours, prev.RecoveryTime.MedianHours, false)
		cur.ReworkRate.Trend = newTrend(cur.ReworkRate.Rate, prev.ReworkRate.Rate, false)
		return cur, nil
	})
}

// copyHeadlines returns a copy of m whose five metrics are copies too, so
// that their trends can be set without touching m's.
func (m *DORA) copyHeadlines() *DORA {
	c := *m
	df, lt, cfr, rt, rr := *m.DeploymentFrequency, *m.LeadTime, *m.ChangeFailureRate, *m.RecoveryTime, *m.ReworkRate
	c.DeploymentFrequency, c.LeadTime, c.ChangeFailureRate, c.RecoveryTime, c.ReworkRate = &df, &lt, &cfr, &rt, &rr
	return &c
}

func (s *Service) dora(ctx context.Context, q Query) (*DORA, error) {
	return s.doraWith(ctx, q, s.leadTime)
}

// doraWith is dora with the lead time computed by leadTime.
func (s *Service) doraWith(ctx context.Context, q Query, leadTime func(context.Context, Query) (*LeadTime, error)) (*DORA, error) {
	m := &DORA{}
	var deps []deployment
	err := parallel(ctx, func(ctx context.Context) (err error) {
		deps, err = s.deployments(ctx, q, "")
		return err
	}, func(ctx context.Context) (err error) {
		m.LeadTime, err = leadTime(ctx, q)
		return err
	}, func(ctx context.Context) (err error) {
		m.RecoveryTime, err = s.recoveryTime(ctx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	if m.DeploymentFrequency, err = s.deploymentFrequency(ctx, q, deps); err != nil {
		return nil, err
	}
	m.ChangeFailureRate = changeFailureRate(q, deps)
	m.ReworkRate = reworkRate(q, deps)
	return m, nil
}

// withTrend computes a metric for q with compute and, when q asks for it,
// the same metric over the previous range, and sets the trend of their
// headlines. With a trend, the range's own metric is current's answer for
// q without it: the cached answer that a request without the trend reads
// too (a dashboard asks for trends, the DORA page and the API mostly not),
// so that the two compute the range once between them.
func withTrend[T any](ctx context.Context, q Query, compute, current func(context.Context, Query) (*T, error),
	headline func(*T) *float64, higherIsBetter bool, setTrend func(*T, *Trend)) (*T, error) {
	return withTrendFrom(ctx, q, compute, current, compute, headline, higherIsBetter, setTrend)
}

// withTrendFrom is withTrend with the previous range's metric computed by
// prevCompute, which need only fill what headline reads.
func withTrendFrom[T any](ctx context.Context, q Query, compute, current, prevCompute func(context.Context, Query) (*T, error),
	headline func(*T) *float64, higherIsBetter bool, setTrend func(*T, *Trend)) (*T, error) {
	if !q.Trend {
		return compute(ctx, q)
	}
	// The range and the one before it, at once.
	var cur, prev *T
	err := parallel(ctx, func(ctx context.Context) (err error) {
		cur, err = current(ctx, q.withoutTrend())
		return err
	}, func(ctx context.Context) (err error) {
		prev, err = prevCompute(ctx, q.Previous())
		return err
	})
	if err != nil {
		return nil, err
	}
	// A copy: the answer without the trend is shared.
	c := *cur
	setTrend(&c, newTrend(headline(&c), headline(prev), higherIsBetter))
	return &c, nil
}
