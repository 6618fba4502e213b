// Package linearfake is a fake Linear GraphQL API for tests and the demo.
//
// A Server holds teams, workflow states, users, labels and issues in
// memory. It validates every request against Linear's official schema
// (an invalid document gets a GraphQL error, as from Linear, and is listed
// by InvalidDocuments), runs the query against its data with exactly the
// selected fields, Relay pagination, orderBy, and issue filters on
// updatedAt, createdAt, team and state, and answers with Linear's
// rate-limit headers. Knobs make it reject the key, rate-limit, fail with
// 5xx, or go down after a number of requests; every request is logged.
//
// Facts about the real API it follows are in shared/fixtures/linear/NOTES.md.
package linearfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// DefaultKey is the API key a new Server accepts.
const DefaultKey = "lin_api_fakeKey0123456789abcdefABCDEF"

// MaxComplexity is the largest complexity Linear accepts for one query.
const MaxComplexity = 10000

// Server is a fake Linear GraphQL API served by an httptest.Server. Its
// methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu      sync.Mutex
	now     func() time.Time
	key     string
	org     string
	seq     uint64
	teams   []*Team
	states  []*State
	users   []*User
	labels  []*Label
	issues  []*issue
	numbers map[string]int // last issue number, by team id
	viewer  *User

	limits          RateLimit
	authStatus      int
	rateLimitStatus int
	rateLimitNext   int
	spentHeaders    bool // this answer's headers show the request budget spent
	failNext        int
	failStatus      int
	failAfter       int // requests still answered before every later one fails; -1: off
	log             []Request
}

// Request is one request the fake received.
type Request struct {
	// Operation is the operation's name ("Issues"), or "" if unnamed.
	Operation string
	Query     string
	Variables map[string]any
	// Status is the HTTP status of the answer.
	Status int
	// Complexity is the query's complexity, as sent in X-Complexity (0 when
	// the query was not run).
	Complexity int
	// Error is the first GraphQL error message of the answer, if any.
	Error string
	// Invalid reports that the document failed validation against the
	// schema.
	Invalid bool
}

// New starts a fake Linear API with no data, accepting DefaultKey. Close
// it when done.
func New() *Server {
	s := NewHandler()
	s.srv = httptest.NewServer(s)
	return s
}

// NewHandler returns a fake Linear API that is not listening, to mount as
// an http.Handler; URL and Close are for servers made by New.
func NewHandler() *Server {
	s := &Server{
		now:             time.Now,
		key:             DefaultKey,
		org:             "fake",
		numbers:         map[string]int{},
		authStatus:      http.StatusUnauthorized,
		rateLimitStatus: http.StatusBadRequest,
		failAfter:       -1,
	}
	s.viewer = s.addUser("Fake Viewer", "viewer@example.com")
	s.limits = s.fullLimits(s.now())
	return s
}

// URL returns the GraphQL endpoint, the value for LINEAR_API_URL.
func (s *Server) URL() string { return s.srv.URL + "/graphql" }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Key returns the API key the fake accepts.
func (s *Server) Key() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key
}

// SetKey changes the API key the fake accepts.
func (s *Server) SetKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = key
}

// SetClock replaces the fake's clock (time.Now by default): it dates new
// records and drives the rate-limit budget's resets. The budget starts
// full again, its reset one period from the new clock's now.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	s.limits = s.fullLimits(now())
}

func (s *Server) clockNow() time.Time { return s.now().UTC() }

// RejectKeysWith sets the HTTP status of the answer to a wrong or missing
// key: 401 (the default, as the Linear SDK's mock answers) or 400 (a
// GraphQL error with extensions.code AUTHENTICATION_ERROR).
func (s *Server) RejectKeysWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authStatus = status
}

// RateLimitNext makes the next n authenticated requests fail with Linear's
// RATELIMITED error, their headers showing an exhausted request budget
// (remaining 0 until the budget's reset). The budget itself is untouched:
// the request after them goes through, whenever it comes.
func (s *Server) RateLimitNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimitNext = n
}

