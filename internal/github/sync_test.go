package github

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
)

// medium is enough data for several pages of everything.
var medium = githubfake.Bulk{PullRequests: 230, MaxCommits: 6, MaxReviews: 4, MaxComments: 6, Runs: 260, Issues: 250, Seed: 11}

func newMediumEnv(t *testing.T) *env {
	e := newEnv(t, "acme/web", "acme/api")
	e.fake.Generate(e.fake.Repo("acme/web"), medium)
	e.fake.Generate(e.fake.Repo("acme/api"), githubfake.Bulk{PullRequests: 20, MaxCommits: 2, Runs: 30, Issues: 6, Seed: 12})
	return e
}

func syncBoth(e *env, mode syncer.Mode) {
	e.t.Helper()
	e.mustSync(e.github, mode)
	e.mustSync(e.actions, mode)
}

func TestSyncTwiceChangesNothing(t *testing.T) {
	for _, mode := range []syncer.Mode{syncer.Recent, syncer.Full} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newMediumEnv(t)
			syncBoth(e, mode)
			before := e.dump()
			e.clock.t = e.clock.t.Add(15 * time.Minute)
			syncBoth(e, mode)
			if d := diffDumps(before, e.dump()); d != "" {
				t.Errorf("the second sync changed the data:\n%s", d)
			}
			if n := e.count("pull_requests"); n != 250 {
				t.Errorf("stored %d PRs, want 250", n)
			}
		})
	}
}

// An interrupted sync, run again, ends with exactly the data of a sync
// that was never interrupted: nothing missing, nothing twice.
func TestInterruptedSyncResumes(t *testing.T) {
	want := newMediumEnv(t)
	syncBoth(want, syncer.Recent)
	wantDump := want.dump()

	for _, tc := range []struct {
		name      string
		interrupt func(e *env, cancel context.CancelFunc, afterRequests int) syncer.Reporter
	}{
		{"the server goes down", func(e *env, _ context.CancelFunc, n int) syncer.Reporter {
			e.fake.FailAfter(n)
			return &reporter{}
		}},
		{"the sync is canceled", func(e *env, cancel context.CancelFunc, n int) syncer.Reporter {
			return &cancelingReporter{after: int64(n), cancel: cancel}
		}},
	} {
		for _, c := range []struct {
			name  string
			conn  func(*env) syncer.Connector
			after int
		}{{"github", func(e *env) syncer.Connector { return e.github }, 6}, {"actions", func(e *env) syncer.Connector { return e.actions }, 5}} {
			t.Run(tc.name+"/"+c.name, func(t *testing.T) {
				e := newMediumEnv(t)
				conn := c.conn(e)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				err := conn.Sync(ctx, syncer.Recent, tc.interrupt(e, cancel, c.after))
				if err == nil {
					t.Fatal("the interrupted sync reported success")
				}
				// Repositories sync in parallel (after one RepoChanges or
				// RepoPushes query): after `after` requests, a worker has
				// sent at least three, so it committed its first page.
				web, _ := e.store.SyncState(context.Background(), conn.Name(), "acme/web")
				api, _ := e.store.SyncState(context.Background(), conn.Name(), "acme/api")
				if web.Cursor == "" && api.Cursor == "" {
					t.Fatalf("no cursor after %d requests: nothing was committed", c.after)
				}
				partial := e.count("pull_requests") + e.count("workflow_runs")
				e.fake.FailAfter(-1)
				e.fake.ResetRequests()
				e.rebuild()
				syncBoth(e, syncer.Recent)
				got := e.dump()
				// Only the bookkeeping may differ: a resumed walk does not
				// know the first page's validator.
				for _, table := range []string{"sync_state", "http_cache"} {
					delete(got, table)
				}
				w := map[string][]string{}
				for k, v := range wantDump {
					w[k] = v
				}
				delete(w, "sync_state")
				delete(w, "http_cache")
				if d := diffDumps(w, got); d != "" {
					t.Errorf("after resuming, the data differs from an uninterrupted sync:\n%s", d)
				}
				t.Logf("%d records before the interruption; resumed with %d requests", partial, e.fake.RequestCount())
			})
		}
	}
}

