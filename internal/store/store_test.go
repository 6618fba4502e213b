package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	url := storetest.URL(t)
	s := storetest.Open(t, url) // applies everything
	pending, err := s.PendingMigrations(ctx)
	if err != nil || len(pending) != 0 {
		t.Fatalf("after Migrate: pending %v, err %v", pending, err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second Migrate applied %v, want nothing", applied)
	}
	// A second process opening the same database sees it migrated too.
	s2, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if applied, err := s2.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("Migrate from a second handle: applied %v, err %v", applied, err)
	}
}

func TestUpsertsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	merged := created.Add(26 * time.Hour)
	submitted := created.Add(3 * time.Hour)
	pr := model.PullRequest{
		Number: 7, Title: "Add login", State: model.PRStateMerged, AuthorLogin: "alice",
		HeadBranch: "eng-12-login", BaseBranch: "main", MergeCommitSHA: "abc123", Additions: 10, Deletions: 2,
		Labels: []string{"hotfix"}, CreatedAt: created, UpdatedAt: merged, MergedAt: &merged,
		Reviews:  []model.Review{{GitHubID: "R1", AuthorLogin: "bob", State: model.ReviewApproved, SubmittedAt: &submitted}},
		Comments: []model.Comment{{GitHubID: "C1", Kind: model.CommentIssue, AuthorLogin: "bob", Body: "LGTM", CreatedAt: submitted}},
		Commits:  []model.Commit{{SHA: "c1", AuthorLogin: "alice", AuthoredAt: created.Add(-time.Hour), CommittedAt: created}},
	}
	var ids [2]int64
	for i := range ids {
		err := s.Tx(ctx, func(tx *store.Tx) error {
			repoID, err := tx.UpsertRepository(ctx, &model.Repository{GitHubID: 42, FullName: "Acme/Web", DefaultBranch: "main"})
			if err != nil {
				return err
			}
			p := pr
			ids[i], err = tx.UpsertPullRequest(ctx, repoID, &p)
			return err
		})
		if err != nil {
			t.Fatalf("upsert %d: %v", i, err)
		}
	}
	if ids[0] != ids[1] {
		t.Fatalf("second upsert gave id %d, first %d", ids[1], ids[0])
	}
	for table, want := range map[string]int{"repositories": 1, "pull_requests": 1, "pr_reviews": 1, "pr_comments": 1, "commits": 1} {
		var n int
		if err := s.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s has %d rows after two upserts, want %d", table, n, want)
		}
	}
	var mergedAt int64
	var labels string
	if err := s.DB().QueryRow(`SELECT merged_at, labels FROM pull_requests WHERE id = $1`, ids[0]).Scan(&mergedAt, &labels); err != nil {
		t.Fatal(err)
	}
	if got := store.FromMS(mergedAt); !got.Equal(merged) {
		t.Errorf("merged_at round-trips as %v, want %v", got, merged)
	}
	if labels != `["hotfix"]` {
		t.Errorf("labels stored as %s", labels)
	}
	// The repository is found by name whatever its case.
	r, err := s.RepositoryByName(ctx, "acme/web")
	if err != nil || r.FullName != "Acme/Web" || r.GitHubID != 42 {
		t.Fatalf("RepositoryByName: %+v, %v", r, err)
	}
	if _, err := s.Repository(ctx, 9999); err != store.ErrNotFound {
		t.Fatalf("Repository(9999): err %v, want ErrNotFound", err)
	}
}

func TestRunNeedsItsWorkflow(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	err := s.Tx(ctx, func(tx *store.Tx) error {
		repoID, err := tx.EnsureRepository(ctx, "acme/api")
		if err != nil {
			return err
		}
		_, err = tx.UpsertWorkflowRun(ctx, repoID, &model.WorkflowRun{GitHubID: 1, WorkflowGitHubID: 99, Status: "completed",
			CreatedAt: time.Now(), UpdatedAt: time.Now()})
		return err
	})
	if err == nil {
		t.Fatal("a run of an unknown workflow was stored")
	}
	var n int
	s.DB().QueryRow(`SELECT count(*) FROM repositories`).Scan(&n)
	if n != 0 {
		t.Fatalf("the failed transaction left %d repositories behind", n)
	}
}

func TestSyncState(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	st, err := s.SyncState(ctx, "github", "acme/web")
	if err != nil || st.Cursor != "" || st.LastSuccessAt != nil {
		t.Fatalf("fresh state: %+v, %v", st, err)
	}
	if err := s.MarkSyncStarted(ctx, "github", "acme/web"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.SetSyncCursor(ctx, "github", "acme/web", "2026-01-01T00:00:00Z") }); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSyncFailed(ctx, "github", "acme/web", "boom"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSyncSucceeded(ctx, "github", "acme/web"); err != nil {
		t.Fatal(err)
	}
	st, err = s.SyncState(ctx, "github", "acme/web")
	if err != nil {
		t.Fatal(err)
	}
	if st.Cursor != "2026-01-01T00:00:00Z" || st.LastStartedAt == nil || st.LastSuccessAt == nil || st.LastError != "" {
		t.Fatalf("state after a failure then a success: %+v", st)
	}
}
