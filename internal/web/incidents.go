package web

import (
	"fmt"
	"net/http"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/store"
)

func (p *Pages) incidents(w http.ResponseWriter, r *http.Request) error {
	pg := &page{Title: "Incidents"}
	q, ok, err := p.parseFilters(r, pg, recordFilters)
	if err != nil {
		return err
	}
	if !ok {
		return p.render(w, r, pg.status, "list", pg)
	}
	page, pageOK := pageParam(r)
	if !pageOK {
		pg.Error = "Invalid page: it must be a whole number from 1."
		return p.render(w, r, http.StatusBadRequest, "list", pg)
	}
	var teamRepos []int64
	if q.Team != nil {
		// The team's repositories (METRICS.md: recovery counts incidents of
		// the team's repositories, by the repo-filter rule).
		teamRepos = append([]int64{}, q.Team.RepoIDs...)
	}
	span := store.TimeSpan{From: q.Start, Until: q.End}
	type answer struct {
		rows  []store.IncidentRow
		total int
	}
	a, err := metrics.Remember(r.Context(), p.metrics, "incident-table", fmt.Sprintf("%v|%d|%v|%t|%d", span, q.RepoID, teamRepos, teamRepos == nil, page),
		func() (answer, error) {
			ctx, pp := r.Context(), store.Page{Page: page, Limit: pageSize}
			// The page's incidents found among those held in memory, and
			// read by id; with SQL alone when they are not held.
			ids, total, ok, err := p.metrics.IncidentPage(ctx, span, q.RepoID, teamRepos, pp)
			if err != nil || !ok {
				if err != nil {
					return answer{}, err
				}
				rows, total, err := p.st.IncidentTable(ctx, span, q.RepoID, teamRepos, pp)
				return answer{rows, total}, err
			}
			rows, err := p.st.IncidentsByID(ctx, ids)
			return answer{rows, total}, err
		})
	if err != nil {
		return err
	}
	rows, total := a.rows, a.total
	t := &Table{ID: "incidents", Caption: "Incidents opened or resolved from " + rangeText(q) + ", newest first",
		Columns: []Column{{Name: "Incident"}, {Name: "Source"}, {Name: "Repository"}, {Name: "Opened (UTC)"}, {Name: "Resolved (UTC)"},
			{Name: "Time to recover (h)", Num: true}, {Name: "Attributed deployment"}}}
	for _, in := range rows {
		dep := Cell{Text: "unattributed"}
		if in.DeployedAt != nil {
			dep = Cell{Text: in.DeployRepo + " " + in.DeployedAt.UTC().Format("2006-01-02 15:04"), URL: in.DeploymentURL}
		}
		resolved := ""
		if in.ResolvedAt != nil {
			resolved = in.ResolvedAt.UTC().Format("2006-01-02 15:04")
		}
		t.Rows = append(t.Rows, []Cell{{Text: in.Title, URL: in.URL}, {Text: in.Source}, {Text: in.Repo},
			{Text: in.OpenedAt.UTC().Format("2006-01-02 15:04")}, {Text: resolved},
			{Text: durationCell(since(in.OpenedAt, in.ResolvedAt))}, dep})
	}
	if wantsCSV(r) {
		return p.writeCSV(w, r, t)
	}
	panel := newPanel(r, "Incidents", nil, t)
	if total == 0 {
		panel.Empty = "No incidents were opened or resolved from " + rangeText(q) + ". Incidents are GitHub or Linear issues labelled with INCIDENT_LABELS (default incident), or recorded with POST /api/v1/incidents."
	}
	pg.Body = &listBody{Range: rangeText(q), Summary: plural(total, "incident", "incidents") + "; each is attributed to the latest deployment within INCIDENT_WINDOW before it opened",
		Table: panel, Pager: newPager(r, page, total)}
	return p.render(w, r, http.StatusOK, "list", pg)
}
