package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/syncer/synctest"
)

// clock is a settable clock shared by the engine and the store, so recorded
// times are exact.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	st  *store.Store
	clk *clock
	// afterSync counts the calls of the after-sync hook.
	afterSync int
	mu        sync.Mutex
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{st: storetest.New(t), clk: newClock()}
	f.st.SetClock(f.clk.Now)
	return f
}

func (f *fixture) engine(conns ...syncer.Connector) *syncer.Engine {
	return syncer.New(syncer.Options{
		Store:      f.st,
		Connectors: conns,
		Log:        slog.New(slog.DiscardHandler),
		Now:        f.clk.Now,
		Secrets:    []string{"ghp_plantedGitHubToken0123456789", "s3cret-linear-key"},
		AfterSync: func(ctx context.Context) error {
			f.mu.Lock()
			f.afterSync++
			f.mu.Unlock()
			return nil
		},
	})
}

func (f *fixture) afterSyncCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.afterSync
}

func (f *fixture) runs(t *testing.T, source string) []store.SyncRun {
	t.Helper()
	runs, err := f.st.SyncRuns(context.Background(), source, 10)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func (f *fixture) state(t *testing.T, source, scope string) store.SyncState {
	t.Helper()
	st, err := f.st.SyncState(context.Background(), source, scope)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// working returns a connector that advances the clock by d and succeeds.
func working(name string, clk *clock, d time.Duration) *synctest.Connector {
	return &synctest.Connector{Source: name, SyncFunc: func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
		rep.Scope("only")
		rep.Requests(1)
		rep.Records("things", 1)
		clk.Advance(d)
		return nil
	}}
}

func sourceOf(t *testing.T, p syncer.Progress, name string) syncer.SourceProgress {
	t.Helper()
	for _, s := range p.Sources {
		if s.Source == name {
			return s
		}
	}
	t.Fatalf("no source %s in %+v", name, p.Sources)
	return syncer.SourceProgress{}
}

func TestSyncStoresDataAndRecordsRunsAndState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	github := &synctest.Connector{Source: "github"}
	repos := synctest.Repos(f.st, 3, "acme/web", "acme/api")
	github.SyncFunc = func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
		f.clk.Advance(2 * time.Second)
		return repos(ctx, mode, rep)
	}
	linear := &synctest.Connector{Source: "linear", NotConfigured: "LINEAR_API_KEY is not set"}
	e := f.engine(github, linear)

	var mu sync.Mutex
	var events []string
	observe := func(ev syncer.Event) {
		mu.Lock()
		defer mu.Unlock()
		s := fmt.Sprintf("%d %s %s", ev.Kind, ev.Source.Source, ev.Source.Status)
		if ev.Kind == syncer.ScopeStarted || ev.Kind == syncer.ScopeFinished {
			s += fmt.Sprintf(" %s records=%d requests=%d", ev.Scope.Scope, ev.Scope.Records, ev.Scope.Requests)
		}
		events = append(events, s)
	}
	start := f.clk.Now()
	p, err := e.Run(ctx, syncer.Request{Mode: syncer.Full, Trigger: syncer.TriggerCLI, Observe: observe})
	if err != nil {
		t.Fatal(err)
	}

	// What the user sees at the end.
	if !p.OK() || p.Running || p.Mode != "full" || p.Trigger != syncer.TriggerCLI || !p.StartedAt.Equal(start) {
		t.Errorf("progress %+v", p)
	}
	gh := sourceOf(t, p, "github")
	if gh.Status != "success" || gh.Records != 8 || gh.Requests != 2 || gh.Duration(time.Time{}) != 2*time.Second {
		t.Errorf("github: %+v", gh)
	}
	wantKinds := map[string]int64{"repositories": 2, "pull_requests": 6}
	if !reflect.DeepEqual(gh.RecordsByKind, wantKinds) {
		t.Errorf("github records by kind %v, want %v", gh.RecordsByKind, wantKinds)
	}
	if len(gh.Scopes) != 2 || gh.Scopes[0].Scope != "acme/web" || gh.Scopes[0].Records != 4 || gh.Scopes[1].Requests != 1 {
		t.Errorf("github scopes %+v", gh.Scopes)
	}
	if ln := sourceOf(t, p, "linear"); ln.Status != "skipped" || ln.Reason != "LINEAR_API_KEY is not set" {
		t.Errorf("linear: %+v", ln)
	}
	// actions has no connector here: skipped, saying why.
	if ac := sourceOf(t, p, "actions"); ac.Status != "skipped" || !strings.Contains(ac.Reason, "not available") {
		t.Errorf("actions: %+v", ac)
	}
	wantEvents := []string{
		"1 github running",
		"2 github running acme/web records=0 requests=0",
		"3 github running acme/web records=4 requests=1",
		"2 github running acme/api records=0 requests=0",
		"3 github running acme/api records=4 requests=1",
		"4 github success",
		"4 actions skipped",
		"4 linear skipped",
		"4 pagerduty skipped",
	}
	if !reflect.DeepEqual(events, wantEvents) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(wantEvents, "\n"))
	}

	// What is stored.
	counts, err := f.st.SourceCounts(ctx, "github")
	if err != nil {
		t.Fatal(err)
	}
	if counts["repositories"] != 2 || counts["pull_requests"] != 6 {
		t.Errorf("stored counts %v", counts)
	}
	runs := f.runs(t, "github")
	if len(runs) != 1 {
		t.Fatalf("github runs: %+v", runs)
	}
	r := runs[0]
	if r.Status != "success" || r.Kind != "full" || r.TriggeredBy != "cli" || r.Records != 8 || r.Requests != 2 ||
		r.Error != "" || !r.StartedAt.Equal(start) || r.FinishedAt == nil || !r.FinishedAt.Equal(start.Add(2*time.Second)) {
		t.Errorf("github run %+v", r)
	}
	if len(f.runs(t, "linear")) != 0 || len(f.runs(t, "actions")) != 0 {
		t.Error("a skipped source was recorded as run")
	}
	src := f.state(t, "github", "")
	if src.LastStartedAt == nil || !src.LastStartedAt.Equal(start) || src.LastSuccessAt == nil ||
		!src.LastSuccessAt.Equal(start.Add(2*time.Second)) || src.LastError != "" {
		t.Errorf("github source state %+v", src)
	}
	if sc := f.state(t, "github", "acme/web"); sc.LastSuccessAt == nil || sc.Cursor == "" {
		t.Errorf("github scope state %+v", sc)
	}
	if n := f.afterSyncCalls(); n != 1 {
		t.Errorf("after-sync hook called %d times, want 1", n)
	}
	if got, ok := e.Progress(); !ok || got.Running || sourceOf(t, got, "github").Records != 8 {
		t.Errorf("last progress %+v", got)
	}
}

