package linear

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/httpapi"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// Source is the connector's name in sync_state, sync_runs and the status
// API.
const Source = model.SourceLinear

// Default and largest number of issues per page; see issuesQuery for what
// a page costs.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// Options tune a Connector. The zero value is what production uses.
type Options struct {
	// Client talks to Linear; nil makes one for LINEAR_API_URL and
	// LINEAR_API_KEY.
	Client *Client
	Logger *slog.Logger
	// Now is the clock that dates the first sync's reach (SYNC_SINCE).
	Now func() time.Time
	// PageSize is the number of issues per query (default 50, at most 100).
	PageSize int
}

// Connector syncs Linear teams and their issues, with labels and
// attachments, into the store. It implements syncer.Connector.
type Connector struct {
	cfg      *config.Config
	st       *store.Store
	client   *Client
	log      *slog.Logger
	now      func() time.Time
	pageSize int
}

var _ syncer.Connector = (*Connector)(nil)

// NewConnector returns the Linear connector for cfg, storing into st.
func NewConnector(cfg *config.Config, st *store.Store, o Options) *Connector {
	c := &Connector{cfg: cfg, st: st, client: o.Client, log: o.Logger, now: o.Now, pageSize: o.PageSize}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.client == nil {
		c.client = NewClient(ClientOptions{URL: cfg.LinearAPIURL, Key: cfg.LinearAPIKey, Options: httpapi.Options{Log: c.log}})
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.pageSize <= 0 {
		c.pageSize = DefaultPageSize
	}
	c.pageSize = min(c.pageSize, MaxPageSize)
	return c
}

// Name returns "linear".
func (c *Connector) Name() string { return Source }

// Configured reports whether LINEAR_API_KEY is set.
func (c *Connector) Configured() (bool, string) { return c.cfg.LinearConfigured() }

// TestConnection asks Linear who the key belongs to: one 2-point query.
func (c *Connector) TestConnection(ctx context.Context) error {
	var out struct {
		Viewer struct {
			ID string `json:"id"`
		} `json:"viewer"`
	}
	return c.client.Do(ctx, viewerQuery, nil, &out)
}

// do runs one query and reports its HTTP requests, retries included.
func (c *Connector) do(ctx context.Context, rep syncer.Reporter, query string, vars map[string]any, out any) error {
	n, err := c.client.do(ctx, query, vars, out)
	if n > 0 {
		rep.Requests(n)
	}
	return err
}

// Sync lists the teams (those of LINEAR_TEAMS when it is set), then syncs
// each team's issues. A team that fails is recorded and the others still
// sync; the errors are returned joined. A rejected key or a canceled
// context stops the sync.
func (c *Connector) Sync(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
	teams, err := c.listTeams(ctx, rep)
	if err != nil {
		return fmt.Errorf("listing Linear teams: %w", err)
	}
	visible := make([]string, len(teams))
	for i, t := range teams {
		visible[i] = t.Key
	}
	slices.Sort(visible)
	teams, unknown := c.selectTeams(teams)
	teams, unknown = onlyRequested(ctx, teams, unknown)
	var errs []error
	for _, key := range unknown {
		msg := fmt.Sprintf("LINEAR_TEAMS names %s, but the API key sees no team with that key (it sees %s)",
			key, strings.Join(visible, ", "))
		if len(visible) == 0 {
			msg = fmt.Sprintf("LINEAR_TEAMS names %s, but the API key sees no teams at all", key)
		}
		rep.Scope(key)
		if err := c.st.MarkSyncFailed(ctx, Source, key, msg); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, errors.New(msg))
	}
	for _, t := range teams {
		rep.Scope(t.Key)
		err := c.syncTeam(ctx, mode, rep, t)
		if merr := syncer.EndScope(ctx, c.st, Source, t.Key, err); merr != nil {
			errs = append(errs, merr)
		}
		if err == nil {
			continue
		}
		c.log.Warn("linear: team sync failed", "team", t.Key, "err", err)
		errs = append(errs, fmt.Errorf("team %s: %w", t.Key, err))
		var auth *AuthError
		if ctx.Err() != nil || errors.As(err, &auth) {
			break
		}
	}
	return errors.Join(errs...)
}

// onlyRequested keeps, when the sync was restricted to some teams (a
// webhook's targeted sync, see syncer.OnlyScopes), the teams named by key
// or id, and forgets the unknown LINEAR_TEAMS keys, which the next full
// sync reports.
func onlyRequested(ctx context.Context, teams []teamNode, unknown []string) ([]teamNode, []string) {
	var names []string
	for _, t := range teams {
		names = append(names, t.Key, t.ID)
	}
	wanted := syncer.OnlyScopes(ctx, names)
	if len(wanted) == len(names) {
		return teams, unknown
	}
	return slices.DeleteFunc(teams, func(t teamNode) bool {
		return !slices.Contains(wanted, t.Key) && !slices.Contains(wanted, t.ID)
	}), nil
}

// Retries is how many requests the Linear client sent again, for the
// Prometheus metrics.
func (c *Connector) Retries() int64 { return c.client.Retries() }

// RateLimits is what remains of Linear's rate-limit budgets, for the
// Prometheus metrics.
func (c *Connector) RateLimits() map[string]float64 { return c.client.RateLimits() }
