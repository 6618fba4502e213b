package syncer

import (
	"maps"
	"slices"
	"time"
)

// Source statuses in a Progress, besides the store's run statuses
// (store.SyncSuccess, SyncFailed, SyncCanceled, SyncRunning).
const (
	// StatusPending is a source waiting for its turn.
	StatusPending = "pending"
	// StatusSkipped is a source that is not configured.
	StatusSkipped = "skipped"
)

// Progress is the state of one sync: live while it runs, final once it
// ends. It is a copy; changing it changes nothing.
type Progress struct {
	Running    bool             `json:"running"`
	Mode       string           `json:"mode"`
	Trigger    Trigger          `json:"trigger"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt *time.Time       `json:"finished_at"`
	Sources    []SourceProgress `json:"sources"`
	// AfterSyncError is the error of the step that runs after the
	// connectors (deriving metrics), if it failed.
	AfterSyncError string `json:"after_sync_error,omitempty"`
}

// SourceProgress is one source's part of a sync.
type SourceProgress struct {
	Source     string     `json:"source"`
	Status     string     `json:"status"`           // pending, running, success, failed, canceled, skipped
	Reason     string     `json:"reason,omitempty"` // why it was skipped
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// Counts are the source's totals; Scope is the scope it started
	// last, and Active every scope it works on now (several when
	// repositories sync in parallel).
	Counts
	Scope  string          `json:"scope"`
	Active []string        `json:"active"`
	Scopes []ScopeProgress `json:"scopes"`
	Error  string          `json:"error,omitempty"`
}

// ScopeProgress is what a source did in one scope (a repository, a team).
type ScopeProgress struct {
	Scope string `json:"scope"`
	// Status is "running", "success" or "failed" for a scope a connector
	// reports through BeginScope, and "" for one it only named.
	Status string `json:"status,omitempty"`
	Counts
}

// Counts are records stored, by kind, and requests made.
type Counts struct {
	Records       int64            `json:"records"`
	RecordsByKind map[string]int64 `json:"records_by_kind"`
	Requests      int64            `json:"requests"`
}

func (c *Counts) addRecords(kind string, n int) {
	if c.RecordsByKind == nil {
		c.RecordsByKind = map[string]int64{}
	}
	c.Records += int64(n)
	c.RecordsByKind[kind] += int64(n)
}

func (c Counts) clone() Counts {
	c.RecordsByKind = maps.Clone(c.RecordsByKind)
	if c.RecordsByKind == nil {
		c.RecordsByKind = map[string]int64{}
	}
	return c
}

// Duration is how long the source ran (so far, if it still runs at now).
func (s SourceProgress) Duration(now time.Time) time.Duration {
	if s.StartedAt == nil {
		return 0
	}
	if s.FinishedAt != nil {
		return s.FinishedAt.Sub(*s.StartedAt)
	}
	return now.Sub(*s.StartedAt)
}

// Failed lists the sources that failed.
func (p Progress) Failed() []string {
	var out []string
	for _, s := range p.Sources {
		if s.Status == statusFailed {
			out = append(out, s.Source)
		}
	}
	return out
}

// OK reports whether the sync finished with every source that ran
// succeeding and the after-sync step too.
func (p Progress) OK() bool {
	for _, s := range p.Sources {
		if s.Status != statusSuccess && s.Status != StatusSkipped {
			return false
		}
	}
	return p.AfterSyncError == ""
}

func (p Progress) clone() Progress {
	p.Sources = slices.Clone(p.Sources)
	for i := range p.Sources {
		p.Sources[i] = p.Sources[i].clone()
	}
	return p
}

func (s SourceProgress) clone() SourceProgress {
	s.Counts = s.Counts.clone()
	s.Active = slices.Clone(s.Active)
	if s.Active == nil {
		s.Active = []string{}
	}
	s.Scopes = slices.Clone(s.Scopes)
	for j := range s.Scopes {
		s.Scopes[j].Counts = s.Scopes[j].Counts.clone()
	}
	if s.Scopes == nil {
		s.Scopes = []ScopeProgress{}
	}
	return s
}

// EventKind says what happened in an Event.
type EventKind int

// Event kinds, in the order they happen for one source.
const (
	// SourceStarted: the source's connector starts.
	SourceStarted EventKind = iota + 1
	// ScopeStarted: the connector moved on to Event.Scope.
	ScopeStarted
	// ScopeFinished: the connector left Event.Scope (for another one, or
	// because it finished).
	ScopeFinished
	// SourceFinished: the source succeeded, failed, was canceled, or was
	// skipped (not configured); see Event.Source.Status.
	SourceFinished
)

// Event is a step of a sync, pushed to Request.Observe (for a terminal
// display); Source and Scope are snapshots taken when it happened.
type Event struct {
	Kind   EventKind
	Source SourceProgress
	Scope  ScopeProgress
}
