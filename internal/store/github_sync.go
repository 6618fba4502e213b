package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// Queries the GitHub and Actions connectors need beyond the typed upserts.

// PrunePRChildren deletes the commits, reviews and comments of the pull
// request prID that are not in the given lists, which are the PR's complete
// children as GitHub lists them now (commits dropped by a force-push,
// deleted reviews and comments). It marks the PR for the derive step when
// it deletes anything.
func (tx *Tx) PrunePRChildren(ctx context.Context, prID int64, commitSHAs, reviewIDs, commentIDs []string) error {
	deleted := int64(0)
	for _, t := range []struct {
		table, key string
		keep       []string
	}{{"commits", "sha", commitSHAs}, {"pr_reviews", "github_id", reviewIDs}, {"pr_comments", "github_id", commentIDs}} {
		q := fmt.Sprintf(`/* Tx.PrunePRChildren */ DELETE FROM %s WHERE pr_id = $1`, t.table)
		args := []any{prID}
		if len(t.keep) > 0 {
			marks := make([]string, len(t.keep))
			for i, k := range t.keep {
				marks[i] = fmt.Sprintf("$%d", i+2)
				args = append(args, k)
			}
			q += fmt.Sprintf(` AND %s NOT IN (%s)`, t.key, strings.Join(marks, ", "))
		}
		res, err := tx.tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: pruning %s of PR %d: %w", t.table, prID, err)
		}
		n, _ := res.RowsAffected()
		deleted += n
	}
	return tx.markPRDirty(ctx, prID, int(deleted))
}

// IssueNumbers returns the numbers of the GitHub issues stored for repoID,
// so a sync can update an issue that lost its incident label.
func (s *Store) IssueNumbers(ctx context.Context, repoID int64) (map[int]bool, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.IssueNumbers */ SELECT number FROM github_issues WHERE repo_id = $1`, repoID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// OldestUnfinishedRun returns the creation time of repoID's oldest workflow
// run that was not completed when last synced, among those created at or
// after notBefore, or nil if there is none.
func (s *Store) OldestUnfinishedRun(ctx context.Context, repoID int64, notBefore time.Time) (*time.Time, error) {
	var v sql.NullInt64
	err := s.read.QueryRowContext(ctx, `/* Store.OldestUnfinishedRun */
		SELECT min(created_at) FROM workflow_runs WHERE repo_id = $1 AND status <> 'completed' AND created_at >= $2`,
		repoID, ms(notBefore)).Scan(&v)
	if err != nil || !v.Valid {
		return nil, err
	}
	t := fromMS(v.Int64)
	return &t, nil
}

// EnsureWorkflow stores w as a placeholder if no workflow with its GitHub
// id is stored yet; an existing workflow is left alone. A run of a deleted
// workflow gets one made from the run's name and path.
func (tx *Tx) EnsureWorkflow(ctx context.Context, repoID int64, w *model.Workflow) error {
	_, err := tx.execStmt(ctx, `/* Tx.EnsureWorkflow */
		INSERT INTO workflows (repo_id, github_id, name, path, state, html_url)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (github_id) DO NOTHING`,
		repoID, w.GitHubID, w.Name, w.Path, w.State, w.HTMLURL)
	if err != nil {
		return fmt.Errorf("store: ensuring workflow %d: %w", w.GitHubID, err)
	}
	return nil
}
