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

// PRChildren names a pull request's children as GitHub lists them now.
type PRChildren struct {
	PRID       int64
	CommitSHAs []string
	ReviewIDs  []string // node ids
	CommentIDs []string // node ids, of both kinds
}

// PrunePRChildren deletes the commits, reviews and comments of the given
// pull requests that are no longer in their lists: commits dropped by a
// force-push, deleted reviews and comments. Call it in the transaction that
// upserted the pull requests, which marks them for the derive step. It runs
// three statements per batch of pull requests, not per pull request.
func (tx *Tx) PrunePRChildren(ctx context.Context, prs []PRChildren) error {
	const maxArgs = 20000 // well below both engines' limit on parameters
	for start := 0; start < len(prs); {
		end, n := start, 0
		for end < len(prs) {
			size := 1 + len(prs[end].CommitSHAs) + len(prs[end].ReviewIDs) + len(prs[end].CommentIDs)
			if end > start && n+size > maxArgs {
				break
			}
			n += size
			end++
		}
		if err := tx.prune(ctx, prs[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func (tx *Tx) prune(ctx context.Context, batch []PRChildren) error {
	for _, t := range []struct {
		table, key string
		keep       func(PRChildren) []string
	}{
		// A commit can be in several PRs, so its key is (pr_id, sha).
		{"commits", "CAST(pr_id AS TEXT) || ' ' || sha", func(p PRChildren) []string {
			keys := make([]string, len(p.CommitSHAs))
			for i, sha := range p.CommitSHAs {
				keys[i] = fmt.Sprintf("%d %s", p.PRID, sha)
			}
			return keys
		}},
		{"pr_reviews", "github_id", func(p PRChildren) []string { return p.ReviewIDs }},
		{"pr_comments", "github_id", func(p PRChildren) []string { return p.CommentIDs }},
	} {
		var args []any
		mark := func(v any) string {
			args = append(args, v)
			return fmt.Sprintf("$%d", len(args))
		}
		var ids, keep []string
		for _, p := range batch {
			ids = append(ids, mark(p.PRID))
			for _, k := range t.keep(p) {
				keep = append(keep, mark(k))
			}
		}
		q := fmt.Sprintf(`/* Tx.PrunePRChildren */ DELETE FROM %s WHERE pr_id IN (%s)`, t.table, strings.Join(ids, ", "))
		if len(keep) > 0 {
			q += fmt.Sprintf(` AND %s NOT IN (%s)`, t.key, strings.Join(keep, ", "))
		}
		if _, err := tx.tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store: pruning %s: %w", t.table, err)
		}
	}
	return nil
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
