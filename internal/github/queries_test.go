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
			"prAfter": nil, "withIssues": true, "issuesFirst": 100, "issuesSince": "2024-01-01T00:00:00Z", "issuesAfter": nil}},
		{"PullRequestMore", QueryPullRequestMore, map[string]any{"owner": "o", "name": "r", "number": 1,
			"withCommits": true, "commitsAfter": "x", "withTimeline": true, "timelineAfter": "y", "withLabels": false}},
		{"ReviewCommentsBatch/1", queryReviewCommentsBatch(1), map[string]any{"ids0": []any{"PRR_1", "PRR_2"}}},
		{"ReviewCommentsBatch/3", queryReviewCommentsBatch(3), map[string]any{"ids0": []any{"PRR_1"}, "ids1": []any{"PRR_2"}, "ids2": []any{"PRR_3"}}},
		{"RepoChanges/1", queryRepoChanges(1, fragmentRepoChange), map[string]any{"o0": "o", "n0": "r"}},
		{"RepoChanges/2", queryRepoChanges(2, fragmentRepoChange), map[string]any{"o0": "o", "n0": "r", "o1": "o", "n1": "s"}},
		{"RepoPushes/2", queryRepoChanges(2, fragmentRepoPushes), map[string]any{"o0": "o", "n0": "r", "o1": "o", "n1": "s"}},
		{"ReviewComments", QueryReviewComments, map[string]any{"id": "PRR_1", "after": "x"}},
		{"Viewer", QueryViewer, map[string]any{}},
		{"Teams", QueryTeams, map[string]any{"org": "acme", "all": true, "slug": "", "after": "x"}},
		{"Teams (one)", QueryTeams, map[string]any{"org": "acme", "all": false, "slug": "web", "after": nil}},
		{"TeamMore", QueryTeamMore, map[string]any{"org": "acme", "slug": "web", "withMembers": true, "membersAfter": "x",
			"withRepos": false, "reposAfter": nil}},
		{"RateLimit", QueryRateLimit, map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := githubfake.Validate(tc.query, tc.vars); err != nil {
				t.Fatalf("%s is not valid against GitHub's schema: %v", tc.name, err)
			}
		})
	}
}
