package github

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
)

// newBusyEnv is an organisation of several repositories, enough requests
// for a few percent of failures to hit some of them. Retries do not move
// the fake's clock, so its answers stay those of a fault-free run.
func newBusyEnv(t *testing.T) *env {
	repos := []string{"acme/web", "acme/api", "acme/app", "acme/lib", "acme/ops", "acme/docs"}
	e := newFakeEnv(t, repos...)
	e.store = storetest.New(t)
	e.store.SetClock(e.clock.Now)
	for i, r := range repos {
		e.fake.Generate(e.fake.Repo(r), githubfake.Bulk{PullRequests: 90 + 10*i, MaxCommits: 4, MaxReviews: 3,
			MaxComments: 4, Runs: 150, Issues: 110, Seed: uint64(20 + i)})
	}
	e.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	e.rebuild()
	return e
}

// A busy GitHub times out on heavy queries, cuts bodies short and fails
// at random; the sync still completes, and stores exactly what a sync
// from a healthy GitHub stores, table by table.
func TestSyncSurvivesABusyGitHub(t *testing.T) {
	t.Parallel()
	want := newBusyEnv(t)
	syncBoth(want, syncer.Recent)
	wantDump := withoutETags(want.dump())
	healthy := want.client.Stats()

	for _, tc := range []struct {
		name string
		load githubfake.Load
	}{
		{"502 to queries over 20,000 nodes", githubfake.Load{MaxNodes: 20_000, Seed: 1}},
		{"5% of bodies truncated", githubfake.Load{Truncate: 0.05, Seed: 2}},
		{"both, and 10% of requests 502", githubfake.Load{MaxNodes: 20_000, Truncate: 0.05, ServerErrors: 0.10, Seed: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newBusyEnv(t)
			e.fake.SetLoad(tc.load)
			syncBoth(e, syncer.Recent)
			if d := diffDumps(wantDump, withoutETags(e.dump())); d != "" {
				t.Errorf("the data differs from a fault-free sync's:\n%s", d)
			}
			got, stats := e.fake.Injected(), e.client.Stats()
			t.Logf("injected %+v; client %+v (healthy GitHub: %d requests)", got, stats, healthy.Requests)
			if tc.load.MaxNodes > 0 && (got.TooManyNodes == 0 || stats.PageReductions == 0) {
				t.Errorf("%d queries over %d nodes, %d page-size reductions: want both > 0", got.TooManyNodes, tc.load.MaxNodes, stats.PageReductions)
			}
			if tc.load.Truncate > 0 && got.Truncated == 0 {
				t.Error("no body was truncated")
			}
			if tc.load.ServerErrors > 0 && got.ServerErrors == 0 {
				t.Error("no random 502 was injected")
			}
			if failures := int64(got.TooManyNodes + got.Truncated + got.ServerErrors); stats.Retries != failures {
				t.Errorf("the client counted %d retries for %d injected failures", stats.Retries, failures)
			}
		})
	}
}

// withoutETags keeps the keys of http_cache but not its validators, which
// hash bodies holding each fake server's own URL.
func withoutETags(d map[string][]string) map[string][]string {
	keys := make([]string, len(d["http_cache"]))
	for i, row := range d["http_cache"] {
		keys[i], _, _ = strings.Cut(row, " | ")
	}
	d["http_cache"] = keys
	return d
}
