package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/veelocity/veelocity/internal/store"
)

// linearStateTypes are the workflow state types Linear assigns issues.
var linearStateTypes = []string{"triage", "backlog", "unstarted", "started", "completed", "canceled", "duplicate"}

// linearRoutes lists the routes for Linear teams and issues.
func (a *API) linearRoutes() []Route {
	return []Route{
		{
			Method: http.MethodGet, Pattern: "/api/v1/linear/teams", Tag: "linear",
			Summary: "Linear teams, by key, with the number of their issues",
			Params:  listParams(),
			Handler: a.listLinearTeams,
		},
		{
			Method: http.MethodGet, Pattern: "/api/v1/linear/issues", Tag: "linear",
			Summary: "Linear issues, newest first, each with its linked pull requests",
			Params: listParams(
				Param{Name: "team", Description: "team key, e.g. ENG (case-insensitive)"},
				Param{Name: "state_type", Enum: linearStateTypes, Description: "workflow state type"},
				Param{Name: "completed_from", Format: "date", Description: "completed on or after this day (YYYY-MM-DD, UTC)"},
				Param{Name: "completed_to", Format: "date", Description: "completed on or before this day (YYYY-MM-DD, UTC)"},
			),
			Handler: a.listLinearIssues,
		},
	}
}

func (a *API) listLinearTeams(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	teams, total, err := a.store.LinearTeamList(r.Context(), p)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, NewList(teams, total, p))
}

func (a *API) listLinearIssues(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.LinearIssueFilter{TeamKey: strings.TrimSpace(q.Get("team")), StateType: q.Get("state_type")}
	if f.StateType != "" && !slices.Contains(linearStateTypes, f.StateType) {
		return BadRequest("state_type", "must be one of %s", strings.Join(linearStateTypes, ", "))
	}
	var err error
	if f.Completed, err = parseDaySpan(r, "completed_from", "completed_to"); err != nil {
		return err
	}
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	if f.TeamKey != "" {
		ok, err := a.store.LinearTeamKeyExists(r.Context(), f.TeamKey)
		if err != nil {
			return err
		}
		if !ok {
			return NotFound("Linear team")
		}
	}
	issues, total, err := a.store.LinearIssueList(r.Context(), f, p)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, NewList(issues, total, p))
}
