package store

import (
	"context"
	"strings"
	"time"
)

// Reads for the web dashboard's pull-request table.

// PRRow is a pull request as the dashboard's table lists it, with the facts
// the derive step keeps for it.
type PRRow struct {
	ID            int64
	Repo          string
	Number        int
	Title         string
	Author        string
	State         string
	Draft         bool
	HeadBranch    string
	URL           string
	Size          int // additions + deletions
	CreatedAt     time.Time
	MergedAt      *time.Time
	FirstCommitAt *time.Time
	FirstReviewAt *time.Time
	DeployedAt    *time.Time
}

// LeadTime is deployment − first commit, when the PR was deployed.
func (p PRRow) LeadTime() *time.Duration {
	if p.DeployedAt == nil || p.FirstCommitAt == nil {
		return nil
	}
	d := p.DeployedAt.Sub(*p.FirstCommitAt)
	return &d
}

// PRTableFilter selects the pull requests of the dashboard's table: those
// opened or merged in Span.
type PRTableFilter struct {
	Span   TimeSpan
	RepoID int64  // 0 for every repository
	Author string // case-insensitive; "" for all
	// Members, when not nil, restricts the table to PRs by these logins
	// (lower case): a team's members; an empty set selects nothing.
	Members []string
	State   string // open, closed, merged; "" for all
	// Sort is a PRSort key; Desc reverses it. Rows without a value (a PR
	// never deployed has no lead time) come last either way.
	Sort string
	Desc bool
}

// PRSorts maps the table's sort keys to their SQL expressions.
var PRSorts = map[string]string{
	"lead_time":   "(f.deployed_at - f.first_commit_at)",
	"review_time": "(f.first_review_at - p.created_at)",
	"merge_time":  "(p.merged_at - p.created_at)",
	"size":        "(p.additions + p.deletions)",
	"created":     "p.created_at",
	"merged":      "p.merged_at",
	"number":      "p.number",
}

// PRTable returns one page of the pull requests f selects, in f's order,
// and how many there are in all.
func (s *Store) PRTable(ctx context.Context, f PRTableFilter, p Page) ([]PRRow, int, error) {
	var w whereClause
	from, until := w.arg(ms(f.Span.From)), w.arg(ms(f.Span.Until))
	w.and("((p.created_at >= " + from + " AND p.created_at < " + until + ") OR (p.merged_at >= " + from + " AND p.merged_at < " + until + "))")
	if f.RepoID != 0 {
		w.and("p.repo_id = " + w.arg(f.RepoID))
	}
	if f.Author != "" {
		w.and("lower(p.author_login) = " + w.arg(strings.ToLower(f.Author)))
	}
	if f.Members != nil {
		w.and("lower(p.author_login) IN (" + w.argList(f.Members) + ")")
	}
	if f.State != "" {
		w.and("p.state = " + w.arg(f.State))
	}
	var total int
	if err := s.read.QueryRowContext(ctx, `/* Store.PRTable.count */ SELECT count(*) FROM pull_requests p`+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	expr, ok := PRSorts[f.Sort]
	if !ok {
		expr = PRSorts["lead_time"]
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	q := `/* Store.PRTable */ SELECT p.id, r.full_name, p.number, p.title, p.author_login, p.state, p.draft, p.head_branch,
		p.html_url, p.additions + p.deletions, p.created_at, p.merged_at, f.first_commit_at, f.first_review_at, f.deployed_at
		FROM pull_requests p JOIN repositories r ON r.id = p.repo_id LEFT JOIN pr_facts f ON f.pr_id = p.id` + w.String() +
		` ORDER BY ` + expr + dir + ` NULLS LAST, p.id DESC` + w.limit(p)
	rows, err := s.read.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []PRRow{}
	for rows.Next() {
		var r PRRow
		if err := rows.Scan(&r.ID, &r.Repo, &r.Number, &r.Title, strCol{&r.Author}, &r.State, &r.Draft, &r.HeadBranch,
			&r.URL, &r.Size, TimeCol(&r.CreatedAt), NullTimeCol(&r.MergedAt), NullTimeCol(&r.FirstCommitAt),
			NullTimeCol(&r.FirstReviewAt), NullTimeCol(&r.DeployedAt)); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// Authors lists the GitHub logins that merged a pull request in span (of
// repoID, unless 0), most active first, at most limit of them.
func (s *Store) Authors(ctx context.Context, span TimeSpan, repoID int64, limit int) ([]string, error) {
	var w whereClause
	w.and("f.author_login IS NOT NULL")
	w.span("f.merged_at", span)
	if repoID != 0 {
		w.and("f.repo_id = " + w.arg(repoID))
	}
	rows, err := s.read.QueryContext(ctx, `/* Store.Authors */ SELECT f.author_login FROM pr_facts f`+w.String()+`
		GROUP BY f.author_login ORDER BY count(*) DESC, f.author_login LIMIT `+w.arg(limit), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
