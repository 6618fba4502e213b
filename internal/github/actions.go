package github

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

const (
	// unfinishedWindow bounds how old an unfinished run may be and still
	// be refreshed: GitHub ends a run after 35 days at most.
	unfinishedWindow = 35 * 24 * time.Hour
	// runLookback is how far back every incremental sync rereads runs, to
	// catch re-runs of recent runs (a re-run keeps its creation time).
	runLookback = 24 * time.Hour
)

// ActionsConnector syncs the "actions" source: each repository's GitHub
// Actions workflows and workflow runs, through the REST API (GraphQL has no
// Actions data).
type ActionsConnector struct {
	d Deps
}

// NewActionsConnector returns the "actions" connector.
func NewActionsConnector(d Deps) *ActionsConnector { return &ActionsConnector{d: d.withDefaults()} }

// Name is "actions".
func (a *ActionsConnector) Name() string { return "actions" }

// Configured reports whether GITHUB_TOKEN and GITHUB_REPOS are set.
func (a *ActionsConnector) Configured() (bool, string) { return a.d.Config.GitHubConfigured() }

// TestConnection asks for the rate-limit status, which checks the token
// and the REST endpoint and costs nothing.
func (a *ActionsConnector) TestConnection(ctx context.Context) error {
	client := a.d.Client
	if len(a.d.Config.GitHubRepos) > 0 {
		client = client.ForRepo(a.d.Config.GitHubRepos[0])
	}
	_, err := client.Get(ctx, "/rate_limit", "", nil)
	return err
}

// Sync syncs every configured repository's workflows and runs.
func (a *ActionsConnector) Sync(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
	client := a.d.Client.CountingRequests(func() { rep.Requests(1) })
	return eachScope(ctx, a.d, a.Name(), rep, func(repo string) error {
		client := client.ForRepo(repo)
		repoID, err := a.repoID(ctx, repo)
		if err != nil {
			return err
		}
		if err := a.syncWorkflows(ctx, client, repoID, repo, mode, rep); err != nil {
			return err
		}
		return a.syncRuns(ctx, client, repoID, repo, mode, rep)
	})
}

func (a *ActionsConnector) repoID(ctx context.Context, fullName string) (int64, error) {
	r, err := a.d.Store.RepositoryByName(ctx, fullName)
	if err == nil {
		return r.ID, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	var id int64
	err = a.d.Store.Tx(ctx, func(tx *store.Tx) (err error) {
		id, err = tx.EnsureRepository(ctx, fullName)
		return err
	})
	return id, err
}

type restWorkflow struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Path      string     `json:"path"`
	State     string     `json:"state"`
	HTMLURL   string     `json:"html_url"`
	CreatedAt *time.Time `json:"created_at"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// syncWorkflows lists the workflows. When the last listing fit in one page,
// its ETag makes an unchanged listing a free 304.
func (a *ActionsConnector) syncWorkflows(ctx context.Context, client *Client, repoID int64, fullName string, mode syncer.Mode, rep syncer.Reporter) error {
	key := "actions:workflows:" + strings.ToLower(fullName)
	etag, err := a.etag(ctx, key, mode)
	if err != nil {
		return err
	}
	target := "/repos/" + fullName + "/actions/workflows?per_page=100"
	for first := true; target != ""; first = false {
		var body struct {
			Workflows []restWorkflow `json:"workflows"`
		}
		page, err := client.Get(ctx, target, etag, &body)
		if err != nil {
			return err
		}
		if page.NotModified {
			return nil
		}
		etag = ""
		err = a.d.Store.Tx(ctx, func(tx *store.Tx) error {
			for _, w := range body.Workflows {
				if _, err := tx.UpsertWorkflow(ctx, repoID, &model.Workflow{GitHubID: w.ID, Name: w.Name, Path: w.Path,
					State: w.State, HTMLURL: w.HTMLURL, CreatedAt: utc(w.CreatedAt), UpdatedAt: utc(w.UpdatedAt)}); err != nil {
					return err
				}
			}
			if page.Next != "" {
				return nil
			}
			validator := ""
			if first {
				validator = page.ETag
			}
			return tx.SetETag(ctx, key, validator)
		})
		if err != nil {
			return err
		}
		rep.Records("workflows", len(body.Workflows))
		target = page.Next
	}
	return nil
}

type restRun struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Path         string     `json:"path"`
	WorkflowID   int64      `json:"workflow_id"`
	RunNumber    int        `json:"run_number"`
	RunAttempt   int        `json:"run_attempt"`
	Event        string     `json:"event"`
	Status       string     `json:"status"`
	Conclusion   *string    `json:"conclusion"`
	HeadSHA      string     `json:"head_sha"`
	HeadBranch   string     `json:"head_branch"`
	HTMLURL      string     `json:"html_url"`
	CreatedAt    time.Time  `json:"created_at"`
	RunStartedAt *time.Time `json:"run_started_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func (r *restRun) model() *model.WorkflowRun {
	m := &model.WorkflowRun{GitHubID: r.ID, WorkflowGitHubID: r.WorkflowID, Name: r.Name, RunNumber: r.RunNumber,
		RunAttempt: r.RunAttempt, Event: r.Event, Status: r.Status, HeadSHA: r.HeadSHA, HeadBranch: r.HeadBranch,
		HTMLURL: r.HTMLURL, CreatedAt: r.CreatedAt.UTC(), RunStartedAt: utc(r.RunStartedAt), UpdatedAt: r.UpdatedAt.UTC()}
	if r.Conclusion != nil {
		m.Conclusion = *r.Conclusion
	}
	return m
}

