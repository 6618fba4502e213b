package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// sourceParam restricts a sync to one source.
var sourceParam = Param{Name: "source", Type: "string", Enum: syncer.KnownSources,
	Description: "sync only this source (default: every configured source)"}

// syncRoutes lists the routes for sync control and status.
func (a *API) syncRoutes() []Route {
	return []Route{
		{Method: http.MethodPost, Pattern: "/api/v1/connectors/sync", Tag: "connectors", Status: http.StatusAccepted,
			Summary: "Start a full sync in the background (409 if one is running)",
			Params:  []Param{sourceParam}, Handler: a.startSync(syncer.Full)},
		{Method: http.MethodPost, Pattern: "/api/v1/connectors/sync/recent", Tag: "connectors", Status: http.StatusAccepted,
			Summary: "Start an incremental sync in the background (409 if one is running)",
			Params:  []Param{sourceParam}, Handler: a.startSync(syncer.Recent)},
		{Method: http.MethodGet, Pattern: "/api/v1/connectors/status", Tag: "connectors",
			Summary: "Per source: configured or not, last sync, record counts, per-scope state, last error; and the running sync's live progress",
			Handler: a.syncStatus},
	}
}

// syncStarted answers a sync request.
type syncStarted struct {
	Status    string    `json:"status"` // started
	Mode      string    `json:"mode"`
	StartedAt time.Time `json:"started_at"`
	// Sources are those that will sync; Skipped those that are not
	// configured, with what to set.
	Sources []string          `json:"sources"`
	Skipped map[string]string `json:"skipped"`
}

func (a *API) startSync(mode syncer.Mode) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		req := syncer.Request{Mode: mode, Trigger: syncer.TriggerAPI}
		if src := strings.TrimSpace(r.URL.Query().Get("source")); src != "" {
			if !knownSource(src) {
				return BadRequest("source", "unknown source %q; use %s", src, strings.Join(syncer.KnownSources, ", "))
			}
			req.Sources = []string{src}
		}
		if a.sync == nil {
			return &Error{Status: http.StatusServiceUnavailable, Message: "sync is not available in this server"}
		}
		p, err := a.sync.Start(req)
		var busy *syncer.BusyError
		var notConfigured *syncer.NotConfiguredError
		switch {
		case errors.As(err, &busy), errors.As(err, &notConfigured):
			return Conflict(err.Error())
		case errors.Is(err, syncer.ErrClosed):
			return &Error{Status: http.StatusServiceUnavailable, Message: "the server is shutting down"}
		case err != nil:
			return err
		}
		out := syncStarted{Status: "started", Mode: p.Mode, StartedAt: p.StartedAt, Sources: []string{}, Skipped: map[string]string{}}
		for _, s := range p.Sources {
			if s.Status == syncer.StatusSkipped {
				out.Skipped[s.Source] = s.Reason
			} else {
				out.Sources = append(out.Sources, s.Source)
			}
		}
		a.log.Info("sync started from the API", "mode", p.Mode, "sources", strings.Join(out.Sources, ","))
		return WriteJSON(w, http.StatusAccepted, out)
	}
}

func knownSource(name string) bool {
	for _, s := range syncer.KnownSources {
		if s == name {
			return true
		}
	}
	return false
}

// syncStatus is the answer of GET /connectors/status.
type syncStatus struct {
	// Running is whether a sync runs now; Sync is its live progress, or
	// the last sync this server ran (null if none).
	Running bool             `json:"running"`
	Sync    *syncer.Progress `json:"sync"`
	Sources []sourceStatus   `json:"sources"`
}

// sourceStatus is one source in the status.
type sourceStatus struct {
	Source     string `json:"source"`
	Configured bool   `json:"configured"`
	// Reason says what to set when the source is not configured.
	Reason string `json:"reason,omitempty"`
	// LastRun is the latest entry of the sync history (null if never).
	LastRun       *store.SyncRun   `json:"last_run"`
	LastSuccessAt *time.Time       `json:"last_success_at"`
	LastError     string           `json:"last_error"`
	LastErrorAt   *time.Time       `json:"last_error_at"`
	Counts        map[string]int64 `json:"counts"`
	// Scopes are the per-repository or per-team states.
	Scopes []store.SyncState `json:"scopes"`
}

func (a *API) syncStatus(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	out := syncStatus{Sources: []sourceStatus{}}
	if a.sync != nil {
		if p, ok := a.sync.Progress(); ok {
			out.Running, out.Sync = p.Running, &p
		}
	}
	counts, err := a.recordCounts(r)
	if err != nil {
		return err
	}
	for _, info := range a.sourceInfos() {
		s := sourceStatus{Source: info.Name, Configured: info.Configured, Reason: info.Reason, Scopes: []store.SyncState{}}
		runs, err := a.store.SyncRuns(ctx, info.Name, 1)
		if err != nil {
			return err
		}
		if len(runs) > 0 {
			s.LastRun = &runs[0]
			s.LastRun.Error = a.redact(s.LastRun.Error)
		}
		states, err := a.store.SyncStates(ctx, info.Name)
		if err != nil {
			return err
		}
		for _, st := range states {
			st.LastError = a.redact(st.LastError)
			if st.Scope == "" {
				s.LastSuccessAt, s.LastError, s.LastErrorAt = st.LastSuccessAt, st.LastError, st.LastErrorAt
				continue
			}
			s.Scopes = append(s.Scopes, st)
		}
		if s.Counts = counts[info.Name]; s.Counts == nil {
			s.Counts = map[string]int64{}
		}
		out.Sources = append(out.Sources, s)
	}
	return WriteJSON(w, http.StatusOK, out)
}

// recordCounts returns the record counts per source: the engine's, which
// it keeps between polls, or straight from the store without one.
func (a *API) recordCounts(r *http.Request) (map[string]map[string]int64, error) {
	if a.sync != nil {
		return a.sync.Counts(r.Context())
	}
	out := map[string]map[string]int64{}
	for _, name := range syncer.KnownSources {
		n, err := a.store.SourceCounts(r.Context(), name)
		if err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, nil
}

// sourceInfos says which sources can sync: from the engine's connectors,
// or, without an engine, from the configuration.
func (a *API) sourceInfos() []syncer.SourceInfo {
	if a.sync != nil {
		return a.sync.Sources()
	}
	var out []syncer.SourceInfo
	for _, name := range syncer.KnownSources {
		ok, reason := a.cfg.SourceConfigured(name)
		out = append(out, syncer.SourceInfo{Name: name, Configured: ok, Reason: reason})
	}
	return out
}

// redact removes credentials from stored error text before it is shown;
// the engine redacts before storing, this covers what connectors stored
// themselves.
func (a *API) redact(s string) string {
	if s == "" {
		return s
	}
	if a.sync != nil {
		return a.sync.Redact(s)
	}
	return syncer.NewRedactor(a.cfg.Secrets()...).Redact(s)
}