// cancelingReporter cancels the sync as it starts request after+1.
type cancelingReporter struct {
	reporter
	n, after int64
	cancel   context.CancelFunc
}

func (c *cancelingReporter) Requests(n int) {
	if atomic.AddInt64(&c.n, int64(n)) > c.after {
		c.cancel()
	}
}

func TestIncrementalSyncPicksUpOnlyTheChange(t *testing.T) {
	e := newMediumEnv(t)
	syncBoth(e, syncer.Recent)
	repo := e.fake.Repo("acme/web")
	pr := repo.PullRequests[17]
	e.clock.t = e.clock.t.Add(time.Hour)
	e.fake.Edit(func() {
		pr.Title = "Renamed after review"
		pr.UpdatedAt = e.clock.t
		pr.Comments = append(pr.Comments, &githubfake.Comment{Author: githubfake.User("zed"), Body: "late", CreatedAt: e.clock.t})
	})
	e.fake.ResetRequests()
	rep := e.mustSync(e.github, syncer.Recent)
	if rep.records["pull_requests"] != 1 || rep.records["issues"] != 0 {
		t.Errorf("stored %v; want exactly the changed PR", rep.records)
	}
	// One RepoChanges for both repositories (acme/api is unchanged), one
	// SyncPage for acme/web, and the review comments of the changed PR if
	// it has reviews.
	want := []string{"RepoChanges", "SyncPage"}
	if len(pr.Reviews) > 0 {
		want = append(want, "ReviewCommentsBatch")
	}
	var ops []string
	for _, r := range e.fake.Requests() {
		ops = append(ops, r.Operation)
	}
	if !slices.Equal(ops, want) {
		t.Errorf("requests %v, want %v", ops, want)
	}
	var title string
	var comments int
	e.store.DB().QueryRow(`SELECT title, (SELECT count(*) FROM pr_comments c WHERE c.pr_id = p.id AND c.body = 'late')
		FROM pull_requests p WHERE number = $1 AND repo_id = (SELECT id FROM repositories WHERE full_name = 'acme/web')`, pr.Number).Scan(&title, &comments)
	if title != "Renamed after review" || comments != 1 {
		t.Errorf("stored title %q and %d new comments", title, comments)
	}
}

func TestBotReviewerIsStoredWithSuffix(t *testing.T) {
	e := newEnv(t, "acme/web")
	repo := e.fake.Repo("acme/web")
	e.fake.AddPullRequest(repo, &githubfake.PullRequest{Title: "Bump deps", Author: githubfake.Bot("renovate"), CreatedAt: at(-5),
		Reviews: []*githubfake.Review{
			{Author: githubfake.Bot("copilot-pull-request-reviewer"), State: "COMMENTED", SubmittedAt: ptr(at(-4))},
			{Author: githubfake.User("alice"), State: "APPROVED", SubmittedAt: ptr(at(-3))},
		}})
	e.mustSync(e.github, syncer.Recent)
	var author string
	e.store.DB().QueryRow(`SELECT author_login FROM pull_requests`).Scan(&author)
	rows, _ := e.store.DB().Query(`SELECT author_login FROM pr_reviews ORDER BY submitted_at`)
	var reviewers []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		reviewers = append(reviewers, s)
	}
	rows.Close()
	if author != "renovate[bot]" || strings.Join(reviewers, ",") != "copilot-pull-request-reviewer[bot],alice" {
		t.Errorf("author %q, reviewers %q; GraphQL Bots must be stored as name[bot]", author, reviewers)
	}
}

