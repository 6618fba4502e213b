package store

import (
	"context"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// WorkflowSummary is a GitHub Actions workflow with its repository's name
// and counts of its runs.
type WorkflowSummary struct {
	model.Workflow
	Repo               string     `json:"repo"`
	RunCount           int        `json:"run_count"`
	SuccessfulRunCount int        `json:"successful_run_count"` // completed with conclusion success
	LastRunAt          *time.Time `json:"last_run_at"`
}

// WorkflowList returns one page of workflows, of repository repoID or of all
// repositories when repoID is 0, ordered by repository and name, and how many
// there are in all.
func (s *Store) WorkflowList(ctx context.Context, repoID int64, p Page) ([]WorkflowSummary, int, error) {
	var w whereClause
	if repoID != 0 {
		w.and("w.repo_id = " + w.arg(repoID))
	}
	var total int
	if err := s.read.QueryRowContext(ctx, `/* Store.WorkflowList.count */
		SELECT count(*) FROM workflows w`+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q := `/* Store.WorkflowList */
		SELECT w.id, w.repo_id, w.github_id, w.name, w.path, w.state, w.html_url, w.created_at, w.updated_at,
			w.is_deployment, r.full_name
		FROM workflows w JOIN repositories r ON r.id = w.repo_id` + w.String() +
		` ORDER BY r.full_name_key, w.name, w.id` + w.limit(p)
	rows, err := s.read.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, 0, err
	}
	out := []WorkflowSummary{}
	for rows.Next() {
		var ws WorkflowSummary
		if err := rows.Scan(&ws.ID, &ws.RepoID, &ws.GitHubID, &ws.Name, &ws.Path, &ws.State, &ws.HTMLURL,
			NullTimeCol(&ws.CreatedAt), NullTimeCol(&ws.UpdatedAt), &ws.IsDeployment, &ws.Repo); err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, ws)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, total, err
	}
	return out, total, s.workflowRunCounts(ctx, out)
}

// workflowRunCounts fills in the run counts of a page of workflows.
func (s *Store) workflowRunCounts(ctx context.Context, page []WorkflowSummary) error {
	byID := make(map[int64]*WorkflowSummary, len(page))
	ids := make([]int64, len(page))
	for i := range page {
		byID[page[i].ID] = &page[i]
		ids[i] = page[i].ID
	}
	in, args := inIDs("workflow_id", ids)
	rows, err := s.read.QueryContext(ctx, `/* Store.workflowRunCounts */
		SELECT workflow_id, count(*),
			count(CASE WHEN status = 'completed' AND conclusion = 'success' THEN 1 END),
			max(created_at)
		FROM workflow_runs WHERE `+in+` GROUP BY workflow_id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var runs, ok int
		var last *time.Time
		if err := rows.Scan(&id, &runs, &ok, NullTimeCol(&last)); err != nil {
			return err
		}
		ws := byID[id]
		ws.RunCount, ws.SuccessfulRunCount, ws.LastRunAt = runs, ok, last
	}
	return rows.Err()
}
