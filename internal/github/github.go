package github

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// Page sizes of SyncPage. An incremental sync asks for a small first page,
// since usually few pull requests changed.
const (
	prPageSize             = 50
	prFirstPageIncremental = 10
)

// Connector syncs the "github" source: each repository in GITHUB_REPOS,
// its pull requests with their reviews, comments and commits, and its
// issues that carry an INCIDENT_LABELS label.
type Connector struct {
	d Deps
}

// NewConnector returns the "github" connector.
func NewConnector(d Deps) *Connector { return &Connector{d: d.withDefaults()} }

// Name is "github".
func (c *Connector) Name() string { return "github" }

// Configured reports whether GITHUB_TOKEN and GITHUB_REPOS are set.
func (c *Connector) Configured() (bool, string) { return c.d.Config.GitHubConfigured() }

// TestConnection runs the cheapest GraphQL query, which checks the token
// and the endpoint. Under a GitHub App, which has no viewer, it asks for
// the rate limit with the first repository owner's installation.
func (c *Connector) TestConnection(ctx context.Context) error {
	if c.d.Client.IsApp() {
		client := c.d.Client
		if len(c.d.Config.GitHubRepos) > 0 {
			client = client.ForRepo(c.d.Config.GitHubRepos[0])
		}
		return client.Query(ctx, QueryRateLimit, nil, &struct{}{})
	}
	var out struct {
		Viewer struct {
			Login string `json:"login"`
		} `json:"viewer"`
	}
	return c.d.Client.Query(ctx, QueryViewer, nil, &out)
}

// Sync syncs every configured repository; a failing one does not stop the
// others.
func (c *Connector) Sync(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
	client := c.d.Client.CountingRequests(func() { rep.Requests(1) })
	return eachScope(ctx, c.d, c.Name(), rep, func(repo string) error {
		return c.syncRepo(ctx, client.ForRepo(repo), repo, mode, rep)
	})
}

// syncRepo walks a repository's pull requests (most recently updated
// first, down to the cursor) and its issues updated since the cursor, both
// in SyncPage requests, and stores each page with the advanced cursor in
// one transaction.
func (c *Connector) syncRepo(ctx context.Context, client *Client, fullName string, mode syncer.Mode, rep syncer.Reporter) error {
	owner, name, _ := strings.Cut(fullName, "/")
	var cur repoCursor
	incremental, err := loadCursor(ctx, c.d.Store, c.Name(), fullName, mode, &cur)
	if err != nil {
		return err
	}
	if !incremental {
		since := c.d.Now().Add(-c.d.Config.SyncSince).UTC().Truncate(time.Second)
		cur = repoCursor{PRs: pass{Since: since}, Issues: pass{Since: since}}
	}
	prFirst := prPageSize
	if incremental && cur.PRs.After == "" {
		prFirst = prFirstPageIncremental
	}
	prsDone, issuesDone := false, false
	var repoID int64
	for !prsDone || !issuesDone {
		var out struct {
			Repository *gqlRepo `json:"repository"`
		}
		// The page size shrinks while GitHub times out on it (QueryPage).
		_, err := client.QueryPage(ctx, QuerySyncPage, "prFirst", map[string]any{
			"owner": owner, "name": name,
			"withPRs": !prsDone, "prFirst": prFirst, "prAfter": nullable(cur.PRs.After),
			"withIssues": !issuesDone, "issuesSince": cur.Issues.Since.UTC().Format(time.RFC3339), "issuesAfter": nullable(cur.Issues.After),
		}, &out)
		if err != nil {
			return err
		}
		r := out.Repository
		if r == nil {
			return fmt.Errorf("repository %s not found", fullName)
		}
		prFirst = prPageSize

		var prs []*model.PullRequest
		if r.PullRequests != nil {
			for _, p := range r.PullRequests.Nodes {
				if p.UpdatedAt.Before(cur.PRs.Since) {
					prsDone = true
					break
				}
				if !cur.PRs.take(p.UpdatedAt, p.Number) {
					continue
				}
				if err := c.completePR(ctx, client, owner, name, p); err != nil {
					return fmt.Errorf("PR #%d: %w", p.Number, err)
				}
				prs = append(prs, p.model())
			}
			prsDone = prsDone || !r.PullRequests.PageInfo.HasNextPage
			cur.PRs.page(r.PullRequests.PageInfo.EndCursor, prsDone)
		}
		var issues []*model.Issue
		if r.Issues != nil {
			for _, is := range r.Issues.Nodes {
				// Every issue is kept, with its labels: the derive step picks
				// the incidents by INCIDENT_LABELS, so a changed setting
				// takes effect without a refetch.
				if !cur.Issues.take(is.UpdatedAt, is.Number) {
					continue
				}
				m, err := is.model()
				if err != nil {
					return fmt.Errorf("issue #%d: bad id %q", is.Number, is.FullDatabaseID)
				}
				issues = append(issues, m)
			}
			issuesDone = !r.Issues.PageInfo.HasNextPage
			cur.Issues.page(r.Issues.PageInfo.EndCursor, issuesDone)
		}

		err = c.d.Store.Tx(ctx, func(tx *store.Tx) error {
			if repoID == 0 {
				id, err := tx.UpsertRepository(ctx, r.model(c.repoName(fullName, r.NameWithOwner)))
				if err != nil {
					return err
				}
				repoID = id
			}
			if err := storePRs(ctx, tx, repoID, prs); err != nil {
				return err
			}
			for _, is := range issues {
				if _, err := tx.UpsertIssue(ctx, repoID, is); err != nil {
					return err
				}
			}
			return tx.SetSyncCursor(ctx, c.Name(), fullName, encodeCursor(cur))
		})
		if err != nil {
			return err
		}
		reportPRs(rep, prs)
		rep.Records("issues", len(issues))
	}
	return nil
}

