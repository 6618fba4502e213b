package syncer_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/syncer/synctest"
)

// scopeRecorder is a connector that records the scopes each sync was
// restricted to.
type scopeRecorder struct {
	mu    sync.Mutex
	syncs [][]string
}

func (r *scopeRecorder) connector(source string) *synctest.Connector {
	return &synctest.Connector{Source: source, SyncFunc: func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.syncs = append(r.syncs, syncer.OnlyScopes(ctx, []string{"acme/web", "acme/api", "Acme/Docs"}))
		return nil
	}}
}

func (r *scopeRecorder) got() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.syncs)
}

func waitQueue(t *testing.T, q *syncer.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := q.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestQueueWaitsOutAnotherProcessLease holds the sync lease as another
// process would: the targeted sync does not fail, it tries again after the
// poll interval and runs once the lease is free.
func TestQueueWaitsOutAnotherProcessLease(t *testing.T) {
	f := newFixture(t)
	rec := &scopeRecorder{}
	eng := f.engine(rec.connector("github"))
	t.Cleanup(eng.Close)
	fire := make(chan time.Time)
	q := syncer.NewQueue(syncer.QueueOptions{Engine: eng, Log: slog.New(slog.DiscardHandler),
		After: func(time.Duration) <-chan time.Time { return fire }})
	t.Cleanup(q.Close)
	ctx := context.Background()
	now := f.clk.Now()
	if _, ok, err := f.st.AcquireSyncLease(ctx, "other-host/1/x", "cli", now, now.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("taking the lease: %v %v", ok, err)
	}
	q.Request("github", "acme/docs")
	q.Request("github", "acme/docs")
	fire <- now // the debounce ends; the lease is another process's
	fire <- now // the queue polls again: still held
	if got := rec.got(); len(got) != 0 {
		t.Fatalf("synced while another process held the lease: %v", got)
	}
	if err := f.st.ReleaseSyncLease(ctx, "other-host/1/x"); err != nil {
		t.Fatal(err)
	}
	fire <- now
	waitQueue(t, q)
	if got := rec.got(); len(got) != 1 || !slices.Equal(got[0], []string{"Acme/Docs"}) {
		t.Errorf("syncs %v, want one of Acme/Docs (scopes match without regard to case)", got)
	}
}

// TestQueueWholeSourceWins checks that a request for a whole source makes
// an unrestricted sync, and that Close stops the queue for good.
func TestQueueWholeSourceWins(t *testing.T) {
	f := newFixture(t)
	rec := &scopeRecorder{}
	eng := f.engine(rec.connector("linear"))
	t.Cleanup(eng.Close)
	fire := make(chan time.Time)
	q := syncer.NewQueue(syncer.QueueOptions{Engine: eng, After: func(time.Duration) <-chan time.Time { return fire }})
	q.Request("linear", "ENG")
	q.Request("linear", "")
	fire <- time.Now()
	waitQueue(t, q)
	if got := rec.got(); len(got) != 1 || len(got[0]) != 3 {
		t.Errorf("syncs %v, want one of every scope", got)
	}
	q.Close()
	q.Request("linear", "ENG")
	waitQueue(t, q)
	if got := rec.got(); len(got) != 1 {
		t.Errorf("a closed queue synced: %v", got)
	}
}
