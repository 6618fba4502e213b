package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// Limits on a team defined by hand.
const (
	maxTeamMembers = 1000
	maxTeamRepos   = 1000
)

// teamRoutes lists the routes for teams (METRICS.md, Teams).
func (a *API) teamRoutes() []Route {
	body := []Field{
		{Name: "slug", Type: "string", Required: true, Description: "the team's id in team=: lower-case letters, digits, '-', '_' and '.', starting with a letter or digit (a slash is kept for GitHub teams, org/slug)"},
		{Name: "name", Type: "string", Description: "display name (default: the slug)"},
		{Name: "members", Type: "array", Description: "GitHub logins, case-insensitive"},
		{Name: "repositories", Type: "array", Description: "owner/name of the team's repositories; they need not be synced yet"},
	}
	slugParam := Param{Name: "slug", In: "path", Description: "the team's slug; a GitHub team's is org/slug"}
	return []Route{
		{Method: http.MethodGet, Pattern: "/api/v1/teams", Tag: "teams",
			Summary: "Every team, from GitHub (GITHUB_TEAMS) or defined by hand, with members and repositories",
			Handler: a.listTeams},
		{Method: http.MethodPost, Pattern: "/api/v1/teams", Tag: "teams", Status: http.StatusCreated,
			Summary: "Define a team by hand; 409 when the slug is taken. It takes effect at once",
			Body:    body, Handler: a.postTeam},
		{Method: http.MethodGet, Pattern: "/api/v1/teams/{slug...}", Tag: "teams", Summary: "One team",
			Params: []Param{slugParam}, Handler: a.getTeam},
		{Method: http.MethodPut, Pattern: "/api/v1/teams/{slug...}", Tag: "teams",
			Summary: "Replace a team defined by hand (its name, members and repositories), or define it; a team synced from GitHub is changed on GitHub (409)",
			Params:  []Param{slugParam}, Body: body[1:], Handler: a.putTeam},
		{Method: http.MethodDelete, Pattern: "/api/v1/teams/{slug...}", Tag: "teams",
			Summary: "Delete a team defined by hand, answering with the team deleted; a team synced from GitHub is removed from GITHUB_TEAMS instead (409)",
			Params:  []Param{slugParam}, Handler: a.deleteTeam},
	}
}

// teamBody is the body of POST and PUT /teams.
type teamBody struct {
	Slug         string   `json:"slug"`
	Name         string   `json:"name"`
	Members      []string `json:"members"`
	Repositories []string `json:"repositories"`
}

// teamSlugRE is a hand-made team's slug.
var teamSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// loginRE is a GitHub login (bots spelled name[bot]).
var loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$`)

// TeamFromBody validates a team's fields (slug aside) and returns the team.
func teamFromBody(b teamBody, slug string) (model.Team, error) {
	t := model.Team{Slug: slug, Source: model.TeamSourceManual}
	var err error
	if t.Name, err = optionalText("name", b.Name, maxTitleLen); err != nil {
		return t, err
	}
	if t.Name == "" {
		t.Name = slug
	}
	if len(b.Members) > maxTeamMembers {
		return t, BadRequest("members", "must list at most %d logins", maxTeamMembers)
	}
	for _, m := range b.Members {
		m = strings.TrimSpace(m)
		if !loginRE.MatchString(m) {
			return t, BadRequest("members", "%q is not a GitHub login", m)
		}
		t.Members = append(t.Members, m)
	}
	if len(b.Repositories) > maxTeamRepos {
		return t, BadRequest("repositories", "must list at most %d repositories", maxTeamRepos)
	}
	for _, r := range b.Repositories {
		r = strings.TrimSpace(r)
		if !validRepoName(r) {
			return t, BadRequest("repositories", "%q is not owner/name, e.g. acme/web", r)
		}
		t.Repositories = append(t.Repositories, r)
	}
	store.NormalizeTeam(&t)
	return t, nil
}

// TeamSlug validates a hand-made team's slug.
func teamSlug(v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", BadRequest("slug", "is required")
	case !teamSlugRE.MatchString(v):
		return "", BadRequest("slug", "must be lower-case letters, digits, '-', '_' or '.', starting with a letter or digit (at most 100)")
	}
	return v, nil
}

func (a *API) listTeams(w http.ResponseWriter, r *http.Request) error {
	teams, err := a.store.Teams(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, map[string]any{"data": teams})
}

func (a *API) getTeam(w http.ResponseWriter, r *http.Request) error {
	t, err := a.store.Team(r.Context(), r.PathValue("slug"))
	if errors.Is(err, store.ErrNotFound) {
		return teamNotFound(r.PathValue("slug"))
	}
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, t)
}

func teamNotFound(slug string) *Error {
	e := NotFound("team")
	e.Message += ": " + slug
	return e
}

func (a *API) postTeam(w http.ResponseWriter, r *http.Request) error {
	var body teamBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	slug, err := teamSlug(body.Slug)
	if err != nil {
		return err
	}
	t, err := teamFromBody(body, slug)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = a.store.Tx(ctx, func(tx *store.Tx) error { return tx.CreateTeam(ctx, t) })
	if errors.Is(err, store.ErrTeamExists) {
		return Conflict("slug: a team " + slug + " exists; PUT /api/v1/teams/" + slug + " changes it")
	}
	if err != nil {
		return err
	}
	return a.writeTeam(ctx, w, http.StatusCreated, slug)
}

func (a *API) putTeam(w http.ResponseWriter, r *http.Request) error {
	var body teamBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	ctx := r.Context()
	slug := r.PathValue("slug")
	if body.Slug != "" && !strings.EqualFold(strings.TrimSpace(body.Slug), slug) {
		return BadRequest("slug", "differs from the slug in the path; a team is not renamed")
	}
	existing, err := a.store.Team(ctx, slug)
	switch {
	case err == nil && existing.Source == model.TeamSourceGitHub:
		return Conflict("team " + existing.Slug + " is synced from GitHub (GITHUB_TEAMS): change it on GitHub")
	case err == nil:
		slug = existing.Slug
	case errors.Is(err, store.ErrNotFound):
		if slug, err = teamSlug(slug); err != nil {
			return err
		}
	default:
		return err
	}
	t, err := teamFromBody(body, slug)
	if err != nil {
		return err
	}
	if err := a.store.Tx(ctx, func(tx *store.Tx) error { return tx.PutTeam(ctx, t) }); err != nil {
		return err
	}
	return a.writeTeam(ctx, w, http.StatusOK, slug)
}

func (a *API) deleteTeam(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	slug := r.PathValue("slug")
	existing, err := a.store.Team(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return teamNotFound(slug)
	}
	if err != nil {
		return err
	}
	if existing.Source == model.TeamSourceGitHub {
		return Conflict("team " + existing.Slug + " is synced from GitHub: remove it from GITHUB_TEAMS instead")
	}
	if err := a.store.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteTeam(ctx, slug) }); err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, existing)
}

func (a *API) writeTeam(ctx context.Context, w http.ResponseWriter, status int, slug string) error {
	t, err := a.store.Team(ctx, slug)
	if err != nil {
		return err
	}
	return WriteJSON(w, status, t)
}
