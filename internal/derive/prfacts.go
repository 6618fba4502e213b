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
	firstDeployCreated          sql.NullInt64
	firstCommit, firstReview    sql.NullInt64
	exactDeployment, timeDeploy sql.NullInt64 // candidates for its link
	oldDeployment               sql.NullInt64
}

// firstReviewSQL is the first review per METRICS.md: the earliest submitted
// review that is not PENDING, by someone other than the PR's author, not a
// bot. A review whose author account was deleted counts as someone else's.
const firstReviewSQL = `(SELECT min(v.submitted_at) FROM pr_reviews v WHERE v.pr_id = p.id AND ` + firstReviewCond + `)`

// firstReviewCond selects, of the reviews v of PR p, those that can be its
// first review.
const firstReviewCond = `v.submitted_at IS NOT NULL
	  AND v.state IN ('` + model.ReviewApproved + `', '` + model.ReviewChangesRequested + `', '` + model.ReviewCommented + `', '` + model.ReviewDismissed + `')
	  AND (v.author_login IS NULL OR lower(v.author_login) NOT LIKE '%[bot]')
	  AND (v.author_login IS NULL OR p.author_login IS NULL OR lower(v.author_login) <> lower(p.author_login))`

// linkCandidatesSQL are a PR's two candidate deployments: the earliest (by
// deployed_at) of its repo that deployed its merge commit, and the earliest
// created at or after its merge (ties broken by completion, then id).
const linkCandidatesSQL = `
	(SELECT d.id FROM deployments d WHERE d.repo_id = p.repo_id AND d.head_sha = p.merge_commit_sha AND d.production
		ORDER BY d.deployed_at, d.id LIMIT 1),
	(SELECT d.id FROM deployments d WHERE d.repo_id = p.repo_id AND d.created_at >= p.merged_at AND d.production
		ORDER BY d.created_at, d.deployed_at, d.id LIMIT 1)`

// prFacts recomputes the facts of every changed PR, in batches: first commit
// and first review, its deployment link, rework flag, size, and its Linear
// mentions and links; then the rework flag of the deployments it was and is
// linked to, and the cycle end of the issues it was and is linked to. Each
// batch costs a fixed number of statements, whatever its size (runBatches:
// two at a time in a full run on PostgreSQL, each read ahead on SQLite).
func (d *Deriver) prFacts(ctx context.Context, st *Stats) error {
	read := dirtyPRs
	if d.mode == Full {
		cands, err := loadDeployCandidates(ctx, d.st.DB())
		if err != nil {
			return err
		}
		if cands != nil {
			read = func(ctx context.Context, q querier, cond string, args []any) ([]prRow, error) {
				return batchPRs(ctx, q, cond, args, cands)
			}
		}
	}
	if err := runBatches(ctx, d, batchStep[[]prRow]{name: prStep, table: "pull_requests", alias: "p", what: "PR",
		read: read,
		rows: func(prs []prRow) (int, int64) {
			if len(prs) == 0 {
				return 0, 0
			}
			return len(prs), prs[len(prs)-1].id
		},
		write: d.prBatch,
	}, &st.PRs); err != nil {
		return err
	}
	return d.prFactsDone(ctx)
}

// prStep names the PR step.
const prStep = "pull request facts"

// prFactsDone ends the PR step, once its batches are written.
func (d *Deriver) prFactsDone(ctx context.Context) error {
	if d.mode == Full && d.scan == nil {
		// The PR rollup is computed from here on, beside the index builds
		// and the Linear step (which read pr_facts at most).
		d.scan = d.startRollupScan(ctx)
	}
	// The indexes the run deferred (Run) are built now, in one pass each:
	// the steps after this one read through them.
	if err := d.tx(ctx, func(tx *store.Tx) error { return tx.RestoreIndexes(ctx) }); err != nil {
		return err
	}
	if d.mode == Full && d.st.Dialect() == store.Postgres {
		// The statistics of the tables this step filled date from before
		// it (prepare); the Linear step's lookups in them would be planned
		// as if they were still empty.
		return d.st.Optimize(ctx, "pr_facts", "pr_mentions", "linear_issue_prs")
	}
	return nil
}

