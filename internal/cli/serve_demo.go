package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/demo"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// demoDatabaseURL is where serve keeps the demo dataset, apart from the
// database real syncs use, so demo and real data never meet.
const demoDatabaseURL = "sqlite:veelocity-demo.db"

// demoFlag is serve's --demo: unset means "when nothing else is there to
// show", --demo forces the demo, --demo=false never shows it.
type demoFlag struct{ set, on bool }

func (f *demoFlag) String() string {
	if !f.set {
		return "auto"
	}
	return strconv.FormatBool(f.on)
}

func (f *demoFlag) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	f.set, f.on = true, b
	return nil
}

// IsBoolFlag lets --demo go without a value.
func (f *demoFlag) IsBoolFlag() bool { return true }

// wantDemo decides whether serve shows the demo dataset: when asked to, or,
// unless told not to, when no source is configured and the database holds
// nothing synced (a first run with no token). It returns the reason to log.
func wantDemo(ctx context.Context, cfg *config.Config, f demoFlag) (bool, string, error) {
	if f.set {
		return f.on, "--demo was given", nil
	}
	if ok, _ := cfg.GitHubConfigured(); ok {
		return false, "", nil
	}
	if ok, _ := cfg.LinearConfigured(); ok {
		return false, "", nil
	}
	if ok, _ := cfg.PagerDutyConfigured(); ok {
		return false, "", nil
	}
	empty, err := databaseEmpty(ctx, cfg.DatabaseURL)
	if err != nil || !empty {
		return false, "", err
	}
	return true, "no source is configured (GITHUB_TOKEN and GITHUB_REPOS, or LINEAR_API_KEY) and the database holds no data", nil
}

// databaseEmpty reports whether the database at url holds no repository
// and no Linear team, without creating it.
func databaseEmpty(ctx context.Context, url string) (bool, error) {
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return true, nil
		}
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		return false, err
	}
	defer st.Close()
	var n int
	err = st.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM repositories) + (SELECT count(*) FROM linear_teams)`).Scan(&n)
	if err != nil {
		// Not migrated yet: nothing in it.
		return true, nil
	}
	return n == 0, nil
}

// ensureDemo loads the default demo dataset into st unless today's is
// already there.
func ensureDemo(ctx context.Context, st *store.Store, cfg *config.Config, log *slog.Logger) error {
	m, ok, err := demo.ReadMarker(ctx, st)
	if err != nil {
		return err
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if ok && m.Complete && m.Today == today && m.PRs == demo.DefaultPRs {
		log.Info("serving the demo dataset already loaded today", "prs", m.PRs)
		return nil
	}
	log.Info("loading the demo dataset", "prs", demo.DefaultPRs)
	res, err := demo.Load(ctx, st, demo.Options{PRs: demo.DefaultPRs, Seed: 1, Log: log, Derive: deriveHook(st, cfg, log)})
	if errors.Is(err, demo.ErrRealData) {
		return fmt.Errorf("%w; serve --demo needs a database of its own (the default is %s)", err, demoDatabaseURL)
	}
	if err != nil {
		return err
	}
	log.Info("loaded the demo dataset", "records", res.Rows(), "duration", (res.Load + res.Derive).Round(time.Millisecond))
	return nil
}

// demoSyncOff is why no source syncs while serve shows the demo dataset.
const demoSyncOff = "serve is showing the demo dataset, which real records never join: restart serve without --demo to sync"

// withoutSync wraps the configured connectors so that none counts as
// configured: while the demo dataset is served, nothing syncs into it, and
// the status says why (the others keep saying what to set).
func withoutSync(conns []syncer.Connector) []syncer.Connector {
	out := make([]syncer.Connector, len(conns))
	for i, c := range conns {
		out[i] = c
		if ok, _ := c.Configured(); ok {
			out[i] = demoConnector{c}
		}
	}
	return out
}

type demoConnector struct{ syncer.Connector }

func (demoConnector) Configured() (bool, string) { return false, demoSyncOff }