// storePRs upserts pull requests with their children and removes the
// children GitHub no longer lists.
func storePRs(ctx context.Context, tx *store.Tx, repoID int64, prs []*model.PullRequest) error {
	children := make([]store.PRChildren, len(prs))
	for i, pr := range prs {
		id, err := tx.UpsertPullRequest(ctx, repoID, pr)
		if err != nil {
			return err
		}
		c := store.PRChildren{PRID: id}
		for _, cm := range pr.Commits {
			c.CommitSHAs = append(c.CommitSHAs, cm.SHA)
		}
		for _, r := range pr.Reviews {
			c.ReviewIDs = append(c.ReviewIDs, r.GitHubID)
		}
		for _, cm := range pr.Comments {
			c.CommentIDs = append(c.CommentIDs, cm.GitHubID)
		}
		children[i] = c
	}
	return tx.PrunePRChildren(ctx, children)
}

func reportPRs(rep syncer.Reporter, prs []*model.PullRequest) {
	var commits, reviews, comments int
	for _, pr := range prs {
		commits += len(pr.Commits)
		reviews += len(pr.Reviews)
		comments += len(pr.Comments)
	}
	rep.Records("pull_requests", len(prs))
	rep.Records("commits", commits)
	rep.Records("reviews", reviews)
	rep.Records("comments", comments)
}

// completePR fetches the pages of a pull request's commits, reviews,
// comments and review comments beyond the first, which SyncPage carries.
func (c *Connector) completePR(ctx context.Context, client *Client, owner, name string, pr *gqlPR) error {
	for pr.Commits.PageInfo.HasNextPage || pr.Reviews.PageInfo.HasNextPage || pr.Comments.PageInfo.HasNextPage {
		var out struct {
			Repository *struct {
				PullRequest *struct {
					Commits  *commitConn  `json:"commits"`
					Reviews  *reviewConn  `json:"reviews"`
					Comments *commentConn `json:"comments"`
				} `json:"pullRequest"`
			} `json:"repository"`
		}
		err := client.Query(ctx, QueryPullRequestMore, map[string]any{
			"owner": owner, "name": name, "number": pr.Number,
			"withCommits": pr.Commits.PageInfo.HasNextPage, "commitsAfter": pr.Commits.PageInfo.EndCursor,
			"withReviews": pr.Reviews.PageInfo.HasNextPage, "reviewsAfter": pr.Reviews.PageInfo.EndCursor,
			"withComments": pr.Comments.PageInfo.HasNextPage, "commentsAfter": pr.Comments.PageInfo.EndCursor,
		}, &out)
		if err != nil {
			return err
		}
		if out.Repository == nil || out.Repository.PullRequest == nil {
			return errors.New("pull request vanished while it was being fetched")
		}
		p := out.Repository.PullRequest
		if p.Commits != nil {
			pr.Commits.Nodes = append(pr.Commits.Nodes, p.Commits.Nodes...)
			pr.Commits.PageInfo = advance(pr.Commits.PageInfo, p.Commits.PageInfo)
		}
		if p.Reviews != nil {
			pr.Reviews.Nodes = append(pr.Reviews.Nodes, p.Reviews.Nodes...)
			pr.Reviews.PageInfo = advance(pr.Reviews.PageInfo, p.Reviews.PageInfo)
		}
		if p.Comments != nil {
			pr.Comments.Nodes = append(pr.Comments.Nodes, p.Comments.Nodes...)
			pr.Comments.PageInfo = advance(pr.Comments.PageInfo, p.Comments.PageInfo)
		}
	}
	for _, r := range pr.Reviews.Nodes {
		for r.Comments.PageInfo.HasNextPage {
			var out struct {
				Node *struct {
					Comments commentConn `json:"comments"`
				} `json:"node"`
			}
			err := client.Query(ctx, QueryReviewComments, map[string]any{"id": r.ID, "after": r.Comments.PageInfo.EndCursor}, &out)
			if err != nil {
				return err
			}
			if out.Node == nil {
				return errors.New("review vanished while it was being fetched")
			}
			r.Comments.Nodes = append(r.Comments.Nodes, out.Node.Comments.Nodes...)
			r.Comments.PageInfo = advance(r.Comments.PageInfo, out.Node.Comments.PageInfo)
		}
	}
	return nil
}

// advance returns the page info after next, ending the walk if the
// server handed back the same cursor (so a bad answer cannot loop).
func advance(prev, next pageInfo) pageInfo {
	if next.EndCursor == "" || next.EndCursor == prev.EndCursor {
		next.HasNextPage = false
	}
	return next
}

// repoName is the name to store: GitHub's spelling, unless the repository
// was renamed, in which case the configured name stays (so the stored row
// keeps matching GITHUB_REPOS) and the user is told.
func (c *Connector) repoName(configured, actual string) string {
	if strings.EqualFold(configured, actual) || actual == "" {
		return cmp.Or(actual, configured)
	}
	c.d.Log.Warn("GitHub repository was renamed; update GITHUB_REPOS", "configured", configured, "now", actual)
	return configured
}

// nullable sends "" as a GraphQL null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
