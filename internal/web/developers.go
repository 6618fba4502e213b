package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/veelocity/veelocity/internal/metrics"
)

// developerColumns are the per-developer table's columns, by the sort key
// the metrics package knows them by.
var developerColumns = []struct {
	key, name string
	num       bool
}{
	{"login", "Developer", false},
	{"merged_prs", "Merged PRs", true},
	{"median_merge_hours", "Median merge time (h)", true},
	{"median_review_hours", "Median review time (h)", true},
	{"reviews_given", "Reviews given", true},
	{"median_pr_size", "Median PR size (lines)", true},
	{"issues_completed", "Linear issues completed", true},
}

// developersPanel is the per-developer table, sorted by the sort and order
// parameters (those of GET /api/v1/metrics/developers). A bad value is a
// *metrics.ParamError.
func (p *Pages) developersPanel(r *http.Request, q metrics.Query) (*Panel, error) {
	v := r.URL.Query()
	devs, err := p.metrics.Developers(r.Context(), q, v.Get("sort"), v.Get("order"))
	if err != nil {
		return nil, err
	}
	t := &Table{ID: "developers", Caption: "Per developer, " + rangeText(q) + " (bots excluded); a name links to their pull requests"}
	for _, c := range developerColumns {
		col := Column{Name: c.name, Num: c.num, SortURL: withParams(r, "sort", c.key, "order", "")}
		if c.key == devs.Sort {
			other := "asc"
			col.Sorted = "descending"
			if devs.Order == "asc" {
				other, col.Sorted = "desc", "ascending"
			}
			col.SortURL = withParams(r, "sort", c.key, "order", other)
		}
		col.SortURL += "#developers"
		t.Columns = append(t.Columns, col)
	}
	filters := url.Values{}
	for _, k := range []string{"start_date", "end_date", "repo", "repo_id"} {
		if s := v.Get(k); s != "" {
			filters.Set(k, s)
		}
	}
	for _, d := range devs.Data {
		filters.Set("author", d.Login)
		t.Rows = append(t.Rows, []Cell{
			{Text: d.Login, URL: "/pull-requests?" + filters.Encode()},
			{Text: intCell(d.MergedPRs)},
			{Text: hoursCell(d.MedianMergeHours)},
			{Text: hoursCell(d.MedianReviewHours)},
			{Text: intCell(d.ReviewsGiven)},
			{Text: sizeCell(d.MedianPRSize)},
			{Text: intCell(d.IssuesCompleted)},
		})
	}
	pn := newPanel(r, "Developers", nil, t)
	pn.Wide = true
	pn.Help = "Merge and review times are medians over each developer's own PRs; reviews given count reviews of other people's PRs."
	if len(devs.Data) == 0 {
		pn.Empty = "No pull requests by anyone from " + rangeText(q) + "."
	}
	return &pn, nil
}

func sizeCell(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// isParamError reports whether err is a bad query parameter.
func isParamError(err error) bool {
	var pe *metrics.ParamError
	return errors.As(err, &pe)
}
