package store

import (
	"context"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// Reads for the web dashboard's incident list.

// IncidentRow is an incident with the deployment it is attributed to.
type IncidentRow struct {
	model.Incident
	// Deployment is the attributed deployment's time, repository and link
	// (nil when unattributed).
	DeployedAt    *time.Time
	DeploymentURL string
	DeployRepo    string
}

// IncidentOfRepoSQL is the condition that the incident i is one of a
// repository's, the repository's id being the placeholder p: its own (a
// GitHub issue, or an incident naming the repo), attributed to one of its
// deployments, or a Linear incident linked to one of its PRs (METRICS.md:
// Linear issues count under a repo filter when linked to a PR of that repo).
func IncidentOfRepoSQL(p string) string { return incidentOfRepos("= " + p) }

// IncidentOfReposSQL is IncidentOfRepoSQL for a set of repositories: list
// is an IN list of their ids ("$1, $2"), used three times; an empty list
// selects nothing.
func IncidentOfReposSQL(list string) string {
	if list == "" {
		return "1 = 0"
	}
	return incidentOfRepos("IN (" + list + ")")
}

func incidentOfRepos(p string) string {
	// The deployment is looked up by its id (EXISTS), rather than every
	// deployment of the repositories listed (IN): a range has a few
	// incidents and thousands of deployments.
	return `(i.repo_id ` + p + ` OR EXISTS (SELECT 1 FROM deployments x WHERE x.id = i.deployment_id AND x.repo_id ` + p + `)
		OR (i.source = '` + model.SourceLinear + `' AND EXISTS (SELECT 1 FROM linear_issues li
			JOIN linear_issue_prs l ON l.issue_id = li.id JOIN pull_requests p ON p.id = l.pr_id
			WHERE li.linear_id = i.external_id AND p.repo_id ` + p + `)))`
}

// IncidentTable returns one page of the incidents opened or resolved in
// span that concern repoID (unless 0; see IncidentOfRepoSQL) and, when
// teamRepos is not nil, one of those repositories (a team's: METRICS.md, the
// repo-filter rule applied to a set of repositories; an empty set selects
// nothing), newest first, and how many there are.
func (s *Store) IncidentTable(ctx context.Context, span TimeSpan, repoID int64, teamRepos []int64, p Page) ([]IncidentRow, int, error) {
	var w whereClause
	from, until := w.arg(ms(span.From)), w.arg(ms(span.Until))
	w.and("((i.opened_at >= " + from + " AND i.opened_at < " + until + ") OR (i.resolved_at >= " + from + " AND i.resolved_at < " + until + "))")
	if repoID != 0 {
		id := w.arg(repoID)
		w.and(IncidentOfRepoSQL(id))
	}
	if teamRepos != nil {
		list := ""
		if len(teamRepos) > 0 {
			list = strings.TrimSuffix(strings.TrimPrefix(w.idList(teamRepos), "("), ")")
		}
		w.and(IncidentOfReposSQL(list))
	}
	var total int
	if err := s.read.QueryRowContext(ctx, `/* Store.IncidentTable.count */ SELECT count(*)`+incidentListTables+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	// The query first: w.limit adds arguments.
	query := `/* Store.IncidentTable */ ` + incidentListSelect + w.String() + ` ORDER BY i.opened_at DESC, i.id DESC` + w.limit(p)
	out, err := s.incidentRows(ctx, query, w.args)
	return out, total, err
}

// IncidentsByID reads the incidents ids names as IncidentTable lists them,
// in the order of ids (those that no longer exist are left out).
func (s *Store) IncidentsByID(ctx context.Context, ids []int64) ([]IncidentRow, error) {
	if len(ids) == 0 {
		return []IncidentRow{}, nil
	}
	var w whereClause
	query := `/* Store.IncidentsByID */ ` + incidentListSelect + ` WHERE i.id IN ` + w.idList(ids)
	rows, err := s.incidentRows(ctx, query, w.args)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]IncidentRow, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	out := make([]IncidentRow, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// incidentListTables are the tables an incident list reads: each incident
// with its repository and its attributed deployment's.
const incidentListTables = ` FROM incidents i LEFT JOIN repositories r ON r.id = i.repo_id
	LEFT JOIN deployments d ON d.id = i.deployment_id LEFT JOIN repositories dr ON dr.id = d.repo_id`

// incidentListSelect selects an incident list's rows, as incidentRows
// scans them; a WHERE clause may follow.
const incidentListSelect = `SELECT ` + incidentColumns + `, d.deployed_at, d.url, dr.full_name` + incidentListTables

// incidentRows runs query (an incidentListSelect) and scans its rows.
func (s *Store) incidentRows(ctx context.Context, query string, args []any) ([]IncidentRow, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []IncidentRow{}
	for rows.Next() {
		var r IncidentRow
		in, err := scanIncident(extraScanner{rows, []any{NullTimeCol(&r.DeployedAt), strCol{&r.DeploymentURL}, strCol{&r.DeployRepo}}})
		if err != nil {
			return nil, err
		}
		r.Incident = in
		out = append(out, r)
	}
	return out, rows.Err()
}

// extraScanner scans a row's leading columns with a shared scan function
// and its trailing ones into extra.
type extraScanner struct {
	sc    interface{ Scan(...any) error }
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.sc.Scan(append(dest, e.extra...)...) }
