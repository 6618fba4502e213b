package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

func TestBulkInserts(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var repos [2]int64
	err := s.Tx(ctx, func(tx *store.Tx) error {
		for i := range repos {
			var err error
			if repos[i], err = tx.UpsertRepository(ctx, &model.Repository{GitHubID: int64(100 + i), FullName: fmt.Sprintf("acme/r%d", i), DefaultBranch: "main"}); err != nil {
				return err
			}
		}
		if _, err := tx.UpsertWorkflow(ctx, repos[0], &model.Workflow{GitHubID: 7, Name: "Deploy"}); err != nil {
			return err
		}
		_, err := tx.UpsertLinearTeam(ctx, &model.LinearTeam{LinearID: "team-1", Key: "ENG"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// More PRs than one statement takes, so the inserts are split.
	const n = 250
	prs := make([]model.PullRequest, n)
	for i := range prs {
		merged := t0.Add(time.Duration(i) * time.Hour)
		prs[i] = model.PullRequest{
			RepoID: repos[i%2], Number: i + 1, Title: fmt.Sprintf("PR %d", i), State: model.PRStateMerged,
			AuthorLogin: "alice", BaseBranch: "main", MergeCommitSHA: fmt.Sprintf("m%d", i), Labels: []string{"bug"},
			CreatedAt: t0, UpdatedAt: merged, MergedAt: &merged, ClosedAt: &merged,
			Reviews: []model.Review{
				{GitHubID: fmt.Sprintf("R%d", i), AuthorLogin: "bob", State: model.ReviewApproved, SubmittedAt: &merged},
				{GitHubID: fmt.Sprintf("P%d", i), AuthorLogin: "carol", State: model.ReviewPending},
			},
			Comments: []model.Comment{{GitHubID: fmt.Sprintf("C%d", i), Kind: model.CommentIssue, AuthorLogin: "", Body: "hi", CreatedAt: t0}},
			Commits:  []model.Commit{{SHA: fmt.Sprintf("c%d", i), AuthorLogin: "alice", AuthoredAt: t0, CommittedAt: t0}},
		}
	}
	runs := []model.WorkflowRun{{RepoID: repos[0], WorkflowGitHubID: 7, GitHubID: 70, Status: "completed",
		Conclusion: "success", HeadSHA: "m3", CreatedAt: t0, UpdatedAt: t0.Add(5 * time.Minute)}}
	issues := []model.Issue{{RepoID: repos[1], GitHubID: 90, Number: 900, Title: "Down", State: "open",
		Labels: []string{"incident"}, CreatedAt: t0, UpdatedAt: t0}}
	linear := []model.LinearIssue{{LinearID: "li-1", TeamLinearID: "team-1", Identifier: "ENG-1", Number: 1,
		StateType: "completed", CreatedAt: t0, UpdatedAt: t0,
		Attachments: []model.LinearAttachment{{LinearID: "a-1", URL: "https://github.com/acme/r0/pull/1", SourceType: "github"}}}}
	err = s.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertPullRequests(ctx, prs); err != nil {
			return err
		}
		if err := tx.InsertWorkflowRuns(ctx, runs); err != nil {
			return err
		}
		if err := tx.InsertIssues(ctx, issues); err != nil {
			return err
		}
		return tx.InsertLinearIssues(ctx, linear)
	})
	if err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"pull_requests": n, "pr_reviews": 2 * n, "pr_comments": n, "commits": n,
		"workflow_runs": 1, "github_issues": 1, "linear_issues": 1, "linear_attachments": 1} {
		var got int
		s.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&got)
		if got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
	// IDs are set, children hang off the right parent, and the new rows
	// wait for a full derive: not flagged one by one, but with the key set.
	var due string
	if err := s.DB().QueryRow(`SELECT value FROM app_state WHERE key = $1`, store.FullDeriveKey).Scan(&due); err != nil {
		t.Errorf("no full derive is due after bulk inserts: %v", err)
	}
	for _, i := range []int{0, 99, 100, 249} {
		var number int
		var title, merge string
		var dirty bool
		if err := s.DB().QueryRow(`SELECT number, title, merge_commit_sha, dirty FROM pull_requests WHERE id = $1`, prs[i].ID).
			Scan(&number, &title, &merge, &dirty); err != nil {
			t.Fatalf("PR %d (id %d): %v", i, prs[i].ID, err)
		}
		if number != i+1 || title != prs[i].Title || merge != prs[i].MergeCommitSHA || dirty {
			t.Errorf("PR id %d holds #%d %q %q dirty=%v, want #%d %q", prs[i].ID, number, title, merge, dirty, i+1, prs[i].Title)
		}
		var reviewer string
		s.DB().QueryRow(`SELECT author_login FROM pr_reviews WHERE github_id = $1 AND pr_id = $2`, fmt.Sprintf("R%d", i), prs[i].ID).Scan(&reviewer)
		if reviewer != "bob" {
			t.Errorf("review R%d is not on PR id %d", i, prs[i].ID)
		}
	}
	var pendingWithTime, anonymous int
	s.DB().QueryRow(`SELECT count(*) FROM pr_reviews WHERE state = 'PENDING' AND submitted_at IS NOT NULL`).Scan(&pendingWithTime)
	s.DB().QueryRow(`SELECT count(*) FROM pr_comments WHERE author_login IS NULL`).Scan(&anonymous)
	if pendingWithTime != 0 || anonymous != n {
		t.Errorf("%d pending reviews with a time, %d comments with a NULL author (want 0 and %d)", pendingWithTime, anonymous, n)
	}
	if linear[0].ID == 0 {
		t.Error("InsertLinearIssues did not set the issue's id")
	}
	// The attachment's PR key is written with it.
	if got := storetest.Strings(t, s, `SELECT coalesce(pr_key, 'NULL') FROM linear_attachments`); len(got) != 1 || got[0] != "acme/r0#1" {
		t.Errorf("the attachment's pr_key is %v, want acme/r0#1", got)
	}
	// And by the upsert of a sync: NULL for a URL that names no PR.
	err = s.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.UpsertLinearIssue(ctx, &model.LinearIssue{LinearID: "li-1", TeamLinearID: "team-1", Identifier: "ENG-1",
			Number: 1, StateType: "completed", CreatedAt: t0, UpdatedAt: t0, Attachments: []model.LinearAttachment{
				{LinearID: "a-1", URL: "https://github.com/acme/r0/pull/2/files", SourceType: "github"},
				{LinearID: "a-2", URL: "https://example.com/doc", SourceType: "web"}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := storetest.Strings(t, s, `SELECT linear_id || ' ' || coalesce(pr_key, 'NULL') FROM linear_attachments ORDER BY linear_id`); strings.Join(got, ", ") != "a-1 acme/r0#2, a-2 NULL" {
		t.Errorf("after the upsert, the attachments' PR keys are %v, want a-1 acme/r0#2, a-2 NULL", got)
	}

	// Records already stored are refused, and the transaction is undone.
	err = s.Tx(ctx, func(tx *store.Tx) error { return tx.InsertPullRequests(ctx, prs[:1]) })
	if err == nil {
		t.Error("inserting a stored PR again succeeded")
	}
	err = s.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertWorkflowRuns(ctx, []model.WorkflowRun{{RepoID: repos[0], WorkflowGitHubID: 8, GitHubID: 71, Status: "queued", CreatedAt: t0, UpdatedAt: t0}})
	})
	if err == nil || !strings.Contains(err.Error(), "workflow 8") {
		t.Errorf("a run of an unknown workflow: %v", err)
	}
	err = s.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertLinearIssues(ctx, []model.LinearIssue{{LinearID: "li-2", TeamLinearID: "nope", Identifier: "X-1", CreatedAt: t0, UpdatedAt: t0}})
	})
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("an issue of an unknown team: %v", err)
	}
}

