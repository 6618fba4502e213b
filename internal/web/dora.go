package web

import (
	"net/http"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/web/chart"
)

type chartsBody struct {
	Range  string
	Panels []Panel
}

func (p *Pages) dora(w http.ResponseWriter, r *http.Request) error {
	pg := &page{Title: "DORA metrics"}
	q, ok, err := p.parseFilters(r, pg, doraFilters)
	if err != nil {
		return err
	}
	if !ok {
		return p.render(w, r, pg.status, "charts", pg)
	}
	ctx := r.Context()
	d, err := p.metrics.DORA(ctx, q)
	if err != nil {
		return err
	}
	series, err := p.metrics.LeadTimeSeries(ctx, q)
	if err != nil {
		return err
	}
	rng := rangeText(q)
	panels := []Panel{
		deploymentFrequencyPanel(r, d.DeploymentFrequency, q),
		leadTimePanel(r, d.LeadTime, series, q),
		phasesPanel(r, d.LeadTime, series, q),
		changeFailurePanel(r, d.ChangeFailureRate, q),
		recoveryPanel(r, d.RecoveryTime, q),
		reworkPanel(r, d.ReworkRate, q),
	}
	if wantsCSV(r) {
		return p.writeCSV(w, r, tablesOf(panels)...)
	}
	pg.Body = &chartsBody{Range: rng, Panels: panels}
	return p.render(w, r, http.StatusOK, "charts", pg)
}

func tablesOf(panels []Panel) []*Table {
	out := make([]*Table, len(panels))
	for i := range panels {
		out[i] = panels[i].Table
	}
	return out
}

func deploymentFrequencyPanel(r *http.Request, m *metrics.DeploymentFrequency, q metrics.Query) Panel {
	rng := rangeText(q)
	t := &Table{ID: "deployment-frequency", Caption: "Deployments " + perPeriod(q.Period) + ", " + rng, Columns: []Column{{Name: "Period start"}, {Name: "Deployments", Num: true}}}
	c := &chart.Chart{Kind: chart.Bars, Integers: true, Series: []chart.Series{{}}}
	for _, pt := range m.Data {
		t.Rows = append(t.Rows, []Cell{{Text: pt.Date}, {Text: intCell(pt.Count)}})
		c.Labels = append(c.Labels, pt.Date)
		c.Series[0].Values = append(c.Series[0].Values, ptr(float64(pt.Count)))
	}
	markPartial(q, t, c)
	pn := newPanel(r, "Deployment frequency", c, t)
	pn.Headline = plural(m.Total, "deployment", "deployments") + " · " + numberText(m.PerDay) + " per day · " + numberText(m.Average) + " " + perPeriod(q.Period)
	pn.Tier = tierOf(m.Tier)
	pn.Help = "Production deployments (successful deployment workflow runs or GitHub deployments, and those recorded through the API), by deployment time."
	if m.Total == 0 {
		pn.Empty = "No deployments from " + rng + ". A deployment is a successful run of a workflow whose name or file matches DEPLOYMENT_PATTERNS (default deploy,release,publish)."
	}
	notByAuthor(&pn, q)
	return pn
}

