// Package api serves Veelocity's JSON API under /api/v1. Every route is
// declared once, in a Route table that both the router and the OpenAPI
// description (/openapi.json) are built from.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// Deps are what the API needs from the rest of the program.
type Deps struct {
	Store  *store.Store
	Config *config.Config
	Log    *slog.Logger
	// Derive runs the derive step after records are written (POST
	// /deployments, /incidents); nil skips it.
	Derive func(ctx context.Context) error
	// Sync is the sync engine behind /connectors; nil answers its POSTs with
	// 503.
	Sync *syncer.Engine
	// Now is the clock that sets "today" for metric ranges; time.Now when
	// nil.
	Now func() time.Time
}

// API holds the handlers' dependencies.
type API struct {
	store *store.Store
	cfg   *config.Config
	log   *slog.Logger
	// derive runs the derive step after records are written; may be nil.
	derive func(ctx context.Context) error
	// sync is the sync engine; may be nil.
	sync    *syncer.Engine
	metrics *metrics.Service
	now     func() time.Time
}

// New returns the API over deps.
func New(d Deps) *API {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	linear := d.Config != nil && d.Config.LinearAPIKey != ""
	return &API{store: d.Store, cfg: d.Config, log: log, derive: d.Derive, sync: d.Sync,
		metrics: metrics.New(d.Store, linear), now: now}
}

// Route is one endpoint: what the router registers and what /openapi.json
// describes.
type Route struct {
	Method  string
	Pattern string // ServeMux pattern path, e.g. /api/v1/github/prs/{id}
	Tag     string
	Summary string
	Params  []Param
	// Body names the request body's fields, for POST routes.
	Body []Field
	// Status is the success status; 200 when zero.
	Status int
	// Access is who may call the route (see Access); the zero value needs
	// a session or an API token.
	Access Access
	// AnyBody lets a state-changing route take a body of any Content-Type;
	// otherwise one that is not application/json is refused with 415.
	AnyBody bool
	Handler HandlerFunc
}

// Param is a query or path parameter.
type Param struct {
	Name        string
	In          string // query or path
	Type        string // string, integer, boolean
	Format      string // date, …
	Description string
	Required    bool
	Enum        []string
}

// Field is a property of a JSON request body.
type Field struct {
	Name        string
	Type        string
	Format      string
	Description string
	Required    bool
}

// Routes lists every API route.
func (a *API) Routes() []Route {
	var routes []Route
	routes = append(routes, a.healthRoutes()...)
	routes = append(routes, a.syncRoutes()...)
	routes = append(routes, a.githubRoutes()...)
	routes = append(routes, a.actionsRoutes()...)
	routes = append(routes, a.linearRoutes()...)
	routes = append(routes, a.recordRoutes()...)
	routes = append(routes, a.metricsRoutes()...)
	return routes
}

func (a *API) healthRoutes() []Route {
	return []Route{{
		Method: http.MethodGet, Pattern: "/api/v1/health", Tag: "health",
		Summary: "Liveness and database check",
		Access:  Public,
		Handler: a.health,
	}}
}

func (a *API) health(w http.ResponseWriter, r *http.Request) error {
	if err := a.store.DB().PingContext(r.Context()); err != nil {
		a.log.Error("health check: database unreachable", "err", err)
		return WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unhealthy", "error": "database unavailable"})
	}
	return WriteJSON(w, http.StatusOK, map[string]string{"status": "healthy"})
}