// prBatch derives a batch of PRs, read by dirtyPRs, in tx.
func (d *Deriver) prBatch(ctx context.Context, tx *store.Tx, prs []prRow) error {
	ids := make([]any, len(prs))
	for i, p := range prs {
		ids[i] = p.id
	}
	if err := d.markRollup(ctx, tx, ids); err != nil { // the days they leave
		return err
	}
	deployments, err := writePRFacts(ctx, tx, prs, d.mode == Full)
	if err != nil {
		return err
	}
	if err := d.markRollup(ctx, tx, ids); err != nil { // the days they join
		return err
	}
	// In a full run every Linear issue is dirty, and the Linear
	// step, which comes next, replaces every issue's links and
	// cycle end from the mentions written here; and every
	// deployment's flags are recomputed at the end
	// (deploymentFlags). Doing either here too would be work done
	// twice over, so a full run only writes the mentions.
	full := d.mode == Full
	issues, err := writePRLinks(ctx, tx, prs, ids, !full)
	if err != nil {
		return err
	}
	if !full {
		if err := updateRework(ctx, tx, deployments); err != nil {
			return err
		}
		if err := d.cycleEnd(ctx, tx, issues); err != nil {
			return err
		}
	}
	return d.clearDirty(ctx, tx, "pull_requests", ids)
}

// afterBatch, when set (by tests), runs after each batch of the PR step
// and of the Linear step that read the next one ahead, between their
// transactions; step names the step.
var afterBatch func(step string)

