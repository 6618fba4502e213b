// Package telemetry exposes Veelocity's own numbers to Prometheus at
// GET /metrics: HTTP requests by route pattern, syncs and their API budget
// per source, derive durations, webhook deliveries, and the rolling 30-day
// DORA values per repository and overall.
package telemetry

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/veelocity/veelocity/internal/syncer"
)

// Telemetry holds the collectors of one server. Its methods are safe for
// concurrent use, and do nothing on a nil *Telemetry.
type Telemetry struct {
	reg *prometheus.Registry

	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	syncRuns       *prometheus.CounterVec
	syncDuration   *prometheus.HistogramVec
	syncRequests   *prometheus.CounterVec
	syncRecords    *prometheus.CounterVec
	deriveDuration *prometheus.HistogramVec
	webhooks       *prometheus.CounterVec
	clients        *clientCollector
	dora           *doraCollector
}

// New returns a Telemetry with its collectors registered, the Go runtime's
// and the process's included.
func New() *Telemetry {
	t := &Telemetry{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veelocity_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "veelocity_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		syncRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veelocity_sync_runs_total",
			Help: "Syncs of a source that ended, by source, status (success, failed, canceled) and trigger.",
		}, []string{"source", "status", "trigger"}),
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "veelocity_sync_duration_seconds",
			Help:    "Duration of a source's sync, by source.",
			Buckets: []float64{0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600},
		}, []string{"source"}),
		syncRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veelocity_sync_requests_total",
			Help: "HTTP requests made to a source's API by syncs, retries included.",
		}, []string{"source"}),
		syncRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veelocity_sync_records_total",
			Help: "Records stored by syncs, by source.",
		}, []string{"source"}),
		deriveDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "veelocity_derive_duration_seconds",
			Help:    "Duration of a derive step (the facts metrics read), by result (ok, error).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300},
		}, []string{"result"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veelocity_webhook_deliveries_total",
			Help: "Webhook deliveries answered, by source (github, linear) and status code.",
		}, []string{"source", "code"}),
		clients: &clientCollector{},
	}
	t.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		t.httpRequests, t.httpDuration, t.syncRuns, t.syncDuration, t.syncRequests, t.syncRecords,
		t.deriveDuration, t.webhooks, t.clients,
	)
	return t
}

// Registry is where the collectors are registered, for tests and for
// collectors added later (WatchDORA).
func (t *Telemetry) Registry() *prometheus.Registry { return t.reg }

// Handler serves the metrics in Prometheus' text format.
func (t *Telemetry) Handler() http.Handler {
	return promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// knownMethods bounds the method label: anything else counts as OTHER.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// Middleware counts and times the requests next answers, labelled by the
// pattern of the routes' route the request is for (what the mux sets as
// the request's Pattern), never the raw path, which would make a label per
// id. A request refused before reaching the mux (no session) counts under
// its route too.
func (t *Telemetry) Middleware(routes *http.ServeMux, next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		method := r.Method
		if !knownMethods[method] {
			method = "OTHER"
		}
		route := r.Pattern
		if route == "" {
			_, route = routes.Handler(r)
		}
		if route == "" {
			route = "unmatched"
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		t.httpRequests.WithLabelValues(method, route, strconv.Itoa(rec.status)).Inc()
		t.httpDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		if source, ok := webhookSources[route]; ok {
			t.webhooks.WithLabelValues(source, strconv.Itoa(rec.status)).Inc()
		}
	})
}

// webhookSources maps the webhook routes to their source.
var webhookSources = map[string]string{"/api/v1/webhooks/github": "github", "/api/v1/webhooks/linear": "linear"}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// SourceEnded records a source's sync that ended (syncer.Options.OnSourceEnd).
func (t *Telemetry) SourceEnded(e syncer.SourceEnd) {
	if t == nil {
		return
	}
	t.syncRuns.WithLabelValues(e.Source, e.Status, string(e.Trigger)).Inc()
	t.syncDuration.WithLabelValues(e.Source).Observe(e.Duration.Seconds())
	t.syncRequests.WithLabelValues(e.Source).Add(float64(e.Requests))
	t.syncRecords.WithLabelValues(e.Source).Add(float64(e.Records))
}

// DeriveDone records a derive step that took d and failed if err is set.
func (t *Telemetry) DeriveDone(d time.Duration, err error) {
	if t == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	t.deriveDuration.WithLabelValues(result).Observe(d.Seconds())
}
