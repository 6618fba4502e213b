package github

import (
	"cmp"
	"context"
	"encoding/json"
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
	prPageSize             = 100
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
			client = client.ForRepo(strings.TrimPrefix(c.d.Config.GitHubRepos[0], "!"))
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
	repos, err := resolveRepos(ctx, c.d, client)
	if err != nil {
		return err
	}
	changes, unchanged, err := c.checkRepos(ctx, client, repos, mode)
	if err != nil {
		return err
	}
	if len(unchanged) > 0 {
		c.d.Log.Info("github: repositories unchanged since the last sync", "unchanged", len(unchanged), "of", len(repos))
	}
	err = eachScope(ctx, c.d, c.Name(), rep, repos, func(ctx context.Context, repo string, rep syncer.Reporter) error {
		if unchanged[repo] {
			return nil
		}
		client := c.d.Client.CountingRequests(func() { rep.Requests(1) }).ForRepo(repo)
		return c.syncRepo(ctx, client, repo, mode, rep, changes[repo])
	})
	if len(c.d.Config.GitHubTeams) > 0 && ctx.Err() == nil {
		err = errors.Join(err, c.syncTeams(ctx, client, rep)) // teams.go
	}
	return err
}

// checkRepos asks GitHub with RepoChanges queries (2 points per 100
// repositories) what changed in each repository, and returns the answers
// and the repositories in which nothing changed since their last sync,
// which need no SyncPage. A full sync, or a repository never synced or
// whose walk is in progress, is never skipped.
func (c *Connector) checkRepos(ctx context.Context, client *Client, repos []string, mode syncer.Mode) (map[string]*repoChange, map[string]bool, error) {
	changes, err := repoChanges(ctx, client, repos, fragmentRepoChange)
	if err != nil {
		return nil, nil, err
	}
	unchanged := map[string]bool{}
	if mode == syncer.Full || syncer.Targeted(ctx) {
		return changes, unchanged, nil
	}
	for _, repo := range repos {
		var cur repoCursor
		ok, err := loadCursor(ctx, c.d.Store, c.Name(), repo, mode, &cur)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		r, err := c.d.Store.RepositoryByName(ctx, repo)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, nil, err
		}
		if changes[repo].unchanged(cur, r.UpdatedAt) {
			unchanged[repo] = true
		}
	}
	return changes, unchanged, nil
}

