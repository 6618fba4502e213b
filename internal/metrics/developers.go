package metrics

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
)

// Developer is one PR author's figures over a range.
type Developer struct {
	Login             string   `json:"login"`
	MergedPRs         int      `json:"merged_prs"`
	MedianMergeHours  *float64 `json:"median_merge_hours"`
	MedianReviewHours *float64 `json:"median_review_hours"` // review time their PRs received
	ReviewsGiven      int      `json:"reviews_given"`       // reviews of other people's PRs
	MedianPRSize      *float64 `json:"median_pr_size"`      // additions + deletions of their merged PRs
	IssuesCompleted   int      `json:"issues_completed"`    // Linear issues completed, linked to their PRs
}

// Developers is the per-developer table.
type Developers struct {
	Data  []Developer `json:"data"`
	Sort  string      `json:"sort"`
	Order string      `json:"order"`
}

// DeveloperColumns are the columns the table sorts by.
var DeveloperColumns = []string{"login", "merged_prs", "median_merge_hours", "median_review_hours", "reviews_given",
	"median_pr_size", "issues_completed"}

// Developers computes one row per PR author (bots excluded) over q, an
// author being someone with a PR opened, merged or first reviewed in the
// range (in q's repo, when it has one): merged
// PRs, median merge time, median review time received, reviews given to
// others, median PR size, and linked Linear issues completed. sort is one of
// DeveloperColumns (default merged_prs), order asc or desc (default desc,
// asc for login); nulls sort last.
func (s *Service) Developers(ctx context.Context, q Query, sortBy, order string) (*Developers, error) {
	return cachedRollup(ctx, s, "developers", q, sortBy+"|"+order, true, true, func() (*Developers, error) {
		if sortBy == "" {
			sortBy = "merged_prs"
		}
		if !slices.Contains(DeveloperColumns, sortBy) {
			return nil, &ParamError{"sort", "must be one of " + strings.Join(DeveloperColumns, ", ")}
		}
		if order == "" {
			order = "desc"
			if sortBy == "login" {
				order = "asc"
			}
		}
		if order != "asc" && order != "desc" {
			return nil, &ParamError{"order", "must be asc or desc"}
		}
		rows, err := s.developerRows(ctx, q)
		if err != nil {
			return nil, err
		}
		out := &Developers{Data: rows, Sort: sortBy, Order: order}
		sortDevelopers(out.Data, sortBy, order == "desc")
		return out, nil
	})
}

// developerRows computes the table's rows, unsorted.
func (s *Service) developerRows(ctx context.Context, q Query) ([]Developer, error) {
	ok, err := s.rollupReady(ctx)
	if err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return s.developerRowsFacts(ctx, q)
	}
	var authors map[string]*authorRow
	completed := map[string]int{}
	err = parallel(ctx, func(ctx context.Context) (err error) {
		authors, err = s.readAuthors(ctx, q, true)
		return err
	}, func(ctx context.Context) error {
		return s.issuesCompletedBy(ctx, q, completed)
	})
	if err != nil {
		return nil, err
	}
	done := map[string]int{}
	for login, n := range completed {
		done[strings.ToLower(login)] += n
	}
	out := []Developer{}
	for author, a := range authors {
		// The rows are the authors of PRs opened, merged or first reviewed
		// in the range; reviews given and issues completed are theirs.
		if (a.opened == 0 && a.merged == 0 && a.reviewed == 0) || model.IsBot(a.login) {
			continue
		}
		row := Developer{Login: a.login, MergedPRs: a.merged, ReviewsGiven: a.reviewsGiven, IssuesCompleted: done[author],
			MedianMergeHours: a.pops[0].medianHours(), MedianReviewHours: a.pops[2].medianHours()}
		if a.pops[1].n > 0 {
			row.MedianPRSize = round(a.pops[1].percentiles(0.5)[0], 2)
		}
		out = append(out, row)
	}
	return out, nil
}

// issuesCompletedBy counts, per PR author, the Linear issues completed in
// q's range that are linked to their PRs.
func (s *Service) issuesCompletedBy(ctx context.Context, q Query, counts map[string]int) error {
	if ok, err := s.issueRollupReady(ctx); err != nil || ok {
		if err != nil {
			return err
		}
		return s.issuesCompletedByRollup(ctx, q, counts)
	}
	// pr_facts holds the PRs' repository and author in narrow rows.
	i := rangeFilter("li.completed_at", q)
	if q.RepoID != 0 {
		i.add("p.repo_id = ?", q.RepoID)
	}
	if q.Author != "" {
		i.add("lower(p.author_login) = ?", strings.ToLower(q.Author))
	}
	return s.groupCounts(ctx, `/* metrics.developers.issuesCompleted */
		SELECT lower(p.author_login), count(DISTINCT li.id) FROM linear_issues li
		JOIN linear_issue_prs l ON l.issue_id = li.id JOIN pr_facts p ON p.pr_id = l.pr_id
		WHERE p.author_login IS NOT NULL AND `+i.sql()+` GROUP BY lower(p.author_login)`, i.args, counts)
}

