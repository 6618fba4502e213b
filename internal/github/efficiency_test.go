package github

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/syncer"
)

// bulk is the efficiency tests' repository: 1,000 PRs with up to 10
// commits, 5 reviews and 10 comments each, 1,000 runs and 60 issues.
var bulk = githubfake.Bulk{PullRequests: 1000, MaxCommits: 10, MaxReviews: 5, MaxComments: 10,
	Runs: 1000, Issues: 60, Seed: 7}

// fakeTotals counts what the fake holds, to check nothing is missing.
func fakeTotals(r *githubfake.Repo) (prs, commits, reviews, comments int) {
	for _, pr := range r.PullRequests {
		prs++
		commits += len(pr.Commits)
		reviews += len(pr.Reviews)
		comments += len(pr.Comments)
		for _, rv := range pr.Reviews {
			comments += len(rv.Comments)
		}
	}
	return
}

// points sums the GraphQL points of requests.
func points(rs []githubfake.Request) (cost, maxNodes int) {
	for _, r := range rs {
		cost += r.Cost
		maxNodes = max(maxNodes, r.Nodes)
	}
	return cost, maxNodes
}

func TestGitHubSyncOf1000PRsStaysWithinRequestBudget(t *testing.T) {
	e := newEnv(t, "acme/big")
	repo := e.fake.Repo("acme/big")
	e.fake.Generate(repo, bulk)

	start := time.Now()
	rep := e.mustSync(e.github, syncer.Recent)
	first := e.fake.Requests()
	cost, maxNodes := points(first)
	perK := float64(cost) * 1000 / float64(len(repo.PullRequests))
	t.Logf("first sync: %d requests (%d PRs), %d GraphQL points (%.0f per 1,000 PRs), at most %d nodes per query, %v",
		len(first), len(repo.PullRequests), cost, perK, maxNodes, time.Since(start).Round(time.Millisecond))
	if len(first) > 30 {
		t.Errorf("first sync of 1,000 PRs made %d requests; the budget is 30", len(first))
	}
	if perK > 60 {
		t.Errorf("first sync cost %.0f GraphQL points per 1,000 PRs; the budget is 60", perK)
	}
	if maxNodes > 20_000 {
		t.Errorf("a query asked for %d nodes; GitHub times out on heavy queries, keep them under 20,000", maxNodes)
	}
	if rep.requests != len(first) {
		t.Errorf("reported %d requests; the server answered %d", rep.requests, len(first))
	}
	prs, commits, reviews, comments := fakeTotals(repo)
	for table, want := range map[string]int{"pull_requests": prs, "commits": commits, "pr_reviews": reviews, "pr_comments": comments,
		"github_issues": len(repo.Issues)} {
		if got := e.count(table); got != want {
			t.Errorf("%s: stored %d rows, GitHub has %d", table, got, want)
		}
	}
	t.Logf("stored %d PRs, %d commits, %d reviews, %d comments", prs, commits, reviews, comments)

	e.fake.ResetRequests()
	e.clock.t = e.clock.t.Add(15 * time.Minute)
	e.mustSync(e.github, syncer.Recent)
	second := e.fake.Requests()
	cost, _ = points(second)
	t.Logf("second sync, nothing changed: %d requests (%d points)", len(second), cost)
	if len(second) != 1 || second[0].Operation != "RepoChanges" {
		t.Errorf("a sync with nothing changed made %d requests; want one RepoChanges", len(second))
	}
}

