package syncer

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/veelocity/veelocity/internal/store"
)

// Trigger says what started a sync; it is recorded in sync_runs.
type Trigger string

// The triggers.
const (
	TriggerStartup  Trigger = "startup"
	TriggerSchedule Trigger = "schedule"
	TriggerAPI      Trigger = "api"
	TriggerCLI      Trigger = "cli"
	// TriggerWebhook is a targeted sync a webhook delivery asked for.
	TriggerWebhook Trigger = "webhook"
)

const (
	statusRunning  = store.SyncRunning
	statusSuccess  = store.SyncSuccess
	statusFailed   = store.SyncFailed
	statusCanceled = store.SyncCanceled
)

// maxErrorLen bounds an error message stored or returned: a connector that
// joins one error per scope must not fill the status page.
const maxErrorLen = 2000

// Request says what to sync.
type Request struct {
	Mode Mode
	// Sources restricts the sync to these sources; empty means all.
	Sources []string
	// Scopes restricts a source to some of its scopes (repositories,
	// Linear team keys), by source name; a source not in it syncs every
	// scope. Connectors read it with OnlyScopes.
	Scopes  map[string][]string
	Trigger Trigger
	// Observe, if set, receives the sync's steps as they happen, for a
	// terminal display. It is called from the connectors' goroutines, so
	// it must be safe for concurrent use, and quick.
	Observe func(Event)
}

// Options configure an Engine.
type Options struct {
	Store *store.Store
	// Connectors are the sources, in the order they run.
	Connectors []Connector
	Log        *slog.Logger
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// Secrets are credential values (config.Config.Secrets) removed
	// from every error message before it is stored, logged or returned.
	Secrets []string
	// AfterSync, if set, runs after the connectors of a sync in which at
	// least one source ran (the derive step).
	AfterSync func(ctx context.Context) error
	// OnSourceEnd, if set, is told of each source's sync as it ends (the
	// Prometheus metrics). It must be quick.
	OnSourceEnd func(SourceEnd)
}

// SourceEnd is a source's sync that ended.
type SourceEnd struct {
	Source   string
	Status   string // success, failed or canceled
	Trigger  Trigger
	Duration time.Duration
	Records  int64
	Requests int64
}

// Engine runs syncs, one at a time. It is safe for concurrent use.
type Engine struct {
	store     *store.Store
	conns     []Connector
	log       *slog.Logger
	now       func() time.Time
	redactor  *Redactor
	afterSync func(ctx context.Context) error
	onEnd     func(SourceEnd)

	// life is canceled by Close; every sync stops with it.
	life     context.Context
	stopLife context.CancelFunc

	mu     sync.Mutex
	closed bool
	cur    *run // the running sync, or the last one
	ends   int  // syncs ended, to know when counts changed

	counts countsCache

	// owner names this engine in the sync lease, which keeps a sync of
	// another process on the same database from running at once.
	owner    string
	leaseTTL time.Duration
}

// leaseTTL is how long a sync lease lasts unless renewed: a lease that a
// killed process left lapses after it. A running sync renews it every
// quarter of it.
const leaseTTL = time.Minute

// run is one sync in progress; its progress is guarded by Engine.mu.
type run struct {
	progress Progress
	observe  func(Event)
	done     chan struct{}
}

