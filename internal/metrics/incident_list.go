package metrics

import (
	"cmp"
	"context"
	"slices"

	"github.com/veelocity/veelocity/internal/store"
)

// IncidentPage finds, among the incidents held in memory, those the
// Incidents page lists (store.IncidentTable selects the same): opened or
// resolved in span, of the repository repoID (0: any) and of one of the
// repositories teamRepos (nil: any; empty: none), by the repo rule
// (store.IncidentOfRepoSQL); newest opened first, then the highest id. It
// returns the ids on page p and how many there are in all; ok is false
// when the incidents are not held in memory, and the caller reads them
// with SQL. Counting them in SQL, with the repo rule's subqueries, was
// most of that page's time, and was done again after every derive.
func (s *Service) IncidentPage(ctx context.Context, span store.TimeSpan, repoID int64, teamRepos []int64, p store.Page) (ids []int64, total int, ok bool, err error) {
	all, ok, err := s.incidentRows(ctx)
	if err != nil || !ok {
		return nil, 0, false, err
	}
	from, until := store.MS(span.From), store.MS(span.Until)
	var team map[int64]bool
	if teamRepos != nil {
		team = make(map[int64]bool, len(teamRepos))
		for _, id := range teamRepos {
			team[id] = true
		}
	}
	var hits []*teamIncident
	for _, in := range all {
		opened := in.opened >= from && in.opened < until
		resolved := in.resolved.Valid && in.resolved.Int64 >= from && in.resolved.Int64 < until
		if (opened || resolved) && (repoID == 0 || in.concerns(repoID)) && (team == nil || in.concernsAny(team)) {
			hits = append(hits, in)
		}
	}
	slices.SortFunc(hits, func(a, b *teamIncident) int {
		if c := cmp.Compare(b.opened, a.opened); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	start := min(p.Offset(), len(hits))
	end := min(start+max(p.Limit, 0), len(hits))
	ids = make([]int64, 0, end-start)
	for _, in := range hits[start:end] {
		ids = append(ids, in.id)
	}
	return ids, len(hits), true, nil
}
