package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// githubRoutes lists the routes for GitHub data (repos, PRs).
func (a *API) githubRoutes() []Route {
	return []Route{
		{
			Method: http.MethodGet, Pattern: "/api/v1/github/repos", Tag: "github",
			Summary: "Repositories, by name, with counts of their pull requests (all, open, merged)",
			Params:  listParams(),
			Handler: a.listRepos,
		},
		{
			Method: http.MethodGet, Pattern: "/api/v1/github/repos/{id}/prs", Tag: "github",
			Summary: "Pull requests of a repository, newest first",
			Params: listParams(
				Param{Name: "id", In: "path", Type: "integer", Description: "repository id"},
				Param{Name: "state", Enum: []string{model.PRStateOpen, model.PRStateClosed, model.PRStateMerged},
					Description: "open, closed (without merging) or merged"},
				Param{Name: "author", Description: "author's GitHub login (case-insensitive)"},
				Param{Name: "merged_from", Format: "date", Description: "merged on or after this day (YYYY-MM-DD, UTC)"},
				Param{Name: "merged_to", Format: "date", Description: "merged on or before this day (YYYY-MM-DD, UTC)"},
			),
			Handler: a.listRepoPRs,
		},
		{
			Method: http.MethodGet, Pattern: "/api/v1/github/prs/{id}", Tag: "github",
			Summary: "A pull request with its reviews, comments, commits, labels, derived facts (first commit, first review, deployment, lead time) and linked Linear issues",
			Params:  []Param{{Name: "id", In: "path", Type: "integer", Description: "pull request id"}},
			Handler: a.getPR,
		},
	}
}

func (a *API) listRepos(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	repos, total, err := a.store.RepoSummaries(r.Context(), p)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, NewList(repos, total, p))
}

func (a *API) listRepoPRs(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := store.PRFilter{RepoID: id, Author: strings.TrimSpace(r.URL.Query().Get("author"))}
	switch st := r.URL.Query().Get("state"); st {
	case "", model.PRStateOpen, model.PRStateClosed, model.PRStateMerged:
		f.State = st
	default:
		return BadRequest("state", "must be open, closed or merged")
	}
	if f.Merged, err = parseDaySpan(r, "merged_from", "merged_to"); err != nil {
		return err
	}
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	if _, err := a.store.Repository(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return NotFound("repository")
	} else if err != nil {
		return err
	}
	prs, total, err := a.store.PullRequestList(r.Context(), f, p)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, NewList(prs, total, p))
}

func (a *API) getPR(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pr, err := a.store.PullRequestDetail(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("pull request")
	} else if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, pr)
}

// Filters shared by the data endpoints (github, actions, linear).

// listParams returns ps followed by page and limit.
func listParams(ps ...Param) []Param {
	return append(ps, pageParams...)
}

// repoScopeParams describe the repo_id and repo filters, followed by ps.
func repoScopeParams(ps ...Param) []Param {
	return append([]Param{
		{Name: "repo_id", Type: "integer", Description: "restrict to this repository id"},
		{Name: "repo", Description: "restrict to this repository (owner/name, case-insensitive)"},
	}, ps...)
}

// repoScope reads the repo_id and repo filters and returns the repository
// they name, or 0 when neither is given. An unknown repository is a 404;
// both given but naming different repositories is a 400.
func (a *API) repoScope(r *http.Request) (int64, error) {
	q := r.URL.Query()
	var id int64
	if v := q.Get("repo_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return 0, BadRequest("repo_id", "must be a positive whole number")
		}
		if _, err := a.store.Repository(r.Context(), n); errors.Is(err, store.ErrNotFound) {
			return 0, NotFound("repository")
		} else if err != nil {
			return 0, err
		}
		id = n
	}
	if v := q.Get("repo"); v != "" {
		if !validRepoName(v) {
			return 0, BadRequest("repo", "must be owner/name")
		}
		repo, err := a.store.RepositoryByName(r.Context(), v)
		if errors.Is(err, store.ErrNotFound) {
			return 0, NotFound("repository")
		} else if err != nil {
			return 0, err
		}
		if id != 0 && repo.ID != id {
			return 0, BadRequest("repo", "names a different repository than repo_id")
		}
		id = repo.ID
	}
	return id, nil
}

// parseDaySpan reads an optional range of whole UTC days, fromName and
// toName (YYYY-MM-DD, both inclusive), as [from 00:00Z, to + 1 day 00:00Z).
func parseDaySpan(r *http.Request, fromName, toName string) (store.TimeSpan, error) {
	var span store.TimeSpan
	q := r.URL.Query()
	from, err := parseDay(q.Get(fromName), fromName)
	if err != nil {
		return span, err
	}
	to, err := parseDay(q.Get(toName), toName)
	if err != nil {
		return span, err
	}
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		return span, BadRequest(fromName, "must not be after %s", toName)
	}
	span.From = from
	if !to.IsZero() {
		span.Until = to.AddDate(0, 0, 1)
	}
	return span, nil
}

// parseDay parses a YYYY-MM-DD day, "" giving the zero time.
func parseDay(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, BadRequest(name, "must be a date, YYYY-MM-DD")
	}
	return t, nil
}
