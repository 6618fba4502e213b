package store

import (
	"context"
	"fmt"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// UpsertGitHubDeployment stores a GitHub deployment and its statuses (those
// given are added or updated; none is removed, as GitHub never deletes a
// status), marks it for the derive step, and returns its internal id. final
// says its statuses need no re-read.
func (tx *Tx) UpsertGitHubDeployment(ctx context.Context, d *model.GitHubDeployment, final bool) (int64, error) {
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertGitHubDeployment */
		INSERT INTO github_deployments (repo_id, github_id, environment, sha, ref, task, creator_login, description,
			created_at, updated_at, final, dirty)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, TRUE)
		ON CONFLICT (github_id) DO UPDATE SET
			repo_id = excluded.repo_id, environment = excluded.environment, sha = excluded.sha, ref = excluded.ref,
			task = excluded.task, creator_login = excluded.creator_login, description = excluded.description,
			created_at = excluded.created_at, updated_at = excluded.updated_at, final = excluded.final, dirty = TRUE
		RETURNING id`,
		d.RepoID, d.GitHubID, d.Environment, d.SHA, d.Ref, d.Task, nullStr(d.CreatorLogin), d.Description,
		ms(d.CreatedAt), ms(d.UpdatedAt), final).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: upserting GitHub deployment %d: %w", d.GitHubID, err)
	}
	d.ID = id
	return id, tx.upsertStatuses(ctx, id, d.GitHubID, d.Statuses)
}

func (tx *Tx) upsertStatuses(ctx context.Context, id, githubID int64, statuses []model.DeploymentStatus) error {
	for _, s := range statuses {
		if _, err := tx.execStmt(ctx, `/* Tx.UpsertGitHubDeployment.status */
			INSERT INTO github_deployment_statuses (deployment_id, github_id, state, environment, creator_login,
				description, target_url, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (github_id) DO UPDATE SET state = excluded.state, environment = excluded.environment,
				description = excluded.description, target_url = excluded.target_url, created_at = excluded.created_at`,
			id, s.GitHubID, s.State, s.Environment, nullStr(s.CreatorLogin), s.Description, s.TargetURL, ms(s.CreatedAt)); err != nil {
			return fmt.Errorf("store: upserting status %d of GitHub deployment %d: %w", s.GitHubID, githubID, err)
		}
	}
	return nil
}

// GitHubDeploymentFinal reports whether the stored GitHub deployment with
// GitHub id githubID is settled (false when it is not stored).
func (tx *Tx) GitHubDeploymentFinal(ctx context.Context, githubID int64) (bool, error) {
	var final bool
	err := tx.QueryRow(ctx, `/* Tx.GitHubDeploymentFinal */ SELECT final FROM github_deployments WHERE github_id = $1`, githubID).Scan(&final)
	if notFound(err) == ErrNotFound {
		return false, nil
	}
	return final, err
}

// AddGitHubDeploymentStatuses stores statuses of the stored GitHub
// deployment with GitHub id githubID, sets whether it is settled, and marks
// it for the derive step.
func (tx *Tx) AddGitHubDeploymentStatuses(ctx context.Context, githubID int64, statuses []model.DeploymentStatus, final bool) error {
	var id int64
	if err := tx.QueryRow(ctx, `/* Tx.AddGitHubDeploymentStatuses */ UPDATE github_deployments SET final = $2, dirty = TRUE
		WHERE github_id = $1 RETURNING id`, githubID, final).Scan(&id); err != nil {
		return notFound(err)
	}
	return tx.upsertStatuses(ctx, id, githubID, statuses)
}

// GitHubDeploymentState is what the deployments sync needs to know of a
// stored GitHub deployment.
type GitHubDeploymentState struct {
	GitHubID  int64
	CreatedAt time.Time
	UpdatedAt time.Time
	Final     bool
}

// GitHubDeploymentStates returns the stored GitHub deployments of a
// repository, by GitHub id.
func (s *Store) GitHubDeploymentStates(ctx context.Context, repoID int64) (map[int64]GitHubDeploymentState, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.GitHubDeploymentStates */
		SELECT github_id, created_at, updated_at, final FROM github_deployments WHERE repo_id = $1`, repoID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]GitHubDeploymentState{}
	for rows.Next() {
		var st GitHubDeploymentState
		if err := rows.Scan(&st.GitHubID, TimeCol(&st.CreatedAt), TimeCol(&st.UpdatedAt), &st.Final); err != nil {
			return nil, err
		}
		out[st.GitHubID] = st
	}
	return out, rows.Err()
}

// RepoDeploymentSource is a repository's deployment source (actions or
// github) as the derive step last decided it, with what decided it.
type RepoDeploymentSource struct {
	RepoID            int64  `json:"repo_id"`
	Repo              string `json:"repo"`
	Source            string `json:"source"`
	GitHubDeployments int    `json:"github_deployments"`
	DeploymentRuns    int    `json:"deployment_workflows"`
}

// RepoDeploymentSources lists every repository's deployment source, with
// its number of synced GitHub deployments and of deployment workflows.
func (s *Store) RepoDeploymentSources(ctx context.Context) ([]RepoDeploymentSource, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.RepoDeploymentSources */
		SELECT r.id, r.full_name, r.deployment_source,
			(SELECT count(*) FROM github_deployments g WHERE g.repo_id = r.id),
			(SELECT count(*) FROM workflows w WHERE w.repo_id = r.id AND w.is_deployment)
		FROM repositories r ORDER BY r.full_name_key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []RepoDeploymentSource{}
	for rows.Next() {
		var r RepoDeploymentSource
		if err := rows.Scan(&r.RepoID, &r.Repo, &r.Source, &r.GitHubDeployments, &r.DeploymentRuns); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
