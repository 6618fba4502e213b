package scenario

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/store"
)

// The benchmark dataset: a year of 1,000,000 PRs and 100,000 deployments
// over 20 repos, with incidents and Linear issues, ending at BenchmarkEnd.
const (
	benchPRs         = 1_000_000
	benchDeployments = 100_000
	benchIssues      = 100_000
	benchIncidents   = 5_000
	benchRepos       = 20
)

// BenchmarkEnd is the end of the benchmark dataset's year.
var BenchmarkEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// FillBenchmark writes the benchmark dataset straight into the fact tables
// with set-based SQL (the derive step's output, which is what the metrics
// read), fast enough for a benchmark's setup.
func FillBenchmark(b testing.TB, st *store.Store) {
	b.Helper()
	start := time.Now()
	year := int64(365 * 24 * time.Hour / time.Millisecond)
	t0 := store.MS(BenchmarkEnd) - year
	stmts := []string{
		`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[5]d)
		 INSERT INTO repositories (github_id, full_name, full_name_key, owner, name, default_branch)
		 SELECT i, 'acme/r' || i, 'acme/r' || i, 'acme', 'r' || i, 'main' FROM seq`,
		`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[2]d)
		 INSERT INTO deployments (source, external_id, repo_id, created_at, deployed_at, recorded_at, failed, is_rework)
		 SELECT 'api', 'd' || i, 1 + i %% %[5]d, %[6]d + i * (%[7]d / %[2]d), %[6]d + i * (%[7]d / %[2]d) + 600000, 0,
		        i %% 9 = 0, i %% 13 = 0 FROM seq`,
		`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[1]d)
		 INSERT INTO pull_requests (repo_id, number, state, author_login, created_at, updated_at, merged_at, dirty)
		 SELECT 1 + i %% %[5]d, i, 'merged', 'dev' || (i %% 40), %[6]d + i * (%[7]d / %[1]d) - 86400000,
		        %[6]d + i * (%[7]d / %[1]d), %[6]d + i * (%[7]d / %[1]d), FALSE FROM seq`,
		`INSERT INTO pr_facts (pr_id, repo_id, author_login, created_at, merged_at, to_default_branch, first_commit_at,
		   first_review_at, deployment_id, deployed_at, undeployed, is_rework, size)
		 SELECT p.id, p.repo_id, p.author_login, p.created_at, p.merged_at, TRUE, p.created_at - (p.id %% 50) * 3600000,
		        CASE WHEN p.id %% 5 = 0 THEN NULL ELSE p.created_at + (p.id %% 30) * 600000 END,
		        NULL, p.merged_at + (p.id %% 48) * 1800000, FALSE, p.id %% 97 = 0, p.id %% 700
		 FROM pull_requests p`,
		`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[4]d)
		 INSERT INTO incidents (source, external_id, repo_id, opened_at, resolved_at, recorded_at)
		 SELECT 'api', 'i' || i, 1 + i %% %[5]d, %[6]d + i * (%[7]d / %[4]d), %[6]d + i * (%[7]d / %[4]d) + (i %% 20) * 1800000, 0 FROM seq`,
		`INSERT INTO linear_teams (linear_id, key, name) VALUES ('t1', 'ENG', 'Engineering')`,
		`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[3]d)
		 INSERT INTO linear_issues (team_id, linear_id, identifier, number, created_at, updated_at, completed_at, dirty)
		 SELECT 1, 'l' || i, 'ENG-' || i, i, %[6]d + i * (%[7]d / %[3]d) - 5 * 86400000, %[6]d + i * (%[7]d / %[3]d),
		        %[6]d + i * (%[7]d / %[3]d), FALSE FROM seq`,
		`INSERT INTO linear_issue_cycles (issue_id, cycle_end_at, created_at)
		 SELECT id, completed_at - (id %% 7) * 3600000, created_at FROM linear_issues`,
		`INSERT INTO linear_issue_prs (issue_id, pr_id, via) SELECT id, id * 10, 'identifier' FROM linear_issues`,
	}
	ctx := context.Background()
	for _, s := range stmts {
		q := s
		if strings.Contains(s, "%[") {
			q = fmt.Sprintf(s, benchPRs, benchDeployments, benchIssues, benchIncidents, benchRepos, t0, year)
		} else {
			q = strings.ReplaceAll(s, "%%", "%")
		}
		if err := st.Tx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, q); return err }); err != nil {
			b.Fatalf("filling: %v\n%s", err, q)
		}
	}
	// No hand tuning (no VACUUM, no ANALYZE of our own): the statistics are
	// those the product keeps itself after a derive writes this much.
	if err := st.Optimize(ctx, "repositories", "deployments", "pull_requests", "pr_facts", "incidents",
		"linear_teams", "linear_issues", "linear_issue_prs", "linear_issue_cycles"); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d PRs, %d deployments, %d issues, %d incidents on %s in %v", benchPRs, benchDeployments,
		benchIssues, benchIncidents, st.Dialect(), time.Since(start).Round(time.Millisecond))
}
