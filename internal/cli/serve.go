package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/auth"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/telemetry"
	"github.com/veelocity/veelocity/internal/version"
	"github.com/veelocity/veelocity/internal/web"
)

func serveCmd() *command {
	return &command{
		name:    "serve",
		summary: "serve the dashboard and the JSON API, and sync on a schedule",
		usage:   " [--listen ADDR] [--database URL] [--demo[=false]]",
		help: `Serves the web dashboard at / and the JSON API under /api/v1 (described at
/openapi.json), and syncs at startup, every SYNC_INTERVAL and on demand. It
applies pending database migrations first. It stops gracefully on SIGINT or
SIGTERM.

With no source configured (no GITHUB_TOKEN/GITHUB_REPOS, LINEAR_API_KEY or PAGERDUTY_API_KEY)
and nothing in the database, it serves a demo dataset instead, kept in
` + demoDatabaseURL + ` (apart from real data) and loaded in a few seconds;
--demo forces that, --demo=false turns it off.

AUTH_MODE chooses who may use it: none (the default, allowed only on a
loopback LISTEN_ADDR unless set explicitly), github, password or proxy.
Everything but /api/v1/health, the JSON welcome at /, the sign-in flow and
static files then needs a session or an API token (veelocity token create).
Every secret may be given as NAME_FILE, a path to read it from.`,
		vars: []string{"DATABASE_URL", "LISTEN_ADDR", "DEBUG", "GITHUB_TOKEN", "GITHUB_REPOS", "GITHUB_API_URL",
			"GITHUB_GRAPHQL_URL", "LINEAR_API_KEY", "LINEAR_API_URL", "LINEAR_TEAMS", "PAGERDUTY_API_KEY",
			"PAGERDUTY_SERVICES", "PAGERDUTY_URGENCIES", "PAGERDUTY_API_URL", "DEPLOYMENT_PATTERNS", "INCIDENT_LABELS",
			"INCIDENT_WINDOW", "SYNC_INTERVAL", "SYNC_ON_STARTUP", "SYNC_SINCE",
			"GITHUB_WEBHOOK_SECRET", "LINEAR_WEBHOOK_SECRET",
			"AUTH_MODE", "PUBLIC_URL", "GITHUB_OAUTH_CLIENT_ID", "GITHUB_OAUTH_CLIENT_SECRET", "GITHUB_WEB_URL", "AUTH_GITHUB_ALLOW",
			"AUTH_PASSWORD_HASH", "AUTH_PROXY_HEADER", "AUTH_PROXY_TRUSTED", "AUTH_SESSION_LIFETIME"},
		flags: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.listen, "listen", "", "host:port to listen on (overrides LISTEN_ADDR)")
			fs.Var(&o.demo, "demo", "serve the demo dataset (default: only when no source is configured and the database is empty)")
			databaseFlag(fs, o)
		},
		run: runServe,
	}
}

func runServe(ctx context.Context, e *env, o *options, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	cfg, err := loadConfig(e, o)
	if err != nil {
		return err
	}
	mode, err := cfg.AuthMode(cfg.ListenAddr)
	if err != nil {
		return err
	}
	explicitNone := cfg.Auth.Mode == config.AuthNone
	cfg.Auth.Mode = mode
	log := e.log
	if log == nil {
		log = newLogger(e.stderr, cfg.Debug)
	}
	if explicitNone && !config.IsLoopback(cfg.ListenAddr) {
		log.Warn("AUTH_MODE=none on an address other machines can reach: anyone who reaches it can use Veelocity; keep it behind a proxy that authenticates", "listen", cfg.ListenAddr)
	}
	useDemo, why, err := wantDemo(ctx, cfg, o.demo)
	if err != nil {
		return err
	}
	if useDemo && o.database == "" {
		cfg.DatabaseURL = demoDatabaseURL
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if useDemo {
		log.Info("serving demo data: set GITHUB_TOKEN and GITHUB_REPOS (and LINEAR_API_KEY) to see your team's", "why", why, "database", cfg.DatabaseURL)
		if err := ensureDemo(ctx, st, cfg, log); err != nil {
			return err
		}
	}
	// On the way out: stop the scheduler (canceling its sync), then any
	// sync started from the API, then close the store.
	der := newDeriver(cfg, st, log)
	conns := connectorsFor(cfg, st, log)
	if useDemo {
		// Real records never go into the demo's database.
		conns = withoutSync(conns)
	}
	tel := telemetry.New()
	for _, c := range conns {
		if cs, ok := c.(telemetry.ClientStats); ok {
			tel.WatchClient(c.Name(), cs)
		}
	}
	// One metrics service, so the API, the pages and the DORA gauges share
	// its cache.
	svc := metrics.New(st, cfg.LinearAPIKey != "")
	// Open the connections and load the rollups into memory before
	// serving, rather than on the first requests (about a second for a year
	// of a million PRs).
	began := time.Now()
	if err := st.Prime(ctx); err != nil {
		log.Warn("opening the database connections ahead", "err", err)
	}
	if n, err := svc.Warm(ctx); err != nil {
		log.Warn("loading the rollups into memory; the first requests will", "err", err)
	} else if n > 0 {
		log.Info("rollups loaded into memory", "bytes", n, "duration", time.Since(began).Round(time.Millisecond))
	}
	tel.WatchDORA(telemetry.DORASource{Metrics: svc, Store: st, Log: log})
	derive := observedDerive(deriveFunc(der, log), tel)
	eng := newObservedEngine(cfg, st, conns, derive, log, tel)
	defer eng.Close()
	sched := newScheduler(cfg, eng, log)
	defer sched.Stop()

	// Webhook deliveries ask for targeted syncs, which queue behind the
	// running sync.
	targeted := syncer.NewQueue(syncer.QueueOptions{Engine: eng, Log: log})
	defer targeted.Close()
	a := api.New(api.Deps{Store: st, Config: cfg, Log: log, Sync: eng, Derive: derive, Targeted: targeted, Metrics: svc})
	defer a.Close()
	h := server.Handler(server.Options{
		API:       a,
		Pages:     web.New(web.Options{Store: st, Config: cfg, Sync: eng, Log: log, Metrics: svc}),
		Log:       log,
		Version:   version.Version,
		Auth:      auth.New(auth.Options{Mode: mode, Config: cfg, Store: st, Log: log}),
		PublicURL: cfg.Auth.PublicURL,
		Telemetry: tel,
	})
	return server.Run(ctx, cfg.ListenAddr, h, log, func(addr net.Addr) {
		log.Info("veelocity is serving", "url", fmt.Sprintf("http://%s/", addr), "database", st.Dialect().String(), "version", version.String())
		// Bring the facts up to date with the current settings (a changed
		// DEPLOYMENT_PATTERNS reclassifies workflows without a refetch).
		go func() {
			if err := derive(ctx); err != nil && ctx.Err() == nil {
				log.Error("deriving facts at startup", "err", err)
			}
		}()
		if !useDemo {
			sched.Start(ctx)
		}
	})
}

// observedDerive wraps a derive step so that tel times it and, after it,
// refreshes the DORA gauges in the background.
func observedDerive(derive func(context.Context) error, tel *telemetry.Telemetry) func(context.Context) error {
	return func(ctx context.Context) error {
		start := time.Now()
		err := derive(ctx)
		tel.DeriveDone(time.Since(start), err)
		if err == nil {
			tel.RefreshDORALater()
		}
		return err
	}
}
