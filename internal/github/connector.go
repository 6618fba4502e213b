package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/httpapi"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// Deps are what the GitHub and Actions connectors need.
type Deps struct {
	Config *config.Config
	Store  *store.Store
	// Client talks to GitHub; when nil, one is built from Config. Both
	// connectors should share one, so they share the rate-limit state.
	Client *Client
	Log    *slog.Logger
	// Now is the clock for SYNC_SINCE and the cursors (default time.Now).
	Now func() time.Time
	// Discovery resolves GITHUB_REPOS; both connectors should share one,
	// so one sync lists the owners once.
	Discovery *Discovery
}

func (d Deps) withDefaults() Deps {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Client == nil {
		d.Client = NewFromConfig(d.Config, d.Log)
	}
	if d.Discovery == nil {
		d.Discovery = NewDiscovery()
	}
	return d
}

// NewFromConfig returns a client for the GITHUB_* settings of cfg.
func NewFromConfig(cfg *config.Config, log *slog.Logger) *Client {
	return NewClient(ClientOptions{RESTURL: cfg.GitHubAPIURL, GraphQLURL: cfg.GitHubGraphQLURL, Token: cfg.GitHubToken,
		App: AppFromConfig(cfg), Options: httpapi.Options{Log: log}})
}

// resolveRepos resolves GITHUB_REPOS (listing the owners of owner/*
// entries), marks the stored repositories that left it inactive, and
// returns those to sync: all of them, or those a targeted sync asked for
// (syncer.OnlyScopes).
func resolveRepos(ctx context.Context, d Deps, client *Client) ([]string, error) {
	repos, err := d.Discovery.Repos(ctx, d.Config, client, d.Now())
	if err != nil {
		return nil, err
	}
	if err := d.Store.Tx(ctx, func(tx *store.Tx) error { return tx.SetActiveRepositories(ctx, repos) }); err != nil {
		return nil, err
	}
	// A sync a webhook asked for keeps to the repositories it named.
	return syncer.OnlyScopes(ctx, repos), nil
}

// eachScope runs fn for every repository of repos as a scope of source, up
// to SYNC_CONCURRENCY at once: it reports the scope, records its state in
// sync_state, and goes on with the other repositories when one fails. A
// rejected token fails the remaining repositories without a request each;
// ctx ending stops at once. fn gets the scope's Reporter. The errors it
// returns carry no credentials (the client redacts them).
func eachScope(ctx context.Context, d Deps, source string, rep syncer.Reporter, repos []string,
	fn func(ctx context.Context, repo string, rep syncer.Reporter) error) error {
	errs := make([]error, len(repos))
	var rejected atomic.Bool
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(d.Config.SyncConcurrency, 1), max(len(repos), 1)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = syncScope(ctx, d, source, rep, repos[i], &rejected, fn)
			}
		})
	}
	for i := range repos {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// syncScope runs fn for one repository and records its state.
func syncScope(ctx context.Context, d Deps, source string, rep syncer.Reporter, repo string, rejected *atomic.Bool,
	fn func(ctx context.Context, repo string, rep syncer.Reporter) error) error {
	if ctx.Err() != nil {
		return nil
	}
	srep, end := syncer.BeginScope(rep, repo)
	if err := d.Store.MarkSyncStarted(ctx, source, repo); err != nil {
		end(err)
		return err
	}
	var err error
	if rejected.Load() {
		err = ErrUnauthorized
	} else {
		err = fn(ctx, repo, srep)
	}
	bg := context.WithoutCancel(ctx)
	if err == nil {
		err = d.Store.MarkSyncSucceeded(bg, source, repo)
	} else {
		d.Log.Warn("sync of a repository failed", "source", source, "repo", repo, "error", err)
		err = errors.Join(fmt.Errorf("%s: %w", repo, err), d.Store.MarkSyncFailed(bg, source, repo, store.PublicMessage(err)))
	}
	if errors.Is(err, ErrUnauthorized) {
		rejected.Store(true)
	}
	end(err)
	return err
}

// laterOf returns the later of two times.
func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