func TestActionsSyncOf1000RunsStaysWithinRequestBudget(t *testing.T) {
	e := newEnv(t, "acme/big")
	repo := e.fake.Repo("acme/big")
	e.fake.Generate(repo, githubfake.Bulk{Runs: 1000, Seed: 3})

	rep := e.mustSync(e.actions, syncer.Recent)
	first := e.fake.Requests()
	t.Logf("first sync: %d requests for %d runs", len(first), len(repo.Runs))
	// RepoChanges, the workflows, 10 pages of runs and the GitHub
	// deployments: 13.
	if len(first) > 13 {
		t.Errorf("first sync of 1,000 runs made %d requests; the budget is 13", len(first))
	}
	if got := e.count("workflow_runs"); got != 1000 {
		t.Errorf("stored %d runs, want 1000", got)
	}
	if rep.records["workflow_runs"] != 1000 || rep.records["workflows"] != 3 {
		t.Errorf("reported %v", rep.records)
	}

	// Two runs are still going: the repository is looked at, with
	// conditional requests.
	e.fake.ResetRequests()
	e.mustSync(e.actions, syncer.Recent)
	second := e.fake.Requests()
	t.Logf("second sync, nothing changed but two runs unfinished: %d requests, statuses %v", len(second), statuses(second))
	if s := restStatuses(second); len(second) != 4 || !slices.Equal(s, []int{304, 304, 304}) {
		t.Errorf("a sync with nothing changed answered %v; want RepoChanges and three 304 Not Modified (workflows, runs, deployments)", statuses(second))
	}
}

// An unchanged re-sync of 100 repositories, found with owner/*, costs a
// handful of requests and points in all, not a few per repository.
func TestUnchangedResyncOf100RepositoriesIsNearlyFree(t *testing.T) {
	e := newEnv(t)
	for i := range 100 {
		r := e.fake.AddRepo(&githubfake.Repo{Owner: "acme", Name: fmt.Sprintf("svc-%03d", i)})
		e.fake.Generate(r, githubfake.Bulk{PullRequests: 3, MaxCommits: 2, MaxReviews: 2, MaxComments: 2, Runs: 4,
			RunsFinished: true, Issues: 2, Seed: uint64(i)})
	}
	e.cfg.GitHubRepos = []string{"acme/*"}
	syncBoth(e, syncer.Recent)
	first := e.fake.Requests()
	firstCost, _ := points(first)
	t.Logf("first sync of 100 repositories: %d requests, %d GraphQL points", len(first), firstCost)

	e.clock.t = e.clock.t.Add(15 * time.Minute)
	before := e.dump()
	e.fake.ResetRequests()
	syncBoth(e, syncer.Recent)
	second := e.fake.Requests()
	cost, _ := points(second)
	var ops []string
	for _, r := range second {
		ops = append(ops, r.Method+" "+r.Operation+strings.SplitN(r.Path, "?", 2)[0])
	}
	t.Logf("unchanged re-sync of 100 repositories: %d requests, %d GraphQL points: %v", len(second), cost, ops)
	if len(second) > 10 || cost > 10 {
		t.Errorf("an unchanged re-sync of 100 repositories made %d requests costing %d points; the budget is 10 and 10", len(second), cost)
	}
	if d := diffDumps(before, e.dump()); d != "" {
		t.Errorf("the unchanged re-sync changed the data:\n%s", d)
	}

	// One change in one repository: that one is synced, the others are not.
	r := e.fake.Repo("acme/svc-042")
	pr := r.PullRequests[0]
	e.clock.t = e.clock.t.Add(15 * time.Minute)
	e.fake.Edit(func() { pr.Title, pr.UpdatedAt = "Changed", e.clock.t })
	e.fake.ResetRequests()
	rep := e.mustSync(e.github, syncer.Recent)
	third := e.fake.Requests()
	t.Logf("re-sync with one changed PR: %d requests, records %v", len(third), rep.records)
	if rep.records["pull_requests"] != 1 || len(third) > 4 {
		t.Errorf("one changed PR: stored %v with %d requests; want that PR with at most 4 requests (the listing, RepoChanges, SyncPage, ReviewCommentsBatch)", rep.records, len(third))
	}
}

// restStatuses are the statuses of the REST requests among rs.
func restStatuses(rs []githubfake.Request) []int {
	var out []int
	for _, r := range rs {
		if r.Path != "/graphql" {
			out = append(out, r.Status)
		}
	}
	return out
}

func statuses(rs []githubfake.Request) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Status
	}
	return out
}
