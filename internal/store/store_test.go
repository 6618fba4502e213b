package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// TestRenamedRepository: a repository renamed on GitHub keeps its row (found
// by its GitHub id) and takes the new name; deployments recorded through the
// API under the new name before the next sync join it.
func TestRenamedRepository(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var old, renamed int64
	err := s.Tx(ctx, func(tx *store.Tx) (err error) {
		if old, err = tx.UpsertRepository(ctx, &model.Repository{GitHubID: 42, FullName: "acme/old", DefaultBranch: "main"}); err != nil {
			return err
		}
		placeholder, err := tx.EnsureRepository(ctx, "acme/new")
		if err != nil {
			return err
		}
		if _, err = tx.UpsertDeployment(ctx, &model.Deployment{Source: "api", ExternalID: "d1", RepoID: placeholder, CreatedAt: at, DeployedAt: at}); err != nil {
			return err
		}
		renamed, err = tx.UpsertRepository(ctx, &model.Repository{GitHubID: 42, FullName: "acme/new", DefaultBranch: "main"})
		return err
	})
	if err != nil {
		t.Fatalf("renaming: %v", err)
	}
	if renamed != old {
		t.Errorf("the renamed repository got id %d, was %d", renamed, old)
	}
	if r, err := s.RepositoryByName(ctx, "acme/new"); err != nil || r.ID != old || r.GitHubID != 42 {
		t.Errorf("acme/new: %+v, %v", r, err)
	}
	if _, err := s.RepositoryByName(ctx, "acme/old"); err != store.ErrNotFound {
		t.Errorf("acme/old is still found: %v", err)
	}
	var repos, deps int
	s.DB().QueryRow(`SELECT count(*) FROM repositories`).Scan(&repos)
	s.DB().QueryRow(`SELECT count(*) FROM deployments WHERE repo_id = $1`, old).Scan(&deps)
	if repos != 1 || deps != 1 {
		t.Errorf("%d repositories (want 1), %d deployments on the renamed one (want 1)", repos, deps)
	}
	// A rename onto another synced repository's name is refused, clearly.
	err = s.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.UpsertRepository(ctx, &model.Repository{GitHubID: 43, FullName: "acme/other"}); err != nil {
			return err
		}
		_, err := tx.UpsertRepository(ctx, &model.Repository{GitHubID: 42, FullName: "acme/other"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "renamed to acme/other") {
		t.Errorf("rename onto another repository: %v", err)
	}
}

func TestPublicMessageHidesDatabaseErrors(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	err := s.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO repositories (full_name, full_name_key, owner, name) VALUES ('a/b', 'a/b', 'a', 'b'), ('a/b', 'a/b', 'a', 'b')`)
		return err
	})
	if err == nil {
		t.Fatal("a duplicate key was accepted")
	}
	if msg := store.PublicMessage(fmt.Errorf("acme/web: PR #3: %w", err)); strings.Contains(msg, "full_name_key") ||
		!strings.Contains(msg, "database error") {
		t.Errorf("a database error shows as %q", msg)
	}
	if msg := store.PublicMessage(errors.New("GitHub rejected the token (401 Unauthorized)")); msg != "GitHub rejected the token (401 Unauthorized)" {
		t.Errorf("another error shows as %q", msg)
	}
}

// TestCycleEndsMoveToTheirTable checks migration 0021: the cycle ends that
// linear_issues held move to linear_issue_cycles, with each issue's
// creation, and the column goes.
func TestCycleEndsMoveToTheirTable(t *testing.T) {
	ctx := context.Background()
	url := storetest.URL(t)
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.MigrateBefore(ctx, "0021"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO linear_teams (id, linear_id, key) VALUES (1, 't1', 'ENG')`,
		`INSERT INTO linear_issues (id, team_id, linear_id, identifier, number, created_at, updated_at, cycle_end_at)
			VALUES (1, 1, 'a', 'ENG-1', 1, 1000, 1000, 5000), (2, 1, 'b', 'ENG-2', 2, 2000, 2000, NULL),
			(3, 1, 'c', 'ENG-3', 3, 3000, 3000, 9000)`,
	} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if applied, err := s.Migrate(ctx); err != nil || len(applied) == 0 || applied[0] != "0021_linear_issue_cycles" {
		t.Fatalf("Migrate applied %v, err %v; want 0021_linear_issue_cycles first", applied, err)
	}
	got := storetest.Strings(t, s, `SELECT CAST(issue_id AS TEXT) || ':' || CAST(cycle_end_at AS TEXT) || ':' || CAST(created_at AS TEXT)
		FROM linear_issue_cycles ORDER BY issue_id`)
	if want := "1:5000:1000 3:9000:3000"; strings.Join(got, " ") != want {
		t.Errorf("linear_issue_cycles %q, want %q", strings.Join(got, " "), want)
	}
	if _, err := s.DB().ExecContext(ctx, `SELECT cycle_end_at FROM linear_issues`); err == nil {
		t.Error("linear_issues still has cycle_end_at")
	}
	// The issue's row goes with it.
	if _, err := s.DB().ExecContext(ctx, `DELETE FROM linear_issues WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM linear_issue_cycles`).Scan(&n); err != nil || n != 1 {
		t.Errorf("after deleting an issue, %d cycle ends (err %v), want 1", n, err)
	}
}
