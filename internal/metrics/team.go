package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// The team and environment filters (METRICS.md, Teams and Environments),
// kept apart from the queries so that the rollup carries the same rules.

// ErrUnknownTeam is returned for a team= that names no team.
var ErrUnknownTeam = errors.New("unknown team")

// ResolveTeam resolves a team slug to the sets it filters on: its members,
// lower case, and the ids of its synced repositories. An unknown team is
// ErrUnknownTeam, naming it.
func ResolveTeam(ctx context.Context, st *store.Store, slug string) (*TeamScope, error) {
	t, err := st.Team(ctx, slug)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: team %s", ErrUnknownTeam, slug)
		}
		return nil, err
	}
	ids, err := st.TeamRepoIDs(ctx, slug)
	if err != nil {
		return nil, err
	}
	return teamScope(t, ids), nil
}

// teamScope is the scope of team t whose synced repositories are ids.
func teamScope(t model.Team, ids []int64) *TeamScope {
	members := make([]string, len(t.Members))
	for i, m := range t.Members {
		members[i] = strings.ToLower(m)
	}
	if ids == nil {
		ids = []int64{}
	}
	return &TeamScope{Slug: t.Slug, Members: members, RepoIDs: ids}
}

// ResolveTeams resolves every team, as ResolveTeam does one, in the order
// of store.Teams, with a handful of queries whatever their number.
func ResolveTeams(ctx context.Context, st *store.Store) ([]*TeamScope, error) {
	teams, err := st.Teams(ctx)
	if err != nil {
		return nil, err
	}
	repos, err := st.TeamsRepoIDs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*TeamScope, len(teams))
	for i, t := range teams {
		out[i] = teamScope(t, repos[strings.ToLower(t.Slug)])
	}
	return out, nil
}

// parseTeamAndEnvironment reads team= and environment=.
func parseTeamAndEnvironment(ctx context.Context, st *store.Store, v url.Values, q *Query) error {
	if s := strings.TrimSpace(v.Get("team")); s != "" {
		t, err := ResolveTeam(ctx, st, s)
		if err != nil {
			return err
		}
		q.Team = t
	}
	q.Environment = strings.ToLower(strings.TrimSpace(v.Get("environment")))
	if len(q.Environment) > 200 {
		return &ParamError{"environment", "is longer than 200 characters"}
	}
	return nil
}

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// teamMembersCond restricts a login column to the team's members; a team
// without members selects nothing.
func teamMembersCond(column string, t *TeamScope) (string, []any) {
	if len(t.Members) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(t.Members))
	for i, m := range t.Members {
		args[i] = m
	}
	return "lower(" + column + ") IN (" + placeholders(len(args)) + ")", args
}

// teamReposCond restricts a repository id column to the team's
// repositories; a team without repositories selects nothing (METRICS.md: an
// empty deployment population).
func teamReposCond(column string, t *TeamScope) (string, []any) {
	if len(t.RepoIDs) == 0 {
		return "1 = 0", nil
	}
	return column + " IN (" + placeholders(len(t.RepoIDs)) + ")", repoArgs(t)
}

func repoArgs(t *TeamScope) []any {
	args := make([]any, len(t.RepoIDs))
	for i, id := range t.RepoIDs {
		args[i] = id
	}
	return args
}

// addTeamPRs restricts pr_facts (alias f) to PRs by the team's members.
func addTeamPRs(f *filter, q Query) {
	if q.Team != nil {
		cond, args := teamMembersCond("f.author_login", q.Team)
		f.add(cond, args...)
	}
}

// addTeamDeployments restricts deployments to the team's repositories.
func addTeamDeployments(f *filter, q Query) {
	if q.Team != nil {
		cond, args := teamReposCond("repo_id", q.Team)
		f.add(cond, args...)
	}
}

// addTeamIncidents restricts incidents (alias i) to those of the team's
// repositories: the repo-filter rule, applied to a set of repositories.
func addTeamIncidents(f *filter, q Query) {
	if q.Team == nil {
		return
	}
	if len(q.Team.RepoIDs) == 0 {
		f.add("1 = 0")
		return
	}
	args := repoArgs(q.Team)
	f.add(store.IncidentOfReposSQL(placeholders(len(args))), append(append(append([]any{}, args...), args...), args...)...)
}

// addTeamIssues restricts Linear issues (alias li) to those with at least
// one merged linked PR authored by a member.
func addTeamIssues(f *filter, q Query) {
	if q.Team == nil {
		return
	}
	cond, args := teamMembersCond("p.author_login", q.Team)
	f.add(`EXISTS (SELECT 1 FROM linear_issue_prs l JOIN pull_requests p ON p.id = l.pr_id
		WHERE l.issue_id = li.id AND p.merged_at IS NOT NULL AND `+cond+`)`, args...)
}

// addEnvironment restricts deployments to env (case-insensitive) or, when
// env is "", to production deployments.
func addEnvironment(f *filter, env string) {
	if env == "" {
		f.add("production")
		return
	}
	f.add("lower(environment) = ?", strings.ToLower(env))
}

// teamKey is the part of a cache key the team and environment make.
func (q Query) teamKey() string {
	k := "|env=" + q.Environment
	if q.Team != nil {
		k += fmt.Sprintf("|team=%s:%v:%v", strings.ToLower(q.Team.Slug), q.Team.Members, q.Team.RepoIDs)
	}
	return k
}
