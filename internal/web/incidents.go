package web

import (
	"net/http"

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
	rows, total, err := p.st.IncidentTable(r.Context(), store.TimeSpan{From: q.Start, Until: q.End}, q.RepoID, teamRepos, store.Page{Page: page, Limit: pageSize})
	if err != nil {
		return err
	}
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
