// Package pagerdutyfake is a fake PagerDuty REST API v2 for tests: the
// three read endpoints Veelocity's PagerDuty connector uses, in PagerDuty's
// wire format.
//
// It follows PagerDuty's public API reference
// (https://developer.pagerduty.com/api-reference/, "List incidents", "Get an
// incident", "List log entries for an incident", "Pagination" and "Rate
// limiting", with https://support.pagerduty.com/docs/rest-api-rate-limits):
//
//   - Authentication is the header "Authorization: Token token=KEY"; any
//     other answer is a 401 with an {"error": {...}} body. Clients send
//     "Accept: application/vnd.pagerduty+json;version=2"; the fake records
//     the Accept header of every request (Request.Accept).
//   - GET /incidents filters by since and until (ISO 8601; at most 6 months
//     apart, else a 400), service_ids[], urgencies[] (high, low) and
//     statuses[]; date_range=all lifts the date filter; without since and
//     until it lists the last 30 days. It sorts by incident_number or by
//     sort_by=created_at (:asc or :desc), and pages with classic offset
//     pagination: limit (default 25, at most 100), offset, and more in the
//     answer, total only when total=true.
//   - GET /incidents/{id} answers {"incident": {...}}.
//   - GET /incidents/{id}/log_entries lists an incident's log entries
//     (trigger_log_entry, acknowledge_log_entry, resolve_log_entry), newest
//     first, with the same offset pagination.
//   - Every answer carries the ratelimit-limit, ratelimit-remaining and
//     ratelimit-reset headers (reset: seconds until the budget refills); a
//     rate-limited request gets a 429 with remaining 0.
//
// Incident objects carry id, type, summary, self, html_url,
// incident_number, title, created_at, updated_at, status, urgency,
// service (a service_reference), last_status_change_at and resolved_at.
package pagerdutyfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultKey is the API key a new Server accepts.
const DefaultKey = "u+fakePagerDutyKey0123"

// MaxRange is the longest since–until range GET /incidents accepts.
const MaxRange = 6 * 31 * 24 * time.Hour

// RateLimit is the requests-per-minute budget the fake reports.
const RateLimit = 960

// Server is a fake PagerDuty REST API served by an httptest.Server. Its
// methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	now       func() time.Time
	key       string
	services  map[string]string // id → name
	incidents []*incident
	number    int

	rateLimitNext  int
	rateLimitReset int
	onRequest      func(n int)
	log            []Request
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Query  string
	Accept string
	// Status is the HTTP status of the answer.
	Status int
}

// Incident describes an incident to add. Zero times take defaults:
// UpdatedAt and LastStatusChangeAt follow the last event.
type Incident struct {
	Service   string
	Title     string
	Urgency   string // high (default) or low
	CreatedAt time.Time
	// AcknowledgedAt, when set, adds an acknowledge_log_entry.
	AcknowledgedAt *time.Time
	// ResolvedAt, when set, resolves the incident then, with a
	// resolve_log_entry.
	ResolvedAt *time.Time
	// LastStatusChangeAt overrides the incident's last_status_change_at.
	LastStatusChangeAt *time.Time
	// NoResolveLogEntry leaves out the resolve_log_entry of a resolved
	// incident, as when its log was trimmed.
	NoResolveLogEntry bool
}

type incident struct {
	id     string
	number int
	Incident
	updatedAt time.Time
	entries   []logEntry
}

type logEntry struct {
	id, typ string
	at      time.Time
}

// New starts a fake PagerDuty API with no data, accepting DefaultKey.
// Close it when done.
func New() *Server {
	s := &Server{now: time.Now, key: DefaultKey, services: map[string]string{}, rateLimitReset: 1}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /incidents", s.listIncidents)
	mux.HandleFunc("GET /incidents/{id}", s.getIncident)
	mux.HandleFunc("GET /incidents/{id}/log_entries", s.listLogEntries)
	s.srv = httptest.NewServer(s.middleware(mux))
	return s
}

// URL is the API's base URL (PAGERDUTY_API_URL).
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// SetClock sets the clock that dates "now" (the default date range).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetKey changes the API key the fake accepts.
func (s *Server) SetKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = key
}

// RateLimitNext makes the next n requests get a 429 whose ratelimit-reset
// says to wait resetSeconds.
func (s *Server) RateLimitNext(n, resetSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimitNext, s.rateLimitReset = n, resetSeconds
}

