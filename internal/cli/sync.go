package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/telemetry"
)

// connectorsFor builds the connectors sync and serve run. It is
// buildConnectors; the CLI's tests replace it with test connectors.
var connectorsFor = buildConnectors

// liveRedraw is how often a terminal's live progress is redrawn.
const liveRedraw = 200 * time.Millisecond

// syncVars are the settings a sync reads.
var syncVars = []string{"DATABASE_URL", "DEBUG", "GITHUB_TOKEN", "GITHUB_REPOS", "GITHUB_API_URL", "GITHUB_GRAPHQL_URL",
	"LINEAR_API_KEY", "LINEAR_API_URL", "LINEAR_TEAMS", "PAGERDUTY_API_KEY", "PAGERDUTY_SERVICES", "PAGERDUTY_URGENCIES",
	"PAGERDUTY_API_URL", "DEPLOYMENT_PATTERNS", "INCIDENT_LABELS", "INCIDENT_WINDOW", "SYNC_SINCE"}

func syncCmd() *command {
	var full bool
	var source string
	return &command{
		name:    "sync",
		summary: "sync GitHub, GitHub Actions, Linear and PagerDuty now, showing progress",
		usage:   " [--full] [--source github|actions|linear|pagerduty] [--database URL]",
		help: `Runs one sync now and shows its progress: live counts per source and per
repository or team on a terminal, one line per step otherwise, then a
summary. It is incremental (each repository and team resumes where the last
sync stopped; a first sync reaches back SYNC_SINCE) unless --full is given.
It applies pending database migrations first.

A source that fails does not stop the others. The exit status is 0 when every
configured source synced, 1 when one failed, and 2 when no source is
configured or an argument is wrong.`,
		vars: syncVars,
		flags: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&full, "full", false, "refetch everything since SYNC_SINCE instead of resuming from the last sync")
			fs.StringVar(&source, "source", "", "sync only this source: "+strings.Join(syncer.KnownSources, ", "))
			databaseFlag(fs, o)
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			return runSync(ctx, e, o, args, full, source)
		},
	}
}

