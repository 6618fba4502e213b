package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	return d
}

// NewFromConfig returns a client for the GITHUB_* settings of cfg.
func NewFromConfig(cfg *config.Config, log *slog.Logger) *Client {
	return NewClient(ClientOptions{RESTURL: cfg.GitHubAPIURL, GraphQLURL: cfg.GitHubGraphQLURL, Token: cfg.GitHubToken,
		App: AppFromConfig(cfg), Options: httpapi.Options{Log: log}})
}

// eachScope runs fn for every repository in GITHUB_REPOS as a scope of
// source: it reports the scope, records its state in sync_state, and goes
// on to the next repository when one fails. A rejected token fails the
// remaining repositories without a request each; ctx ending stops at once.
// The errors it returns carry no credentials (the client redacts them).
func eachScope(ctx context.Context, d Deps, source string, rep syncer.Reporter, fn func(repo string) error) error {
	var errs []error
	var rejected error
	for _, repo := range d.Config.GitHubRepos {
		rep.Scope(repo)
		if err := d.Store.MarkSyncStarted(ctx, source, repo); err != nil {
			return errors.Join(append(errs, err)...)
		}
		err := rejected
		if err == nil {
			err = fn(repo)
		}
		bg := context.WithoutCancel(ctx)
		if err == nil {
			err = d.Store.MarkSyncSucceeded(bg, source, repo)
		} else {
			d.Log.Warn("sync of a repository failed", "source", source, "repo", repo, "error", err)
			err = errors.Join(fmt.Errorf("%s: %w", repo, err), d.Store.MarkSyncFailed(bg, source, repo, store.PublicMessage(err)))
		}
		errs = append(errs, err)
		if errors.Is(err, ErrUnauthorized) {
			rejected = ErrUnauthorized
		}
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

// laterOf returns the later of two times.
func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
