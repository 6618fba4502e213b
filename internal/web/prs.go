package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/store"
)

// prColumns are the PR table's columns and their sort keys ("" for none).
var prColumns = []struct {
	name, sort string
	num        bool
}{
	{"Pull request", "", false},
	{"Repository", "", false},
	{"Author", "", false},
	{"State", "", false},
	{"Opened", "created", false},
	{"Merged", "merged", false},
	{"Review time (h)", "review_time", true},
	{"Merge time (h)", "merge_time", true},
	{"Lead time (h)", "lead_time", true},
	{"Size (lines)", "size", true},
}

var prStates = map[string]bool{"": true, "open": true, "merged": true, "closed": true}

func (p *Pages) pullRequests(w http.ResponseWriter, r *http.Request) error {
	pg := &page{Title: "Pull requests"}
	q, ok, err := p.parseFilters(r, pg, prFilters, "state", "sort", "dir")
	if err != nil {
		return err
	}
	if !ok {
		return p.render(w, r, pg.status, "list", pg)
	}
	v := r.URL.Query()
	f := store.PRTableFilter{Span: store.TimeSpan{From: q.Start, Until: q.End}, RepoID: q.RepoID, Author: q.Author,
		State: v.Get("state"), Sort: v.Get("sort"), Desc: v.Get("dir") != "asc"}
	if f.Sort == "" {
		f.Sort = "lead_time"
	}
	if q.Team != nil {
		f.Members = q.Team.Members // PRs authored by the team's members
	}
	page, pageOK := pageParam(r)
	_, sortOK := store.PRSorts[f.Sort]
	switch {
	case !prStates[f.State]:
		pg.Error = "Invalid filter: the state must be open, merged or closed."
	case !sortOK:
		pg.Error = "Invalid sort: sort by created, merged, review_time, merge_time, lead_time or size."
	case v.Get("dir") != "" && v.Get("dir") != "asc" && v.Get("dir") != "desc":
		pg.Error = "Invalid sort direction: dir must be asc or desc."
	case !pageOK:
		pg.Error = "Invalid page: it must be a whole number from 1."
	}
	if pg.Error != "" {
		return p.render(w, r, http.StatusBadRequest, "list", pg)
	}
	type answer struct {
		rows  []store.PRRow
		total int
	}
	a, err := metrics.Remember(r.Context(), p.metrics, "pr-table", fmt.Sprintf("%+v|%t|%d", f, f.Members == nil, page), func() (answer, error) {
		rows, total, err := p.st.PRTable(r.Context(), f, store.Page{Page: page, Limit: pageSize})
		return answer{rows, total}, err
	})
	if err != nil {
		return err
	}
	rows, total := a.rows, a.total
	t := &Table{ID: "pull-requests", Caption: "Pull requests opened or merged from " + rangeText(q)}
	for _, c := range prColumns {
		col := Column{Name: c.name, Num: c.num}
		if c.sort != "" {
			dir := "desc"
			if c.sort == f.Sort {
				col.Sorted = "descending"
				if f.Desc {
					dir = "asc"
				} else {
					col.Sorted = "ascending"
				}
			}
			col.SortURL = withParams(r, "sort", c.sort, "dir", dir, "page", "")
		}
		t.Columns = append(t.Columns, col)
	}
	for _, pr := range rows {
		state := pr.State
		if pr.Draft && state == "open" {
			state = "draft"
		}
		t.Rows = append(t.Rows, []Cell{
			{Text: "#" + strconv.Itoa(pr.Number) + " " + pr.Title, URL: pr.URL},
			{Text: pr.Repo}, {Text: pr.Author}, {Text: state},
			{Text: pr.CreatedAt.Format("2006-01-02")}, {Text: dateCell(pr.MergedAt)},
			{Text: durationCell(since(pr.CreatedAt, pr.FirstReviewAt))},
			{Text: durationCell(since(pr.CreatedAt, pr.MergedAt))},
			{Text: durationCell(pr.LeadTime())},
			{Text: intCell(pr.Size)},
		})
	}
	if wantsCSV(r) {
		return p.writeCSV(w, r, t)
	}
	panel := newPanel(r, "Pull requests", nil, t)
	if total == 0 {
		panel.Empty = "No pull requests were opened or merged from " + rangeText(q) + " with these filters. Try a longer range or another repository."
	}
	pg.Body = &listBody{Range: rangeText(q), Summary: plural(total, "pull request", "pull requests") + "; lead time is from the first commit to the deployment that shipped the PR",
		Table: panel, Pager: newPager(r, page, total), Extra: prStateChoices(r, f.State)}
	return p.render(w, r, http.StatusOK, "list", pg)
}

type choice struct {
	Label, URL string
	Current    bool
}

func prStateChoices(r *http.Request, current string) []choice {
	var out []choice
	for _, s := range []struct{ label, value string }{{"All", ""}, {"Open", "open"}, {"Merged", "merged"}, {"Closed", "closed"}} {
		out = append(out, choice{Label: s.label, URL: withParams(r, "state", s.value, "page", ""), Current: s.value == current})
	}
	return out
}
