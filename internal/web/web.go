// Package web is Veelocity's dashboard: server-rendered pages (Dashboard,
// DORA, Development, pull requests, deployments, incidents, Settings) with
// SVG charts drawn on the server, each chart followed by its data table and
// a CSV download of exactly that table. Templates and static files are
// embedded; the only JavaScript is small and plain (theme toggle, Sync now,
// tooltips), and every page is sent with a Content-Security-Policy that
// allows nothing inline.
package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// Options configure the pages.
type Options struct {
	Store  *store.Store
	Config *config.Config
	// Sync is the sync engine behind the Settings page's "Sync now"; nil
	// shows the sources' status without the button.
	Sync *syncer.Engine
	Log  *slog.Logger
	// Now is the clock that sets "today" for the date filters (default
	// time.Now).
	Now func() time.Time
}

// Pages serves the dashboard. It implements server.Pages.
type Pages struct {
	st      *store.Store
	cfg     *config.Config
	sync    *syncer.Engine
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics.Service
	tpl     *templates
}

// New returns the dashboard's pages.
func New(o Options) *Pages {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Config == nil {
		o.Config = &config.Config{}
	}
	return &Pages{st: o.Store, cfg: o.Config, sync: o.Sync, log: o.Log, now: o.Now,
		metrics: metrics.New(o.Store, o.Config.LinearAPIKey != ""), tpl: parsed}
}

// route is one page: its path, navigation label and handler.
type route struct {
	path, label string
	handler     func(w http.ResponseWriter, r *http.Request) error
}

func (p *Pages) routes() []route {
	return []route{
		{"/dashboard", "Dashboard", p.dashboard},
		{"/dora", "DORA", p.dora},
		{"/development", "Development", p.development},
		{"/pull-requests", "Pull requests", p.pullRequests},
		{"/deployments", "Deployments", p.deployments},
		{"/incidents", "Incidents", p.incidents},
		{"/settings", "Settings", p.settings},
	}
}

// Register adds the pages and the static files to mux, and returns their
// patterns.
func (p *Pages) Register(mux *http.ServeMux) []string {
	var patterns []string
	for _, rt := range p.routes() {
		mux.Handle("GET "+rt.path, p.handle(rt.handler))
		patterns = append(patterns, "GET "+rt.path)
	}
	for pattern, h := range p.actions() {
		mux.Handle(pattern, p.handle(h))
		patterns = append(patterns, pattern)
	}
	mux.Handle("GET /static/", staticHandler())
	return append(patterns, "GET /static/")
}

// Home serves the dashboard at "/" to a browser.
func (p *Pages) Home(w http.ResponseWriter, r *http.Request) {
	p.handle(p.dashboard).ServeHTTP(w, r)
}

// NotFound serves the page for a path that does not exist.
func (p *Pages) NotFound(w http.ResponseWriter, r *http.Request) {
	p.handle(func(w http.ResponseWriter, r *http.Request) error {
		return p.render(w, r, http.StatusNotFound, "notfound", &page{Title: "Page not found", status: http.StatusNotFound})
	}).ServeHTTP(w, r)
}

// today is the current UTC date.
func (p *Pages) today() time.Time { return p.now().UTC() }
