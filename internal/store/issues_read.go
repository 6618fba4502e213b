package store

import (
	"context"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// Reads of Linear teams and issues for the API.

// LinearTeamSummary is a Linear team with the number of its issues.
type LinearTeamSummary struct {
	model.LinearTeam
	IssueCount int `json:"issue_count"`
}

// LinearTeamList returns one page of Linear teams, by key, and how many
// there are in all.
func (s *Store) LinearTeamList(ctx context.Context, p Page) ([]LinearTeamSummary, int, error) {
	var total int
	if err := s.read.QueryRowContext(ctx, `/* Store.LinearTeamList.count */ SELECT count(*) FROM linear_teams`).Scan(&total); err != nil {
		return nil, 0, err
	}
	// The count reads the (team_id, updated_at) index, not the issues.
	rows, err := s.read.QueryContext(ctx, `/* Store.LinearTeamList */
		SELECT t.id, t.linear_id, t.key, t.name,
			(SELECT count(*) FROM linear_issues i WHERE i.team_id = t.id)
		FROM linear_teams t ORDER BY t.key, t.id LIMIT $1 OFFSET $2`, p.Limit, p.Offset())
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []LinearTeamSummary{}
	for rows.Next() {
		var t LinearTeamSummary
		if err := rows.Scan(&t.ID, &t.LinearID, &t.Key, &t.Name, &t.IssueCount); err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// LinearTeamKeyExists reports whether a synced Linear team has key
// (case-insensitive).
func (s *Store) LinearTeamKeyExists(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `/* Store.LinearTeamKeyExists */
		SELECT count(*) FROM linear_teams WHERE upper(key) = $1`, strings.ToUpper(key)).Scan(&n)
	return n > 0, err
}

// LinearIssueFilter selects Linear issues for LinearIssueList.
type LinearIssueFilter struct {
	TeamKey   string // case-insensitive; "" for every team
	StateType string // triage, backlog, unstarted, started, completed, canceled, duplicate; "" for all
	Completed TimeSpan
}

// LinearIssueItem is a Linear issue with the pull requests linked to it.
type LinearIssueItem struct {
	model.LinearIssue
	PRs []LinkedPR `json:"prs"`
}

// LinkedPR is a pull request linked to a Linear issue.
type LinkedPR struct {
	ID       int64      `json:"id"`
	Repo     string     `json:"repo"`
	Number   int        `json:"number"`
	Title    string     `json:"title"`
	State    string     `json:"state"`
	URL      string     `json:"url"`
	MergedAt *time.Time `json:"merged_at"`
	Via      string     `json:"via"` // identifier or attachment
}

// LinearIssueList returns one page of the Linear issues f selects, newest
// first (by creation), each with its linked pull requests, and how many
// there are in all.
func (s *Store) LinearIssueList(ctx context.Context, f LinearIssueFilter, p Page) ([]LinearIssueItem, int, error) {
	var w whereClause
	if f.TeamKey != "" {
		w.and("upper(t.key) = " + w.arg(strings.ToUpper(f.TeamKey)))
	}
	if f.StateType != "" {
		w.and("i.state_type = " + w.arg(f.StateType))
	}
	w.span("i.completed_at", f.Completed)
	from := ` FROM linear_issues i JOIN linear_teams t ON t.id = i.team_id`
	var total int
	if err := s.read.QueryRowContext(ctx, `/* Store.LinearIssueList.count */ SELECT count(*)`+from+w.String(),
		w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q := `/* Store.LinearIssueList */
		SELECT i.id, i.linear_id, t.key, i.identifier, i.number, i.title, i.url, i.branch_name, i.state_name,
			i.state_type, i.priority, i.estimate, i.assignee_name, i.labels, i.created_at, i.updated_at,
			i.started_at, i.completed_at, i.canceled_at` + from + w.String() +
		` ORDER BY i.created_at DESC, i.id DESC` + w.limit(p)
	rows, err := s.read.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, 0, err
	}
	out := []LinearIssueItem{}
	for rows.Next() {
		it := LinearIssueItem{PRs: []LinkedPR{}}
		is := &it.LinearIssue
		if err := rows.Scan(&is.ID, &is.LinearID, &is.TeamKey, &is.Identifier, &is.Number, &is.Title, &is.URL,
			&is.BranchName, &is.StateName, &is.StateType, &is.Priority, &is.Estimate, &is.AssigneeName,
			labelsCol{&is.Labels}, TimeCol(&is.CreatedAt), TimeCol(&is.UpdatedAt), NullTimeCol(&is.StartedAt),
			NullTimeCol(&is.CompletedAt), NullTimeCol(&is.CanceledAt)); err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, total, err
	}
	return out, total, s.issueLinkedPRs(ctx, out)
}

// issueLinkedPRs fills in the linked pull requests of a page of issues.
func (s *Store) issueLinkedPRs(ctx context.Context, page []LinearIssueItem) error {
	byID := make(map[int64]*LinearIssueItem, len(page))
	ids := make([]int64, len(page))
	for i := range page {
		byID[page[i].ID] = &page[i]
		ids[i] = page[i].ID
	}
	in, args := inIDs("l.issue_id", ids)
	rows, err := s.read.QueryContext(ctx, `/* Store.issueLinkedPRs */
		SELECT l.issue_id, l.via, p.id, r.full_name, p.number, p.title, p.state, p.html_url, p.merged_at
		FROM linear_issue_prs l JOIN pull_requests p ON p.id = l.pr_id JOIN repositories r ON r.id = p.repo_id
		WHERE `+in+` ORDER BY r.full_name_key, p.number`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var issueID int64
		var pr LinkedPR
		if err := rows.Scan(&issueID, &pr.Via, &pr.ID, &pr.Repo, &pr.Number, &pr.Title, &pr.State, &pr.URL,
			NullTimeCol(&pr.MergedAt)); err != nil {
			return err
		}
		it := byID[issueID]
		it.PRs = append(it.PRs, pr)
	}
	return rows.Err()
}
