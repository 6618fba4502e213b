// Package githubfake is a fake GitHub for tests and demos: an httptest
// server holding repositories, pull requests (with commits, reviews,
// comments, labels and ready-for-review events), Actions workflows and
// runs, and issues in memory, and answering GitHub's REST and GraphQL APIs
// in their real wire format.
//
// REST answers are built from GitHub's own OpenAPI examples (see
// testdata/README.md), with Link pagination in the /repositories/{id}/…
// form, ETags and 304s, and x-ratelimit-* headers on every response.
// Every GraphQL document is parsed and validated against GitHub's official
// schema before it runs; an invalid one is answered with errors (so the
// test that sent it fails) and recorded in Server.GraphQLErrors.
//
// Knobs let a test check a client's manners: a request log, a token check
// (401), primary and secondary rate limits, server errors and dropped
// connections, and failing every request after N of them.
package githubfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veelocity/veelocity/internal/config"
)

// DefaultToken is the token the fake accepts unless Options say otherwise.
const DefaultToken = "ghp_fakeTokenForTests0123456789abcdef"

// Options configure a Server.
type Options struct {
	// Token is the only token accepted (default DefaultToken).
	Token string
	// Now is the fake's clock, for rate-limit windows and default
	// timestamps (default time.Now). A test that injects a sleeper into the
	// client usually advances this clock from it.
	Now func() time.Time
	// RateLimit is the size of each hourly window (default 5000).
	RateLimit int
}

// Server is a running fake GitHub.
type Server struct {
	srv     *httptest.Server
	token   string
	now     func() time.Time
	muxOnce sync.Once
	mux     *http.ServeMux

	appMuxOnce sync.Once
	appMux     *http.ServeMux
	app        *appState // nil until SetApp

	mu        sync.Mutex
	repos     map[string]*Repo // by lower-case full name
	reposByID map[int64]*Repo
	lastID    int64
	limits    map[string]*rateWindow // "core", "graphql"
	limit     int
	faults    []Fault
	failAfter int // fail every request once this many more have been answered; -1: never
	log       []Request
	gqlErrors []string
	load      Load
	seen      map[uint64]int // Load: times each request was answered
	injected  Injected

	oauthOnce sync.Once
	oauth     *oauthState // sign-in with GitHub (oauth.go)
}

// New starts a fake GitHub. Close it when done.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 5000
	}
	s := &Server{
		token: opts.Token, now: opts.Now, limit: opts.RateLimit, failAfter: -1,
		repos: map[string]*Repo{}, reposByID: map[int64]*Repo{}, limits: map[string]*rateWindow{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// URL is the REST base URL (GITHUB_API_URL).
func (s *Server) URL() string { return s.srv.URL }

// GraphQLURL is the GraphQL endpoint (GITHUB_GRAPHQL_URL).
func (s *Server) GraphQLURL() string { return s.srv.URL + "/graphql" }

// Token is the token the server accepts.
func (s *Server) Token() string { return s.token }

// Configure points cfg's GitHub settings at the fake: URLs, token and, if
// cfg has none, the repositories the fake holds.
func (s *Server) Configure(cfg *config.Config) {
	cfg.GitHubAPIURL = s.URL()
	cfg.GitHubGraphQLURL = s.GraphQLURL()
	cfg.GitHubToken = config.Secret(s.token)
	if len(cfg.GitHubRepos) == 0 {
		s.mu.Lock()
		for _, r := range s.repos {
			cfg.GitHubRepos = append(cfg.GitHubRepos, r.FullName())
		}
		s.mu.Unlock()
		slices.Sort(cfg.GitHubRepos)
	}
}

// Request is one request the server answered, for tests to inspect. It
// holds no credentials.
type Request struct {
	Method      string
	Path        string // path and query
	Operation   string // GraphQL operation name
	Status      int
	Accept      string
	APIVersion  string // X-GitHub-Api-Version
	UserAgent   string
	IfNoneMatch string
	// Cost and Nodes are a GraphQL query's point cost and node count by
	// GitHub's formula.
	Cost, Nodes int
}

// Requests returns the requests answered so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// RequestCount is the number of requests answered so far.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.log)
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// GraphQLErrors returns the validation errors of the invalid GraphQL
// documents the server was sent.
func (s *Server) GraphQLErrors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.gqlErrors...)
}