// developerRowsFacts computes the table's rows from pr_facts.
func (s *Service) developerRowsFacts(ctx context.Context, q Query) ([]Developer, error) {
	type acc struct {
		row          Developer
		merge, sizes population
		review       population
	}
	devs := map[string]*acc{}
	get := func(login string) *acc {
		key := strings.ToLower(login)
		a, ok := devs[key]
		if !ok {
			a = &acc{row: Developer{Login: login}}
			devs[key] = a
		}
		return a
	}
	type durRow struct {
		login    string
		ms, size int64
	}
	var merged, reviewed []durRow
	scanDur := func(query string, args []any, into *[]durRow) error {
		rows, err := s.st.DB().QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r durRow
			if err := rows.Scan(&r.login, &r.ms, &r.size); err != nil {
				return err
			}
			*into = append(*into, r)
		}
		return rows.Err()
	}
	reviewsGiven := map[string]int{}
	completed := map[string]int{}
	opened := map[string]int{}
	c := prFilter("f.created_at", q)
	m := prFilter("f.merged_at", q)
	r := prFilter("f.first_review_at", q)
	g := rangeFilter("v.submitted_at", q)
	i := rangeFilter("li.completed_at", q)
	if q.RepoID != 0 {
		g.add("p.repo_id = ?", q.RepoID)
		i.add("p.repo_id = ?", q.RepoID)
	}
	if q.Author != "" {
		g.add("lower(v.author_login) = ?", strings.ToLower(q.Author))
		i.add("lower(p.author_login) = ?", strings.ToLower(q.Author))
	}
	err := parallel(ctx, func(ctx context.Context) error {
		return scanDur(`/* metrics.developers.merged */
			SELECT f.author_login, f.merged_at - f.created_at, f.size FROM pr_facts f
			WHERE f.author_login IS NOT NULL AND `+m.sql(), m.args, &merged)
	}, func(ctx context.Context) error {
		return scanDur(`/* metrics.developers.reviewed */
			SELECT f.author_login, f.first_review_at - f.created_at, 0 FROM pr_facts f
			WHERE f.author_login IS NOT NULL AND `+r.sql(), r.args, &reviewed)
	}, func(ctx context.Context) error {
		return s.groupCounts(ctx, `/* metrics.developers.opened */
			SELECT f.author_login, count(*) FROM pr_facts f WHERE f.author_login IS NOT NULL AND `+c.sql()+`
			GROUP BY f.author_login`, c.args, opened)
	}, func(ctx context.Context) error {
		return s.groupCounts(ctx, `/* metrics.developers.reviewsGiven */
			SELECT v.author_login, count(*) FROM pr_reviews v JOIN pull_requests p ON p.id = v.pr_id
			WHERE v.state <> '`+model.ReviewPending+`' AND v.author_login IS NOT NULL
			  AND (p.author_login IS NULL OR lower(p.author_login) <> lower(v.author_login)) AND `+g.sql()+`
			GROUP BY v.author_login`, g.args, reviewsGiven)
	}, func(ctx context.Context) error {
		return s.groupCounts(ctx, `/* metrics.developers.issuesCompleted */
			SELECT lower(p.author_login), count(DISTINCT li.id) FROM linear_issues li
			JOIN linear_issue_prs l ON l.issue_id = li.id JOIN pull_requests p ON p.id = l.pr_id
			WHERE p.author_login IS NOT NULL AND `+i.sql()+` GROUP BY lower(p.author_login)`, i.args, completed)
	})
	if err != nil {
		return nil, err
	}
	for _, row := range merged {
		a := get(row.login)
		a.row.MergedPRs++
		a.merge.add(row.ms)
		a.sizes = append(a.sizes, row.size)
	}
	for _, row := range reviewed {
		get(row.login).review.add(row.ms)
	}
	for login := range opened {
		get(login)
	}
	// The rows are the authors of PRs opened, merged or first reviewed
	// in the range; reviews given and issues completed are theirs.
	for login, n := range reviewsGiven {
		if a, ok := devs[strings.ToLower(login)]; ok {
			a.row.ReviewsGiven += n
		}
	}
	for login, n := range completed {
		if a, ok := devs[strings.ToLower(login)]; ok {
			a.row.IssuesCompleted += n
		}
	}
	out := []Developer{}
	for _, a := range devs {
		if model.IsBot(a.row.Login) {
			continue
		}
		a.row.MedianMergeHours = a.merge.median()
		a.row.MedianReviewHours = a.review.median()
		if len(a.sizes) > 0 {
			slices.Sort(a.sizes)
			a.row.MedianPRSize = round(percentileSorted(a.sizes, 0.5), 2)
		}
		out = append(out, a.row)
	}
	return out, nil
}

func sortDevelopers(rows []Developer, by string, desc bool) {
	num := func(d Developer) *float64 {
		switch by {
		case "merged_prs":
			return floatPtr(float64(d.MergedPRs))
		case "median_merge_hours":
			return d.MedianMergeHours
		case "median_review_hours":
			return d.MedianReviewHours
		case "reviews_given":
			return floatPtr(float64(d.ReviewsGiven))
		case "median_pr_size":
			return d.MedianPRSize
		case "issues_completed":
			return floatPtr(float64(d.IssuesCompleted))
		}
		return nil
	}
	slices.SortStableFunc(rows, func(a, b Developer) int {
		var c int
		if by == "login" {
			c = cmp.Compare(strings.ToLower(a.Login), strings.ToLower(b.Login))
		} else {
			x, y := num(a), num(b)
			switch {
			case x == nil && y == nil:
				c = 0
			case x == nil:
				return 1 // nulls last, whatever the order
			case y == nil:
				return -1
			default:
				c = cmp.Compare(*x, *y)
			}
		}
		if desc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(strings.ToLower(a.Login), strings.ToLower(b.Login))
		}
		return c
	})
}

// groupCounts runs a (login, count) query into counts, merging logins that
// differ only in case.
func (s *Service) groupCounts(ctx context.Context, query string, args []any, counts map[string]int) error {
	rows, err := s.st.DB().QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var login string
		var n int
		if err := rows.Scan(&login, &n); err != nil {
			return err
		}
		counts[login] += n
	}
	return rows.Err()
}
