package derive

import (
	"context"
	"log/slog"
	"sync"
)

// Background runs a derive function in the background, coalescing the
// requests: Request returns at once, a run starts if none is running, and
// requests made while one runs make one more run after it, however many
// there were. Writers of records (POST /deployments, /incidents) use it so
// they answer without waiting for the derive step; the records they wrote
// are marked dirty, so one later run covers them all.
type Background struct {
	fn  func(ctx context.Context) error
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	running bool
	pending bool
	closed  bool
	idle    chan struct{} // closed while no run is pending or running
}

// NewBackground returns a Background over fn (typically an incremental
// Deriver.Run).
func NewBackground(fn func(ctx context.Context) error, log *slog.Logger) *Background {
	if log == nil {
		log = slog.Default()
	}
	b := &Background{fn: fn, log: log, idle: make(chan struct{})}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	close(b.idle)
	return b
}

// Request asks for a run; it returns at once. After Close it does nothing.
func (b *Background) Request() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if !b.running && !b.pending {
		b.idle = make(chan struct{})
	}
	b.pending = true
	if b.running {
		return
	}
	b.running = true
	b.wg.Add(1)
	go b.loop()
}

func (b *Background) loop() {
	defer b.wg.Done()
	for {
		b.mu.Lock()
		if !b.pending || b.closed {
			b.running, b.pending = false, false
			close(b.idle)
			b.mu.Unlock()
			return
		}
		b.pending = false
		b.mu.Unlock()
		if err := b.fn(b.ctx); err != nil && b.ctx.Err() == nil {
			b.log.Error("background derive failed; the records stay marked and the next run derives them", "err", err)
		}
	}
}

// Wait returns once no run is pending or running (or ctx ends).
func (b *Background) Wait(ctx context.Context) error {
	b.mu.Lock()
	idle := b.idle
	b.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close cancels the run in progress, drops a pending one, and waits for it
// to stop; later requests do nothing.
func (b *Background) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}