// RateLimitWith sets the HTTP status of RATELIMITED answers: 400, as
// Linear sends (the default), or 429.
func (s *Server) RateLimitWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimitStatus = status
}

// FailNext makes the next n requests fail with HTTP status (a 5xx).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus = n, status
}

// FailAfter lets n more requests through, then fails every later one with
// HTTP 500, as a server that goes down for good. A negative n turns it off.
func (s *Server) FailAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAfter = n
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// RequestCount returns how many requests the fake received, or, given
// operation names, how many of those operations.
func (s *Server) RequestCount(operations ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(operations) == 0 {
		return len(s.log)
	}
	n := 0
	for _, r := range s.log {
		for _, op := range operations {
			if r.Operation == op {
				n++
			}
		}
	}
	return n
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// InvalidDocuments returns every query the fake rejected as invalid
// against the schema, with the reason; a project's test can assert there
// are none.
func (s *Server) InvalidDocuments() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.log {
		if r.Invalid {
			out = append(out, r.Error+"\n"+r.Query)
		}
	}
	return out
}

// graphQLRequest is the body of a GraphQL POST.
type graphQLRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// ServeHTTP answers GraphQL POSTs to a path that ends in /graphql.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/graphql") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a GraphQL request", http.StatusMethodNotAllowed)
		return
	}
	var req graphQLRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<20))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody("Body is not a GraphQL JSON request", "BAD_REQUEST", "invalid request"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entry := Request{Operation: operationName(req.Query), Query: req.Query, Variables: req.Variables}
	status, body := s.answer(w.Header(), r.Header.Get("Authorization"), &req, &entry)
	entry.Status = status
	if errs, ok := body["errors"].([]any); ok && len(errs) > 0 {
		if e, ok := errs[0].(map[string]any); ok {
			entry.Error, _ = e["message"].(string)
		}
	}
	s.log = append(s.log, entry)
	writeJSON(w, status, body)
}

// answer decides the response to one request. It runs with s.mu held.
func (s *Server) answer(h http.Header, auth string, req *graphQLRequest, entry *Request) (int, map[string]any) {
	now := s.clockNow()
	s.refill(now)
	defer s.writeLimitHeaders(h)
	switch {
	case s.failAfter == 0:
		return http.StatusInternalServerError, errorBody("Internal server error", "INTERNAL_SERVER_ERROR", "internal error")
	case s.failAfter > 0:
		s.failAfter--
	}
	if s.failNext > 0 {
		s.failNext--
		return s.failStatus, errorBody(http.StatusText(s.failStatus), "INTERNAL_SERVER_ERROR", "internal error")
	}
	if auth == "" || auth != s.key {
		return s.authStatus, authErrorBody()
	}
	if s.rateLimitNext > 0 {
		s.rateLimitNext--
		s.spentHeaders = true
		return s.rateLimitStatus, rateLimitedBody()
	}
	doc, op, vars, err := parse(req.Query, req.OperationName, req.Variables, true)
	if err != nil {
		entry.Invalid = true
		return http.StatusBadRequest, validationErrorBody(err)
	}
	entry.Operation = op.Name
	cost := complexity(op, doc, vars)
	entry.Complexity = cost
	h.Set("X-Complexity", itoa(cost))
	if cost > MaxComplexity {
		return http.StatusBadRequest, errorBody(
			"Query too complex: complexity "+itoa(cost)+" is over the limit of "+itoa(MaxComplexity),
			"QUERY_TOO_COMPLEX", "query too complex")
	}
	if s.limits.RequestsRemaining <= 0 || s.limits.ComplexityRemaining < cost {
		return s.rateLimitStatus, rateLimitedBody()
	}
	s.limits.RequestsRemaining--
	s.limits.ComplexityRemaining -= cost
	x := &execution{s: s, doc: doc, vars: vars, now: now}
	data, errs := x.run(op)
	body := map[string]any{"data": data}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	return http.StatusOK, body
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}
