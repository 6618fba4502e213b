package store

import (
	"context"
	"database/sql"
	"math"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// PRDetail is a pull request with its reviews, comments and commits, the
// facts the derive step computed for it, and the Linear issues linked to it.
// Its lists are never null.
type PRDetail struct {
	model.PullRequest
	Repo         string          `json:"repo"`
	Body         string          `json:"body"`
	Reviews      []model.Review  `json:"reviews"`
	Comments     []model.Comment `json:"comments"`
	Commits      []model.Commit  `json:"commits"`
	Facts        *PRFacts        `json:"facts"` // null until the derive step has run
	LinearIssues []LinkedIssue   `json:"linear_issues"`
}

// PRFacts are a pull request's derived facts (table pr_facts; see METRICS.md).
type PRFacts struct {
	FirstCommitAt   time.Time  `json:"first_commit_at"`
	FirstReviewAt   *time.Time `json:"first_review_at"`
	ToDefaultBranch bool       `json:"to_default_branch"`
	DeploymentID    *int64     `json:"deployment_id"`
	DeployedAt      *time.Time `json:"deployed_at"`
	// LeadTimeHours is deployed_at − first_commit_at, rounded to 2
	// decimals; null when the PR has no deployment or the duration is
	// negative (bad data, which the lead-time metric also leaves out).
	LeadTimeHours *float64 `json:"lead_time_hours"`
	Undeployed    bool     `json:"undeployed"`
	IsRework      bool     `json:"is_rework"`
}

// LinkedIssue is a Linear issue linked to a pull request.
type LinkedIssue struct {
	ID         int64  `json:"id"`
	Identifier string `json:"identifier"`
	Title      string `json:"title"`
	URL        string `json:"url"`
	StateName  string `json:"state_name"`
	StateType  string `json:"state_type"`
	Via        string `json:"via"` // identifier or attachment
}

// PullRequestDetail returns the pull request with internal id id and
// everything known about it, or ErrNotFound.
func (s *Store) PullRequestDetail(ctx context.Context, id int64) (PRDetail, error) {
	var d PRDetail
	pr, err := scanPRListRow(s.read.QueryRowContext(ctx, `/* Store.PullRequestDetail */
		SELECT `+prListColumns+`, p.body, r.full_name
		FROM pull_requests p JOIN repositories r ON r.id = p.repo_id WHERE p.id = $1`, id), &d.Body, &d.Repo)
	if err != nil {
		return d, notFound(err)
	}
	d.PullRequest = pr
	if d.Reviews, err = s.detailReviews(ctx, id); err != nil {
		return d, err
	}
	if d.Comments, err = s.detailComments(ctx, id); err != nil {
		return d, err
	}
	if d.Commits, err = s.detailCommits(ctx, id); err != nil {
		return d, err
	}
	if d.Facts, err = s.detailFacts(ctx, id); err != nil {
		return d, err
	}
	d.LinearIssues, err = s.detailIssues(ctx, id)
	return d, err
}

func (s *Store) detailReviews(ctx context.Context, prID int64) ([]model.Review, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.detailReviews */
		SELECT github_id, author_login, state, body, html_url, submitted_at FROM pr_reviews
		WHERE pr_id = $1 ORDER BY submitted_at IS NULL, submitted_at, id`, prID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []model.Review{}
	for rows.Next() {
		var r model.Review
		if err := rows.Scan(&r.GitHubID, strCol{&r.AuthorLogin}, &r.State, &r.Body, &r.HTMLURL, NullTimeCol(&r.SubmittedAt)); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) detailComments(ctx context.Context, prID int64) ([]model.Comment, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.detailComments */
		SELECT github_id, kind, author_login, body, html_url, created_at, updated_at FROM pr_comments
		WHERE pr_id = $1 ORDER BY created_at, id`, prID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []model.Comment{}
	for rows.Next() {
		var c model.Comment
		if err := rows.Scan(&c.GitHubID, &c.Kind, strCol{&c.AuthorLogin}, &c.Body, &c.HTMLURL, TimeCol(&c.CreatedAt),
			NullTimeCol(&c.UpdatedAt)); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) detailCommits(ctx context.Context, prID int64) ([]model.Commit, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.detailCommits */
		SELECT sha, message_headline, author_login, author_name, authored_at, committed_at FROM commits
		WHERE pr_id = $1 ORDER BY committed_at, authored_at, id`, prID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []model.Commit{}
	for rows.Next() {
		var c model.Commit
		if err := rows.Scan(&c.SHA, &c.MessageHeadline, strCol{&c.AuthorLogin}, &c.AuthorName, TimeCol(&c.AuthoredAt),
			TimeCol(&c.CommittedAt)); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// detailFacts returns the derived facts of a PR, or nil if the derive step has
// not reached it yet.
func (s *Store) detailFacts(ctx context.Context, prID int64) (*PRFacts, error) {
	var f PRFacts
	var depID sql.NullInt64
	err := s.read.QueryRowContext(ctx, `/* Store.detailFacts */
		SELECT first_commit_at, first_review_at, to_default_branch, deployment_id, deployed_at, undeployed, is_rework
		FROM pr_facts WHERE pr_id = $1`, prID).Scan(TimeCol(&f.FirstCommitAt), NullTimeCol(&f.FirstReviewAt),
		&f.ToDefaultBranch, &depID, NullTimeCol(&f.DeployedAt), &f.Undeployed, &f.IsRework)
	if notFound(err) == ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if depID.Valid {
		f.DeploymentID = &depID.Int64
	}
	if f.DeployedAt != nil {
		if d := f.DeployedAt.Sub(f.FirstCommitAt); d >= 0 {
			h := math.Round(d.Hours()*100) / 100
			f.LeadTimeHours = &h
		}
	}
	return &f, nil
}

func (s *Store) detailIssues(ctx context.Context, prID int64) ([]LinkedIssue, error) {
	rows, err := s.read.QueryContext(ctx, `/* Store.detailIssues */
		SELECT i.id, i.identifier, i.title, i.url, i.state_name, i.state_type, l.via
		FROM linear_issue_prs l JOIN linear_issues i ON i.id = l.issue_id
		WHERE l.pr_id = $1 ORDER BY i.identifier, i.id`, prID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LinkedIssue{}
	for rows.Next() {
		var li LinkedIssue
		if err := rows.Scan(&li.ID, &li.Identifier, &li.Title, &li.URL, &li.StateName, &li.StateType, &li.Via); err != nil {
			return nil, err
		}
		out = append(out, li)
	}
	return out, rows.Err()
}
