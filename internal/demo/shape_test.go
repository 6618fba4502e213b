package demo

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestShape loads one default-size dataset and checks what a user of the
// dashboard would see in it.
func TestShape(t *testing.T) {
	st := storetest.New(t)
	res := load(t, st, 1, DefaultPRs)
	for _, sub := range []struct {
		name string
		fn   func(*testing.T, *store.Store, Result)
	}{
		{"counts", shapeCounts}, {"deployments", shapeDeployments}, {"pull requests", shapePullRequests},
		{"incidents", shapeIncidents}, {"Linear", shapeLinear}, {"trends", shapeTrends},
	} {
		t.Run(sub.name, func(t *testing.T) { sub.fn(t, st, res) })
	}
}

func between(t *testing.T, what string, got, lo, hi int) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s: %d, want %d to %d", what, got, lo, hi)
	}
}

func shapeCounts(t *testing.T, st *store.Store, res Result) {
	n := DefaultPRs
	between(t, "pull requests", count(t, st, `SELECT count(*) FROM pull_requests`), n, n)
	between(t, "repositories", count(t, st, `SELECT count(*) FROM repositories`), 4, 6)
	between(t, "reviews", count(t, st, `SELECT count(*) FROM pr_reviews`), n, 3*n)
	between(t, "comments", count(t, st, `SELECT count(*) FROM pr_comments`), n, 4*n)
	between(t, "commits", count(t, st, `SELECT count(*) FROM commits`), n*3/2, 4*n)
	between(t, "workflow runs", count(t, st, `SELECT count(*) FROM workflow_runs`), n*3/2, 4*n)
	between(t, "incident issues", count(t, st, `SELECT count(*) FROM github_issues`), 20, 200)
	between(t, "Linear teams", count(t, st, `SELECT count(*) FROM linear_teams`), 2, 3)
	between(t, "Linear issues", count(t, st, `SELECT count(*) FROM linear_issues`), n/2, 2*n)
	between(t, "Linear attachments", count(t, st, `SELECT count(*) FROM linear_attachments`), n/10, n)
	between(t, "teams", count(t, st, `SELECT count(*) FROM teams`), 4, 4)
	between(t, "members in two teams", count(t, st, `SELECT count(*) FROM (SELECT login FROM team_members GROUP BY login HAVING count(*) > 1) x`), 1, 4)
	if got := count(t, st, `SELECT count(*) FROM pull_requests`) + count(t, st, `SELECT count(*) FROM pr_reviews`) +
		count(t, st, `SELECT count(*) FROM pr_comments`) + count(t, st, `SELECT count(*) FROM commits`) +
		count(t, st, `SELECT count(*) FROM workflow_runs`) + count(t, st, `SELECT count(*) FROM github_issues`) +
		count(t, st, `SELECT count(*) FROM linear_issues`) + count(t, st, `SELECT count(*) FROM linear_attachments`) +
		count(t, st, `SELECT count(*) FROM repositories`) + count(t, st, `SELECT count(*) FROM workflows`) +
		count(t, st, `SELECT count(*) FROM linear_teams`) + count(t, st, `SELECT count(*) FROM teams`) +
		count(t, st, `SELECT count(*) FROM github_deployments`); got != res.Rows() {
		t.Errorf("the database holds %d records, Load reported %d", got, res.Rows())
	}

	var v string
	if err := st.DB().QueryRow(`SELECT value FROM app_state WHERE key = 'demo'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	var m Marker
	if err := json.Unmarshal([]byte(v), &m); err != nil || m != (Marker{Seed: 1, PRs: n, Today: "2026-06-15", Complete: true}) {
		t.Errorf("demo marker %s (%v)", v, err)
	}
}

// deployWorkflow matches the default DEPLOYMENT_PATTERNS against a
// workflow's name and file name.
const deployWorkflow = `(lower(w.name) LIKE '%deploy%' OR lower(w.name) LIKE '%release%' OR lower(w.name) LIKE '%publish%'
	OR lower(w.path) LIKE '%deploy%' OR lower(w.path) LIKE '%release%' OR lower(w.path) LIKE '%publish%')`

func shapeDeployments(t *testing.T, st *store.Store, _ Result) {
	for _, q := range []struct{ what, query string }{
		{"repositories whose default branch is not main", `SELECT count(*) FROM repositories WHERE default_branch <> 'main'`},
		{"repositories without a deployment workflow", `SELECT count(*) FROM repositories r WHERE NOT EXISTS (
			SELECT 1 FROM workflows w WHERE w.repo_id = r.id AND ` + deployWorkflow + `)`},
		{"repositories without a successful deployment run", `SELECT count(*) FROM repositories r WHERE NOT EXISTS (
			SELECT 1 FROM workflow_runs x JOIN workflows w ON w.id = x.workflow_id
			WHERE x.repo_id = r.id AND ` + deployWorkflow + ` AND x.status = 'completed' AND x.conclusion = 'success')`},
		{"repositories without other workflows", `SELECT count(*) FROM repositories r WHERE NOT EXISTS (
			SELECT 1 FROM workflows w WHERE w.repo_id = r.id AND NOT ` + deployWorkflow + `)`},
		{"runs that finish before they start", `SELECT count(*) FROM workflow_runs WHERE updated_at < created_at OR run_started_at < created_at`},
		{"completed runs without a conclusion", `SELECT count(*) FROM workflow_runs WHERE status = 'completed' AND conclusion IS NULL`},
		{"successful deployments that did not take minutes", `SELECT count(*) FROM workflow_runs x JOIN workflows w ON w.id = x.workflow_id
			WHERE ` + deployWorkflow + ` AND x.conclusion = 'success' AND x.run_attempt = 1
			AND (x.updated_at - x.created_at < 60000 OR x.updated_at - x.created_at > 3600000)`},
	} {
		if n := count(t, st, q.query); n != 0 {
			t.Errorf("%d %s", n, q.what)
		}
	}
	for _, c := range []string{"success", "failure", "cancelled", "skipped"} {
		if count(t, st, `SELECT count(*) FROM workflow_runs WHERE conclusion = $1`, c) == 0 {
			t.Errorf("no %s runs", c)
		}
	}
	if count(t, st, `SELECT count(*) FROM workflow_runs WHERE run_attempt = 2 AND conclusion = 'success'`) == 0 {
		t.Error("no successful re-runs (run_attempt 2)")
	}
	successes := count(t, st, `SELECT count(*) FROM workflow_runs WHERE conclusion = 'success'`)
	if all := count(t, st, `SELECT count(*) FROM workflow_runs`); successes*10 < all*7 {
		t.Errorf("%d of %d runs succeeded; most should", successes, all)
	}

	// Exact-SHA links: the head of main that a deployment ran on is the
	// merge commit of a PR. Other merged PRs link only by time.
	merged := count(t, st, `SELECT count(*) FROM pull_requests WHERE merged_at IS NOT NULL AND base_branch = 'main'`)
	bySHA := count(t, st, `SELECT count(*) FROM pull_requests p WHERE EXISTS (
		SELECT 1 FROM workflow_runs x JOIN workflows w ON w.id = x.workflow_id
		WHERE x.repo_id = p.repo_id AND x.head_sha = p.merge_commit_sha AND `+deployWorkflow+`
		AND x.conclusion = 'success' AND x.created_at >= p.merged_at)`)
	if bySHA < merged/10 || bySHA > merged*9/10 {
		t.Errorf("%d of %d merged PRs have a deployment on their merge SHA; want some, not all", bySHA, merged)
	}
}

func shapePullRequests(t *testing.T, st *store.Store, _ Result) {
	end := store.MS(time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC))
	for _, q := range []struct {
		what, query string
		args        []any
	}{
		{"commits authored after their PR opened", `SELECT count(*) FROM commits c JOIN pull_requests p ON p.id = c.pr_id WHERE c.authored_at > p.created_at`, nil},
		{"reviews before their PR opened", `SELECT count(*) FROM pr_reviews r JOIN pull_requests p ON p.id = r.pr_id WHERE r.submitted_at < p.created_at`, nil},
		{"merges before their PR opened", `SELECT count(*) FROM pull_requests WHERE merged_at < created_at`, nil},
		{"records after today", `SELECT count(*) FROM pull_requests WHERE created_at >= $1 OR updated_at >= $1 OR merged_at >= $1 OR closed_at >= $1`, []any{end}},
		{"reviews after today", `SELECT count(*) FROM pr_reviews WHERE submitted_at >= $1`, []any{end}},
		{"merged PRs without a merge SHA", `SELECT count(*) FROM pull_requests WHERE merged_at IS NOT NULL AND merge_commit_sha IS NULL`, nil},
		{"PRs whose head is not their last commit", `SELECT count(*) FROM pull_requests p WHERE NOT EXISTS (SELECT 1 FROM commits c WHERE c.pr_id = p.id AND c.sha = p.head_sha)`, nil},
		{"merged PRs without an approval", `SELECT count(*) FROM pull_requests p WHERE merged_at IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM pr_reviews r WHERE r.pr_id = p.id AND r.state = 'APPROVED' AND r.author_login <> p.author_login)`, nil},
		{"PRs reviewed by their author only", `SELECT count(*) FROM pr_reviews r JOIN pull_requests p ON p.id = r.pr_id WHERE r.state = 'APPROVED' AND r.author_login = p.author_login`, nil},
		{"pending reviews with a submission time", `SELECT count(*) FROM pr_reviews WHERE state = 'PENDING' AND submitted_at IS NOT NULL`, nil},
	} {
		if n := count(t, st, q.query, q.args...); n != 0 {
			t.Errorf("%d %s", n, q.what)
		}
	}
	for _, q := range []struct{ what, query string }{
		{"dependabot[bot] PRs", `SELECT count(*) FROM pull_requests WHERE author_login = 'dependabot[bot]'`},
		{"renovate[bot] PRs", `SELECT count(*) FROM pull_requests WHERE author_login = 'renovate[bot]'`},
		{"bot reviews", `SELECT count(*) FROM pr_reviews WHERE author_login LIKE '%[bot]'`},
		{"bot comments", `SELECT count(*) FROM pr_comments WHERE author_login LIKE '%[bot]'`},
		{"pending reviews", `SELECT count(*) FROM pr_reviews WHERE state = 'PENDING'`},
		{"changes requested", `SELECT count(*) FROM pr_reviews WHERE state = 'CHANGES_REQUESTED'`},
		{"commented reviews", `SELECT count(*) FROM pr_reviews WHERE state = 'COMMENTED'`},
		{"inline comments", `SELECT count(*) FROM pr_comments WHERE kind = 'review'`},
		{"conversation comments", `SELECT count(*) FROM pr_comments WHERE kind = 'issue'`},
		{"labelled PRs", `SELECT count(*) FROM pull_requests WHERE labels <> '[]'`},
		{"open drafts", `SELECT count(*) FROM pull_requests WHERE draft AND state = 'open'`},
		{"drafts made ready", `SELECT count(*) FROM pull_requests WHERE NOT draft AND ready_at IS NOT NULL`},
		{"PRs to other branches", `SELECT count(*) FROM pull_requests WHERE base_branch <> 'main' AND merged_at IS NOT NULL`},
		{"PRs closed unmerged", `SELECT count(*) FROM pull_requests WHERE state = 'closed' AND merged_at IS NULL`},
		{"open PRs", `SELECT count(*) FROM pull_requests WHERE state = 'open'`},
		{"reverts", `SELECT count(*) FROM pull_requests WHERE title LIKE 'Revert "%' AND head_branch LIKE 'revert-%'`},
		{"hotfix branches", `SELECT count(*) FROM pull_requests WHERE head_branch LIKE 'hotfix/%'`},
		{"hotfix labels", `SELECT count(*) FROM pull_requests WHERE labels LIKE '%"hotfix"%'`},
	} {
		if count(t, st, q.query) == 0 {
			t.Errorf("no %s", q.what)
		}
	}

	// Sizes have a long tail: the largest PR dwarfs the median one.
	rows, err := st.DB().Query(`SELECT additions + deletions FROM pull_requests`)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for rows.Next() {
		var n int
		rows.Scan(&n)
		sizes = append(sizes, n)
	}
	rows.Close()
	sort.Ints(sizes)
	if median, top := sizes[len(sizes)/2], sizes[len(sizes)-1]; top < 50*median {
		t.Errorf("largest PR %d lines, median %d: want a long tail", top, median)
	}

	// Quiet weekends: a weekend day sees a fraction of a weekday's PRs.
	weekday, weekend := 0, 0
	rows, err = st.DB().Query(`SELECT created_at FROM pull_requests`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ms int64
		rows.Scan(&ms)
		switch store.FromMS(ms).Weekday() {
		case time.Saturday, time.Sunday:
			weekend++
		default:
			weekday++
		}
	}
	rows.Close()
	if weekend*5*4 > weekday*2 { // per day, weekends below a quarter of weekdays
		t.Errorf("%d PRs on weekdays, %d on weekends: want quiet weekends", weekday, weekend)
	}
}

func shapeIncidents(t *testing.T, st *store.Store, _ Result) {
	if n := count(t, st, `SELECT count(*) FROM github_issues WHERE labels NOT LIKE '%"incident"%'`); n != 0 {
		t.Errorf("%d GitHub issues without the incident label", n)
	}
	// Each opens within two days after a successful deployment of its repo.
	if n := count(t, st, `SELECT count(*) FROM github_issues i WHERE NOT EXISTS (
		SELECT 1 FROM workflow_runs x JOIN workflows w ON w.id = x.workflow_id
		WHERE x.repo_id = i.repo_id AND `+deployWorkflow+` AND x.conclusion = 'success'
		AND x.updated_at <= i.created_at AND x.updated_at > i.created_at - 172800000)`); n != 0 {
		t.Errorf("%d incidents with no deployment in the two days before them", n)
	}
	if count(t, st, `SELECT count(*) FROM github_issues WHERE state = 'open' AND closed_at IS NULL`) == 0 {
		t.Error("no incident is still open")
	}
	closed := count(t, st, `SELECT count(*) FROM github_issues WHERE state = 'closed' AND closed_at > created_at`)
	if closed == 0 || closed != count(t, st, `SELECT count(*) FROM github_issues WHERE state = 'closed'`) {
		t.Error("closed incidents should have closed after they opened")
	}
	if count(t, st, `SELECT count(*) FROM linear_issues WHERE labels LIKE '%"incident"%' AND state_type = 'completed'`) == 0 {
		t.Error("no resolved Linear incidents")
	}
}

func shapeLinear(t *testing.T, st *store.Store, _ Result) {
	var types []string
	rows, err := st.DB().Query(`SELECT DISTINCT state_type FROM linear_issues ORDER BY state_type`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		types = append(types, s)
	}
	rows.Close()
	if want := []string{"backlog", "canceled", "completed", "duplicate", "started", "triage", "unstarted"}; !slices.Equal(types, want) {
		t.Errorf("Linear state types %v, want every type %v", types, want)
	}
	for _, q := range []struct{ what, query string }{
		{"completed issues without completedAt", `SELECT count(*) FROM linear_issues WHERE state_type = 'completed' AND completed_at IS NULL`},
		{"canceled issues without canceledAt", `SELECT count(*) FROM linear_issues WHERE state_type = 'canceled' AND canceled_at IS NULL`},
		{"issues completed before they started", `SELECT count(*) FROM linear_issues WHERE completed_at < started_at OR started_at < created_at`},
		{"identifiers that do not match team and number", `SELECT count(*) FROM linear_issues i JOIN linear_teams t ON t.id = i.team_id
			WHERE i.identifier <> t.key || '-' || CAST(i.number AS TEXT)`},
	} {
		if n := count(t, st, q.query); n != 0 {
			t.Errorf("%d %s", n, q.what)
		}
	}
	for _, q := range []string{
		`SELECT count(*) FROM linear_issues WHERE priority = 1`, `SELECT count(*) FROM linear_issues WHERE estimate IS NOT NULL`,
		`SELECT count(*) FROM linear_issues WHERE assignee_name <> ''`,
	} {
		if count(t, st, q) == 0 {
			t.Errorf("none: %s", q)
		}
	}

	// PRs name their issues in the branch, the title or the body (any
	// case, on word boundaries); some are tied to theirs only by an
	// attachment holding the PR's URL; a few mention false friends such as
	// UTF-8, which name no team.
	identifiers := map[string]bool{}
	rows, err = st.DB().Query(`SELECT identifier FROM linear_issues`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		identifiers[s] = true
	}
	rows.Close()
	ident := regexp.MustCompile(`(?i)\b([a-z]{2,5})-(\d+)\b`)
	type pr struct{ url, text string }
	var prs []pr
	rows, err = st.DB().Query(`SELECT html_url, head_branch || ' ' || title || ' ' || body FROM pull_requests`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p pr
		rows.Scan(&p.url, &p.text)
		prs = append(prs, p)
	}
	rows.Close()
	mentioning, falseFriends := map[string]bool{}, 0
	for _, p := range prs {
		for _, m := range ident.FindAllStringSubmatch(p.text, -1) {
			id := strings.ToUpper(m[1]) + "-" + m[2]
			if identifiers[id] {
				mentioning[p.url] = true
			} else if strings.Contains(p.text, "UTF-8") || strings.Contains(p.text, "SHA-256") || strings.Contains(p.text, "ISO-8601") ||
				strings.Contains(p.text, "RFC-7807") || strings.Contains(p.text, "HTTP-2") {
				falseFriends++
			}
		}
	}
	if len(mentioning) < len(prs)/3 {
		t.Errorf("%d of %d PRs name a Linear issue; want many", len(mentioning), len(prs))
	}
	if falseFriends == 0 {
		t.Error("no PR title holds a false friend such as UTF-8")
	}
	attachmentOnly := 0
	rows, err = st.DB().Query(`SELECT a.url FROM linear_attachments a`)
	if err != nil {
		t.Fatal(err)
	}
	urls := map[string]bool{}
	for _, p := range prs {
		urls[p.url] = true
	}
	for rows.Next() {
		var u string
		rows.Scan(&u)
		if !urls[u] {
			t.Errorf("attachment %s is not the URL of a PR", u)
		}
		if !mentioning[u] {
			attachmentOnly++
		}
	}
	rows.Close()
	if attachmentOnly == 0 {
		t.Error("no PR is linked to its issue only by an attachment")
	}
}

// quarterly returns a per-repo statistic for the first and the last quarter
// of the year.
func quarterly(t *testing.T, st *store.Store, repo, query string) (first, last []float64) {
	return split(t, st, repo, query, 91*24*time.Hour)
}

// halves returns a per-repo statistic for the first and the second half of
// the year.
func halves(t *testing.T, st *store.Store, repo, query string) (first, last []float64) {
	return split(t, st, repo, query, 365*12*time.Hour)
}

// split returns a per-repo statistic for the first and the last span of the
// year.
func split(t *testing.T, st *store.Store, repo, query string, span time.Duration) (first, last []float64) {
	t.Helper()
	start := store.MS(time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC))
	end := store.MS(time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC))
	quarter := span.Milliseconds()
	rows, err := st.DB().Query(query, "acme/"+repo)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var v float64
		if err := rows.Scan(&at, &v); err != nil {
			t.Fatal(err)
		}
		switch {
		case at < start+quarter:
			first = append(first, v)
		case at >= end-quarter:
			last = append(last, v)
		}
	}
	return first, last
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func shapeTrends(t *testing.T, st *store.Store, _ Result) {
	// Time to first review (by a teammate, not a bot, not pending).
	const reviewTime = `SELECT p.created_at, (min(r.submitted_at) - p.created_at) / 3600000.0
		FROM pull_requests p JOIN repositories repo ON repo.id = p.repo_id
		JOIN pr_reviews r ON r.pr_id = p.id AND r.state <> 'PENDING' AND r.author_login <> p.author_login
			AND r.author_login NOT LIKE '%[bot]'
		WHERE repo.full_name = $1 GROUP BY p.id, p.created_at`
	first, last := quarterly(t, st, "web", reviewTime)
	if a, b := median(first), median(last); !(b < a/2) || len(last) < 20 {
		t.Errorf("web (improving): median review time %.1fh in the first quarter, %.1fh in the last (%d PRs); want it halved", a, b, len(last))
	}
	first, last = quarterly(t, st, "api", reviewTime)
	if a, b := median(first), median(last); !(b > a*2) {
		t.Errorf("api (worsening): median review time %.1fh in the first quarter, %.1fh in the last; want it doubled", a, b)
	}

	const deploys = `SELECT x.updated_at, 1 FROM workflow_runs x JOIN workflows w ON w.id = x.workflow_id
		JOIN repositories repo ON repo.id = x.repo_id
		WHERE repo.full_name = $1 AND ` + deployWorkflow + ` AND x.conclusion = 'success'`
	first, last = quarterly(t, st, "web", deploys)
	if len(last) < 2*len(first) {
		t.Errorf("web (improving): %d deployments in the first quarter, %d in the last; want more", len(first), len(last))
	}
	first, last = quarterly(t, st, "api", deploys)
	if len(first) < 2*len(last) {
		t.Errorf("api (worsening): %d deployments in the first quarter, %d in the last; want fewer", len(first), len(last))
	}

	// Incidents per deployment, the change failure rate, over each half of
	// the year: falling for web, rising for api; web also has fewer
	// incidents in all.
	const incidents = `SELECT i.created_at, 1 FROM github_issues i JOIN repositories repo ON repo.id = i.repo_id WHERE repo.full_name = $1`
	wf, wl := halves(t, st, "web", incidents)
	wdf, wdl := halves(t, st, "web", deploys)
	af, al := halves(t, st, "api", incidents)
	adf, adl := halves(t, st, "api", deploys)
	rate := func(inc, dep []float64) float64 { return float64(len(inc)) / float64(max(len(dep), 1)) }
	if rate(wl, wdl) >= rate(wf, wdf)/2 || len(wl) >= len(wf) {
		t.Errorf("web (improving): %d incidents / %d deployments in the first half, %d / %d in the second; want fewer, and a far lower rate",
			len(wf), len(wdf), len(wl), len(wdl))
	}
	if rate(al, adl) <= rate(af, adf)*2 {
		t.Errorf("api (worsening): %d incidents / %d deployments in the first half, %d / %d in the second; want a far higher rate",
			len(af), len(adf), len(al), len(adl))
	}
}
