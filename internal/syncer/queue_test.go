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

// manualTimer is a QueueOptions.After that the test fires itself. Each call
// is announced on asked first, so that a test fires only a timer the queue
// waits on: firing before that would race the queue's own work (the sync
// after the debounce, say) and could be taken by the wrong wait.
type manualTimer struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newManualTimer() *manualTimer {
	return &manualTimer{asked: make(chan time.Duration, 16), fire: make(chan time.Time)}
}

func (m *manualTimer) after(d time.Duration) <-chan time.Time {
	m.asked <- d
	return m.fire
}

// next waits for the queue to ask for a timer of d, then fires it.
func (m *manualTimer) next(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case got := <-m.asked:
		if got != d {
			t.Fatalf("the queue waits %v, want %v", got, d)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the queue never waited %v", d)
	}
	m.fire <- time.Now()
}

// TestQueueWaitsOutAnotherProcessLease holds the sync lease as another
// process would: the targeted sync does not fail, it tries again after the
// poll interval and runs once the lease is free.
func TestQueueWaitsOutAnotherProcessLease(t *testing.T) {
	f := newFixture(t)
	rec := &scopeRecorder{}
	eng := f.engine(rec.connector("github"))
	t.Cleanup(eng.Close)
	timer := newManualTimer()
	const debounce, poll = 5 * time.Second, 7 * time.Second
	q := syncer.NewQueue(syncer.QueueOptions{Engine: eng, Log: slog.New(slog.DiscardHandler),
		Debounce: debounce, BusyPoll: poll, After: timer.after})
	t.Cleanup(q.Close)
	ctx := context.Background()
	now := f.clk.Now()
	if _, ok, err := f.st.AcquireSyncLease(ctx, "other-host/1/x", "cli", now, now.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("taking the lease: %v %v", ok, err)
	}
	q.Request("github", "acme/docs")
	q.Request("github", "acme/docs")
	timer.next(t, debounce) // the debounce ends; the lease is another process's
	timer.next(t, poll)     // the queue polls again: still held
	// The queue asks for its next poll only once that try found the lease
	// held; only then may the lease go.
	select {
	case d := <-timer.asked:
		if d != poll {
			t.Fatalf("the queue waits %v, want the poll %v", d, poll)
		}
	case <-time.After(time.Minute):
		t.Fatal("the queue never polled a third time")
	}
	if got := rec.got(); len(got) != 0 {
		t.Fatalf("synced while another process held the lease: %v", got)
	}
	if err := f.st.ReleaseSyncLease(ctx, "other-host/1/x"); err != nil {
		t.Fatal(err)
	}
	timer.fire <- time.Now()
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
	timer := newManualTimer()
	q := syncer.NewQueue(syncer.QueueOptions{Engine: eng, Debounce: time.Second, After: timer.after})
	q.Request("linear", "ENG")
	q.Request("linear", "")
	timer.next(t, time.Second)
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