// syncRepo walks a repository's pull requests (most recently updated
// first, down to the cursor) and its issues updated since the cursor, both
// in SyncPage requests, and stores each page with the advanced cursor in
// one transaction.
func (c *Connector) syncRepo(ctx context.Context, client *Client, fullName string, mode syncer.Mode, rep syncer.Reporter, change *repoChange) error {
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
	pageSize, issuesFirst := change.pageSizes()
	prFirst := pageSize
	if incremental && cur.PRs.After == "" {
		prFirst = min(prFirstPageIncremental, pageSize)
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
			"withIssues": !issuesDone, "issuesFirst": issuesFirst, "issuesSince": cur.Issues.Since.UTC().Format(time.RFC3339), "issuesAfter": nullable(cur.Issues.After),
		}, &out)
		if err != nil {
			return err
		}
		r := out.Repository
		if r == nil {
			return fmt.Errorf("repository %s not found", fullName)
		}
		prFirst = pageSize

		var prs []*model.PullRequest
		if r.PullRequests != nil {
			var taken []*gqlPR
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
				taken = append(taken, p)
			}
			if err := c.fetchReviewComments(ctx, client, taken); err != nil {
				return err
			}
			for _, p := range taken {
				for _, it := range p.Timeline.Nodes {
					if err := completeReviewComments(ctx, client, it); err != nil {
						return fmt.Errorf("PR #%d: %w", p.Number, err)
					}
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

// completePR fetches the pages of a pull request's commits and timeline
// beyond the first, which SyncPage carries, and its labels when it has more
// than SyncPage asks for.
func (c *Connector) completePR(ctx context.Context, client *Client, owner, name string, pr *gqlPR) error {
	moreLabels := pr.Labels.TotalCount > len(pr.Labels.Nodes)
	for pr.Commits.PageInfo.HasNextPage || pr.Timeline.PageInfo.HasNextPage || moreLabels {
		var out struct {
			Repository *struct {
				PullRequest *struct {
					Commits  *commitConn   `json:"commits"`
					Timeline *timelineConn `json:"timelineItems"`
					Labels   *labelConn    `json:"labels"`
				} `json:"pullRequest"`
			} `json:"repository"`
		}
		err := client.Query(ctx, QueryPullRequestMore, map[string]any{
			"owner": owner, "name": name, "number": pr.Number,
			"withCommits": pr.Commits.PageInfo.HasNextPage, "commitsAfter": pr.Commits.PageInfo.EndCursor,
			"withTimeline": pr.Timeline.PageInfo.HasNextPage, "timelineAfter": pr.Timeline.PageInfo.EndCursor,
			"withLabels": moreLabels,
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
		if p.Timeline != nil {
			pr.Timeline.Nodes = append(pr.Timeline.Nodes, p.Timeline.Nodes...)
			pr.Timeline.PageInfo = advance(pr.Timeline.PageInfo, p.Timeline.PageInfo)
		}
		if p.Labels != nil {
			pr.Labels.Nodes = p.Labels.Nodes
		}
		moreLabels = false
	}
	return nil
}

// fetchReviewComments fills in the comments of every review of prs: the
// first page of each in ReviewCommentsBatch queries (100 reviews an alias),
// the rest of a long one with ReviewComments.
func (c *Connector) fetchReviewComments(ctx context.Context, client *Client, prs []*gqlPR) error {
	var reviews []*gqlTimeline
	for _, p := range prs {
		for _, it := range p.Timeline.Nodes {
			if it.Typename == "PullRequestReview" {
				reviews = append(reviews, it)
			}
		}
	}
	for len(reviews) > 0 {
		n := min(len(reviews), reviewBatch*maxReviewAliases)
		batch := reviews[:n]
		reviews = reviews[n:]
		aliases := (len(batch) + reviewBatch - 1) / reviewBatch
		vars := map[string]any{}
		for i := range aliases {
			ids := []string{}
			for _, r := range batch[i*reviewBatch : min((i+1)*reviewBatch, len(batch))] {
				ids = append(ids, r.ID)
			}
			vars[fmt.Sprintf("ids%d", i)] = ids
		}
		var out map[string]json.RawMessage
		if err := client.Query(ctx, queryReviewCommentsBatch(aliases), vars, &out); err != nil {
			return err
		}
		for i := range aliases {
			var nodes []*struct {
				ID       string      `json:"id"`
				Comments commentConn `json:"comments"`
			}
			if err := json.Unmarshal(out[fmt.Sprintf("r%d", i)], &nodes); err != nil {
				return fmt.Errorf("decoding review comments: %w", err)
			}
			part := batch[i*reviewBatch : min((i+1)*reviewBatch, len(batch))]
			if len(nodes) != len(part) {
				return fmt.Errorf("asked for the comments of %d reviews, got %d", len(part), len(nodes))
			}
			for j, nd := range nodes {
				if nd == nil || nd.ID != part[j].ID {
					return errors.New("a review vanished while it was being fetched")
				}
				part[j].Comments = nd.Comments
			}
		}
	}
	return nil
}

// completeReviewComments fetches the pages of a review's comments beyond
// the first.
func completeReviewComments(ctx context.Context, client *Client, r *gqlTimeline) error {
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

// Retries is how many requests the GitHub client (shared with the Actions
// connector) sent again, for the Prometheus metrics.
func (c *Connector) Retries() int64 { return c.d.Client.Retries() }

// RateLimits is what remains of the GitHub client's rate-limit buckets, for
// the Prometheus metrics.
func (c *Connector) RateLimits() map[string]float64 { return c.d.Client.RateLimits() }

// ClientReport is the line the sync's summary prints about the GitHub
// client, shared with the Actions connector: its requests, retries and
// GraphQL page-size reductions over the process's life.
func (c *Connector) ClientReport() string {
	s := c.d.Client.Stats()
	return fmt.Sprintf("github client: %d requests, %d retried, %d page-size reductions", s.Requests, s.Retries, s.PageReductions)
}
