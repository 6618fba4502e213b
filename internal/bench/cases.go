package bench

import (
	"fmt"
	"net/url"
	"time"

	"github.com/veelocity/veelocity/internal/store"
)

// target is an endpoint or a page, with the fact table its floor counts:
// the biggest table it reads.
type target struct {
	path, table string
	api         bool // a JSON endpoint (include_trend applies)
}

var targets = []target{
	{"/api/v1/metrics/dora", "pr_facts", true},
	{"/api/v1/metrics/development", "pr_facts", true},
	{"/api/v1/metrics/developers", "pr_facts", true},
	{"/dashboard", "pr_facts", false},
	{"/dora", "pr_facts", false},
	{"/development", "pr_facts", false},
	{"/pull-requests", "pr_facts", false},
	{"/deployments", "deployments", false},
	{"/incidents", "incidents", false},
	{"/teams", "pr_facts", false},
}

// filter is one of the filters every target is timed with. The demo's
// repositories and people are fixed: acme/api exists, hiro is one of its
// developers.
type filter struct {
	name, key, value string
}

var filters = []filter{
	{"no filter", "", ""},
	{"repo", "repo", "acme/api"},
	{"author", "author", "hiro"},
	{"include_trend", "include_trend", "true"},
	{"team", "team", BenchTeam},
}

// BenchTeam is the team the team= filter names: the first of the
// benchmark teams `demo --teams` adds (10 to 40 members).
const BenchTeam = "acme/bench-01"

// BenchTeams is how many benchmark teams the bench's demo has, as issue 12
// asks: 20 teams of 10 to 40 members.
const BenchTeams = 20

// benchCase is one row of the cold-request table.
type benchCase struct {
	target
	filter
	days int
}

func cases() []benchCase {
	var out []benchCase
	for _, days := range []int{90, 365} {
		for _, t := range targets {
			for _, f := range filters {
				if f.key == "include_trend" && !t.api {
					continue // pages always draw their trends
				}
				out = append(out, benchCase{t, f, days})
			}
		}
	}
	return out
}

func (c benchCase) name() string {
	return fmt.Sprintf("GET %s, %d days, %s", c.path, c.days, c.filter.name)
}

// url is the request for the range from–to (whole days, inclusive).
func (c benchCase) url(base string, from, to time.Time) string {
	v := url.Values{}
	v.Set("start_date", from.Format(time.DateOnly))
	v.Set("end_date", to.Format(time.DateOnly))
	if c.key != "" {
		v.Set(c.key, c.value)
	}
	return base + c.path + "?" + v.Encode()
}

// floor is the bare COUNT(*) over the rows the request reads at least.
func (c benchCase) floor(from, to time.Time) store.FloorQuery {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	f := store.FloorQuery{Table: c.table, From: day(from), To: day(to).AddDate(0, 0, 1)}
	switch c.key {
	case "repo":
		f.Repo = c.value
	case "author":
		f.Author = c.value
	case "team":
		f.Team = c.value
	}
	return f
}
