package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
)

const repoColumns = `id, github_id, full_name, owner, name, default_branch, description, html_url,
	private, archived, created_at, updated_at, active`

func scanRepo(sc interface{ Scan(...any) error }) (model.Repository, error) {
	var r model.Repository
	var ghID sql.NullInt64
	err := sc.Scan(&r.ID, &ghID, &r.FullName, &r.Owner, &r.Name, &r.DefaultBranch, &r.Description, &r.HTMLURL,
		&r.Private, &r.Archived, NullTimeCol(&r.CreatedAt), NullTimeCol(&r.UpdatedAt), &r.Active)
	r.GitHubID = ghID.Int64
	return r, err
}

// UpsertRepository inserts or updates a repository and returns its internal
// id. A synced repository is found by its GitHub id, so a rename updates
// its row; otherwise by its full name (case-insensitively), which also
// fills in a placeholder row made by EnsureRepository.
func (tx *Tx) UpsertRepository(ctx context.Context, r *model.Repository) (int64, error) {
	owner, name, _ := strings.Cut(r.FullName, "/")
	key := strings.ToLower(r.FullName)
	var ghID any
	if r.GitHubID != 0 {
		ghID = r.GitHubID
		var id int64
		var oldKey string
		err := tx.queryRowStmt(ctx, `/* Tx.UpsertRepository.byGitHubID */ SELECT id, full_name_key FROM repositories WHERE github_id = $1`,
			r.GitHubID).Scan(&id, &oldKey)
		switch {
		case err == nil && oldKey != key:
			// Renamed on GitHub: the row takes the new name.
			if err := tx.renameRepository(ctx, id, oldKey, key); err != nil {
				return 0, err
			}
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return 0, err
		}
	}
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertRepository */
		INSERT INTO repositories (github_id, full_name, full_name_key, owner, name, default_branch,
			description, html_url, private, archived, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (full_name_key) DO UPDATE SET
			github_id = excluded.github_id, full_name = excluded.full_name, owner = excluded.owner,
			name = excluded.name, default_branch = excluded.default_branch, description = excluded.description,
			html_url = excluded.html_url, private = excluded.private, archived = excluded.archived,
			created_at = excluded.created_at, updated_at = excluded.updated_at, active = TRUE
		RETURNING id`,
		ghID, r.FullName, key, owner, name, r.DefaultBranch,
		r.Description, r.HTMLURL, r.Private, r.Archived, nullMS(r.CreatedAt), nullMS(r.UpdatedAt)).Scan(&id)
	r.ID = id
	return id, err
}

// renameRepository gives the synced repository id the name key newKey. A
// placeholder row already holding that name (deployments or incidents
// recorded through the API under the new name) is merged into it.
func (tx *Tx) renameRepository(ctx context.Context, id int64, oldKey, newKey string) error {
	var other int64
	var otherGitHubID sql.NullInt64
	err := tx.queryRowStmt(ctx, `/* Tx.renameRepository.byName */ SELECT id, github_id FROM repositories WHERE full_name_key = $1`,
		newKey).Scan(&other, &otherGitHubID)
	switch {
	case err == nil && otherGitHubID.Valid:
		return fmt.Errorf("store: repository %s was renamed to %s, which is stored as another repository", oldKey, newKey)
	case err == nil:
		for _, q := range []string{
			`/* Tx.renameRepository.deployments */ UPDATE deployments SET repo_id = $1, dirty = TRUE WHERE repo_id = $2`,
			`/* Tx.renameRepository.incidents */ UPDATE incidents SET repo_id = $1, dirty = TRUE WHERE repo_id = $2`,
		} {
			if _, err := tx.execStmt(ctx, q, id, other); err != nil {
				return err
			}
		}
		if _, err := tx.execStmt(ctx, `/* Tx.renameRepository.placeholder */ DELETE FROM repositories WHERE id = $1`, other); err != nil {
			return err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	_, err = tx.execStmt(ctx, `/* Tx.renameRepository */ UPDATE repositories SET full_name_key = $2 WHERE id = $1`, id, newKey)
	return err
}

// EnsureRepository returns the id of the repository called fullName
// (owner/name, case-insensitive), creating a placeholder row if none exists
// yet. A later sync fills in the rest.
func (tx *Tx) EnsureRepository(ctx context.Context, fullName string) (int64, error) {
	owner, name, _ := strings.Cut(fullName, "/")
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.EnsureRepository */
		INSERT INTO repositories (full_name, full_name_key, owner, name, html_url)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (full_name_key) DO UPDATE SET full_name_key = excluded.full_name_key
		RETURNING id`,
		fullName, strings.ToLower(fullName), owner, name, "https://github.com/"+fullName).Scan(&id)
	return id, err
}

// Repository returns the repository with internal id id, or ErrNotFound.
func (s *Store) Repository(ctx context.Context, id int64) (model.Repository, error) {
	r, err := scanRepo(s.read.QueryRowContext(ctx, `/* Store.Repository */ SELECT `+repoColumns+` FROM repositories WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// RepositoryByName returns the repository called fullName (owner/name,
// case-insensitive), or ErrNotFound.
func (s *Store) RepositoryByName(ctx context.Context, fullName string) (model.Repository, error) {
	r, err := scanRepo(s.read.QueryRowContext(ctx, `/* Store.RepositoryByName */ SELECT `+repoColumns+` FROM repositories WHERE full_name_key = $1`, strings.ToLower(fullName)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// Repositories lists repositories by full name, a page at a time, with the
// total count.
func (s *Store) Repositories(ctx context.Context, p Page) ([]model.Repository, int, error) {
	var total int
	if err := s.read.QueryRowContext(ctx, `/* Store.Repositories.count */ SELECT count(*) FROM repositories`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.read.QueryContext(ctx, `/* Store.Repositories */ SELECT `+repoColumns+`
		FROM repositories ORDER BY full_name_key LIMIT $1 OFFSET $2`, p.Limit, p.Offset())
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []model.Repository{}
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// SetActiveRepositories marks the repositories called fullNames
// (case-insensitive) active and every other one inactive: the repositories
// of a GITHUB_REPOS list, resolved. Inactive repositories keep their data.
func (tx *Tx) SetActiveRepositories(ctx context.Context, fullNames []string) error {
	if _, err := tx.execStmt(ctx, `/* Tx.SetActiveRepositories.none */ UPDATE repositories SET active = FALSE WHERE active AND github_id IS NOT NULL`); err != nil {
		return err
	}
	for _, n := range fullNames {
		if _, err := tx.execStmt(ctx, `/* Tx.SetActiveRepositories */ UPDATE repositories SET active = TRUE WHERE full_name_key = $1`,
			strings.ToLower(n)); err != nil {
			return err
		}
	}
	return nil
}

// InactiveRepositories lists the full names of the repositories that left
// GITHUB_REPOS, by name.
func (s *Store) InactiveRepositories(ctx context.Context) ([]string, error) {
	return column[string](ctx, s.read, `/* Store.InactiveRepositories */
		SELECT full_name FROM repositories WHERE NOT active ORDER BY full_name_key`, nil)
}
