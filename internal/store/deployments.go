package store

import (
	"context"
	"fmt"
	"strings"

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

var deploymentCols = []string{"source", "external_id", "repo_id", "workflow_run_id", "environment", "head_sha", "head_branch",
	"url", "created_at", "deployed_at", "recorded_at", "dirty"}

// UpsertDeployments is UpsertDeployment for many deployments, many rows per
// statement, for the derive step. It does not set their IDs. No two may
// share a (source, external id).
func (tx *Tx) UpsertDeployments(ctx context.Context, ds []model.Deployment) error {
	cols := strings.Join(deploymentCols, ", ")
	for len(ds) > 0 {
		k := min(maxBulkRows, len(ds))
		args := make([]any, 0, k*len(deploymentCols))
		for _, d := range ds[:k] {
			args = append(args, d.Source, d.ExternalID, d.RepoID, d.WorkflowRunID, d.Environment, d.HeadSHA, d.HeadBranch,
				d.URL, ms(d.CreatedAt), ms(d.DeployedAt), ms(tx.now), true)
		}
		q := bulkQuery(tx.dialect, "Tx.UpsertDeployments", "deployments", cols, len(deploymentCols), k, "") + `
			ON CONFLICT (source, external_id) DO UPDATE SET
				repo_id = excluded.repo_id, workflow_run_id = excluded.workflow_run_id,
				environment = excluded.environment, head_sha = excluded.head_sha, head_branch = excluded.head_branch,
				url = excluded.url, created_at = excluded.created_at, deployed_at = excluded.deployed_at, dirty = TRUE`
		if _, err := tx.execStmt(ctx, q, args...); err != nil {
			return fmt.Errorf("store: upserting %d deployments: %w", k, err)
		}
		ds = ds[k:]
	}
	return nil
}

// DeleteDeployments removes the deployments of one source with the given
// external ids, first marking what depended on them for the derive step:
// the PRs linked to them and the incidents attributed to them.
func (tx *Tx) DeleteDeployments(ctx context.Context, source string, externalIDs []string) error {
	for len(externalIDs) > 0 {
		k := min(500, len(externalIDs))
		args := make([]any, 0, k+1)
		args = append(args, source)
		var list strings.Builder
		for i, e := range externalIDs[:k] {
			if i > 0 {
				list.WriteString(", ")
			}
			list.WriteString(tx.dialect.param(i + 2))
			args = append(args, e)
		}
		match := `SELECT id FROM deployments WHERE source = $1 AND external_id IN (` + list.String() + `)`
		for _, q := range []string{
			`/* Tx.DeleteDeployments */ UPDATE pull_requests SET dirty = TRUE
				WHERE id IN (SELECT pr_id FROM pr_facts WHERE deployment_id IN (` + match + `))`,
			`/* Tx.DeleteDeployments */ UPDATE incidents SET dirty = TRUE WHERE deployment_id IN (` + match + `)`,
			`/* Tx.DeleteDeployments */ DELETE FROM deployments WHERE source = $1 AND external_id IN (` + list.String() + `)`,
		} {
			if _, err := tx.tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("store: deleting deployments: %w", err)
			}
		}
		externalIDs = externalIDs[k:]
	}
	return nil
}
