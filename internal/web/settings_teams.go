package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// The Settings page's teams form and deployment sources: teams are listed,
// and those defined by hand edited, with plain HTML forms (no script); each
// repository says where its deployments come from and why.

// repoSourceView is a repository's deployment source, in words.
type repoSourceView struct {
	Repo, Source, Why string
}

// teamView is a team as the form shows it.
type teamView struct {
	model.Team
	// Members and Repos are the lists, one a line, for the textareas.
	MembersText, ReposText string
	Editable               bool
}

// teamsSettings is the part of the Settings page about teams and
// deployment sources.
type teamsSettings struct {
	Teams       []teamView
	RepoSources []repoSourceView
	// TeamError is a refused edit's message, naming the field.
	TeamError string
	// Form holds the refused values, to edit and send again.
	Form *teamView
}

func (p *Pages) teamsSettings(ctx context.Context) (*teamsSettings, error) {
	out := &teamsSettings{}
	teams, err := p.st.Teams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		out.Teams = append(out.Teams, teamView{Team: t, MembersText: strings.Join(t.Members, "\n"),
			ReposText: strings.Join(t.Repositories, "\n"), Editable: t.Source == model.TeamSourceManual})
	}
	sources, err := p.st.RepoDeploymentSources(ctx)
	if err != nil {
		return nil, err
	}
	setting := p.cfg.DeploymentSource
	if setting == "" {
		setting = "auto"
	}
	for _, s := range sources {
		v := repoSourceView{Repo: s.Repo}
		if s.Source == "github" {
			v.Source = "GitHub deployments"
		} else {
			v.Source = "deployment workflow runs"
		}
		switch setting {
		case "actions", "github":
			v.Why = "DEPLOYMENT_SOURCE=" + setting + " forces it for every repository"
		default:
			if s.GitHubDeployments > 0 {
				v.Why = "DEPLOYMENT_SOURCE=auto, and " + plural(s.GitHubDeployments, "GitHub deployment is", "GitHub deployments are") + " synced"
			} else {
				v.Why = "DEPLOYMENT_SOURCE=auto, and no GitHub deployment is synced; " +
					plural(s.DeploymentRuns, "workflow matches", "workflows match") + " DEPLOYMENT_PATTERNS"
			}
		}
		out.RepoSources = append(out.RepoSources, v)
	}
	return out, nil
}

var (
	formSlugRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)
	formLoginRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$`)
	formRepoRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)
)

// splitLines splits a textarea's value on lines and commas.
func splitLines(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// teamFromForm validates the team form; the error names the field.
func teamFromForm(v url.Values) (model.Team, error) {
	t := model.Team{Slug: strings.TrimSpace(v.Get("slug")), Name: strings.TrimSpace(v.Get("name")), Source: model.TeamSourceManual}
	if !formSlugRE.MatchString(t.Slug) {
		return t, formError("Slug: use lower-case letters, digits, '-', '_' or '.', starting with a letter or digit (a slash is kept for GitHub teams)")
	}
	if t.Name == "" {
		t.Name = t.Slug
	}
	if len(t.Name) > 200 {
		return t, formError("Name: at most 200 characters")
	}
	for _, m := range splitLines(v.Get("members")) {
		if !formLoginRE.MatchString(m) {
			return t, formError("Members: " + strconv.Quote(m) + " is not a GitHub login")
		}
		t.Members = append(t.Members, m)
	}
	for _, r := range splitLines(v.Get("repositories")) {
		if !formRepoRE.MatchString(r) {
			return t, formError("Repositories: " + strconv.Quote(r) + " is not owner/name, e.g. acme/web")
		}
		t.Repositories = append(t.Repositories, r)
	}
	return t, nil
}

// saveTeam handles the teams form: save (create or replace) or delete a
// team defined by hand, then back to the Settings page, where the change
// shows at once (and every metric answers with it). The server refuses a
// cross-site POST before it gets here (http.CrossOriginProtection).
func (p *Pages) saveTeam(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return p.settingsWithTeamError(w, r, "The form could not be read: "+err.Error(), nil)
	}
	ctx := r.Context()
	slug := strings.TrimSpace(r.PostForm.Get("slug"))
	existing, err := p.st.Team(ctx, slug)
	switch {
	case err == nil && existing.Source != model.TeamSourceManual:
		return p.settingsWithTeamError(w, r, "Team "+existing.Slug+" is synced from GitHub (GITHUB_TEAMS): change it on GitHub.", nil)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	if r.PostForm.Get("action") == "delete" {
		if err := p.st.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteTeam(ctx, slug) }); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		http.Redirect(w, r, "/settings#teams", http.StatusSeeOther)
		return nil
	}
	t, err := teamFromForm(r.PostForm)
	if err != nil {
		form := &teamView{Team: t, MembersText: r.PostForm.Get("members"), ReposText: r.PostForm.Get("repositories"), Editable: true}
		return p.settingsWithTeamError(w, r, err.Error(), form)
	}
	if err := p.st.Tx(ctx, func(tx *store.Tx) error { return tx.PutTeam(ctx, t) }); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings#teams", http.StatusSeeOther)
	return nil
}

func (p *Pages) settingsWithTeamError(w http.ResponseWriter, r *http.Request, msg string, form *teamView) error {
	return p.renderSettings(w, r, http.StatusBadRequest, nil, func(ts *teamsSettings) { ts.TeamError, ts.Form = msg, form })
}

// formError is a refused form value, in words for the page: it names the
// field first ("Members: …").
type formError string

func (e formError) Error() string { return string(e) }