// New returns an engine over o.
func New(o Options) *Engine {
	e := &Engine{
		store:     o.Store,
		conns:     o.Connectors,
		log:       o.Log,
		now:       o.Now,
		redactor:  NewRedactor(o.Secrets...),
		afterSync: o.AfterSync,
		onEnd:     o.OnSourceEnd,
		owner:     leaseOwner(),
		leaseTTL:  leaseTTL,
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.life, e.stopLife = context.WithCancel(context.Background())
	return e
}

// SourceInfo says whether a source can sync.
type SourceInfo struct {
	Name       string
	Available  bool // a connector for it is built into this program
	Configured bool
	Reason     string // what to set, when not configured
}

// Sources describes every known source and every connector's source, in
// the order they run.
func (e *Engine) Sources() []SourceInfo {
	var out []SourceInfo
	for _, name := range KnownSources {
		out = append(out, e.sourceInfo(name))
	}
	for _, c := range e.conns {
		if sourceOrder(c.Name()) == len(KnownSources) {
			out = append(out, e.sourceInfo(c.Name()))
		}
	}
	return out
}

func (e *Engine) sourceInfo(name string) SourceInfo {
	c := e.connector(name)
	if c == nil {
		return SourceInfo{Name: name, Reason: "the " + name + " connector is not available in this build"}
	}
	ok, reason := c.Configured()
	return SourceInfo{Name: name, Available: true, Configured: ok, Reason: reason}
}

func (e *Engine) connector(name string) Connector {
	for _, c := range e.conns {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

// Redact removes credentials from s (see Options.Secrets).
func (e *Engine) Redact(s string) string { return e.redactor.Redact(s) }

// Progress returns the running sync's progress, or the last sync's final
// state if none runs, and whether there was any sync since the engine
// started.
func (e *Engine) Progress() (Progress, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur == nil {
		return Progress{}, false
	}
	return e.cur.progress.clone(), true
}

// Running reports whether a sync runs now.
func (e *Engine) Running() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cur != nil && e.cur.progress.Running
}

// Run runs a sync and returns its final state. It refuses with a
// *BusyError while another sync runs, an *UnknownSourceError for a source
// that does not exist, and a *NotConfiguredError when no requested source is
// configured. A source that fails does not stop the others; the result says
// which failed. The sync stops when ctx ends or the engine is closed.
func (e *Engine) Run(ctx context.Context, req Request) (Progress, error) {
	r, err := e.begin(req)
	if err != nil {
		return Progress{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(e.life, cancel)
	defer stop()
	e.execute(ctx, r, req)
	return e.snapshot(r), nil
}

// Start starts a sync in the background and returns its initial state; it
// refuses as Run does. The sync stops when the engine is closed.
func (e *Engine) Start(req Request) (Progress, error) {
	r, err := e.begin(req)
	if err != nil {
		return Progress{}, err
	}
	p := e.snapshot(r)
	go e.execute(e.life, r, req)
	return p, nil
}

// Wait blocks until no sync runs (or ctx ends) and returns the last sync's
// final state.
func (e *Engine) Wait(ctx context.Context) (Progress, error) {
	e.mu.Lock()
	cur := e.cur
	e.mu.Unlock()
	if cur == nil {
		return Progress{}, nil
	}
	select {
	case <-cur.done:
		return e.snapshot(cur), nil
	case <-ctx.Done():
		return Progress{}, ctx.Err()
	}
}

// interruptedMessage is the error of a sync run that a stopped process
// left running.
const interruptedMessage = "interrupted: the process stopped before the sync ended"

// holdLease renews the sync lease while a sync runs; the function it
// returns stops renewing and releases it.
func (e *Engine) holdLease(log *slog.Logger) (release func()) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(e.leaseTTL / 4)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ok, err := e.store.RenewSyncLease(context.Background(), e.owner, e.now().Add(e.leaseTTL))
				switch {
				case err != nil:
					log.Warn("sync: renewing the sync lease", "err", err)
				case !ok:
					log.Warn("sync: the sync lease lapsed; another process may sync at the same time")
				}
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		if err := e.store.ReleaseSyncLease(context.Background(), e.owner); err != nil {
			log.Warn("sync: releasing the sync lease", "err", err)
		}
	}
}

// leaseOwner names this process in the sync lease.
func leaseOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])
}

// deadHolder reports whether a lease owner (see leaseOwner) is a process
// of this host that no longer runs.
func deadHolder(owner string) bool {
	host, _ := os.Hostname()
	parts := strings.Split(owner, "/")
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return !processAlive(pid)
}

// closeInterrupted records the end of the sync runs a previous process left
// running, unless a sync runs now, here or in another process.
func (e *Engine) closeInterrupted(ctx context.Context, log *slog.Logger) {
	if e.Running() {
		return
	}
	if held, ok, err := e.store.SyncLeaseHolder(ctx, e.now()); err != nil || (ok && !deadHolder(held.Owner)) {
		if err != nil {
			log.Error("sync: reading the sync lease", "err", err)
		} else {
			log.Info("sync: another process is syncing", "since", held.StartedAt, "trigger", held.Trigger)
		}
		return
	}
	n, err := e.store.InterruptSyncRuns(ctx, interruptedMessage)
	switch {
	case err != nil:
		log.Error("sync: closing interrupted sync runs", "err", err)
	case n > 0:
		log.Warn("sync: a previous sync was interrupted; the next one resumes where it stopped", "runs", n)
	}
}