// runsCursor is the actions source's cursor of one repository.
//
// The runs list has no "since" and is ordered newest first, so a sync walks
// it from the top down to a boundary: the newest run of the last walk, or
// older if a run stored unfinished (within 35 days) or a run created in the
// last 24 hours (which may have been re-run) lies further back.
type runsCursor struct {
	// Since is the creation time of the newest run the last complete walk
	// stored.
	Since time.Time `json:"since"`
	// FirstPageOldest is how far back the first page of the last complete
	// walk reached (the epoch if it was the only page). When the next walk
	// needs no more than that page, it sends the page's ETag, and a 304
	// ends the sync.
	FirstPageOldest time.Time `json:"first_page_oldest,omitzero"`
	// Next, Boundary and Max are the state of a walk in progress: the next
	// page's URL, where the walk stops, and the newest run it saw.
	Next     string    `json:"next,omitempty"`
	Boundary time.Time `json:"boundary,omitzero"`
	Max      time.Time `json:"max,omitzero"`
}

// syncRuns walks the workflow runs newest first down to the boundary,
// storing each page with the advanced cursor in one transaction.
func (a *ActionsConnector) syncRuns(ctx context.Context, client *Client, repoID int64, fullName string, mode syncer.Mode, rep syncer.Reporter) error {
	key := "actions:runs:" + strings.ToLower(fullName)
	var cur runsCursor
	incremental, err := loadCursor(ctx, a.d.Store, a.Name(), fullName, mode, &cur)
	if err != nil {
		return err
	}
	now := a.d.Now().UTC()
	floor := now.Add(-a.d.Config.SyncSince)
	target := "/repos/" + fullName + "/actions/runs?per_page=100&exclude_pull_requests=true"
	fresh, etag := true, ""
	switch {
	case !incremental:
		cur = runsCursor{Since: floor, Boundary: floor}
	case cur.Next != "":
		target, fresh = cur.Next, false
	default:
		b := cur.Since
		oldest, err := a.d.Store.OldestUnfinishedRun(ctx, repoID, laterOf(floor, now.Add(-unfinishedWindow)))
		if err != nil {
			return err
		}
		if oldest != nil && oldest.Before(b) {
			b = *oldest
		}
		if lb := now.Add(-runLookback); lb.Before(b) {
			b = lb
		}
		cur.Boundary, cur.Max = laterOf(b, floor), time.Time{}
		if !cur.FirstPageOldest.IsZero() && !cur.FirstPageOldest.After(cur.Boundary) {
			if etag, err = a.d.Store.ETag(ctx, key); err != nil {
				return err
			}
		}
	}

	var firstETag string
	var firstOldest time.Time
	for first := true; target != ""; first = false {
		var body struct {
			Runs []restRun `json:"workflow_runs"`
		}
		page, err := client.Get(ctx, target, etag, &body)
		if err != nil {
			return err
		}
		if page.NotModified {
			return nil
		}
		etag = ""
		var runs []*model.WorkflowRun
		var workflows []*model.Workflow // placeholders, for runs of deleted workflows
		seen := map[int64]bool{}
		done := page.Next == "" || len(body.Runs) == 0
		for _, r := range body.Runs {
			if r.CreatedAt.Before(cur.Boundary) {
				done = true
				continue
			}
			cur.Max = laterOf(cur.Max, r.CreatedAt)
			runs = append(runs, r.model())
			if !seen[r.WorkflowID] {
				seen[r.WorkflowID] = true
				workflows = append(workflows, &model.Workflow{GitHubID: r.WorkflowID, Name: r.Name, Path: r.Path})
			}
		}
		if first && fresh {
			firstETag, firstOldest = page.ETag, time.Unix(0, 0).UTC()
			if page.Next != "" {
				firstOldest = body.Runs[len(body.Runs)-1].CreatedAt.UTC()
			}
		}
		if done {
			cur = runsCursor{Since: laterOf(cur.Since, cur.Max), FirstPageOldest: firstOldest}
		} else {
			cur.Next = page.Next
		}
		err = a.d.Store.Tx(ctx, func(tx *store.Tx) error {
			for _, w := range workflows {
				if err := tx.EnsureWorkflow(ctx, repoID, w); err != nil {
					return err
				}
			}
			for _, r := range runs {
				if _, err := tx.UpsertWorkflowRun(ctx, repoID, r); err != nil {
					return err
				}
			}
			if done {
				if err := tx.SetETag(ctx, key, firstETag); err != nil {
					return err
				}
			}
			return tx.SetSyncCursor(ctx, a.Name(), fullName, encodeCursor(cur))
		})
		if err != nil {
			return err
		}
		rep.Records("workflow_runs", len(runs))
		if done {
			break
		}
		target = page.Next
	}
	return nil
}

// etag returns the stored validator for key, or "" in a full sync, which
// refetches everything.
func (a *ActionsConnector) etag(ctx context.Context, key string, mode syncer.Mode) (string, error) {
	if mode == syncer.Full {
		return "", nil
	}
	return a.d.Store.ETag(ctx, key)
}