func leadTimePanel(r *http.Request, m *metrics.LeadTime, series []metrics.LeadTimeBucket, q metrics.Query) Panel {
	rng := rangeText(q)
	t := &Table{ID: "lead-time", Caption: "Lead time for changes " + perPeriod(q.Period) + " (hours), " + rng,
		Columns: []Column{{Name: "Period start"}, {Name: "PRs deployed", Num: true}, {Name: "Median (h)", Num: true}, {Name: "p75 (h)", Num: true}, {Name: "p90 (h)", Num: true}}}
	c := &chart.Chart{Kind: chart.Lines, Series: []chart.Series{{Name: "median"}, {Name: "p75"}, {Name: "p90"}}}
	for _, b := range series {
		t.Rows = append(t.Rows, []Cell{{Text: b.Date}, {Text: intCell(b.Count)}, {Text: hoursCell(b.MedianHours)}, {Text: hoursCell(b.P75Hours)}, {Text: hoursCell(b.P90Hours)}})
		c.Labels = append(c.Labels, b.Date)
		c.Series[0].Values = append(c.Series[0].Values, b.MedianHours)
		c.Series[1].Values = append(c.Series[1].Values, b.P75Hours)
		c.Series[2].Values = append(c.Series[2].Values, b.P90Hours)
	}
	durationAxis(c)
	markPartial(q, t, c)
	pn := newPanel(r, "Lead time for changes", c, t)
	pn.Headline = "median " + hoursText(m.MedianHours) + " · p75 " + hoursText(m.P75Hours) + " · p90 " + hoursText(m.P90Hours) +
		" · " + plural(m.Count, "PR", "PRs") + " deployed · " + intCell(m.UndeployedCount) + " merged but not deployed"
	pn.Tier = tierOf(m.Tier)
	pn.Help = "From a PR's first commit to the deployment that shipped it, for PRs merged into the default branch."
	if m.Count == 0 {
		pn.Empty = "No deployed pull requests from " + rng + "."
	}
	return pn
}

func phasesPanel(r *http.Request, m *metrics.LeadTime, series []metrics.LeadTimeBucket, q metrics.Query) Panel {
	rng := rangeText(q)
	t := &Table{ID: "lead-time-phases", Caption: "Median of each lead-time phase " + perPeriod(q.Period) + " (hours), " + rng,
		Columns: []Column{{Name: "Period start"}, {Name: "Coding (h)", Num: true}, {Name: "Pickup (h)", Num: true}, {Name: "Review (h)", Num: true}, {Name: "Deploy (h)", Num: true}}}
	c := &chart.Chart{Kind: chart.Stacked, Series: []chart.Series{{Name: "coding"}, {Name: "pickup"}, {Name: "review"}, {Name: "deploy"}}}
	for _, b := range series {
		ph := b.Phases
		t.Rows = append(t.Rows, []Cell{{Text: b.Date}, {Text: hoursCell(ph.CodingHours)}, {Text: hoursCell(ph.PickupHours)}, {Text: hoursCell(ph.ReviewHours)}, {Text: hoursCell(ph.DeployHours)}})
		c.Labels = append(c.Labels, b.Date)
		for i, v := range []*float64{ph.CodingHours, ph.PickupHours, ph.ReviewHours, ph.DeployHours} {
			c.Series[i].Values = append(c.Series[i].Values, v)
		}
	}
	durationAxis(c)
	markPartial(q, t, c)
	pn := newPanel(r, "Where lead time goes", c, t)
	ph := m.Phases
	pn.Headline = "coding " + hoursText(ph.CodingHours) + " · pickup " + hoursText(ph.PickupHours) + " · review " + hoursText(ph.ReviewHours) + " · deploy " + hoursText(ph.DeployHours)
	pn.Help = "Coding: first commit to PR opened. Pickup: opened to first review. Review: first review to merge. Deploy: merge to deployment. Each is a median, so they need not add up to the lead time."
	if m.Count == 0 {
		pn.Empty = "No deployed pull requests from " + rng + "."
	}
	return pn
}

func changeFailurePanel(r *http.Request, m *metrics.ChangeFailureRate, q metrics.Query) Panel {
	rng := rangeText(q)
	t := &Table{ID: "change-failure-rate", Caption: "Change failure rate " + perPeriod(q.Period) + ", " + rng,
		Columns: []Column{{Name: "Period start"}, {Name: "Deployments", Num: true}, {Name: "Failed", Num: true}, {Name: "Rate (%)", Num: true}}}
	c := &chart.Chart{Kind: chart.Bars, Format: formatPercent, NoValue: "no deployments", Series: []chart.Series{{Name: "failure rate"}}}
	for _, pt := range m.Data {
		t.Rows = append(t.Rows, []Cell{{Text: pt.Date}, {Text: intCell(pt.Deployments)}, {Text: intCell(pt.Failed)}, {Text: percentCell(pt.Rate)}})
		c.Labels = append(c.Labels, pt.Date)
		c.Series[0].Values = append(c.Series[0].Values, scale(pt.Rate, 100))
	}
	markPartial(q, t, c)
	pn := newPanel(r, "Change failure rate", c, t)
	pn.Headline = percentText(m.Rate) + " · " + intCell(m.FailedDeployments) + " of " + plural(m.Deployments, "deployment", "deployments") + " caused an incident"
	pn.Tier = tierOf(m.Tier)
	pn.Help = "A deployment failed when an incident is attributed to it: the latest deployment within INCIDENT_WINDOW before the incident opened."
	if m.Deployments == 0 {
		pn.Empty = "No deployments from " + rng + ", so no failure rate."
	}
	notByAuthor(&pn, q)
	return pn
}

