// Package memo keeps, for the length of one request, the answers of the
// small reads that many parts of the request repeat: the data version, the
// rollups' built flags, whether everything is derived, the list of teams.
// A page asked them up to twenty times, each a round trip to the database;
// with a memo each is read once per request. Within a request they then also stay
// consistent: every part sees the same data version.
//
// Outside a request (no memo in the context) Do simply calls its function.
package memo

import (
	"context"
	"sync"
)

type memo struct {
	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	once sync.Once
	v    any
	err  error
}

type key struct{}

// With returns ctx with an empty memo.
func With(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, &memo{entries: map[string]*entry{}})
}

// Do returns what fn returned the first time Do was called with name in
// ctx's memo, calling it now when it was not; without a memo it calls fn.
// Calls with one name at the same time wait for one fn. An error is not
// kept: the next call tries again.
func Do[T any](ctx context.Context, name string, fn func() (T, error)) (T, error) {
	m, _ := ctx.Value(key{}).(*memo)
	if m == nil {
		return fn()
	}
	m.mu.Lock()
	e := m.entries[name]
	if e == nil {
		e = &entry{}
		m.entries[name] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.v, e.err = fn() })
	if e.err != nil {
		m.mu.Lock()
		if m.entries[name] == e {
			delete(m.entries, name)
		}
		m.mu.Unlock()
		var zero T
		return zero, e.err
	}
	return e.v.(T), nil
}