func TestLongPullRequestIsFetchedCompletely(t *testing.T) {
	e := newEnv(t, "acme/web")
	repo := e.fake.Repo("acme/web")
	pr := &githubfake.PullRequest{Title: "Huge", Author: githubfake.User("alice"), CreatedAt: at(-100)}
	for i := range 130 {
		pr.Commits = append(pr.Commits, &githubfake.Commit{SHA: "sha" + itoa(int64(i)), AuthoredAt: at(-200 + i), CommittedAt: at(-200 + i)})
	}
	for i := range 25 {
		rv := &githubfake.Review{Author: githubfake.User("bob"), State: "COMMENTED", SubmittedAt: ptr(at(-90 + i))}
		n := 1
		if i == 3 {
			n = 45 // one review with more comments than a page
		}
		for range n {
			rv.Comments = append(rv.Comments, &githubfake.Comment{Author: githubfake.User("bob"), CreatedAt: at(-90 + i)})
		}
		pr.Reviews = append(pr.Reviews, rv)
	}
	for i := range 60 {
		pr.Comments = append(pr.Comments, &githubfake.Comment{Author: githubfake.User("carol"), CreatedAt: at(-80 + i)})
	}
	e.fake.AddPullRequest(repo, pr)

	e.mustSync(e.github, syncer.Recent)
	for table, want := range map[string]int{"commits": 130, "pr_reviews": 25, "pr_comments": 60 + 24 + 45} {
		if got := e.count(table); got != want {
			t.Errorf("%s: stored %d, want %d", table, got, want)
		}
	}
	var ops []string
	for _, r := range e.fake.Requests() {
		ops = append(ops, r.Operation)
	}
	// One RepoChanges (which also sizes the pages), one SyncPage, one PullRequestMore for the next pages of commits and
	// of the timeline (reviews and comments) together, one
	// ReviewCommentsBatch for the first page of every review's comments,
	// and one ReviewComments for the rest of the review with 45.
	if got := strings.Join(ops, ","); got != "RepoChanges,SyncPage,PullRequestMore,ReviewCommentsBatch,ReviewComments" {
		t.Errorf("requests: %s", got)
	}
}

func TestForcePushedCommitsAreRemoved(t *testing.T) {
	e := newEnv(t, "acme/web")
	pr := e.fake.AddPullRequest(e.fake.Repo("acme/web"), &githubfake.PullRequest{Title: "WIP", CreatedAt: at(-10),
		Commits: []*githubfake.Commit{{SHA: "old1", AuthoredAt: at(-20)}, {SHA: "old2", AuthoredAt: at(-15)}}})
	e.mustSync(e.github, syncer.Recent)
	e.fake.Edit(func() {
		pr.Commits = []*githubfake.Commit{{SHA: "squashed", AuthoredAt: at(-12)}}
		pr.UpdatedAt = at(1)
	})
	e.clock.t = at(2)
	e.mustSync(e.github, syncer.Recent)
	if d := e.dump()["commits"]; len(d) != 1 || !strings.Contains(d[0], "squashed") {
		t.Errorf("commits = %q, want only the squashed commit", d)
	}
}

func TestIssueThatLosesIncidentLabelIsUpdated(t *testing.T) {
	e := newEnv(t, "acme/web")
	is := e.fake.AddIssue(e.fake.Repo("acme/web"), &githubfake.Issue{Title: "Down", Labels: []string{"incident"}, CreatedAt: at(-3)})
	e.mustSync(e.github, syncer.Recent)
	e.fake.Edit(func() { is.Labels, is.UpdatedAt = []string{"question"}, at(1) })
	e.clock.t = at(2)
	e.mustSync(e.github, syncer.Recent)
	if d := e.dump()["github_issues"]; len(d) != 1 || !strings.Contains(d[0], `["question"]`) {
		t.Errorf("issues = %q; the stored issue must show its label is gone", d)
	}
}