// dirtyPRs reads a batch of changed PRs (cond, from pick) with what their
// facts need. Every lookup is a correlated subquery, one index probe per
// PR: as a join, PostgreSQL merged pr_facts in from its first row for
// every batch, which made a full derive quadratic in the number of PRs.
// (CROSS JOIN keeps the PRs the outer loop on SQLite, which would
// otherwise go through repositories and sort every PR for each batch.)
func dirtyPRs(ctx context.Context, q querier, cond string, args []any) ([]prRow, error) {
	rows, err := q.Query(ctx, `/* derive.prFacts */
		SELECT p.id, p.repo_id, p.number, p.author_login, p.title, p.body, p.head_branch, p.base_branch, p.labels,
			p.merge_commit_sha, p.additions + p.deletions, p.created_at, p.merged_at, r.default_branch, r.full_name,
			r.first_deploy_created_at, (SELECT min(c.authored_at) FROM commits c WHERE c.pr_id = p.id), `+firstReviewSQL+`,
			`+linkCandidatesSQL+`, (SELECT f.deployment_id FROM pr_facts f WHERE f.pr_id = p.id)
		FROM pull_requests p CROSS JOIN repositories r
		WHERE r.id = p.repo_id AND `+cond+` ORDER BY p.id LIMIT $1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var prs []prRow
	for rows.Next() {
		var p prRow
		if err := rows.Scan(&p.id, &p.repoID, &p.number, &p.author, &p.title, &p.body, &p.head, &p.base, &p.labels,
			&p.mergeSHA, &p.size, &p.createdAt, &p.mergedAt, &p.defaultBranch, &p.repoFullName, &p.firstDeployCreated,
			&p.firstCommit, &p.firstReview, &p.exactDeployment, &p.timeDeploy, &p.oldDeployment); err != nil {
			return nil, err
		}
		prs = append(prs, p)
	}
	return prs, rows.Err()
}

// link applies the linking rules to a PR's candidates: only a PR merged into
// its repo's default branch is eligible; its deployment is the one that
// deployed its merge commit, else, if it was merged at or after the repo's
// first deployment was created, the first created at or after the merge.
func (p prRow) link() (eligible bool, deployment sql.NullInt64, undeployed bool) {
	eligible = p.mergedAt.Valid && p.defaultBranch != "" && p.base == p.defaultBranch
	if !eligible {
		return false, deployment, false
	}
	afterFirst := p.firstDeployCreated.Valid && p.mergedAt.Int64 >= p.firstDeployCreated.Int64
	switch {
	case p.exactDeployment.Valid:
		deployment = p.exactDeployment
	case afterFirst:
		deployment = p.timeDeploy
	}
	return true, deployment, !deployment.Valid && afterFirst
}

// factRow is one row of pr_facts.
type factRow struct {
	prID, repoID                    int64
	author                          sql.NullString
	createdAt                       int64
	mergedAt                        sql.NullInt64
	toDefault                       bool
	firstCommit                     int64
	firstReview, deployment, deploy sql.NullInt64
	undeployed, rework              bool
	size                            int64
}

func (f *factRow) values() []any {
	return []any{f.prID, f.repoID, f.author, f.createdAt, f.mergedAt, f.toDefault, f.firstCommit, f.firstReview,
		f.deployment, f.deploy, f.undeployed, f.rework, f.size}
}

// factTypes are the SQL types of factRow.values, and mentionTypes those of
// a pr_mentions row.
var (
	factTypes = []string{"bigint", "bigint", "text", "bigint", "bigint", "boolean", "bigint", "bigint", "bigint", "bigint",
		"boolean", "boolean", "integer"}
	mentionTypes = []string{"bigint", "text"}
)

// writePRFacts computes and stores the facts of a batch of PRs, returning
// the deployments they were and are linked to. Only the rows whose facts
// change are written: most do not in a full run over derived data, and
// each write updates every one of pr_facts' dozen indexes. full says the
// batch is every PR of its range of ids (a full run), so that the stored
// facts are read by range.
func writePRFacts(ctx context.Context, tx *store.Tx, prs []prRow, full bool) (idSet, error) {
	linked := idSet{}
	for _, p := range prs {
		linked.add(p.oldDeployment.Int64)
		if _, dep, _ := p.link(); dep.Valid {
			linked.add(dep.Int64)
		}
	}
	deployedAt, err := deployedTimes(ctx, tx, linked)
	if err != nil {
		return nil, err
	}
	stored, err := storedFacts(ctx, tx, prs, full)
	if err != nil {
		return nil, err
	}
	values := make([][]any, 0, len(prs))
	for _, p := range prs {
		eligible, dep, undeployed := p.link()
		f := factRow{prID: p.id, repoID: p.repoID, author: p.author, createdAt: p.createdAt, mergedAt: p.mergedAt,
			toDefault: eligible, firstCommit: p.createdAt, firstReview: p.firstReview, deployment: dep,
			undeployed: undeployed, size: p.size}
		if p.firstCommit.Valid {
			f.firstCommit = p.firstCommit.Int64
		}
		if dep.Valid {
			f.deploy = sql.NullInt64{Int64: deployedAt[dep.Int64], Valid: true}
		}
		var labels []string
		json.Unmarshal([]byte(p.labels), &labels)
		f.rework = IsRework(p.title, p.head, labels)
		if old, ok := stored[p.id]; ok && old == f {
			continue
		}
		values = append(values, f.values())
	}
	return linked, insertRows(ctx, tx, `/* derive.writePRFacts */
		INSERT INTO pr_facts (pr_id, repo_id, author_login, created_at, merged_at, to_default_branch, first_commit_at,
			first_review_at, deployment_id, deployed_at, undeployed, is_rework, size) VALUES %s
		ON CONFLICT (pr_id) DO UPDATE SET repo_id = excluded.repo_id, author_login = excluded.author_login,
			created_at = excluded.created_at, merged_at = excluded.merged_at,
			to_default_branch = excluded.to_default_branch, first_commit_at = excluded.first_commit_at,
			first_review_at = excluded.first_review_at, deployment_id = excluded.deployment_id,
			deployed_at = excluded.deployed_at, undeployed = excluded.undeployed, is_rework = excluded.is_rework,
			size = excluded.size`, factTypes, values)
}

// storedFacts reads the stored facts of a batch of PRs (by their range of
// ids when full).
func storedFacts(ctx context.Context, tx *store.Tx, prs []prRow, full bool) (map[int64]factRow, error) {
	out := make(map[int64]factRow, len(prs))
	if len(prs) == 0 {
		return out, nil
	}
	const cols = `pr_id, repo_id, author_login, created_at, merged_at, to_default_branch, first_commit_at,
		first_review_at, deployment_id, deployed_at, undeployed, is_rework, size`
	scan := func(rows *sql.Rows) error {
		var f factRow
		if err := rows.Scan(&f.prID, &f.repoID, &f.author, &f.createdAt, &f.mergedAt, &f.toDefault, &f.firstCommit,
			&f.firstReview, &f.deployment, &f.deploy, &f.undeployed, &f.rework, &f.size); err != nil {
			return err
		}
		out[f.prID] = f
		return nil
	}
	if full {
		rows, err := tx.Query(ctx, `/* derive.storedFacts */ SELECT `+cols+` FROM pr_facts WHERE pr_id >= $1 AND pr_id <= $2`,
			prs[0].id, prs[len(prs)-1].id)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return nil, err
			}
		}
		return out, rows.Err()
	}
	ids := make([]any, len(prs))
	for i, p := range prs {
		ids[i] = p.id
	}
	return out, queryIn(ctx, tx, `/* derive.storedFacts */ SELECT `+cols+` FROM pr_facts WHERE pr_id IN (%s)`, ids, scan)
}

// deployedTimes returns the deployed_at of deployments by id.
func deployedTimes(ctx context.Context, tx *store.Tx, ids idSet) (map[int64]int64, error) {
	out := map[int64]int64{}
	err := queryIn(ctx, tx, `/* derive.deployedTimes */ SELECT id, deployed_at FROM deployments WHERE id IN (%s)`, ids.args(),
		func(rows *sql.Rows) error {
			var id, at int64
			if err := rows.Scan(&id, &at); err != nil {
				return err
			}
			out[id] = at
			return nil
		})
	return out, err
}

// writePRLinks stores the Linear identifiers a batch of PRs mentions and,
// if links, replaces their links to Linear issues: issues they mention, and
// issues with an attachment naming them. It returns the issues they were
// and are linked to. Without links (a full run), the batch must be every
// PR of its range of ids.
func writePRLinks(ctx context.Context, tx *store.Tx, prs []prRow, ids []any, links bool) (idSet, error) {
	keys, err := teamKeys(ctx, tx)
	if err != nil {
		return nil, err
	}
	keySet := map[string]bool{}
	for _, k := range keys {
		keySet[k] = true
	}
	mentions := make(map[int64][]string, len(prs))
	var idents []any
	prByKey := map[string]int64{}
	var prKeys []any
	for _, p := range prs {
		for _, ident := range Identifiers(keySet, p.head, p.title, p.body) {
			mentions[p.id] = append(mentions[p.id], ident)
			idents = append(idents, ident)
		}
		key := PRKey(p.repoFullName, p.number)
		prByKey[key] = p.id
		prKeys = append(prKeys, key)
	}
	if !links && len(ids) > 0 {
		var mentionRows [][]any
		for _, p := range prs {
			for _, ident := range mentions[p.id] {
				mentionRows = append(mentionRows, []any{p.id, ident})
			}
		}
		// A full run's batch is every PR of its range of ids: delete by
		// range, which PostgreSQL reads through the index even while
		// pr_mentions has no statistics (an IN list was planned as a
		// scan of the whole table, for every batch). Unless the range
		// holds these mentions already, as it does when a full run
		// follows another.
		same, err := storedRowsEqual(ctx, tx, `/* derive.storedMentions */ SELECT pr_id, identifier FROM pr_mentions
			WHERE pr_id >= $1 AND pr_id <= $2`, []any{ids[0], ids[len(ids)-1]}, mentionRows)
		if err != nil || same {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM pr_mentions WHERE pr_id >= $1 AND pr_id <= $2`, ids[0], ids[len(ids)-1]); err != nil {
			return nil, err
		}
		return nil, insertRows(ctx, tx, `INSERT INTO pr_mentions (pr_id, identifier) VALUES %s`, mentionTypes, mentionRows)
	}
	issuesByIdent := map[string][]int64{}
	if err := queryIn(ctx, tx, `/* derive.issuesByIdentifier */ SELECT id, identifier FROM linear_issues WHERE identifier IN (%s)`,
		idents, func(rows *sql.Rows) error {
			var id int64
			var ident string
			if err := rows.Scan(&id, &ident); err != nil {
				return err
			}
			issuesByIdent[ident] = append(issuesByIdent[ident], id)
			return nil
		}); err != nil {
		return nil, err
	}
	var found linkSet
	var mentionRows [][]any
	for _, p := range prs {
		for _, ident := range mentions[p.id] {
			mentionRows = append(mentionRows, []any{p.id, ident})
			for _, issue := range issuesByIdent[ident] {
				found.add(issue, p.id, "identifier")
			}
		}
	}
	if err := queryIn(ctx, tx, `/* derive.issuesByAttachment */
		SELECT DISTINCT issue_id, pr_key FROM linear_attachments WHERE pr_key IN (%s)`, prKeys, func(rows *sql.Rows) error {
		var issue int64
		var key string
		if err := rows.Scan(&issue, &key); err != nil {
			return err
		}
		found.add(issue, prByKey[key], "attachment")
		return nil
	}); err != nil {
		return nil, err
	}
	affected := idSet{}
	if err := queryIn(ctx, tx, `/* derive.oldPRLinks */ SELECT issue_id FROM linear_issue_prs WHERE pr_id IN (%s)`, ids,
		func(rows *sql.Rows) error {
			var issue int64
			err := rows.Scan(&issue)
			affected.add(issue)
			return err
		}); err != nil {
		return nil, err
	}
	if err := execIn(ctx, tx, `DELETE FROM pr_mentions WHERE pr_id IN (%s)`, ids); err != nil {
		return nil, err
	}
	if err := execIn(ctx, tx, `DELETE FROM linear_issue_prs WHERE pr_id IN (%s)`, ids); err != nil {
		return nil, err
	}
	if err := insertRows(ctx, tx, `INSERT INTO pr_mentions (pr_id, identifier) VALUES %s`, mentionTypes, mentionRows); err != nil {
		return nil, err
	}
	for _, l := range found.order {
		affected.add(l.issue)
	}
	return affected, found.insert(ctx, tx)
}

