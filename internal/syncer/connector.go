// Package syncer runs the sources' connectors: one sync at a time, with
// per-source state and history in the store, progress reporting, and a
// scheduler for serve.
package syncer

import (
	"context"
)

// Mode selects how far back a sync reaches.
type Mode int

const (
	// Recent is incremental: each scope resumes from its stored cursor (the
	// first sync of a scope reaches back SYNC_SINCE).
	Recent Mode = iota
	// Full ignores the cursors and refetches everything since SYNC_SINCE.
	// Upserts make it idempotent.
	Full
)

func (m Mode) String() string {
	if m == Full {
		return "full"
	}
	return "recent"
}

// Connector is one source: GitHub, GitHub Actions, Linear or PagerDuty.
//
// A connector fetches pages from its API and stores each page with its
// cursor in one store transaction (store.Store.Tx, then Tx.SetSyncCursor), so
// a sync killed halfway resumes where it stopped and loses nothing. It
// records per-scope state (a repository, a team) with
// store.MarkSyncStarted/Succeeded/Failed. A failure in one scope should not
// stop the others: finish them and return the joined errors.
//
// Errors and everything reported must never contain a credential.
type Connector interface {
	// Name is the source's name in sync_state, sync_runs and the status
	// API: "github", "actions", "linear" or "pagerduty".
	Name() string
	// Configured reports whether the source has what it needs to sync, and
	// if not, what the user should set.
	Configured() (ok bool, reason string)
	// TestConnection makes one cheap authenticated request, to check the
	// credentials and the endpoint.
	TestConnection(ctx context.Context) error
	// Sync fetches and stores the source's data.
	Sync(ctx context.Context, mode Mode, rep Reporter) error
}

// Reporter receives a connector's progress. Its methods are safe for
// concurrent use.
type Reporter interface {
	// Scope announces that the connector moved on to scope ("acme/web",
	// "ENG"); records and requests count toward it until the next call.
	Scope(scope string)
	// Records counts n records of one kind ("pull_requests", "reviews",
	// "workflow_runs", …) stored in the current scope.
	Records(kind string, n int)
	// Requests counts n HTTP requests made to the source.
	Requests(n int)
}

// Scoped is a Reporter that can follow several scopes at once, for a
// connector that syncs them in parallel. The engine's reporters are Scoped.
type Scoped interface {
	Reporter
	// ForScope starts scope and returns the Reporter that counts into
	// it, and the function that ends it, with the error it ended with.
	ForScope(scope string) (Reporter, func(err error))
}

// BeginScope starts scope on rep: through ForScope when rep is Scoped, or
// else by naming it with rep.Scope (for a Reporter that follows one scope
// at a time). It returns the Reporter to count into and the end function.
func BeginScope(rep Reporter, scope string) (Reporter, func(err error)) {
	if s, ok := rep.(Scoped); ok {
		return s.ForScope(scope)
	}
	rep.Scope(scope)
	return rep, func(error) {}
}
