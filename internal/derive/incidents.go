package derive

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// convertGitHubIssues keeps the github incidents in step with the GitHub
// issues: an issue with an INCIDENT_LABELS label is an incident, opened at
// its creation and resolved when closed.
func (d *Deriver) convertGitHubIssues(ctx context.Context, st *Stats) error {
	var last int64
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			cond, args := d.pick("g", last, 2, batchSize)
			rows, err := tx.Query(ctx, `/* derive.convertGitHubIssues */
				SELECT g.id, g.repo_id, g.github_id, g.title, g.labels, g.html_url, g.created_at, g.closed_at
				FROM github_issues g WHERE `+cond+` ORDER BY g.id LIMIT $1`, args...)
			if err != nil {
				return err
			}
			var ids []any
			var incidents []model.Incident
			var gone []string
			for rows.Next() {
				var id, repoID, githubID, created int64
				var title, labelsJSON, url string
				var closed sql.NullInt64
				if err := rows.Scan(&id, &repoID, &githubID, &title, &labelsJSON, &url, &created, &closed); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
				external := strconv.FormatInt(githubID, 10)
				var labels []string
				json.Unmarshal([]byte(labelsJSON), &labels)
				if !HasLabel(labels, d.opts.IncidentLabels) {
					gone = append(gone, external)
					continue
				}
				repo := repoID
				incidents = append(incidents, model.Incident{Source: model.SourceGitHub, ExternalID: external, RepoID: &repo,
					Title: title, URL: url, OpenedAt: store.FromMS(created), ResolvedAt: msPtr(closed)})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if err := d.writeIncidents(ctx, tx, model.SourceGitHub, incidents, gone); err != nil {
				return err
			}
			n = len(ids)
			if n > 0 {
				last = ids[n-1].(int64)
			}
			return d.clearDirty(ctx, tx, "github_issues", ids)
		})
		if err != nil || n < batchSize {
			return err
		}
	}
}

// writeIncidents upserts incidents of one source and deletes those whose
// issue no longer qualifies, recomputing the failed flag of the deployment a
// deleted incident was attributed to.
func (d *Deriver) writeIncidents(ctx context.Context, tx *store.Tx, source string, incidents []model.Incident, gone []string) error {
	for i := range incidents {
		if _, err := tx.UpsertIncident(ctx, &incidents[i]); err != nil {
			return err
		}
	}
	externals, err := d.incidentsToCheck(ctx, tx, source, incidents, gone)
	if err != nil {
		return err
	}
	affected := idSet{}
	var ids []any
	if err := queryIn(ctx, tx, `/* derive.goneIncidents */ SELECT id, deployment_id FROM incidents
		WHERE source = $1 AND external_id IN (%s)`, externals, func(rows *sql.Rows) error {
		var id int64
		var dep sql.NullInt64
		if err := rows.Scan(&id, &dep); err != nil {
			return err
		}
		ids = append(ids, id)
		affected.add(dep.Int64)
		return nil
	}, source); err != nil {
		return err
	}
	if err := execIn(ctx, tx, `DELETE FROM incidents WHERE id IN (%s)`, ids); err != nil {
		return err
	}
	if d.mode == Full {
		// Every deployment's flags are recomputed at the end of a full
		// run (allDeploymentFlags); and its parallel batches (inParallel)
		// must not write rows that another batch may write too.
		return nil
	}
	return updateFailed(ctx, tx, affected)
}

// incidentsToCheck returns those of gone (external ids of source whose
// issue is no incident) that may have an incident to delete: all of them,
// except in a full run, which reads the external ids of source's incidents
// once instead. In a full run every issue is in a batch, most of them no
// incident and never one, and looking up each of those was an index probe
// per issue (825,000 in the 1M-PR demo). An incident of source is written
// only by the batch of its issue, so one that a batch may have to delete is
// either in that set or was written during the run by a batch, which adds
// it (written: those the calling batch wrote).
func (d *Deriver) incidentsToCheck(ctx context.Context, tx *store.Tx, source string, written []model.Incident, gone []string) ([]any, error) {
	out := make([]any, 0, len(gone))
	if d.mode != Full {
		for _, g := range gone {
			out = append(out, g)
		}
		return out, nil
	}
	d.incidents.Lock()
	defer d.incidents.Unlock()
	ids, ok := d.incidents.of[source]
	if !ok {
		var err error
		if ids, err = readIncidentIDs(ctx, tx, source); err != nil {
			return nil, err
		}
		if d.incidents.of == nil {
			d.incidents.of = map[string]map[string]bool{}
		}
		d.incidents.of[source] = ids
	}
	for _, in := range written {
		ids[in.ExternalID] = true
	}
	for _, g := range gone {
		if ids[g] {
			out = append(out, g)
		}
	}
	return out, nil
}

