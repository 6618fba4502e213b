package syncer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// QueueOptions configure a Queue.
type QueueOptions struct {
	Engine *Engine
	// Debounce is how long the queue gathers requests before it syncs, so
	// that a burst of webhook deliveries costs one sync (default 5s).
	Debounce time.Duration
	// BusyPoll is how often the queue tries again while another process
	// holds the sync lease (default 5s). A sync of this engine is waited
	// for instead.
	BusyPoll time.Duration
	Log      *slog.Logger
	// After returns a channel that receives once d has passed: time.After
	// by default; tests pass one they fire themselves, to gather a burst
	// exactly.
	After func(d time.Duration) <-chan time.Time
}

// Queue runs the targeted incremental syncs that webhooks ask for: a
// repository of GitHub, a Linear team. Requests are gathered for
// QueueOptions.Debounce, then synced together in one incremental sync
// restricted to them (Request.Scopes). A request never fails or blocks: when
// a sync runs already, the targeted one waits for it to end, then runs.
// Requests that come while a targeted sync runs make the next one.
type Queue struct {
	o   QueueOptions
	log *slog.Logger

	kick chan struct{}
	stop context.CancelFunc
	done chan struct{}

	mu sync.Mutex
	// pending maps a source to the scopes asked for; the scope "" asks
	// for every scope of the source.
	pending map[string]map[string]bool
	running bool
	closed  bool
	idle    chan struct{} // closed while nothing is pending or running
}

// NewQueue returns a queue over o.Engine and starts its worker; Close
// stops it.
func NewQueue(o QueueOptions) *Queue {
	if o.Debounce <= 0 {
		o.Debounce = 5 * time.Second
	}
	if o.BusyPoll <= 0 {
		o.BusyPoll = 5 * time.Second
	}
	if o.After == nil {
		o.After = time.After
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	ctx, stop := context.WithCancel(context.Background())
	q := &Queue{o: o, log: log, kick: make(chan struct{}, 1), stop: stop, done: make(chan struct{}),
		pending: map[string]map[string]bool{}, idle: make(chan struct{})}
	close(q.idle)
	go func() {
		defer close(q.done)
		q.loop(ctx)
	}()
	return q
}

// Request asks for an incremental sync of scope (a repository's owner/name,
// a Linear team's key or id) of source; scope "" asks for the whole source.
// It returns at once; after Close it does nothing.
func (q *Queue) Request(source, scope string) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	if q.isIdle() {
		q.idle = make(chan struct{})
	}
	if q.pending[source] == nil {
		q.pending[source] = map[string]bool{}
	}
	q.pending[source][scope] = true
	q.mu.Unlock()
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// Wait returns once nothing is pending or syncing (or ctx ends). Tests use
// it to observe the effect of a delivery without sleeping.
func (q *Queue) Wait(ctx context.Context) error {
	q.mu.Lock()
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close cancels the targeted sync in progress, drops what is pending, and
// waits for the worker to stop.
func (q *Queue) Close() {
	q.stop()
	<-q.done
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.running = false
	clear(q.pending)
	if !q.isClosedIdle() {
		close(q.idle)
	}
}

// isIdle reports whether nothing is pending or running; q.mu is held.
func (q *Queue) isIdle() bool { return len(q.pending) == 0 && !q.running }

// isClosedIdle reports whether q.idle is closed; q.mu is held.
func (q *Queue) isClosedIdle() bool {
	select {
	case <-q.idle:
		return true
	default:
		return false
	}
}

func (q *Queue) loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-q.o.After(q.o.Debounce):
		}
		req, ok := q.take()
		if !ok {
			continue
		}
		q.run(ctx, req)
		q.mu.Lock()
		q.running = false
		if q.isIdle() {
			close(q.idle)
		}
		q.mu.Unlock()
	}
}

// take turns what is pending into one sync request.
func (q *Queue) take() (Request, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return Request{}, false
	}
	req := Request{Mode: Recent, Trigger: TriggerWebhook, Scopes: map[string][]string{}}
	for source, scopes := range q.pending {
		req.Sources = append(req.Sources, source)
		if scopes[""] {
			continue
		}
		for s := range scopes {
			req.Scopes[source] = append(req.Scopes[source], s)
		}
		slices.Sort(req.Scopes[source])
	}
	slices.SortFunc(req.Sources, func(a, b string) int { return sourceOrder(a) - sourceOrder(b) })
	clear(q.pending)
	q.running = true
	return req, true
}

// run runs req, after the sync that runs already, if any.
func (q *Queue) run(ctx context.Context, req Request) {
	for {
		_, err := q.o.Engine.Run(ctx, req)
		var busy *BusyError
		var nc *NotConfiguredError
		switch {
		case err == nil:
			q.log.Debug("targeted sync done", "sources", req.Sources, "scopes", req.Scopes)
			return
		case errors.As(err, &busy) && !busy.OtherProcess:
			if _, err := q.o.Engine.Wait(ctx); err != nil {
				return
			}
			continue
		case errors.As(err, &busy):
			select {
			case <-ctx.Done():
				return
			case <-q.o.After(q.o.BusyPoll):
			}
			continue
		case errors.As(err, &nc):
			q.log.Info("webhook sync skipped: no source it asks for is configured", "reason", err.Error())
		case errors.Is(err, ErrClosed) || ctx.Err() != nil:
		default:
			q.log.Error("webhook sync failed to start", "err", err)
		}
		return
	}
}
