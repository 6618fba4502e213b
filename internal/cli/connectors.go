package cli

import (
	"log/slog"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/github"
	"github.com/veelocity/veelocity/internal/linear"
	"github.com/veelocity/veelocity/internal/pagerduty"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// buildConnectors returns every source's connector, configured or not; the
// sync engine skips those that are not configured and says why.
func buildConnectors(cfg *config.Config, st *store.Store, log *slog.Logger) []syncer.Connector {
	// One GitHub client, so both GitHub connectors share the rate limit.
	gh := github.Deps{Config: cfg, Store: st, Client: github.NewFromConfig(cfg, log), Log: log, Discovery: github.NewDiscovery()}
	return []syncer.Connector{
		github.NewConnector(gh),
		github.NewActionsConnector(gh),
		linear.NewConnector(cfg, st, linear.Options{Logger: log}),
		pagerduty.NewConnector(cfg, st, pagerduty.Options{Logger: log}),
	}
}
