package store

import (
	"context"
	"database/sql"
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
//
// A PR whose facts are current (not dirty: the derive step has copied its
// repository, author, creation, merge and size into pr_facts and computed
// the rest) is found through pr_facts' indexes alone (prTableFast); the
// few dirty ones, and the cases those indexes do not serve (a state
// filter, the order by number, a page far down), are read from
// pull_requests as they are. Either way the page is the same.
func (s *Store) PRTable(ctx context.Context, f PRTableFilter, p Page) ([]PRRow, int, error) {
	if _, ok := prFactSorts[f.Sort]; ok && f.State == "" && p.Offset()+p.Limit <= prTableMaxRows {
		dirty, err := s.dirtyPRIDs(ctx, prTableMaxDirty+1)
		if err != nil {
			return nil, 0, err
		}
		if len(dirty) <= prTableMaxDirty {
			return s.prTableFast(ctx, f, p, dirty)
		}
	}
	return s.prTableScan(ctx, f, p, nil, true)
}

const (
	// prTableMaxDirty bounds the dirty PRs the fast path reads as they are;
	// with more (a database not derived yet) the table reads pull_requests.
	prTableMaxDirty = 500
	// prTableMaxRows bounds offset + limit on the fast path, whose
	// candidates are the first offset + limit rows.
	prTableMaxRows = 5000
)

// prFactSorts are PRSorts' expressions over pr_facts (alias f), equal for
// a PR whose facts are current.
var prFactSorts = map[string]string{
	"lead_time":   "(f.deployed_at - f.first_commit_at)",
	"review_time": "(f.first_review_at - f.created_at)",
	"merge_time":  "(f.merged_at - f.created_at)",
	"size":        "f.size",
	"created":     "f.created_at",
	"merged":      "f.merged_at",
}

// dirtyPRIDs returns the ids of up to limit PRs whose facts are not
// current.
func (s *Store) dirtyPRIDs(ctx context.Context, limit int) ([]int64, error) {
	return column[int64](ctx, s.read, `/* Store.dirtyPRIDs */ SELECT id FROM pull_requests WHERE dirty LIMIT $1`, []any{limit})
}

// prTableFast counts the clean PRs f selects and finds the first offset +
// limit of them in f's order from pr_facts' indexes, then reads the page
// from those candidates and the dirty PRs with prTableScan's query.
func (s *Store) prTableFast(ctx context.Context, f PRTableFilter, p Page, dirty []int64) ([]PRRow, int, error) {
	var w whereClause
	from, until := w.arg(ms(f.Span.From)), w.arg(ms(f.Span.Until))
	if f.RepoID != 0 {
		w.and("f.repo_id = " + w.arg(f.RepoID))
	}
	if f.Author != "" {
		w.and("lower(f.author_login) = " + w.arg(strings.ToLower(f.Author)))
	}
	if f.Members != nil {
		w.and("lower(f.author_login) IN (" + w.argList(f.Members) + ")")
	}
	scope := ""
	if len(w.conds) > 0 {
		scope = " AND " + strings.Join(w.conds, " AND ")
	}
	created := "f.created_at >= " + from + " AND f.created_at < " + until
	// The PRs opened in the range, then those merged in it but opened
	// outside it: before it, or (bad data, merged before opened) after it.
	// Each part is read from an index: the first by creation, the others
	// by merge, among the PRs merged in the range (of the repository or
	// author, whose merge indexes lead with them). (Unary plus: the
	// creation bound must not pick the index to read by; it spans the
	// whole history before the range.)
	inRange := "f.merged_at >= " + from + " AND f.merged_at < " + until
	var shortest sql.NullInt64
	if err := s.read.QueryRowContext(ctx, `/* Store.PRTable.openTimes */
		SELECT min(merged_at - created_at) FROM pr_facts WHERE merged_at IS NOT NULL`).Scan(&shortest); err != nil {
		return nil, 0, err
	}
	parts := []string{created, inRange + " AND +f.created_at < " + from}
	if shortest.Valid && shortest.Int64 < 0 {
		parts = append(parts, inRange+" AND +f.created_at >= "+until)
	}
	opened, ok, err := s.openedFromRollup(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	counted := parts
	if ok {
		counted = parts[1:] // the PRs opened in the range are counted
		if f.RepoID == 0 || (f.Author == "" && f.Members == nil) {
			// So are, with no filter, a repository or authors, those
			// merged in it but opened outside it.
			var outside int
			if outside, ok, err = s.mergedOutsideFromRollup(ctx, f); err != nil {
				return nil, 0, err
			}
			if ok {
				opened += outside
				counted = nil
			}
		}
	}
	total := opened
	if len(counted) > 0 {
		counts := make([]string, len(counted))
		for i, part := range counted {
			counts[i] = "(SELECT count(*) FROM pr_facts f WHERE " + part + scope + ")"
		}
		var n int
		if err := s.read.QueryRowContext(ctx, `/* Store.PRTable.countFacts */ SELECT `+strings.Join(counts, " + "), w.args...).Scan(&n); err != nil {
			return nil, 0, err
		}
		total += n
	}
	if len(dirty) > 0 {
		// The dirty PRs count as they are now, not as their facts say.
		var stale int
		cw := whereClause{args: append([]any{}, w.args...)}
		if err := s.read.QueryRowContext(ctx, `/* Store.PRTable.countStale */ SELECT count(*) FROM pr_facts f
			WHERE f.pr_id IN `+cw.idList(dirty)+` AND ((`+created+`) OR (f.merged_at >= `+from+` AND f.merged_at < `+until+`))`+scope,
			cw.args...).Scan(&stale); err != nil {
			return nil, 0, err
		}
		_, now, err := s.prTableScan(ctx, f, Page{Page: 1, Limit: 0}, dirty, true)
		if err != nil {
			return nil, 0, err
		}
		total += now - stale
		w.and("f.pr_id NOT IN " + w.idList(dirty))
		scope = " AND " + strings.Join(w.conds, " AND ")
	}
	if p.Offset() >= total {
		return []PRRow{}, total, nil
	}
	key := prFactSorts[f.Sort]
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	n := p.Offset() + p.Limit
	var cand []int64
	if f.Sort == "lead_time" && f.Desc {
		// The longest lead times first: walk the lead-time index from the
		// top, a bounded stretch of it; if that stretch holds n PRs of the
		// range and scope, they are the first n.
		var err error
		// (The stretch selects the lead time as the index holds it, k,
		// rather than its two instants, which only the table has.)
		cand, err = column[int64](ctx, s.read, `/* Store.PRTable.leadOrder */ SELECT f.pr_id FROM (SELECT f.pr_id, (f.deployed_at - f.first_commit_at) AS k,
				f.created_at, f.merged_at, f.repo_id, f.author_login FROM pr_facts f WHERE f.deployed_at IS NOT NULL
				ORDER BY (f.deployed_at - f.first_commit_at) DESC, f.pr_id DESC LIMIT `+w.arg(min(200*n, 50_000))+`) f
			WHERE ((`+created+`) OR (f.merged_at >= `+from+` AND f.merged_at < `+until+`))`+scope+`
			ORDER BY f.k DESC, f.pr_id DESC LIMIT `+w.arg(n), w.args)
		if err != nil {
			return nil, 0, err
		}
		if len(cand) < n {
			cand = nil
			w.args = w.args[:len(w.args)-2]
		}
	}
	if cand == nil {
		var err error
		sel := make([]string, len(parts))
		for i, part := range parts {
			sel[i] = "SELECT f.pr_id, " + key + " AS k FROM pr_facts f WHERE " + part + scope
		}
		cand, err = column[int64](ctx, s.read, `/* Store.PRTable.candidates */ SELECT x.pr_id FROM (`+strings.Join(sel, " UNION ALL ")+`) x
			ORDER BY x.k`+dir+` NULLS LAST, x.pr_id DESC LIMIT `+w.arg(n), w.args)
		if err != nil {
			return nil, 0, err
		}
	}
	rows, _, err := s.prTableScan(ctx, f, p, append(cand, dirty...), false)
	return rows, total, err
}

// RollupBuiltKey is the app_state key set while the PR rollup (package
// rollup, table pr_rollup) is complete.
const RollupBuiltKey = "rollup.built"

// openedFromRollup counts the PRs whose facts say they were opened in f's
// span, of f's repository, author and members, from the PR rollup's daily
// counts, when the rollup is complete and current (built, no day waiting
// to be rebuilt: it then sums pr_facts exactly) and the span is whole UTC
// days; ok is false otherwise.
func (s *Store) openedFromRollup(ctx context.Context, f PRTableFilter) (n int, ok bool, err error) {
	from, until := ms(f.Span.From), ms(f.Span.Until)
	const day = 86_400_000
	if from%day != 0 || until%day != 0 || from < 0 {
		return 0, false, nil
	}
	var w whereClause
	w.and("EXISTS (SELECT 1 FROM app_state WHERE key = " + w.arg(RollupBuiltKey) + ")")
	w.and("NOT EXISTS (SELECT 1 FROM pr_rollup_dirty)")
	var ready bool
	if err := s.read.QueryRowContext(ctx, `/* Store.PRTable.rollupReady */ SELECT count(*) > 0 FROM (SELECT 1 AS one) x`+w.String(), w.args...).Scan(&ready); err != nil || !ready {
		return 0, false, err
	}
	w = whereClause{}
	w.and("day >= " + w.arg(from/day) + " AND day < " + w.arg(until/day))
	f.rollupScope(&w)
	err = s.read.QueryRowContext(ctx, `/* Store.PRTable.opened */ SELECT coalesce(sum(opened), 0) FROM pr_rollup`+w.String(), w.args...).Scan(&n)
	return n, err == nil, err
}

// rollupScope restricts a read of the rollup's tables (their repo_id and
// lower-case author columns) to f's repository, author and members.
func (f PRTableFilter) rollupScope(w *whereClause) {
	if f.RepoID != 0 {
		w.and("repo_id = " + w.arg(f.RepoID))
	}
	if f.Author != "" {
		w.and("author = " + w.arg(strings.ToLower(f.Author)))
	}
	if f.Members != nil {
		w.and("author IN (" + w.argList(f.Members) + ")")
	}
}

// mergedOutsideFromRollup counts the PRs whose facts say they were merged
// in f's span but opened before or after it, of f's repository or of its
// author and members (not both), from the rollup's lags (pr_rollup_lags,
// pr_rollup_repo_lags, pr_rollup_author_lags), which openedFromRollup
// found current; ok is false for a span that begins on the first day of
// 1970 or before (where the day of a negative instant, rounded towards
// zero, is not the day before).
func (s *Store) mergedOutsideFromRollup(ctx context.Context, f PRTableFilter) (n int, ok bool, err error) {
	const day = 86_400_000
	from, until := ms(f.Span.From)/day, ms(f.Span.Until)/day
	if from < 1 {
		return 0, false, nil
	}
	var w whereClause
	lo, hi := w.arg(from), w.arg(until)
	// Merged on day d and opened lag days before: opened before the span
	// when d − lag < from, after it when d − lag ≥ until.
	w.and("day >= " + lo + " AND day < " + hi + " AND (lag > day - " + lo + " OR lag <= day - " + hi + ")")
	f.rollupScope(&w)
	table := "pr_rollup_lags"
	switch {
	case f.Author != "" || f.Members != nil:
		table = "pr_rollup_author_lags"
	case f.RepoID != 0:
		table = "pr_rollup_repo_lags"
	}
	err = s.read.QueryRowContext(ctx, `/* Store.PRTable.mergedOutside */ SELECT coalesce(sum(n), 0) FROM `+table+w.String(), w.args...).Scan(&n)
	return n, err == nil, err
}

// prTableScan reads the page p of the PRs f selects from pull_requests
// (among ids, when not nil) and, when count, how many there are in all.
// A page of limit 0 only counts.
func (s *Store) prTableScan(ctx context.Context, f PRTableFilter, p Page, ids []int64, count bool) ([]PRRow, int, error) {
	if ids != nil && len(ids) == 0 {
		return []PRRow{}, 0, nil
	}
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
	if ids != nil {
		w.and("p.id IN " + w.idList(ids))
	}
	var total int
	if count {
		if err := s.read.QueryRowContext(ctx, `/* Store.PRTable.count */ SELECT count(*) FROM pull_requests p`+w.String(), w.args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	if p.Limit == 0 {
		return []PRRow{}, total, nil
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
	return column[string](ctx, s.read, `/* Store.Authors */ SELECT f.author_login FROM pr_facts f`+w.String()+`
		GROUP BY f.author_login ORDER BY count(*) DESC, f.author_login LIMIT `+w.arg(limit), w.args)
}
