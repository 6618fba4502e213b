package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/memo"
	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/store"
)

// presetDays are the date-range presets of the filter bar.
var presetDays = []int{7, 30, 90, 180, 365}

// filterSet says which filters a page applies, beyond the date range and
// the repository that every page has.
type filterSet struct {
	// Author filters the page's pull requests; AuthorHint, when set, says
	// what it does not filter.
	Author     bool
	AuthorHint string
	// Period sets the size of the page's chart buckets.
	Period bool
	// Environment filters the deployments list to one environment.
	Environment bool
}

// The filters of each page.
var (
	dashboardFilters   = filterSet{Author: true, Period: true, AuthorHint: "PR metrics only"}
	doraFilters        = filterSet{Author: true, Period: true, AuthorHint: "lead time only"}
	developmentFilters = filterSet{Author: true, Period: true}
	prFilters          = filterSet{Author: true}
	recordFilters      = filterSet{} // incidents, teams
	deploymentFilters  = filterSet{Environment: true}
)

// filterView is the filter bar: the values in force and the choices.
type filterView struct {
	// Uses says which fields to show; a filter the page does not apply
	// is kept as a hidden field, so it follows the user to other pages.
	Uses               filterSet
	Action             string
	StartDate, EndDate string
	Period             string
	Repo               string
	Author             string
	// Team is the team in force; Teams the choices (none: no selector).
	Team        string
	Teams       []string
	Environment string
	Repos       []string
	Authors     []string
	Presets     []preset
	Periods     []string
	// Keep are the page's own parameters (sort, state), kept across a
	// change of filters.
	Keep []keptParam
}

type preset struct {
	Label, URL string
	Current    bool
}

type keptParam struct{ Name, Value string }

// parseFilters reads the filter parameters the way the API does
// (metrics.ParseQuery) and sets up the page's filter bar, with the fields
// of uses. ok is false when a parameter is invalid; pg then carries the
// message and its status, and the page shows it instead of its content.
// keep names the page's own parameters.
func (p *Pages) parseFilters(r *http.Request, pg *page, uses filterSet, keep ...string) (q metrics.Query, ok bool, err error) {
	ctx := r.Context()
	v := r.URL.Query()
	today := p.today()
	q, qerr := metrics.ParseQuery(ctx, p.st, v, today)
	fv := &filterView{Uses: uses, Action: r.URL.Path, Period: string(metrics.Week), Periods: []string{"day", "week", "month"}}
	if r.URL.Path == "/" {
		fv.Action = "/dashboard"
	}
	if !uses.Author {
		keep = append(keep, "author")
	}
	if !uses.Period {
		keep = append(keep, "period")
	}
	for _, k := range keep {
		if s := v.Get(k); s != "" {
			fv.Keep = append(fv.Keep, keptParam{k, s})
		}
	}
	pg.Filters = fv
	repos, _, err := p.st.Repositories(ctx, store.Page{Page: 1, Limit: 1000})
	if err != nil {
		return q, false, err
	}
	for _, rp := range repos {
		fv.Repos = append(fv.Repos, rp.FullName)
		if rp.ID == q.RepoID && qerr == nil {
			fv.Repo = rp.FullName
		}
	}
	if fv.Teams, err = p.teamSlugs(ctx); err != nil {
		return q, false, err
	}
	if q.Team != nil && qerr == nil {
		fv.Team = q.Team.Slug
	}
	if qerr != nil {
		msg, status, isQuery := queryError(qerr, v)
		if !isQuery {
			return q, false, qerr
		}
		pg.Error, pg.status = msg, status
		fv.showEntered(v, today)
		fv.Presets = presets(r.URL.Path, v, today, metrics.Query{})
		return q, false, nil
	}
	fv.StartDate, fv.EndDate, fv.Period, fv.Author = q.StartDate(), q.EndDate(), string(q.Period), q.Author
	fv.Environment = q.Environment
	fv.Presets = presets(fv.Action, v, today, q)
	if uses.Author {
		fv.Authors, err = p.metrics.Authors(ctx, q, 200)
		if err != nil {
			return q, false, err
		}
	}
	return q, true, nil
}

// showEntered fills the filter bar of a page whose filters were refused
// with what the user entered, so it can be corrected: a value the choices
// lack (period=year, an unknown repository) is added to them, selected,
// and a date left out shows its default, as the range would have been.
func (fv *filterView) showEntered(v url.Values, today time.Time) {
	fv.StartDate, fv.EndDate, fv.Period = v.Get("start_date"), v.Get("end_date"), v.Get("period")
	fv.Repo, fv.Author = v.Get("repo"), v.Get("author")
	end := today
	if fv.EndDate == "" {
		fv.EndDate = today.Format(time.DateOnly)
	} else if d, err := time.Parse(time.DateOnly, fv.EndDate); err == nil {
		end = d
	}
	if fv.StartDate == "" {
		fv.StartDate = end.AddDate(0, 0, -29).Format(time.DateOnly)
	}
	if fv.Period == "" {
		fv.Period = string(metrics.Week)
	} else if !slices.Contains(fv.Periods, fv.Period) {
		fv.Periods = append(fv.Periods, fv.Period)
	}
	if fv.Repo != "" && !slices.Contains(fv.Repos, fv.Repo) {
		fv.Repos = append(fv.Repos, fv.Repo)
	}
}

// presets links to the last n days ending today, keeping the other
// parameters.
func presets(path string, v url.Values, today time.Time, q metrics.Query) []preset {
	end := today.Format(time.DateOnly)
	var out []preset
	for _, n := range presetDays {
		u := url.Values{}
		for k, vals := range v {
			if k != "page" && k != "format" && k != "table" {
				u[k] = vals
			}
		}
		u.Set("start_date", today.AddDate(0, 0, -(n-1)).Format(time.DateOnly))
		u.Set("end_date", end)
		out = append(out, preset{Label: strconv.Itoa(n) + "d", URL: path + "?" + u.Encode(),
			Current: !q.Start.IsZero() && q.Days() == n && q.EndDate() == end})
	}
	return out
}

// withParams returns the request's URL with params set (an empty value
// removes the parameter).
func withParams(r *http.Request, params ...string) string {
	v := r.URL.Query()
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] == "" {
			v.Del(params[i])
		} else {
			v.Set(params[i], params[i+1])
		}
	}
	path := r.URL.Path
	if path == "/" {
		path = "/dashboard"
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// rangeText describes q's range for messages: "2024-01-01 to 2024-01-30".
func rangeText(q metrics.Query) string { return q.StartDate() + " to " + q.EndDate() }

// teamSlugs lists the teams' slugs, for the filter bar's team selector.
func (p *Pages) teamSlugs(ctx context.Context) ([]string, error) {
	return memo.Do(ctx, "web.teamSlugs", func() ([]string, error) { return p.st.TeamSlugs(ctx) })
}
