package derive

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// classifyWorkflows sets is_deployment from DEPLOYMENT_PATTERNS, and marks
// the runs of every workflow whose classification changed, so that their
// deployments appear or disappear without a refetch.
func (d *Deriver) classifyWorkflows(ctx context.Context, st *Stats) error {
	return d.tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `/* derive.classifyWorkflows */ SELECT id, name, path, is_deployment FROM workflows`)
		if err != nil {
			return err
		}
		changed := map[int64]bool{}
		for rows.Next() {
			var id int64
			var name, path string
			var was bool
			if err := rows.Scan(&id, &name, &path, &was); err != nil {
				rows.Close()
				return err
			}
			if is := IsDeploymentWorkflow(name, path, d.opts.DeploymentPatterns); is != was {
				changed[id] = is
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for id, is := range changed {
			if _, err := tx.Exec(ctx, `UPDATE workflows SET is_deployment = $2 WHERE id = $1`, id, is); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE workflow_runs SET dirty = TRUE WHERE workflow_id = $1`, id); err != nil {
				return err
			}
		}
		st.Workflows += len(changed)
		return nil
	})
}

// convertRuns keeps the github_actions deployments in step with the runs: a
// completed, successful run of a deployment workflow is a deployment; any
// other run is not (a deployment whose run was re-run and failed goes away).
func (d *Deriver) convertRuns(ctx context.Context, st *Stats) error {
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `/* derive.convertRuns */
				SELECT r.id, r.repo_id, r.github_id, r.status, r.conclusion, r.head_sha, r.head_branch, r.html_url,
					r.created_at, r.updated_at, w.is_deployment AND s.deployment_source = 'actions'
				FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id JOIN repositories s ON s.id = r.repo_id
				WHERE r.dirty ORDER BY r.id LIMIT $1`, batchSize)
			if err != nil {
				return err
			}
			type run struct {
				id, repoID, githubID    int64
				status, headSHA, branch string
				url                     string
				conclusion              sql.NullString
				createdAt, updatedAt    int64
				isDeployment            bool
			}
			var runs []run
			for rows.Next() {
				var r run
				if err := rows.Scan(&r.id, &r.repoID, &r.githubID, &r.status, &r.conclusion, &r.headSHA, &r.branch, &r.url,
					&r.createdAt, &r.updatedAt, &r.isDeployment); err != nil {
					rows.Close()
					return err
				}
				runs = append(runs, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			ids := make([]any, 0, len(runs))
			for _, r := range runs {
				ids = append(ids, r.id)
				external := strconv.FormatInt(r.githubID, 10)
				if r.isDeployment && r.status == "completed" && r.conclusion.String == "success" {
					runID := r.id
					if _, err := tx.UpsertDeployment(ctx, &model.Deployment{
						Source: model.SourceGitHubActions, ExternalID: external, RepoID: r.repoID, WorkflowRunID: &runID,
						Environment: model.EnvironmentProduction, HeadSHA: r.headSHA, HeadBranch: r.branch, URL: r.url,
						CreatedAt: store.FromMS(r.createdAt), DeployedAt: store.FromMS(r.updatedAt),
					}); err != nil {
						return err
					}
					continue
				}
				if err := deleteDeployment(ctx, tx, model.SourceGitHubActions, external); err != nil {
					return err
				}
			}
			n = len(runs)
			st.Runs += n
			return execIn(ctx, tx, `UPDATE workflow_runs SET dirty = FALSE WHERE id IN (%s)`, ids)
		})
		if err != nil || n < batchSize {
			return err
		}
	}
}

// firstDeployments keeps each repo's first-deployment time current. When it
// moves (a deployment added, moved or removed), the PRs merged between its
// old and new value change eligibility for a link by time, so they are
// marked.
func (d *Deriver) firstDeployments(ctx context.Context) error {
	return d.tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `/* derive.firstDeployments */
			SELECT r.id, r.first_deploy_created_at, (SELECT min(x.created_at) FROM deployments x WHERE x.repo_id = r.id AND x.production)
			FROM repositories r`)
		if err != nil {
			return err
		}
		type change struct {
			repo     int64
			old, now sql.NullInt64
		}
		var changes []change
		for rows.Next() {
			var c change
			if err := rows.Scan(&c.repo, &c.old, &c.now); err != nil {
				rows.Close()
				return err
			}
			if c.old != c.now {
				changes = append(changes, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range changes {
			lo, hi := c.old, c.now
			if !lo.Valid || (hi.Valid && hi.Int64 < lo.Int64) {
				lo, hi = hi, lo
			}
			// Without a deployment before or after, every PR of the repo
			// changes eligibility on the open side.
			from, to := int64(-1<<62), int64(1<<62)
			if lo.Valid {
				from = lo.Int64
			}
			if hi.Valid {
				to = hi.Int64
			}
			if d.mode != Full {
				if _, err := tx.Exec(ctx, `UPDATE pull_requests SET dirty = TRUE
					WHERE repo_id = $1 AND merged_at >= $2 AND merged_at <= $3 AND NOT dirty`, c.repo, from, to); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE repositories SET first_deploy_created_at = $2 WHERE id = $1`, c.repo, nullInt64(c.now)); err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteDeployment removes a deployment, first marking what depended on it:
// the PRs linked to it and the incidents attributed to it.
func deleteDeployment(ctx context.Context, tx *store.Tx, source, externalID string) error {
	var id int64
	err := tx.QueryRowPrepared(ctx, `/* derive.deleteDeployment */ SELECT id FROM deployments WHERE source = $1 AND external_id = $2`,
		source, externalID).Scan(&id)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, q := range []string{
		`UPDATE pull_requests SET dirty = TRUE WHERE id IN (SELECT pr_id FROM pr_facts WHERE deployment_id = $1)`,
		`UPDATE incidents SET dirty = TRUE WHERE deployment_id = $1`,
		`DELETE FROM deployments WHERE id = $1`,
	} {
		if _, err := tx.ExecPrepared(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

// propagateDeployments marks what a new or changed deployment may affect:
// the PRs of its repo merged since the deployment created before it (their
// link by time), the PRs whose merge commit it deployed (their exact link),
// the PRs linked to it before, and the incidents opened in its window or
// attributed to it before.
func (d *Deriver) propagateDeployments(ctx context.Context, st *Stats) error {
	window := d.opts.IncidentWindow.Milliseconds()
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `/* derive.propagateDeployments */
				SELECT id, repo_id, head_sha, created_at, deployed_at FROM deployments WHERE dirty ORDER BY id LIMIT $1`, batchSize)
			if err != nil {
				return err
			}
			type dep struct {
				id, repoID, created, deployed int64
				sha                           string
			}
			var deps []dep
			for rows.Next() {
				var x dep
				if err := rows.Scan(&x.id, &x.repoID, &x.sha, &x.created, &x.deployed); err != nil {
					rows.Close()
					return err
				}
				deps = append(deps, x)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			ids := make([]any, 0, len(deps))
			for _, x := range deps {
				ids = append(ids, x.id)
				if d.mode == Full {
					continue // everything is dirty already
				}
				var prev sql.NullInt64
				if err := tx.QueryRowPrepared(ctx, `/* derive.prevDeployment */
					SELECT max(created_at) FROM deployments WHERE repo_id = $1 AND created_at < $2 AND id <> $3`,
					x.repoID, x.created, x.id).Scan(&prev); err != nil {
					return err
				}
				from := int64(-1 << 62)
				if prev.Valid {
					from = prev.Int64
				}
				stmts := []struct {
					q    string
					args []any
				}{
					{`UPDATE pull_requests SET dirty = TRUE
						WHERE repo_id = $1 AND merged_at > $2 AND merged_at <= $3 AND NOT dirty`, []any{x.repoID, from, x.created}},
					{`UPDATE pull_requests SET dirty = TRUE
						WHERE repo_id = $1 AND merge_commit_sha = $2 AND NOT dirty`, []any{x.repoID, x.sha}},
					{`UPDATE pull_requests SET dirty = TRUE
						WHERE id IN (SELECT pr_id FROM pr_facts WHERE deployment_id = $1) AND NOT dirty`, []any{x.id}},
					{`UPDATE incidents SET dirty = TRUE
						WHERE NOT dirty AND (deployment_id = $1
							OR (opened_at >= $2 AND opened_at <= $3 AND (repo_id = $4 OR repo_id IS NULL)))`,
						[]any{x.id, x.deployed, x.deployed + window, x.repoID}},
				}
				for _, s := range stmts {
					if _, err := tx.ExecPrepared(ctx, s.q, s.args...); err != nil {
						return err
					}
				}
			}
			n = len(deps)
			st.Deployments += n
			return execIn(ctx, tx, `UPDATE deployments SET dirty = FALSE WHERE id IN (%s)`, ids)
		})
		if err != nil {
			return err
		}
		if n < batchSize {
			return d.firstDeployments(ctx)
		}
	}
}