func TestBulkLoadRestoresSettings(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	for _, c := range []struct {
		name string
		bulk func(context.Context, func() error) error
		// cache: whether it enlarges the page cache (a full derive must
		// not: its peak RSS would pass 512 MiB).
		cache bool
	}{{"BulkLoad", s.BulkLoad, true}, {"BulkDerive", s.BulkDerive, false}} {
		if s.Dialect() != store.SQLite {
			// PostgreSQL runs the function as it is.
			ran := false
			if err := c.bulk(ctx, func() error { ran = true; return nil }); err != nil || !ran {
				t.Fatalf("%s: ran %v, %v", c.name, ran, err)
			}
			continue
		}
		pragma := func(name string) string {
			var v string
			err := s.Tx(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, "PRAGMA "+name).Scan(&v) })
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		before, cacheBefore := pragma("wal_autocheckpoint"), pragma("cache_size")
		var during, cacheDuring string
		err := c.bulk(ctx, func() error {
			during, cacheDuring = pragma("wal_autocheckpoint"), pragma("cache_size")
			return fmt.Errorf("boom")
		})
		if err == nil || err.Error() != "boom" {
			t.Errorf("%s returned %v, want fn's error", c.name, err)
		}
		if during == before {
			t.Errorf("%s: wal_autocheckpoint %s during it, as before it", c.name, during)
		}
		if (cacheDuring != cacheBefore) != c.cache {
			t.Errorf("%s: cache_size %s during it, %s before", c.name, cacheDuring, cacheBefore)
		}
		if after := pragma("wal_autocheckpoint"); after != before {
			t.Errorf("%s: wal_autocheckpoint %s after it, %s before", c.name, after, before)
		}
		if after := pragma("cache_size"); after != cacheBefore {
			t.Errorf("%s: cache_size %s after it, %s before", c.name, after, cacheBefore)
		}
	}
}

