package github

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// GitHub deployments (the REST Deployments API) and their statuses: the
// source of a repository's deployments when it has any (METRICS.md,
// Environments). The derive step decides what they count as.

type restUser struct {
	Login string `json:"login"`
}

type restDeployment struct {
	ID          int64     `json:"id"`
	SHA         string    `json:"sha"`
	Ref         string    `json:"ref"`
	Task        string    `json:"task"`
	Environment string    `json:"environment"`
	Description *string   `json:"description"`
	Creator     *restUser `json:"creator"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type restDeploymentStatus struct {
	ID          int64     `json:"id"`
	State       string    `json:"state"`
	Environment string    `json:"environment"`
	Description string    `json:"description"`
	TargetURL   string    `json:"target_url"`
	LogURL      string    `json:"log_url"`
	Creator     *restUser `json:"creator"`
	CreatedAt   time.Time `json:"created_at"`
}

func (d *restDeployment) model(repoID int64) *model.GitHubDeployment {
	m := &model.GitHubDeployment{RepoID: repoID, GitHubID: d.ID, Environment: d.Environment, SHA: strings.ToLower(d.SHA),
		Ref: d.Ref, Task: d.Task, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
	if d.Creator != nil {
		m.CreatorLogin = d.Creator.Login
	}
	if d.Description != nil {
		m.Description = *d.Description
	}
	return m
}

func (s *restDeploymentStatus) model() model.DeploymentStatus {
	m := model.DeploymentStatus{GitHubID: s.ID, State: s.State, Environment: s.Environment, Description: s.Description,
		TargetURL: s.TargetURL, CreatedAt: s.CreatedAt.UTC()}
	if m.TargetURL == "" {
		m.TargetURL = s.LogURL
	}
	if s.Creator != nil {
		m.CreatorLogin = s.Creator.Login
	}
	return m
}

// finalStatus reports whether statuses settle a deployment: its latest
// status other than inactive is success, failure or error. Its statuses
// are then not re-read, unless GitHub lists it again as updated.
func finalStatus(statuses []model.DeploymentStatus) bool {
	var latest *model.DeploymentStatus
	for i := range statuses {
		st := &statuses[i]
		if st.State == "inactive" {
			continue
		}
		if latest == nil || st.CreatedAt.After(latest.CreatedAt) || (st.CreatedAt.Equal(latest.CreatedAt) && st.GitHubID > latest.GitHubID) {
			latest = st
		}
	}
	return latest != nil && (latest.State == "success" || latest.State == "failure" || latest.State == "error")
}

// syncDeployments walks the repository's deployments newest first and
// stops at the first one already stored, settled and unchanged (a full sync
// walks them all, back to SYNC_SINCE). Each new or changed deployment's
// statuses are read; so are those of stored deployments not yet settled
// (created within 35 days). The first page's ETag makes an unchanged list a
// free 304, and each status list's ETag an unchanged one.
func (a *ActionsConnector) syncDeployments(ctx context.Context, client *Client, repoID int64, fullName string, mode syncer.Mode, rep syncer.Reporter) error {
	known, err := a.d.Store.GitHubDeploymentStates(ctx, repoID)
	if err != nil {
		return err
	}
	key := "actions:deployments:" + strings.ToLower(fullName)
	etag, err := a.etag(ctx, key, mode)
	if err != nil {
		return err
	}
	floor := a.d.Now().UTC().Add(-a.d.Config.SyncSince)
	var fresh []restDeployment
	listed := map[int64]bool{}
	firstETag := ""
	target := "/repos/" + fullName + "/deployments?per_page=100"
	for first := true; target != ""; first = false {
		var body []restDeployment
		page, err := client.Get(ctx, target, etag, &body)
		if err != nil {
			return err
		}
		if page.NotModified {
			firstETag = etag // keep the validator as stored
			break
		}
		if first {
			firstETag = page.ETag
		}
		etag = ""
		done := page.Next == ""
		for _, d := range body {
			if d.CreatedAt.Before(floor) {
				done = true
				break
			}
			listed[d.ID] = true
			k, ok := known[d.ID]
			if ok && k.Final && k.UpdatedAt.Equal(d.UpdatedAt.UTC()) && mode != syncer.Full {
				done = true // newest first: the rest is stored
				break
			}
			fresh = append(fresh, d)
		}
		if done {
			break
		}
		target = page.Next
	}
	for _, d := range fresh {
		if err := a.syncDeployment(ctx, client, fullName, d.model(repoID)); err != nil {
			return err
		}
	}
	// Stored deployments not yet settled: their statuses again.
	recent := a.d.Now().UTC().Add(-unfinishedWindow)
	for id, k := range known {
		if k.Final || listed[id] || k.CreatedAt.Before(recent) {
			continue
		}
		d := &model.GitHubDeployment{RepoID: repoID, GitHubID: id}
		if err := a.syncStatusesOnly(ctx, client, fullName, d); err != nil {
			return err
		}
	}
	rep.Records("github_deployments", len(fresh))
	return a.d.Store.Tx(ctx, func(tx *store.Tx) error { return tx.SetETag(ctx, key, firstETag) })
}

// statuses reads a deployment's statuses (all pages). notModified is true
// when GitHub answered 304 to the stored ETag.
func (a *ActionsConnector) statuses(ctx context.Context, client *Client, fullName string, id int64) (out []model.DeploymentStatus, etag string, notModified bool, err error) {
	key := fmt.Sprintf("actions:deployment_statuses:%d", id)
	if etag, err = a.d.Store.ETag(ctx, key); err != nil {
		return nil, "", false, err
	}
	target := fmt.Sprintf("/repos/%s/deployments/%d/statuses?per_page=100", fullName, id)
	first := ""
	for n := 0; target != ""; n++ {
		var body []restDeploymentStatus
		page, err := client.Get(ctx, target, etag, &body)
		if err != nil {
			return nil, "", false, err
		}
		if page.NotModified {
			return nil, etag, true, nil
		}
		if n == 0 {
			first = page.ETag
		}
		etag = ""
		for i := range body {
			out = append(out, body[i].model())
		}
		target = page.Next
	}
	return out, first, false, nil
}

func (a *ActionsConnector) syncDeployment(ctx context.Context, client *Client, fullName string, d *model.GitHubDeployment) error {
	statuses, etag, notModified, err := a.statuses(ctx, client, fullName, d.GitHubID)
	if err != nil {
		return err
	}
	if notModified {
		// Statuses unchanged: keep them, store the deployment's fields.
		statuses = nil
	}
	d.Statuses = statuses
	final := finalStatus(statuses)
	return a.d.Store.Tx(ctx, func(tx *store.Tx) error {
		if notModified {
			var err error
			if final, err = tx.GitHubDeploymentFinal(ctx, d.GitHubID); err != nil {
				return err
			}
		}
		if _, err := tx.UpsertGitHubDeployment(ctx, d, final); err != nil {
			return err
		}
		return tx.SetETag(ctx, fmt.Sprintf("actions:deployment_statuses:%d", d.GitHubID), etag)
	})
}

func (a *ActionsConnector) syncStatusesOnly(ctx context.Context, client *Client, fullName string, d *model.GitHubDeployment) error {
	statuses, etag, notModified, err := a.statuses(ctx, client, fullName, d.GitHubID)
	if err != nil || notModified {
		return err
	}
	return a.d.Store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.AddGitHubDeploymentStatuses(ctx, d.GitHubID, statuses, finalStatus(statuses)); err != nil {
			return err
		}
		return tx.SetETag(ctx, fmt.Sprintf("actions:deployment_statuses:%d", d.GitHubID), etag)
	})
}
