// Package server assembles Veelocity's HTTP server: the JSON API, the web
// pages, the OpenAPI description, and the middleware around them (request
// logging, panic recovery), and runs it until its context ends.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/auth"
	"github.com/veelocity/veelocity/internal/telemetry"
)

// Pages is the web dashboard as the server sees it: routes of its own, and
// the page shown to a browser that asks for "/" or a path that does not
// exist.
type Pages interface {
	// Register adds the pages' routes to mux and returns their patterns.
	Register(mux *http.ServeMux) []string
	Home(w http.ResponseWriter, r *http.Request)
	NotFound(w http.ResponseWriter, r *http.Request)
}

// Options configure Handler.
type Options struct {
	API     *api.API
	Pages   Pages // nil: a minimal HTML page
	Log     *slog.Logger
	Version string
	// Auth decides who may make requests; nil serves everyone, as
	// AUTH_MODE=none does.
	Auth *auth.Auth
	// PublicURL is PUBLIC_URL, trusted as an Origin for state-changing
	// requests; "" when unset.
	PublicURL string
	// Telemetry, if set, counts requests by route and serves GET /metrics
	// (which, unmarked, needs a session or token when AUTH_MODE is on).
	Telemetry *telemetry.Telemetry
}

// Handler returns the whole HTTP handler: routes plus middleware.
func Handler(o Options) http.Handler {
	mux, _, _, access := newMux(o)
	g := &guard{auth: o.Auth, mux: mux, access: access, log: o.logger()}
	// The telemetry labels each request with the pattern of the mux route
	// it is for, refused or not.
	h := o.Telemetry.Middleware(mux, crossOrigin(o.PublicURL, o.logger(), limitWork(workSlots(), 30*time.Second, perRequestMemo(g))))
	return logRequests(o.logger(), recoverPanics(o.logger(), securityHeaders(h)))
}

// Patterns lists every route the handler for o serves, as "METHOD path"
// (or a bare path for the catch-all ones), with the Access of each: the
// routes the security tests walk.
func Patterns(o Options) map[string]api.Access {
	_, apiPatterns, pagePatterns, access := newMux(o)
	out := map[string]api.Access{}
	for _, p := range append(apiPatterns, pagePatterns...) {
		a, ok := access[p]
		if !ok {
			a = api.Private
		}
		out[p] = a
	}
	return out
}

func (o Options) logger() *slog.Logger {
	if o.Log == nil {
		return slog.Default()
	}
	return o.Log
}

// newMux builds the router. It also returns the patterns it registered
// ("METHOD path"): the API's (which the OpenAPI test checks against the
// published description) and the pages' and sign-in flow's; and the Access
// of those that are not Private.
func newMux(o Options) (mux *http.ServeMux, apiPatterns, pagePatterns []string, access map[string]api.Access) {
	log := o.logger()
	pages := o.Pages
	if pages == nil {
		pages = placeholderPages{}
	}
	mux = http.NewServeMux()
	routes := o.API.Routes()
	patterns := registerAPI(mux, log, routes)
	access = map[string]api.Access{}
	for _, rt := range routes {
		if rt.Access != api.Private {
			access[rt.Method+" "+rt.Pattern] = rt.Access
		}
	}

	doc := api.OpenAPI(o.Version, append(routes, rootRoutes()...))
	mux.Handle("/openapi.json", api.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return methodNotAllowed(w, "GET")
		}
		return api.WriteJSON(w, http.StatusOK, doc)
	}))
	if o.Telemetry != nil {
		metrics := o.Telemetry.Handler()
		mux.Handle("/metrics", api.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				return methodNotAllowed(w, "GET")
			}
			metrics.ServeHTTP(w, r)
			return nil
		}))
		patterns = append(patterns, "GET /metrics")
	}
	pagePatterns = pages.Register(mux)
	for _, p := range pagePatterns {
		if strings.HasPrefix(p, "GET /static/") {
			access[p] = api.Public // the stylesheet and scripts the sign-in page uses
		}
	}
	if o.Auth != nil {
		for _, p := range o.Auth.Register(mux) {
			access[p] = api.Public // the sign-in flow
			pagePatterns = append(pagePatterns, p)
		}
	}
	mux.Handle("/{$}", api.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return methodNotAllowed(w, "GET")
		}
		if wantsHTML(r) {
			pages.Home(w, r)
			return nil
		}
		return api.WriteJSON(w, http.StatusOK, map[string]string{"message": "Welcome to Veelocity"})
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if wantsHTML(r) && !strings.HasPrefix(r.URL.Path, "/api/") {
			pages.NotFound(w, r)
			return
		}
		api.WriteError(w, http.StatusNotFound, "no such path: "+r.URL.Path)
	})
	return mux, append(patterns, "GET /openapi.json", "GET /"), pagePatterns, access
}

