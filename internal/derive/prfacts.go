package derive

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// prRow is what the PR step reads about one pull request.
type prRow struct {
	id, repoID, createdAt       int64
	number                      int
	author                      sql.NullString
	title, body, head, base     string
	labels                      string
	mergeSHA                    sql.NullString
	size                        int64
	mergedAt                    sql.NullInt64
	defaultBranch, repoFullName string
	firstCommit, firstReview    sql.NullInt64
	oldDeployment               sql.NullInt64
}

// firstReviewSQL is the first review per METRICS.md: the earliest submitted
// review that is not PENDING, by someone other than the PR's author, not a
// bot. A review whose author account was deleted counts as someone else's.
const firstReviewSQL = `(SELECT min(v.submitted_at) FROM pr_reviews v
	WHERE v.pr_id = p.id AND v.submitted_at IS NOT NULL
	  AND v.state IN ('` + model.ReviewApproved + `', '` + model.ReviewChangesRequested + `', '` + model.ReviewCommented + `', '` + model.ReviewDismissed + `')
	  AND (v.author_login IS NULL OR v.author_login NOT LIKE '%[bot]')
	  AND (v.author_login IS NULL OR p.author_login IS NULL OR lower(v.author_login) <> lower(p.author_login)))`

// prFacts recomputes the facts of every changed PR, in batches: first commit
// and first review, its deployment link, rework flag, size, and its Linear
// mentions and links; then the rework flag of the deployments it was and is
// linked to, and the cycle end of the issues it was and is linked to.
func (d *Deriver) prFacts(ctx context.Context, st *Stats) error {
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `/* derive.prFacts */
				SELECT p.id, p.repo_id, p.number, p.author_login, p.title, p.body, p.head_branch, p.base_branch, p.labels,
					p.merge_commit_sha, p.additions + p.deletions, p.created_at, p.merged_at, r.default_branch, r.full_name,
					(SELECT min(c.authored_at) FROM commits c WHERE c.pr_id = p.id), `+firstReviewSQL+`, f.deployment_id
				FROM pull_requests p
				JOIN repositories r ON r.id = p.repo_id
				LEFT JOIN pr_facts f ON f.pr_id = p.id
				WHERE p.dirty ORDER BY p.id LIMIT $1`, batchSize)
			if err != nil {
				return err
			}
			var prs []prRow
			for rows.Next() {
				var p prRow
				if err := rows.Scan(&p.id, &p.repoID, &p.number, &p.author, &p.title, &p.body, &p.head, &p.base, &p.labels,
					&p.mergeSHA, &p.size, &p.createdAt, &p.mergedAt, &p.defaultBranch, &p.repoFullName,
					&p.firstCommit, &p.firstReview, &p.oldDeployment); err != nil {
					rows.Close()
					return err
				}
				prs = append(prs, p)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			keys, err := teamKeys(ctx, tx)
			if err != nil {
				return err
			}
			keySet := map[string]bool{}
			for _, k := range keys {
				keySet[k] = true
			}
			firstDeploy := map[int64]sql.NullInt64{}
			deployments, issues := idSet{}, idSet{}
			ids := make([]any, 0, len(prs))
			for _, p := range prs {
				ids = append(ids, p.id)
				first, ok := firstDeploy[p.repoID]
				if !ok {
					if err := tx.QueryRowPrepared(ctx, `/* derive.firstDeployment */
						SELECT min(created_at) FROM deployments WHERE repo_id = $1`, p.repoID).Scan(&first); err != nil {
						return err
					}
					firstDeploy[p.repoID] = first
				}
				newDep, err := d.writePRFacts(ctx, tx, p, first)
				if err != nil {
					return err
				}
				deployments.add(p.oldDeployment.Int64)
				deployments.add(newDep)
				if err := writePRLinks(ctx, tx, p, keySet, issues); err != nil {
					return err
				}
			}
			n = len(prs)
			st.PRs += n
			if err := updateRework(ctx, tx, deployments); err != nil {
				return err
			}
			if err := updateCycleEnd(ctx, tx, issues); err != nil {
				return err
			}
			return execIn(ctx, tx, `UPDATE pull_requests SET dirty = FALSE WHERE id IN (%s)`, ids)
		})
		if err != nil || n < batchSize {
			return err
		}
	}
}

// writePRFacts computes and stores one PR's facts, returning the id of the
// deployment it is linked to (0 for none).
func (d *Deriver) writePRFacts(ctx context.Context, tx *store.Tx, p prRow, firstDeployCreated sql.NullInt64) (int64, error) {
	firstCommit := p.createdAt
	if p.firstCommit.Valid {
		firstCommit = p.firstCommit.Int64
	}
	eligible := p.mergedAt.Valid && p.defaultBranch != "" && p.base == p.defaultBranch
	var depID, deployedAt sql.NullInt64
	if eligible {
		var err error
		depID, deployedAt, err = linkDeployment(ctx, tx, p, firstDeployCreated)
		if err != nil {
			return 0, err
		}
	}
	undeployed := eligible && !depID.Valid && firstDeployCreated.Valid && p.mergedAt.Int64 >= firstDeployCreated.Int64
	var labels []string
	json.Unmarshal([]byte(p.labels), &labels)
	_, err := tx.ExecPrepared(ctx, `/* derive.writePRFacts */
		INSERT INTO pr_facts (pr_id, repo_id, author_login, created_at, merged_at, to_default_branch, first_commit_at,
			first_review_at, deployment_id, deployed_at, undeployed, is_rework, size)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (pr_id) DO UPDATE SET repo_id = excluded.repo_id, author_login = excluded.author_login,
			created_at = excluded.created_at, merged_at = excluded.merged_at,
			to_default_branch = excluded.to_default_branch, first_commit_at = excluded.first_commit_at,
			first_review_at = excluded.first_review_at, deployment_id = excluded.deployment_id,
			deployed_at = excluded.deployed_at, undeployed = excluded.undeployed, is_rework = excluded.is_rework,
			size = excluded.size`,
		p.id, p.repoID, p.author, p.createdAt, p.mergedAt, eligible, firstCommit, p.firstReview, depID, deployedAt,
		undeployed, IsRework(p.title, p.head, labels), p.size)
	return depID.Int64, err
}

