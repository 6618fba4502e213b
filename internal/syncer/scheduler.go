package syncer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	Engine *Engine
	// OnStartup runs a sync as soon as the scheduler starts (SYNC_ON_STARTUP).
	OnStartup bool
	// Interval is the time between scheduled syncs (SYNC_INTERVAL); 0 turns
	// them off.
	Interval time.Duration
	Log      *slog.Logger
	// NewTicker returns a channel that ticks every d, and a function that
	// stops it. The default is a time.Ticker; tests pass a channel they
	// control.
	NewTicker func(d time.Duration) (<-chan time.Time, func())
}

// Scheduler runs serve's syncs: one at startup, then one every interval.
// Scheduled syncs are incremental. A tick while a sync runs (one started
// from the API, say) is skipped, never queued.
type Scheduler struct {
	o     SchedulerOptions
	log   *slog.Logger
	calls chan schedCall

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// schedCall asks the scheduler's loop to do something between syncs: run
// one now, or just answer (a barrier for Wait).
type schedCall struct {
	sync  bool
	req   Request
	reply chan schedReply
}

type schedReply struct {
	progress Progress
	err      error
}

// ErrSchedulerStopped is returned by RunNow and Wait when the scheduler is
// not running.
var ErrSchedulerStopped = errors.New("the sync scheduler is not running")

// NewScheduler returns a scheduler; Start starts it.
func NewScheduler(o SchedulerOptions) *Scheduler {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	if o.NewTicker == nil {
		o.NewTicker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	return &Scheduler{o: o, log: log, calls: make(chan schedCall)}
}

// Start starts the scheduler in the background, until ctx ends or Stop is
// called. Calling it again does nothing.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.loop(ctx)
	}()
}

// Stop stops the scheduler, canceling the sync it runs, and waits until
// that sync has recorded how it ended. It does nothing if the scheduler
// never started.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if done == nil {
		return
	}
	cancel()
	<-done
}

// RunNow runs a sync through the scheduler, after the one it runs (if
// any), and returns its final state.
func (s *Scheduler) RunNow(ctx context.Context, req Request) (Progress, error) {
	return s.call(ctx, schedCall{sync: true, req: req})
}

// Wait returns once the scheduler has finished every sync it started
// before Wait was called (the startup sync, a tick's sync). Tests use it to
// observe a schedule without sleeping.
func (s *Scheduler) Wait(ctx context.Context) error {
	_, err := s.call(ctx, schedCall{})
	return err
}

func (s *Scheduler) call(ctx context.Context, c schedCall) (Progress, error) {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return Progress{}, ErrSchedulerStopped
	}
	c.reply = make(chan schedReply, 1)
	select {
	case s.calls <- c:
	case <-done:
		return Progress{}, ErrSchedulerStopped
	case <-ctx.Done():
		return Progress{}, ctx.Err()
	}
	select {
	case r := <-c.reply:
		return r.progress, r.err
	case <-ctx.Done():
		return Progress{}, ctx.Err()
	}
}

func (s *Scheduler) loop(ctx context.Context) {
	s.o.Engine.closeInterrupted(ctx, s.log)
	if s.o.OnStartup {
		s.run(ctx, Request{Mode: Recent, Trigger: TriggerStartup})
	}
	var tick <-chan time.Time
	if s.o.Interval > 0 {
		c, stop := s.o.NewTicker(s.o.Interval)
		defer stop()
		tick = c
		s.log.Info("sync scheduled", "interval", s.o.Interval)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			s.run(ctx, Request{Mode: Recent, Trigger: TriggerSchedule})
		case c := <-s.calls:
			var r schedReply
			if c.sync {
				r.progress, r.err = s.o.Engine.Run(ctx, c.req)
			}
			c.reply <- r
		}
	}
}

// run runs one scheduled sync, logging why it did not run if it did not.
func (s *Scheduler) run(ctx context.Context, req Request) {
	_, err := s.o.Engine.Run(ctx, req)
	var nc *NotConfiguredError
	switch {
	case err == nil:
	case errors.Is(err, ErrBusy):
		s.log.Info("scheduled sync skipped", "trigger", string(req.Trigger), "reason", err.Error())
	case errors.As(err, &nc):
		// Without a source there is nothing to do; say so once, at startup.
		level := slog.LevelDebug
		if req.Trigger == TriggerStartup {
			level = slog.LevelInfo
		}
		s.log.Log(ctx, level, "nothing to sync", "reason", err.Error())
	case errors.Is(err, ErrClosed) || ctx.Err() != nil:
	default:
		s.log.Error("scheduled sync failed to start", "trigger", string(req.Trigger), "err", err)
	}
}