// rootRoutes describes, for OpenAPI, the routes the server adds beside the
// API's own.
func rootRoutes() []api.Route {
	return []api.Route{
		{Method: http.MethodGet, Pattern: "/", Tag: "meta", Access: api.Public, Summary: `Welcome message ({"message":"Welcome to Veelocity"}); browsers get the dashboard`},
		{Method: http.MethodGet, Pattern: "/openapi.json", Tag: "meta", Summary: "This OpenAPI 3 description"},
		{Method: http.MethodGet, Pattern: "/metrics", Tag: "meta", Produces: "text/plain",
			Summary: "Prometheus metrics: HTTP requests by route, syncs per source, derive durations, rolling 30-day DORA values per repository"},
	}
}

// registerAPI registers routes, one mux pattern per path, dispatching on the
// method so that a wrong method gets a JSON 405 with an Allow header. It
// returns "METHOD path" for each route registered.
func registerAPI(mux *http.ServeMux, log *slog.Logger, routes []api.Route) []string {
	var order, registered []string
	byPath := map[string]map[string]http.Handler{}
	for _, rt := range routes {
		if byPath[rt.Pattern] == nil {
			byPath[rt.Pattern] = map[string]http.Handler{}
			order = append(order, rt.Pattern)
		}
		h := api.Handle(log, rt.Handler)
		if !rt.AnyBody {
			h = jsonBody(h)
		}
		byPath[rt.Pattern][rt.Method] = h
	}
	for _, pattern := range order {
		methods := byPath[pattern]
		allowed := make([]string, 0, len(methods))
		for m := range methods {
			allowed = append(allowed, m)
		}
		slices.Sort(allowed)
		for _, m := range allowed {
			registered = append(registered, m+" "+pattern)
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			method := r.Method
			if method == http.MethodHead {
				method = http.MethodGet
			}
			if h, ok := methods[method]; ok {
				h.ServeHTTP(w, r)
				return
			}
			methodNotAllowed(w, allowed...)
		})
	}
	return registered
}

func methodNotAllowed(w http.ResponseWriter, allowed ...string) error {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	api.WriteError(w, http.StatusMethodNotAllowed, "method not allowed; use "+strings.Join(allowed, " or "))
	return nil
}

// wantsHTML reports whether the client prefers HTML to JSON, as a browser
// does.
func wantsHTML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") && !strings.HasPrefix(accept, "application/json")
}

// Run serves h on addr until ctx ends, then shuts down gracefully, giving
// requests in flight up to 10 seconds. ready, if not nil, receives the
// address actually bound (useful with port 0).
func Run(ctx context.Context, addr string, h http.Handler, log *slog.Logger, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", "10s")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type placeholderPages struct{}

func (placeholderPages) Register(*http.ServeMux) []string { return nil }

func (placeholderPages) Home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Veelocity</title></head>
<body><h1>Veelocity</h1><p>The dashboard is not built yet. The JSON API is at <a href="/api/v1/health">/api/v1/health</a>
and described at <a href="/openapi.json">/openapi.json</a>.</p></body></html>`)
}

func (placeholderPages) NotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found · Veelocity</title></head>
<body><h1>Page not found</h1><p><a href="/">Back to Veelocity</a></p></body></html>`)
}
