package github

import (
	"testing"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
)

// Every GraphQL document the connectors send is valid against GitHub's
// official schema, with the variables they send it with.
func TestQueriesValidateAgainstSchema(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"SyncPage", QuerySyncPage, map[string]any{"owner": "o", "name": "r", "withPRs": true, "prFirst": 50,
			"prAfter": nil, "withIssues": true, "issuesSince": "2024-01-01T00:00:00Z", "issuesAfter": nil}},
		{"PullRequestMore", QueryPullRequestMore, map[string]any{"owner": "o", "name": "r", "number": 1,
			"withCommits": true, "commitsAfter": "x", "withReviews": false, "reviewsAfter": nil,
			"withComments": true, "commentsAfter": "y"}},
		{"ReviewComments", QueryReviewComments, map[string]any{"id": "PRR_1", "after": "x"}},
		{"Viewer", QueryViewer, map[string]any{}},
		{"RateLimit", QueryRateLimit, map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := githubfake.Validate(tc.query, tc.vars); err != nil {
				t.Fatalf("%s is not valid against GitHub's schema: %v", tc.name, err)
			}
		})
	}
}
