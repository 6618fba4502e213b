package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/veelocity/veelocity/internal/metrics"
)

// teamColumn is a column of the Teams page: its sort key, heading, and
// how a team's row gives its value (nil sorts last) and its cell.
type teamColumn struct {
	key, name string
	// lowerIsBetter orders the column's default sort best first.
	lowerIsBetter bool
	value         func(*teamRow) *float64
	cell          func(*teamRow) string
}

// teamRow is one team's metrics over the range.
type teamRow struct {
	slug string
	dora *metrics.DORA
	dev  *metrics.Development
}

func withTierTrend(text string, tier *string, tr *metrics.Trend, format func(*float64) string) string {
	if tier != nil {
		text += " · " + *tier
	}
	if v := newTrendView(tr, format); v != nil {
		text += " · " + strings.TrimSpace(v.Arrow+" "+v.Text) + " (" + v.Class + ")"
	}
	return text
}

func hoursOr(v *float64) string {
	if v == nil {
		return "—"
	}
	return hoursText(v)
}

func percentOr(v *float64) string {
	if v == nil {
		return "—"
	}
	return percentText(v)
}

var teamColumns = []teamColumn{
	{"deployment_frequency", "Deployments / day", false,
		func(t *teamRow) *float64 { return &t.dora.DeploymentFrequency.PerDay },
		func(t *teamRow) string {
			m := t.dora.DeploymentFrequency
			return withTierTrend(numberText(m.PerDay), m.Tier, m.Trend, func(v *float64) string { return numberText(*v) })
		}},
	{"lead_time", "Lead time (median)", true,
		func(t *teamRow) *float64 { return t.dora.LeadTime.MedianHours },
		func(t *teamRow) string {
			m := t.dora.LeadTime
			return withTierTrend(hoursOr(m.MedianHours), m.Tier, m.Trend, hoursOr)
		}},
	{"change_failure_rate", "Change failure rate", true,
		func(t *teamRow) *float64 { return t.dora.ChangeFailureRate.Rate },
		func(t *teamRow) string {
			m := t.dora.ChangeFailureRate
			return withTierTrend(percentOr(m.Rate), m.Tier, m.Trend, percentOr)
		}},
	{"recovery_time", "Recovery time (median)", true,
		func(t *teamRow) *float64 { return t.dora.RecoveryTime.MedianHours },
		func(t *teamRow) string {
			m := t.dora.RecoveryTime
			return withTierTrend(hoursOr(m.MedianHours), m.Tier, m.Trend, hoursOr)
		}},
	{"rework_rate", "Rework rate", true,
		func(t *teamRow) *float64 { return t.dora.ReworkRate.Rate },
		func(t *teamRow) string {
			m := t.dora.ReworkRate
			return withTierTrend(percentOr(m.Rate), nil, m.Trend, percentOr)
		}},
	{"pr_review_time", "Review time (median)", true,
		func(t *teamRow) *float64 { return t.dev.PRReviewTime.MedianHours },
		func(t *teamRow) string {
			m := t.dev.PRReviewTime
			return withTierTrend(hoursOr(m.MedianHours), nil, m.Trend, hoursOr)
		}},
	{"pr_merge_time", "Merge time (median)", true,
		func(t *teamRow) *float64 { return t.dev.PRMergeTime.MedianHours },
		func(t *teamRow) string {
			m := t.dev.PRMergeTime
			return withTierTrend(hoursOr(m.MedianHours), nil, m.Trend, hoursOr)
		}},
	{"cycle_time", "Cycle time (median)", true,
		func(t *teamRow) *float64 { return t.dev.CycleTime.MedianHours },
		func(t *teamRow) string {
			m := t.dev.CycleTime
			return withTierTrend(hoursOr(m.MedianHours), nil, m.Trend, hoursOr)
		}},
	{"throughput", "Merged PRs", false,
		func(t *teamRow) *float64 { return ptr(float64(t.dev.Throughput.Total)) },
		func(t *teamRow) string {
			m := t.dev.Throughput
			return withTierTrend(intCell(m.Total), nil, m.Trend, func(v *float64) string { return numberText(*v) })
		}},
}

