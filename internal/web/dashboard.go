package web

import (
	"net/http"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/veelocity/veelocity/internal/metrics"
)

// kpi is a card of the dashboard.
type kpi struct {
	Name, Value, Detail string
	Tier                string
	Trend               *trendView
	URL                 string
	Help                string
}

type dashboardBody struct {
	Range       string
	DORA        []kpi
	Development []kpi
	Charts      []Panel
	Summary     Panel
	// Quiet is set when nothing happened in the range.
	Quiet bool
}

func (p *Pages) dashboard(w http.ResponseWriter, r *http.Request) error {
	pg := &page{Title: "Dashboard"}
	q, ok, err := p.parseFilters(r, pg, dashboardFilters)
	if err != nil {
		return err
	}
	if !ok {
		return p.render(w, r, pg.status, "dashboard", pg)
	}
	ctx := r.Context()
	q.Trend = true
	// The two halves at once: they read different populations.
	var dora *metrics.DORA
	var dev *metrics.Development
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		dora, err = p.metrics.DORA(gctx, q)
		return err
	})
	g.Go(func() (err error) {
		dev, err = p.metrics.Development(gctx, q)
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	qs := carry(r.URL.Query())
	link := func(path string) string {
		if qs == "" {
			return path
		}
		return path + "?" + qs
	}
	df, lt, cfr, rt, rw := dora.DeploymentFrequency, dora.LeadTime, dora.ChangeFailureRate, dora.RecoveryTime, dora.ReworkRate
	perDay := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return numberText(*v) + "/day"
	}
	b := &dashboardBody{Range: rangeText(q)}
	b.DORA = []kpi{
		{Name: "Deployment frequency", Value: perDay(&df.PerDay), Detail: plural(df.Total, "deployment", "deployments"),
			Tier: tierOf(df.Tier), Trend: newTrendView(df.Trend, perDay), URL: link("/dora") + "#deployment-frequency",
			Help: "Production deployments per day"},
		{Name: "Lead time for changes", Value: hoursText(lt.MedianHours), Detail: plural(lt.Count, "PR", "PRs") + " deployed · p90 " + hoursText(lt.P90Hours),
			Tier: tierOf(lt.Tier), Trend: newTrendView(lt.Trend, hoursText), URL: link("/dora") + "#lead-time",
			Help: "Median time from a PR's first commit to its deployment"},
		{Name: "Change failure rate", Value: percentText(cfr.Rate), Detail: intCell(cfr.FailedDeployments) + " of " + plural(cfr.Deployments, "deployment", "deployments") + " failed",
			Tier: tierOf(cfr.Tier), Trend: newTrendView(cfr.Trend, percentText), URL: link("/dora") + "#change-failure-rate",
			Help: "Share of deployments with an attributed incident"},
		{Name: "Recovery time", Value: hoursText(rt.MedianHours), Detail: plural(rt.Count, "incident", "incidents") + " resolved · " + intCell(rt.OpenIncidents) + " open",
			Tier: tierOf(rt.Tier), Trend: newTrendView(rt.Trend, hoursText), URL: link("/dora") + "#recovery-time",
			Help: "Median time from an incident's opening to its resolution"},
		{Name: "Rework rate", Value: percentText(rw.Rate), Detail: intCell(rw.ReworkDeployments) + " of " + plural(rw.Deployments, "deployment", "deployments") + " shipped a fix",
			Trend: newTrendView(rw.Trend, percentText), URL: link("/dora") + "#rework-rate",
			Help: "Share of deployments that shipped a revert or hotfix"},
	}
	if q.Author != "" {
		// Only lead time, of the DORA metrics, is about pull requests.
		for i := range b.DORA {
			if b.DORA[i].Name != "Lead time for changes" {
				b.DORA[i].Detail += " · all authors"
			}
		}
	}
	rv, mt, ct, tp := dev.PRReviewTime, dev.PRMergeTime, dev.CycleTime, dev.Throughput
	count := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return numberText(*v)
	}
	tpDetail := "PRs merged"
	if tp.IssuesCompleted != nil {
		tpDetail += " · " + plural(tp.IssuesCompleted.Total, "Linear issue", "Linear issues") + " completed"
	}
	b.Development = []kpi{
		{Name: "Review time", Value: hoursText(rv.MedianHours), Detail: plural(rv.Count, "PR", "PRs") + " · p90 " + hoursText(rv.P90Hours),
			Trend: newTrendView(rv.Trend, hoursText), URL: link("/development") + "#review-time", Help: "Median time from opening a PR to its first review"},
		{Name: "Merge time", Value: hoursText(mt.MedianHours), Detail: plural(mt.Count, "PR", "PRs") + " · p90 " + hoursText(mt.P90Hours),
			Trend: newTrendView(mt.Trend, hoursText), URL: link("/development") + "#merge-time", Help: "Median time from opening a PR to merging it"},
		{Name: "Cycle time", Value: hoursText(ct.MedianHours), Detail: plural(ct.Count, "Linear issue", "Linear issues") + " · p90 " + hoursText(ct.P90Hours),
			Trend: newTrendView(ct.Trend, hoursText), URL: link("/development") + "#cycle-time", Help: "Median time from a Linear issue's creation to its last merged PR"},
		{Name: "Throughput", Value: intCell(tp.Total), Detail: tpDetail,
			Trend: newTrendView(tp.Trend, count), URL: link("/development") + "#throughput", Help: "Pull requests merged in the range"},
	}
	b.Quiet = df.Total == 0 && lt.Count == 0 && tp.Total == 0 && rv.Count == 0 && rt.Count == 0
	t := &Table{ID: "summary", Caption: "Every metric for " + b.Range + ", with the previous period of equal length",
		Columns: []Column{{Name: "Metric"}, {Name: "Value"}, {Name: "Tier"}, {Name: "Previous"}, {Name: "Change"}, {Name: "Direction"}}}
	for _, k := range append(append([]kpi{}, b.DORA...), b.Development...) {
		row := []Cell{{Text: k.Name}, {Text: k.Value}, {Text: k.Tier}, {}, {}, {}}
		if k.Trend != nil {
			row[3].Text, row[4].Text, row[5].Text = k.Trend.Previous, strings.TrimSpace(k.Trend.Arrow+" "+k.Trend.Text), k.Trend.Class
		}
		t.Rows = append(t.Rows, row)
	}
	b.Summary = newPanel(r, "Summary", nil, t)
	b.Charts = []Panel{deploymentFrequencyPanel(r, df, q), throughputPanel(r, tp, q)}
	if wantsCSV(r) {
		return p.writeCSV(w, r, t, b.Charts[0].Table, b.Charts[1].Table)
	}
	pg.Body = b
	return p.render(w, r, http.StatusOK, "dashboard", pg)
}
