package store

import (
	"context"
	"fmt"
	"time"
)

// FloorQuery names the rows a metric request reads at least: one fact
// table's rows in a time range, for a repository and an author if given.
type FloorQuery struct {
	Table    string // pr_facts (by merged_at), deployments (by deployed_at) or incidents (by opened_at)
	From, To time.Time
	Repo     string // full name, "" for all
	Author   string // login, pr_facts only, "" for all
	// Team is a team's slug: its members' PRs (pr_facts) or its
	// repositories' rows (the other tables), as METRICS.md scopes a team.
	Team string
}

// floorColumns are the time column of each table FloorQuery allows.
var floorColumns = map[string]string{"pr_facts": "merged_at", "deployments": "deployed_at", "incidents": "opened_at"}

// BenchFloor times a bare COUNT(*) over the rows f names: the floor the
// benchmark sets each metric query against, the least any query over those
// rows could cost.
func (s *Store) BenchFloor(ctx context.Context, f FloorQuery) (time.Duration, error) {
	col, ok := floorColumns[f.Table]
	if !ok {
		return 0, fmt.Errorf("store: no floor query for table %q", f.Table)
	}
	q := `/* Store.BenchFloor */ SELECT count(*) FROM ` + f.Table + ` t WHERE t.` + col + ` >= $1 AND t.` + col + ` < $2`
	args := []any{ms(f.From), ms(f.To)}
	if f.Repo != "" {
		args = append(args, f.Repo)
		q += fmt.Sprintf(` AND t.repo_id = (SELECT id FROM repositories WHERE full_name = $%d)`, len(args))
	}
	if f.Author != "" && f.Table == "pr_facts" {
		args = append(args, f.Author)
		q += fmt.Sprintf(` AND t.author_login = $%d`, len(args))
	}
	if f.Team != "" {
		args = append(args, f.Team)
		if f.Table == "pr_facts" {
			q += fmt.Sprintf(` AND lower(t.author_login) IN (SELECT m.login FROM team_members m JOIN teams tm ON tm.id = m.team_id WHERE tm.slug_key = lower($%d))`, len(args))
		} else {
			q += fmt.Sprintf(` AND t.repo_id IN (SELECT r.id FROM repositories r JOIN team_repositories tr ON tr.repo_key = r.full_name_key JOIN teams tm ON tm.id = tr.team_id WHERE tm.slug_key = lower($%d))`, len(args))
		}
	}
	var n int64
	start := time.Now()
	if err := s.read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: floor count: %w", err)
	}
	return time.Since(start), nil
}
