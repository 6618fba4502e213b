package store

import (
	"context"
	"fmt"

	"github.com/veelocity/veelocity/internal/model"
)

// UpsertDeployment inserts or updates a deployment, keyed on (source,
// external id), marks it for the derive step, and returns its internal id.
func (tx *Tx) UpsertDeployment(ctx context.Context, d *model.Deployment) (int64, error) {
	if d.Environment == "" {
		d.Environment = model.EnvironmentProduction // every deployment has an environment
	}
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertDeployment */
		INSERT INTO deployments (source, external_id, repo_id, workflow_run_id, environment, head_sha, head_branch,
			url, created_at, deployed_at, recorded_at, dirty)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, TRUE)
		ON CONFLICT (source, external_id) DO UPDATE SET
			repo_id = excluded.repo_id, workflow_run_id = excluded.workflow_run_id,
			environment = excluded.environment, head_sha = excluded.head_sha, head_branch = excluded.head_branch,
			url = excluded.url, created_at = excluded.created_at, deployed_at = excluded.deployed_at, dirty = TRUE
		RETURNING id`,
		d.Source, d.ExternalID, d.RepoID, d.WorkflowRunID, d.Environment, d.HeadSHA, d.HeadBranch, d.URL,
		ms(d.CreatedAt), ms(d.DeployedAt), ms(tx.now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: upserting deployment %s/%s: %w", d.Source, d.ExternalID, err)
	}
	d.ID = id
	return id, nil
}

// UpsertIncident inserts or updates an incident, keyed on (source, external
// id), marks it for the derive step, and returns its internal id.
func (tx *Tx) UpsertIncident(ctx context.Context, in *model.Incident) (int64, error) {
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertIncident */
		INSERT INTO incidents (source, external_id, repo_id, title, url, opened_at, resolved_at, recorded_at, dirty)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE)
		ON CONFLICT (source, external_id) DO UPDATE SET
			repo_id = excluded.repo_id, title = excluded.title, url = excluded.url,
			opened_at = excluded.opened_at, resolved_at = excluded.resolved_at, dirty = TRUE
		RETURNING id`,
		in.Source, in.ExternalID, in.RepoID, in.Title, in.URL, ms(in.OpenedAt), nullMS(in.ResolvedAt), ms(tx.now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: upserting incident %s/%s: %w", in.Source, in.ExternalID, err)
	}
	in.ID = id
	return id, nil
}