func TestFailingSourceDoesNotStopOthersAndIsRedacted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fails := true
	actions := &synctest.Connector{Source: "actions", SyncFunc: func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
		rep.Requests(3)
		if fails {
			return errors.New(`GET https://api.github.com/repos/acme/web/actions/runs: 401 Bad credentials ` +
				`(sent Authorization: Bearer ghp_plantedGitHubToken0123456789; also ghp_someOtherToken1234567890 and s3cret-linear-key)`)
		}
		return nil
	}}
	e := f.engine(working("github", f.clk, time.Second), actions, working("linear", f.clk, time.Second))

	p, err := e.Run(ctx, syncer.Request{Mode: syncer.Recent, Trigger: syncer.TriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Failed(); !reflect.DeepEqual(got, []string{"actions"}) || p.OK() {
		t.Errorf("failed sources %v", got)
	}
	for _, name := range []string{"github", "linear"} {
		if s := sourceOf(t, p, name); s.Status != "success" {
			t.Errorf("%s: %+v", name, s)
		}
		if runs := f.runs(t, name); len(runs) != 1 || runs[0].Status != "success" {
			t.Errorf("%s runs %+v", name, runs)
		}
	}
	leaks := func(where, text string) {
		t.Helper()
		for _, secret := range []string{"ghp_plantedGitHubToken0123456789", "ghp_someOtherToken1234567890", "s3cret-linear-key"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s leaks a credential: %q", where, text)
			}
		}
		if !strings.Contains(text, "401 Bad credentials") || !strings.Contains(text, syncer.Redacted) {
			t.Errorf("%s lost the useful part of the error: %q", where, text)
		}
	}
	leaks("result", sourceOf(t, p, "actions").Error)
	runs := f.runs(t, "actions")
	if len(runs) != 1 || runs[0].Status != "failed" || runs[0].Requests != 3 {
		t.Fatalf("actions runs %+v", runs)
	}
	leaks("sync_runs", runs[0].Error)
	st := f.state(t, "actions", "")
	leaks("sync_state", st.LastError)
	if st.LastErrorAt == nil || st.LastSuccessAt != nil {
		t.Errorf("actions state %+v", st)
	}
	if f.afterSyncCalls() != 1 {
		t.Error("the after-sync hook must run when some sources succeeded")
	}

	// The next successful sync clears the error.
	fails = false
	if _, err := e.Run(ctx, syncer.Request{Sources: []string{"actions"}, Trigger: syncer.TriggerAPI}); err != nil {
		t.Fatal(err)
	}
	if st := f.state(t, "actions", ""); st.LastError != "" || st.LastSuccessAt == nil {
		t.Errorf("actions state after a success %+v", st)
	}
	if runs := f.runs(t, "github"); len(runs) != 1 {
		t.Errorf("a sync restricted to actions ran github: %+v", runs)
	}
}

