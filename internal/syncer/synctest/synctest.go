// Package synctest has a configurable Connector for tests of the sync
// engine and of what drives it (the API, the CLI).
package synctest

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// Connector is a source whose behaviour is a function.
type Connector struct {
	Source string
	// NotConfigured, when set, is the reason Configured gives for not
	// being configured.
	NotConfigured string
	// SyncFunc is the sync; nil succeeds without doing anything.
	SyncFunc func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error
}

// Name implements syncer.Connector.
func (c *Connector) Name() string { return c.Source }

// Configured implements syncer.Connector.
func (c *Connector) Configured() (bool, string) { return c.NotConfigured == "", c.NotConfigured }

// TestConnection implements syncer.Connector.
func (c *Connector) TestConnection(ctx context.Context) error { return nil }

// Sync implements syncer.Connector.
func (c *Connector) Sync(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
	if c.SyncFunc == nil {
		return nil
	}
	return c.SyncFunc(ctx, mode, rep)
}

// Repos returns a sync that stores repos (owner/name) through st, one
// transaction and one request each, with n pull requests per repo, as the
// GitHub connector does: a scope per repo, its state in sync_state.
func Repos(st *store.Store, n int, repos ...string) func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
	return func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
		for _, full := range repos {
			rep.Scope(full)
			if err := st.MarkSyncStarted(ctx, "github", full); err != nil {
				return err
			}
			rep.Requests(1)
			err := st.Tx(ctx, func(tx *store.Tx) error {
				repoID, err := tx.UpsertRepository(ctx, &model.Repository{FullName: full, GitHubID: githubID(full)})
				if err != nil {
					return err
				}
				for i := 1; i <= n; i++ {
					pr := &model.PullRequest{Number: i, Title: fmt.Sprintf("PR %d", i), State: model.PRStateOpen,
						CreatedAt: tx.Now(), UpdatedAt: tx.Now()}
					if _, err := tx.UpsertPullRequest(ctx, repoID, pr); err != nil {
						return err
					}
				}
				return tx.SetSyncCursor(ctx, "github", full, tx.Now().Format("2006-01-02T15:04:05Z"))
			})
			if err != nil {
				return err
			}
			rep.Records("repositories", 1)
			rep.Records("pull_requests", n)
			if err := st.MarkSyncSucceeded(ctx, "github", full); err != nil {
				return err
			}
		}
		return nil
	}
}

// githubID makes up a stable GitHub id for a repository name.
func githubID(full string) int64 {
	h := fnv.New32a()
	h.Write([]byte(full))
	return int64(h.Sum32())
}
