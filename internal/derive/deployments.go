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
			if d.mode == Full {
				continue // a full run reads every run anyway
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
	var last int64
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			cond, args := d.pick("r", last, 3, batchSize, model.SourceGitHubActions)
			if d.mode == Full {
				// Only the runs that are or were a deployment: a run that
				// is neither has nothing to convert or delete (and most
				// runs are neither: 1.5M of 1.6M in the 1M-PR demo). The
				// dirty flags of the runs between are cleared by range.
				cond += ` AND (w.is_deployment AND s.deployment_source = 'actions'
					OR CAST(r.github_id AS TEXT) IN (SELECT x.external_id FROM deployments x WHERE x.source = $2))`
			}
			// CROSS JOIN: the runs are the outer loop (on SQLite, a
			// plain join went through the workflows and sorted every run
			// for each batch).
			rows, err := tx.Query(ctx, `/* derive.convertRuns */
				SELECT r.id, r.repo_id, r.github_id, r.status, r.conclusion, r.head_sha, r.head_branch, r.html_url,
					r.created_at, r.updated_at, w.is_deployment AND s.deployment_source = 'actions',
					EXISTS (SELECT 1 FROM deployments x WHERE x.source = $2 AND x.external_id = CAST(r.github_id AS TEXT)),
					(SELECT max(id) FROM workflow_runs)
				FROM workflow_runs r CROSS JOIN workflows w CROSS JOIN repositories s
				WHERE w.id = r.workflow_id AND s.id = r.repo_id AND `+cond+` ORDER BY r.id LIMIT $1`, args...)
			if err != nil {
				return err
			}
			type run struct {
				id, repoID, githubID    int64
				status, headSHA, branch string
				url                     string
				conclusion              sql.NullString
				createdAt, updatedAt    int64
				isDeployment, stored    bool // stored: it has a deployment now
			}
			var runs []run
			var maxID int64 // of every run, as this batch read them
			for rows.Next() {
				var r run
				if err := rows.Scan(&r.id, &r.repoID, &r.githubID, &r.status, &r.conclusion, &r.headSHA, &r.branch, &r.url,
					&r.createdAt, &r.updatedAt, &r.isDeployment, &r.stored, &maxID); err != nil {
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
			var deployments []model.Deployment
			var gone []string
			for _, r := range runs {
				ids = append(ids, r.id)
				external := strconv.FormatInt(r.githubID, 10)
				if r.isDeployment && r.status == "completed" && r.conclusion.String == "success" {
					runID := r.id
					deployments = append(deployments, model.Deployment{
						Source: model.SourceGitHubActions, ExternalID: external, RepoID: r.repoID, WorkflowRunID: &runID,
						Environment: model.EnvironmentProduction, HeadSHA: r.headSHA, HeadBranch: r.branch, URL: r.url,
						CreatedAt: store.FromMS(r.createdAt), DeployedAt: store.FromMS(r.updatedAt),
					})
					continue
				}
				if r.stored { // most runs are not deployments and never were
					gone = append(gone, external)
				}
			}
			// Deletes first: a run is either, and its deployment's external
			// id is its own.
			if err := tx.DeleteDeployments(ctx, model.SourceGitHubActions, gone); err != nil {
				return err
			}
			if err := tx.UpsertDeployments(ctx, deployments); err != nil {
				return err
			}
			n = len(runs)
			st.Runs += n
			if d.mode == Full {
				// Every run after the last batch's, up to this batch's
				// last one, or to the last run when this batch is the last.
				upTo := maxID
				if n == batchSize {
					upTo = runs[n-1].id
				}
				if n == 0 { // no row to read it from
					if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM workflow_runs`).Scan(&upTo); err != nil {
						return err
					}
				}
				from := last
				last = upTo
				if upTo <= from {
					return nil
				}
				_, err := tx.Exec(ctx, `/* derive.clearDirty */ UPDATE workflow_runs SET dirty = FALSE WHERE dirty AND id > $1 AND id <= $2`,
					from, upTo)
				return err
			}
			if n > 0 {
				last = runs[n-1].id
			}
			return d.clearDirty(ctx, tx, "workflow_runs", ids)
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

// propagateDeployments marks what a new or changed deployment may affect:
// the PRs of its repo merged since the deployment created before it (their
// link by time), the PRs whose merge commit it deployed (their exact link),
// the PRs linked to it before, and the incidents opened in its window or
// attributed to it before. It works a batch at a time, with a few
// statements per repository of the batch rather than per deployment: the
// time ranges of a repository's deployments are merged into one, which may
// mark a few more rows than needed (a marked row is only recomputed, to the
// same facts) but never fewer.
func (d *Deriver) propagateDeployments(ctx context.Context, st *Stats) error {
	window := d.opts.IncidentWindow.Milliseconds()
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `/* derive.propagateDeployments */
				SELECT x.id, x.repo_id, x.head_sha, x.created_at, x.deployed_at,
					(SELECT max(p.created_at) FROM deployments p WHERE p.repo_id = x.repo_id AND p.created_at < x.created_at AND p.id <> x.id)
				FROM deployments x WHERE x.dirty ORDER BY x.id LIMIT $1`, batchSize)
			if err != nil {
				return err
			}
			type span struct{ from, to, openedFrom, openedTo int64 }
			spans := map[int64]*span{}
			var repos []int64
			var ids, shas []any
			for rows.Next() {
				var id, repo, created, deployed int64
				var sha string
				var prev sql.NullInt64
				if err := rows.Scan(&id, &repo, &sha, &created, &deployed, &prev); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
				shas = append(shas, sha)
				from := int64(-1 << 62)
				if prev.Valid {
					from = prev.Int64
				}
				s, ok := spans[repo]
				if !ok {
					s = &span{from, created, deployed, deployed + window}
					spans[repo] = s
					repos = append(repos, repo)
				}
				s.from, s.to = min(s.from, from), max(s.to, created)
				s.openedFrom, s.openedTo = min(s.openedFrom, deployed), max(s.openedTo, deployed+window)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			n = len(ids)
			st.Deployments += n
			if d.mode != Full { // in a full run everything is dirty already
				for _, repo := range repos {
					s := spans[repo]
					if _, err := tx.Exec(ctx, `UPDATE pull_requests SET dirty = TRUE
						WHERE repo_id = $1 AND merged_at > $2 AND merged_at <= $3 AND NOT dirty`, repo, s.from, s.to); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, `UPDATE incidents SET dirty = TRUE
						WHERE NOT dirty AND opened_at >= $1 AND opened_at <= $2 AND (repo_id = $3 OR repo_id IS NULL)`,
						s.openedFrom, s.openedTo, repo); err != nil {
						return err
					}
				}
				for _, q := range []struct {
					sql  string
					args []any
				}{
					// Any repo's PR with one of these merge commits: a SHA
					// names one commit, whatever the repository.
					{`UPDATE pull_requests SET dirty = TRUE WHERE merge_commit_sha IN (%s) AND NOT dirty`, shas},
					{`UPDATE pull_requests SET dirty = TRUE
						WHERE id IN (SELECT pr_id FROM pr_facts WHERE deployment_id IN (%s)) AND NOT dirty`, ids},
					{`UPDATE incidents SET dirty = TRUE WHERE deployment_id IN (%s) AND NOT dirty`, ids},
				} {
					if err := execIn(ctx, tx, q.sql, q.args); err != nil {
						return err
					}
				}
			}
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