// readIncidentIDs reads the external ids of source's incidents.
func readIncidentIDs(ctx context.Context, tx *store.Tx, source string) (map[string]bool, error) {
	rows, err := tx.Query(ctx, `/* derive.fullIncidents */ SELECT external_id FROM incidents WHERE source = $1`, source)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

// updateFailed recomputes the failed flag of deployments: a deployment
// failed when at least one incident is attributed to it.
func updateFailed(ctx context.Context, tx *store.Tx, deployments idSet) error {
	return execIn(ctx, tx, `/* derive.updateFailed */ UPDATE deployments
		SET failed = EXISTS (SELECT 1 FROM incidents i WHERE i.deployment_id = deployments.id)
		WHERE id IN (%s)`, deployments.args())
}

// attributeIncidents attributes each changed incident to the latest
// deployment at or before its opening and within INCIDENT_WINDOW: of its
// repo when it names one (GitHub issues always do), else of any repo.
func (d *Deriver) attributeIncidents(ctx context.Context, st *Stats) error {
	window := d.opts.IncidentWindow.Milliseconds()
	var last int64
	for {
		n := 0
		err := d.tx(ctx, func(tx *store.Tx) error {
			cond, args := d.pick("i", last, 3, batchSize, window)
			// Each incident's deployment comes with it, from a correlated
			// subquery, rather than from a query per incident.
			rows, err := tx.Query(ctx, `/* derive.attributeIncidents */
				SELECT i.id, i.repo_id, i.opened_at, i.deployment_id,
					CASE WHEN i.repo_id IS NOT NULL THEN
						(SELECT d.id FROM deployments d WHERE d.repo_id = i.repo_id AND d.deployed_at <= i.opened_at
							AND d.deployed_at >= i.opened_at - $2 AND d.production ORDER BY d.deployed_at DESC, d.id DESC LIMIT 1)
					ELSE
						(SELECT d.id FROM deployments d WHERE d.deployed_at <= i.opened_at
							AND d.deployed_at >= i.opened_at - $2 AND d.production ORDER BY d.deployed_at DESC, d.id DESC LIMIT 1)
					END
				FROM incidents i WHERE `+cond+` ORDER BY i.id LIMIT $1`, args...)
			if err != nil {
				return err
			}
			type inc struct {
				id, opened        int64
				repo, oldDep, dep sql.NullInt64
			}
			var incs []inc
			for rows.Next() {
				var x inc
				if err := rows.Scan(&x.id, &x.repo, &x.opened, &x.oldDep, &x.dep); err != nil {
					rows.Close()
					return err
				}
				incs = append(incs, x)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			affected := idSet{}
			ids := make([]any, 0, len(incs))
			var changed []idValue
			for _, x := range incs {
				ids = append(ids, x.id)
				if x.dep != x.oldDep {
					changed = append(changed, idValue{x.id, nullInt64(x.dep)})
					affected.add(x.dep.Int64)
					affected.add(x.oldDep.Int64)
				}
			}
			if err := setByID(ctx, tx, "incidents", "deployment_id", "BIGINT", changed); err != nil {
				return err
			}
			n = len(incs)
			st.Incidents += n
			if n > 0 {
				last = incs[n-1].id
			}
			if err := updateFailed(ctx, tx, affected); err != nil {
				return err
			}
			return d.clearDirty(ctx, tx, "incidents", ids)
		})
		if err != nil || n < batchSize {
			return err
		}
	}
}

func msPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := store.FromMS(v.Int64)
	return &t
}