func recoveryPanel(r *http.Request, m *metrics.RecoveryTime, q metrics.Query) Panel {
	rng := rangeText(q)
	t := &Table{ID: "recovery-time", Caption: "Time to recover " + perPeriod(q.Period) + " (hours), " + rng,
		Columns: []Column{{Name: "Period start"}, {Name: "Incidents resolved", Num: true}, {Name: "Median (h)", Num: true}}}
	c := &chart.Chart{Kind: chart.Bars, NoValue: "no incidents resolved", Series: []chart.Series{{Name: "median"}}}
	for _, pt := range m.Data {
		t.Rows = append(t.Rows, []Cell{{Text: pt.Date}, {Text: intCell(pt.Count)}, {Text: hoursCell(pt.MedianHours)}})
		c.Labels = append(c.Labels, pt.Date)
		c.Series[0].Values = append(c.Series[0].Values, pt.MedianHours)
	}
	durationAxis(c)
	markPartial(q, t, c)
	pn := newPanel(r, "Recovery time", c, t)
	pn.Headline = "median " + hoursText(m.MedianHours) + " · p90 " + hoursText(m.P90Hours) + " · " + intCell(m.Count) + " resolved · " + intCell(m.OpenIncidents) + " still open"
	pn.Tier = tierOf(m.Tier)
	pn.Help = "From an incident's opening to its resolution, for incidents resolved in the range. Incidents are issues labelled with INCIDENT_LABELS (default incident)."
	if m.Count == 0 {
		pn.Empty = "No incidents were resolved from " + rng + "."
	}
	notByAuthor(&pn, q)
	return pn
}

func reworkPanel(r *http.Request, m *metrics.ReworkRate, q metrics.Query) Panel {
	rng := rangeText(q)
	t := &Table{ID: "rework-rate", Caption: "Rework rate " + perPeriod(q.Period) + ", " + rng,
		Columns: []Column{{Name: "Period start"}, {Name: "Deployments", Num: true}, {Name: "Rework", Num: true}, {Name: "Rate (%)", Num: true}}}
	c := &chart.Chart{Kind: chart.Bars, Format: formatPercent, NoValue: "no deployments", Series: []chart.Series{{Name: "rework rate"}}}
	for _, pt := range m.Data {
		t.Rows = append(t.Rows, []Cell{{Text: pt.Date}, {Text: intCell(pt.Deployments)}, {Text: intCell(pt.Rework)}, {Text: percentCell(pt.Rate)}})
		c.Labels = append(c.Labels, pt.Date)
		c.Series[0].Values = append(c.Series[0].Values, scale(pt.Rate, 100))
	}
	markPartial(q, t, c)
	pn := newPanel(r, "Rework rate", c, t)
	pn.Headline = percentText(m.Rate) + " · " + intCell(m.ReworkDeployments) + " of " + plural(m.Deployments, "deployment", "deployments") + " shipped a revert or hotfix"
	pn.Help = "A rework deployment ships a PR titled Revert \"…\", from a revert-… or hotfix… branch, or labelled hotfix."
	if m.Deployments == 0 {
		pn.Empty = "No deployments from " + rng + ", so no rework rate."
	}
	notByAuthor(&pn, q)
	return pn
}

// notByAuthor notes, when an author is chosen, that a panel's metric counts
// deployments and incidents, which the author filter does not narrow.
func notByAuthor(pn *Panel, q metrics.Query) {
	if q.Author != "" {
		pn.Help += " The author filter does not apply here: deployments and incidents are everyone's."
	}
}
