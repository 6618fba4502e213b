package github

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/httpapi"
	"github.com/veelocity/veelocity/internal/syncer"
)

// Through the engine, repositories sync SYNC_CONCURRENCY at a time, and the
// progress stays readable: the repositories in flight, each repository's
// own counts and result, and totals that are their sums.
func TestEngineSyncsRepositoriesInParallel(t *testing.T) {
	e := newEnv(t)
	var repos []string
	for i := range 8 {
		r := e.fake.AddRepo(&githubfake.Repo{Owner: "acme", Name: fmt.Sprintf("svc-%d", i)})
		e.fake.Generate(r, githubfake.Bulk{PullRequests: 12, MaxCommits: 2, MaxReviews: 2, MaxComments: 2, Issues: 3, Seed: uint64(i)})
		repos = append(repos, r.FullName())
	}
	e.cfg.GitHubRepos = []string{"acme/*", "acme/missing"}
	e.fake.SetLatency(20*time.Millisecond, 0) // so that the workers overlap
	eng := syncer.New(syncer.Options{Store: e.store, Connectors: []syncer.Connector{e.github}, Now: e.clock.Now,
		Log: slog.New(slog.DiscardHandler)})
	t.Cleanup(eng.Close)

	var mu sync.Mutex
	maxActive := 0
	p, err := eng.Run(context.Background(), syncer.Request{Mode: syncer.Recent, Trigger: syncer.TriggerCLI, Observe: func(ev syncer.Event) {
		mu.Lock()
		defer mu.Unlock()
		maxActive = max(maxActive, len(ev.Source.Active))
	}})
	if err != nil {
		t.Fatal(err)
	}
	src := p.Sources[0]
	if src.Status != "failed" || len(src.Active) != 0 {
		t.Fatalf("source %s (want failed, for acme/missing), active %v", src.Status, src.Active)
	}
	if maxActive < 2 || maxActive > testConcurrency {
		t.Errorf("at most %d repositories synced at once; want from 2 to SYNC_CONCURRENCY=%d", maxActive, testConcurrency)
	}
	var records, requests int64
	var synced []string
	for _, sc := range src.Scopes {
		records += sc.Records
		requests += sc.Requests
		switch {
		case sc.Scope == "acme/missing":
			if sc.Status != "failed" {
				t.Errorf("acme/missing: %s, want failed", sc.Status)
			}
		case sc.Scope != "":
			synced = append(synced, sc.Scope)
			if sc.Status != "success" || sc.RecordsByKind["pull_requests"] != 12 {
				t.Errorf("%s: %s with %v", sc.Scope, sc.Status, sc.RecordsByKind)
			}
		}
	}
	slices.Sort(synced)
	if !slices.Equal(synced, repos) {
		t.Errorf("scopes %v, want %v", synced, repos)
	}
	if records != src.Records || requests != src.Requests || int(src.Requests) != e.fake.RequestCount() {
		t.Errorf("scopes sum to %d records and %d requests; the source says %d and %d, the server saw %d requests",
			records, requests, src.Records, src.Requests, e.fake.RequestCount())
	}
	if n := e.count("pull_requests"); n != 8*12 {
		t.Errorf("stored %d PRs, want 96", n)
	}
}

// A secondary rate limit that one worker hits pauses the others too: they
// share one view of the budget.
func TestRateLimitPausesEveryWorker(t *testing.T) {
	e := newFakeEnv(t, "acme/web")
	t.Parallel()
	var mu sync.Mutex
	var sleeps []time.Duration
	// A clock that does not move: a pause another worker started is still
	// on when the next request comes.
	e.client = NewClient(ClientOptions{RESTURL: e.cfg.GitHubAPIURL, GraphQLURL: e.cfg.GitHubGraphQLURL, Token: e.cfg.GitHubToken,
		Options: httpapi.Options{Now: func() time.Time { return t0 }, Jitter: func() float64 { return 1 },
			Sleep: func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				sleeps = append(sleeps, d)
				return nil
			}}})
	workerA := e.client.CountingRequests(func() {})
	workerB := e.client.CountingRequests(func() {})
	e.fake.Inject(githubfake.Fault{Kind: githubfake.SecondaryLimit, RetryAfter: 60})
	if _, err := workerA.Get(context.Background(), "/repos/acme/web", "", nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	afterA := len(sleeps)
	mu.Unlock()
	if _, err := workerB.Get(context.Background(), "/repos/acme/web", "", nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if afterA == 0 || len(sleeps) != afterA+1 || sleeps[afterA] != time.Minute {
		t.Errorf("sleeps %v (worker A: the first %d); want worker B to wait out the same minute", sleeps, afterA)
	}
}
