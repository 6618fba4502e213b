package derive

import (
	"context"
	"database/sql"
	"sort"
)

// The PR step of a full run reads each batch of PRs with a few set-based
// statements instead of dirtyPRs' correlated subqueries: the first commits
// and first reviews of the batch's range of ids in one grouped pass over
// each index, and the candidate deployments from memory. Each of the
// subqueries was an index probe per PR: about 10 µs each on PostgreSQL,
// where the read was the largest part of the PR step's server time; on
// SQLite the reads ahead, which ran beside the writes, took longer than
// the writes and set the step's pace.

// deployCandidates holds the production deployments, to find a PR's two
// candidates (linkCandidatesSQL) without a query per PR.
type deployCandidates struct {
	// bySHA is, per repository and head commit, the earliest deployment
	// by (deployed_at, id).
	bySHA map[repoSHA]deployCand
	// byRepo is each repository's deployments sorted by (created_at,
	// deployed_at, id).
	byRepo map[int64][]deployCand
}

type repoSHA struct {
	repo int64
	sha  string
}

type deployCand struct {
	id, created, deployed int64
}

// maxDeployCandidates bounds the production deployments held in memory;
// past it the PR step keeps to its queries.
const maxDeployCandidates = 1_000_000

// loadDeployCandidates reads the production deployments, or returns nil
// when there are more than maxDeployCandidates.
func loadDeployCandidates(ctx context.Context, db *sql.DB) (*deployCandidates, error) {
	rows, err := db.QueryContext(ctx, `/* derive.deployCandidates */
		SELECT id, repo_id, head_sha, created_at, deployed_at FROM deployments WHERE production`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c := &deployCandidates{bySHA: map[repoSHA]deployCand{}, byRepo: map[int64][]deployCand{}}
	n := 0
	for rows.Next() {
		var d deployCand
		var k repoSHA
		if err := rows.Scan(&d.id, &k.repo, &k.sha, &d.created, &d.deployed); err != nil {
			return nil, err
		}
		if n++; n > maxDeployCandidates {
			return nil, nil
		}
		if old, ok := c.bySHA[k]; !ok || d.deployed < old.deployed || (d.deployed == old.deployed && d.id < old.id) {
			c.bySHA[k] = d
		}
		c.byRepo[k.repo] = append(c.byRepo[k.repo], d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ds := range c.byRepo {
		sort.Slice(ds, func(i, j int) bool {
			a, b := ds[i], ds[j]
			if a.created != b.created {
				return a.created < b.created
			}
			if a.deployed != b.deployed {
				return a.deployed < b.deployed
			}
			return a.id < b.id
		})
	}
	return c, nil
}

// candidates sets p's two candidate deployments, as linkCandidatesSQL
// selects them.
func (c *deployCandidates) candidates(p *prRow) {
	p.exactDeployment, p.timeDeploy = sql.NullInt64{}, sql.NullInt64{}
	if p.mergeSHA.Valid {
		if d, ok := c.bySHA[repoSHA{p.repoID, p.mergeSHA.String}]; ok {
			p.exactDeployment = sql.NullInt64{Int64: d.id, Valid: true}
		}
	}
	if p.mergedAt.Valid {
		ds := c.byRepo[p.repoID]
		if i := sort.Search(len(ds), func(i int) bool { return ds[i].created >= p.mergedAt.Int64 }); i < len(ds) {
			p.timeDeploy = sql.NullInt64{Int64: ds[i].id, Valid: true}
		}
	}
}

// batchPRs reads a batch of PRs (cond and args as for dirtyPRs: $1 is the
// LIMIT) with what their facts need, as dirtyPRs does. A full run's batch
// is every PR of its range of ids, so the grouped reads go through that
// range.
func batchPRs(ctx context.Context, q querier, cond string, args []any, cands *deployCandidates) ([]prRow, error) {
	rows, err := q.Query(ctx, `/* derive.batchPRs */
		SELECT p.id, p.repo_id, p.number, p.author_login, p.title, p.body, p.head_branch, p.base_branch, p.labels,
			p.merge_commit_sha, p.additions + p.deletions, p.created_at, p.merged_at, r.default_branch, r.full_name,
			r.first_deploy_created_at, (SELECT f.deployment_id FROM pr_facts f WHERE f.pr_id = p.id)
		FROM pull_requests p CROSS JOIN repositories r
		WHERE r.id = p.repo_id AND `+cond+` ORDER BY p.id LIMIT $1`, args...)
	if err != nil {
		return nil, err
	}
	var prs []prRow
	for rows.Next() {
		var p prRow
		if err := rows.Scan(&p.id, &p.repoID, &p.number, &p.author, &p.title, &p.body, &p.head, &p.base, &p.labels,
			&p.mergeSHA, &p.size, &p.createdAt, &p.mergedAt, &p.defaultBranch, &p.repoFullName, &p.firstDeployCreated,
			&p.oldDeployment); err != nil {
			rows.Close()
			return nil, err
		}
		cands.candidates(&p)
		prs = append(prs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(prs) == 0 {
		return prs, err
	}
	lo, hi := prs[0].id, prs[len(prs)-1].id
	at := make(map[int64]int, len(prs))
	for i, p := range prs {
		at[p.id] = i
	}
	// Each grouped read sets one column of the PRs it finds.
	for _, r := range []struct {
		query string
		set   func(p *prRow, v sql.NullInt64)
	}{
		{`/* derive.rangeFirstCommits */ SELECT c.pr_id, min(c.authored_at) FROM commits c
			WHERE c.pr_id >= $1 AND c.pr_id <= $2 GROUP BY c.pr_id`,
			func(p *prRow, v sql.NullInt64) { p.firstCommit = v }},
		{`/* derive.rangeFirstReviews */ SELECT v.pr_id, min(v.submitted_at) FROM pr_reviews v JOIN pull_requests p ON p.id = v.pr_id
			WHERE v.pr_id >= $1 AND v.pr_id <= $2 AND p.id >= $1 AND p.id <= $2 AND ` + firstReviewCond + ` GROUP BY v.pr_id`,
			func(p *prRow, v sql.NullInt64) { p.firstReview = v }},
	} {
		rows, err := q.Query(ctx, r.query, lo, hi)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var v sql.NullInt64
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return nil, err
			}
			if i, ok := at[id]; ok {
				r.set(&prs[i], v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return prs, nil
}
