package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// DeploymentFilter selects deployments for DeploymentList.
type DeploymentFilter struct {
	RepoID   int64 // 0 for every repository
	Deployed TimeSpan
	// Environment, when set, selects deployments to that environment
	// (case-insensitive).
	Environment string
	// TeamRepoIDs, when not nil, restricts the list to a team's
	// repositories; an empty set selects nothing.
	TeamRepoIDs []int64
	// MaxPRs, when above 0, lists at most that many shipped PRs per
	// deployment (the first merged); PRCount still counts them all.
	MaxPRs int
}

// DeploymentItem is a deployment with the pull requests it shipped (those
// the derive step linked to it) and the incidents attributed to it.
type DeploymentItem struct {
	model.Deployment
	PRs       []ShippedPR      `json:"prs"`
	Incidents []model.Incident `json:"incidents"`
	// PRCount is the number of PRs shipped, PRs or more (MaxPRs).
	PRCount int `json:"-"`
}

// ShippedPR is a pull request as a deployment lists it.
type ShippedPR struct {
	ID       int64      `json:"id"`
	Number   int        `json:"number"`
	Title    string     `json:"title"`
	Author   string     `json:"author"`
	URL      string     `json:"url"`
	MergedAt *time.Time `json:"merged_at"`
}

const deploymentColumns = `d.id, d.source, d.external_id, d.repo_id, r.full_name, d.workflow_run_id, d.environment,
	d.head_sha, d.head_branch, d.url, d.created_at, d.deployed_at, d.failed, d.is_rework`

func scanDeployment(sc interface{ Scan(...any) error }) (model.Deployment, error) {
	var d model.Deployment
	var runID sql.NullInt64
	err := sc.Scan(&d.ID, &d.Source, &d.ExternalID, &d.RepoID, &d.Repo, &runID, &d.Environment, &d.HeadSHA,
		&d.HeadBranch, &d.URL, TimeCol(&d.CreatedAt), TimeCol(&d.DeployedAt), &d.Failed, &d.IsRework)
	if runID.Valid {
		d.WorkflowRunID = &runID.Int64
	}
	return d, err
}

// DeploymentRecord returns the deployment with internal id id, or
// ErrNotFound.
func (s *Store) DeploymentRecord(ctx context.Context, id int64) (model.Deployment, error) {
	d, err := scanDeployment(s.read.QueryRowContext(ctx, `/* Store.DeploymentRecord */
		SELECT `+deploymentColumns+` FROM deployments d JOIN repositories r ON r.id = d.repo_id WHERE d.id = $1`, id))
	return d, notFound(err)
}

// DeploymentIDByExternalID returns the internal id of the deployment that
// source knows as externalID, or ErrNotFound.
func (tx *Tx) DeploymentIDByExternalID(ctx context.Context, source, externalID string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `/* Tx.DeploymentIDByExternalID */
		SELECT id FROM deployments WHERE source = $1 AND external_id = $2`, source, externalID).Scan(&id)
	return id, notFound(err)
}

// DeploymentList returns one page of the deployments f selects, newest first
// (by deployed_at), each with its shipped PRs and attributed incidents, and
// how many there are in all.
func (s *Store) DeploymentList(ctx context.Context, f DeploymentFilter, p Page) ([]DeploymentItem, int, error) {
	// The count reads the repository's deployments by repository; the
	// page reads them by deployed_at, newest first, through an index that
	// holds repo_id, until it has a page of them: read by repository, the
	// deployments of a range were all read and sorted to return the first
	// page (SQLite: 55 ms for a 90-day range of a repository with a fifth
	// of them). Unary plus keeps the repository from picking the order of
	// reading, in the join and the filters.
	var w, pw whereClause
	if f.RepoID != 0 {
		w.and("d.repo_id = " + w.arg(f.RepoID))
		pw.and("+d.repo_id = " + pw.arg(f.RepoID))
	}
	w.span("d.deployed_at", f.Deployed)
	pw.span("d.deployed_at", f.Deployed)
	if f.Environment != "" {
		w.and("lower(d.environment) = " + w.arg(strings.ToLower(f.Environment)))
		pw.and("lower(d.environment) = " + pw.arg(strings.ToLower(f.Environment)))
	}
	if f.TeamRepoIDs != nil {
		if len(f.TeamRepoIDs) == 0 {
			w.and("1 = 0")
			pw.and("1 = 0")
		} else {
			w.and("d.repo_id IN " + w.idList(f.TeamRepoIDs))
			pw.and("+d.repo_id IN " + pw.idList(f.TeamRepoIDs))
		}
	}
	var total int
	if err := s.read.QueryRowContext(ctx, `/* Store.DeploymentList.count */
		SELECT count(*) FROM deployments d`+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q := `/* Store.DeploymentList */ SELECT ` + deploymentColumns + `
		FROM deployments d JOIN repositories r ON r.id = +d.repo_id` + pw.String() +
		` ORDER BY d.deployed_at DESC, d.id DESC` + pw.limit(p)
	rows, err := s.read.QueryContext(ctx, q, pw.args...)
	if err != nil {
		return nil, 0, err
	}
	out := []DeploymentItem{}
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, DeploymentItem{Deployment: d, PRs: []ShippedPR{}, Incidents: []model.Incident{}})
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, total, err
	}
	byID := make(map[int64]*DeploymentItem, len(out))
	ids := make([]int64, len(out))
	for i := range out {
		byID[out[i].ID] = &out[i]
		ids[i] = out[i].ID
	}
	if err := s.shippedPRs(ctx, ids, byID, f.MaxPRs); err != nil {
		return nil, 0, err
	}
	return out, total, s.deploymentIncidents(ctx, ids, byID)
}