func runSync(ctx context.Context, e *env, o *options, args []string, full bool, source string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	req := syncer.Request{Mode: syncer.Recent, Trigger: syncer.TriggerCLI}
	if full {
		req.Mode = syncer.Full
	}
	if source != "" {
		if !slices.Contains(syncer.KnownSources, source) {
			return usageError{fmt.Errorf("unknown --source %q; use %s", source, strings.Join(syncer.KnownSources, ", "))}
		}
		req.Sources = []string{source}
	}
	cfg, err := loadConfig(e, o)
	if err != nil {
		return err
	}
	// Say what to set before creating a database there is nothing to sync into.
	if err := checkConfigured(cfg, source); err != nil {
		return err
	}

	live, width := terminal(e.stderr)
	disp := syncer.NewDisplay(e.stderr, live, width, nil)
	log := e.log
	if log == nil {
		log = newLogger(disp, cfg.Debug)
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	conns := connectorsFor(cfg, st, leveled(log, cfg.Debug, slog.LevelWarn))
	eng := newEngine(cfg, st, conns, newDeriver(cfg, st, log),
		leveled(log, cfg.Debug, slog.LevelError))
	defer eng.Close()

	req.Observe = disp.Observe
	stopDrawing := drawWhileRunning(eng, disp, live)
	p, err := eng.Run(ctx, req)
	stopDrawing()
	var notConfigured *syncer.NotConfiguredError
	var unknown *syncer.UnknownSourceError
	switch {
	case errors.As(err, &notConfigured), errors.As(err, &unknown):
		return usageError{err}
	case err != nil:
		return err
	}
	disp.Draw(p)
	syncer.Summary(e.stdout, p)
	clientReports(e.stdout, conns, p)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !p.OK() {
		failed := p.Failed()
		if p.AfterSyncError != "" {
			failed = append(failed, "updating the metrics")
		}
		return fmt.Errorf("failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// clientReports prints, for each API client of a source that ran, what it
// did on the wire: requests, retries and page-size reductions.
func clientReports(w io.Writer, conns []syncer.Connector, p syncer.Progress) {
	for _, c := range conns {
		r, ok := c.(interface{ ClientReport() string })
		if !ok {
			continue
		}
		for _, s := range p.Sources {
			if s.Source == c.Name() && s.Status != syncer.StatusSkipped {
				fmt.Fprintln(w, "  "+r.ClientReport())
			}
		}
	}
}

// checkConfigured refuses a sync when the configuration names no source
// (or not the one asked for), saying which variables to set.
func checkConfigured(cfg *config.Config, source string) error {
	gh, _ := cfg.GitHubConfigured()
	ln, _ := cfg.LinearConfigured()
	pd, _ := cfg.PagerDutyConfigured()
	if source == "" {
		if !gh && !ln && !pd {
			return usageError{errors.New("no source is configured: set GITHUB_TOKEN and GITHUB_REPOS to sync GitHub and GitHub Actions, LINEAR_API_KEY to sync Linear, and/or PAGERDUTY_API_KEY and PAGERDUTY_SERVICES to sync PagerDuty")}
		}
		return nil
	}
	if ok, why := cfg.SourceConfigured(source); !ok {
		return usageError{fmt.Errorf("%s is not configured: %s", source, why)}
	}
	return nil
}

// newEngine returns the sync engine over the configuration's sources.
// Its AfterSync hook is where the derive step runs after a sync.
func newEngine(cfg *config.Config, st *store.Store, conns []syncer.Connector, der *derive.Deriver, log *slog.Logger) *syncer.Engine {
	return newObservedEngine(cfg, st, conns, deriveFunc(der, log), log, nil)
}

// newObservedEngine returns serve's engine: its after-sync step is derive,
// and tel (may be nil) sees each source's end.
func newObservedEngine(cfg *config.Config, st *store.Store, conns []syncer.Connector, derive func(context.Context) error,
	log *slog.Logger, tel *telemetry.Telemetry) *syncer.Engine {
	o := syncer.Options{
		Store:      st,
		Connectors: conns,
		Log:        log,
		Secrets:    cfg.Secrets(),
		AfterSync:  derive,
	}
	if tel != nil {
		o.OnSourceEnd = tel.SourceEnded
	}
	return syncer.New(o)
}

// newDeriver returns the derive step for cfg's settings.
func newDeriver(cfg *config.Config, st *store.Store, log *slog.Logger) *derive.Deriver {
	return derive.New(st, derive.OptionsFrom(cfg), log)
}

// deriveFunc runs an incremental derive, logging what it did.
func deriveFunc(der *derive.Deriver, log *slog.Logger) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		start := time.Now()
		// The crash test (TestKilledSyncEndsLikeAFaultFreeOne) waits for
		// this line to kill the process during derive.
		log.Debug("derive: started")
		stats, err := der.Run(ctx, derive.Incremental)
		if err != nil {
			return err
		}
		log.Info("derived facts", "stats", stats.String(), "duration", time.Since(start).Round(time.Millisecond))
		return nil
	}
}

// newScheduler returns serve's scheduler: a sync at startup
// (SYNC_ON_STARTUP), then every SYNC_INTERVAL.
func newScheduler(cfg *config.Config, eng *syncer.Engine, log *slog.Logger) *syncer.Scheduler {
	return syncer.NewScheduler(syncer.SchedulerOptions{
		Engine:    eng,
		OnStartup: cfg.SyncOnStartup,
		Interval:  cfg.SyncInterval,
		Log:       log,
	})
}

// terminal reports whether w is a terminal, and a function returning its
// width.
func terminal(w io.Writer) (bool, func() int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, nil
	}
	return true, func() int {
		width, _, err := term.GetSize(int(f.Fd()))
		if err != nil {
			return 0
		}
		return width
	}
}

// drawWhileRunning redraws the live display until the returned function is
// called.
func drawWhileRunning(eng *syncer.Engine, disp *syncer.Display, live bool) (stop func()) {
	if !live {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(liveRedraw)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if p, ok := eng.Progress(); ok {
					disp.Draw(p)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// leveled returns log restricted to level and above, unless DEBUG is set:
// during a sync the display says what happens, so only what it cannot say
// is logged.
func leveled(log *slog.Logger, debug bool, level slog.Level) *slog.Logger {
	if debug {
		return log
	}
	return slog.New(minLevel{log.Handler(), level})
}

// minLevel is a slog.Handler that drops records below level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.level}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.level}
}