// serveHTTP checks credentials, applies injected faults and rate limits,
// and routes to the REST or GraphQL handler.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &Request{Method: r.Method, Path: r.URL.RequestURI(), Accept: r.Header.Get("Accept"),
		APIVersion: r.Header.Get("X-GitHub-Api-Version"), UserAgent: r.Header.Get("User-Agent"),
		IfNoneMatch: r.Header.Get("If-None-Match")}
	rw := &recorder{ResponseWriter: w, status: http.StatusOK, rec: rec, s: s}
	defer rw.logOnce()

	bucket := "core"
	if r.URL.Path == "/graphql" {
		bucket = "graphql"
	}
	if s.serveOAuth(rw, r) {
		return
	}
	app := s.appHandler(r) // authenticated by the App's JWT
	install, ok := s.authorized(r)
	if app == nil && !ok {
		s.writeJSON(rw, bucket, http.StatusUnauthorized, map[string]string{
			"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
		return
	}
	if rec.UserAgent == "" {
		s.writeJSON(rw, bucket, http.StatusForbidden, map[string]string{"message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes."})
		return
	}
	if s.injectFault(rw, r, bucket) {
		return
	}
	if serverError, truncate := s.loadFaults(r); serverError {
		s.writeJSON(rw, bucket, http.StatusBadGateway, map[string]string{"message": "Server Error"})
		return
	} else if truncate {
		rw.truncate = true
	}
	switch {
	case app != nil:
		app.ServeHTTP(rw, r)
	case bucket == "graphql":
		s.serveGraphQL(rw, r, rec)
	case r.Method == http.MethodGet && r.URL.Path == "/installation/repositories":
		if install == nil {
			s.writeJSON(rw, bucket, http.StatusForbidden, map[string]string{
				"message": "This endpoint requires an installation access token", "documentation_url": "https://docs.github.com/rest"})
			return
		}
		s.listInstallationRepos(rw, r, install)
	default:
		s.serveREST(rw, r)
	}
}

// authorized reports whether r carries the personal token or a live
// installation token (and which installation); an expired installation
// token is refused, as GitHub does.
func (s *Server) authorized(r *http.Request) (*Installation, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !(strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "token")) {
		return nil, false
	}
	if tok == s.token {
		return nil, true
	}
	in, _ := s.installationToken(tok)
	return in, in != nil
}

// writeJSON writes v with status and the rate-limit headers of bucket.
func (s *Server) writeJSON(w http.ResponseWriter, bucket string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.setRateHeaders(w.Header(), bucket)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// recorder remembers the status a handler wrote, and logs the request
// once.
type recorder struct {
	http.ResponseWriter
	status int
	rec    *Request
	s      *Server
	logged bool
	// truncate cuts a 200 body in half (Load.Truncate).
	truncate bool
}

// logOnce adds the request to the log. A handler's response reaches the
// client only after this runs, except a dropped connection, which logs
// before it drops.
func (r *recorder) logOnce() {
	if r.logged {
		return
	}
	r.logged = true
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.rec.Status = r.status
	r.s.log = append(r.s.log, *r.rec)
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	if r.truncate && code == http.StatusOK {
		r.Header().Del("Content-Length")
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write writes b, or half of it when the answer is a 200 to truncate.
func (r *recorder) Write(b []byte) (int, error) {
	if r.truncate && r.status == http.StatusOK && len(b) > 1 {
		r.truncate = false
		r.s.count(func(i *Injected) { i.Truncated++ })
		if _, err := r.ResponseWriter.Write(b[:len(b)/2]); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection, which the
// Disconnect fault drops.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// rateWindow is one hourly rate-limit window.
type rateWindow struct {
	remaining int
	reset     time.Time
}

// window returns bucket's current window, starting a new one when the old
// one has reset. The caller holds s.mu.
func (s *Server) window(bucket string) *rateWindow {
	w := s.limits[bucket]
	if now := s.now(); w == nil || !now.Before(w.reset) {
		w = &rateWindow{remaining: s.limit, reset: now.Add(time.Hour).Truncate(time.Second)}
		s.limits[bucket] = w
	}
	return w
}

// SetRateLimit sets what remains of bucket ("core" or "graphql") and when
// its window resets. With remaining 0, requests get the primary-limit
// answer until the fake's clock passes reset.
func (s *Server) SetRateLimit(bucket string, remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits[bucket] = &rateWindow{remaining: remaining, reset: reset}
}

// RateLimit returns what remains of bucket and when it resets.
func (s *Server) RateLimit(bucket string) (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.window(bucket)
	return w.remaining, w.reset
}

// spend takes cost from bucket, reporting false (and spending nothing)
// when too little remains.
func (s *Server) spend(bucket string, cost int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.window(bucket)
	if w.remaining < cost {
		return false
	}
	w.remaining -= cost
	return true
}

func (s *Server) setRateHeaders(h http.Header, bucket string) {
	s.mu.Lock()
	w := s.window(bucket)
	remaining, reset := w.remaining, w.reset
	s.mu.Unlock()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(s.limit-remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", bucket)
}

// primaryLimitBody is GitHub's answer once the hourly budget is spent.
var primaryLimitBody = map[string]string{
	"message":           "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.",
	"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
	"status":            "403",
}

// etagOf is a weak validator for a response body, as GitHub sends.
func etagOf(body []byte) string {
	return `W/"` + hash(body) + `"`
}

// sameETag compares validators without the weak marker: GitHub sends
// W/"x" and echoes "x" on a 304.
func sameETag(a, b string) bool {
	return a != "" && strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// writeCached writes a 200 JSON body with an ETag, or a bodiless 304 when
// the request's If-None-Match names the same version. A 304 costs no rate
// limit, as on GitHub.
func (s *Server) writeCached(w http.ResponseWriter, r *http.Request, v any, link string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	etag := etagOf(buf.Bytes())
	h := w.Header()
	h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
	h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
	if sameETag(r.Header.Get("If-None-Match"), etag) {
		s.setRateHeaders(h, "core")
		h.Set("ETag", strings.TrimPrefix(etag, "W/"))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if !s.spend("core", 1) {
		s.writeJSON(w, "core", http.StatusForbidden, primaryLimitBody)
		return
	}
	s.setRateHeaders(h, "core")
	h.Set("ETag", etag)
	if link != "" {
		h.Set("Link", link)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.Write(buf.Bytes())
}