// linkDeployment finds an eligible PR's deployment: the earliest deployment
// (by deployed_at) of its repo that deployed its merge commit; else, if the
// PR was merged at or after the repo's first deployment was created, the
// earliest deployment created at or after the merge.
func linkDeployment(ctx context.Context, tx *store.Tx, p prRow, firstDeployCreated sql.NullInt64) (id, deployedAt sql.NullInt64, err error) {
	if p.mergeSHA.String != "" {
		err = tx.QueryRowPrepared(ctx, `/* derive.linkDeployment.sha */
			SELECT id, deployed_at FROM deployments WHERE repo_id = $1 AND head_sha = $2
			ORDER BY deployed_at, id LIMIT 1`, p.repoID, p.mergeSHA.String).Scan(&id, &deployedAt)
		if err == nil || !isNoRows(err) {
			return id, deployedAt, err
		}
	}
	if !firstDeployCreated.Valid || p.mergedAt.Int64 < firstDeployCreated.Int64 {
		return id, deployedAt, nil
	}
	err = tx.QueryRowPrepared(ctx, `/* derive.linkDeployment.time */
		SELECT id, deployed_at FROM deployments WHERE repo_id = $1 AND created_at >= $2
		ORDER BY created_at, deployed_at, id LIMIT 1`, p.repoID, p.mergedAt.Int64).Scan(&id, &deployedAt)
	if isNoRows(err) {
		err = nil
	}
	return id, deployedAt, err
}

// writePRLinks stores the Linear identifiers a PR mentions and replaces its
// links to Linear issues: issues it mentions, and issues with an attachment
// naming it. The issues it was and is linked to are added to affected.
func writePRLinks(ctx context.Context, tx *store.Tx, p prRow, keys map[string]bool, affected idSet) error {
	if _, err := tx.ExecPrepared(ctx, `DELETE FROM pr_mentions WHERE pr_id = $1`, p.id); err != nil {
		return err
	}
	links := map[int64]string{}
	for _, ident := range Identifiers(keys, p.head, p.title, p.body) {
		if _, err := tx.ExecPrepared(ctx, `INSERT INTO pr_mentions (pr_id, identifier) VALUES ($1, $2)`, p.id, ident); err != nil {
			return err
		}
		issueIDs, err := queryIDs(ctx, tx, `/* derive.issueByIdentifier */ SELECT id FROM linear_issues WHERE identifier = $1`, ident)
		if err != nil {
			return err
		}
		for _, id := range issueIDs {
			links[id] = "identifier"
		}
	}
	issueIDs, err := queryIDs(ctx, tx, `/* derive.issueByAttachment */
		SELECT DISTINCT issue_id FROM linear_attachments WHERE pr_key = $1`, PRKey(p.repoFullName, p.number))
	if err != nil {
		return err
	}
	for _, id := range issueIDs {
		if _, ok := links[id]; !ok {
			links[id] = "attachment"
		}
	}
	old, err := queryIDs(ctx, tx, `/* derive.oldPRLinks */ SELECT issue_id FROM linear_issue_prs WHERE pr_id = $1`, p.id)
	if err != nil {
		return err
	}
	for _, id := range old {
		affected.add(id)
	}
	if _, err := tx.ExecPrepared(ctx, `DELETE FROM linear_issue_prs WHERE pr_id = $1`, p.id); err != nil {
		return err
	}
	for issueID, via := range links {
		if _, err := tx.ExecPrepared(ctx, `INSERT INTO linear_issue_prs (issue_id, pr_id, via) VALUES ($1, $2, $3)`,
			issueID, p.id, via); err != nil {
			return err
		}
		affected.add(issueID)
	}
	return nil
}

// updateRework recomputes the rework flag of deployments: a deployment is
// rework when it is the linked deployment of at least one rework PR.
func updateRework(ctx context.Context, tx *store.Tx, deployments idSet) error {
	return execIn(ctx, tx, `/* derive.updateRework */ UPDATE deployments
		SET is_rework = EXISTS (SELECT 1 FROM pr_facts f WHERE f.deployment_id = deployments.id AND f.is_rework)
		WHERE id IN (%s)`, deployments.args())
}

// updateCycleEnd recomputes the cycle end of Linear issues: the latest merge
// among their merged linked PRs.
func updateCycleEnd(ctx context.Context, tx *store.Tx, issues idSet) error {
	return execIn(ctx, tx, `/* derive.updateCycleEnd */ UPDATE linear_issues
		SET cycle_end_at = (SELECT max(p.merged_at) FROM linear_issue_prs l JOIN pull_requests p ON p.id = l.pr_id
			WHERE l.issue_id = linear_issues.id AND p.merged_at IS NOT NULL)
		WHERE id IN (%s)`, issues.args())
}

// queryIDs runs a query returning one integer column, through the
// transaction's statement cache (it runs once per record).
func queryIDs(ctx context.Context, tx *store.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryPrepared(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