func TestClearTables(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var repo int64
	err := s.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if repo, err = tx.EnsureRepository(ctx, "acme/web"); err != nil {
			return err
		}
		_, err = tx.UpsertPullRequest(ctx, repo, &model.PullRequest{Number: 1, State: model.PRStateOpen, CreatedAt: t0, UpdatedAt: t0})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := func(table string) int {
		var n int
		s.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n)
		return n
	}

	// Leaving out a table that refers to a cleared one fails, and undoes
	// everything.
	err = s.ClearTx(ctx, func(tx *store.Tx) error { return tx.ClearTables(ctx, "repositories") })
	if err == nil {
		t.Fatal("clearing repositories but not the PRs that refer to them succeeded")
	}
	if rows("repositories") != 1 || rows("pull_requests") != 1 {
		t.Fatalf("a failed clear changed the data: %d repositories, %d PRs", rows("repositories"), rows("pull_requests"))
	}
	// Foreign keys are enforced again afterwards.
	err = s.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.UpsertPullRequest(ctx, repo+1000, &model.PullRequest{Number: 2, State: model.PRStateOpen, CreatedAt: t0, UpdatedAt: t0})
		return err
	})
	if err == nil {
		t.Error("after ClearTx, a PR of a missing repository was accepted")
	}

	// Every table that refers to the PRs and repositories, empty or not.
	all := []string{"pr_mentions", "linear_issue_prs", "pr_facts", "incidents", "deployments", "commits", "pr_comments",
		"pr_reviews", "pull_requests", "workflow_runs", "workflows", "github_issues", "github_deployment_statuses",
		"github_deployments", "repositories"}
	if err := s.ClearTx(ctx, func(tx *store.Tx) error { return tx.ClearTables(ctx, all...) }); err != nil {
		t.Fatal(err)
	}
	if rows("repositories") != 0 || rows("pull_requests") != 0 {
		t.Errorf("after clearing: %d repositories, %d PRs", rows("repositories"), rows("pull_requests"))
	}
	// Ids start again.
	err = s.Tx(ctx, func(tx *store.Tx) error {
		id, err := tx.EnsureRepository(ctx, "acme/api")
		if err == nil && id != 1 {
			t.Errorf("first repository after clearing has id %d, want 1", id)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
