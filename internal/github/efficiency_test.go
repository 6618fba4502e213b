package github

import (
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

func TestGitHubSyncOf1000PRsStaysWithinRequestBudget(t *testing.T) {
	e := newEnv(t, "acme/big")
	repo := e.fake.Repo("acme/big")
	e.fake.Generate(repo, bulk)

	start := time.Now()
	rep := e.mustSync(e.github, syncer.Recent)
	first := e.fake.Requests()
	var cost, maxNodes int
	for _, r := range first {
		cost += r.Cost
		maxNodes = max(maxNodes, r.Nodes)
	}
	t.Logf("first sync: %d requests (%d PRs), %d GraphQL points, at most %d nodes per query, %v",
		len(first), len(repo.PullRequests), cost, maxNodes, time.Since(start).Round(time.Millisecond))
	if len(first) > 30 {
		t.Errorf("first sync of 1,000 PRs made %d requests; the budget is 30", len(first))
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
	e.mustSync(e.github, syncer.Recent)
	second := e.fake.Requests()
	t.Logf("second sync, nothing changed: %d requests (%d points)", len(second), second[0].Cost)
	if len(second) > 2 {
		t.Errorf("a sync with nothing changed made %d requests; the budget is 2 per repo", len(second))
	}
}

func TestActionsSyncOf1000RunsStaysWithinRequestBudget(t *testing.T) {
	e := newEnv(t, "acme/big")
	repo := e.fake.Repo("acme/big")
	e.fake.Generate(repo, githubfake.Bulk{Runs: 1000, Seed: 3})

	rep := e.mustSync(e.actions, syncer.Recent)
	first := e.fake.Requests()
	t.Logf("first sync: %d requests for %d runs", len(first), len(repo.Runs))
	if len(first) > 12 {
		t.Errorf("first sync of 1,000 runs made %d requests; the budget is 12", len(first))
	}
	if got := e.count("workflow_runs"); got != 1000 {
		t.Errorf("stored %d runs, want 1000", got)
	}
	if rep.records["workflow_runs"] != 1000 || rep.records["workflows"] != 3 {
		t.Errorf("reported %v", rep.records)
	}

	e.fake.ResetRequests()
	e.mustSync(e.actions, syncer.Recent)
	second := e.fake.Requests()
	t.Logf("second sync, nothing changed: %d requests, statuses %v", len(second), statuses(second))
	if len(second) > 3 {
		t.Errorf("a sync with nothing changed made %d requests; want at most 3 (workflows, runs, deployments)", len(second))
	}
	for _, r := range second {
		if r.Status != 304 {
			t.Errorf("%s answered %d; want 304 Not Modified", r.Path, r.Status)
		}
	}
}

func statuses(rs []githubfake.Request) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Status
	}
	return out
}
