package syncer_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// fakeTicker hands the scheduler a channel the test ticks by hand.
type fakeTicker struct {
	c        chan time.Time
	interval time.Duration
	stopped  bool
}

func (ft *fakeTicker) new(d time.Duration) (<-chan time.Time, func()) {
	ft.interval = d
	return ft.c, func() { ft.stopped = true }
}

func triggers(runs []store.SyncRun) []string {
	var out []string
	for i := len(runs) - 1; i >= 0; i-- {
		out = append(out, runs[i].TriggeredBy+":"+runs[i].Kind+":"+runs[i].Status)
	}
	return out
}

func TestSchedulerRunsAtStartupThenEveryInterval(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := f.engine(working("github", f.clk, time.Second))
	ft := &fakeTicker{c: make(chan time.Time)}
	s := syncer.NewScheduler(syncer.SchedulerOptions{Engine: e, OnStartup: true, Interval: 15 * time.Minute,
		Log: slog.New(slog.DiscardHandler), NewTicker: ft.new})
	s.Start(ctx)

	if err := s.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if got := triggers(f.runs(t, "github")); len(got) != 1 || got[0] != "startup:recent:success" {
		t.Fatalf("after start: %v", got)
	}
	if ft.interval != 15*time.Minute {
		t.Errorf("ticker interval %v, want SYNC_INTERVAL", ft.interval)
	}
	for i := 0; i < 2; i++ {
		f.clk.Advance(15 * time.Minute)
		ft.c <- f.clk.Now()
		if err := s.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"startup:recent:success", "schedule:recent:success", "schedule:recent:success"}
	if got := triggers(f.runs(t, "github")); len(got) != 3 || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("runs %v, want %v", got, want)
	}
	// On demand, through the scheduler.
	p, err := s.RunNow(ctx, syncer.Request{Mode: syncer.Full, Trigger: syncer.TriggerAPI})
	if err != nil || !p.OK() || p.Mode != "full" {
		t.Fatalf("RunNow: %+v, %v", p, err)
	}
	s.Stop()
	if !ft.stopped {
		t.Error("the ticker was not stopped")
	}
	if err := s.Wait(ctx); err != syncer.ErrSchedulerStopped {
		t.Errorf("Wait after Stop: %v", err)
	}
	if n := len(f.runs(t, "github")); n != 4 {
		t.Errorf("%d runs, want 4", n)
	}
}

func TestSchedulerOffWithoutStartupOrInterval(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := f.engine(working("github", f.clk, time.Second))
	ft := &fakeTicker{c: make(chan time.Time)}
	s := syncer.NewScheduler(syncer.SchedulerOptions{Engine: e, OnStartup: false, Interval: 0,
		Log: slog.New(slog.DiscardHandler), NewTicker: ft.new})
	s.Start(ctx)
	defer s.Stop()
	if err := s.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if runs := f.runs(t, "github"); len(runs) != 0 || ft.interval != 0 {
		t.Errorf("SYNC_ON_STARTUP=false, SYNC_INTERVAL=0 still synced: %v (ticker %v)", triggers(runs), ft.interval)
	}
}

func TestSchedulerSkipsATickWhileASyncRuns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := newBlocking("github")
	e := f.engine(b)
	ft := &fakeTicker{c: make(chan time.Time)}
	s := syncer.NewScheduler(syncer.SchedulerOptions{Engine: e, Interval: time.Hour,
		Log: slog.New(slog.DiscardHandler), NewTicker: ft.new})
	s.Start(ctx)
	defer s.Stop()

	if _, err := e.Start(syncer.Request{Trigger: syncer.TriggerAPI}); err != nil {
		t.Fatal(err)
	}
	<-b.entered
	ft.c <- f.clk.Now()
	if err := s.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	close(b.release)
	if _, err := e.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if got := triggers(f.runs(t, "github")); len(got) != 1 || got[0] != "api:recent:success" {
		t.Errorf("runs %v: the tick should have been skipped, not queued", got)
	}
}

func TestSchedulerStopCancelsItsSync(t *testing.T) {
	f := newFixture(t)
	b := newBlocking("github")
	e := f.engine(b)
	s := syncer.NewScheduler(syncer.SchedulerOptions{Engine: e, OnStartup: true, Log: slog.New(slog.DiscardHandler)})
	s.Start(context.Background())
	<-b.entered
	s.Stop()
	if got := triggers(f.runs(t, "github")); len(got) != 1 || got[0] != "startup:recent:canceled" {
		t.Errorf("runs after Stop: %v", got)
	}
	if e.Running() {
		t.Error("a sync still runs after Stop")
	}
}

func TestSchedulerClosesRunsAnEarlierProcessLeftRunning(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A process killed in the middle of a sync left this row running.
	if _, err := f.st.StartSyncRun(ctx, "github", "recent", "schedule"); err != nil {
		t.Fatal(err)
	}
	e := f.engine(working("github", f.clk, time.Second))
	s := syncer.NewScheduler(syncer.SchedulerOptions{Engine: e, OnStartup: true, Log: slog.New(slog.DiscardHandler)})
	s.Start(ctx)
	defer s.Stop()
	if err := s.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	runs := f.runs(t, "github")
	if got := triggers(runs); len(got) != 2 || got[0] != "schedule:recent:canceled" || got[1] != "startup:recent:success" {
		t.Fatalf("runs %v", got)
	}
	if old := runs[1]; old.FinishedAt == nil || old.Error == "" {
		t.Errorf("the interrupted run should say so: %+v", old)
	}
}