// teams is the Teams page: one row per team with its five DORA and four
// development metrics over the range, tiers and trends, sortable by any
// column; each team links to the dashboard filtered to it.
func (p *Pages) teams(w http.ResponseWriter, r *http.Request) error {
	pg := &page{Title: "Teams"}
	q, ok, err := p.parseFilters(r, pg, recordFilters, "sort", "order")
	if err != nil {
		return err
	}
	if !ok {
		return p.render(w, r, pg.status, "charts", pg)
	}
	ctx := r.Context()
	scopes, err := metrics.ResolveTeams(ctx, p.st)
	if err != nil {
		return err
	}
	// Every team's DORA and development metrics with trends, read at once.
	all, err := p.metrics.TeamsTable(ctx, q, scopes)
	if err != nil {
		return err
	}
	rows := make([]*teamRow, len(all))
	for i, m := range all {
		rows[i] = &teamRow{slug: m.Slug, dora: m.DORA, dev: m.Development}
	}
	v := r.URL.Query()
	sortKey, order := v.Get("sort"), v.Get("order")
	col := slices.IndexFunc(teamColumns, func(c teamColumn) bool { return c.key == sortKey })
	if col < 0 {
		sortKey = "team"
	}
	if order != "asc" && order != "desc" {
		order = "asc"
		if col >= 0 && !teamColumns[col].lowerIsBetter {
			order = "desc"
		}
	}
	slices.SortStableFunc(rows, func(a, b *teamRow) int {
		c := 0
		if col >= 0 {
			x, y := teamColumns[col].value(a), teamColumns[col].value(b)
			switch {
			case x == nil && y == nil:
			case x == nil:
				return 1 // no value: last, whatever the order
			case y == nil:
				return -1
			default:
				c = cmp.Compare(*x, *y)
			}
		} else {
			c = cmp.Compare(strings.ToLower(a.slug), strings.ToLower(b.slug))
		}
		if order == "desc" {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.slug, b.slug)
		}
		return c
	})
	t := &Table{ID: "teams", Caption: "Per team, " + rangeText(q) + ", with DORA tiers and the change from the previous range; a team links to the dashboard filtered to it"}
	sortable := func(key, name string, num, lowerIsBetter bool) Column {
		c := Column{Name: name, Num: num}
		first := "asc"
		if num && !lowerIsBetter {
			first = "desc"
		}
		c.SortURL = withParams(r, "sort", key, "order", first) + "#teams"
		if key == sortKey {
			other := "desc"
			c.Sorted = "ascending"
			if order == "desc" {
				other, c.Sorted = "asc", "descending"
			}
			c.SortURL = withParams(r, "sort", key, "order", other) + "#teams"
		}
		return c
	}
	t.Columns = append(t.Columns, sortable("team", "Team", false, true))
	for _, c := range teamColumns {
		t.Columns = append(t.Columns, sortable(c.key, c.name, true, c.lowerIsBetter))
	}
	filters := url.Values{}
	for _, k := range []string{"start_date", "end_date", "period"} {
		if s := v.Get(k); s != "" {
			filters.Set(k, s)
		}
	}
	for _, row := range rows {
		filters.Set("team", row.slug)
		cells := []Cell{{Text: row.slug, URL: "/dashboard?" + filters.Encode()}}
		for _, c := range teamColumns {
			cells = append(cells, Cell{Text: c.cell(row)})
		}
		t.Rows = append(t.Rows, cells)
	}
	pn := newPanel(r, "Teams", nil, t)
	pn.Wide = true
	pn.Help = "Deployment metrics count the team's repositories (production environments only); PR metrics count its members' pull requests; cycle time counts Linear issues with a merged PR by a member. Membership is as of now."
	if len(rows) == 0 {
		pn.Empty = "No team is defined. Define one on the Settings page, or set GITHUB_TEAMS."
	}
	if wantsCSV(r) {
		return p.writeCSV(w, r, t)
	}
	pg.Body = &chartsBody{Range: rangeText(q), Panels: []Panel{pn}}
	return p.render(w, r, http.StatusOK, "charts", pg)
}
