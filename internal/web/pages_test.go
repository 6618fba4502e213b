package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// demoPRs is the size of the tests' demo dataset: enough for every chart.
const demoPRs = 400

// The pages render the demo dataset, and what they show matches the
// metrics package.
func TestPagesShowTheDemoData(t *testing.T) {
	st := storetest.New(t)
	cfg := testConfig(t)
	loadDemo(t, st, cfg, demoPRs)
	s := newSite(t, st, cfg, nil)
	ctx := context.Background()
	metricsFor := func(params string) (*metrics.DORA, *metrics.Development) {
		t.Helper()
		v, _ := url.ParseQuery(params)
		q, err := metrics.ParseQuery(ctx, st, v, testNow)
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.pages.metrics.DORA(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		dev, err := s.pages.metrics.Development(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return d, dev
	}

	t.Run("dashboard", func(t *testing.T) {
		for _, path := range []string{"/", "/dashboard"} {
			r := s.page(t, path, http.StatusOK)
			if h := text(find(r.doc, sel("h1"))); h != "Dashboard" {
				t.Errorf("%s: h1 %q", path, h)
			}
			checkLayout(t, r, "Dashboard")
			cards := findAll(r.doc, sel("a", ".kpi"))
			var names []string
			for _, c := range cards {
				names = append(names, text(find(c, sel("span", ".kpi-name"))))
			}
			want := []string{"Deployment frequency", "Lead time for changes", "Change failure rate", "Recovery time", "Rework rate",
				"Review time", "Merge time", "Cycle time", "Throughput"}
			if !slices.Equal(names, want) {
				t.Fatalf("%s: KPI cards %q, want %q", path, names, want)
			}
			d, dev := metricsFor("")
			card := func(name string) *html.Node { return find(r.doc, sel("a", ".kpi", "[data-kpi="+name+"]")) }
			value := func(name string) string { return text(find(card(name), sel("span", ".kpi-value"))) }
			if got, want := value("Deployment frequency"), numberText(d.DeploymentFrequency.PerDay)+"/day"; got != want {
				t.Errorf("deployment frequency card shows %q, want %q", got, want)
			}
			if got, want := value("Lead time for changes"), hoursText(d.LeadTime.MedianHours); got != want {
				t.Errorf("lead time card shows %q, want %q", got, want)
			}
			if got, want := value("Throughput"), strconv.Itoa(dev.Throughput.Total); got != want {
				t.Errorf("throughput card shows %q, want %q", got, want)
			}
			if got := text(find(card("Deployment frequency"), sel("span", ".tier"))); got != *d.DeploymentFrequency.Tier {
				t.Errorf("deployment frequency tier badge %q, want %q", got, *d.DeploymentFrequency.Tier)
			}
			for _, c := range cards {
				tr := find(c, sel("span", ".trend"))
				if tr == nil {
					t.Errorf("card %q has no trend", attr(c, "data-kpi"))
					continue
				}
				cls := attr(tr, "class")
				if !strings.Contains(cls, "trend-improving") && !strings.Contains(cls, "trend-worsening") &&
					!strings.Contains(cls, "trend-stable") && !strings.Contains(cls, "trend-none") {
					t.Errorf("card %q trend class %q", attr(c, "data-kpi"), cls)
				}
			}
			_, rows := tableData(find(r.doc, sel("table", "#table-summary")))
			if len(rows) != 9 {
				t.Errorf("summary table has %d rows, want 9", len(rows))
			}
			for _, id := range []string{"deployment-frequency", "throughput"} {
				checkChartPanel(t, s, r, id, len(d.DeploymentFrequency.Data))
			}
			checkCSV(t, s, r, "summary")
		}
	})

	t.Run("repo filter changes the numbers and follows the navigation", func(t *testing.T) {
		all := s.page(t, "/dashboard", http.StatusOK)
		one := s.page(t, "/dashboard?repo=acme/web", http.StatusOK)
		d, _ := metricsFor("repo=acme/web")
		kpi := func(r *response) string {
			return text(find(find(r.doc, sel("a", ".kpi", "[data-kpi=Deployment frequency]")), sel("span", ".kpi-value")))
		}
		if got, want := kpi(one), numberText(d.DeploymentFrequency.PerDay)+"/day"; got != want {
			t.Errorf("acme/web deployment frequency shows %q, want %q", got, want)
		}
		if kpi(one) == kpi(all) {
			t.Errorf("one repository shows the same deployment frequency as all (%s)", kpi(all))
		}
		if sel := find(one.doc, sel("option", "[selected]")); text(sel) != "acme/web" {
			t.Errorf("the repository select shows %q", text(sel))
		}
		for _, a := range findAll(find(one.doc, sel("nav")), sel("a")) {
			if !strings.Contains(attr(a, "href"), "repo=acme%2Fweb") {
				t.Errorf("navigation link %s drops the repository filter", attr(a, "href"))
			}
		}
	})

	t.Run("dora", func(t *testing.T) {
		r := s.page(t, "/dora?period=week", http.StatusOK)
		checkLayout(t, r, "DORA")
		d, _ := metricsFor("period=week")
		for _, id := range []string{"deployment-frequency", "lead-time", "lead-time-phases", "change-failure-rate", "recovery-time", "rework-rate"} {
			checkChartPanel(t, s, r, id, len(d.DeploymentFrequency.Data))
		}
		_, rows := tableData(find(r.doc, sel("table", "#table-deployment-frequency")))
		total := 0
		for _, row := range rows {
			n, _ := strconv.Atoi(row[1])
			total += n
		}
		if total != d.DeploymentFrequency.Total || total == 0 {
			t.Errorf("deployment table adds up to %d, metrics say %d", total, d.DeploymentFrequency.Total)
		}
		// A day with deployments but no failure has a 0 bar; a day with
		// no deployments has a no-data mark instead.
		daily := s.page(t, "/dora?period=day", http.StatusOK)
		cfr := find(daily.doc, sel("section", "#change-failure-rate"))
		_, cfrRows := tableData(find(cfr, sel("table")))
		marks := findAll(find(cfr, sel("svg")), sel("rect", ".mark"))
		if len(marks) != len(cfrRows) {
			t.Fatalf("change failure rate: %d marks for %d weeks", len(marks), len(cfrRows))
		}
		kinds := map[string]int{}
		for i, row := range cfrRows {
			want := ""
			switch {
			case row[1] == "0":
				want = "none"
			case row[3] == "0.00":
				want = "zero"
			}
			if (want == "" && (hasClass(marks[i], "none") || hasClass(marks[i], "zero"))) || want != "" && !hasClass(marks[i], want) {
				t.Errorf("change failure rate day %s (%q): mark %q", row[0], row, attr(marks[i], "class"))
			}
			kinds[want]++
		}
		if kinds["none"] == 0 || kinds["zero"] == 0 || kinds[""] == 0 {
			t.Errorf("the demo's last 30 days lack a day of some kind (no deployments, no failure, failures): %v", kinds)
		}
		lead := find(r.doc, sel("section", "#lead-time"))
		// Lead times run to days, so its axis reads in days, as the
		// headline does.
		for _, l := range findAll(lead, sel("text", ".ylabel")) {
			if !strings.HasSuffix(text(l), " d") {
				t.Errorf("lead time axis label %q is not in days", text(l))
			}
		}
		series := map[string]bool{}
		for _, p := range findAll(lead, sel("path", ".line")) {
			series[strings.Fields(strings.TrimPrefix(attr(p, "class"), "line "))[0]] = true
		}
		var legend []string
		for _, li := range findAll(lead, sel("li")) {
			legend = append(legend, text(li))
		}
		if len(series) != 3 || !slices.Equal(legend[:3], []string{"median", "p75", "p90"}) {
			t.Errorf("lead time chart has lines for %d series, legend %q; want median, p75 and p90", len(series), legend)
		}
		if h := text(find(lead, sel("span", ".tier"))); h != *d.LeadTime.Tier {
			t.Errorf("lead time tier %q, want %q", h, *d.LeadTime.Tier)
		}
	})

	t.Run("development", func(t *testing.T) {
		r := s.page(t, "/development?period=month&start_date=2025-10-01&end_date=2026-03-19", http.StatusOK)
		checkLayout(t, r, "Development")
		_, dev := metricsFor("period=month&start_date=2025-10-01&end_date=2026-03-19")
		for _, id := range []string{"review-time", "merge-time", "cycle-time", "throughput"} {
			checkChartPanel(t, s, r, id, 6)
		}
		head, rows := tableData(find(r.doc, sel("table", "#table-throughput")))
		if !slices.Equal(head, []string{"Period start", "PRs merged", "Linear issues completed", "Note"}) {
			t.Errorf("throughput columns %q", head)
		}
		merged, issues := 0, 0
		for _, row := range rows {
			a, _ := strconv.Atoi(row[1])
			b, _ := strconv.Atoi(row[2])
			merged, issues = merged+a, issues+b
		}
		if merged != dev.Throughput.Total || issues != dev.Throughput.IssuesCompleted.Total || issues == 0 {
			t.Errorf("throughput table: %d merged, %d issues; metrics: %d, %d", merged, issues, dev.Throughput.Total, dev.Throughput.IssuesCompleted.Total)
		}

		// The per-developer table: most merged PRs first; each name links
		// to that developer's pull requests.
		tbl := find(r.doc, sel("table", "#table-developers"))
		head, rows = tableData(tbl)
		if len(rows) < 3 || head[0] != "Developer" {
			t.Fatalf("developers table: %q, %d rows", head, len(rows))
		}
		if th := find(tbl, sel("th", "[aria-sort=descending]")); text(th) != "Merged PRs" {
			t.Errorf("developers sorted by %q", text(th))
		}
		checkSorted(t, rows, 1, true)
		for _, row := range rows {
			if strings.HasSuffix(row[0], "[bot]") {
				t.Errorf("bot %s in the developers table", row[0])
			}
		}
		link := find(find(tbl, sel("tbody")), sel("a"))
		prs := s.page(t, attr(link, "href"), http.StatusOK)
		if got := attr(find(prs.doc, sel("input", "[name=author]")), "value"); got != text(link) {
			t.Errorf("the developer link opens the PRs of %q, want %q", got, text(link))
		}
		checkCSV(t, s, r, "developers")
		byReviews := s.page(t, "/development?sort=reviews_given&order=asc", http.StatusOK)
		_, rows = tableData(find(byReviews.doc, sel("table", "#table-developers")))
		checkSorted(t, rows, 4, false)
	})

	t.Run("partial weeks are marked, their numbers unchanged", func(t *testing.T) {
		// 2026-02-19 is a Thursday and 2026-03-20 a Friday: the first
		// and last weeks are partial.
		const rng = "start_date=2026-02-19&end_date=2026-03-20"
		r := s.page(t, "/dora?"+rng, http.StatusOK)
		d, _ := metricsFor(rng)
		p := find(r.doc, sel("section", "#deployment-frequency"))
		head, rows := tableData(find(p, sel("table")))
		if !slices.Equal(head, []string{"Period start", "Deployments", "Note"}) || len(rows) != len(d.DeploymentFrequency.Data) {
			t.Fatalf("deployment frequency table %q, %d rows", head, len(rows))
		}
		for i, row := range rows {
			want := ""
			switch i {
			case 0:
				want = "partial week: 4 of 7 days in the range"
			case len(rows) - 1:
				want = "partial week: 5 of 7 days in the range"
			}
			if row[0] != d.DeploymentFrequency.Data[i].Date || row[1] != strconv.Itoa(d.DeploymentFrequency.Data[i].Count) || row[2] != want {
				t.Errorf("row %d %q, want %s, %d, %q", i, row, d.DeploymentFrequency.Data[i].Date, d.DeploymentFrequency.Data[i].Count, want)
			}
		}
		bars := findAll(find(p, sel("svg")), sel("rect", ".mark"))
		for i, b := range bars {
			partial := i == 0 || i == len(bars)-1
			if hasClass(b, "partial") != partial || strings.Contains(attr(b, "data-tip"), "(partial week") != partial {
				t.Errorf("bar %d: class %q, tooltip %q", i, attr(b, "class"), attr(b, "data-tip"))
			}
		}
		if !strings.Contains(text(find(p, sel("ul", ".chart-legend"))), "partial week") {
			t.Error("the legend does not explain the faded weeks")
		}
		checkCSV(t, s, r, "deployment-frequency")
		lead := find(r.doc, sel("section", "#lead-time"))
		if len(findAll(lead, sel("path", ".partial"))) == 0 || len(findAll(lead, sel("circle", ".partial"))) == 0 {
			t.Error("the lead time lines do not mark the partial weeks")
		}
		// Daily buckets are always whole.
		r = s.page(t, "/dora?period=day&"+rng, http.StatusOK)
		if head, _ := tableData(find(r.doc, sel("table", "#table-deployment-frequency"))); slices.Contains(head, "Note") || len(findAll(r.doc, sel("", ".partial"))) > 0 {
			t.Errorf("daily buckets marked partial: %q", head)
		}
	})

	t.Run("pull requests sort slowest first and link to GitHub", func(t *testing.T) {
		r := s.page(t, "/pull-requests?start_date=2025-12-01&end_date=2026-03-19", http.StatusOK)
		checkLayout(t, r, "Pull requests")
		tbl := find(r.doc, sel("table", "#table-pull-requests"))
		head, rows := tableData(tbl)
		lead := slices.Index(head, "Lead time (h)")
		if lead < 0 || len(rows) != pageSize {
			t.Fatalf("columns %q, %d rows (want a full page of %d)", head, len(rows), pageSize)
		}
		if th := findAll(tbl, sel("th", "[aria-sort]")); len(th) != 1 || text(th[0]) != "Lead time (h)" || attr(th[0], "aria-sort") != "descending" {
			t.Errorf("the table is not marked as sorted by lead time, descending")
		}
		checkSorted(t, rows, lead, true)
		for _, a := range findAll(tbl, sel("a", "[rel=noopener noreferrer]")) {
			if !strings.HasPrefix(attr(a, "href"), "https://github.com/acme/") {
				t.Errorf("PR link %s does not go to GitHub", attr(a, "href"))
			}
		}
		// The heading links to the other direction.
		link := attr(find(find(tbl, sel("th", "[aria-sort]")), sel("a")), "href")
		asc := s.page(t, link, http.StatusOK)
		_, rows = tableData(find(asc.doc, sel("table", "#table-pull-requests")))
		checkSorted(t, rows, lead, false)

		merged := s.page(t, "/pull-requests?state=merged&repo=acme/api&sort=size", http.StatusOK)
		head, rows = tableData(find(merged.doc, sel("table", "#table-pull-requests")))
		if len(rows) == 0 {
			t.Fatal("no merged PRs of acme/api")
		}
		for _, row := range rows {
			if row[slices.Index(head, "State")] != "merged" || row[slices.Index(head, "Repository")] != "acme/api" {
				t.Errorf("row %q is not a merged PR of acme/api", row)
			}
		}
		checkSorted(t, rows, slices.Index(head, "Size (lines)"), true)
		if p := find(r.doc, sel("nav", ".pager")); !strings.Contains(text(p), "Page 1 of") || find(p, sel("a", "[rel=next]")) == nil {
			t.Errorf("pager: %q", text(p))
		}
	})

	t.Run("deployments list what they shipped and broke", func(t *testing.T) {
		r := s.page(t, "/deployments?start_date=2025-03-20&end_date=2026-03-19", http.StatusOK)
		checkLayout(t, r, "Deployments")
		rows := findAll(find(r.doc, sel("table", "#table-deployments")), sel("tr", ".deployment"))
		if len(rows) != pageSize {
			t.Fatalf("%d deployments on the first page, want %d", len(rows), pageSize)
		}
		shipped := 0
		for _, row := range rows {
			shipped += len(findAll(row, sel("ul", ".shipped")))
		}
		if shipped == 0 {
			t.Error("no deployment lists the PRs it shipped")
		}
		// Somewhere in the year, a deployment failed and lists its incident.
		found := false
		for page := 1; page <= 40 && !found; page++ {
			r := s.page(t, "/deployments?start_date=2025-03-20&end_date=2026-03-19&page="+strconv.Itoa(page), http.StatusOK)
			for _, row := range findAll(r.doc, sel("tr", ".failed")) {
				if find(row, sel("ul", ".incidents")) != nil && text(find(row, sel("span", ".bad"))) == "failed" {
					found = true
				}
			}
			if find(r.doc, sel("a", "[rel=next]")) == nil {
				break
			}
		}
		if !found {
			t.Error("no failed deployment lists its incident")
		}
		d, _ := metricsFor("start_date=2026-02-01&end_date=2026-03-19")
		// The list holds every environment; production is what the metric counts.
		r = s.page(t, "/deployments?start_date=2026-02-01&end_date=2026-03-19&environment=production", http.StatusOK)
		if got, want := text(find(r.doc, sel("p", ".summary"))), strconv.Itoa(d.DeploymentFrequency.Total)+" deployments"; got != want {
			t.Errorf("summary %q, want %q", got, want)
		}
	})

	t.Run("the CSV of a later page holds that page's rows", func(t *testing.T) {
		checkLaterPageCSV(t, s, "start_date=2025-03-20&end_date=2026-03-19", "pull-requests", "deployments")
	})

	t.Run("incidents", func(t *testing.T) {
		r := s.page(t, "/incidents?start_date=2025-03-20&end_date=2026-03-19", http.StatusOK)
		checkLayout(t, r, "Incidents")
		head, rows := tableData(find(r.doc, sel("table", "#table-incidents")))
		if len(rows) == 0 {
			t.Fatal("no incidents in a year of demo data")
		}
		dep, ttr := slices.Index(head, "Attributed deployment"), slices.Index(head, "Time to recover (h)")
		attributed := 0
		for _, row := range rows {
			if row[dep] != "unattributed" {
				attributed++
			}
			if row[ttr] != "" {
				if _, err := strconv.ParseFloat(row[ttr], 64); err != nil {
					t.Errorf("time to recover %q", row[ttr])
				}
			}
		}
		if attributed == 0 {
			t.Error("no incident is attributed to a deployment")
		}
	})

	t.Run("teams", func(t *testing.T) {
		r := s.page(t, "/teams?start_date=2026-02-01&end_date=2026-03-19&sort=lead_time", http.StatusOK)
		checkLayout(t, r, "Teams")
		head, rows := tableData(find(r.doc, sel("table", "#table-teams")))
		if len(head) != 10 || len(rows) != 4 {
			t.Fatalf("teams table: %d columns, %d rows; want team + 9 metrics, 4 teams", len(head), len(rows))
		}
		// Sorted by lead time, best (lowest) first; each row as the metrics
		// package computes it for that team.
		var prev *float64
		for _, row := range rows {
			d, _ := metricsFor("start_date=2026-02-01&end_date=2026-03-19&include_trend=true&team=" + url.QueryEscape(row[0]))
			if !strings.HasPrefix(row[1], numberText(d.DeploymentFrequency.PerDay)) || !strings.HasPrefix(row[2], hoursOr(d.LeadTime.MedianHours)) {
				t.Errorf("%s: %q, %q; want deployments/day %v and lead time %s", row[0], row[1], row[2], d.DeploymentFrequency.PerDay, hoursOr(d.LeadTime.MedianHours))
			}
			if m := d.LeadTime.MedianHours; m != nil && prev != nil && *m < *prev {
				t.Errorf("rows not sorted by lead time: %v after %v", *m, *prev)
			} else if m != nil {
				prev = m
			}
		}
		var href string
		for _, a := range findAll(find(r.doc, sel("table", "#table-teams")), sel("a")) {
			if h := attr(a, "href"); strings.HasPrefix(h, "/dashboard?") {
				href = h
			}
		}
		if !strings.Contains(href, "team=acme%2F") {
			t.Errorf("a team links to %q, want the dashboard filtered to it", href)
		}
		// The dashboard filtered to a team shows its figures; the team
		// selector keeps it.
		r = s.page(t, "/dashboard?team=acme%2Fbackend", http.StatusOK)
		var selected string
		for _, o := range findAll(find(r.doc, sel("select", "[name=team]")), sel("option")) {
			if _, ok := attrOK(o, "selected"); ok {
				selected = text(o)
			}
		}
		if selected != "acme/backend" {
			t.Errorf("team selector shows %q, want acme/backend", selected)
		}
		r = s.page(t, "/dora?team=ghosts", http.StatusNotFound)
		if !strings.Contains(text(r.doc), `Unknown team: no team "ghosts"`) {
			t.Error("an unknown team is not named")
		}
	})

	t.Run("settings", func(t *testing.T) {
		r := s.page(t, "/settings", http.StatusOK)
		checkLayout(t, r, "Settings")
		sources := findAll(r.doc, sel("section", ".source"))
		if len(sources) != 4 {
			t.Fatalf("%d sources, want github, actions, linear and pagerduty", len(sources))
		}
		if pd := find(r.doc, sel("section", "#source-pagerduty")); !strings.Contains(text(pd), "PagerDuty") ||
			!strings.Contains(text(pd), "PAGERDUTY_API_KEY and PAGERDUTY_SERVICES are not set") {
			t.Errorf("the PagerDuty source: %q", text(pd))
		}
		gh := find(r.doc, sel("section", "#source-github"))
		if !strings.Contains(text(find(gh, sel("p", ".reason"))), "GITHUB_TOKEN and GITHUB_REPOS are not set") {
			t.Errorf("GitHub does not say why it is not configured: %q", text(gh))
		}
		if got := text(find(gh, sel("dd", "[data-field=counts]"))); !strings.Contains(got, "pull_requests "+strconv.Itoa(demoPRs)) {
			t.Errorf("GitHub counts %q", got)
		}
		if find(r.doc, sel("button", "#sync-now")) != nil {
			t.Error("Sync now is offered by a server without a sync engine")
		}
		_, rows := tableData(find(r.doc, sel("table", "#table-sources")))
		if len(rows) != 4 || rows[0][1] != "no: GITHUB_TOKEN and GITHUB_REPOS are not set" {
			t.Errorf("sources table %q", rows)
		}
		checkCSV(t, s, r, "sources")
	})

	t.Run("a range with no data says so", func(t *testing.T) {
		r := s.page(t, "/dashboard?start_date=2020-01-01&end_date=2020-01-31", http.StatusOK)
		if q := find(r.doc, sel("p", "#quiet")); !strings.Contains(text(q), "Nothing happened from 2020-01-01 to 2020-01-31") || find(q, sel("a")) == nil {
			t.Errorf("quiet range message: %q", text(q))
		}
		r = s.page(t, "/dora?start_date=2020-01-01&end_date=2020-01-31", http.StatusOK)
		for _, p := range findAll(r.doc, sel("section", ".panel")) {
			if e := find(p, sel("p", ".empty")); !strings.HasPrefix(text(e), "No ") {
				t.Errorf("panel %s has no empty-range message", attr(p, "id"))
			}
		}
		r = s.page(t, "/pull-requests?start_date=2020-01-01&end_date=2020-01-31", http.StatusOK)
		if e := find(r.doc, sel("p", ".empty")); !strings.Contains(text(e), "Try a longer range") {
			t.Errorf("empty PR list: %q", text(e))
		}
	})

	t.Run("bad filters show a message", func(t *testing.T) {
		tests := []struct {
			path   string
			status int
			want   string
		}{
			{"/dashboard?start_date=2026-13-01", 400, "start_date"},
			{"/dora?start_date=2026-03-10&end_date=2026-03-01", 400, "is after end_date"},
			{"/development?period=year", 400, "must be day, week or month"},
			{"/incidents?end_date=yesterday", 400, "end_date"},
			{"/deployments?repo=nobody/nothing", 404, "Unknown repository"},
			{"/pull-requests?repo=not-a-repo", 404, "Unknown repository"},
			{"/pull-requests?sort=bogus", 400, "Invalid sort"},
			{"/pull-requests?state=draft", 400, "state"},
			{"/deployments?page=0", 400, "Invalid page"},
			{"/development?sort=speed", 400, "sort"},
		}
		for _, tt := range tests {
			r := s.page(t, tt.path, tt.status)
			alert := find(r.doc, sel("div", "#page-error"))
			if !strings.Contains(text(alert), tt.want) || attr(alert, "role") != "alert" {
				t.Errorf("%s: message %q, want it to mention %q", tt.path, text(alert), tt.want)
			}
			if find(r.doc, sel("form", ".filters")) == nil {
				t.Errorf("%s: the filter bar is gone, so the value cannot be fixed", tt.path)
			}
		}
	})

	t.Run("a refused filter reads as one sentence and stays in the bar", func(t *testing.T) {
		tests := []struct {
			path, message            string
			start, end, period, repo string
		}{
			{"/dashboard?start_date=1900-01-01", "Invalid start date (start_date): the range may span at most 36600 days.",
				"1900-01-01", "2026-03-20", "week", ""},
			{"/development?period=year", "Invalid period: it must be day, week or month.",
				"2026-02-19", "2026-03-20", "year", ""},
			{"/dora?end_date=2026-03-01&period=month&start_date=2026-03-10", "Invalid start date (start_date): 2026-03-10 is after end_date 2026-03-01.",
				"2026-03-10", "2026-03-01", "month", ""},
			{"/dashboard?end_date=2026-01-31&repo=nobody/nothing", `Unknown repository: no repository named "nobody/nothing" has been synced. Pick one from the list.`,
				"2026-01-02", "2026-01-31", "week", "nobody/nothing"},
			{"/pull-requests?repo=not-a-repo", `Unknown repository: "not-a-repo" is not a repository name, which has the form owner/name. Pick one from the list.`,
				"2026-02-19", "2026-03-20", "", "not-a-repo"},
			{"/development?sort=speed", "Invalid sort: it must be one of " + strings.Join(metrics.DeveloperColumns, ", ") + ".",
				"2026-02-19", "2026-03-20", "week", ""},
		}
		for _, tt := range tests {
			r := s.get(t, tt.path)
			if got := text(find(r.doc, sel("div", "#page-error"))); got != tt.message {
				t.Errorf("%s: message %q, want %q", tt.path, got, tt.message)
			}
			form := find(r.doc, sel("form", ".filters"))
			start, end := attr(find(form, sel("input", "[name=start_date]")), "value"), attr(find(form, sel("input", "[name=end_date]")), "value")
			period := text(find(find(form, sel("select", "[name=period]")), sel("option", "[selected]")))
			repo := text(find(find(form, sel("select", "[name=repo]")), sel("option", "[selected]")))
			if start != tt.start || end != tt.end || period != tt.period || repo != tt.repo {
				t.Errorf("%s: the bar shows %s to %s, period %q, repo %q; want %s to %s, %q, %q", tt.path, start, end, period, repo, tt.start, tt.end, tt.period, tt.repo)
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		r := s.page(t, "/no/such/page", http.StatusNotFound)
		if h := text(find(r.doc, sel("h1"))); h != "Page not found" {
			t.Errorf("h1 %q", h)
		}
		res, err := http.Get(s.URL + "/static/app.js")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "javascript") {
			t.Errorf("/static/app.js: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})

	t.Run("a database failure is a generic error page", func(t *testing.T) {
		st.Close()
		r := s.page(t, "/dashboard", http.StatusInternalServerError)
		body := strings.ToLower(text(find(r.doc, sel("main"))))
		if !strings.Contains(body, "something went wrong") || strings.Contains(body, "sql") || strings.Contains(body, "closed") {
			t.Errorf("error page says %q", body)
		}
	})
}

// checkLayout checks what every page has: the policy, the navigation with
// the current page marked, the demo banner, and only the app's own scripts.
func checkLayout(t *testing.T, r *response, current string) {
	t.Helper()
	csp := r.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	nav := find(r.doc, sel("nav", "[aria-label=Main]"))
	want := 7
	if strings.Contains(text(nav), "Teams") {
		want = 8 // the Teams page, once a team exists
	}
	if n := len(findAll(nav, sel("a"))); n != want {
		t.Errorf("navigation has %d links, want %d", n, want)
	}
	if cur := find(nav, sel("a", "[aria-current=page]")); text(cur) != current {
		t.Errorf("current navigation item %q, want %q", text(cur), current)
	}
	if find(r.doc, sel("div", "#demo-banner")) == nil {
		t.Error("no demo banner over demo data")
	}
	for _, sc := range findAll(r.doc, sel("script")) {
		if src := attr(sc, "src"); !strings.HasPrefix(src, "/static/") || sc.FirstChild != nil {
			t.Errorf("script %q with inline content %v", src, sc.FirstChild != nil)
		}
	}
	if len(findAll(r.doc, sel("", "[style]"))) > 0 || len(findAll(r.doc, sel("style"))) > 0 {
		t.Error("inline styles, which the policy forbids")
	}
}

// checkChartPanel checks a panel: a chart with tooltips, its data table
// (caption, column headers, one row per bucket) and the CSV of that table.
func checkChartPanel(t *testing.T, s *site, r *response, id string, buckets int) {
	t.Helper()
	p := find(r.doc, sel("section", "#"+id))
	if p == nil {
		t.Errorf("no panel %s", id)
		return
	}
	svg := find(p, sel("svg", ".chart"))
	if svg == nil || attr(svg, "viewBox") == "" || attr(svg, "role") != "group" || attr(svg, "aria-label") == "" {
		t.Errorf("%s: no scalable chart", id)
	}
	if len(findAll(svg, sel("", "[data-tip]"))) == 0 {
		t.Errorf("%s: the chart has no marks with values", id)
	}
	details := find(p, sel("details", ".data"))
	tbl := find(details, sel("table"))
	if tbl == nil || text(find(details, sel("summary"))) != "Data table" {
		t.Errorf("%s: no data table behind the chart", id)
		return
	}
	if text(find(tbl, sel("caption"))) == "" || len(findAll(tbl, sel("th", "[scope=col]"))) < 2 {
		t.Errorf("%s: table without caption or column headers", id)
	}
	if _, rows := tableData(tbl); len(rows) != buckets {
		t.Errorf("%s: %d rows, want one per period (%d)", id, len(rows), buckets)
	}
	checkCSV(t, s, r, id)
}

// fetchCSV downloads a CSV link and returns its records.
func fetchCSV(t *testing.T, s *site, link string) [][]string {
	t.Helper()
	res, err := s.Client().Get(s.URL + link)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV %s: %d %s", link, res.StatusCode, res.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// checkCSV downloads a table's CSV and compares it with the table shown.
func checkCSV(t *testing.T, s *site, r *response, id string) {
	t.Helper()
	p := find(r.doc, sel("section", "#"+id))
	recs := fetchCSV(t, s, attr(find(p, sel("a", ".csv")), "href"))
	head, rows := tableData(find(p, sel("table")))
	if len(recs) == 0 || !slices.Equal(recs[0], head) {
		t.Errorf("%s: CSV header %q, table %q", id, recs[0], head)
		return
	}
	if len(recs)-1 != len(rows) {
		t.Errorf("%s: CSV has %d rows, the table %d", id, len(recs)-1, len(rows))
		return
	}
	for i, row := range rows {
		if !slices.Equal(recs[i+1], row) {
			t.Errorf("%s: CSV row %d %q, table %q", id, i, recs[i+1], row)
		}
	}
}

// checkSorted checks that column col of rows is in order, blanks last.
func checkSorted(t *testing.T, rows [][]string, col int, desc bool) {
	t.Helper()
	var vals []float64
	blank := false
	for _, row := range rows {
		if row[col] == "" {
			blank = true
			continue
		}
		if blank {
			t.Errorf("a value after a blank in column %d", col)
		}
		v, err := strconv.ParseFloat(row[col], 64)
		if err != nil {
			t.Fatalf("column %d: %q", col, row[col])
		}
		vals = append(vals, v)
	}
	if len(vals) < 2 {
		t.Fatalf("column %d has %d values", col, len(vals))
	}
	for i := 1; i < len(vals); i++ {
		if desc && vals[i] > vals[i-1] || !desc && vals[i] < vals[i-1] {
			t.Errorf("column %d out of order at row %d: %v then %v", col, i, vals[i-1], vals[i])
		}
	}
}

// checkLaterPageCSV checks that the CSV link of page 2 of each list
// downloads the rows page 2 shows.
func checkLaterPageCSV(t *testing.T, s *site, rng string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		first := s.page(t, "/"+id+"?"+rng, http.StatusOK)
		second := s.page(t, "/"+id+"?"+rng+"&page=2", http.StatusOK)
		link := attr(find(find(second.doc, sel("section", "#"+id)), sel("a", ".csv")), "href")
		u, _ := url.Parse(link)
		if u.Query().Get("page") != "2" {
			t.Errorf("%s: the CSV link of page 2 is %s", id, link)
		}
		_, rows1 := tableData(find(first.doc, sel("table", "#table-"+id)))
		_, rows2 := tableData(find(second.doc, sel("table", "#table-"+id)))
		if len(rows2) == 0 || slices.Equal(rows1[0], rows2[0]) {
			t.Fatalf("%s: page 2 has %d rows, starting like page 1", id, len(rows2))
		}
		recs := fetchCSV(t, s, link)
		if len(recs)-1 != len(rows2) {
			t.Fatalf("%s: the CSV of page 2 has %d rows, the page %d", id, len(recs)-1, len(rows2))
		}
		// The deployments table shows the shipped PRs as a list, so
		// compare the first column; the others match cell for cell.
		for i, row := range rows2 {
			if id == "deployments" && recs[i+1][0] != row[0] || id != "deployments" && !slices.Equal(recs[i+1], row) {
				t.Errorf("%s: CSV row %d %q, page 2 shows %q", id, i, recs[i+1], row)
			}
		}
	}
}
