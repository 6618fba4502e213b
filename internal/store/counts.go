package store

import (
	"context"
	"fmt"
	"strings"
)

// sourceCounts lists, per source, the kinds of records it stores and the
// table (with filter) each is counted in.
var sourceCounts = map[string][]struct{ kind, from string }{
	"github": {
		{"repositories", "repositories WHERE github_id IS NOT NULL"},
		{"pull_requests", "pull_requests"},
		{"reviews", "pr_reviews"},
		{"comments", "pr_comments"},
		{"commits", "commits"},
		{"issues", "github_issues"},
	},
	"actions": {
		{"workflows", "workflows"},
		{"workflow_runs", "workflow_runs"},
		{"deployments", "deployments WHERE source = 'github_actions'"},
	},
	"linear": {
		{"teams", "linear_teams"},
		{"issues", "linear_issues"},
		{"attachments", "linear_attachments"},
	},
	"pagerduty": {
		{"incidents", "incidents WHERE source = 'pagerduty'"},
	},
}

// SourceCounts returns how many records of each kind the database holds
// for source ("github", "actions", "linear", "pagerduty"); nil for another source.
func (s *Store) SourceCounts(ctx context.Context, source string) (map[string]int64, error) {
	kinds := sourceCounts[source]
	if len(kinds) == 0 {
		return nil, nil
	}
	cols := make([]string, len(kinds))
	vals := make([]int64, len(kinds))
	dest := make([]any, len(kinds))
	for i, k := range kinds {
		cols[i] = "(SELECT count(*) FROM " + k.from + ")"
		dest[i] = &vals[i]
	}
	q := `/* Store.SourceCounts */ SELECT ` + strings.Join(cols, ", ")
	if err := s.read.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return nil, fmt.Errorf("store: counting %s records: %w", source, err)
	}
	out := make(map[string]int64, len(kinds))
	for i, k := range kinds {
		out[k.kind] = vals[i]
	}
	return out, nil
}
