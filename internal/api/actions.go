package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/store"
)

// actionsRoutes lists the routes for GitHub Actions workflows and deployments.
func (a *API) actionsRoutes() []Route {
	return []Route{
		{
			Method: http.MethodGet, Pattern: "/api/v1/actions/workflows", Tag: "actions",
			Summary: "GitHub Actions workflows, with is_deployment, their repository and counts of their runs",
			Params:  listParams(repoScopeParams()...),
			Handler: a.listWorkflows,
		},
		{
			Method: http.MethodGet, Pattern: "/api/v1/actions/deployments", Tag: "actions",
			Summary: "Deployments from every source, newest first, each with the pull requests it shipped and the incidents attributed to it",
			Params: listParams(repoScopeParams(
				Param{Name: "start_date", Format: "date", Description: "deployed on or after this day (YYYY-MM-DD, UTC)"},
				Param{Name: "end_date", Format: "date", Description: "deployed on or before this day (YYYY-MM-DD, UTC)"},
				Param{Name: "environment", Description: "only deployments to this environment (case-insensitive)"},
				Param{Name: "team", Description: "only deployments of this team's repositories"},
			)...),
			Handler: a.listDeployments,
		},
	}
}

func (a *API) listWorkflows(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	repoID, err := a.repoScope(r)
	if err != nil {
		return err
	}
	wfs, total, err := a.store.WorkflowList(r.Context(), repoID, p)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, NewList(wfs, total, p))
}

func (a *API) listDeployments(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	var f store.DeploymentFilter
	if f.Deployed, err = parseDaySpan(r, "start_date", "end_date"); err != nil {
		return err
	}
	if f.RepoID, err = a.repoScope(r); err != nil {
		return err
	}
	f.Environment = strings.TrimSpace(r.URL.Query().Get("environment"))
	if slug := strings.TrimSpace(r.URL.Query().Get("team")); slug != "" {
		t, err := metrics.ResolveTeam(r.Context(), a.store, slug)
		if errors.Is(err, metrics.ErrUnknownTeam) {
			return teamNotFound(slug)
		}
		if err != nil {
			return err
		}
		f.TeamRepoIDs = t.RepoIDs
	}
	deps, total, err := a.store.DeploymentList(r.Context(), f, p)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, NewList(deps, total, p))
}