func TestPanickingConnectorIsAFailedSource(t *testing.T) {
	f := newFixture(t)
	boom := &synctest.Connector{Source: "github", SyncFunc: func(context.Context, syncer.Mode, syncer.Reporter) error {
		panic("boom")
	}}
	e := f.engine(boom, working("linear", f.clk, time.Second))
	p, err := e.Run(context.Background(), syncer.Request{Trigger: syncer.TriggerCLI})
	if err != nil {
		t.Fatal(err)
	}
	if gh := sourceOf(t, p, "github"); gh.Status != "failed" || !strings.Contains(gh.Error, "boom") {
		t.Errorf("github %+v", gh)
	}
	if ln := sourceOf(t, p, "linear"); ln.Status != "success" {
		t.Errorf("linear %+v", ln)
	}
}

// blocking is a connector that signals when it starts and then waits for
// release (or for its context to end).
type blocking struct {
	synctest.Connector
	entered chan struct{}
	release chan struct{}
}

func newBlocking(name string) *blocking {
	b := &blocking{entered: make(chan struct{}, 10), release: make(chan struct{})}
	b.Source = name
	b.SyncFunc = func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
		rep.Scope("acme/web")
		rep.Requests(1)
		rep.Records("pull_requests", 5)
		b.entered <- struct{}{}
		select {
		case <-b.release:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("fetching acme/web: %w", ctx.Err())
		}
	}
	return b
}

func TestOnlyOneSyncAtATime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := newBlocking("github")
	e := f.engine(b)
	started := f.clk.Now()

	first, err := e.Start(syncer.Request{Mode: syncer.Full, Trigger: syncer.TriggerAPI})
	if err != nil {
		t.Fatal(err)
	}
	if !first.Running || first.Mode != "full" || sourceOf(t, first, "github").Status != "pending" {
		t.Errorf("initial progress %+v", first)
	}
	<-b.entered
	f.clk.Advance(time.Minute)

	// While it runs: every other trigger is refused, saying since when.
	for _, try := range []func() error{
		func() error { _, err := e.Run(ctx, syncer.Request{Trigger: syncer.TriggerCLI}); return err },
		func() error { _, err := e.Start(syncer.Request{Trigger: syncer.TriggerAPI}); return err },
	} {
		err := try()
		var busy *syncer.BusyError
		if !errors.Is(err, syncer.ErrBusy) || !errors.As(err, &busy) || !busy.StartedAt.Equal(started) {
			t.Fatalf("second sync: %v", err)
		}
		if want := "a sync is already running (started 2026-03-02T09:00:00Z by api)"; err.Error() != want {
			t.Errorf("refusal %q, want %q", err, want)
		}
	}
	// The live progress shows the running sync's counts.
	live, ok := e.Progress()
	gh := sourceOf(t, live, "github")
	if !ok || !live.Running || !e.Running() || gh.Status != "running" || gh.Scope != "acme/web" ||
		gh.RecordsByKind["pull_requests"] != 5 || gh.Requests != 1 {
		t.Errorf("live progress %+v", live)
	}

	close(b.release)
	final, err := e.Wait(ctx)
	if err != nil || final.Running || !final.OK() || e.Running() {
		t.Fatalf("final %+v, %v", final, err)
	}
	if runs := f.runs(t, "github"); len(runs) != 1 {
		t.Errorf("refused syncs were recorded: %+v", runs)
	}
	// Once it ended, the next one runs.
	if _, err := e.Run(ctx, syncer.Request{Trigger: syncer.TriggerCLI}); err != nil {
		t.Fatalf("sync after the first ended: %v", err)
	}
	if runs := f.runs(t, "github"); len(runs) != 2 {
		t.Errorf("runs %+v", runs)
	}
}