// Close cancels the running sync, waits for it to record how it ended, and
// refuses every later one.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	cur := e.cur
	e.mu.Unlock()
	e.stopLife()
	if cur != nil {
		<-cur.done
	}
}

// begin checks req and, if no sync runs, makes it the current one.
func (e *Engine) begin(req Request) (*run, error) {
	names := req.Sources
	if len(names) == 0 {
		for _, s := range e.Sources() {
			names = append(names, s.Name)
		}
	}
	var sources []SourceProgress
	reasons := map[string]string{}
	for _, name := range names {
		if sourceOrder(name) == len(KnownSources) && e.connector(name) == nil {
			return nil, &UnknownSourceError{Source: name}
		}
		if slices.ContainsFunc(sources, func(s SourceProgress) bool { return s.Source == name }) {
			continue
		}
		info := e.sourceInfo(name)
		sp := SourceProgress{Source: name, Status: StatusPending, Scopes: []ScopeProgress{}}
		if !info.Configured {
			sp.Status, sp.Reason = StatusSkipped, info.Reason
			reasons[name] = info.Reason
		}
		sources = append(sources, sp)
	}
	if len(reasons) == len(sources) {
		return nil, &NotConfiguredError{Reasons: reasons}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	if e.cur != nil && e.cur.progress.Running {
		return nil, &BusyError{StartedAt: e.cur.progress.StartedAt, Trigger: e.cur.progress.Trigger}
	}
	now := e.now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	held, ok, err := e.store.AcquireSyncLease(ctx, e.owner, string(req.Trigger), now, now.Add(e.leaseTTL))
	if err != nil {
		return nil, fmt.Errorf("claiming the sync lease: %w", err)
	}
	if !ok && deadHolder(held.Owner) {
		// A process of this host that was killed (SIGKILL, a crash) left
		// its lease; it will never renew it, so take it over now rather
		// than a minute later.
		if err := e.store.ReleaseSyncLease(ctx, held.Owner); err != nil {
			return nil, fmt.Errorf("releasing a dead process's sync lease: %w", err)
		}
		held, ok, err = e.store.AcquireSyncLease(ctx, e.owner, string(req.Trigger), now, now.Add(e.leaseTTL))
		if err != nil {
			return nil, fmt.Errorf("claiming the sync lease: %w", err)
		}
	}
	if !ok {
		return nil, &BusyError{StartedAt: held.StartedAt, Trigger: Trigger(held.Trigger), OtherProcess: true}
	}
	e.cur = &run{
		progress: Progress{
			Running:   true,
			Mode:      req.Mode.String(),
			Trigger:   req.Trigger,
			StartedAt: e.now().UTC(),
			Sources:   sources,
		},
		observe: req.Observe,
		done:    make(chan struct{}),
	}
	return e.cur, nil
}

func (e *Engine) snapshot(r *run) Progress {
	e.mu.Lock()
	defer e.mu.Unlock()
	return r.progress.clone()
}

// update changes r's progress under the lock.
func (e *Engine) update(r *run, fn func(p *Progress)) {
	e.mu.Lock()
	fn(&r.progress)
	e.mu.Unlock()
}

func (e *Engine) emit(r *run, ev Event) {
	if r.observe != nil {
		r.observe(ev)
	}
}

// execute runs the sources of r in order, then the after-sync step.
func (e *Engine) execute(ctx context.Context, r *run, req Request) {
	defer close(r.done)
	log := e.log.With("mode", req.Mode.String(), "trigger", string(req.Trigger))
	releaseLease := e.holdLease(log)
	ran := false
	for i := range r.progress.Sources {
		var sp SourceProgress
		e.update(r, func(p *Progress) { sp = p.Sources[i] })
		switch {
		case sp.Status == StatusSkipped:
			log.Debug("sync: skipping source", "source", sp.Source, "reason", sp.Reason)
			e.emit(r, Event{Kind: SourceFinished, Source: sp})
		case ctx.Err() != nil:
			e.update(r, func(p *Progress) { p.Sources[i].Status = statusCanceled })
		default:
			ran = true
			e.runSource(ctx, log, r, i, req)
		}
	}
	var afterErr string
	if ran && ctx.Err() == nil && e.afterSync != nil {
		if err := e.callAfterSync(ctx); err != nil {
			afterErr = e.message(err)
			log.Error("sync: after-sync step failed", "err", afterErr)
		}
	}
	// Released before the sync counts as ended here, so that the next
	// sync of this engine, which may start at once, keeps its own lease.
	releaseLease()
	final := e.finish(r, afterErr)
	log.Info("sync finished", "ok", final.OK(), "failed", final.Failed(), "duration", final.FinishedAt.Sub(final.StartedAt))
}

func (e *Engine) finish(r *run, afterErr string) Progress {
	var final Progress
	e.update(r, func(p *Progress) {
		now := e.now().UTC()
		p.Running = false
		p.FinishedAt = &now
		e.ends++
		p.AfterSyncError = afterErr
		final = p.clone()
	})
	return final
}

func (e *Engine) callAfterSync(ctx context.Context) (err error) {
	defer func() {
		if v := recover(); v != nil {
			e.log.Error("sync: after-sync step panicked", "panic", e.Redact(fmt.Sprint(v)), "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", v)
		}
	}()
	return e.afterSync(ctx)
}

// runSource runs the connector of r.progress.Sources[i] and records it in
// sync_runs and sync_state (scope "").
func (e *Engine) runSource(ctx context.Context, log *slog.Logger, r *run, i int, req Request) {
	var name string
	var started SourceProgress
	e.update(r, func(p *Progress) {
		now := e.now().UTC()
		s := &p.Sources[i]
		s.Status, s.StartedAt = statusRunning, &now
		name, started = s.Source, s.clone()
	})
	log = log.With("source", name)
	log.Info("sync: source started")
	e.emit(r, Event{Kind: SourceStarted, Source: started})

	// Bookkeeping must be written even when ctx was canceled.
	bg := context.WithoutCancel(ctx)
	runID, err := e.store.StartSyncRun(bg, name, req.Mode.String(), string(req.Trigger))
	if err == nil {
		err = e.store.MarkSyncStarted(bg, name, "")
	}
	if err == nil {
		rep := &reporter{e: e, r: r, i: i}
		err = e.callConnector(withScopes(ctx, req.Scopes[name]), e.connector(name), req.Mode, rep)
		rep.leaveScope()
	} else {
		err = fmt.Errorf("recording the sync: %w", err)
	}

	status, msg := statusSuccess, ""
	switch {
	case err == nil:
	case ctx.Err() != nil:
		status, msg = statusCanceled, "canceled"
	default:
		status, msg = statusFailed, e.message(err)
	}
	var final SourceProgress
	e.update(r, func(p *Progress) {
		now := e.now().UTC()
		s := &p.Sources[i]
		s.Status, s.Error, s.FinishedAt, s.Scope = status, msg, &now, ""
		final = s.clone()
	})
	var recErr error
	if runID != 0 {
		recErr = e.store.FinishSyncRun(bg, runID, status, final.Records, final.Requests, msg)
	}
	switch status {
	case statusSuccess:
		recErr = errors.Join(recErr, e.store.MarkSyncSucceeded(bg, name, ""))
		log.Info("sync: source finished", "records", final.Records, "requests", final.Requests)
	case statusFailed:
		recErr = errors.Join(recErr, e.store.MarkSyncFailed(bg, name, "", msg))
		log.Warn("sync: source failed", "err", e.Redact(err.Error()), "records", final.Records, "requests", final.Requests)
	default:
		log.Info("sync: source canceled", "records", final.Records)
	}
	if recErr != nil {
		log.Error("sync: recording the result failed", "err", e.Redact(recErr.Error()))
	}
	if e.onEnd != nil {
		e.onEnd(SourceEnd{Source: name, Status: status, Trigger: req.Trigger, Duration: final.FinishedAt.Sub(*final.StartedAt),
			Records: final.Records, Requests: final.Requests})
	}
	e.emit(r, Event{Kind: SourceFinished, Source: final})
}

// callConnector runs c.Sync, turning a panic into an error so that one
// broken source cannot take the server down.
func (e *Engine) callConnector(ctx context.Context, c Connector, mode Mode, rep Reporter) (err error) {
	defer func() {
		if v := recover(); v != nil {
			e.log.Error("sync: connector panicked", "source", c.Name(), "panic", e.Redact(fmt.Sprint(v)), "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error in the %s connector: %v", c.Name(), v)
		}
	}()
	return c.Sync(ctx, mode, rep)
}

// message turns err into text that is safe to store and show: no
// credentials, bounded length.
func (e *Engine) message(err error) string {
	msg := e.Redact(store.PublicMessage(err))
	if len(msg) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}
