package derive

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// DefaultProductionEnvironments are PRODUCTION_ENVIRONMENTS' default.
var DefaultProductionEnvironments = []string{"production", "prod", "live"}

// production returns the production environments, lower case and sorted.
func (o Options) production() []string {
	envs := o.ProductionEnvironments
	if len(envs) == 0 {
		envs = DefaultProductionEnvironments
	}
	out := make([]string, 0, len(envs))
	for _, e := range envs {
		out = append(out, strings.ToLower(strings.TrimSpace(e)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Repository deployment sources (repositories.deployment_source).
const (
	SourceActions = "actions"
	SourceGitHub  = "github"
)

// deploymentSources decides, per repository, where its deployments come
// from (METRICS.md, Environments): DEPLOYMENT_SOURCE when it forces one,
// else GitHub deployments for a repository with at least one synced, and
// deployment workflow runs for the others. When a repository's source
// changes, its runs and GitHub deployments are looked at again, so the
// deployments of the old source go and those of the new one come.
func (d *Deriver) deploymentSources(ctx context.Context, _ *Stats) error {
	return d.tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `/* derive.deploymentSources */
			SELECT r.id, r.deployment_source, EXISTS (SELECT 1 FROM github_deployments g WHERE g.repo_id = r.id)
			FROM repositories r`)
		if err != nil {
			return err
		}
		changed := map[int64]string{}
		for rows.Next() {
			var id int64
			var was string
			var hasGitHub bool
			if err := rows.Scan(&id, &was, &hasGitHub); err != nil {
				rows.Close()
				return err
			}
			if now := RepoDeploymentSource(d.opts.DeploymentSource, hasGitHub); now != was {
				changed[id] = now
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for id, src := range changed {
			if _, err := tx.Exec(ctx, `UPDATE repositories SET deployment_source = $2 WHERE id = $1`, id, src); err != nil {
				return err
			}
			if d.mode == Full {
				continue // a full run reads every run and GitHub deployment anyway
			}
			for _, q := range []string{
				`UPDATE workflow_runs SET dirty = TRUE WHERE repo_id = $1`,
				`UPDATE github_deployments SET dirty = TRUE WHERE repo_id = $1`,
			} {
				if _, err := tx.Exec(ctx, q, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// RepoDeploymentSource is the source of a repository's deployments:
// setting is DEPLOYMENT_SOURCE (auto, actions or github; "" is auto), and
// hasGitHub whether the repository has a synced GitHub deployment.
func RepoDeploymentSource(setting string, hasGitHub bool) string {
	switch setting {
	case SourceActions, SourceGitHub:
		return setting
	}
	if hasGitHub {
		return SourceGitHub
	}
	return SourceActions
}

// GitHubDeploymentOutcome applies METRICS.md to a GitHub deployment's
// statuses: the latest status other than inactive decides. It returns
// whether the deployment is a deployment and, if so, its deployed_at (the
// success status's time, Unix ms). Ties in time go to the later status id.
func GitHubDeploymentOutcome(statuses []model.DeploymentStatus) (deployed bool, at int64) {
	var latest *model.DeploymentStatus
	for i := range statuses {
		s := &statuses[i]
		if s.State == "inactive" {
			continue
		}
		if latest == nil || s.CreatedAt.After(latest.CreatedAt) ||
			(s.CreatedAt.Equal(latest.CreatedAt) && s.GitHubID > latest.GitHubID) {
			latest = s
		}
	}
	if latest == nil || latest.State != "success" {
		return false, 0
	}
	return true, latest.CreatedAt.UnixMilli()
}

// convertGitHubDeployments keeps the github_deployment deployments in step
// with the GitHub deployments: one whose latest status (inactive aside) is
// success, in a repository whose deployments come from GitHub deployments,
// is a deployment to its environment; any other is not.
func (d *Deriver) convertGitHubDeployments(ctx context.Context, st *Stats) error {
	var last int64
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			cond, args := d.pick("g", last, 2, batchSize)
			rows, err := tx.Query(ctx, `/* derive.convertGitHubDeployments */
				SELECT g.id, g.repo_id, g.github_id, g.environment, g.sha, g.ref, g.created_at, r.deployment_source, r.html_url
				FROM github_deployments g CROSS JOIN repositories r
				WHERE r.id = g.repo_id AND `+cond+` ORDER BY g.id LIMIT $1`, args...)
			if err != nil {
				return err
			}
			type dep struct {
				id, repoID, githubID, created  int64
				env, sha, ref, source, repoURL string
			}
			var deps []dep
			for rows.Next() {
				var x dep
				if err := rows.Scan(&x.id, &x.repoID, &x.githubID, &x.env, &x.sha, &x.ref, &x.created, &x.source, &x.repoURL); err != nil {
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
			}
			statuses, err := deploymentStatuses(ctx, tx, ids)
			if err != nil {
				return err
			}
			var deployments []model.Deployment
			var gone []string
			for _, x := range deps {
				external := strconv.FormatInt(x.githubID, 10)
				ok, at := GitHubDeploymentOutcome(statuses[x.id])
				if ok && x.source == SourceGitHub {
					env := x.env
					if env == "" {
						env = model.EnvironmentProduction
					}
					url := ""
					if x.repoURL != "" {
						url = x.repoURL + "/deployments"
					}
					deployments = append(deployments, model.Deployment{
						Source: model.SourceGitHubDeployment, ExternalID: external, RepoID: x.repoID,
						Environment: env, HeadSHA: x.sha, HeadBranch: x.ref, URL: url,
						CreatedAt: store.FromMS(x.created), DeployedAt: store.FromMS(at),
					})
					continue
				}
				gone = append(gone, external)
			}
			if err := tx.DeleteDeployments(ctx, model.SourceGitHubDeployment, gone); err != nil {
				return err
			}
			if err := tx.UpsertDeployments(ctx, deployments); err != nil {
				return err
			}
			n = len(deps)
			st.Runs += n
			if n > 0 {
				last = deps[n-1].id
			}
			return d.clearDirty(ctx, tx, "github_deployments", ids)
		})
		if err != nil || n < batchSize {
			return err
		}
	}
}

// deploymentStatuses reads the statuses of the GitHub deployments ids, by
// deployment, a chunk of ids a query.
func deploymentStatuses(ctx context.Context, tx *store.Tx, ids []any) (map[int64][]model.DeploymentStatus, error) {
	out := map[int64][]model.DeploymentStatus{}
	err := queryIn(ctx, tx, `/* derive.deploymentStatuses */
		SELECT deployment_id, github_id, state, created_at FROM github_deployment_statuses WHERE deployment_id IN (%s)`,
		ids, func(rows *sql.Rows) error {
			var dep, at int64
			var s model.DeploymentStatus
			if err := rows.Scan(&dep, &s.GitHubID, &s.State, &at); err != nil {
				return err
			}
			s.CreatedAt = store.FromMS(at)
			out[dep] = append(out[dep], s)
			return nil
		})
	return out, err
}

// productionDeployments sets each changed deployment's production flag from
// PRODUCTION_ENVIRONMENTS (case-insensitive), before the deployments'
// effects are propagated.
func (d *Deriver) productionDeployments(ctx context.Context, _ *Stats) error {
	envs := d.opts.production()
	args := make([]any, len(envs))
	for i, e := range envs {
		args[i] = e
	}
	return d.tx(ctx, func(tx *store.Tx) error {
		where := " WHERE dirty"
		if d.mode == Full {
			where = "" // every deployment, dirty or not
		}
		_, err := tx.Exec(ctx, `/* derive.productionDeployments */ UPDATE deployments
			SET production = (lower(environment) IN (`+inList(tx.Dialect(), len(envs), 0)+`))`+where, args...)
		return err
	})
}