// TestIncidentLabelsTakeEffectWithoutRefetch: every issue is stored with
// its labels, so a label added to INCIDENT_LABELS later turns issues
// already synced into incidents at the next derive, with no request.
func TestIncidentLabelsTakeEffectWithoutRefetch(t *testing.T) {
	e := newEnv(t, "acme/web")
	e.fake.AddIssue(e.fake.Repo("acme/web"), &githubfake.Issue{Title: "Checkout down", Labels: []string{"Outage"}, CreatedAt: at(-3)})
	e.fake.AddIssue(e.fake.Repo("acme/web"), &githubfake.Issue{Title: "Typo", Labels: []string{"docs"}, CreatedAt: at(-2)})
	e.mustSync(e.github, syncer.Recent)
	e.fake.ResetRequests()
	incidents := func(labels ...string) []string {
		t.Helper()
		d := derive.New(e.store, derive.Options{DeploymentPatterns: []string{"deploy"}, IncidentLabels: labels, IncidentWindow: time.Hour}, nil)
		if _, err := d.Run(context.Background(), derive.Incremental); err != nil {
			t.Fatal(err)
		}
		return storetest.Strings(t, e.store, `SELECT title FROM incidents ORDER BY title`)
	}
	if got := incidents("incident"); len(got) != 0 {
		t.Errorf("INCIDENT_LABELS=incident: incidents %q, want none", got)
	}
	if got := incidents("incident", "outage"); len(got) != 1 || got[0] != "Checkout down" {
		t.Errorf("INCIDENT_LABELS=incident,outage: incidents %q, want the outage", got)
	}
	if n := e.fake.RequestCount(); n != 0 {
		t.Errorf("the new label took %d requests; it needs none", n)
	}
}

func TestFailingRepoDoesNotStopTheOthers(t *testing.T) {
	e := newEnv(t, "acme/web")
	e.cfg.GitHubRepos = []string{"acme/gone", "acme/web"} // GitHub has no acme/gone
	e.fake.AddPullRequest(e.fake.Repo("acme/web"), &githubfake.PullRequest{Title: "x", CreatedAt: at(-1)})
	for _, c := range []syncer.Connector{e.github, e.actions} {
		_, err := e.sync(c, syncer.Recent)
		if err == nil || !strings.Contains(err.Error(), "acme/gone") {
			t.Errorf("%s: err = %v, want one naming acme/gone", c.Name(), err)
		}
		ctx := context.Background()
		bad, _ := e.store.SyncState(ctx, c.Name(), "acme/gone")
		good, _ := e.store.SyncState(ctx, c.Name(), "acme/web")
		if bad.LastError == "" || bad.LastSuccessAt != nil || good.LastSuccessAt == nil || good.LastError != "" {
			t.Errorf("%s: state of the failing repo %+v, of the good one %+v", c.Name(), bad, good)
		}
	}
	if e.count("pull_requests") != 1 {
		t.Error("the good repository was not synced")
	}
}

func TestTestConnection(t *testing.T) {
	e := newEnv(t, "acme/web")
	ctx := context.Background()
	for _, c := range []syncer.Connector{e.github, e.actions} {
		if err := c.TestConnection(ctx); err != nil {
			t.Errorf("%s: %v", c.Name(), err)
		}
	}
	if n := e.fake.RequestCount(); n != 2 {
		t.Errorf("%d requests, want one per connector", n)
	}
	e.cfg.GitHubToken = "ghp_revoked"
	e.rebuild()
	for _, c := range []syncer.Connector{e.github, e.actions} {
		if err := c.TestConnection(ctx); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s with a bad token: %v", c.Name(), err)
		}
	}
}

func TestConfigured(t *testing.T) {
	e := newEnv(t, "acme/web")
	if ok, _ := e.github.Configured(); !ok {
		t.Error("github connector not configured with a token and repos")
	}
	e.cfg.GitHubToken = ""
	for _, c := range []syncer.Connector{e.github, e.actions} {
		if ok, why := c.Configured(); ok || why != "GITHUB_TOKEN is not set" {
			t.Errorf("%s: %v %q", c.Name(), ok, why)
		}
	}
}
