package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

func TestSourceCounts(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	err := s.Tx(ctx, func(tx *store.Tx) error {
		repoID, err := tx.UpsertRepository(ctx, &model.Repository{GitHubID: 1, FullName: "acme/web"})
		if err != nil {
			return err
		}
		// Named by POST /deployments only: not a synced repository.
		other, err := tx.EnsureRepository(ctx, "acme/elsewhere")
		if err != nil {
			return err
		}
		pr := &model.PullRequest{Number: 1, State: model.PRStateOpen, CreatedAt: at, UpdatedAt: at}
		prID, err := tx.UpsertPullRequest(ctx, repoID, pr)
		if err != nil {
			return err
		}
		if err := tx.UpsertReviews(ctx, prID, []model.Review{
			{GitHubID: "R1", State: model.ReviewApproved, SubmittedAt: &at},
			{GitHubID: "R2", State: model.ReviewCommented, SubmittedAt: &at},
		}); err != nil {
			return err
		}
		if err := tx.UpsertCommits(ctx, prID, []model.Commit{{SHA: "c1", AuthoredAt: at, CommittedAt: at}}); err != nil {
			return err
		}
		_, err = tx.UpsertDeployment(ctx, &model.Deployment{Source: "api", ExternalID: "d1", RepoID: other, CreatedAt: at, DeployedAt: at})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		source string
		want   map[string]int64
	}{
		{"github", map[string]int64{"repositories": 1, "pull_requests": 1, "reviews": 2, "comments": 0, "commits": 1, "issues": 0}},
		{"actions", map[string]int64{"workflows": 0, "workflow_runs": 0, "deployments": 0}},
		{"linear", map[string]int64{"teams": 0, "issues": 0, "attachments": 0}},
		{"gitlab", nil},
	}
	for _, tc := range tests {
		got, err := s.SourceCounts(ctx, tc.source)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.source, got, err, tc.want)
		}
	}
}

// BenchmarkSourceCounts prints how long the status page's counts take over
// a large GitHub dataset (the dashboard polls it during a sync).
func BenchmarkSourceCounts(b *testing.B) {
	ctx := context.Background()
	s := storetest.New(b)
	const prs, perPR = 100_000, 5
	start := time.Now()
	err := s.Tx(ctx, func(tx *store.Tx) error {
		repoID, err := tx.UpsertRepository(ctx, &model.Repository{GitHubID: 1, FullName: "acme/web"})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
			INSERT INTO pull_requests (repo_id, number, state, created_at, updated_at) SELECT $2, i, 'open', i, i FROM n`,
			prs, repoID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
			INSERT INTO commits (pr_id, sha, authored_at, committed_at)
			SELECT p.id, p.id || '-' || n.i, 0, 0 FROM pull_requests p, n`, perPR)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d PRs and %d commits in %s", prs, prs*perPR, time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	for b.Loop() {
		counts, err := s.SourceCounts(ctx, "github")
		if err != nil || counts["commits"] != prs*perPR {
			b.Fatal(counts, err)
		}
	}
}
