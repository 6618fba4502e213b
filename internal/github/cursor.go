package github

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// loadCursor decodes a scope's stored cursor into v, reporting false when
// there is none (a first sync) or mode is Full, which ignores it.
func loadCursor(ctx context.Context, st *store.Store, source, scope string, mode syncer.Mode, v any) (bool, error) {
	if mode == syncer.Full {
		return false, nil
	}
	state, err := st.SyncState(ctx, source, scope)
	if err != nil || state.Cursor == "" {
		return false, err
	}
	if err := json.Unmarshal([]byte(state.Cursor), v); err != nil {
		return false, nil // an unreadable cursor: start over, like a first sync
	}
	return true, nil
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// pass is the state of one walk over a list ordered by update time. Update
// times have a resolution of one second, so the walk takes records updated
// at or after Since, and Done remembers which of those at exactly Since
// are stored already: a sync with nothing changed stores nothing.
type pass struct {
	Since time.Time `json:"since"`
	Done  []int     `json:"done,omitempty"` // numbers of the records stored with update time Since
	// After is the cursor of the last stored page of a walk in progress
	// ("" when no walk is in progress).
	After string `json:"after,omitempty"`
	// Max is the latest update the walk in progress has seen, and AtMax
	// the records updated then; the next walk starts from there.
	Max   time.Time `json:"max,omitzero"`
	AtMax []int     `json:"at_max,omitempty"`
}

// take reports whether the record numbered key, updated at t, is to be
// stored, and notes it.
func (p *pass) take(t time.Time, key int) bool {
	if t.Equal(p.Since) && slices.Contains(p.Done, key) {
		return false
	}
	switch {
	case t.After(p.Max):
		p.Max, p.AtMax = t, []int{key}
	case t.Equal(p.Max) && !slices.Contains(p.AtMax, key):
		p.AtMax = append(p.AtMax, key)
	}
	return true
}

// page records a stored page: the walk goes on after cursor, or is done
// and the next one starts where this one's newest record was.
func (p *pass) page(cursor string, done bool) {
	switch {
	case !done:
		p.After = cursor
	case p.Max.IsZero():
		*p = pass{Since: p.Since, Done: p.Done}
	case p.Max.Equal(p.Since):
		*p = pass{Since: p.Since, Done: append(p.Done, p.AtMax...)}
	default:
		*p = pass{Since: p.Max, Done: p.AtMax}
	}
}

// repoCursor is the github source's cursor of one repository.
type repoCursor struct {
	PRs    pass `json:"prs"`
	Issues pass `json:"issues"`
}