// TestOnlyOneSyncAcrossProcesses: two engines on one database, as serve and
// `veelocity sync` are, never sync at once; a lease left by a process that
// was killed lapses.
func TestOnlyOneSyncAcrossProcesses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := newBlocking("github")
	serve, cli := f.engine(b), f.engine(working("github", f.clk, time.Second))
	if _, err := serve.Start(syncer.Request{Mode: syncer.Recent, Trigger: syncer.TriggerSchedule}); err != nil {
		t.Fatal(err)
	}
	<-b.entered
	f.clk.Advance(10 * time.Second)
	_, err := cli.Run(ctx, syncer.Request{Trigger: syncer.TriggerCLI})
	var busy *syncer.BusyError
	if !errors.As(err, &busy) || !busy.OtherProcess {
		t.Fatalf("a sync while another process syncs: %v", err)
	}
	if want := "a sync is already running (started 2026-03-02T09:00:00Z by schedule, in another process)"; err.Error() != want {
		t.Errorf("refusal %q, want %q", err, want)
	}
	close(b.release)
	if _, err := serve.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if p, err := cli.Run(ctx, syncer.Request{Trigger: syncer.TriggerCLI}); err != nil || !p.OK() {
		t.Fatalf("a sync after the other process's ended: %+v, %v", p, err)
	}
	if runs := f.runs(t, "github"); len(runs) != 2 {
		t.Errorf("%d runs recorded, want 2 (the refused one is not)", len(runs))
	}

	// A process of this host killed mid-sync leaves its lease: it is taken
	// over at once, as that process is gone.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	now := f.clk.Now()
	if _, ok, err := f.st.AcquireSyncLease(ctx, fmt.Sprintf("%s/%d/abcdefgh", host, dead.Process.Pid), "cli", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	if p, err := cli.Run(ctx, syncer.Request{Trigger: syncer.TriggerCLI}); err != nil || !p.OK() {
		t.Fatalf("after a dead process's lease: %+v, %v", p, err)
	}

	// One of another host (or of a process that cannot be checked) holds
	// until it lapses.
	now = f.clk.Now()
	if _, ok, err := f.st.AcquireSyncLease(ctx, "killed-process", "cli", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	if _, err := cli.Run(ctx, syncer.Request{Trigger: syncer.TriggerCLI}); !errors.Is(err, syncer.ErrBusy) {
		t.Fatalf("while a killed process's lease holds: %v", err)
	}
	f.clk.Advance(2 * time.Minute)
	if p, err := cli.Run(ctx, syncer.Request{Trigger: syncer.TriggerCLI}); err != nil || !p.OK() {
		t.Fatalf("after the lease lapsed: %+v, %v", p, err)
	}
	if _, held, err := f.st.SyncLeaseHolder(ctx, f.clk.Now()); err != nil || held {
		t.Errorf("the lease is still held after the sync ended (%v)", err)
	}
}

func TestNothingConfiguredOrUnknown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := f.engine(
		&synctest.Connector{Source: "github", NotConfigured: "GITHUB_TOKEN is not set"},
		&synctest.Connector{Source: "actions", NotConfigured: "GITHUB_TOKEN is not set"},
		&synctest.Connector{Source: "linear", NotConfigured: "LINEAR_API_KEY is not set"},
		&synctest.Connector{Source: "pagerduty", NotConfigured: "PAGERDUTY_API_KEY is not set"},
	)
	tests := []struct {
		sources []string
		want    string
	}{
		{nil, "no source is configured (github: GITHUB_TOKEN is not set; actions: GITHUB_TOKEN is not set; linear: LINEAR_API_KEY is not set; pagerduty: PAGERDUTY_API_KEY is not set)"},
		{[]string{"linear"}, "linear is not configured (linear: LINEAR_API_KEY is not set)"},
		{[]string{"gitlab"}, `unknown source "gitlab" (want github, actions, linear, pagerduty)`},
	}
	for _, tc := range tests {
		_, err := e.Run(ctx, syncer.Request{Sources: tc.sources, Trigger: syncer.TriggerCLI})
		if err == nil || err.Error() != tc.want {
			t.Errorf("sources %v: %v, want %q", tc.sources, err, tc.want)
		}
	}
	if _, ok := e.Progress(); ok || f.afterSyncCalls() != 0 {
		t.Error("a refused sync left progress or ran the after-sync hook")
	}
	for _, name := range syncer.KnownSources {
		if runs := f.runs(t, name); len(runs) != 0 {
			t.Errorf("%s: recorded %+v", name, runs)
		}
	}
}

