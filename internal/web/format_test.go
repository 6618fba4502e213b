package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/web/chart"
)

func TestTrendView(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	dir := func(s string) *string { return &s }
	tests := []struct {
		name  string
		trend *metrics.Trend
		want  *trendView // nil: no trend shown
	}{
		{"no trend asked", nil, nil},
		{"no previous data", &metrics.Trend{}, &trendView{Text: "no previous data", Class: "none", Previous: "—"}},
		{"both zero", &metrics.Trend{Previous: f(0), Direction: dir(metrics.Stable)},
			&trendView{Text: "no change", Class: "stable", Previous: "0"}},
		{"up from zero", &metrics.Trend{Previous: f(0), Direction: dir(metrics.Improving)},
			&trendView{Arrow: "↑", Text: "from 0", Class: "improving", Previous: "0"}},
		{"up", &metrics.Trend{Previous: f(10), ChangePercent: f(12.345), Direction: dir(metrics.Improving)},
			&trendView{Arrow: "↑", Text: "12.3%", Class: "improving", Previous: "10"}},
		{"down", &metrics.Trend{Previous: f(10), ChangePercent: f(-40), Direction: dir(metrics.Worsening)},
			&trendView{Arrow: "↓", Text: "40%", Class: "worsening", Previous: "10"}},
		{"unchanged", &metrics.Trend{Previous: f(10), ChangePercent: f(0), Direction: dir(metrics.Stable)},
			&trendView{Arrow: "→", Text: "0%", Class: "stable", Previous: "10"}},
	}
	format := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return numberText(*v)
	}
	for _, tt := range tests {
		got := newTrendView(tt.trend, format)
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 incidents", 1: "1 incident", 2: "2 incidents"} {
		if got := plural(n, "incident", "incidents"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}

// A duration chart reads in days when its values reach 48 hours, as the
// headlines do, and in hours below that; its values stay the metrics'.
func TestDurationAxis(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	long := f(96)
	c := &chart.Chart{Kind: chart.Lines, Labels: []string{"a", "b"}, Series: []chart.Series{{Values: []*float64{f(12), long}}, {Values: []*float64{nil, f(30)}}}}
	durationAxis(c)
	if c.Format(4) != "4 d" || *c.Series[0].Values[0] != 0.5 || *c.Series[0].Values[1] != 4 || c.Series[1].Values[0] != nil || *long != 96 {
		t.Errorf("a chart up to 96 h: format %q, values %v, %v; source %v", c.Format(4), *c.Series[0].Values[0], *c.Series[0].Values[1], *long)
	}
	short := &chart.Chart{Kind: chart.Bars, Labels: []string{"a"}, Series: []chart.Series{{Values: []*float64{f(47)}}}}
	durationAxis(short)
	if short.Format(47) != "47 h" || *short.Series[0].Values[0] != 47 {
		t.Errorf("a chart up to 47 h reads %q", short.Format(47))
	}
	// Stacked: the tallest stack decides.
	stack := &chart.Chart{Kind: chart.Stacked, Labels: []string{"a"}, Series: []chart.Series{{Values: []*float64{f(30)}}, {Values: []*float64{f(30)}}}}
	durationAxis(stack)
	if stack.Format(1) != "1 d" {
		t.Errorf("a 60 h stack reads %q", stack.Format(1))
	}
}

// Counts of one read in the singular, and per-period averages name the
// period.
func TestWordingOfCounts(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	repo := b.Repo("acme/web")
	at := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	b.Deployment(repo, "d0", at(1, 9), "sha0")
	b.PullRequest(repo, scenario.PR{Title: "One", Author: "mona", Head: "one", Created: at(10, 9),
		Merged: scenario.Ptr(at(10, 12)), Commits: []time.Time{at(10, 8)}})
	b.Deployment(repo, "d1", at(10, 15), "sha1")
	b.Incident(repo, "i1", at(11, 9), scenario.Ptr(at(11, 10)))
	b.DeriveFull()
	s := newSite(t, st, testConfig(t), nil)
	const rng = "?start_date=2026-03-09&end_date=2026-03-15"
	r := s.page(t, "/dashboard"+rng, http.StatusOK)
	detail := func(name string) string {
		return text(find(find(r.doc, sel("a", ".kpi", "[data-kpi="+name+"]")), sel("span", ".kpi-detail")))
	}
	for name, want := range map[string]string{
		"Deployment frequency":  "1 deployment",
		"Lead time for changes": "1 PR deployed · p90 7 h",
		"Recovery time":         "1 incident resolved · 0 open",
		"Change failure rate":   "1 of 1 deployment failed",
		"Merge time":            "1 PR · p90 3 h",
	} {
		if got := detail(name); got != want {
			t.Errorf("%s card: %q, want %q", name, got, want)
		}
	}
	headline := func(r *response, id string) string {
		return text(find(find(r.doc, sel("section", "#"+id)), sel("p", ".headline")))
	}
	if got := headline(r, "deployment-frequency"); got != "1 deployment · 0.14 per day · 1 per week" {
		t.Errorf("deployment frequency headline %q", got)
	}
	r = s.page(t, "/development"+rng+"&period=day", http.StatusOK)
	if got := headline(r, "throughput"); got != "1 PR merged · 0.14 per day" {
		t.Errorf("throughput headline %q", got)
	}
	if got := headline(r, "merge-time"); !strings.HasSuffix(got, " · 1 PR merged") {
		t.Errorf("merge time headline %q", got)
	}
	r = s.page(t, "/incidents"+rng, http.StatusOK)
	if got := text(find(r.doc, sel("p", ".summary"))); !strings.HasPrefix(got, "1 incident;") {
		t.Errorf("incidents summary %q", got)
	}
}
