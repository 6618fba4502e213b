package web

import (
	"net/http"
	"strings"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/web/chart"
)

func (p *Pages) development(w http.ResponseWriter, r *http.Request) error {
	pg := &page{Title: "Development metrics"}
	q, ok, err := p.parseFilters(r, pg, developmentFilters, "sort", "order")
	if err != nil {
		return err
	}
	if !ok {
		return p.render(w, r, pg.status, "charts", pg)
	}
	// The metrics and the developers table at once.
	var d *metrics.Development
	done := make(chan error, 1)
	go func() {
		var err error
		d, err = p.metrics.Development(r.Context(), q)
		done <- err
	}()
	devs, devsErr := p.developersPanel(r, q)
	if err := <-done; err != nil {
		return err
	}
	rng := rangeText(q)
	panels := []Panel{
		durationPanel(r, "review-time", "Review time", "PRs first reviewed", d.PRReviewTime, q,
			"From opening a PR to its first review by someone other than its author (bots do not count), for PRs first reviewed in the range."),
		durationPanel(r, "merge-time", "Merge time", "PRs merged", d.PRMergeTime, q,
			"From opening a PR to merging it, for PRs merged in the range into any branch."),
		durationPanel(r, "cycle-time", "Cycle time", "Linear issues", d.CycleTime, q,
			"From a Linear issue's creation to the last merge among its linked PRs. Issues link to PRs that name them (ENG-123) or that they attach."),
		throughputPanel(r, d.Throughput, q),
	}
	if isParamError(devsErr) {
		pg.Error, _, _ = queryError(devsErr, r.URL.Query())
		return p.render(w, r, http.StatusBadRequest, "charts", pg)
	}
	if devsErr != nil {
		return devsErr
	}
	panels = append(panels, *devs)
	if wantsCSV(r) {
		return p.writeCSV(w, r, tablesOf(panels)...)
	}
	pg.Body = &chartsBody{Range: rng, Panels: panels}
	return p.render(w, r, http.StatusOK, "charts", pg)
}

func durationPanel(r *http.Request, id, title, what string, m *metrics.DurationMetric, q metrics.Query, help string) Panel {
	rng := rangeText(q)
	t := &Table{ID: id, Caption: title + " " + perPeriod(q.Period) + " (hours), " + rng,
		Columns: []Column{{Name: "Period start"}, {Name: what, Num: true}, {Name: "Median (h)", Num: true}}}
	c := &chart.Chart{Kind: chart.Lines, Series: []chart.Series{{Name: "median"}}}
	for _, pt := range m.Data {
		t.Rows = append(t.Rows, []Cell{{Text: pt.Date}, {Text: intCell(pt.Count)}, {Text: hoursCell(pt.MedianHours)}})
		c.Labels = append(c.Labels, pt.Date)
		c.Series[0].Values = append(c.Series[0].Values, pt.MedianHours)
	}
	durationAxis(c)
	markPartial(q, t, c)
	pn := newPanel(r, title, c, t)
	pn.Headline = "median " + hoursText(m.MedianHours) + " · p75 " + hoursText(m.P75Hours) + " · p90 " + hoursText(m.P90Hours) + " · " + plural(m.Count, strings.NewReplacer("PRs", "PR", "issues", "issue").Replace(what), what)
	pn.Help = help
	if m.Count == 0 {
		pn.Empty = "No " + what + " from " + rng + "."
		if id == "cycle-time" {
			pn.Empty += " Cycle time needs Linear: set LINEAR_API_KEY and sync."
		}
	}
	return pn
}

func throughputPanel(r *http.Request, m *metrics.Throughput, q metrics.Query) Panel {
	rng := rangeText(q)
	cols := []Column{{Name: "Period start"}, {Name: "PRs merged", Num: true}}
	c := &chart.Chart{Kind: chart.Bars, Integers: true, Series: []chart.Series{{Name: "PRs merged"}}}
	if m.IssuesCompleted != nil {
		cols = append(cols, Column{Name: "Linear issues completed", Num: true})
		c.Series = append(c.Series, chart.Series{Name: "Linear issues completed"})
	}
	t := &Table{ID: "throughput", Caption: "Throughput " + perPeriod(q.Period) + ", " + rng, Columns: cols}
	for i, pt := range m.Data {
		row := []Cell{{Text: pt.Date}, {Text: intCell(pt.Count)}}
		c.Labels = append(c.Labels, pt.Date)
		c.Series[0].Values = append(c.Series[0].Values, ptr(float64(pt.Count)))
		if m.IssuesCompleted != nil {
			n := m.IssuesCompleted.Data[i].Count
			row = append(row, Cell{Text: intCell(n)})
			c.Series[1].Values = append(c.Series[1].Values, ptr(float64(n)))
		}
		t.Rows = append(t.Rows, row)
	}
	markPartial(q, t, c)
	pn := newPanel(r, "Throughput", c, t)
	pn.Headline = plural(m.Total, "PR", "PRs") + " merged · " + numberText(m.Average) + " " + perPeriod(q.Period)
	if m.IssuesCompleted != nil {
		pn.Headline += " · " + plural(m.IssuesCompleted.Total, "Linear issue", "Linear issues") + " completed"
	}
	pn.Help = "Pull requests merged per period and, when Linear is configured, Linear issues completed."
	if m.Total == 0 && (m.IssuesCompleted == nil || m.IssuesCompleted.Total == 0) {
		pn.Empty = "Nothing was merged or completed from " + rng + "."
	}
	return pn
}
