// Package report renders the DORA and development headline figures for a
// range as a terminal table, Markdown, or JSON, for `veelocity report`.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/veelocity/veelocity/internal/metrics"
)

// Report is what `veelocity report` prints: the same JSON as
// GET /api/v1/metrics/dora and /development with include_trend=true.
type Report struct {
	DORA        *metrics.DORA        `json:"dora"`
	Development *metrics.Development `json:"development"`

	// The range and scope, for the headings of the text formats.
	StartDate string `json:"-"`
	EndDate   string `json:"-"`
	Days      int    `json:"-"`
	Scope     string `json:"-"` // "all repositories", "acme/web", …
}

// Formats are the output formats.
var Formats = []string{"table", "markdown", "json"}

// row is one headline: a metric's name, value, tier and trend.
type row struct {
	name, value, tier, trend string
}

func (r *Report) rows() (dora, dev []row) {
	d, v := r.DORA, r.Development
	dora = []row{
		{"Deployment frequency", perDay(d.DeploymentFrequency), tierText(d.DeploymentFrequency.Tier), trendText(d.DeploymentFrequency.Trend)},
		{"Lead time for changes", hoursText(d.LeadTime.MedianHours, "median"), tierText(d.LeadTime.Tier), trendText(d.LeadTime.Trend)},
		{"Change failure rate", percent(d.ChangeFailureRate.Rate, d.ChangeFailureRate.FailedDeployments, d.ChangeFailureRate.Deployments),
			tierText(d.ChangeFailureRate.Tier), trendText(d.ChangeFailureRate.Trend)},
		{"Time to restore service", hoursText(d.RecoveryTime.MedianHours, "median"), tierText(d.RecoveryTime.Tier), trendText(d.RecoveryTime.Trend)},
		{"Rework rate", percent(d.ReworkRate.Rate, d.ReworkRate.ReworkDeployments, d.ReworkRate.Deployments), "—", trendText(d.ReworkRate.Trend)},
	}
	throughput := fmt.Sprintf("%d PRs merged", v.Throughput.Total)
	if ic := v.Throughput.IssuesCompleted; ic != nil {
		throughput += fmt.Sprintf(", %d issues completed", ic.Total)
	}
	dev = []row{
		{"PR review time", hoursText(v.PRReviewTime.MedianHours, "median"), "—", trendText(v.PRReviewTime.Trend)},
		{"PR merge time", hoursText(v.PRMergeTime.MedianHours, "median"), "—", trendText(v.PRMergeTime.Trend)},
		{"Cycle time", hoursText(v.CycleTime.MedianHours, "median"), "—", trendText(v.CycleTime.Trend)},
		{"Throughput", throughput, "—", trendText(v.Throughput.Trend)},
	}
	return dora, dev
}

// Write renders r in format (table, markdown or json).
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "markdown":
		return r.markdown(w)
	case "table", "":
		return r.table(w)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

func (r *Report) heading() string {
	return fmt.Sprintf("%s to %s (%d days), %s", r.StartDate, r.EndDate, r.Days, r.Scope)
}

func (r *Report) table(w io.Writer) error {
	dora, dev := r.rows()
	fmt.Fprintf(w, "Veelocity report: %s\n\n", r.heading())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "DORA\tvalue\ttier\ttrend vs previous %d days\n", r.Days)
	for _, x := range dora {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", x.name, x.value, x.tier, x.trend)
	}
	fmt.Fprintf(tw, "\t\t\t\nDevelopment\t\t\t\n")
	for _, x := range dev {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", x.name, x.value, x.tier, x.trend)
	}
	return tw.Flush()
}

func (r *Report) markdown(w io.Writer) error {
	dora, dev := r.rows()
	var b strings.Builder
	fmt.Fprintf(&b, "### Veelocity report: %s\n\n", r.heading())
	fmt.Fprintf(&b, "| Metric | Value | Tier | Trend vs previous %d days |\n|---|---|---|---|\n", r.Days)
	for _, x := range dora {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", x.name, md(x.value), md(x.tier), md(x.trend))
	}
	for _, x := range dev {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", x.name, md(x.value), md(x.tier), md(x.trend))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// md escapes a Markdown table cell.
func md(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func perDay(df *metrics.DeploymentFrequency) string {
	switch {
	case df.Total == 0:
		return "no deployments"
	case df.PerDay >= 1:
		return fmt.Sprintf("%.1f per day (%d)", df.PerDay, df.Total)
	case df.PerDay*7 >= 1:
		return fmt.Sprintf("%.1f per week (%d)", df.PerDay*7, df.Total)
	}
	return fmt.Sprintf("%.1f per month (%d)", df.PerDay*30, df.Total)
}

// hoursText shows a duration in hours, or days beyond two days.
func hoursText(h *float64, what string) string {
	if h == nil {
		return "no data"
	}
	if *h >= 48 {
		return fmt.Sprintf("%.1f days (%s)", *h/24, what)
	}
	return fmt.Sprintf("%.1f hours (%s)", *h, what)
}

func percent(rate *float64, num, den int) string {
	if rate == nil {
		return "no deployments"
	}
	return fmt.Sprintf("%.1f%% (%d of %d)", *rate*100, num, den)
}

func tierText(t *string) string {
	if t == nil {
		return "—"
	}
	return *t
}

func trendText(t *metrics.Trend) string {
	if t == nil || t.Direction == nil {
		return "—"
	}
	arrow := "→"
	if t.ChangePercent != nil {
		switch {
		case *t.ChangePercent > 0:
			arrow = "↑"
		case *t.ChangePercent < 0:
			arrow = "↓"
		}
		return fmt.Sprintf("%s %+.1f%% %s", arrow, *t.ChangePercent, *t.Direction)
	}
	if *t.Direction != metrics.Stable {
		arrow = "↑" // from nothing
	}
	return fmt.Sprintf("%s %s (previously 0)", arrow, *t.Direction)
}
