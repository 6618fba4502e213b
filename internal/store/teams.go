package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
)

// ErrTeamExists is returned when a team is created with a slug already in
// use.
var ErrTeamExists = errors.New("a team with this slug exists")

// Teams returns every team, by slug, with its members and repositories.
func (s *Store) Teams(ctx context.Context) ([]model.Team, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.Teams */
		SELECT id, slug, name, source, updated_at FROM teams ORDER BY slug_key`)
	if err != nil {
		return nil, err
	}
	var ids []int64
	out := []model.Team{}
	for rows.Next() {
		var id int64
		var t model.Team
		if err := rows.Scan(&id, &t.Slug, &t.Name, &t.Source, TimeCol(&t.UpdatedAt)); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Every team's members and repositories, in two queries rather than
	// two per team.
	byID := make(map[int64]*model.Team, len(ids))
	for i, id := range ids {
		out[i].Members, out[i].Repositories = []string{}, []string{}
		byID[id] = &out[i]
	}
	for _, q := range []struct {
		sql  string
		into func(*model.Team) *[]string
	}{
		{`/* Store.teamsMembers */ SELECT team_id, login FROM team_members ORDER BY team_id, login`,
			func(t *model.Team) *[]string { return &t.Members }},
		{`/* Store.teamsRepositories */ SELECT t.team_id, COALESCE(r.full_name, t.repo_key) FROM team_repositories t
			LEFT JOIN repositories r ON r.full_name_key = t.repo_key ORDER BY t.team_id, t.repo_key`,
			func(t *model.Team) *[]string { return &t.Repositories }},
	} {
		rows, err := s.read.QueryContext(ctx, q.sql)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return nil, err
			}
			if t := byID[id]; t != nil {
				*q.into(t) = append(*q.into(t), v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TeamSlugs lists the teams' slugs in the order Teams lists the teams:
// what every page's filter bar and menu need, without the members and
// repositories that Teams reads.
func (s *Store) TeamSlugs(ctx context.Context) ([]string, error) {
	slugs, err := column[string](ctx, s.read, `/* Store.TeamSlugs */ SELECT slug FROM teams ORDER BY slug_key`, nil)
	if err != nil {
		return nil, fmt.Errorf("store: listing teams: %w", err)
	}
	return slugs, nil
}

// TeamsRepoIDs returns, per team slug (lower case), the internal ids of
// its synced repositories, in increasing order; a team without any is
// absent.
func (s *Store) TeamsRepoIDs(ctx context.Context) (map[string][]int64, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.TeamsRepoIDs */
		SELECT t.slug_key, r.id FROM teams t JOIN team_repositories x ON x.team_id = t.id
		JOIN repositories r ON r.full_name_key = x.repo_key ORDER BY t.slug_key, r.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var slug string
		var id int64
		if err := rows.Scan(&slug, &id); err != nil {
			return nil, err
		}
		out[slug] = append(out[slug], id)
	}
	return out, rows.Err()
}

// Team returns the team with slug (case-insensitive), or ErrNotFound.
func (s *Store) Team(ctx context.Context, slug string) (model.Team, error) {
	var id int64
	var t model.Team
	err := s.read.QueryRowContext(ctx, `/* Store.Team */
		SELECT id, slug, name, source, updated_at FROM teams WHERE slug_key = $1`, strings.ToLower(slug)).
		Scan(&id, &t.Slug, &t.Name, &t.Source, TimeCol(&t.UpdatedAt))
	if err != nil {
		return t, notFound(err)
	}
	return t, s.teamSets(ctx, id, &t)
}

func (s *Store) teamSets(ctx context.Context, id int64, t *model.Team) (err error) {
	if t.Members, err = column[string](ctx, s.read, `/* Store.teamMembers */ SELECT login FROM team_members WHERE team_id = $1 ORDER BY login`,
		[]any{id}); err != nil {
		return err
	}
	t.Repositories, err = column[string](ctx, s.read, `/* Store.teamRepositories */ SELECT COALESCE(r.full_name, t.repo_key) FROM team_repositories t
		LEFT JOIN repositories r ON r.full_name_key = t.repo_key WHERE t.team_id = $1 ORDER BY t.repo_key`, []any{id})
	return err
}

// TeamRepoIDs returns the internal ids of the synced repositories of the
// team with slug, or ErrNotFound for an unknown team.
func (s *Store) TeamRepoIDs(ctx context.Context, slug string) ([]int64, error) {
	return column[int64](ctx, s.read, `/* Store.TeamRepoIDs */
		SELECT r.id FROM teams t JOIN team_repositories x ON x.team_id = t.id
		JOIN repositories r ON r.full_name_key = x.repo_key WHERE t.slug_key = $1 ORDER BY r.id`, []any{strings.ToLower(slug)})
}

// NormalizeTeam lower-cases, trims, sorts and deduplicates a team's members
// and repositories in place.
func NormalizeTeam(t *model.Team) {
	norm := func(vs []string) []string {
		out := []string{}
		for _, v := range vs {
			if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
				out = append(out, v)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	t.Members, t.Repositories = norm(t.Members), norm(t.Repositories)
}

// CreateTeam stores a new team, or returns ErrTeamExists when its slug is
// taken (case-insensitively).
func (tx *Tx) CreateTeam(ctx context.Context, t model.Team) error {
	var n int
	if err := tx.QueryRow(ctx, `/* Tx.CreateTeam.check */ SELECT count(*) FROM teams WHERE slug_key = $1`,
		strings.ToLower(t.Slug)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return ErrTeamExists
	}
	_, err := tx.putTeam(ctx, t, false)
	return err
}

// PutTeam creates or replaces the team with t's slug: its name, source,
// members and repositories.
func (tx *Tx) PutTeam(ctx context.Context, t model.Team) error {
	_, err := tx.putTeam(ctx, t, false)
	return err
}

// SyncGitHubTeam stores a team synced from GitHub. A team defined by hand
// with the same slug wins: it is left alone, and SyncGitHubTeam reports
// false. Unlike PutTeam it leaves the data version alone: the sync bumps
// it once (BumpDataVersion) after its teams.
func (tx *Tx) SyncGitHubTeam(ctx context.Context, t model.Team) (bool, error) {
	t.Source = model.TeamSourceGitHub
	return tx.putTeam(ctx, t, true)
}

func (tx *Tx) putTeam(ctx context.Context, t model.Team, onlyGitHub bool) (bool, error) {
	NormalizeTeam(&t)
	cond := ""
	if onlyGitHub {
		cond = ` WHERE teams.source = '` + model.TeamSourceGitHub + `'`
	}
	var id int64
	err := tx.QueryRow(ctx, `/* Tx.putTeam */ INSERT INTO teams (slug, slug_key, name, source, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (slug_key) DO UPDATE SET slug = excluded.slug, name = excluded.name, source = excluded.source,
			updated_at = excluded.updated_at`+cond+`
		RETURNING id`, t.Slug, strings.ToLower(t.Slug), t.Name, t.Source, ms(tx.now)).Scan(&id)
	if notFound(err) == ErrNotFound && onlyGitHub {
		return false, nil // a hand-made team holds the slug
	}
	if err != nil {
		return false, fmt.Errorf("store: storing team %s: %w", t.Slug, err)
	}
	for _, q := range []string{`DELETE FROM team_members WHERE team_id = $1`, `DELETE FROM team_repositories WHERE team_id = $1`} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return false, err
		}
	}
	for _, m := range t.Members {
		if _, err := tx.ExecPrepared(ctx, `INSERT INTO team_members (team_id, login) VALUES ($1, $2)`, id, m); err != nil {
			return false, err
		}
	}
	for _, r := range t.Repositories {
		if _, err := tx.ExecPrepared(ctx, `INSERT INTO team_repositories (team_id, repo_key) VALUES ($1, $2)`, id, r); err != nil {
			return false, err
		}
	}
	if onlyGitHub {
		return true, nil
	}
	return true, tx.BumpDataVersion(ctx)
}

// DeleteTeam removes the team with slug, or returns ErrNotFound.
func (tx *Tx) DeleteTeam(ctx context.Context, slug string) error {
	res, err := tx.Exec(ctx, `/* Tx.DeleteTeam */ DELETE FROM teams WHERE slug_key = $1`, strings.ToLower(slug))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return tx.BumpDataVersion(ctx)
}

// PruneGitHubTeams removes the GitHub teams of org (slugs "org/…") whose
// slug is not in keep: teams gone from GitHub or from GITHUB_TEAMS' scope.
func (tx *Tx) PruneGitHubTeams(ctx context.Context, org string, keep []string) error {
	w := whereClause{}
	w.and("source = " + w.arg(model.TeamSourceGitHub))
	w.and("slug_key LIKE " + w.arg(strings.ToLower(org)+"/%"))
	lower := make([]string, len(keep))
	for i, k := range keep {
		lower[i] = strings.ToLower(k)
	}
	if len(lower) > 0 {
		w.and("slug_key NOT IN (" + w.argList(lower) + ")")
	}
	res, err := tx.Exec(ctx, `/* Tx.PruneGitHubTeams */ DELETE FROM teams`+w.String(), w.args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return tx.BumpDataVersion(ctx)
	}
	return nil
}