func TestCanceledSyncIsRecordedAndStopsTheRest(t *testing.T) {
	f := newFixture(t)
	b := newBlocking("github")
	linearRan := false
	linear := &synctest.Connector{Source: "linear", SyncFunc: func(context.Context, syncer.Mode, syncer.Reporter) error {
		linearRan = true
		return nil
	}}
	e := f.engine(b, linear)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan syncer.Progress)
	go func() {
		p, err := e.Run(ctx, syncer.Request{Trigger: syncer.TriggerCLI})
		if err != nil {
			t.Error(err)
		}
		done <- p
	}()
	<-b.entered
	cancel()
	p := <-done
	if gh := sourceOf(t, p, "github"); gh.Status != "canceled" || gh.Records != 5 {
		t.Errorf("github %+v", gh)
	}
	if ln := sourceOf(t, p, "linear"); ln.Status != "canceled" || linearRan {
		t.Errorf("linear ran after the cancel: %+v", ln)
	}
	runs := f.runs(t, "github")
	if len(runs) != 1 || runs[0].Status != "canceled" || runs[0].FinishedAt == nil || runs[0].Records != 5 {
		t.Errorf("github runs %+v", runs)
	}
	if st := f.state(t, "github", ""); st.LastError != "" {
		t.Errorf("a cancel is not an error: %+v", st)
	}
	if f.afterSyncCalls() != 0 {
		t.Error("the after-sync hook ran after a cancel")
	}
}

func TestCloseCancelsABackgroundSync(t *testing.T) {
	f := newFixture(t)
	b := newBlocking("github")
	e := f.engine(b)
	if _, err := e.Start(syncer.Request{Trigger: syncer.TriggerAPI}); err != nil {
		t.Fatal(err)
	}
	<-b.entered
	e.Close()
	if runs := f.runs(t, "github"); len(runs) != 1 || runs[0].Status != "canceled" {
		t.Errorf("runs after Close %+v", runs)
	}
	if _, err := e.Start(syncer.Request{Trigger: syncer.TriggerAPI}); !errors.Is(err, syncer.ErrClosed) {
		t.Errorf("start after Close: %v", err)
	}
}

func TestAfterSyncErrorIsReported(t *testing.T) {
	f := newFixture(t)
	e := syncer.New(syncer.Options{
		Store:      f.st,
		Connectors: []syncer.Connector{working("github", f.clk, time.Second)},
		Log:        slog.New(slog.DiscardHandler),
		Secrets:    []string{"ghp_plantedGitHubToken0123456789"},
		AfterSync: func(ctx context.Context) error {
			return errors.New("derive: ghp_plantedGitHubToken0123456789 broke")
		},
	})
	p, err := e.Run(context.Background(), syncer.Request{Trigger: syncer.TriggerCLI})
	if err != nil {
		t.Fatal(err)
	}
	if p.OK() || p.AfterSyncError != "derive: [redacted] broke" {
		t.Errorf("after-sync error %q", p.AfterSyncError)
	}
}