// OnRequest sets a function called with the running count of requests as
// each one arrives, before it is answered.
func (s *Server) OnRequest(fn func(n int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = fn
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// AddService adds a service.
func (s *Server) AddService(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services[id] = name
}

// AddIncident adds an incident and returns its id. Its service must exist.
func (s *Server) AddIncident(in Incident) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.services[in.Service]; !ok {
		panic("pagerdutyfake: unknown service " + in.Service)
	}
	if in.Urgency == "" {
		in.Urgency = "high"
	}
	s.number++
	is := &incident{id: "Q" + strconv.Itoa(1000000+s.number), number: s.number, Incident: in}
	is.CreatedAt = in.CreatedAt.UTC().Truncate(time.Second)
	is.entries = []logEntry{{id: is.id + "T", typ: "trigger_log_entry", at: is.CreatedAt}}
	if in.AcknowledgedAt != nil {
		is.entries = append(is.entries, logEntry{id: is.id + "A", typ: "acknowledge_log_entry", at: in.AcknowledgedAt.UTC()})
	}
	is.updatedAt = is.CreatedAt
	s.incidents = append(s.incidents, is)
	if in.ResolvedAt != nil {
		s.resolve(is, *in.ResolvedAt)
	}
	return is.id
}

// Resolve resolves an open incident at.
func (s *Server) Resolve(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, is := range s.incidents {
		if is.id == id {
			s.resolve(is, at)
			return
		}
	}
	panic("pagerdutyfake: unknown incident " + id)
}

func (s *Server) resolve(is *incident, at time.Time) {
	at = at.UTC().Truncate(time.Second)
	is.ResolvedAt = &at
	if !is.NoResolveLogEntry {
		is.entries = append(is.entries, logEntry{id: is.id + "R", typ: "resolve_log_entry", at: at})
	}
	is.updatedAt = at
}

func (is *incident) status() string {
	switch {
	case is.ResolvedAt != nil:
		return "resolved"
	case is.AcknowledgedAt != nil:
		return "acknowledged"
	}
	return "triggered"
}

func (is *incident) lastStatusChange() time.Time {
	if is.LastStatusChangeAt != nil {
		return is.LastStatusChangeAt.UTC()
	}
	last := is.CreatedAt
	for _, e := range is.entries {
		if e.at.After(last) {
			last = e.at
		}
	}
	if is.ResolvedAt != nil && is.ResolvedAt.After(last) {
		last = *is.ResolvedAt
	}
	return last
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) ref(kind, id, summary string) map[string]any {
	path := kind + "s/" + id
	return map[string]any{"id": id, "type": kind + "_reference", "summary": summary,
		"self": "https://api.pagerduty.com/" + path, "html_url": "https://acme.pagerduty.com/" + path}
}

func (s *Server) incidentJSON(is *incident) map[string]any {
	m := map[string]any{
		"id": is.id, "type": "incident", "summary": "[#" + strconv.Itoa(is.number) + "] " + is.Title,
		"self":     "https://api.pagerduty.com/incidents/" + is.id,
		"html_url": "https://acme.pagerduty.com/incidents/" + is.id, "incident_number": is.number,
		"title": is.Title, "created_at": stamp(is.CreatedAt), "updated_at": stamp(is.updatedAt),
		"status": is.status(), "urgency": is.Urgency, "incident_key": is.id + "-key",
		"service":               s.ref("service", is.Service, s.services[is.Service]),
		"last_status_change_at": stamp(is.lastStatusChange()), "resolved_at": nil,
		"assignments": []any{}, "acknowledgements": []any{}, "teams": []any{},
	}
	if is.ResolvedAt != nil {
		m["resolved_at"] = stamp(*is.ResolvedAt)
	}
	return m
}

// middleware logs each request, checks the key and applies the rate limit.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Accept: r.Header.Get("Accept")})
		n, hook, idx := len(s.log), s.onRequest, len(s.log)-1
		limited := s.rateLimitNext > 0
		if limited {
			s.rateLimitNext--
		}
		key, reset := s.key, s.rateLimitReset
		s.mu.Unlock()
		if hook != nil {
			hook(n)
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h := w.Header()
		h.Set("ratelimit-limit", strconv.Itoa(RateLimit))
		h.Set("ratelimit-reset", strconv.Itoa(reset))
		switch {
		case r.Header.Get("Authorization") != "Token token="+key:
			h.Set("ratelimit-remaining", strconv.Itoa(RateLimit-1))
			writeError(rec, http.StatusUnauthorized, "Unauthorized", 0, nil)
		case limited:
			h.Set("ratelimit-remaining", "0")
			writeError(rec, http.StatusTooManyRequests, "Rate Limit Exceeded", 0, nil)
		default:
			h.Set("ratelimit-remaining", strconv.Itoa(RateLimit-1))
			next.ServeHTTP(rec, r)
		}
		s.mu.Lock()
		s.log[idx].Status = rec.status
		s.mu.Unlock()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes PagerDuty's error object; code 2001 is "Invalid Input
// Provided".
func writeError(w http.ResponseWriter, status int, message string, code int, errs []string) {
	e := map[string]any{"message": message}
	if code != 0 {
		e["code"] = code
	}
	if errs != nil {
		e["errors"] = errs
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func invalid(w http.ResponseWriter, why string) {
	writeError(w, http.StatusBadRequest, "Invalid Input Provided", 2001, []string{why})
}

// page reads limit and offset; ok is false when it answered a 400.
func page(w http.ResponseWriter, q map[string][]string) (limit, offset int, ok bool) {
	limit, offset = 25, 0
	if v := first(q, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			invalid(w, "Limit must be a positive integer.")
			return 0, 0, false
		}
		limit = min(n, 100)
	}
	if v := first(q, "offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			invalid(w, "Offset must be a non-negative integer.")
			return 0, 0, false
		}
		offset = n
	}
	return limit, offset, true
}

func first(q map[string][]string, name string) string {
	if v := q[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func parseTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, ok := page(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	until := s.now().UTC()
	since := until.AddDate(0, 0, -30)
	all := first(q, "date_range") == "all"
	if v := first(q, "since"); v != "" {
		t, ok := parseTime(v)
		if !ok {
			invalid(w, "Since is not a valid date.")
			return
		}
		since = t
	}
	if v := first(q, "until"); v != "" {
		t, ok := parseTime(v)
		if !ok {
			invalid(w, "Until is not a valid date.")
			return
		}
		until = t
	}
	if !all && (until.Before(since) || until.Sub(since) > MaxRange) {
		writeError(w, http.StatusBadRequest, "Invalid Input Provided", 2001,
			[]string{"Until must be after since, and the date range may not exceed 6 months."})
		return
	}
	services, urgencies, statuses := q["service_ids[]"], q["urgencies[]"], q["statuses[]"]
	for _, u := range urgencies {
		if u != "high" && u != "low" {
			invalid(w, "Urgencies must be high or low.")
			return
		}
	}
	var out []*incident
	for _, is := range s.incidents {
		if !all && (is.CreatedAt.Before(since) || !is.CreatedAt.Before(until)) {
			continue
		}
		if (len(services) > 0 && !slices.Contains(services, is.Service)) ||
			(len(urgencies) > 0 && !slices.Contains(urgencies, is.Urgency)) ||
			(len(statuses) > 0 && !slices.Contains(statuses, is.status())) {
			continue
		}
		out = append(out, is)
	}
	switch sortBy := first(q, "sort_by"); sortBy {
	case "", "incident_number", "incident_number:asc":
	case "created_at", "created_at:asc":
		slices.SortStableFunc(out, func(a, b *incident) int { return a.CreatedAt.Compare(b.CreatedAt) })
	case "created_at:desc":
		slices.SortStableFunc(out, func(a, b *incident) int { return b.CreatedAt.Compare(a.CreatedAt) })
	default:
		invalid(w, "Sort by is not a supported field.")
		return
	}
	items := []any{}
	for i := offset; i < len(out) && i < offset+limit; i++ {
		items = append(items, s.incidentJSON(out[i]))
	}
	var total any
	if first(q, "total") == "true" {
		total = len(out)
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": items, "limit": limit, "offset": offset,
		"more": offset+limit < len(out), "total": total})
}

func (s *Server) incident(id string) *incident {
	for _, is := range s.incidents {
		if is.id == id {
			return is
		}
	}
	return nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.incident(r.PathValue("id"))
	if is == nil {
		writeError(w, http.StatusNotFound, "Not Found", 2100, nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": s.incidentJSON(is)})
}

func (s *Server) listLogEntries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, ok := page(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.incident(r.PathValue("id"))
	if is == nil {
		writeError(w, http.StatusNotFound, "Not Found", 2100, nil)
		return
	}
	entries := slices.Clone(is.entries)
	slices.SortStableFunc(entries, func(a, b logEntry) int { return b.at.Compare(a.at) })
	items := []any{}
	for i := offset; i < len(entries) && i < offset+limit; i++ {
		e := entries[i]
		summary := strings.TrimSuffix(e.typ, "_log_entry")
		items = append(items, map[string]any{
			"id": e.id, "type": e.typ, "summary": summary, "self": "https://api.pagerduty.com/log_entries/" + e.id,
			"html_url": nil, "created_at": stamp(e.at),
			"incident": s.ref("incident", is.id, is.Title), "service": s.ref("service", is.Service, s.services[is.Service]),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"log_entries": items, "limit": limit, "offset": offset,
		"more": offset+limit < len(entries), "total": nil})
}
