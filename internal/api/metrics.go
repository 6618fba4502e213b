package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/veelocity/veelocity/internal/metrics"
)

// metricParams are the parameters every metric endpoint takes (METRICS.md,
// "Range parameters" and "Filters").
var metricParams = []Param{
	{Name: "start_date", Type: "string", Format: "date", Description: "first day, inclusive (default end_date − 29 days)"},
	{Name: "end_date", Type: "string", Format: "date", Description: "last day, inclusive (default today, UTC)"},
	{Name: "period", Type: "string", Enum: []string{"day", "week", "month"}, Description: "bucket size (default week)"},
	{Name: "repo_id", Type: "integer", Description: "internal repository id"},
	{Name: "repo", Type: "string", Description: "repository as owner/name"},
	{Name: "author", Type: "string", Description: "GitHub login; restricts PR-based metrics"},
	{Name: "include_trend", Type: "boolean", Description: "compare with the previous range of equal length"},
}

// metricsRoutes lists the routes for DORA and development metrics.
func (a *API) metricsRoutes() []Route {
	type metric struct {
		path, summary string
		fn            func(ctx context.Context, q metrics.Query) (any, error)
	}
	m := a.metrics
	list := []metric{
		{"/api/v1/metrics/dora", "All five DORA metrics", func(ctx context.Context, q metrics.Query) (any, error) { return m.DORA(ctx, q) }},
		{"/api/v1/metrics/dora/deployment-frequency", "Deployment frequency", func(ctx context.Context, q metrics.Query) (any, error) { return m.DeploymentFrequency(ctx, q) }},
		{"/api/v1/metrics/dora/lead-time", "Lead time for changes, with phases", func(ctx context.Context, q metrics.Query) (any, error) { return m.LeadTime(ctx, q) }},
		{"/api/v1/metrics/dora/change-failure-rate", "Change failure rate", func(ctx context.Context, q metrics.Query) (any, error) { return m.ChangeFailureRate(ctx, q) }},
		{"/api/v1/metrics/dora/recovery-time", "Time to recover from incidents", func(ctx context.Context, q metrics.Query) (any, error) { return m.RecoveryTime(ctx, q) }},
		{"/api/v1/metrics/dora/rework-rate", "Rework rate", func(ctx context.Context, q metrics.Query) (any, error) { return m.ReworkRate(ctx, q) }},
		{"/api/v1/metrics/development", "All four development metrics", func(ctx context.Context, q metrics.Query) (any, error) { return m.Development(ctx, q) }},
		{"/api/v1/metrics/development/pr-review-time", "PR review time (first review − creation)", func(ctx context.Context, q metrics.Query) (any, error) { return m.PRReviewTime(ctx, q) }},
		{"/api/v1/metrics/development/pr-merge-time", "PR merge time (merge − creation)", func(ctx context.Context, q metrics.Query) (any, error) { return m.PRMergeTime(ctx, q) }},
		{"/api/v1/metrics/development/cycle-time", "Cycle time from Linear issue to its last merged PR", func(ctx context.Context, q metrics.Query) (any, error) { return m.CycleTime(ctx, q) }},
		{"/api/v1/metrics/development/throughput", "PRs merged (and Linear issues completed) per bucket", func(ctx context.Context, q metrics.Query) (any, error) { return m.Throughput(ctx, q) }},
	}
	routes := make([]Route, 0, len(list))
	for _, mt := range list {
		routes = append(routes, Route{
			Method: http.MethodGet, Pattern: mt.path, Tag: "metrics", Summary: mt.summary, Params: metricParams,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				q, err := a.metricQuery(r)
				if err != nil {
					return err
				}
				v, err := mt.fn(r.Context(), q)
				if err != nil {
					return err
				}
				return WriteJSON(w, http.StatusOK, v)
			},
		})
	}
	routes = append(routes, Route{
		Method: http.MethodGet, Pattern: "/api/v1/metrics/developers", Tag: "metrics",
		Summary: "One row per PR author (bots excluded): merged PRs, median merge time, median review time received, reviews given, median PR size, Linear issues completed",
		Params: append(slices.Clip(metricParams),
			Param{Name: "sort", Type: "string", Enum: metrics.DeveloperColumns, Description: "column to sort by (default merged_prs)"},
			Param{Name: "order", Type: "string", Enum: []string{"asc", "desc"}, Description: "default desc (asc for login); nulls last"}),
		Handler: a.developers,
	})
	return routes
}

func (a *API) developers(w http.ResponseWriter, r *http.Request) error {
	q, err := a.metricQuery(r)
	if err != nil {
		return err
	}
	d, err := a.metrics.Developers(r.Context(), q, r.URL.Query().Get("sort"), r.URL.Query().Get("order"))
	var pe *metrics.ParamError
	if errors.As(err, &pe) {
		return BadRequest(pe.Param, "%s", pe.Msg)
	}
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, d)
}

// metricQuery parses the metric parameters, mapping their errors to 400
// (naming the parameter) and 404 (an unknown repository).
func (a *API) metricQuery(r *http.Request) (metrics.Query, error) {
	q, err := metrics.ParseQuery(r.Context(), a.store, r.URL.Query(), a.now().UTC())
	var pe *metrics.ParamError
	switch {
	case errors.As(err, &pe):
		return q, BadRequest(pe.Param, "%s", pe.Msg)
	case errors.Is(err, metrics.ErrUnknownRepo):
		// The detail names what was asked for: the caller's own input.
		e := NotFound("repository")
		if detail, ok := strings.CutPrefix(err.Error(), metrics.ErrUnknownRepo.Error()+": "); ok {
			e.Message += ": " + detail
		}
		return q, e
	case errors.Is(err, metrics.ErrUnknownTeam):
		e := NotFound("team")
		if detail, ok := strings.CutPrefix(err.Error(), metrics.ErrUnknownTeam.Error()+": team "); ok {
			e.Message += ": " + detail
		}
		return q, e
	}
	return q, err
}
