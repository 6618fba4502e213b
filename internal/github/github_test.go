package github

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/syncer"
)

func at(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

func ptr[T any](v T) *T { return &v }

// seedSmall adds one fully-populated PR, an incident issue and an ordinary
// issue to repo.
func seedSmall(f *githubfake.Server, repo *githubfake.Repo) *githubfake.PullRequest {
	merged := at(-20)
	pr := f.AddPullRequest(repo, &githubfake.PullRequest{
		Title: "Add login", Body: "Fixes ENG-12", Author: githubfake.User("alice"), Draft: false,
		HeadRef: "feature/login", HeadSHA: "aaaa1111", MergeCommitSHA: "mmmm2222", State: githubfake.Merged,
		Additions: 120, Deletions: 30, ChangedFiles: 4, Labels: []string{"hotfix", "backend"},
		CreatedAt: at(-50), UpdatedAt: at(-19), MergedAt: &merged, ClosedAt: &merged,
		ReadyForReview: []time.Time{at(-49), at(-45)},
		Commits: []*githubfake.Commit{
			{SHA: "c1", Message: "First step\n\nbody", AuthorName: "Alice A", AuthorLogin: "alice", AuthoredAt: at(-60), CommittedAt: at(-55)},
			{SHA: "c2", Message: "Second step", AuthorName: "Someone", AuthoredAt: at(-52), CommittedAt: at(-51)},
		},
		Reviews: []*githubfake.Review{
			{Author: githubfake.Bot("dependabot"), State: "COMMENTED", Body: "bot says hi", SubmittedAt: ptr(at(-48))},
			{Author: githubfake.User("bob"), State: "APPROVED", SubmittedAt: ptr(at(-30)),
				Comments: []*githubfake.Comment{{Author: githubfake.User("bob"), Body: "nit", CreatedAt: at(-30)}}},
		},
		Comments: []*githubfake.Comment{{Author: githubfake.User("carol"), Body: "LGTM", CreatedAt: at(-40)}},
	})
	f.AddIssue(repo, &githubfake.Issue{Title: "Outage", Labels: []string{"Incident"}, CreatedAt: at(-10), UpdatedAt: at(-8),
		State: githubfake.Closed, ClosedAt: ptr(at(-8))})
	f.AddIssue(repo, &githubfake.Issue{Title: "Typo", Labels: []string{"docs"}, CreatedAt: at(-9)})
	return pr
}

func TestGitHubSyncStoresPullRequestsFaithfully(t *testing.T) {
	e := newEnv(t, "acme/web")
	seedSmall(e.fake, e.fake.Repo("acme/web"))

	rep := e.mustSync(e.github, syncer.Recent)
	ctx := context.Background()

	repo, err := e.store.RepositoryByName(ctx, "acme/web")
	if err != nil {
		t.Fatal(err)
	}
	if repo.DefaultBranch != "main" || repo.GitHubID == 0 || repo.Description != "The web service" {
		t.Errorf("repository = %+v", repo)
	}
	d := e.dump()
	want := map[string][]string{
		"pull_requests": {"acme/web | 1 | " + e.fake.Repo("acme/web").PullRequests[0].NodeID +
			" | Add login | Fixes ENG-12 | merged | 0 | alice | feature/login | main | aaaa1111 | mmmm2222 | 120 | 30 | 4 | 2 | " +
			`["hotfix","backend"] | https://github.com/acme/web/pull/1 | ` + ms(at(-50)) + " | " + ms(at(-19)) + " | " +
			ms(at(-20)) + " | " + ms(at(-20)) + " | " + ms(at(-45))},
		"commits": {
			"1 | c1 | First step | alice | Alice A | " + ms(at(-60)) + " | " + ms(at(-55)),
			"1 | c2 | Second step | <nil> | Someone | " + ms(at(-52)) + " | " + ms(at(-51)),
		},
	}
	for table, rows := range want {
		if strings.Join(d[table], "\n") != strings.Join(rows, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", table, d[table], rows)
		}
	}
	reviews := strings.Join(d["pr_reviews"], "\n")
	if !strings.Contains(reviews, "dependabot[bot] | COMMENTED") || !strings.Contains(reviews, "bob | APPROVED") {
		t.Errorf("reviews = %q; the Bot reviewer must be stored as dependabot[bot]", d["pr_reviews"])
	}
	comments := strings.Join(d["pr_comments"], "\n")
	if !strings.Contains(comments, "issue | carol | LGTM") || !strings.Contains(comments, "review | bob | nit") {
		t.Errorf("comments = %q; want the conversation comment and the review comment", d["pr_comments"])
	}
	if got := d["github_issues"]; len(got) != 2 || !strings.Contains(got[0], `Outage | closed | ["Incident"]`) ||
		!strings.Contains(got[1], `Typo | open | ["docs"]`) {
		t.Errorf("issues = %q; want both, with their labels (the derive step picks the incidents)", got)
	}
	if rep.records["pull_requests"] != 1 || rep.records["commits"] != 2 || rep.records["reviews"] != 2 ||
		rep.records["comments"] != 2 || rep.records["issues"] != 2 {
		t.Errorf("reported records = %v", rep.records)
	}
	if rep.requests != 3 || e.fake.RequestCount() != 3 {
		t.Errorf("requests: reported %d, server saw %d; want 3 (RepoChanges, SyncPage, ReviewCommentsBatch)", rep.requests, e.fake.RequestCount())
	}
	st, _ := e.store.SyncState(ctx, "github", "acme/web")
	if st.LastSuccessAt == nil || st.LastError != "" {
		t.Errorf("sync state = %+v", st)
	}
}

// ms is a time as the store keeps it.
func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
