package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// The Teams page's recovery time, for every team from one read of the
// incidents of the range and the one before it, each with the repositories
// it concerns by the repo rule (store.IncidentOfRepoSQL): its own, its
// deployment's, and for a Linear incident its issue's linked PRs'.

// teamIncident is an incident and the repositories it concerns.
type teamIncident struct {
	id       int64
	opened   int64
	resolved sql.NullInt64
	repos    []int64
}

// concerns reports whether the incident is one of repo's (the repo rule).
func (in *teamIncident) concerns(repo int64) bool { return slices.Contains(in.repos, repo) }

// concernsAny reports whether the incident is one of any of repos'.
func (in *teamIncident) concernsAny(repos map[int64]bool) bool {
	for _, r := range in.repos {
		if repos[r] {
			return true
		}
	}
	return false
}

// inRange reports whether the incident was resolved in [from, to), or
// opened in it and is unresolved.
func (in *teamIncident) inRange(from, to int64) bool {
	if in.resolved.Valid {
		return in.resolved.Int64 >= from && in.resolved.Int64 < to
	}
	return in.opened >= from && in.opened < to
}

// teamIncidents reads the incidents resolved in both's range, or opened in
// it and unresolved, that q's repository filter keeps.
func (s *Service) teamIncidents(ctx context.Context, q, both Query) ([]*teamIncident, error) {
	from, to := store.MS(both.Start), store.MS(both.End)
	if all, ok, err := s.incidentRows(ctx); err != nil || ok {
		var out []*teamIncident
		for _, in := range all {
			if in.inRange(from, to) && (q.RepoID == 0 || in.concerns(q.RepoID)) {
				out = append(out, in)
			}
		}
		return out, err
	}
	f := &filter{}
	f.add("((i.resolved_at >= ? AND i.resolved_at < ?) OR (i.resolved_at IS NULL AND i.opened_at >= ? AND i.opened_at < ?))",
		from, to, from, to)
	if q.RepoID != 0 {
		f.add(store.IncidentOfRepoSQL("?"), q.RepoID, q.RepoID, q.RepoID)
	}
	return s.readIncidents(ctx, f)
}

// readIncidents reads the incidents f keeps (alias i), each with the
// repositories it concerns.
func (s *Service) readIncidents(ctx context.Context, f *filter) ([]*teamIncident, error) {
	rows, err := s.st.DB().QueryContext(ctx, `/* metrics.teamsIncidents */ SELECT i.id, i.opened_at, i.resolved_at, i.repo_id,
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
		if err := rows.Scan(&in.id, &in.opened, &in.resolved, &repo, &depRepo, &source, &external); err != nil {
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
		switch {
		case !in.concernsAny(repo):
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

// The incidents held in memory, like the deployments: every incident with
// the repositories it concerns, a few dozen bytes each (1,299 in the 1M-PR
// demo). Recovery time read them through SQL at every range, twice, with
// the repo rule's subqueries; the Teams page once more. They are read again
// when a change counter they depend on moves: the incidents', the
// deployments' (an incident's deployment gives it a repository) and the
// fingerprint of the Linear incidents' links (tableGens).

// incMirror is the incidents as of one set of those counters.
type incMirror struct {
	mu   sync.Mutex
	rows []*teamIncident // nil until loaded
	// key is the counters' values the rows stand for, and checked the
	// last data version at which they were found unchanged.
	key, checked string
}

// incidentRows returns every incident, and false when they are to be read
// from the database instead (a test compares the two, or the counters
// could not be read). The slice and its incidents are shared: callers must
// not modify them.
func (s *Service) incidentRows(ctx context.Context) ([]*teamIncident, bool, error) {
	if s.noMirror {
		return nil, false, nil
	}
	version, err := s.dataVersion(ctx)
	if err != nil {
		return nil, false, err
	}
	m := &s.incidents
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rows != nil && m.checked == version {
		return m.rows, true, nil
	}
	// Read after the data version and before the incidents: counters
	// unchanged since the rows were read mean incidents unchanged up to
	// that version too.
	gens := s.tableGens(ctx)
	if gens == nil {
		return nil, false, nil
	}
	key := fmt.Sprint(gens["incidents"], gens["deployments"], gens[incidentLinks])
	if m.rows == nil || m.key != key {
		every := &filter{}
		every.add("1 = 1")
		rows, err := s.readIncidents(ctx, every)
		if err != nil {
			return nil, false, err
		}
		if rows == nil {
			rows = []*teamIncident{}
		}
		m.rows, m.key = rows, key
	}
	m.checked = version
	return m.rows, true, nil
}
