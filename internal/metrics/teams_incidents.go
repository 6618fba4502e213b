package metrics

import (
	"context"
	"database/sql"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// The Teams page's recovery time, for every team from one read of the
// incidents of the range and the one before it, each with the repositories
// it concerns by the repo rule (store.IncidentOfRepoSQL): its own, its
// deployment's, and for a Linear incident its issue's linked PRs'.

// teamIncident is an incident and the repositories it concerns.
type teamIncident struct {
	opened   int64
	resolved sql.NullInt64
	repos    []int64
}

// teamIncidents reads the incidents resolved in both's range, or opened in
// it and unresolved, that q's repository filter keeps.
func (s *Service) teamIncidents(ctx context.Context, q, both Query) ([]*teamIncident, error) {
	from, to := store.MS(both.Start), store.MS(both.End)
	f := &filter{}
	f.add("((i.resolved_at >= ? AND i.resolved_at < ?) OR (i.resolved_at IS NULL AND i.opened_at >= ? AND i.opened_at < ?))",
		from, to, from, to)
	if q.RepoID != 0 {
		f.add(store.IncidentOfRepoSQL("?"), q.RepoID, q.RepoID, q.RepoID)
	}
	rows, err := s.st.DB().QueryContext(ctx, `/* metrics.teamsIncidents */ SELECT i.opened_at, i.resolved_at, i.repo_id,
		(SELECT x.repo_id FROM deployments x WHERE x.id = i.deployment_id), i.source, i.external_id
		FROM incidents i WHERE `+f.sql(), f.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*teamIncident
	linear := map[string][]*teamIncident{} // by Linear issue id
	for rows.Next() {
		in := &teamIncident{}
		var repo, depRepo sql.NullInt64
		var source, external string
		if err := rows.Scan(&in.opened, &in.resolved, &repo, &depRepo, &source, &external); err != nil {
			return nil, err
		}
		for _, r := range []sql.NullInt64{repo, depRepo} {
			if r.Valid {
				in.repos = append(in.repos, r.Int64)
			}
		}
		if source == model.SourceLinear {
			linear[external] = append(linear[external], in)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil || len(linear) == 0 {
		return out, err
	}
	rows.Close()
	ids := make([]any, 0, len(linear))
	for id := range linear {
		ids = append(ids, id)
	}
	for len(ids) > 0 {
		part := ids[:min(500, len(ids))]
		ids = ids[len(part):]
		err := s.scanStrings(ctx, `/* metrics.teamsIncidentRepos */ SELECT DISTINCT li.linear_id, p.repo_id FROM linear_issues li
			JOIN linear_issue_prs l ON l.issue_id = li.id JOIN pull_requests p ON p.id = l.pr_id
			WHERE li.linear_id IN (`+numbered(len(part))+`)`, part, func(id string, repo int64) {
			for _, in := range linear[id] {
				in.repos = append(in.repos, repo)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanStrings runs a query whose rows are (text, integer).
func (s *Service) scanStrings(ctx context.Context, query string, args []any, fn func(string, int64)) error {
	rows, err := s.st.DB().QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		fn(k, v)
	}
	return rows.Err()
}

// teamRecovery is recoveryTime's headline for the team whose repositories
// are repo, over tq's range, from the incidents read.
func teamRecovery(tq Query, incidents []*teamIncident, repo map[int64]bool) *RecoveryTime {
	from, to := store.MS(tq.Start), store.MS(tq.End)
	var all population
	open := 0
	for _, in := range incidents {
		concerns := false
		for _, r := range in.repos {
			if repo[r] {
				concerns = true
				break
			}
		}
		switch {
		case !concerns:
		case in.resolved.Valid:
			if in.resolved.Int64 >= from && in.resolved.Int64 < to {
				all.add(in.resolved.Int64 - in.opened)
			}
		case in.opened >= from && in.opened < to:
			open++
		}
	}
	m := &RecoveryTime{Count: len(all), OpenIncidents: open, Durations: all.summary()}
	m.Tier = tierBelow(m.MedianHours, 1, 24, 168)
	return m
}
