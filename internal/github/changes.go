package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// repoChange is what RepoChanges tells about one repository: when it and
// its latest pull request and issue were last updated, and when it was
// last pushed to.
type repoChange struct {
	NameWithOwner string      `json:"nameWithOwner"`
	UpdatedAt     time.Time   `json:"updatedAt"`
	PushedAt      *time.Time  `json:"pushedAt"`
	PullRequests  *latestConn `json:"pullRequests"`
	Issues        *latestConn `json:"issues"`
}

type latestConn struct {
	TotalCount int      `json:"totalCount"`
	Nodes      []latest `json:"nodes"`
}

// pageSizes are the SyncPage sizes for a repository: 100 pull requests and
// issues a page, or fewer when it has fewer (a query's cost follows the
// sizes asked for, not the records returned).
func (c *repoChange) pageSizes() (prs, issues int) {
	prs, issues = prPageSize, 100
	if c != nil && c.PullRequests != nil {
		prs = min(prs, max(c.PullRequests.TotalCount, 1))
	}
	if c != nil && c.Issues != nil {
		issues = min(issues, max(c.Issues.TotalCount, 1))
	}
	return prs, issues
}

type latest struct {
	Number    int       `json:"number"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// repoChanges asks GitHub, 100 repositories a query, what changed in each
// of repos (fragment selects what), and returns the answers by repository.
// A repository GitHub cannot resolve is left out, so that its own sync
// reports why; a rejected token is an error.
func repoChanges(ctx context.Context, client *Client, repos []string, fragment string) (map[string]*repoChange, error) {
	out := map[string]*repoChange{}
	// Under a GitHub App each owner's installation answers for its own
	// repositories: one batch per owner. A token asks across owners.
	groups := [][]string{repos}
	if client.IsApp() {
		groups = nil
		index := map[string]int{}
		for _, r := range repos {
			owner, _, _ := strings.Cut(r, "/")
			owner = strings.ToLower(owner)
			if _, ok := index[owner]; !ok {
				index[owner] = len(groups)
				groups = append(groups, nil)
			}
			groups[index[owner]] = append(groups[index[owner]], r)
		}
	}
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		if err := repoChangesOf(ctx, client.ForRepo(g[0]), g, fragment, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// repoChangesOf runs the RepoChanges queries for repos into out.
func repoChangesOf(ctx context.Context, client *Client, repos []string, fragment string, out map[string]*repoChange) error {
	for batch := range slices.Chunk(repos, repoChangesBatch) {
		vars := map[string]any{}
		for i, r := range batch {
			owner, name, _ := strings.Cut(r, "/")
			vars[fmt.Sprintf("o%d", i)], vars[fmt.Sprintf("n%d", i)] = owner, name
		}
		var data map[string]json.RawMessage
		err := client.Query(ctx, queryRepoChanges(len(batch), fragment), vars, &data)
		var gerr *GraphQLError
		switch {
		case errors.As(err, &gerr):
			// Some repository could not be resolved (deleted, renamed,
			// no access): leave this batch out; each repository's own
			// sync finds out.
			continue
		case err != nil:
			return err
		}
		for i, r := range batch {
			var c *repoChange
			if json.Unmarshal(data[fmt.Sprintf("r%d", i)], &c) == nil && c != nil {
				out[r] = c
			}
		}
	}
	return nil
}

// unchanged reports whether nothing a sync would store changed in a
// repository since the walks that cur records ended: no walk is in
// progress, and its latest pull request and issue are ones the cursor has
// stored already.
func (c *repoChange) unchanged(cur repoCursor, storedUpdatedAt *time.Time) bool {
	if c == nil || c.PullRequests == nil || c.Issues == nil || cur.PRs.After != "" || cur.Issues.After != "" {
		return false
	}
	if storedUpdatedAt == nil || c.UpdatedAt.After(*storedUpdatedAt) {
		return false // the repository's own fields changed
	}
	return seen(cur.PRs, c.PullRequests.Nodes) && seen(cur.Issues, c.Issues.Nodes)
}

// seen reports whether the latest record of a list (none, or one) is one a
// walk already stored: updated before the walk's Since, or at Since and
// among the records stored then.
func seen(p pass, nodes []latest) bool {
	if len(nodes) == 0 {
		return true
	}
	n := nodes[0]
	return n.UpdatedAt.Before(p.Since) || (n.UpdatedAt.Equal(p.Since) && slices.Contains(p.Done, n.Number))
}
