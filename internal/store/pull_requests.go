package store

import (
	"context"
	"fmt"

	"github.com/veelocity/veelocity/internal/model"
)

// UpsertPullRequest inserts or updates a pull request of repoID, keyed on
// (repo, number), together with whatever reviews, comments and commits it
// carries, and marks it for the derive step. It returns the internal id.
// Children are upserted on their natural keys; children that are absent
// from pr are left alone.
func (tx *Tx) UpsertPullRequest(ctx context.Context, repoID int64, pr *model.PullRequest) (int64, error) {
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.UpsertPullRequest */
		INSERT INTO pull_requests (repo_id, number, node_id, title, body, state, draft, author_login,
			head_branch, base_branch, head_sha, merge_commit_sha, additions, deletions, changed_files,
			commit_count, labels, html_url, created_at, updated_at, merged_at, closed_at, ready_at, dirty)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, TRUE)
		ON CONFLICT (repo_id, number) DO UPDATE SET
			node_id = excluded.node_id, title = excluded.title, body = excluded.body, state = excluded.state,
			draft = excluded.draft, author_login = excluded.author_login, head_branch = excluded.head_branch,
			base_branch = excluded.base_branch, head_sha = excluded.head_sha,
			merge_commit_sha = excluded.merge_commit_sha, additions = excluded.additions,
			deletions = excluded.deletions, changed_files = excluded.changed_files,
			commit_count = excluded.commit_count, labels = excluded.labels, html_url = excluded.html_url,
			created_at = excluded.created_at, updated_at = excluded.updated_at, merged_at = excluded.merged_at,
			closed_at = excluded.closed_at, ready_at = excluded.ready_at, dirty = TRUE
		RETURNING id`,
		repoID, pr.Number, pr.NodeID, pr.Title, pr.Body, pr.State, pr.Draft, nullStr(pr.AuthorLogin),
		pr.HeadBranch, pr.BaseBranch, pr.HeadSHA, nullStr(pr.MergeCommitSHA), pr.Additions, pr.Deletions, pr.ChangedFiles,
		pr.CommitCount, labelsJSON(pr.Labels), pr.HTMLURL, ms(pr.CreatedAt), ms(pr.UpdatedAt),
		nullMS(pr.MergedAt), nullMS(pr.ClosedAt), nullMS(pr.ReadyAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: upserting PR #%d: %w", pr.Number, err)
	}
	pr.ID, pr.RepoID = id, repoID
	if err := tx.UpsertReviews(ctx, id, pr.Reviews); err != nil {
		return 0, err
	}
	if err := tx.UpsertComments(ctx, id, pr.Comments); err != nil {
		return 0, err
	}
	if err := tx.UpsertCommits(ctx, id, pr.Commits); err != nil {
		return 0, err
	}
	return id, nil
}

// UpsertReviews inserts or updates reviews of the pull request prID, keyed on
// their GitHub node ids, and marks the PR for the derive step.
func (tx *Tx) UpsertReviews(ctx context.Context, prID int64, reviews []model.Review) error {
	for _, r := range reviews {
		if _, err := tx.execStmt(ctx, `/* Tx.UpsertReviews */
			INSERT INTO pr_reviews (pr_id, github_id, author_login, state, body, html_url, submitted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (github_id) DO UPDATE SET
				pr_id = excluded.pr_id, author_login = excluded.author_login, state = excluded.state,
				body = excluded.body, html_url = excluded.html_url, submitted_at = excluded.submitted_at`,
			prID, r.GitHubID, nullStr(r.AuthorLogin), r.State, r.Body, r.HTMLURL, nullMS(r.SubmittedAt)); err != nil {
			return fmt.Errorf("store: upserting review %s: %w", r.GitHubID, err)
		}
	}
	return tx.markPRDirty(ctx, prID, len(reviews))
}

// UpsertComments inserts or updates comments of the pull request prID, keyed
// on their GitHub ids.
func (tx *Tx) UpsertComments(ctx context.Context, prID int64, comments []model.Comment) error {
	for _, c := range comments {
		if _, err := tx.execStmt(ctx, `/* Tx.UpsertComments */
			INSERT INTO pr_comments (pr_id, github_id, kind, author_login, body, html_url, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (github_id) DO UPDATE SET
				pr_id = excluded.pr_id, kind = excluded.kind, author_login = excluded.author_login,
				body = excluded.body, html_url = excluded.html_url, created_at = excluded.created_at,
				updated_at = excluded.updated_at`,
			prID, c.GitHubID, c.Kind, nullStr(c.AuthorLogin), c.Body, c.HTMLURL, ms(c.CreatedAt), nullMS(c.UpdatedAt)); err != nil {
			return fmt.Errorf("store: upserting comment %s: %w", c.GitHubID, err)
		}
	}
	return nil
}

// UpsertCommits inserts or updates commits of the pull request prID, keyed on
// (PR, sha), and marks the PR for the derive step.
func (tx *Tx) UpsertCommits(ctx context.Context, prID int64, commits []model.Commit) error {
	for _, c := range commits {
		if _, err := tx.execStmt(ctx, `/* Tx.UpsertCommits */
			INSERT INTO commits (pr_id, sha, message_headline, author_login, author_name, authored_at, committed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (pr_id, sha) DO UPDATE SET
				message_headline = excluded.message_headline, author_login = excluded.author_login,
				author_name = excluded.author_name, authored_at = excluded.authored_at,
				committed_at = excluded.committed_at`,
			prID, c.SHA, c.MessageHeadline, nullStr(c.AuthorLogin), c.AuthorName, ms(c.AuthoredAt), ms(c.CommittedAt)); err != nil {
			return fmt.Errorf("store: upserting commit %s: %w", c.SHA, err)
		}
	}
	return tx.markPRDirty(ctx, prID, len(commits))
}

func (tx *Tx) markPRDirty(ctx context.Context, prID int64, changed int) error {
	if changed == 0 {
		return nil
	}
	_, err := tx.execStmt(ctx, `/* Tx.markPRDirty */ UPDATE pull_requests SET dirty = TRUE WHERE id = $1 AND NOT dirty`, prID)
	return err
}

// PullRequestID returns the internal id of PR number in repoID, or
// ErrNotFound.
func (tx *Tx) PullRequestID(ctx context.Context, repoID int64, number int) (int64, error) {
	var id int64
	err := tx.queryRowStmt(ctx, `/* Tx.PullRequestID */ SELECT id FROM pull_requests WHERE repo_id = $1 AND number = $2`, repoID, number).Scan(&id)
	return id, notFound(err)
}