func (s *Store) shippedPRs(ctx context.Context, ids []int64, byID map[int64]*DeploymentItem, maxPRs int) error {
	in, args := inIDs("f.deployment_id", ids)
	q := `/* Store.shippedPRs */
		SELECT f.deployment_id, p.id, p.number, p.title, p.author_login, p.html_url, p.merged_at
		FROM pr_facts f JOIN pull_requests p ON p.id = f.pr_id
		WHERE ` + in + ` ORDER BY p.merged_at, p.id`
	if maxPRs > 0 {
		// The first maxPRs of each deployment, each read by its own
		// LIMIT through pr_facts_deployment (deployment_id, merged_at,
		// pr_id), and the counts from the same index: a window over
		// every shipped PR of the page's deployments (about a thousand
		// for a page of acme/api's in the demo) took 14 of a cold
		// request's 30 ms on SQLite. Each branch is a subquery, which
		// SQLite needs for a LIMIT inside UNION ALL.
		if err := s.shippedCounts(ctx, ids, byID); err != nil {
			return err
		}
		if s.dialect == Postgres {
			// One LATERAL subquery run per deployment: PostgreSQL
			// planned the UNION ALL's branches one by one, each time,
			// and that planning took 22 to 33 ms of a page whose reads
			// took 1 to 4.
			return s.scanShipped(ctx, `/* Store.shippedPRsFirst */
			SELECT x.deployment_id, p.id, p.number, p.title, p.author_login, p.html_url, p.merged_at
			FROM unnest($1::bigint[]) AS d(id)
			CROSS JOIN LATERAL (SELECT f.deployment_id, f.pr_id, f.merged_at FROM pr_facts f
				WHERE f.deployment_id = d.id ORDER BY f.merged_at, f.pr_id LIMIT `+strconv.Itoa(maxPRs)+`) x
			JOIN pull_requests p ON p.id = x.pr_id ORDER BY x.merged_at, x.pr_id`, []any{ids}, byID)
		}
		var b strings.Builder
		args = args[:0]
		for i, id := range ids {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			args = append(args, id)
			fmt.Fprintf(&b, `SELECT * FROM (SELECT f.deployment_id, f.pr_id, f.merged_at FROM pr_facts f
				WHERE f.deployment_id = $%d ORDER BY f.merged_at, f.pr_id LIMIT %d) s%d`, len(args), maxPRs, i)
		}
		q = `/* Store.shippedPRsFirst */
		SELECT x.deployment_id, p.id, p.number, p.title, p.author_login, p.html_url, p.merged_at
		FROM (` + b.String() + `) x
		JOIN pull_requests p ON p.id = x.pr_id ORDER BY x.merged_at, x.pr_id`
	}
	return s.scanShipped(ctx, q, args, byID)
}

// scanShipped reads the shipped PRs query q selects (the deployment's id,
// then the PR's columns) into their deployments of byID.
func (s *Store) scanShipped(ctx context.Context, q string, args []any, byID map[int64]*DeploymentItem) error {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var depID int64
		var pr ShippedPR
		if err := rows.Scan(&depID, &pr.ID, &pr.Number, &pr.Title, strCol{&pr.Author}, &pr.URL, NullTimeCol(&pr.MergedAt)); err != nil {
			return err
		}
		d := byID[depID]
		d.PRs = append(d.PRs, pr)
		d.PRCount = max(d.PRCount, len(d.PRs))
	}
	return rows.Err()
}

// shippedCounts sets the PRCount of each deployment of ids, from the
// covering index on pr_facts.deployment_id.
func (s *Store) shippedCounts(ctx context.Context, ids []int64, byID map[int64]*DeploymentItem) error {
	in, args := inIDs("f.deployment_id", ids)
	rows, err := s.read.QueryContext(ctx, `/* Store.shippedCounts */
		SELECT f.deployment_id, count(*) FROM pr_facts f WHERE `+in+` GROUP BY f.deployment_id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var depID int64
		var n int
		if err := rows.Scan(&depID, &n); err != nil {
			return err
		}
		byID[depID].PRCount = n
	}
	return rows.Err()
}

func (s *Store) deploymentIncidents(ctx context.Context, ids []int64, byID map[int64]*DeploymentItem) error {
	in, args := inIDs("i.deployment_id", ids)
	rows, err := s.read.QueryContext(ctx, `/* Store.deploymentIncidents */
		SELECT `+incidentColumns+` FROM incidents i LEFT JOIN repositories r ON r.id = i.repo_id
		WHERE `+in+` ORDER BY i.opened_at, i.id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return err
		}
		d := byID[*inc.DeploymentID]
		d.Incidents = append(d.Incidents, inc)
	}
	return rows.Err()
}
