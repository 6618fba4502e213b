package store

import (
	"context"
	"fmt"

	"github.com/veelocity/veelocity/internal/model"
)

// UpsertWorkflow inserts or updates a GitHub Actions workflow of repoID,
// keyed on its GitHub id, and returns its internal id. is_deployment is left
// to the derive step, which classifies by DEPLOYMENT_PATTERNS.
func (tx *Tx) UpsertWorkflow(ctx context.Context, repoID int64, w *model.Workflow) (int64, error) {
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertWorkflow */
		INSERT INTO workflows (repo_id, github_id, name, path, state, html_url, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (github_id) DO UPDATE SET
			repo_id = excluded.repo_id, name = excluded.name, path = excluded.path, state = excluded.state,
			html_url = excluded.html_url, created_at = excluded.created_at, updated_at = excluded.updated_at
		RETURNING id`,
		repoID, w.GitHubID, w.Name, w.Path, w.State, w.HTMLURL, nullMS(w.CreatedAt), nullMS(w.UpdatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: upserting workflow %d: %w", w.GitHubID, err)
	}
	w.ID, w.RepoID = id, repoID
	return id, nil
}

// UpsertWorkflowRun inserts or updates a workflow run of repoID, keyed on its
// GitHub id, and marks it for the derive step. Its workflow (by
// WorkflowGitHubID) must already be stored.
func (tx *Tx) UpsertWorkflowRun(ctx context.Context, repoID int64, r *model.WorkflowRun) (int64, error) {
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertWorkflowRun */
		INSERT INTO workflow_runs (repo_id, workflow_id, github_id, name, run_number, run_attempt, event, status,
			conclusion, head_sha, head_branch, html_url, created_at, run_started_at, updated_at, dirty)
		SELECT $1, w.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, TRUE
		FROM workflows w WHERE w.github_id = $2
		ON CONFLICT (github_id) DO UPDATE SET
			repo_id = excluded.repo_id, workflow_id = excluded.workflow_id, name = excluded.name,
			run_number = excluded.run_number, run_attempt = excluded.run_attempt, event = excluded.event,
			status = excluded.status, conclusion = excluded.conclusion, head_sha = excluded.head_sha,
			head_branch = excluded.head_branch, html_url = excluded.html_url, created_at = excluded.created_at,
			run_started_at = excluded.run_started_at, updated_at = excluded.updated_at, dirty = TRUE
		RETURNING id`,
		repoID, r.WorkflowGitHubID, r.GitHubID, r.Name, r.RunNumber, max(r.RunAttempt, 1), r.Event, r.Status,
		nullStr(r.Conclusion), r.HeadSHA, r.HeadBranch, r.HTMLURL, ms(r.CreatedAt), nullMS(r.RunStartedAt),
		ms(r.UpdatedAt)).Scan(&id)
	if err != nil {
		err = notFound(err)
		if err == ErrNotFound {
			return 0, fmt.Errorf("store: run %d names workflow %d, which is not stored", r.GitHubID, r.WorkflowGitHubID)
		}
		return 0, fmt.Errorf("store: upserting run %d: %w", r.GitHubID, err)
	}
	r.ID, r.RepoID = id, repoID
	return id, nil
}

// UpsertIssue inserts or updates a GitHub issue of repoID, keyed on its
// GitHub id, and marks it for the derive step (which turns those with an
// incident label into incidents).
func (tx *Tx) UpsertIssue(ctx context.Context, repoID int64, is *model.Issue) (int64, error) {
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertIssue */
		INSERT INTO github_issues (repo_id, github_id, number, title, state, labels, html_url,
			created_at, updated_at, closed_at, dirty)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, TRUE)
		ON CONFLICT (github_id) DO UPDATE SET
			repo_id = excluded.repo_id, number = excluded.number, title = excluded.title, state = excluded.state,
			labels = excluded.labels, html_url = excluded.html_url, created_at = excluded.created_at,
			updated_at = excluded.updated_at, closed_at = excluded.closed_at, dirty = TRUE
		RETURNING id`,
		repoID, is.GitHubID, is.Number, is.Title, is.State, labelsJSON(is.Labels), is.HTMLURL,
		ms(is.CreatedAt), ms(is.UpdatedAt), nullMS(is.ClosedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: upserting issue #%d: %w", is.Number, err)
	}
	is.ID, is.RepoID = id, repoID
	return id, nil
}
