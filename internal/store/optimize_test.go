package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestOptimizeGathersStatistics checks that Optimize leaves the planner
// statistics of a table that has rows: sqlite_stat1 rows on SQLite, a row
// estimate in pg_class on PostgreSQL (-1 until the first ANALYZE).
func TestOptimizeGathersStatistics(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	err := st.Tx(ctx, func(tx *store.Tx) error {
		repo, err := tx.UpsertRepository(ctx, &model.Repository{GitHubID: 1, FullName: "acme/web", DefaultBranch: "main"})
		if err != nil {
			return err
		}
		prs := make([]model.PullRequest, 200)
		for i := range prs {
			prs[i] = model.PullRequest{RepoID: repo, Number: i + 1, Title: "PR", State: model.PRStateOpen,
				AuthorLogin: fmt.Sprint("dev", i%7), CreatedAt: at, UpdatedAt: at}
		}
		return tx.InsertPullRequests(ctx, prs)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Optimize(ctx, "pull_requests"); err != nil {
		t.Fatal(err)
	}
	query := `SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'pull_requests'`
	if st.Dialect() == store.Postgres {
		query = `SELECT CASE WHEN reltuples >= 0 THEN 1 ELSE 0 END FROM pg_class WHERE oid = 'pull_requests'::regclass`
	}
	var n int
	if err := st.DB().QueryRowContext(ctx, query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no planner statistics for pull_requests after Optimize (%s)", query)
	}
}