// updateRework recomputes the rework flag of deployments: a deployment is
// rework when it is the linked deployment of at least one rework PR.
func updateRework(ctx context.Context, tx *store.Tx, deployments idSet) error {
	return execIn(ctx, tx, `/* derive.updateRework */ UPDATE deployments
		SET is_rework = EXISTS (SELECT 1 FROM pr_facts f WHERE f.deployment_id = deployments.id AND f.is_rework)
		WHERE id IN (%s)`, deployments.args())
}

// updateCycleEnd recomputes the cycle end of Linear issues: the latest merge
// among their merged linked PRs (linear_issue_cycles).
func updateCycleEnd(ctx context.Context, tx *store.Tx, issues idSet) error {
	ids := issues.args()
	if err := execIn(ctx, tx, `/* derive.dropCycleEnd */ DELETE FROM linear_issue_cycles
		WHERE issue_id IN (%s) AND NOT EXISTS (SELECT 1 FROM linear_issue_prs l JOIN pull_requests p ON p.id = l.pr_id
			WHERE l.issue_id = linear_issue_cycles.issue_id AND p.merged_at IS NOT NULL)`, ids); err != nil {
		return err
	}
	// Only the rows whose value changes are written: most do not. (WHERE
	// TRUE: SQLite's parser needs a WHERE before an upsert's ON CONFLICT.)
	return execIn(ctx, tx, `/* derive.updateCycleEnd */ INSERT INTO linear_issue_cycles (issue_id, cycle_end_at, created_at)
		SELECT li.id, m.cycle_end, li.created_at FROM linear_issues li
		JOIN (SELECT l.issue_id, max(p.merged_at) AS cycle_end FROM linear_issue_prs l JOIN pull_requests p ON p.id = l.pr_id
			WHERE l.issue_id IN (%s) AND p.merged_at IS NOT NULL GROUP BY l.issue_id) m ON m.issue_id = li.id
		WHERE TRUE
		ON CONFLICT (issue_id) DO UPDATE SET cycle_end_at = excluded.cycle_end_at, created_at = excluded.created_at
		WHERE linear_issue_cycles.cycle_end_at <> excluded.cycle_end_at OR linear_issue_cycles.created_at <> excluded.created_at`, ids)
}
