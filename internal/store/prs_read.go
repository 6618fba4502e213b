package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
)

// PRFilter selects pull requests of one repository for PullRequestList.
type PRFilter struct {
	RepoID int64
	State  string // open, closed (without merging) or merged; "" for all
	Author string // GitHub login, case-insensitive; "" for all
	Merged TimeSpan
}

// prListColumns are the columns of a pull request in a list: all but the
// body, which only the detail carries.
const prListColumns = `p.id, p.repo_id, p.number, p.node_id, p.title, p.state, p.draft, p.author_login,
	p.head_branch, p.base_branch, p.head_sha, p.merge_commit_sha, p.additions, p.deletions, p.changed_files,
	p.commit_count, p.labels, p.html_url, p.created_at, p.updated_at, p.merged_at, p.closed_at, p.ready_at`

func scanPRListRow(sc interface{ Scan(...any) error }, extra ...any) (model.PullRequest, error) {
	var pr model.PullRequest
	var mergeSHA sql.NullString
	dest := []any{&pr.ID, &pr.RepoID, &pr.Number, &pr.NodeID, &pr.Title, &pr.State, &pr.Draft, strCol{&pr.AuthorLogin},
		&pr.HeadBranch, &pr.BaseBranch, &pr.HeadSHA, &mergeSHA, &pr.Additions, &pr.Deletions, &pr.ChangedFiles,
		&pr.CommitCount, labelsCol{&pr.Labels}, &pr.HTMLURL, TimeCol(&pr.CreatedAt), TimeCol(&pr.UpdatedAt),
		NullTimeCol(&pr.MergedAt), NullTimeCol(&pr.ClosedAt), NullTimeCol(&pr.ReadyAt)}
	err := sc.Scan(append(dest, extra...)...)
	pr.MergeCommitSHA = mergeSHA.String
	return pr, err
}

// PullRequestList returns one page of the pull requests f selects, newest
// first (by number, which GitHub assigns in creation order), and how many
// there are in all.
func (s *Store) PullRequestList(ctx context.Context, f PRFilter, p Page) ([]model.PullRequest, int, error) {
	var w whereClause
	w.and("p.repo_id = " + w.arg(f.RepoID))
	if f.State != "" {
		w.and("p.state = " + w.arg(f.State))
	}
	if f.Author != "" {
		w.and("lower(p.author_login) = " + w.arg(strings.ToLower(f.Author)))
	}
	w.span("p.merged_at", f.Merged)

	var total int
	if err := s.read.QueryRowContext(ctx, `/* Store.PullRequestList.count */
		SELECT count(*) FROM pull_requests p`+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q := `/* Store.PullRequestList */ SELECT ` + prListColumns + ` FROM pull_requests p` + w.String() +
		` ORDER BY p.number DESC` + w.limit(p)
	rows, err := s.read.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []model.PullRequest{}
	for rows.Next() {
		pr, err := scanPRListRow(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, pr)
	}
	return out, total, rows.Err()
}
